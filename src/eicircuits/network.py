"""The firing-rate network model (docs/theory.md §1).

Rate form ``τ ẋ = −x + Φ(W x + u)``; voltage (Hopfield) form ``τ v̇ = −v + W Φ(v) + u``.
``W[i, j]`` is the synapse from neuron ``j`` onto neuron ``i``.

Examples
--------
>>> import numpy as np
>>> from eicircuits import Network
>>> net = Network(W=[[0.5, -1.0], [1.0, -0.5]], u=[1.0, 0.0], cell_types="EI")
>>> net.n, net.e_idx.tolist(), net.i_idx.tolist()
(2, [0], [1])
>>> net.rate_field(np.zeros(2))
array([1., 0.])
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from ._limits import MAX_NEURONS
from ._validate import check_real, check_sparse_structure, check_vector
from ._validate import describe as _describe
from .activations import Activation, ReLU, activation_from_spec
from .delays import check_delays
from .errors import DaleLawError, SizeLimitError, ValidationError

__all__ = ["Network"]

FloatArray = NDArray[np.float64]

#: Largest n for which :meth:`Network.dense_W` densifies a sparse matrix without being asked.
DENSE_LIMIT = 20_000


def _first_bad(mask: NDArray[np.bool_]) -> tuple[int, ...]:
    idx = np.argwhere(mask)
    return tuple(int(i) for i in idx[0])


def _as_weights(W: Any) -> FloatArray | sp.csr_array:
    check_real("W", W)
    if sp.issparse(W):
        if W.ndim != 2:
            raise ValidationError(f"W: must be 2-D, got {_describe(W)}")
        check_sparse_structure("W", W)  # before any compiled kernel reads the index arrays
        rows, cols = (int(k) for k in W.shape)
        if rows != cols:
            raise ValidationError(f"W: must be square (n × n), got shape {(rows, cols)}")
        if rows > MAX_NEURONS:
            raise SizeLimitError(
                f"W: a sparse matrix of {rows} neurons, above the limit of {MAX_NEURONS} "
                "(eicircuits._limits.MAX_NEURONS); refused before allocating"
            )
        Ws = sp.csr_array(W, dtype=float, copy=True)
        Ws.sum_duplicates()
        Ws.eliminate_zeros()
        Ws.sort_indices()
        if Ws.nnz < 2**31 - 1 and Ws.indices.dtype != np.int32:
            # int32 indices, once: every mat-vec then reads half the index bytes (int64 ones
            # were 1.33× slower per step), and no simulation converts them again (0.1 s per
            # call at 10⁷ synapses)
            Ws.indices = Ws.indices.astype(np.int32)
            Ws.indptr = Ws.indptr.astype(np.int32)
        if not np.all(np.isfinite(Ws.data)):
            k = int(np.flatnonzero(~np.isfinite(Ws.data))[0])
            row = int(np.searchsorted(Ws.indptr, k, side="right") - 1)
            raise ValidationError(
                f"W: every weight must be finite; W[{row}, {int(Ws.indices[k])}] = {Ws.data[k]}"
            )
        return Ws
    try:
        Wd = np.array(W, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"W: expected a numeric square matrix, got {_describe(W)}") from exc
    if Wd.ndim != 2:
        raise ValidationError(f"W: must be 2-D, got {_describe(Wd)}")
    if not np.all(np.isfinite(Wd)):
        i, j = _first_bad(~np.isfinite(Wd))
        raise ValidationError(f"W: every weight must be finite; W[{i}, {j}] = {Wd[i, j]}")
    Wd.setflags(write=False)
    return Wd


@dataclasses.dataclass(frozen=True, eq=False)
class Network:
    """A firing-rate network ``τ ẋ = −x + Φ(W x + u)``; validated once, immutable.

    Parameters
    ----------
    W : array_like or scipy.sparse matrix, shape (n, n)
        Weights; ``W[i, j]`` is the synapse from ``j`` onto ``i``. Sparse input stays sparse
        (CSR) and is never densified.
    tau : float or array_like, shape (n,), optional
        Time constants (any unit, the same as time in :func:`~eicircuits.simulate`), ``> 0``.
        Stored as a vector. Default 1.
    u : array_like, shape (n,), optional
        Constant external input. Default 0.
    activation : Activation or sequence of n Activations, optional
        One activation for all neurons or one per neuron. Default :class:`~eicircuits.ReLU`.
    cell_types : sequence of "E"/"I", optional
        Cell types. When given, Dale's law is enforced: E columns ``W[:, j] ≥ 0``, I columns
        ``W[:, j] ≤ 0``.
    names : sequence of str, optional
        Unique neuron names (default ``"0"``, ``"1"``, …).
    delays : float, mapping, array_like or sparse matrix, optional
        Synaptic delays ``d_ij ≥ 0`` in the unit of time of the simulation (that of ``tau``):
        one number, ``{"E": d_E, "I": d_I}`` per presynaptic type, a vector per presynaptic
        neuron, or an ``(n, n)`` matrix per synapse (see :mod:`eicircuits.delays`).
        Stored as a :class:`~eicircuits.delays.Delays` (``None``: no delays).

    Raises
    ------
    ValidationError
        Non-square or non-finite ``W``, lengths that do not match, ``tau ≤ 0``, unknown cell
        type, duplicate names, an activation that is not an :class:`Activation`.
    DaleLawError
        A column of ``W`` has the wrong sign for its cell type.
    """

    W: Any
    tau: Any = 1.0
    u: Any = None
    activation: Any = dataclasses.field(default_factory=ReLU)
    cell_types: Any = None
    names: Any = None
    delays: Any = None

    def __post_init__(self) -> None:
        W = _as_weights(self.W)
        if W.shape[0] != W.shape[1]:
            raise ValidationError(f"W: must be square (n × n), got shape {W.shape}")
        n = W.shape[0]
        if n == 0:
            raise ValidationError("W: the network needs at least one neuron, got shape (0, 0)")
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "tau", self._check_vector("tau", self.tau, n, default=1.0))
        if np.any(self.tau <= 0):
            i = int(np.flatnonzero(self.tau <= 0)[0])
            raise ValidationError(
                f"tau: every time constant must be > 0; tau[{i}] = {self.tau[i]}"
            )
        object.__setattr__(self, "u", self._check_vector("u", self.u, n, default=0.0))
        object.__setattr__(self, "activation", self._check_activation(self.activation, n))
        object.__setattr__(self, "cell_types", self._check_types(self.cell_types, n))
        object.__setattr__(self, "names", self._check_names(self.names, n))
        if self.cell_types is not None:
            self._check_dale()
        if self.delays is not None:
            object.__setattr__(self, "delays", check_delays(self.delays, W, self.cell_types))

    # ------------------------------------------------------------------ validation
    @staticmethod
    def _check_vector(name: str, value: Any, n: int, *, default: float) -> FloatArray:
        arr = check_vector(name, value, n, default=default, context=" to match W")
        arr.setflags(write=False)
        return arr

    @staticmethod
    def _check_activation(value: Any, n: int) -> Activation | tuple[Activation, ...]:
        from .activations import check_slopes

        if isinstance(value, (str, dict)):
            value = activation_from_spec(value)
        if isinstance(value, Activation):
            acts: tuple[Activation, ...] = (value,)
        elif isinstance(value, Sequence):
            acts = tuple(
                activation_from_spec(a) if isinstance(a, (str, dict)) else a for a in value
            )
            if len(acts) != n:
                raise ValidationError(
                    f"activation: expected one Activation or a sequence of {n}, got {len(acts)}"
                )
        else:
            raise ValidationError(f"activation: expected an Activation, got {_describe(value)}")
        for k, a in enumerate(acts):
            if not isinstance(a, Activation):
                raise ValidationError(
                    f"activation[{k}]: expected an Activation, got {_describe(a)}"
                )
            # Declared slopes in [0, 1] (or > 1 for a declared supralinear activation, THEORY
            # §9); a user activation's declaration is measured on samples (cached per instance).
            check_slopes(a, where=f"activation[{k}]")
        if len(set(acts)) == 1:
            return acts[0]
        return acts

    @staticmethod
    def _check_types(value: Any, n: int) -> tuple[str, ...] | None:
        if value is None:
            return None
        types = tuple(str(t).upper() for t in value)
        if len(types) != n:
            raise ValidationError(f"cell_types: expected {n} entries to match W, got {len(types)}")
        bad = [k for k, t in enumerate(types) if t not in ("E", "I")]
        if bad:
            raise ValidationError(
                "cell_types: every entry must be 'E' or 'I'; "
                f"cell_types[{bad[0]}] = {value[bad[0]]!r}"
            )
        return types

    @staticmethod
    def _check_names(value: Any, n: int) -> tuple[str, ...]:
        if value is None:
            return tuple(str(k) for k in range(n))
        names = tuple(str(s) for s in value)
        if len(names) != n:
            raise ValidationError(f"names: expected {n} names to match W, got {len(names)}")
        if len(set(names)) != n:
            dup = next(s for s in names if names.count(s) > 1)
            raise ValidationError(f"names: must be unique; {dup!r} appears more than once")
        return names

    def _check_dale(self) -> None:
        is_e = np.array([t == "E" for t in self.cell_types])
        W = self.W
        if sp.issparse(W):
            neg_cols = np.unique(W.indices[W.data < 0])
            pos_cols = np.unique(W.indices[W.data > 0])
        else:
            neg_cols = np.flatnonzero(np.any(W < 0, axis=0))
            pos_cols = np.flatnonzero(np.any(W > 0, axis=0))
        bad_e = neg_cols[is_e[neg_cols]]
        bad_i = pos_cols[~is_e[pos_cols]]
        for cols, kind, rule, sign in (
            (bad_e, "E", "≥ 0", lambda c: c < 0),
            (bad_i, "I", "≤ 0", lambda c: c > 0),
        ):
            if cols.size:
                j = int(cols[0])
                col = np.asarray(W[:, [j]].toarray()).ravel() if sp.issparse(W) else W[:, j]
                i = int(np.flatnonzero(sign(col))[0])
                raise DaleLawError(
                    f"W: Dale's law: neuron {j} ({self.names[j]!r}) is type {kind}, so its "
                    f"outgoing column W[:, {j}] must be {rule}; W[{i}, {j}] = {col[i]}"
                )

    # ------------------------------------------------------------------ properties
    @property
    def n(self) -> int:
        """Number of neurons."""
        return int(self.W.shape[0])

    @property
    def is_sparse(self) -> bool:
        """Whether ``W`` is stored sparse (CSR)."""
        return sp.issparse(self.W)

    @property
    def has_delays(self) -> bool:
        """Whether some synapse has a non-zero delay (``delays`` is not ``None``)."""
        return self.delays is not None

    @property
    def e_idx(self) -> NDArray[np.intp]:
        """Indices of the excitatory neurons (empty when no cell types were given)."""
        if self.cell_types is None:
            return np.array([], dtype=np.intp)
        return np.array([k for k, t in enumerate(self.cell_types) if t == "E"], dtype=np.intp)

    @property
    def i_idx(self) -> NDArray[np.intp]:
        """Indices of the inhibitory neurons (empty when no cell types were given)."""
        if self.cell_types is None:
            return np.array([], dtype=np.intp)
        return np.array([k for k, t in enumerate(self.cell_types) if t == "I"], dtype=np.intp)

    @property
    def activations(self) -> tuple[Activation, ...]:
        """The activation of every neuron (length ``n``)."""
        if isinstance(self.activation, Activation):
            return (self.activation,) * self.n
        return self.activation

    @property
    def uniform_activation(self) -> Activation | None:
        """The activation shared by all neurons, or ``None`` when they differ."""
        return self.activation if isinstance(self.activation, Activation) else None

    @property
    def piecewise_linear(self) -> bool:
        """Whether every activation is piecewise linear (ReLU, clipped ReLU, linear)."""
        return all(a.piecewise_linear for a in set(self.activations))

    @property
    def equal_tau(self) -> bool:
        """Whether all time constants are equal."""
        return bool(np.all(self.tau == self.tau[0]))

    @property
    def diag(self) -> FloatArray:
        """The self-coupling ``W_ii``."""
        return np.asarray(self.W.diagonal(), dtype=float)

    # ------------------------------------------------------------------ derived networks
    def with_input(self, u: ArrayLike) -> Network:
        """The same network with constant input ``u``."""
        return dataclasses.replace(self, u=u)

    def replace(self, **changes: Any) -> Network:
        """A validated copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)

    def dense_W(self, *, limit: int = DENSE_LIMIT) -> FloatArray:
        """``W`` as a dense array; refuses (``SizeLimitError``) sparse networks above ``limit``."""
        if not self.is_sparse:
            return self.W
        if self.n > limit:
            raise SizeLimitError(
                f"W: refusing to densify a sparse {self.n} × {self.n} matrix (limit n ≤ {limit}); "
                "use a sparse-capable method"
            )
        return self.W.toarray()

    def fingerprint(self) -> str:
        """SHA-256 of ``W`` (same for its dense and sparse storage): ties results to weights."""
        Wc = self.W if self.is_sparse else sp.csr_array(self.W)
        Wc = Wc.copy()
        Wc.sort_indices()
        h = hashlib.sha256(f"n={self.n};".encode())
        h.update(np.ascontiguousarray(Wc.indptr, dtype=np.int64).tobytes())
        h.update(np.ascontiguousarray(Wc.indices, dtype=np.int64).tobytes())
        h.update(np.ascontiguousarray(Wc.data, dtype=np.float64).tobytes())
        return h.hexdigest()

    # ------------------------------------------------------------------ activations
    def _groups(self) -> list[tuple[Activation, slice | NDArray[np.intp]]]:
        if isinstance(self.activation, Activation):
            return [(self.activation, slice(None))]
        groups: dict[Activation, list[int]] = {}
        for k, a in enumerate(self.activation):
            groups.setdefault(a, []).append(k)
        return [(a, np.array(ix, dtype=np.intp)) for a, ix in groups.items()]

    def _apply(self, method: str, z: ArrayLike) -> FloatArray:
        z = np.asarray(z, dtype=float)
        if isinstance(self.activation, Activation):
            return getattr(self.activation, method)(z)
        out = np.empty_like(z)
        for a, ix in self._groups():
            out[..., ix] = getattr(a, method)(z[..., ix])
        return out

    def phi(self, z: ArrayLike) -> FloatArray:
        """``Φ(z)``, each neuron's activation applied to the last axis of ``z``."""
        return self._apply("__call__", z)

    def dphi(self, z: ArrayLike) -> FloatArray:
        """``Φ'(z)`` elementwise (the diagonal of the Jacobian of ``Φ``)."""
        return self._apply("derivative", z)

    def g(self, y: ArrayLike) -> FloatArray:
        """Each neuron's regulariser ``g_i(y_i)`` (``+inf`` outside its activation's range)."""
        return self._apply("g", y)

    # ------------------------------------------------------------------ vector fields
    def drive(self, x: ArrayLike, u: ArrayLike | None = None) -> FloatArray:
        """The total input ``W x + u`` (``u`` defaults to the network's)."""
        x = np.asarray(x, dtype=float)
        return self.W @ x + (self.u if u is None else np.asarray(u, dtype=float))

    def rate_field(self, x: ArrayLike, u: ArrayLike | None = None) -> FloatArray:
        """``ẋ = τ⁻¹(−x + Φ(Wx + u))``."""
        x = np.asarray(x, dtype=float)
        return (self.phi(self.drive(x, u)) - x) / self.tau

    def rate_jacobian(self, x: ArrayLike, u: ArrayLike | None = None) -> Any:
        """Jacobian of the rate form, ``τ⁻¹(−I + diag(Φ'(Wx + u)) W)`` (sparse if ``W`` is)."""
        d = self.dphi(self.drive(x, u))
        if self.is_sparse:
            eye = sp.eye_array(self.n, format="csr")
            return sp.diags_array(1.0 / self.tau) @ (sp.diags_array(d) @ self.W - eye)
        return ((d[:, None] * self.W) - np.eye(self.n)) / self.tau[:, None]

    def voltage_field(self, v: ArrayLike, u: ArrayLike | None = None) -> FloatArray:
        """``v̇ = τ⁻¹(−v + W Φ(v) + u)``."""
        v = np.asarray(v, dtype=float)
        uu = self.u if u is None else np.asarray(u, dtype=float)
        return (-v + self.W @ self.phi(v) + uu) / self.tau

    def voltage_jacobian(self, v: ArrayLike) -> Any:
        """Jacobian of the voltage form, ``τ⁻¹(−I + W diag(Φ'(v)))``."""
        d = self.dphi(v)
        if self.is_sparse:
            eye = sp.eye_array(self.n, format="csr")
            return sp.diags_array(1.0 / self.tau) @ (self.W @ sp.diags_array(d) - eye)
        return ((self.W * d[None, :]) - np.eye(self.n)) / self.tau[:, None]

    def rate_to_voltage(self, x: ArrayLike, u: ArrayLike | None = None) -> FloatArray:
        """``v = W x + u``: maps rate-form states (and equilibria) to voltage-form ones."""
        return self.drive(x, u)

    def voltage_to_rate(self, v: ArrayLike) -> FloatArray:
        """``x = Φ(v)``: maps voltage-form equilibria to rate-form ones."""
        return self.phi(v)

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        kind = "sparse" if self.is_sparse else "dense"
        nnz = self.W.nnz if self.is_sparse else int(np.count_nonzero(self.W))
        types = ""
        if self.cell_types is not None:
            types = f", {len(self.e_idx)} E / {len(self.i_idx)} I"
        act = self.activation if isinstance(self.activation, Activation) else "per-neuron"
        return f"Network(n={self.n}{types}, {kind} W with {nnz} synapses, activation={act!r})"
