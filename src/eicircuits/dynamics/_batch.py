"""Batched fixed-step simulation: many runs of one network at once.

:func:`simulate_batch` integrates ``B`` members that share the network (``W``, ``τ``,
activations) and differ in their initial state and/or their constant input. Each Runge–Kutta
stage is one batched mat-vec for the whole batch (``X @ Wᵀ`` for dense ``W``, ``(W @ Xᵀ)ᵀ`` for
sparse), so the batch costs far fewer, larger matrix products than a loop of
:func:`~eicircuits.simulate` calls. The schemes are those of the fixed-step path (explicit
Euler, exponential Euler and the Butcher tableaux of :mod:`._tableaux`), with the same
arithmetic, so each member agrees with ``simulate(..., method=same, dt=same)`` to rounding.

Backends: ``"numpy"`` (always available; the reference) and ``"jax"`` (optional; one compiled
``lax.scan`` for the whole run, on CPU or GPU; see :mod:`._jax`).
"""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._result import Result
from .._threads import blas_threads, resolve_threads
from ..errors import SizeLimitError, ValidationError
from ..network import Network
from . import _jax, _kernels
from ._extended import ExtendedCore, member_rngs, run_batch_extended
from ._fixed_step import (
    MAX_OUTPUT_BYTES,
    NUMBA_MIN_WORK,
    NUMBA_REFUSAL,
    _inplace_activation,
    _n_steps,
    choose_backend,
    run_fixed,
)
from ._problem import Problem, divergence_message, success_message
from ._schemes import FIXED_METHODS, SCHEMES, SDE_METHODS
from ._schemes import step as scheme_step
from ._simulate import (
    DEFAULT_BOUND,
    FORMS,
    _check_t_span,
    _positive,
    _positive_int,
    check_extended,
)
from ._trajectory import Trajectory, protocol_attrs

__all__ = ["simulate_batch", "BatchTrajectory", "BATCH_BACKENDS", "BATCH_STATUSES",
           "JAX_MIN_BATCH"]

FloatArray = NDArray[np.float64]

#: Backends of :func:`simulate_batch`.
BATCH_BACKENDS = ("auto", "numpy", "numba", "jax")

#: Every status a batch member can have.
BATCH_STATUSES: dict[str, str] = {
    "success": "integrated over the whole time span",
    "diverged": "stopped: the state left the bound or became non-finite (last finite state kept)",
}

#: ``backend="auto"`` uses jax (when installed) from this many members on.
JAX_MIN_BATCH = 64

#: ``backend="auto"`` uses jax only when the run does at least this many multiply-adds
#: (steps × stages × B × (synapses + n)), about 1.5 s of the NumPy backend on one CPU core:
#: below it, compiling (about 0.5–1 s) costs more than the 1.3–2.7× jax saves on a CPU
#: (benchmarks/bench_batch.py).
JAX_MIN_WORK = 2e10

# --------------------------------------------------------------------------- result
@dataclasses.dataclass(frozen=True, eq=False)
class BatchTrajectory(Result):
    """The result of :func:`simulate_batch`: ``B`` trajectories on a shared time grid.

    Attributes
    ----------
    t : ndarray, shape (T,)
        Saved times (the unit of ``net.tau``), shared by all members.
    x : ndarray, shape (B, T, n)
        States (rates in the rate form, voltages in the voltage form). Always finite: a member
        that diverged keeps its last finite state in every row after it stopped (see
        ``t_stop``).
    status : ndarray of str, shape (B,)
        ``"success"`` or ``"diverged"`` (:data:`BATCH_STATUSES`).
    messages : tuple of str
        One message per member: what happened (for ``"diverged"``: when, which neuron, what
        to check).
    steps : ndarray of int, shape (B,)
        Steps each member took (fewer than the run's when it diverged).
    t_stop : ndarray, shape (B,)
        Time of each member's last valid state (``t1`` on success).
    saved_steps : ndarray of int, shape (T,)
        Step index of each saved row.
    u : ndarray, shape (B, n)
        Each member's constant input (with stimuli: their values at ``t0``).
    form, method, backend : str
        ``"rate"``/``"voltage"``; the scheme; ``"numpy"`` or ``"jax"`` (``"auto"`` resolved).
    dt : float
        The step.
    net : Network
        The simulated network.
    stimuli : tuple of Stimulus or None
        The stimulus protocol (one shared, or one per member).
    noise, seed
        The noise of a stochastic run and its integer seed (when given).

    Examples
    --------
    >>> import numpy as np
    >>> from eicircuits import Network
    >>> from eicircuits.dynamics import simulate_batch
    >>> net = Network(W=[[0.5]], u=[1.0])
    >>> res = simulate_batch(net, np.zeros((1, 1)), (0.0, 1.0), dt=0.5, backend="numpy")
    >>> res.x.shape, res.member(0).x.shape
    ((1, 3, 1), (3, 1))
    """

    t: FloatArray
    x: FloatArray
    status: NDArray[np.str_]
    messages: tuple[str, ...]
    steps: NDArray[np.int64]
    t_stop: FloatArray
    saved_steps: NDArray[np.int64]
    u: FloatArray
    form: str
    method: str
    backend: str
    dt: float
    net: Network
    stimuli: tuple[Any, ...] | None = None
    noise: Any = None
    seed: Any = None

    def __post_init__(self) -> None:
        for arr in (self.t, self.x, self.status, self.steps, self.t_stop, self.saved_steps,
                    self.u):
            arr.setflags(write=False)

    @property
    def batch_size(self) -> int:
        """Number of members ``B``."""
        return int(self.x.shape[0])

    @property
    def n(self) -> int:
        """Number of neurons."""
        return int(self.x.shape[2])

    @property
    def success(self) -> NDArray[np.bool_]:
        """Per member, whether it ran to ``t1``."""
        return self.status == "success"

    @property
    def final(self) -> FloatArray:
        """Each member's last valid state, shape (B, n)."""
        return self.x[:, -1]

    # Result shape (eicircuits._result), added for issue 10: ``success`` stays per member, so
    # ``ok`` and ``raise_if_failed`` ask whether every member succeeded.
    @property
    def ok(self) -> bool:
        """Whether every member ran to ``t1``."""
        return bool(np.all(self.success))

    @property
    def message(self) -> str:
        """One line: how many members succeeded, and the first failure's message."""
        bad = np.flatnonzero(~np.asarray(self.success))
        head = f"{self.batch_size - bad.size} of {self.batch_size} members ran to the end"
        return head if not bad.size else f"{head}; member {int(bad[0])}: {self.messages[bad[0]]}"

    @property
    def stats(self) -> dict[str, Any]:
        """``steps`` (per member) and the number that diverged."""
        return {"steps": self.steps, "diverged": int(np.sum(~np.asarray(self.success)))}

    def raise_if_failed(self) -> BatchTrajectory:
        """``self`` when every member succeeded, else :class:`~eicircuits.errors.ConvergenceError`.

        Raises
        ------
        ConvergenceError
            With :attr:`message`.
        """
        if not self.ok:
            raise self.failure_error(f"BatchTrajectory failed: {self.message}")
        return self

    def _fields_for_dict(self) -> dict[str, Any]:
        out = super()._fields_for_dict()
        out.pop("net", None)
        out["message"] = self.message
        return out

    def member(self, k: int) -> Trajectory:
        """Member ``k`` as a :class:`~eicircuits.dynamics.Trajectory`.

        Its rows are those saved up to the member's stop; a diverged member ends, like a
        diverged :func:`~eicircuits.simulate` run, with its last finite state at ``t_stop``.

        Raises
        ------
        ValidationError
            ``k`` is not an index in ``[-B, B)``.
        """
        B = self.batch_size
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not -B <= k < B:
            raise ValidationError(f"k: expected a member index in [-{B}, {B}), got {k!r}")
        k = int(k) % B
        s = int(self.steps[k])
        keep = self.saved_steps <= s
        t, x = self.t[keep], self.x[k, keep]
        if self.status[k] != "success" and self.saved_steps[keep][-1] != s:
            t = np.append(t, self.t_stop[k])
            x = np.vstack([x, self.x[k, -1][None, :]])
        return Trajectory(
            t=np.array(t, dtype=float),
            x=np.array(x, dtype=float),
            status=str(self.status[k]),
            message=self.messages[k],
            form=self.form,
            method=self.method,
            nfev=s * SCHEMES[self.method].stages,
            steps=s,
            net=self.net,
            u=np.array(self.u[k]) if self.stimuli is None else self.stimuli[
                k if len(self.stimuli) > 1 else 0],
            dt=self.dt,
            noise=self.noise,
        )

    def to_xarray(self) -> Any:
        """The batch as an :class:`xarray.DataArray` with dims ``("batch", "time", "neuron")``.

        Coordinates: ``batch`` (0 … B−1), ``time``, ``neuron`` (names), ``tau`` and
        ``cell_type`` (when known) on ``neuron``, ``status``, ``message``, ``steps`` and
        ``t_stop`` on ``batch``, ``u`` on ``(batch, neuron)``. Attributes: ``method``,
        ``form``, ``backend``, ``dt``, ``network_fingerprint``.
        """
        import xarray as xr

        net = self.net
        coords: dict[str, Any] = {
            "batch": ("batch", np.arange(self.batch_size)),
            "time": ("time", np.asarray(self.t)),
            "neuron": ("neuron", list(net.names)),
            "tau": ("neuron", np.asarray(net.tau)),
            "status": ("batch", [str(s) for s in self.status]),
            "message": ("batch", list(self.messages)),
            "steps": ("batch", np.asarray(self.steps)),
            "t_stop": ("batch", np.asarray(self.t_stop)),
            "u": (("batch", "neuron"), np.asarray(self.u)),
        }
        if net.cell_types is not None:
            coords["cell_type"] = ("neuron", list(net.cell_types))
        attrs = {
            "method": self.method,
            "form": self.form,
            "backend": self.backend,
            "dt": float(self.dt),
            "network_fingerprint": net.fingerprint(),
        }
        if self.stimuli is not None:
            import json

            attrs["stimulus"] = json.dumps([s.to_spec() for s in self.stimuli])
        attrs.update(protocol_attrs(None, self.noise, self.seed, net))
        return xr.DataArray(
            np.asarray(self.x),
            dims=("batch", "time", "neuron"),
            coords=coords,
            name="rate" if self.form == "rate" else "voltage",
            attrs=attrs,
        )

    def summary(self) -> str:
        """A few readable lines: counts per status, grid, first divergence."""
        n_ok = int(np.sum(self.success))
        lines = [
            f"members   {self.batch_size}: {n_ok} success, {self.batch_size - n_ok} diverged",
            f"method    {self.method} ({self.form} form), dt = {self.dt:g}, "
            f"backend {self.backend}",
            f"time      {self.t[0]:g} → {self.t[-1]:g}, {len(self.t)} saved points",
        ]
        bad = np.flatnonzero(~self.success)
        if bad.size:
            lines.append(f"member {int(bad[0])}  {self.messages[int(bad[0])]}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"BatchTrajectory(B={self.batch_size}, diverged={int(np.sum(~self.success))}, "
            f"method={self.method!r}, backend={self.backend!r}, T={len(self.t)}, n={self.n}, "
            f"t=[{self.t[0]:g}, {self.t[-1]:g}])"
        )


# --------------------------------------------------------------------------- validation
def _stimuli(u: Any, n: int) -> list[Any] | None:
    """``u`` as a list of stimuli (one shared, or one per member), or ``None``."""
    from ..stimulus import Stimulus

    if isinstance(u, Stimulus):
        u._check_size(n)
        return [u]
    if isinstance(u, (list, tuple)) and u and all(isinstance(s, Stimulus) for s in u):
        for s in u:
            s._check_size(n)
        return list(u)
    if isinstance(u, (list, tuple)) and any(isinstance(s, Stimulus) for s in u):
        raise ValidationError("u: a list of stimuli must hold only Stimulus objects")
    if callable(u):
        raise ValidationError(
            "u: simulate_batch takes constant inputs or eicircuits.stimulus protocols, not a "
            "Python callable; build the input with eicircuits.stimulus (e.g. from_array)"
        )
    return None


def _batched(name: str, value: Any, n: int, *, allow_scalar: bool) -> FloatArray:
    """``value`` as a finite (n,) or (B, n) float array."""
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"{name}: expected an array of shape ({n},) or (B, {n}), got {value!r}"
        ) from exc
    if arr.ndim == 0 and allow_scalar:
        arr = np.full(n, float(arr))
    if arr.ndim not in (1, 2) or arr.shape[-1] != n or (arr.ndim == 2 and arr.shape[0] == 0):
        raise ValidationError(
            f"{name}: expected shape ({n},) (shared by all members) or (B, {n}) with B ≥ 1 "
            f"(one row per member) to match the network's {n} neurons, got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        idx = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        where = ", ".join(str(i) for i in idx)
        raise ValidationError(f"{name}: every entry must be finite; {name}[{where}] = {arr[idx]}")
    return arr


def _resolve_backend(backend: Any, net: Network, B: int, work: float) -> str:
    if not isinstance(backend, str) or backend not in BATCH_BACKENDS:
        raise ValidationError(f"backend: expected one of {BATCH_BACKENDS}, got {backend!r}")
    if backend == "numba":
        # the members one after another through the kernel of simulate (raises if it cannot)
        choose_backend(Problem(net=net, form="rate", x0=np.zeros(net.n), t0=0.0, t1=1.0,
                               u=net.u, bound=1.0), "numba", work)
        return "numba"
    if backend == "jax":
        _jax.require(net)
        return "jax"
    if backend == "auto":
        if (_jax.available() and B >= JAX_MIN_BATCH and work >= JAX_MIN_WORK
                and _jax.supported(net)):
            return "jax"
        if (B == 1 and work >= NUMBA_MIN_WORK and _kernels.available()
                and _kernels.activation_codes(net.activations) is not None):
            return "numba"  # one member: the single-run kernel
    return "numpy"


def _run_numba(
    net: Network, form: str, method: str, X0: FloatArray, U: FloatArray, *, t0: float,
    t1: float, dt: float, every: int, saved: NDArray[np.int64], bound: float,
) -> tuple[FloatArray, NDArray[np.int64], list[str]]:
    """The members one after another through the numba kernel of :func:`simulate`; returns
    ``(rows, stop, messages)`` (rows after step 0, a stopped member's kept at its last state)."""
    B, n = X0.shape
    N = int(saved[-1])
    rows = np.empty((B, len(saved) - 1, n))
    stop = np.full(B, N, dtype=np.int64)
    messages = [""] * B

    def member(k: int) -> None:
        prob = Problem(net=net, form=form, x0=X0[k], t0=t0, t1=t1, u=U[k], bound=bound)
        tr = run_fixed(prob, method, dt=dt, t_eval=None, save_every=every, max_steps=N,
                       until_steady=None, check_every=N + 1, checkpoint=None,
                       checkpoint_interval=0.0, resume=None, backend="numba")
        kept = int(np.searchsorted(saved, tr.steps, side="right")) - 1  # rows up to the stop
        rows[k, :kept] = tr.x[1:kept + 1]
        rows[k, kept:] = tr.x[-1]
        stop[k] = tr.steps
        messages[k] = tr.message

    # the kernel releases the GIL (nogil): members run on every core, each in its own buffers
    workers = min(B, os.cpu_count() or 1)
    if workers == 1:
        for k in range(B):
            member(k)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(member, range(B)))
    return rows, stop, messages


# --------------------------------------------------------------------------- NumPy backend
class _NumpyBatch:
    """Batched steps in NumPy: the scheme of :mod:`._schemes` on a (B, n) state."""

    def __init__(self, net: Network, form: str, method: str) -> None:
        self.net = net
        self.form = form
        self.scheme = SCHEMES[method]
        self.stages = self.scheme.stages
        self.W = net.W
        self.WT = None if net.is_sparse else net.W.T
        # one shared activation: the fixed-step path's in-place version (no allocation)
        self.phi = _inplace_activation(net)

    def matmul(self, X: FloatArray) -> FloatArray:
        if self.WT is None:
            return np.asarray(self.W @ X.T).T
        return X @ self.WT

    def target(self, X: FloatArray, U: FloatArray) -> FloatArray:
        if self.form == "rate":
            Z = self.matmul(X)
            Z += U
            return self.phi(Z)
        Z = self.matmul(self.phi(X.copy()))
        Z += U
        return Z

    def coef(self, h: float) -> Any:
        """The scheme's gains for step ``h``."""
        return self.scheme.gains(h, 1.0 / self.net.tau)

    def step(self, X: FloatArray, U: FloatArray, h: float, coef: Any) -> FloatArray:
        return scheme_step(self.scheme, X, coef, lambda Y, i: self.target(Y, U))


def _run_numpy(
    net: Network, form: str, method: str, X0: FloatArray, U: FloatArray, *, dt: float,
    dt_last: float, N: int, saved: NDArray[np.int64], bound: float,
) -> tuple[FloatArray, FloatArray, NDArray[np.int64], NDArray[np.int64], FloatArray]:
    """Like :func:`._jax.run_jax`; rows after step 0 at the steps ``saved[1:]``."""
    stepper = _NumpyBatch(net, form, method)
    B = X0.shape[0]
    X = X0.copy()
    alive = np.ones(B, dtype=bool)
    stop = np.full(B, N, dtype=np.int64)
    bad_i = np.full(B, -1, dtype=np.int64)
    bad_v = np.zeros(B)
    rows = np.empty((B, len(saved) - 1, net.n))
    r = 0
    coefs = {dt: stepper.coef(dt), dt_last: stepper.coef(dt_last)}
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for s in range(N):
            h = dt if s + 1 < N else dt_last
            idx = None if alive.all() else np.flatnonzero(alive)
            Xa = X if idx is None else X[idx]
            Ua = U if idx is None else U[idx]
            Xn = stepper.step(Xa, Ua, h, coefs[h])
            ok = np.abs(Xn).max(axis=1) <= bound  # False for NaN too
            if ok.all():
                if idx is None:
                    X = Xn
                else:
                    X[idx] = Xn
            else:
                members = np.arange(B) if idx is None else idx
                good, died = members[ok], members[~ok]
                X[good] = Xn[ok]
                first = np.argmin(np.abs(Xn[~ok]) <= bound, axis=1)  # first neuron out
                alive[died] = False
                stop[died] = s
                bad_i[died] = first
                bad_v[died] = Xn[~ok][np.arange(len(died)), first]
            while r + 1 < len(saved) and saved[r + 1] == s + 1:
                rows[:, r] = X
                r += 1
            if not alive.any():
                break
    rows[:, r:] = X[:, None, :]  # every member stopped: the rest of the rows keep its state
    return rows, X, stop, bad_i, bad_v


# --------------------------------------------------------------------------- entry point
def simulate_batch(
    net: Network,
    x0: ArrayLike,
    t_span: tuple[float, float],
    *,
    dt: float,
    u: ArrayLike | None = None,
    method: str = "rk4",
    form: str = "rate",
    save_every: int | None = None,
    bound: float = DEFAULT_BOUND,
    backend: str = "auto",
    threads: int | str | None = "auto",
    noise: Any = None,
    rng: Any = None,
    history: Any = None,
) -> BatchTrajectory:
    """Simulate many runs of one network at once with a fixed step.

    Every member integrates ``τ ẋ = −x + Φ(Wx + u_k)`` (or the voltage form
    ``τ v̇ = −v + WΦ(v) + u_k``) from its own ``x0_k`` with its own constant input ``u_k``; the
    network (``W``, ``τ``, activations) is shared. Each member follows exactly the arithmetic
    of ``simulate(net, x0_k, t_span, u=u_k, method=method, dt=dt)``, so the two agree to
    rounding (about 1e-15 relative per step).

    Parameters
    ----------
    net : Network
        The shared network (its ``u`` is the input unless ``u`` is given).
    x0 : array_like, shape (n,) or (B, n)
        Initial states: one row per member, or one state shared by all. Finite.
    t_span : (t0, t1)
        Time interval, ``t1 > t0``, in the unit of ``net.tau``.
    dt : float
        The fixed step, ``> 0``. The last step is shortened to land on ``t1`` when ``dt``
        does not divide the span.
    u : array_like, Stimulus or list of Stimulus, optional
        Constant inputs, shape (n,) or (B, n) (one row per member, or one shared; a scalar
        for all), a stimulus protocol shared by all members, or a list of ``B`` stimuli (one
        per member: per-member amplitudes). Default ``net.u``. When both ``x0`` and ``u``
        have rows, their numbers must match.
    method : {"rk4", "euler", "exp-euler", "heun", "midpoint", "euler-maruyama", \
"stochastic-heun"}
        The fixed-step scheme (the Butcher tableaux of ``TABLEAUX``; ``"exp-euler"`` is stable
        on the leak for any ``dt``; the last two for ``noise``).
    form : {"rate", "voltage"}
        Which form to integrate.
    save_every : int, optional
        Save every ``k``-th step (and the last). Default: every step.
    bound : float
        A member whose state has ``|x_i| > bound`` (or a non-finite entry) after a step is
        stopped there: it keeps its last finite state and status ``"diverged"``; the other
        members go on.
    backend : {"auto", "numpy", "numba", "jax"}
        The backends of :func:`~eicircuits.simulate`, running the same scheme definitions.
        ``"numpy"``: batched NumPy/SciPy products (any activation). ``"numba"``: the members
        through the compiled kernel of ``simulate``, one per core at a time (constant input,
        built-in activations, no noise or delays). ``"jax"``: one compiled
        ``jax.lax.scan`` over the run (jax must be installed; built-in activations only;
        sparse ``W`` stays sparse as a BCOO matrix). JAX computes in float64 inside its
        ``enable_x64`` context manager, which changes JAX's global configuration only for
        the duration of the call; the first call with a new shape or method compiles (about
        a second). ``"auto"``: jax when it is installed, every activation is built in, the
        batch has at least ``JAX_MIN_BATCH`` = 64 members and the run at least
        ``JAX_MIN_WORK`` = 2e10 multiply-adds; numba for a single member whose run is long
        enough to pay for the kernel (as in ``simulate``); else numpy.
    threads : "auto", int or None
        BLAS threads for the NumPy backend (``"auto"``: 1 for dense ``W`` with n ≤ 2048, as
        in :func:`~eicircuits.simulate`: on a shared machine a threaded product of this size
        can run many times slower; ask for more threads for large batches on an idle machine;
        ``None``: leave as is). JAX uses its own thread pool.
    noise : Noise, optional
        Noise (see :func:`~eicircuits.simulate`); needs ``"euler-maruyama"`` or
        ``"stochastic-heun"``.
    rng : int, SeedSequence, Generator, sequence or None
        Random streams: member ``k`` of ``rng=seed`` draws from child ``k`` of
        ``np.random.SeedSequence(seed)`` (so it equals ``simulate(..., rng=np.random
        .SeedSequence(seed).spawn(B)[k])`` and does not depend on the batch size or on how a
        batch is split); a sequence gives one seed or generator per member.
    history : callable, optional
        With delays: the state ``h(t)`` for ``t < t0``, shape (n,) or (B, n) (default ``x0``).

    Stimulus protocols, noise and delays run on the NumPy backend (one batched stepper);
    piecewise-constant protocols (steps, pulses, held samples, one per member or shared)
    without noise or delays also run on the JAX backend, as per-member tables of switching
    times and piece values (the same trajectory to rounding).

    Returns
    -------
    BatchTrajectory
        ``t`` (T,), ``x`` (B, T, n), a ``status`` and a message per member, ``member(k)`` as
        a :class:`~eicircuits.dynamics.Trajectory`, ``to_xarray()``. Never contains NaN.

    Raises
    ------
    ValidationError
        Bad ``x0`` or ``u`` (shape, non-finite, batch sizes that differ), ``t_span``
        (``t1 ≤ t0``), ``dt ≤ 0``, an unknown ``method``/``form``/``backend``,
        ``backend="jax"`` without jax or with an activation it has no version of.
    SizeLimitError
        The saved output would exceed 2 GiB (use ``save_every``).

    See Also
    --------
    eicircuits.simulate : one run, with adaptive methods, time-dependent input, checkpoints.

    Examples
    --------
    Two inputs and two initial states of an E–I pair; the runs settle at their equilibria.

    >>> import numpy as np
    >>> from eicircuits import Network
    >>> from eicircuits.dynamics import simulate_batch
    >>> net = Network(W=[[0.5, -1.0], [1.0, -0.5]], cell_types="EI")
    >>> res = simulate_batch(net, [[0.0, 0.0], [1.0, 2.0]], (0.0, 40.0), dt=0.01,
    ...                      u=[[1.0, 0.5], [2.0, 0.0]], backend="numpy", save_every=1000)
    >>> res.x.shape, res.status.tolist()
    ((2, 5, 2), ['success', 'success'])
    >>> x = res.final[1]
    >>> bool(np.allclose(x, net.phi(net.W @ x + [2.0, 0.0]), atol=1e-8))
    True
    """
    if not isinstance(net, Network):
        raise ValidationError(f"net: expected an eicircuits.Network, got {type(net).__name__}")
    if not isinstance(form, str) or form not in FORMS:
        raise ValidationError(f"form: expected 'rate' or 'voltage', got {form!r}")
    if not isinstance(method, str) or method not in {**FIXED_METHODS, **SDE_METHODS}:
        options = ", ".join(repr(m) for m in {**FIXED_METHODS, **SDE_METHODS})
        raise ValidationError(
            f"method: unknown fixed-step method {method!r}; expected one of {options} "
            "(adaptive solvers such as 'RK45' run one trajectory at a time: use "
            "eicircuits.simulate)"
        )
    n = net.n
    X0 = _batched("x0", x0, n, allow_scalar=False)
    stims = _stimuli(u, n)
    U = _batched("u", net.u if u is None else u, n, allow_scalar=True) if stims is None else (
        np.stack([s.sample([0.0], n)[0] for s in stims]) if len(stims) > 1 else
        stims[0].sample([0.0], n)[0]
    )
    if X0.ndim == 2 and U.ndim == 2 and X0.shape[0] != U.shape[0]:
        raise ValidationError(
            f"x0, u: batch sizes differ: x0 has {X0.shape[0]} rows and u has {U.shape[0]}; give "
            "one row per member in each, or a single shared vector (shape "
            f"({n},)) for one of them"
        )
    B = max(X0.shape[0] if X0.ndim == 2 else 1, U.shape[0] if U.ndim == 2 else 1)
    if X0.ndim == 2 and stims is not None and len(stims) > 1 and X0.shape[0] != len(stims):
        raise ValidationError(
            f"x0, u: batch sizes differ: x0 has {X0.shape[0]} rows and u has {len(stims)} "
            "stimuli; give one per member in each, or a single shared one"
        )
    X0 = np.array(np.broadcast_to(X0, (B, n)))
    U = np.array(np.broadcast_to(U, (B, n)))
    t0, t1 = _check_t_span(t_span)
    dt_v = float(_positive("dt", dt))  # type: ignore[arg-type]
    bound_v = float(_positive("bound", bound))  # type: ignore[arg-type]
    every = 1 if save_every is None else _positive_int("save_every", save_every)
    limit = resolve_threads(threads, net.W)

    N = _n_steps(t1 - t0, dt_v)
    saved = np.arange(0, N + 1, every, dtype=np.int64)
    if saved[-1] != N:
        saved = np.append(saved, N)
    nbytes = B * len(saved) * n * 8
    if nbytes > MAX_OUTPUT_BYTES:
        raise SizeLimitError(
            f"save_every: saving {len(saved)} rows of {B} members × {n} neurons needs "
            f"{nbytes / 1024**3:.1f} GiB (limit {MAX_OUTPUT_BYTES / 1024**3:.0f} GiB); save "
            "fewer rows with save_every=k"
        )
    nnz = net.W.nnz if net.is_sparse else n * n
    stages = SCHEMES[method].stages
    check_extended(method, "fixed", net, noise, form)
    has_delays = getattr(net, "delays", None) is not None
    extended = stims is not None or noise is not None or has_delays or method in SDE_METHODS
    # piecewise-constant protocols (steps, pulses, held samples) also run on the JAX backend
    jax_stim = (stims is not None and noise is None and not has_delays
                and method in FIXED_METHODS and all(s.piecewise_constant for s in stims))
    if extended:
        if backend == "numba":
            raise ValidationError(NUMBA_REFUSAL)
        if backend == "jax" and not jax_stim:
            raise ValidationError(
                "backend: 'jax' runs constant inputs and piecewise-constant stimulus protocols "
                "(steps, pulses, held samples) without noise or delays; other protocols, "
                "noise and delays run on backend='numpy' (or 'auto')"
            )
        if not isinstance(backend, str) or backend not in BATCH_BACKENDS:
            raise ValidationError(f"backend: expected one of {BATCH_BACKENDS}, got {backend!r}")
        which = "numpy"
        if jax_stim and backend in ("jax", "auto"):
            which = _resolve_backend(backend, net, B, float(N) * stages * B * (nnz + n))
        if which == "jax":
            extended = False
    else:
        if history is not None:
            raise ValidationError("history: only used with delays (Network(..., delays=...))")
        which = _resolve_backend(backend, net, B, float(N) * stages * B * (nnz + n))

    def times(s: int) -> float:
        return t0 + s * dt_v if s < N else t1

    dt_last = t1 - times(N - 1)
    if extended:
        if noise is not None and rng is None:  # fresh entropy, recorded as the seed
            rng = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
        if stims is not None and len(stims) > 1 and len(stims) != B:
            raise ValidationError(
                f"u: {len(stims)} stimuli for {B} members; give one per member or one shared"
            )
        core = ExtendedCore(
            net, form, method, X0, U if stims is None else stims, t0=t0, dt=dt_v, N=N,
            t1=t1, noise=noise, rngs=member_rngs(rng, B) if noise is not None else None,
            history=history,
        )
        with blas_threads(limit):
            rows, _, stop, bad_i, bad_v = run_batch_extended(core, X0, saved=saved,
                                                             bound=bound_v)
    elif which == "numba":
        with blas_threads(limit):
            rows, stop, messages = _run_numba(net, form, method, X0, U, t0=t0, t1=t1, dt=dt_v,
                                              every=every, saved=saved, bound=bound_v)
    elif which == "jax":
        if stims is not None and len(stims) > 1 and len(stims) != B:
            raise ValidationError(
                f"u: {len(stims)} stimuli for {B} members; give one per member or one shared"
            )
        table = None if stims is None else _jax.piecewise_table(stims, B, n, t0)
        rows, _, stop, bad_i, bad_v = _jax.run_jax(
            net, form, method, X0, U, dt=dt_v, dt_last=dt_last, N=N, every=every,
            bound=bound_v, table=table,
        )
    else:
        with blas_threads(limit):
            rows, _, stop, bad_i, bad_v = _run_numpy(
                net, form, method, X0, U, dt=dt_v, dt_last=dt_last, N=N, saved=saved,
                bound=bound_v,
            )
    x = np.concatenate([X0[:, None, :], rows], axis=1)
    status = np.where(stop < N, "diverged", "success")
    ok_msg = success_message(t1, N, dt_v)
    if which != "numba":
        messages = _messages(net, form, X0, U, stop, bad_i, bad_v, t0=t0, t1=t1, N=N,
                             bound=bound_v, ok=ok_msg, times=times)
    return BatchTrajectory(
        t=np.where(saved < N, t0 + saved * dt_v, t1).astype(float),
        x=x,
        status=status,
        messages=tuple(messages),
        steps=stop,
        t_stop=np.array([times(int(s)) for s in stop], dtype=float),
        saved_steps=saved,
        u=U,
        form=form,
        method=method,
        backend=which,
        dt=dt_v,
        net=net,
        stimuli=None if stims is None else tuple(stims),
        noise=noise,
        seed=int(rng) if isinstance(rng, (int, np.integer)) and noise is not None else None,
    )


def _messages(net: Network, form: str, X0: FloatArray, U: FloatArray, stop: Any, bad_i: Any,
              bad_v: Any, *, t0: float, t1: float, N: int, bound: float, ok: str,
              times: Any) -> list[str]:
    """Each member's message: ``ok``, or where and how it diverged."""
    messages = []
    for k in range(len(X0)):
        if stop[k] == N:
            messages.append(ok)
            continue
        s = int(stop[k])
        prob = Problem(net=net, form=form, x0=X0[k], t0=t0, t1=t1, u=U[k], bound=bound)
        messages.append(divergence_message(prob, times(s + 1), int(bad_i[k]),
                                           float(bad_v[k]), times(s)))
    return messages
