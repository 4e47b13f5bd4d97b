"""The fixed-step core for time-varying input, noise and delays (docs/theory.md §7).

One stepper, written once for a batch ``X`` of shape (B, n) (a single run is B = 1), advances

``τ dx = (−x + T(x, t)) dt + (noise)``, ``T = Φ(Σ_d W_d x(t − d) + u(t) [+ η])`` (rate form) or
``Σ_d W_d Φ(v(t − d)) + u(t) [+ η]`` (voltage form),

with every scheme of :mod:`._schemes` (the one definition the other backends run too),
deterministic and stochastic:

- ``euler-maruyama``: ``x ← x + (h/τ)(T(x) − x) + (σ/τ)√h ξ`` (strong order 1 for additive
  noise);
- ``stochastic-heun``: predictor ``x̃ = x + (h/τ)(T(x) − x) + ΔN``, corrector
  ``x ← x + (h/2τ)(T(x) − x + T(x̃) − x̃) + ΔN`` with the same increment ``ΔN`` (weak order 2
  for additive noise; converges to the Stratonovich solution, the Itô one for additive noise).

Inputs: a :class:`~eicircuits.stimulus.Stimulus` is sampled at every stage time of a block of
steps in one vectorised call (one per member when members have their own). Noise: each member
draws from its own generator (``np.random.SeedSequence`` children), ``n`` normals per step in
step order, so a member's path depends only on its seed — not on the backend, the batch size or
how the batch is split. Ornstein–Uhlenbeck input is advanced exactly. Delays: a ring buffer
keeps the last ``⌈d_max/dt⌉ + 2`` states (and their derivatives); a delayed state between grid
points is the cubic Hermite interpolant (linear with noise); before ``t0`` the history function
(default: the constant ``x0``) is evaluated exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..delays import MAX_DELAY_GROUPS
from ..errors import ValidationError
from ..network import Network
from ..noise import Noise
from ..stimulus import Stimulus
from ._schemes import SCHEMES, SDE_METHODS
from ._schemes import step as scheme_step

__all__ = ["SDE_METHODS", "ExtendedCore", "member_rngs", "check_history"]

FloatArray = NDArray[np.float64]

#: Target size (floats) of one block of pre-sampled stimulus values.
_BLOCK_FLOATS = 2_000_000


# --------------------------------------------------------------------------- random streams
def _seed_sequence(rng: Any) -> np.random.SeedSequence | None:
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise ValidationError(f"rng: a seed must be an integer ≥ 0, got {rng!r}")
        return np.random.SeedSequence(int(rng))
    return None


def _child(ss: np.random.SeedSequence, k: int) -> np.random.SeedSequence:
    """The ``k``-th child of ``ss``, as ``ss.spawn`` makes it (without mutating ``ss``)."""
    return np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, k),
                                  pool_size=ss.pool_size)


def member_rngs(rng: Any, B: int, *, single: bool = False) -> list[np.random.Generator]:
    """One generator per member.

    ``rng``: an int seed or a ``SeedSequence`` (member ``k`` gets child ``k``, as
    ``SeedSequence.spawn`` would make it); a ``Generator`` (``rng.spawn(B)``); ``None`` (fresh
    entropy); or, for a batch, a sequence of ``B`` seeds/sequences/generators used as they are.
    A single run (``single=True``) is member 0, except that a given ``SeedSequence`` or
    ``Generator`` is used directly (so member ``k`` of a batch is re-run alone with
    ``rng=np.random.SeedSequence(seed).spawn(B)[k]``).

    Raises
    ------
    ValidationError
        Anything else, or a sequence of the wrong length.
    """
    if single and isinstance(rng, np.random.SeedSequence):
        return [np.random.default_rng(rng)]
    if single and isinstance(rng, np.random.Generator):
        return [rng]
    if rng is None:
        rng = np.random.SeedSequence()
    ss = _seed_sequence(rng)
    if ss is not None:
        return [np.random.default_rng(_child(ss, k)) for k in range(B)]
    if isinstance(rng, np.random.Generator):
        return list(rng.spawn(B))
    if isinstance(rng, Sequence) and not isinstance(rng, (str, bytes)):
        if len(rng) != B:
            raise ValidationError(
                f"rng: a sequence of generators/seeds needs one per member ({B}), got {len(rng)}"
            )
        out = []
        for k, item in enumerate(rng):
            if isinstance(item, np.random.Generator):
                out.append(item)
            elif isinstance(item, np.random.SeedSequence) or _seed_sequence(item) is not None:
                out.append(np.random.default_rng(item))
            else:
                raise ValidationError(f"rng[{k}]: expected a seed, SeedSequence or Generator, "
                                      f"got {item!r}")
        return out
    raise ValidationError(
        f"rng: expected an integer seed, a numpy SeedSequence or Generator, or None, got {rng!r}"
    )


# --------------------------------------------------------------------------- inputs
class _Input:
    """Samples the input at arrays of times for every member: ``sample(times) -> (T, B, n)``."""

    def __init__(self, u: Any, B: int, n: int) -> None:
        self.B, self.n = B, n
        self.const: FloatArray | None = None
        self.stims: list[Any] | None = None
        if isinstance(u, np.ndarray):
            self.const = np.broadcast_to(u, (B, n)).astype(float)
        elif isinstance(u, (Stimulus,)) or callable(u):
            self.stims = [u]
        else:  # a list of per-member stimuli
            self.stims = list(u)
        # piecewise-constant stimuli: the value of the current piece, reused while a block of
        # times stays inside it (lo ≤ t < hi), so a batch of protocols costs few evaluations
        m = len(self.stims or ())
        self.pc = m > 0 and all(isinstance(s, Stimulus) and s.piecewise_constant
                                for s in self.stims)  # type: ignore[union-attr]
        self.lo = np.full(m, np.inf)
        self.hi = np.full(m, -np.inf)
        self.V = np.zeros((m, n))

    @property
    def constant(self) -> bool:
        return self.const is not None

    def _one(self, s: Any, times: FloatArray, left: NDArray[np.bool_] | None) -> FloatArray:
        if isinstance(s, Stimulus):
            st = np.asarray(s.switching_times, dtype=float)
            if st.size:  # snap times within rounding of a switch onto it
                k = np.clip(np.searchsorted(st, times), 1, st.size) - 1
                for cand in (st[k], st[np.minimum(k + 1, st.size - 1)]):
                    near = np.abs(times - cand) <= 1e-9 * np.maximum(1.0, np.abs(cand))
                    times = np.where(near, cand, times)
            vals = s.sample(times, self.n)
            if left is not None and left.any():
                vals[left] = s.sample(times[left], self.n, left=True)
            return vals
        vals = np.array([np.asarray(s(float(t)), dtype=float) for t in times])
        if vals.shape != (len(times), self.n) or not np.all(np.isfinite(vals)):
            raise ValidationError(
                f"u: u(t) must return a finite vector of shape ({self.n},); got shape "
                f"{vals.shape[1:]} or a non-finite entry near t = {times[0]!r}"
            )
        return vals

    def _piecewise(self, times: FloatArray, left: NDArray[np.bool_] | None) -> FloatArray:
        """``(T, m, n)`` values of piecewise-constant stimuli, reusing each member's piece."""
        tmin, tmax = float(times.min()), float(times.max())
        out = np.empty((len(times), len(self.V), self.n))
        out[:] = self.V[None]
        tol = 1e-9 * np.maximum(1.0, np.abs(self.hi))
        stale = np.flatnonzero(~((self.lo <= tmin) & (tmax < self.hi - tol)))
        for k in stale:
            s = self.stims[k]  # type: ignore[index]
            out[:, k] = self._one(s, times, left)
            st = np.asarray(s.switching_times, dtype=float)
            j = int(np.searchsorted(st, tmax, side="right"))
            lo = float(st[j - 1]) if j > 0 else -math.inf
            hi = float(st[j]) if j < st.size else math.inf
            mid = (lo + 1.0 if hi == math.inf else hi - 1.0 if lo == -math.inf
                   else 0.5 * (lo + hi))
            self.lo[k], self.hi[k] = lo, hi
            self.V[k] = s.sample(np.array([mid]), self.n)[0]
        return out

    def sample(self, times: FloatArray, left: NDArray[np.bool_] | None = None) -> FloatArray:
        """Values at ``times``; where ``left`` is true, the left limit (end of a step)."""
        if self.const is not None:
            return np.broadcast_to(self.const, (len(times), self.B, self.n))
        assert self.stims is not None
        if self.pc:
            v = self._piecewise(times, left)
        else:
            v = np.stack([self._one(s, times, left) for s in self.stims], axis=1)
        return np.broadcast_to(v, (len(times), self.B, self.n))


def check_history(history: Any, B: int, n: int) -> Callable[[float], FloatArray] | None:
    """Validate ``history`` (``None`` or a callable ``h(t)`` returning (n,) or (B, n))."""
    if history is None:
        return None
    if not callable(history):
        raise ValidationError(f"history: expected a callable h(t) for t < t0, got {history!r}")

    def hist(t: float) -> FloatArray:
        val = np.asarray(history(float(t)), dtype=float)
        if val.shape not in ((n,), (B, n)) or not np.all(np.isfinite(val)):
            raise ValidationError(
                f"history: h(t) must return a finite array of shape ({n},) or ({B}, {n}); at "
                f"t = {t:g} it returned shape {val.shape}"
            )
        return np.broadcast_to(val, (B, n))

    return hist


# --------------------------------------------------------------------------- the core
class ExtendedCore:
    """Advance a batch ``X`` (B, n) by fixed steps with input, noise and delays.

    The grid is ``t_s = t0 + s·dt`` for ``s < N`` and ``t_N = t1``; :meth:`step` takes step
    ``s`` (from ``t_s`` to ``t_{s+1}``) and must be called for ``s = 0, 1, …`` in order.
    """

    def __init__(
        self, net: Network, form: str, method: str, X0: FloatArray, u: Any, *,
        t0: float, dt: float, N: int, t1: float, noise: Noise | None,
        rngs: list[np.random.Generator] | None, history: Any = None,
    ) -> None:
        from ._fixed_step import _inplace_activation

        self.net, self.form, self.method = net, form, method
        self.B, self.n = X0.shape
        self.t0, self.dt, self.N, self.t1 = t0, dt, N, t1
        self.inv_tau = 1.0 / net.tau
        self.scheme = SCHEMES[method]
        self.stages = self.scheme.stages
        self.c = self.scheme.c
        self.phi = _inplace_activation(net)
        self.input = _Input(u, self.B, self.n)
        self._block: tuple[int, int, FloatArray] | None = None
        self.block_steps = max(1, min(4096, _BLOCK_FLOATS // max(1, self.B * self.n
                                                                    * self.stages)))
        # noise
        self.noise = noise
        self.rngs = rngs
        self.sigma = None if noise is None else noise.sigma_vector(self.n)
        self._xi: FloatArray | None = None
        self._xi_start = 0
        self.eta: FloatArray | None = None
        if noise is not None and not noise.white:
            sd = self.sigma / math.sqrt(2.0 * noise.tau)
            self.eta = np.stack([g.standard_normal(self.n) for g in rngs]) * sd  # type: ignore
        # delays
        self.delays = getattr(net, "delays", None)
        self.groups: list[tuple[float, Any]] = []
        self.W0: Any = net.W
        if self.delays is not None:
            groups = self.delays.groups(net.W)
            if len(groups) > MAX_DELAY_GROUPS:
                raise ValidationError(
                    f"delays: {len(groups)} distinct delay values; the simulation spends one "
                    f"mat-vec per distinct value and accepts at most {MAX_DELAY_GROUPS}: round "
                    "the delays (e.g. to multiples of dt)"
                )
            self.W0 = groups[0][1] if groups[0][0] == 0.0 else None
            self.groups = [(d, Wd) for d, Wd in groups if d > 0]
            dmin = min(d for d, _ in self.groups)
            if dmin < dt * (1 - 1e-9):
                raise ValidationError(
                    f"dt: the shortest non-zero delay {dmin:g} is shorter than dt = {dt:g}; a "
                    f"delayed state must lie in the past of each step: use dt ≤ {dmin:g}"
                )
            dmax = max(d for d, _ in self.groups)
            self.M = math.ceil(dmax / dt) + 3
            self.Xbuf = np.zeros((self.M, self.B, self.n))
            self.hermite = noise is None
            self.Fbuf = np.zeros((self.M, self.B, self.n)) if self.hermite else None
            self.X0 = X0.copy()
            self.history = check_history(history, self.B, self.n)
            # Grid points where ẋ jumps (a switch of the input; t0 + d when the history jumps
            # at t0): the Hermite interpolant of the interval ending there needs the left
            # derivative, one extra evaluation at each such point.
            self.FL: dict[int, FloatArray] = {}
            self.kinks: set[int] = set()
            if self.hermite:
                times = [t for st in (self.input.stims or []) if isinstance(st, Stimulus)
                         for t in st.switching_times]
                if self.history is not None:
                    times += [t0 + d for d, _ in self.groups]
                for tk in times:
                    q = (tk - t0) / dt
                    j = round(q)
                    if 0 < j < N and abs(q - j) <= 1e-9 * max(1.0, q):
                        self.kinks.add(j)
        elif history is not None:
            raise ValidationError("history: only used with delays (Network(..., delays=...))")
        self._gains: dict[float, Any] = {}

    # ------------------------------------------------------------------ pieces
    def times(self, s: int) -> float:
        return self.t0 + s * self.dt if s < self.N else self.t1

    def h(self, s: int) -> float:
        return self.dt if s + 1 < self.N else self.t1 - self.times(self.N - 1)

    def _matmul(self, Wd: Any, Y: FloatArray) -> FloatArray:
        if self.B == 1:
            return np.asarray(Wd @ Y[0])[None, :]
        if sp.issparse(Wd):
            return np.asarray(Wd @ Y.T).T
        return Y @ Wd.T

    def _u(self, s: int, i: int) -> FloatArray:
        if self.input.constant:
            return self.input.const  # type: ignore[return-value]
        blk = self._block
        if blk is None or not blk[0] <= s < blk[1]:
            lo, hi = s, min(self.N, s + self.block_steps)
            steps = np.arange(lo, hi)
            ts = np.array([self.times(int(q)) for q in steps])
            hs = np.array([self.h(int(q)) for q in steps])
            grid = (ts[:, None] + self.c[None, :] * hs[:, None]).ravel()
            # stages past the middle of a step see the value before a switch at its end
            left = np.broadcast_to(self.c[None, :] > 0.5, (hi - lo, len(self.c))).ravel()
            vals = self.input.sample(grid, left).reshape(hi - lo, len(self.c), self.B, self.n)
            blk = self._block = (lo, hi, vals)
        return blk[2][s - blk[0], i]

    def u_at(self, t: float) -> FloatArray:
        """The input at one time (for residual checks)."""
        return self.input.sample(np.array([t]))[0]

    def _delayed(self, q: float, s: int, left: bool = False) -> FloatArray:
        """The state at time ``q ≤ t_s`` from the buffer (or the history before ``t0``).

        ``left``: a stage at the end of a step takes the left limit at ``t0``, where a history
        function may jump to ``x0``.
        """
        tol = 1e-12 * max(1.0, abs(self.t0))
        if q < self.t0 - tol or (left and q <= self.t0 + tol and self.history is not None):
            if self.history is None:
                return self.X0
            return self.history(min(q, self.t0))
        r = (q - self.t0) / self.dt
        j = math.floor(r)
        th = r - j
        if th > 1.0 - 1e-9:
            j, th = j + 1, 0.0
        j = min(j, s)
        if th < 1e-9 or j >= s:
            return self.Xbuf[j % self.M]
        a, b = j % self.M, (j + 1) % self.M
        if not self.hermite:
            return self.Xbuf[a] * (1.0 - th) + self.Xbuf[b] * th
        h00 = 2 * th**3 - 3 * th**2 + 1
        h10 = th**3 - 2 * th**2 + th
        h01 = -2 * th**3 + 3 * th**2
        h11 = th**3 - th**2
        Fb = self.FL.get(j + 1)
        if Fb is None:
            Fb = self.Fbuf[b]  # type: ignore[index]
        return (h00 * self.Xbuf[a] + h01 * self.Xbuf[b]
                + self.dt * (h10 * self.Fbuf[a] + h11 * Fb))  # type: ignore[index]

    def target(self, Y: FloatArray, t: float, s: int, u: FloatArray,
               eta: FloatArray | None, left: bool = False) -> FloatArray:
        """``T(Y, t)`` with the delayed states of step ``s`` (``left``: end of the step)."""
        pre = self.form == "voltage"
        Z = np.zeros_like(Y) if self.W0 is None else self._matmul(
            self.W0, self.phi(Y.copy()) if pre else Y
        )
        for d, Wd in self.groups:
            Yd = self._delayed(t - d, s, left)
            Z += self._matmul(Wd, self.phi(np.array(Yd)) if pre else Yd)
        Z += u
        if eta is not None and (pre or self.noise.kind == "input"):  # type: ignore[union-attr]
            Z += eta
            return Z if pre else self.phi(Z)
        if pre:
            return Z
        Z = self.phi(Z)
        if eta is not None:  # OU noise on the rates: τẋ = −x + Φ(·) + η
            Z += eta
        return Z

    def gains(self, h: float) -> Any:
        """The scheme's gains for step ``h`` (:meth:`._schemes.Scheme.gains`)."""
        g = self._gains.get(h)
        if g is None:
            g = self._gains[h] = self.scheme.gains(h, self.inv_tau)
        return g

    def _normals(self, s: int) -> FloatArray:
        """The (B, n) standard normals of step ``s`` (drawn a block at a time)."""
        xi = self._xi
        if xi is None or not self._xi_start <= s < self._xi_start + xi.shape[0]:
            k = max(1, min(self.N - s, 4096, _BLOCK_FLOATS // max(1, self.B * self.n)))
            xi = np.stack([g.standard_normal((k, self.n)) for g in self.rngs], axis=1)  # type: ignore[union-attr]
            self._xi, self._xi_start = xi, s
        return xi[s - self._xi_start]

    # ------------------------------------------------------------------ one step
    def step(self, X: FloatArray, s: int) -> FloatArray:
        """Take step ``s`` from ``X`` (the state at ``t_s``); return the new state."""
        t, h = self.times(s), self.h(s)
        if self.delays is not None:
            self.Xbuf[s % self.M] = X
        noise = self.noise
        eta = eta_next = self.eta
        inc: FloatArray | None = None
        if noise is not None:
            xi = self._normals(s)
            if noise.white:
                inc = (self.sigma * self.inv_tau) * math.sqrt(h) * xi  # type: ignore[operator]
                eta = eta_next = None
            else:
                a = math.exp(-h / noise.tau)  # type: ignore[operator]
                eta_next = eta * a + (self.sigma * math.sqrt((1 - a * a) / (2 * noise.tau))) * xi  # type: ignore[operator]
        c = self.c
        stochastic = self.scheme.stochastic

        def stage(Y: FloatArray, i: int) -> FloatArray:
            # a stochastic scheme's stage at the end of the step sees the end-of-step OU input;
            # stages past the middle of a step see the value before a switch at its end
            e = eta_next if stochastic and c[i] == 1.0 else eta
            return self.target(Y, t + c[i] * h, s, self._u(s, i), e, bool(c[i] > 0.5))

        def derivative(i: int, K: FloatArray) -> None:
            if i == 0:  # the derivative at t_s, for the Hermite interpolant of delayed states
                self.Fbuf[s % self.M] = K * self.inv_tau  # type: ignore[index]

        Xn = scheme_step(self.scheme, X, self.gains(h), stage, inc=inc,
                         on_stage=derivative if self.delays is not None and self.hermite
                         else None)
        if noise is not None and not noise.white:
            self.eta = eta_next
        if self.delays is not None and s + 1 in self.kinks:
            t_end = self.times(s + 1)
            u_end = self._u(s, len(self.c) - 1) if self.c[-1] == 1.0 else self.input.sample(
                np.array([t_end]), np.array([True]))[0]
            T_end = self.target(Xn, t_end, s, u_end, None, True)
            self.FL[s + 1] = (T_end - Xn) * self.inv_tau
            for k in [k for k in self.FL if k < s + 1 - self.M]:
                del self.FL[k]
        return Xn

    def residual(self, X: FloatArray, s: int) -> FloatArray:
        """``‖ẋ‖`` parts: ``(T(X) − X)/τ`` at ``t_s`` (deterministic part; delays included)."""
        t = self.times(s)
        if self.delays is not None:
            self.Xbuf[s % self.M] = X
        return (self.target(X, t, s, self.u_at(t), None) - X) * self.inv_tau


# --------------------------------------------------------------------------- drivers
class ExtendedStepper:
    """The single-run (B = 1) face of :class:`ExtendedCore` for the driver of ``run_fixed``."""

    def __init__(self, core: ExtendedCore, bound: float) -> None:
        self.core = core
        self.bound = bound
        self._np = self
        self._bad: FloatArray | None = None

    def advance(
        self, x: FloatArray, s0: int, k: int, times: Any, step_dt: Any,
        save_steps: NDArray[np.int64], out: FloatArray, r: int,
    ) -> tuple[int, int, int]:
        nsave = len(save_steps)
        for j in range(k):
            s = s0 + j
            xn = self.core.step(x[None, :], s)[0]
            bad = ~(np.abs(xn) <= self.bound)
            if bad.any():
                self._bad = xn
                return j, r, int(np.flatnonzero(bad)[0])
            x[:] = xn
            while r < nsave and save_steps[r] == s + 1:
                out[r] = x
                r += 1
        return k, r, -1

    def target(self, x: FloatArray, t: float, out: FloatArray) -> FloatArray:
        core = self.core
        s = core.N if t >= core.t1 else round((t - core.t0) / core.dt)
        out[:] = core.residual(x[None, :], s)[0] / core.inv_tau + x
        return out

    def step(self, x: FloatArray, t: float, dt: float) -> None:
        """Replay the step that left the bound (for the divergence message)."""
        if self._bad is not None:
            x[:] = self._bad


def run_batch_extended(
    core: ExtendedCore, X0: FloatArray, *, saved: NDArray[np.int64], bound: float,
) -> tuple[FloatArray, FloatArray, NDArray[np.int64], NDArray[np.int64], FloatArray]:
    """Run the whole batch; returns ``(rows, X, stop, bad_i, bad_v)`` like ``_run_numpy``.

    A member that leaves the bound is frozen at its last valid state; it still draws its
    random numbers, so the other members (and itself, up to that point) do not depend on it.
    """
    B, n = X0.shape
    N = core.N
    X = X0.copy()
    alive = np.ones(B, dtype=bool)
    stop = np.full(B, N, dtype=np.int64)
    bad_i = np.full(B, -1, dtype=np.int64)
    bad_v = np.zeros(B)
    rows = np.empty((B, len(saved) - 1, n))
    r = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for s in range(N):
            Xn = core.step(X, s)
            fine = np.abs(Xn) <= bound
            ok = fine.all(axis=1)
            if ok.all() and alive.all():
                X = Xn
            else:
                died = alive & ~ok
                if died.any():
                    idx = np.flatnonzero(died)
                    first = np.argmin(fine[idx], axis=1)
                    stop[idx] = s
                    bad_i[idx] = first
                    bad_v[idx] = Xn[idx, first]
                    alive &= ok
                X = np.where(alive[:, None], Xn, X)
            while r + 1 < len(saved) and saved[r + 1] == s + 1:
                rows[:, r] = X
                r += 1
    return rows, X, stop, bad_i, bad_v
