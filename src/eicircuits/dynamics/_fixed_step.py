"""The fast fixed-step path: explicit Euler, Runge–Kutta tableaux and exponential Euler.

For ``τ ẋ = −x + T(x, t)`` (``T = Φ(Wx + u)`` in the rate form, ``WΦ(x) + u`` in the voltage
form) one step costs one evaluation of ``T`` per stage, that is one mat-vec:

- ``euler``: ``x ← x + (h/τ)(T(x) − x)`` (order 1);
- ``exp-euler``: ``x ← x + (1 − e^{−h/τ})(T(x) − x)`` (order 1; exact when ``T`` is constant
  over the step, and stable for every ``h`` on the leak term — a good fit for this equation);
- ``heun``, ``midpoint`` (order 2), ``rk4`` (order 4): the Butcher tableaux of
  :mod:`._tableaux`.

Each scheme is defined once, in :mod:`._schemes`; both backends below run that definition.

Two interchangeable backends advance the state in chunks of steps: a compiled numba kernel
(:mod:`._kernels`, used when numba is installed, the input is constant and every activation is
built in) and a NumPy loop with preallocated buffers and in-place operations (sparse mat-vecs
go straight into the output buffer through SciPy's CSR kernel, so a step allocates nothing).
The driver between chunks checks for divergence, ``until_steady``, ``max_steps`` and writes
checkpoints that :func:`~eicircuits.simulate` can resume from.

Both backends run in float64 or, with ``dtype=np.float32``, in float32: the state, ``W``, ``u``,
the step coefficients, the stage buffers and the saved rows in single precision (the numba
kernel is compiled once per dtype; half the bytes per mat-vec and twice the SIMD lanes).
"""

from __future__ import annotations

import hashlib
import os
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy import special

from ..activations import Activation, ClippedReLU, Linear, Logistic, ReLU, Scaled, Tanh
from ..errors import EICircuitsWarning, SizeLimitError, ValidationError
from . import _kernels
from ._problem import Problem, divergence_message, success_message
from ._schemes import FIXED_METHODS, SCHEMES
from ._schemes import step as scheme_step
from ._trajectory import Trajectory

try:  # SciPy's CSR kernel accumulates y += A @ x into a given buffer (no allocation).
    from scipy.sparse._sparsetools import csr_matvec as _csr_matvec
except ImportError:  # pragma: no cover - depends on SciPy internals
    _csr_matvec = None

__all__ = ["FIXED_METHODS", "MAX_OUTPUT_BYTES", "run_fixed", "BACKENDS"]

FloatArray = NDArray[np.float64]

#: Backends of the fixed-step path (single runs and batches alike; a single run on ``"jax"``
#: is :func:`run_fixed_jax`).
BACKENDS = ("auto", "numpy", "numba", "jax")

#: Largest output (saved rows × n × 8 bytes) allocated without complaint.
MAX_OUTPUT_BYTES = 2 * 1024**3

#: Version of the checkpoint file. 2: the steps of every scheme are those of ``_schemes``
#: (gains ``h A/τ``, ``1 − e^{−h/τ}``), which round differently from version 1's: resuming a
#: version-1 file would not give the uninterrupted run, so it is refused.
_CHECKPOINT_VERSION = 2

#: A dense W with at most this fraction of non-zeros runs through the kernel's CSR loop ...
CSR_DENSITY = 0.3
#: ... but only this fraction while W fits in the cache (at most :data:`CSR_CACHE_BYTES`):
#: there the dense loop streams W with SIMD and the CSR gather costs more per entry. Measured
#: (numba kernel, logistic, per step): n = 160 at 26 % non-zeros, dense 3.5 µs vs CSR 4.5 µs;
#: n = 300–1000 at 15–30 %, CSR 1.1–1.5× slower; n = 2000 at 30 %, CSR 0.62× the dense time.
CSR_DENSITY_CACHED = 0.1
#: Size of a dense W (bytes) below which :data:`CSR_DENSITY_CACHED` applies (n ≤ 1448).
CSR_CACHE_BYTES = 16 * 1024**2

#: Least work (steps × stages × (synapses + n)) for which backend="auto" uses numba.
NUMBA_MIN_WORK = 2e8

#: Why ``backend="numba"`` is refused for stimuli, noise (beyond white-noise Euler–Maruyama of a
#: single run) and delays.
NUMBA_REFUSAL = (
    "backend: 'numba' runs constant inputs without delays (and white-noise Euler–Maruyama "
    "for a single run); stimulus protocols, other noise and delays run on backend='numpy' "
    "(or 'auto')"
)


# --------------------------------------------------------------------------- activations
def _inplace_activation(net: Any) -> Any:
    """A function ``f(z)`` that overwrites ``z`` with ``Φ(z)``, without allocating when it can.

    The NumPy backend's one table of activation kernels (single runs, batches, the core of
    stimuli/noise/delays): ``z`` has neurons on its last axis, shape (n,) or (B, n). Only the
    exact built-in classes get an in-place kernel; anything else (a subclass too, which may
    override ``__call__``) is evaluated by its own ``__call__``.
    """

    def one(a: Activation) -> Any:
        kind = type(a)
        if kind is ReLU:
            return lambda z: np.maximum(z, 0.0, out=z)
        if kind is ClippedReLU:
            r = a.r_max
            return lambda z: np.clip(z, 0.0, r, out=z)
        if kind is Linear:
            return lambda z: z
        if kind is Tanh:
            return lambda z: np.tanh(z, out=z)
        if kind is Logistic:

            def logistic(z: FloatArray) -> FloatArray:
                np.multiply(z, 4.0, out=z)
                return special.expit(z, out=z)

            return logistic
        if kind is Scaled and type(a.base) in (ReLU, ClippedReLU, Linear, Tanh, Logistic):
            inner, s, th = one(a.base), a.s, a.threshold

            def scaled(z: FloatArray) -> FloatArray:  # ψ(z) = φ((z − θ)/s), as Scaled does
                if th:
                    np.subtract(z, th, out=z)
                np.divide(z, s, out=z)
                return inner(z)

            return scaled

        def generic(z: FloatArray) -> FloatArray:
            z[...] = a(z)
            return z

        return generic

    if net.uniform_activation is not None:
        return one(net.uniform_activation)
    parts = [(one(a), ix) for a, ix in net._groups()]

    def mixed(z: FloatArray) -> FloatArray:
        for f, ix in parts:
            z[..., ix] = f(z[..., ix].copy())
        return z

    return mixed


# --------------------------------------------------------------------------- NumPy backend
class _NumpyStepper:
    """Advance the state with NumPy, in place; the reference implementation of the kernel."""

    def __init__(self, prob: Problem, method: str, dtype: Any = np.float64) -> None:
        self.prob = prob
        self.dtype = dt_ = np.dtype(dtype)
        net = prob.net
        self.n = n = net.n
        self.scheme = SCHEMES[method]
        self.stages = self.scheme.stages
        self.c = self.scheme.c
        self.phi = _inplace_activation(net)
        self.sparse = net.is_sparse
        W = net.W
        if self.sparse:
            self.W = W if W.dtype == dt_ else W.astype(dt_)
            self.csr = (W.indptr, W.indices, self.W.data)  # int32 (Network stores them so)
        else:
            self.W = np.ascontiguousarray(W, dtype=dt_)
        self.tau = net.tau
        # the bound as a number of the state's precision, clipped to its range: NumPy compares
        # a float32 array with a Python float in float32, where 1e300 would be inf
        self.bound = dt_.type(min(prob.bound, float(np.finfo(dt_).max)))
        self.P = np.empty(n, dt_)
        self.K = np.empty((self.stages, n), dt_)
        self._gain_cache: dict[float, Any] = {}

    def _matvec_add(self, x: FloatArray, out: FloatArray, u: FloatArray) -> None:
        if self.sparse:
            if _csr_matvec is not None:
                out[:] = u
                _csr_matvec(self.n, self.n, *self.csr, x, out)
            else:  # pragma: no cover
                out[:] = self.W @ x
                out += u
        else:
            np.dot(self.W, x, out=out)
            out += u

    def target(self, x: FloatArray, t: float, out: FloatArray) -> FloatArray:
        u = self.prob.u_at(t)
        if self.prob.form == "rate":
            self._matvec_add(x, out, u)
            self.phi(out)
        else:
            self.P[:] = x
            self.phi(self.P)
            self._matvec_add(self.P, out, u)
        return out

    def gains(self, dt: float) -> Any:
        """The scheme's gains for step ``dt`` (computed in float64, stored in the state's
        precision)."""
        gains = self._gain_cache.get(dt)
        if gains is None:
            gains = self._gain_cache[dt] = self.scheme.gains(dt, 1.0 / self.tau,
                                                             dtype=self.dtype)
        return gains

    def step(self, x: FloatArray, t: float, dt: float, inc: FloatArray | None = None) -> None:
        """One step from ``x`` at time ``t``, in place (``inc``: a noise increment)."""
        K, c = self.K, self.c

        def stage(Y: FloatArray, i: int) -> FloatArray:
            return self.target(Y, t + c[i] * dt, K[i])

        scheme_step(self.scheme, x, self.gains(dt), stage, inc=inc, out=x)

    def advance(
        self, x: FloatArray, s0: int, k: int, times: Any, step_dt: Any,
        save_steps: NDArray[np.int64], out: FloatArray, r: int,
    ) -> tuple[int, int, int]:
        """``k`` steps from step index ``s0``; returns ``(done, r, bad)`` (see the kernel)."""
        snap = x.copy()
        r0 = r
        nsave = len(save_steps)
        for j in range(k):
            s = s0 + j
            self.step(x, times(s), step_dt(s))
            while r < nsave and save_steps[r] == s + 1:
                out[r] = x
                r += 1
        bound = self.bound
        if np.all(np.abs(x) <= bound) and np.all(np.abs(out[r0:r]) <= bound):
            return k, r, -1
        # Replay step by step to find the first bad step; keep the state before it.
        x[:] = snap
        r = r0
        for j in range(k):
            s = s0 + j
            prev = x.copy()
            self.step(x, times(s), step_dt(s))
            bad_mask = ~(np.abs(x) <= bound)
            bad = int(np.flatnonzero(bad_mask)[0]) if bad_mask.any() else -1
            if bad >= 0:
                x[:] = prev
                return j, r, bad
            while r < nsave and save_steps[r] == s + 1:
                out[r] = x
                r += 1
        return k, r, -1  # pragma: no cover - the replay is deterministic


# --------------------------------------------------------------------------- numba backend
def _unsigned(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    return a.view(np.uint32 if a.dtype.itemsize == 4 else np.uint64)


def _prefer_csr(W: FloatArray) -> bool:
    """Whether the kernel should run the dense ``W`` through its CSR loop (see
    :data:`CSR_DENSITY`, :data:`CSR_DENSITY_CACHED`)."""
    limit = CSR_DENSITY_CACHED if W.nbytes <= CSR_CACHE_BYTES else CSR_DENSITY
    return bool(np.count_nonzero(W) <= limit * W.size)


class _NumbaStepper:
    """Advance the state with the compiled kernel of :mod:`._kernels`."""

    def __init__(self, prob: Problem, method: str, codes: tuple[np.ndarray, np.ndarray],
                 noise: tuple[FloatArray, Any] | None = None, dtype: Any = np.float64) -> None:
        self.prob = prob
        self.dtype = dt_ = np.dtype(dtype)
        # the divergence bound and the flush cut-off as scalars of the state's precision (a
        # bound above float32's range would let inf through: clip it to the largest float32)
        self.bound = dt_.type(min(prob.bound, float(np.finfo(dt_).max)))
        self.flush = dt_.type(_numba_flush(dt_))
        # Euler–Maruyama with white additive noise: (σ/τ, generator); increments are drawn a
        # chunk at a time in step order, the stream of the NumPy core (same numbers)
        self.noise = noise
        self._no_inc = np.zeros((0, prob.net.n), dt_)
        self.kernel = _kernels.get_kernel()
        net = prob.net
        n = net.n
        self.scheme = SCHEMES[method]
        self.stages = self.scheme.stages
        self._gain_cache: dict[float, Any] = {}
        self.form = 0 if prob.form == "rate" else 1
        self.u = np.ascontiguousarray(prob.u, dtype=dt_)
        W = net.W
        if not net.is_sparse and _prefer_csr(W):
            W = sp.csr_array(W)  # mostly zeros: the kernel's CSR loop touches fewer entries
        self.dense = not sp.issparse(W)
        if self.dense:
            self.Wd = np.ascontiguousarray(W, dtype=dt_)
            self.indptr = np.zeros(1, dtype=np.uint32)
            self.indices = np.zeros(1, dtype=np.uint32)
            self.data = np.zeros(1, dt_)
        else:
            if not W.has_sorted_indices:  # sorted rows read x in order; copy, never mutate net.W
                W = W.sorted_indices()
            self.Wd = np.zeros((1, 1), dt_)
            # unsigned views (no copy) of the int32 indices Network stores: indices are ≥ 0,
            # and numba indexes faster with them
            self.indptr = _unsigned(W.indptr)
            self.indices = _unsigned(W.indices)
            self.data = np.ascontiguousarray(W.data, dtype=dt_)
        self.codes, self.params = codes
        if self.codes.size > 1 and np.all(self.codes == self.codes[0]) and np.all(
                self.params == self.params[0]):  # one activation: the kernel's uniform loop
            self.codes, self.params = self.codes[:1].copy(), self.params[:1].copy()
        self.tau = net.tau
        self.mat = (self.dense, self.Wd, self.indptr, self.indices, self.data)
        self.buffers = (np.empty(n, dt_), np.empty(n, dt_), np.empty(n, dt_),
                        np.empty((self.stages, n), dt_))
        self._np = _NumpyStepper(prob, method, dt_)

    def target(self, x: FloatArray, t: float, out: FloatArray) -> FloatArray:
        return self._np.target(x, t, out)

    def _gains(self, dt: float) -> Any:
        gains = self._gain_cache.get(dt)
        if gains is None:
            gains = self._gain_cache[dt] = self.scheme.gain_arrays(dt, 1.0 / self.tau,
                                                                   self.dtype)
        return gains

    def advance(
        self, x: FloatArray, s0: int, k: int, times: Any, step_dt: Any,
        save_steps: NDArray[np.int64], out: FloatArray, r: int,
    ) -> tuple[int, int, int]:
        dt = step_dt(s0)
        model = (self.form, self.u, self.mat, (self.codes, self.params))
        inc = self._no_inc
        if self.noise is not None:
            scale, gen = self.noise
            k = max(1, min(k, 2_000_000 // len(scale)))  # at most 16 MB of increments at once
            inc = (scale * np.sqrt(dt)) * gen.standard_normal((k, len(scale)))
            inc = inc.astype(self.dtype, copy=False)
        G, g, nz, e = self._gains(dt)
        scheme = (G, g, nz, e, inc)
        done, r, bad = self.kernel(
            x, s0, k, model, scheme, self.buffers, (save_steps, out, r), self.bound,
            self.flush,
        )
        return int(done), int(r), int(bad)


def _numba_flush(dtype: np.dtype) -> float:
    from ._numba_kernels import FLUSH, FLUSH32

    return FLUSH32 if dtype == np.float32 else FLUSH


# --------------------------------------------------------------------------- schedule
def _n_steps(span: float, dt: float) -> int:
    q = span / dt
    nearest = round(q)
    if nearest >= 1 and abs(q - nearest) <= 1e-9 * max(1.0, q):
        return int(nearest)
    return max(1, int(np.ceil(q)))


def _save_steps(
    prob: Problem, dt: float, N: int, t_eval: FloatArray | None, save_every: int | None
) -> NDArray[np.int64]:
    if t_eval is not None:
        q = (t_eval - prob.t0) / dt
        steps = np.clip(np.rint(q), 0, N).astype(np.int64)
        steps[t_eval >= prob.t1] = N
        grid = np.where(steps < N, prob.t0 + steps * dt, prob.t1)
        off = np.abs(grid - t_eval) > 1e-9 * max(dt, 1e-300) + 1e-12 * np.abs(t_eval)
        if off.any():
            k = int(np.flatnonzero(off)[0])
            warnings.warn(
                f"t_eval: {int(off.sum())} time(s) are not on the grid t0 + k·dt (e.g. "
                f"t_eval[{k}] = {t_eval[k]:g}); the fixed-step path saves the nearest grid "
                "point and reports its time in Trajectory.t",
                EICircuitsWarning,
                stacklevel=4,
            )
        return steps
    every = 1 if save_every is None else int(save_every)
    steps = np.arange(0, N + 1, every, dtype=np.int64)
    if steps[-1] != N:
        steps = np.append(steps, N)
    return steps


def _schedule(prob: Problem, dt: float, t_eval: FloatArray | None, save_every: int | None,
              dtype: np.dtype) -> tuple[int, NDArray[np.int64], Any, Any]:
    """``(N, save_steps, times, step_dt)`` of a fixed-step run: the number of steps, the steps
    after which rows are saved, the time of step ``s`` and its length (the last one lands on
    ``t1``).

    Raises
    ------
    SizeLimitError
        The saved rows would exceed :data:`MAX_OUTPUT_BYTES`.
    """
    t0, t1 = prob.t0, prob.t1
    N = _n_steps(t1 - t0, dt)
    save_steps = _save_steps(prob, dt, N, t_eval, save_every)
    nbytes = len(save_steps) * prob.n * dtype.itemsize
    if nbytes > MAX_OUTPUT_BYTES:
        raise SizeLimitError(
            f"save_every/t_eval: saving {len(save_steps)} rows of {prob.n} neurons needs "
            f"{nbytes / 1024**3:.1f} GiB (limit {MAX_OUTPUT_BYTES / 1024**3:.0f} GiB); save "
            "fewer rows with save_every=k or t_eval"
        )

    def times(s: int) -> float:
        return t0 + s * dt if s < N else t1

    dt_last = t1 - times(N - 1)

    def step_dt(s: int) -> float:
        return dt if s + 1 < N else dt_last

    return N, save_steps, times, step_dt


def _run_key(prob: Problem, method: str, dt: float, save_steps: NDArray[np.int64],
             dtype: Any = np.float64) -> str:
    net = prob.net
    h = hashlib.sha256()
    if np.dtype(dtype) != np.float64:  # (float64 keys stay those of earlier versions)
        h.update(f"dtype:{dtype}".encode())
    h.update(net.fingerprint().encode())
    h.update(np.ascontiguousarray(net.tau).tobytes())
    h.update(repr(net.activations if net.uniform_activation is None else net.activation).encode())
    D = getattr(net, "delays", None)  # delays change the run as much as W does
    h.update(b"delays:none" if D is None else b"delays:" + b"".join(
        np.ascontiguousarray(a, dtype=dt_).tobytes()
        for a, dt_ in ((D.rows, np.int64), (D.cols, np.int64), (D.values, np.float64))))
    if hasattr(prob.u, "to_spec"):  # a stimulus protocol: its definition
        h.update(repr(prob.u.to_spec()).encode())
    elif callable(prob.u):  # what it returns (a different input must not continue a run)
        from .._validate import fingerprint_samples

        h.update(fingerprint_samples(prob.u_at, prob.t0, prob.t1).encode())
    else:
        h.update(np.ascontiguousarray(prob.u).tobytes())
    h.update(repr((prob.form, method, float(dt), prob.t0, prob.t1, prob.bound)).encode())
    h.update(np.ascontiguousarray(prob.x0).tobytes())
    h.update(np.ascontiguousarray(save_steps).tobytes())
    return h.hexdigest()


def _write_checkpoint(path: Path, key: str, s: int, r: int, x: FloatArray, out: FloatArray,
                      nfev: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, version=_CHECKPOINT_VERSION, key=key, s=s, r=r, x=x, rows=out[:r],
                 nfev=nfev)
    os.replace(tmp, path)


def _read_checkpoint(path: Path, key: str) -> dict[str, Any]:
    try:
        with np.load(path, allow_pickle=False) as data:
            ck = {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError) as exc:
        raise ValidationError(f"resume: cannot read checkpoint {str(path)!r}: {exc}") from exc
    if int(ck.get("version", -1)) != _CHECKPOINT_VERSION or str(ck.get("key")) != key:
        raise ValidationError(
            f"resume: checkpoint {str(path)!r} was written for a different run (network, input, "
            "x0, t_span, dt, method, form or saving differ); resume only with the same "
            "arguments, or delete the file to start afresh"
        )
    return ck


# --------------------------------------------------------------------------- driver
def choose_backend(prob: Problem, backend: str, work: float) -> tuple[str, Any]:
    """Resolve ``backend`` to ``"numba"`` (with activation codes) or ``"numpy"``.

    ``"auto"`` picks numba when it applies and the run is long enough (``work``, the number of
    multiply-adds, at least :data:`NUMBA_MIN_WORK`) to pay for a first compilation.
    """
    codes = None
    why = ""
    if backend == "auto" and work < NUMBA_MIN_WORK:
        return "numpy", None
    if not _kernels.available():
        why = "numba is not installed (pip install numba)"
    elif prob.time_dependent:
        why = "the input u(t) depends on time"
    else:
        codes = _kernels.activation_codes(prob.net.activations)
        if codes is None:
            why = "an activation is not one of the built-in ones"
    if backend == "numba" and codes is None:
        raise ValidationError(f"backend: 'numba' cannot be used here: {why}; use 'numpy'")
    if backend == "numpy" or codes is None:
        return "numpy", None
    return "numba", codes


def run_fixed(
    prob: Problem,
    method: str,
    *,
    dt: float,
    t_eval: FloatArray | None,
    save_every: int | None,
    max_steps: int,
    until_steady: float | None,
    check_every: int,
    checkpoint: str | os.PathLike[str] | None,
    checkpoint_interval: float,
    resume: Any,
    backend: str,
    extended: dict[str, Any] | None = None,
    dtype: Any = np.float64,
) -> Trajectory:
    """Integrate ``prob`` with a fixed step; see :func:`~eicircuits.simulate`.

    ``extended`` (stimulus, noise, delays): keyword arguments of
    :class:`._extended.ExtendedCore` (``noise``, ``rngs``, ``history``); the run then goes
    through that core with one member. ``dtype`` (float64 or float32; ``simulate`` refuses
    float32 with ``extended``): the precision of the state, the buffers and the saved rows.
    """
    dtype = np.dtype(dtype)
    t0, t1 = prob.t0, prob.t1
    N, save_steps, times, step_dt = _schedule(prob, dt, t_eval, save_every, dtype)
    dt_last = step_dt(N - 1)

    stepper: Any
    numba_noise = extended.pop("numba_noise", None) if extended is not None else None
    if numba_noise is not None and backend != "numpy":
        nnz = prob.net.W.nnz if prob.net.is_sparse else prob.n * prob.n
        which, codes = choose_backend(prob, backend, float(N) * (nnz + prob.n))
        if which == "numba":  # white-noise Euler–Maruyama in the compiled kernel
            extended = None
            stages = 1
            stepper = _NumbaStepper(prob, "euler-maruyama", codes, noise=numba_noise)
    if extended is not None:
        from ._extended import ExtendedCore, ExtendedStepper

        stages = SCHEMES[method].stages
        core = ExtendedCore(prob.net, prob.form, method, prob.x0[None, :], prob.u, t0=t0,
                            dt=dt, N=N, t1=t1, **extended)
        stepper = ExtendedStepper(core, prob.bound)
    elif numba_noise is None or backend == "numpy":
        nnz = prob.net.W.nnz if prob.net.is_sparse else prob.n * prob.n
        stages = SCHEMES[method].stages
        which, codes = choose_backend(prob, backend, float(N) * stages * (nnz + prob.n))
        stepper = (
            _NumbaStepper(prob, method, codes, dtype=dtype) if which == "numba"
            else _NumpyStepper(prob, method, dtype)
        )

    out = np.empty((len(save_steps), prob.n), dtype)
    x = prob.x0.astype(dtype)
    s, r, nfev = 0, 0, 0
    ck_path = Path(checkpoint) if checkpoint is not None else None
    # hashing W is only worth it when checkpoints are written or read
    key = "" if ck_path is None and resume in (None, False) else _run_key(
        prob, method, dt, save_steps, dtype
    )
    resume_path: Path | None = None
    if resume is True:
        if ck_path is None:
            raise ValidationError("resume: resume=True needs checkpoint=path")
        resume_path = ck_path if ck_path.exists() else None
    elif resume not in (None, False):
        resume_path = Path(resume)
        if not resume_path.exists():
            raise ValidationError(f"resume: checkpoint file {str(resume_path)!r} does not exist")
    if resume_path is not None:
        ck = _read_checkpoint(resume_path, key)
        s, r, nfev = int(ck["s"]), int(ck["r"]), int(ck["nfev"])
        x[:] = ck["x"]
        out[:r] = ck["rows"]
    while r < len(save_steps) and save_steps[r] == s:
        out[r] = x
        r += 1

    status: str | None = None
    message = ""
    chunk = 16
    last_ck = time.monotonic()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        while True:
            if until_steady is not None and (s % check_every == 0 or s == N):
                res = float(np.max(np.abs(stepper.target(x, times(s), np.empty(prob.n, dtype)) - x)
                                   / prob.net.tau))
                nfev += 1
                if res < until_steady:
                    status = "steady"
                    message = (f"steady: ‖ẋ‖∞ = {res:.3g} < {until_steady:g} at "
                               f"t = {times(s):.6g} (step {s})")
                    break
            if s >= N:
                status = "success"
                message = success_message(t1, N, dt)
                break
            if s >= max_steps:
                status = "max_steps"
                message = (
                    f"stopped after max_steps = {max_steps} steps at t = {times(s):.6g} < "
                    f"t1 = {t1:g}; the run needs {N} steps of dt = {dt:g}: increase max_steps"
                    + (" (resume=True continues from the checkpoint)" if ck_path else "")
                )
                break
            k = min(chunk, N - s, max_steps - s)
            if until_steady is not None:
                k = min(k, check_every - s % check_every)
            if s + k == N and dt_last != dt and k > 1:
                k -= 1  # the shortened last step runs alone, with its own coefficients
            started = time.perf_counter()
            done, r, bad = stepper.advance(x, s, k, times, step_dt, save_steps, out, r)
            elapsed = time.perf_counter() - started
            s += done
            nfev += done * stages
            if bad >= 0:
                status = "diverged"
                bad_state = x.copy()
                stepper_np = stepper if isinstance(stepper, _NumpyStepper) else stepper._np
                stepper_np.step(bad_state, times(s), step_dt(s))
                message = divergence_message(prob, times(s + 1), bad, float(bad_state[bad]),
                                             times(s))
                break
            if elapsed < 0.05 and chunk < (1 << 20):
                chunk *= 2
            elif elapsed > 0.5 and chunk > 1:
                chunk //= 2
            if ck_path is not None and time.monotonic() - last_ck >= checkpoint_interval:
                _write_checkpoint(ck_path, key, s, r, x, out, nfev)
                last_ck = time.monotonic()
    if ck_path is not None and status in ("success", "steady", "max_steps"):
        _write_checkpoint(ck_path, key, s, r, x, out, nfev)
    t_out = np.where(save_steps[:r] < N, t0 + save_steps[:r] * dt, t1)
    x_out = out if r == len(out) else out[:r].copy()
    if status != "success" and (r == 0 or save_steps[r - 1] != s):
        t_out = np.append(t_out, times(s))
        x_out = np.vstack([x_out, x[None, :]])
    return Trajectory(
        t=np.asarray(t_out, dtype=float),
        x=x_out,
        status=status,
        message=message,
        form=prob.form,
        method=method,
        nfev=nfev,
        steps=s,
        net=prob.net,
        u=prob.u,
        dt=float(dt),
    )


def run_fixed_jax(prob: Problem, method: str, *, dt: float, save_every: int | None,
                  dtype: Any = np.float64) -> Trajectory:
    """Integrate ``prob`` on the JAX backend (:func:`._jax.run_jax_single`): a deterministic
    scheme, constant input or a piecewise-constant stimulus, rows every ``save_every`` steps.

    The compiled program does not check the bound; its rows, and the largest ``|x_i|`` it
    kept for the steps between two rows, are checked here. The first interval of steps that
    left the bound (or became non-finite) is replayed by the NumPy stepper from the row
    before it, step by step, to find the step and the neuron; the trajectory keeps the last
    finite state, as in the other backends.
    """
    from . import _jax

    dtype = np.dtype(dtype)
    t0, t1 = prob.t0, prob.t1
    every = 1 if save_every is None else int(save_every)
    N, save_steps, times, step_dt = _schedule(prob, dt, None, every, dtype)

    table, u = None, prob.u
    if hasattr(prob.u, "switching_times"):  # a piecewise-constant stimulus protocol
        table = _jax.piecewise_table([prob.u], 1, prob.n, t0)
        u = np.zeros(prob.n)
    x_all, peaks = _jax.run_jax_single(prob.net, prob.form, method, prob.x0, u, dt=dt,
                                       dt_last=step_dt(N - 1), N=N, every=every, table=table,
                                       dtype=dtype)
    rows = x_all[1:]
    t_all = np.where(save_steps < N, t0 + save_steps * dt, t1).astype(float)
    bound = min(prob.bound, float(np.finfo(dtype).max))
    stages = SCHEMES[method].stages
    if peaks is None:  # every state is a row: two passes, no temporaries; NaN fails
        within = bool(-bound <= rows.min() and rows.max() <= bound)
    else:
        peaks = peaks[:-1]  # peaks[k]: the steps from row k to row k + 1
        within = bool(peaks.max() <= bound)
    if within:
        return Trajectory(t=t_all, x=x_all, status="success",
                          message=success_message(t1, N, dt),
                          form=prob.form, method=method, nfev=N * stages, steps=N,
                          net=prob.net, u=prob.u, dt=float(dt))
    with np.errstate(invalid="ignore"):
        fine = (np.all(np.abs(rows) <= bound, axis=1) if peaks is None
                else peaks <= bound)  # False for NaN too
    j = int(np.argmin(fine)) + 1  # the run left the bound between rows j − 1 and j
    x = x_all[j - 1].copy()
    stepper = _NumpyStepper(prob, method, dtype)
    s = int(save_steps[j - 1])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        while True:  # replay up to the bad row; the run left the bound in between
            nxt = x.copy()
            stepper.step(nxt, times(s), step_dt(s))
            bad = np.flatnonzero(~(np.abs(nxt) <= bound))
            if bad.size or s + 1 >= save_steps[j]:
                break
            x, s = nxt, s + 1
    # (no bad step in the replay: JAX's rounding crossed the bound where NumPy's did not; the
    # interval's last step is then reported, with its largest state)
    i = int(bad[0]) if bad.size else int(np.argmax(np.abs(nxt)))
    value = float(nxt[i])
    keep = save_steps <= s
    t_out, x_out = t_all[keep], x_all[keep]
    if save_steps[keep][-1] != s:
        t_out = np.append(t_out, times(s))
        x_out = np.vstack([x_out, x[None, :]])
    return Trajectory(
        t=t_out, x=x_out, status="diverged",
        message=divergence_message(prob, times(s + 1), i, value, times(s)),
        form=prob.form, method=method, nfev=s * stages, steps=s, net=prob.net, u=prob.u,
        dt=float(dt))
