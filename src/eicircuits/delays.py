"""Synaptic delays of a :class:`~eicircuits.Network` (``Network(..., delays=D)``).

With delays the rate form reads ``τ_i ẋ_i = −x_i + φ_i(Σ_j W_ij x_j(t − d_ij) + u_i)`` (the
voltage form ``τ_i v̇_i = −v_i + Σ_j W_ij φ_j(v_j(t − d_ij)) + u_i``): the delay ``d_ij ≥ 0`` of
the synapse from ``j`` onto ``i`` is in the **unit of time of the simulation** (the unit of
``net.tau`` and ``t_span``; with the default ``tau = 1`` that is "units of τ"). Delays never
change the equilibria (a constant state does not see them); they change stability and the
transients.

``D`` may be a number (every synapse), a mapping ``{"E": d_E, "I": d_I}`` (per presynaptic cell
type), a vector of length ``n`` (per presynaptic neuron, i.e. per column of ``W``), or an
``(n, n)`` array or sparse matrix (per synapse; only its entries where ``W ≠ 0`` are read).
The normal form, :class:`Delays`, keeps one delay per synapse of ``W``.

Examples
--------
>>> from eicircuits import Network
>>> net = Network(W=[[0.5, -1.0], [1.0, -0.5]], cell_types="EI", delays={"E": 2.0, "I": 0.5})
>>> net.has_delays, net.delays.max, net.delays.to_dense().tolist()
(True, 2.0, [[2.0, 0.5], [2.0, 0.5]])
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .errors import ValidationError

__all__ = ["Delays", "check_delays", "MAX_DELAY_GROUPS"]

FloatArray = NDArray[np.float64]

#: Most distinct delay values a simulation accepts (each costs one mat-vec per stage).
MAX_DELAY_GROUPS = 64


@dataclasses.dataclass(frozen=True, eq=False)
class Delays:
    """One delay per synapse of ``W`` (the normal form of ``Network(delays=...)``).

    Attributes
    ----------
    n : int
        Number of neurons.
    rows, cols : ndarray of int
        The synapses (``W[rows[k], cols[k]] ≠ 0``), in ``W``'s row-major order.
    values : ndarray
        Their delays, ``≥ 0``, in the unit of time of the simulation.
    """

    n: int
    rows: NDArray[np.int64]
    cols: NDArray[np.int64]
    values: FloatArray

    def __post_init__(self) -> None:
        for arr in (self.rows, self.cols, self.values):
            arr.setflags(write=False)

    @property
    def max(self) -> float:
        """The longest delay."""
        return float(self.values.max()) if self.values.size else 0.0

    @property
    def min_positive(self) -> float:
        """The shortest non-zero delay (``inf`` if none)."""
        pos = self.values[self.values > 0]
        return float(pos.min()) if pos.size else float("inf")

    @property
    def distinct(self) -> FloatArray:
        """The distinct delay values, sorted."""
        return np.unique(self.values)

    def to_sparse(self) -> sp.csr_array:
        """The delays as a CSR matrix on ``W``'s support (zero delays kept explicitly)."""
        return sp.csr_array((self.values, (self.rows, self.cols)), shape=(self.n, self.n))

    def to_dense(self) -> FloatArray:
        """The delays as a dense ``(n, n)`` array (0 where there is no synapse)."""
        out = np.zeros((self.n, self.n))
        out[self.rows, self.cols] = self.values
        return out

    def groups(self, W: Any) -> list[tuple[float, Any]]:
        """``W`` split by delay: ``[(d, W_d), …]`` with ``W = Σ W_d``, ``d`` increasing.

        ``W_d`` is dense when ``W`` is, CSR (int32 indices when they fit) otherwise.
        """
        dense = not sp.issparse(W)
        vals = np.asarray(W[self.rows, self.cols]).ravel()
        out: list[tuple[float, Any]] = []
        for d in self.distinct:
            m = self.values == d
            if dense:
                Wd = np.zeros((self.n, self.n))
                Wd[self.rows[m], self.cols[m]] = vals[m]
            else:
                Wd = sp.csr_array((vals[m], (self.rows[m], self.cols[m])), shape=(self.n, self.n))
                Wd.sort_indices()
                if Wd.nnz < 2**31 - 1:
                    Wd.indices = Wd.indices.astype(np.int32)
                    Wd.indptr = Wd.indptr.astype(np.int32)
            out.append((float(d), Wd))
        return out

    def to_spec(self) -> dict[str, Any]:
        """A summary for files: the distinct values and the largest delay."""
        return {"max": self.max, "distinct": self.distinct.tolist()}

    def __repr__(self) -> str:
        return (f"Delays(n={self.n}, synapses={self.values.size}, "
                f"values in [{self.values.min() if self.values.size else 0:g}, {self.max:g}])")


def _support(W: Any) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    if sp.issparse(W):
        coo = sp.csr_array(W).tocoo()
        order = np.lexsort((coo.col, coo.row))
        return coo.row[order].astype(np.int64), coo.col[order].astype(np.int64)
    r, c = np.nonzero(np.asarray(W))
    return r.astype(np.int64), c.astype(np.int64)


def _number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_delays(value: Any, W: Any, cell_types: tuple[str, ...] | None) -> Delays | None:
    """Normalise ``Network(delays=value)`` to :class:`Delays` (``None``: no delays).

    Raises
    ------
    ValidationError
        A negative or non-finite delay, a shape that fits none of the forms, a mapping
        without cell types or without a type of the network, or (for a :class:`Delays`) a
        synapse of ``W`` without a delay.
    """
    if value is None:
        return None
    n = int(W.shape[0])
    rows, cols = _support(W)
    if isinstance(value, Delays):
        if value.n != n:
            raise ValidationError(f"delays: given for {value.n} neurons, W has {n}")
        D = value.to_sparse()
        known = sp.csr_array((np.ones(value.values.size), (value.rows, value.cols)),
                             shape=(n, n))
        have = np.asarray(known[rows, cols]).ravel() if rows.size else np.zeros(0)
        if np.any(have == 0):
            k = int(np.flatnonzero(have == 0)[0])
            raise ValidationError(
                f"delays: the synapse W[{rows[k]}, {cols[k]}] has no delay; give delays for "
                "the new weights"
            )
        vals = np.asarray(D[rows, cols]).ravel() if rows.size else np.zeros(0)
    elif _number(value):
        vals = np.full(rows.size, float(value))
    elif isinstance(value, Mapping):
        if cell_types is None:
            raise ValidationError(
                "delays: a mapping {'E': d_E, 'I': d_I} needs cell_types on the network"
            )
        per = {str(k).upper(): v for k, v in value.items()}
        unknown = sorted(set(per) - {"E", "I"})
        if unknown:
            raise ValidationError(f"delays: unknown cell type {unknown[0]!r}; expected 'E'/'I'")
        missing = sorted(set(cell_types) - set(per))
        if missing:
            raise ValidationError(
                f"delays: no delay for presynaptic type {missing[0]!r}; give one per type "
                f"present ({sorted(set(cell_types))})"
            )
        for k, v in per.items():
            if not _number(v):
                raise ValidationError(f"delays[{k!r}]: expected a number ≥ 0, got {v!r}")
        col_d = np.array([float(per[t]) for t in cell_types])
        vals = col_d[cols]
    elif sp.issparse(value):
        if value.shape != (n, n):
            raise ValidationError(f"delays: expected shape ({n}, {n}) to match W, got "
                                  f"{value.shape}")
        Dv = sp.csr_array(value, dtype=float)
        vals = np.asarray(Dv[rows, cols]).ravel() if rows.size else np.zeros(0)
    else:
        if isinstance(value, (str, bytes)):
            raise ValidationError(f"delays: expected a number, mapping or array, got {value!r}")
        try:
            arr = np.array(value, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                f"delays: expected a number, a mapping per cell type, a vector ({n},) or a "
                f"matrix ({n}, {n}), got {value!r}"
            ) from exc
        if arr.shape == (n,):
            vals = arr[cols]
        elif arr.shape == (n, n):
            vals = arr[rows, cols]
        else:
            raise ValidationError(
                f"delays: expected a number, a vector of shape ({n},) (per presynaptic neuron) "
                f"or a matrix ({n}, {n}) (per synapse), got shape {arr.shape}"
            )
    vals = np.asarray(vals, dtype=float)
    if not np.all(np.isfinite(vals)) or np.any(vals < 0):
        k = int(np.flatnonzero(~(np.isfinite(vals) & (vals >= 0)))[0])
        raise ValidationError(
            f"delays: every delay must be finite and ≥ 0; the synapse W[{rows[k]}, {cols[k]}] "
            f"has delay {vals[k]}"
        )
    if not np.any(vals > 0):
        return None
    return Delays(n=n, rows=rows, cols=cols, values=vals)
