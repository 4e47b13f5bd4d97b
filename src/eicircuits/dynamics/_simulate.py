"""The entry point :func:`simulate`: validate, pick a method from the registry, dispatch."""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._threads import blas_threads, resolve_threads
from ..errors import EICircuitsWarning, ValidationError
from ..network import Network
from ..noise import Noise
from ..stimulus import Stimulus
from ._adaptive import SCIPY_METHODS, run_adaptive
from ._extended import member_rngs
from ._fixed_step import BACKENDS, NUMBA_REFUSAL, run_fixed, run_fixed_jax
from ._problem import Problem
from ._schemes import FIXED_METHODS, SDE_METHODS
from ._trajectory import Trajectory

__all__ = ["simulate", "METHODS", "FORMS", "DEFAULT_MAX_STEPS", "DEFAULT_BOUND"]

#: Every method name: SciPy's adaptive solvers and the fixed-step schemes (which need ``dt``).
METHODS: dict[str, str] = {
    **{name: "adaptive" for name in SCIPY_METHODS},
    **{name: "fixed" for name in FIXED_METHODS},
    **{name: "fixed" for name in SDE_METHODS},
}

FORMS = ("rate", "voltage")

#: Default cap on the number of time steps.
DEFAULT_MAX_STEPS = 10_000_000

#: Default divergence bound on ``|x|``.
DEFAULT_BOUND = 1e12


def _positive(name: str, value: Any, *, allow_none: bool = False) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValidationError(f"{name}: expected a number > 0, got {value!r}")
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise ValidationError(f"{name}: must be a finite number > 0, got {value!r}")
    return v


def _check_t_span(t_span: Any) -> tuple[float, float]:
    """``(t0, t1)`` as finite floats with ``t1 > t0``."""
    try:
        t0, t1 = (float(v) for v in t_span)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"t_span: expected (t0, t1), got {t_span!r}") from exc
    if not (math.isfinite(t0) and math.isfinite(t1)):
        raise ValidationError(f"t_span: t0 and t1 must be finite, got {t_span!r}")
    if not t1 > t0:
        raise ValidationError(f"t_span: need t1 > t0, got t0 = {t0:g}, t1 = {t1:g}")
    return t0, t1


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValidationError(f"{name}: expected an integer ≥ 1, got {value!r}")
    return int(value)


def _check_u(net: Network, u: Any, t0: float) -> np.ndarray | Callable[[float], Any]:
    if u is None:
        return net.u
    if isinstance(u, Stimulus):
        u._check_size(net.n)
        return u
    if callable(u):
        val = np.asarray(u(t0), dtype=float)
        if val.shape != (net.n,):
            raise ValidationError(
                f"u: a callable input must return shape ({net.n},); u(t0) returned shape "
                f"{val.shape}"
            )
        return u
    try:
        arr = np.array(u, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"u: expected a vector, a callable u(t) or None, got {u!r}") from exc
    if arr.ndim == 0:
        arr = np.full(net.n, float(arr))
    if arr.shape != (net.n,):
        raise ValidationError(f"u: expected shape ({net.n},) to match the network, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        i = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValidationError(f"u: every entry must be finite; u[{i}] = {arr[i]}")
    arr.setflags(write=False)
    return arr


def _resolve_method(method: Any, dt: float | None, noise: Any = None) -> str:
    if not isinstance(method, str) or (method != "auto" and method not in METHODS):
        options = ", ".join(["'auto'", *(repr(m) for m in METHODS)])
        raise ValidationError(f"method: unknown method {method!r}; expected one of {options}")
    if method == "auto":
        if noise is not None:
            return "euler-maruyama"
        return "exp-euler" if dt is not None else "RK45"
    return method


def check_random_callable(u: Any, t0: float) -> None:
    """Refuse a callable ``u(t)`` that gives two values at the same time (random input)."""
    if not callable(u) or isinstance(u, Stimulus):
        return
    a = np.asarray(u(t0), dtype=float)
    b = np.asarray(u(t0), dtype=float)
    if a.shape != b.shape or not np.array_equal(a, b):
        raise ValidationError(
            f"u: the callable u(t) returned two different values at the same t = {t0:g}: a "
            "random input. Adaptive solvers need a deterministic u(t) (they re-evaluate it "
            "and reject steps, and stall on random input). For noise pass "
            "noise=eicircuits.Noise(sigma) (white or Ornstein–Uhlenbeck, on the rates or the "
            "input) with method='euler-maruyama' or 'stochastic-heun' and a step dt"
        )


def check_extended(name: str, kind: str, net: Network, noise: Any, form: str) -> None:
    """Validate the combination of method, noise and delays."""
    if noise is not None:
        if not isinstance(noise, Noise):
            raise ValidationError(f"noise: expected an eicircuits.Noise, got {noise!r}")
        noise.check(net.n, form)
        if name not in SDE_METHODS:
            raise ValidationError(
                f"method: {name!r} is deterministic; with noise use 'euler-maruyama' or "
                "'stochastic-heun' (method='auto' picks 'euler-maruyama') and a step dt"
            )
    if getattr(net, "delays", None) is not None and kind == "adaptive":
        raise ValidationError(
            f"method: {name!r} cannot integrate delays; a network with delays is simulated by "
            "the fixed-step methods (give dt, e.g. method='rk4', dt=0.01)"
        )


def _check_dtype(dtype: Any) -> np.dtype:
    """``dtype`` as ``np.dtype('float64')`` or ``np.dtype('float32')``."""
    try:
        d = np.dtype(dtype)
    except TypeError as exc:
        raise ValidationError(
            f"dtype: expected np.float64 or np.float32, got {dtype!r}"
        ) from exc
    if d not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ValidationError(f"dtype: expected np.float64 or np.float32, got {dtype!r}")
    return d


def _refuse_float32(*, name: Any, dt: Any, net: Network, u: Any, noise: Any,
                    batch: bool) -> None:
    """Refuse float32 where only float64 is implemented (naming ``dtype`` and the reason)."""
    why = None
    if batch:
        why = "a batch (x0 of shape (B, n))"
    elif noise is not None:
        why = "noise"
    elif getattr(net, "delays", None) is not None:
        why = "a network with delays"
    elif isinstance(u, Stimulus):
        why = "a stimulus protocol (pass a constant u or a callable u(t))"
    elif isinstance(name, str) and name in SDE_METHODS:
        why = f"the stochastic method {name!r}"
    elif isinstance(name, str) and (METHODS.get(name) == "adaptive"
                                    or (name == "auto" and dt is None)):
        why = f"the adaptive method {'RK45' if name == 'auto' else name!r} (give dt and a " \
              "fixed-step method: 'euler', 'exp-euler', 'heun', 'midpoint', 'rk4')"
    if why is not None:
        raise ValidationError(
            f"dtype: float32 runs only deterministic fixed-step methods with a constant or "
            f"callable input; not available with {why}; use dtype=np.float64"
        )


def _as_batch(net: Network, x0: Any, t_span: Any, *, method: str, dt: Any, noise: Any,
              backend: str, others: dict[str, bool], **kw: Any) -> Any:
    """``simulate`` with ``x0`` of shape (B, n): the batch path (:func:`simulate_batch`)."""
    from ._batch import simulate_batch

    if dt is None:
        raise ValidationError(
            "dt: a batch of initial states (x0 of shape (B, n)) runs with a fixed step; give dt"
        )
    bad = [k for k, given in others.items() if given]
    if bad:
        raise ValidationError(
            f"{bad[0]}: not available for a batch (x0 of shape (B, n)); simulate members one "
            "at a time for it"
        )
    dt_v = _positive("dt", dt)
    name = _resolve_method(method, dt_v, noise)
    if METHODS[name] != "fixed":
        raise ValidationError(f"method: a batch runs a fixed-step method, got {name!r}")
    return simulate_batch(net, x0, t_span, dt=dt_v, method=name, noise=noise,
                          backend=backend, **kw)


def _single_on_jax(prob: Problem, method: str, *, dt: float, save_every: int | None,
                   noise: Any, dtype: np.dtype, limit: Any,
                   others: dict[str, bool]) -> Trajectory:
    """``simulate(..., backend="jax")``: the lean single-run program of the JAX backend."""
    from . import _jax

    bad = [k for k, given in others.items() if given]
    u = prob.u
    if callable(u) and not (isinstance(u, Stimulus) and u.piecewise_constant):
        bad.insert(0, "u")
    if noise is not None or method in SDE_METHODS:
        bad.insert(0, "noise" if noise is not None else "method")
    if getattr(prob.net, "delays", None) is not None:
        bad.insert(0, "delays")
    if bad:
        raise ValidationError(
            f"{bad[0]}: not available with backend='jax' (a deterministic fixed-step run of "
            "constant input or a piecewise-constant stimulus protocol, without delays, saved "
            "every save_every steps); use backend='numba' or 'numpy'"
        )
    _jax.require(prob.net)
    with blas_threads(limit):  # the NumPy replay of a diverging interval
        return run_fixed_jax(prob, method, dt=dt, save_every=save_every, dtype=dtype)


def simulate(
    net: Network,
    x0: ArrayLike,
    t_span: tuple[float, float],
    *,
    u: ArrayLike | Callable[[float], ArrayLike] | None = None,
    method: str = "auto",
    t_eval: ArrayLike | None = None,
    rtol: float = 1e-8,
    atol: float = 1e-10,
    max_steps: int = DEFAULT_MAX_STEPS,
    dt: float | None = None,
    until_steady: float | None = None,
    form: str = "rate",
    save_every: int | None = None,
    check_every: int = 50,
    bound: float = DEFAULT_BOUND,
    checkpoint: str | os.PathLike[str] | None = None,
    checkpoint_interval: float = 60.0,
    resume: bool | str | os.PathLike[str] | None = None,
    backend: str = "auto",
    threads: int | str | None = "auto",
    noise: Noise | None = None,
    rng: Any = None,
    history: Callable[[float], ArrayLike] | None = None,
    dtype: Any = np.float64,
) -> Trajectory:
    """Simulate ``τ ẋ = −x + Φ(Wx + u)`` (or the voltage form ``τ v̇ = −v + WΦ(v) + u``).

    Parameters
    ----------
    net : Network
        The network (its ``W``, ``tau``, activations; its ``u`` unless ``u`` is given).
    x0 : array_like, shape (n,) or (B, n)
        Initial state (rates; voltages ``v0`` in the voltage form). Finite. A 2-D ``x0`` is a
        batch of ``B`` runs: the call is :func:`~eicircuits.simulate_batch` (fixed step,
        ``backend`` ``"auto"``/``"numpy"``/``"jax"``) and returns a ``BatchTrajectory``.
    t_span : (t0, t1)
        Time interval, ``t1 > t0``, in the unit of ``net.tau``.
    u : array_like, Stimulus, callable or None
        Input: ``None`` (``net.u``), a constant vector (or scalar), a stimulus protocol of
        :mod:`eicircuits.stimulus` (adaptive methods integrate piecewise between its switching
        times; fixed-step methods sample it on their grid), or a deterministic callable
        ``u(t)`` returning shape (n,). A random callable is refused by the adaptive methods:
        use ``noise``.
    method : str
        ``"auto"``; SciPy's adaptive ``"RK45"``, ``"RK23"``, ``"DOP853"``, ``"Radau"``,
        ``"BDF"``, ``"LSODA"``; or a fixed-step ``"euler"``, ``"exp-euler"``, ``"heun"``,
        ``"midpoint"``, ``"rk4"``, and the stochastic ``"euler-maruyama"`` and
        ``"stochastic-heun"`` (these need ``dt``). **Rule for "auto"**: with ``noise``,
        ``"euler-maruyama"``; otherwise: with ``dt`` given,
        ``"exp-euler"`` (one mat-vec per step, stable on the leak for any ``dt``: the fast path
        for large sparse networks); without ``dt``, the adaptive ``"RK45"`` (accuracy
        ``rtol``/``atol``, for small and dense networks). For stiff problems (very unequal
        ``tau``) pick ``"LSODA"`` or ``"BDF"``.
    t_eval : array_like, optional
        Sorted times in ``[t0, t1]`` at which to save the state. Adaptive methods interpolate
        (dense output); fixed-step methods save the nearest grid point ``t0 + k dt`` (with a
        warning when off the grid) and report its time. Default: every step.
    rtol, atol : float
        Tolerances of the adaptive methods.
    max_steps : int
        Most time steps to take; reaching it gives status ``"max_steps"`` with the partial
        trajectory.
    dt : float, optional
        The fixed step (required by the fixed-step methods; ignored with a warning by the
        adaptive ones). The last step is shortened to land on ``t1`` when ``dt`` does not divide
        the span.
    until_steady : float, optional
        Stop, with status ``"steady"``, once ``‖ẋ‖∞ < until_steady``: checked after every
        adaptive step, every ``check_every`` fixed steps. An adaptive solver resolves ``ẋ``
        only to about ``rtol·|x|/τ``: ask for a smaller ``until_steady`` with smaller tolerances.
    form : {"rate", "voltage"}
        Which form to integrate.
    save_every : int, optional
        Fixed-step only: save every ``k``-th step (and the last). Exclusive with ``t_eval``.
    check_every : int
        Fixed-step only: steps between ``until_steady`` checks (each costs one evaluation).
    bound : float
        A state with ``|x_i| > bound`` (or non-finite) counts as diverged.
    checkpoint : path, optional
        Fixed-step only: write the run's state and saved rows (``.npz``) to this file every
        ``checkpoint_interval`` seconds and at the end (atomically).
    checkpoint_interval : float
        Seconds of wall time between checkpoints (``0``: after every chunk of steps).
    resume : bool or path, optional
        Fixed-step only: continue from a checkpoint written by a run with the same arguments
        (``True``: from ``checkpoint`` if that file exists, else start afresh). The result is
        the same as that of an uninterrupted run.
    backend : {"auto", "numpy", "numba", "jax"}
        Fixed-step only; the same set as :func:`~eicircuits.simulate_batch`, every backend
        running the same scheme definitions (:mod:`eicircuits.dynamics._schemes`): the
        compiled kernel (numba, optional dependency; constant input and built-in
        activations), the NumPy loop, or JAX (one compiled ``lax.scan``, float64 or float32:
        a deterministic scheme, constant input or a piecewise-constant stimulus, no delays,
        without ``t_eval``, ``until_steady``, checkpoints or ``max_steps``; the fastest for long
        float32 runs of small dense networks). ``"auto"`` prefers numba when it applies.
    threads : "auto", int or None
        BLAS threads during the run (``"auto"``: 1 for dense ``W`` with n ≤ 2048, whose
        mat-vecs are too small for threads to pay off; ``None``: leave as is).
    noise : Noise, optional
        Additive noise (:class:`~eicircuits.Noise`: white or Ornstein–Uhlenbeck, on the rates
        or inside the input), ``τ dx = (−x + Φ(Wx + u)) dt + σ dB`` for ``kind="rate"``. Needs
        ``"euler-maruyama"`` or ``"stochastic-heun"`` and ``dt``.
    rng : int, SeedSequence, Generator or None
        The random stream of a noisy run: an int seed (the run is member 0 of
        ``simulate_batch(..., rng=seed)``), a ``SeedSequence`` or ``Generator`` used as is;
        ``None``: fresh entropy, kept in ``Trajectory.seed`` so the run can be repeated.
    history : callable, optional
        With delays: the state ``h(t)`` for ``t < t0`` (default: the constant ``x0``).
    dtype : {np.float64, np.float32}
        Precision of a deterministic fixed-step run (``"euler"``, ``"exp-euler"``, ``"heun"``,
        ``"midpoint"``, ``"rk4"``; numba, NumPy or JAX backend): with ``np.float32`` the state,
        ``W``, ``u``, the step coefficients and the stage buffers are float32, every operation
        rounds to float32, and ``Trajectory.x`` is float32 (``t`` stays float64). Faster (half
        the memory traffic, twice the SIMD width) and accurate to float32 rounding: on a
        contracting network the trajectory agrees with the float64 one to about 1e-6 relative.
        Refused (``ValidationError``) with adaptive methods, noise, delays, stimulus protocols
        and batches.

    Stimulus protocols, noise and delays (``Network(..., delays=...)``) run on the NumPy
    backend through one batched stepper (:mod:`eicircuits.dynamics._extended`); white-noise
    Euler–Maruyama with a constant input also runs in the numba kernel (same random numbers,
    same path to rounding). Delays need a fixed-step method with ``dt`` no longer than the
    shortest delay.

    Returns
    -------
    Trajectory
        ``t`` (T,), ``x`` (T, n), ``status`` (``"success"``, ``"steady"``, ``"diverged"``,
        ``"max_steps"``, ``"failed"``) and a ``message``. Never contains NaN: a diverging run
        stops and keeps its finite part.

    Raises
    ------
    ValidationError
        Bad ``x0`` (shape, non-finite), ``t_span`` (``t1 ≤ t0``), ``dt ≤ 0``, unknown
        ``method``/``form``/``backend``, a fixed-step method without ``dt``, options that
        contradict each other, a checkpoint from a different run.
    SizeLimitError
        The saved output would exceed 2 GiB (use ``save_every`` or ``t_eval``).

    Examples
    --------
    >>> import numpy as np
    >>> from eicircuits import Network, simulate
    >>> net = Network(W=[[0.5, -1.0], [1.0, -0.5]], u=[1.0, 0.5], cell_types="EI")
    >>> traj = simulate(net, np.zeros(2), (0.0, 100.0), until_steady=1e-7)
    >>> traj.status
    'steady'
    >>> bool(np.allclose(traj.final, net.phi(net.W @ traj.final + net.u), atol=1e-6))
    True
    >>> fast = simulate(net, np.zeros(2), (0.0, 50.0), dt=0.01, method="rk4", save_every=1000)
    >>> fast.t.shape, bool(np.allclose(fast.final, traj.final, atol=1e-6))
    ((6,), True)
    """
    if not isinstance(net, Network):
        raise ValidationError(f"net: expected an eicircuits.Network, got {type(net).__name__}")
    if not isinstance(form, str) or form not in FORMS:
        raise ValidationError(f"form: expected 'rate' or 'voltage', got {form!r}")
    prec = _check_dtype(dtype)
    if prec != np.float64:
        _refuse_float32(name=method, dt=dt, net=net, u=u, noise=noise, batch=np.ndim(x0) == 2)
    if np.ndim(x0) == 2:  # a batch: the leading axis of x0
        return _as_batch(
            net, x0, t_span, u=u, method=method, dt=dt, form=form, save_every=save_every,
            bound=bound, backend=backend, threads=threads, noise=noise, rng=rng,
            history=history, others={
                "t_eval": t_eval is not None, "until_steady": until_steady is not None,
                "checkpoint": checkpoint is not None, "resume": resume not in (None, False),
                "max_steps": max_steps != DEFAULT_MAX_STEPS,
            },
        )
    try:
        x0a = np.array(x0, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"x0: expected a vector of numbers, got {x0!r}") from exc
    if x0a.shape != (net.n,):
        raise ValidationError(
            f"x0: expected shape ({net.n},) to match the network, got shape {x0a.shape}"
        )
    if not np.all(np.isfinite(x0a)):
        i = int(np.flatnonzero(~np.isfinite(x0a))[0])
        raise ValidationError(f"x0: every entry must be finite; x0[{i}] = {x0a[i]}")
    t0, t1 = _check_t_span(t_span)
    dt_v = _positive("dt", dt, allow_none=True)
    name = _resolve_method(method, dt_v, noise)
    kind = METHODS[name]
    check_extended(name, kind, net, noise, form)
    if kind == "fixed" and dt_v is None:
        raise ValidationError(
            f"dt: the fixed-step method {name!r} needs a step, e.g. dt=0.01 (in the unit of tau)"
        )
    rtol_v = _positive("rtol", rtol)
    atol_v = _positive("atol", atol)
    steps_v = _positive_int("max_steps", max_steps)
    steady_v = _positive("until_steady", until_steady, allow_none=True)
    bound_v = _positive("bound", bound)
    check_v = _positive_int("check_every", check_every)
    if save_every is not None:
        save_every = _positive_int("save_every", save_every)
    if not isinstance(backend, str) or backend not in BACKENDS:
        raise ValidationError(f"backend: expected one of {BACKENDS}, got {backend!r}")
    if isinstance(checkpoint_interval, bool) or not isinstance(
        checkpoint_interval, (int, float)
    ) or not checkpoint_interval >= 0:
        raise ValidationError(
            f"checkpoint_interval: expected seconds ≥ 0, got {checkpoint_interval!r}"
        )
    t_ev = None
    if t_eval is not None:
        t_ev = np.array(t_eval, dtype=float).ravel()
        if t_ev.size == 0 or not np.all(np.isfinite(t_ev)):
            raise ValidationError("t_eval: expected a non-empty array of finite times")
        if np.any(np.diff(t_ev) < 0):
            raise ValidationError("t_eval: times must be sorted in increasing order")
        if t_ev[0] < t0 or t_ev[-1] > t1:
            raise ValidationError(
                f"t_eval: times must lie in t_span = [{t0:g}, {t1:g}], got "
                f"[{t_ev[0]:g}, {t_ev[-1]:g}]"
            )
        if save_every is not None:
            raise ValidationError("save_every: give either t_eval or save_every, not both")
    limit = resolve_threads(threads, net.W)
    uu = _check_u(net, u, t0)
    prob = Problem(net=net, form=form, x0=x0a, t0=t0, t1=t1, u=uu, bound=bound_v)
    if history is not None and getattr(net, "delays", None) is None:
        raise ValidationError("history: only used with delays (Network(..., delays=...))")
    if kind == "adaptive":
        check_random_callable(uu, t0)
        ignored = [
            nm for nm, val, default in (
                ("dt", dt_v, None), ("save_every", save_every, None),
                ("checkpoint", checkpoint, None), ("resume", resume, None),
                ("backend", backend, "auto"),
            ) if val != default and not (nm == "resume" and val is False)
        ]
        if ignored:
            warnings.warn(
                f"{', '.join(ignored)}: no effect with the adaptive method {name!r}; use a "
                "fixed-step method ('euler', 'exp-euler', 'heun', 'midpoint', 'rk4')",
                EICircuitsWarning,
                stacklevel=2,
            )
        with blas_threads(limit):
            return run_adaptive(prob, name, t_eval=t_ev, rtol=rtol_v, atol=atol_v,
                                max_steps=steps_v, until_steady=steady_v)
    if backend == "jax":
        return _single_on_jax(
            prob, name, dt=dt_v, save_every=save_every, noise=noise, dtype=prec,
            limit=limit, others={
                "t_eval": t_ev is not None, "until_steady": steady_v is not None,
                "checkpoint": checkpoint is not None, "resume": resume not in (None, False),
                "max_steps": steps_v != DEFAULT_MAX_STEPS, "history": history is not None,
            },
        )
    extended = None
    has_delays = getattr(net, "delays", None) is not None
    # white-noise Euler–Maruyama with a constant input also runs in the numba kernel
    numba_noise = (noise is not None and noise.white and name == "euler-maruyama"
                   and not has_delays and not callable(uu))
    if (isinstance(uu, Stimulus) or noise is not None or has_delays
            or name in SDE_METHODS):
        if backend == "numba" and not numba_noise:
            raise ValidationError(NUMBA_REFUSAL)
        if (noise is not None or has_delays) and (checkpoint is not None
                                                  or resume not in (None, False)):
            raise ValidationError(
                "checkpoint: runs with noise or delays cannot be checkpointed (their random "
                "stream and delay buffer are not saved); run without checkpoint/resume"
            )
        if noise is not None and steady_v is not None:
            raise ValidationError(
                "until_steady: a noisy run never becomes steady; give a fixed t_span"
            )
        if noise is not None and rng is None:  # fresh entropy, recorded as the seed
            rng = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
        rngs = member_rngs(rng, 1, single=True) if noise is not None else None
        extended = {"noise": noise, "rngs": rngs, "history": history}
        if numba_noise:
            extended["numba_noise"] = (noise.sigma_vector(net.n) / net.tau, rngs[0])
    elif rng is not None:
        warnings.warn("rng: no effect without noise", EICircuitsWarning, stacklevel=2)
    with blas_threads(limit):
        traj = run_fixed(
            prob, name, dt=dt_v, t_eval=t_ev, save_every=save_every, max_steps=steps_v,
            until_steady=steady_v, check_every=check_v, checkpoint=checkpoint,
            checkpoint_interval=float(checkpoint_interval), resume=resume, backend=backend,
            extended=extended, dtype=prec,
        )
    if noise is not None:
        seed = int(rng) if isinstance(rng, (int, np.integer)) else None
        traj = dataclasses.replace(traj, noise=noise, seed=seed)
    return traj
