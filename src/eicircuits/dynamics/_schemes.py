"""Every fixed-step scheme, written once as data, and the one step that runs them.

For ``τ ẋ = −x + T(x, t)`` every scheme of the fixed-step path is a generalised explicit
Runge–Kutta step on the *increments* ``K_i = T(Y_i) − Y_i``:

``Y_i = X + Σ_{j<i} G_ij ∘ K_j + e_i ΔN``,   ``X ← X + Σ_i g_i ∘ K_i + e_out ΔN``,

with per-neuron gains ``G_ij = h A_ij / τ`` and ``g_i = h b_i / τ`` from a Butcher tableau
``(A, b, c)`` (:mod:`._tableaux`), except for the exponential Euler step, whose single gain
``g = 1 − e^{−h/τ}`` integrates the leak exactly (``X ← X + (1 − e^{−h/τ})(T(X) − X)``: exact
when ``T`` is constant over the step). ``ΔN`` is the step's additive noise increment
(``(σ/τ)√h ξ`` for white noise on the rates) and ``e`` its weights: Euler–Maruyama is Euler with
``e_out = 1``; the stochastic Heun scheme is Heun with the increment in the predictor and the
corrector (``e = (0, 1)``, ``e_out = 1``).

:data:`SCHEMES` is the single definition of each scheme. The NumPy backend (single runs, the
batched core of stimuli/noise/delays, the NumPy batch) and the JAX backend run it through
:func:`step`, written against the operators both array libraries share (in place where NumPy
allows it); the numba kernel (:mod:`._numba_kernels`) runs the same gain arrays
(:meth:`Scheme.gain_arrays`) in its compiled loop. ``tests/test_dynamics_conformance.py`` holds
every backend × activation × scheme to the NumPy trajectory.

Examples
--------
>>> import numpy as np
>>> from eicircuits.dynamics._schemes import SCHEMES
>>> sch = SCHEMES["stochastic-heun"]
>>> sch.stages, sch.order, sch.stochastic, sch.noise_stage, sch.noise_out
(2, 2, True, (0.0, 1.0), 1.0)
>>> G, g = SCHEMES["rk4"].gains(0.1, np.array([1.0]))
>>> [len(row) for row in G], [round(float(v[0]) * 60, 12) for _, v in g]
([0, 1, 1, 1], [1.0, 2.0, 2.0, 1.0])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._tableaux import EULER, HEUN, MIDPOINT, RK4, Tableau

__all__ = ["Scheme", "SCHEMES", "FIXED_METHODS", "SDE_METHODS", "step"]

FloatArray = NDArray[np.float64]


@dataclasses.dataclass(frozen=True)
class Scheme:
    """A fixed-step scheme: a tableau, how the leak is integrated, where the noise enters.

    Attributes
    ----------
    name : str
        The ``method`` name of :func:`~eicircuits.simulate`.
    tableau : Tableau
        Stages ``(A, b, c)``.
    order : int
        Deterministic order.
    exponential : bool
        Exponential Euler: the one gain is ``1 − e^{−h/τ}`` instead of ``h/τ``.
    noise_stage : tuple of float or None
        Weight of the step's noise increment in each stage state; ``None`` for a deterministic
        scheme (which takes no noise).
    noise_out : float
        Weight of the increment in the new state.
    """

    name: str
    tableau: Tableau
    order: int
    exponential: bool = False
    noise_stage: tuple[float, ...] | None = None
    noise_out: float = 0.0

    @property
    def stages(self) -> int:
        """Evaluations of ``T`` (mat-vecs) per step."""
        return self.tableau.stages

    @property
    def stochastic(self) -> bool:
        """Whether the scheme integrates noise (``"euler-maruyama"``, ``"stochastic-heun"``)."""
        return self.noise_stage is not None

    @property
    def c(self) -> FloatArray:
        """Stage nodes: stage ``i`` is evaluated at ``t + c_i h``."""
        return np.array([float(v) for v in self.tableau.c])

    def gains(self, h: Any, inv_tau: Any, xp: Any = np, dtype: Any = None
              ) -> tuple[list[list[tuple[int, Any]]], list[tuple[int, Any]]]:
        """The step's gains for step ``h``: ``(G, g)`` with ``G[i]`` the pairs ``(j, G_ij)``
        and ``g`` the pairs ``(i, g_i)``, zero entries left out.

        ``h`` and ``inv_tau`` (``1/τ``, per neuron) may be NumPy or JAX values (``xp`` the array
        module): every backend computes its gains here, in the same order of operations.
        ``dtype``: the state's precision, to which the gains are rounded once after being
        computed in the precision of ``h`` and ``inv_tau`` (float64).
        """
        A, b = self.tableau.A, self.tableau.b
        G = [[(j, (h * float(A[i][j])) * inv_tau) for j in range(i) if A[i][j] != 0]
             for i in range(self.stages)]
        if self.exponential:
            g = [(0, -xp.expm1(-h * inv_tau))]
        else:
            g = [(i, (h * float(b[i])) * inv_tau) for i in range(self.stages) if b[i] != 0]
        if dtype is not None:
            G = [[(j, v.astype(dtype)) for j, v in row] for row in G]
            g = [(i, v.astype(dtype)) for i, v in g]
        return G, g

    def gain_arrays(self, h: float, inv_tau: FloatArray, dtype: Any = np.float64
                    ) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
        """The gains as dense arrays for the numba kernel: ``(G (s, s, n), g (s, n), nz (s, s)
        bool, e (s + 1,))`` with ``e`` the noise weights of the stages and of the output."""
        n, s = len(inv_tau), self.stages
        G, g = self.gains(h, np.asarray(inv_tau, dtype=float))
        Ga = np.zeros((s, s, n), dtype=dtype)
        nz = np.zeros((s, s), dtype=np.bool_)
        for i, row in enumerate(G):
            for j, v in row:
                Ga[i, j], nz[i, j] = v, True
        ga = np.zeros((s, n), dtype=dtype)
        for i, v in g:
            ga[i] = v
        e = np.zeros(s + 1, dtype=dtype)
        if self.noise_stage is not None:
            e[:s], e[s] = self.noise_stage, self.noise_out
        return Ga, ga, nz, e


#: Every fixed-step scheme, by method name (the one definition each backend runs).
SCHEMES: dict[str, Scheme] = {
    s.name: s for s in (
        Scheme("euler", EULER, 1),
        Scheme("exp-euler", EULER, 1, exponential=True),
        Scheme("heun", HEUN, 2),
        Scheme("midpoint", MIDPOINT, 2),
        Scheme("rk4", RK4, 4),
        Scheme("euler-maruyama", EULER, 1, noise_stage=(0.0,), noise_out=1.0),
        Scheme("stochastic-heun", HEUN, 2, noise_stage=(0.0, 1.0), noise_out=1.0),
    )
}

#: Deterministic fixed-step methods: name -> (kind, stages per step, order).
FIXED_METHODS: dict[str, tuple[str, int, int]] = {
    name: ("exp-euler" if s.exponential else "rk", s.stages, s.order)
    for name, s in SCHEMES.items() if not s.stochastic
}
#: The stochastic schemes: name -> (kind, stages, strong order for additive noise).
SDE_METHODS: dict[str, tuple[str, int, int]] = {
    name: ("sde", s.stages, 1) for name, s in SCHEMES.items() if s.stochastic
}


def _combine(base: Any, terms: list[tuple[Any, Any]], inc: Any, w: float,
             out: Any = None) -> Any:
    """``base + Σ c ∘ K + w·inc``: in place into ``out`` (or a copy of ``base``) for NumPy
    arrays, a new array for JAX ones; the same operations in the same order either way."""
    if not isinstance(base, np.ndarray):  # JAX (traced) arrays
        for c, K in terms:
            base = base + c * K
        return base if inc is None or w == 0.0 else base + w * inc
    if out is None:
        out = base.copy()
    elif out is not base:
        out[...] = base
    tmp = None
    for c, K in terms:
        tmp = c * K if tmp is None else np.multiply(c, K, out=tmp)  # K all of one shape
        out += tmp
    if inc is not None and w != 0.0:
        out += inc if w == 1.0 else w * inc
    return out


def step(
    scheme: Scheme, X: Any, gains: tuple[list[list[tuple[int, Any]]], list[tuple[int, Any]]],
    target: Callable[[Any, int], Any], *, inc: Any = None, out: Any = None,
    on_stage: Callable[[int, Any], None] | None = None,
) -> Any:
    """One step of ``scheme`` from ``X`` (shape (n,) or (B, n); NumPy or JAX).

    ``gains``: :meth:`Scheme.gains` for this step; ``target(Y, i)``: ``T`` at stage ``i``
    (time ``t + c_i h``), a new array the step may overwrite (NumPy); ``inc``: the noise
    increment (stochastic schemes); ``out``: where to write the new state (may be ``X``
    itself; NumPy only); ``on_stage(i, K_i)``: called with each increment ``T(Y_i) − Y_i``
    (the delay buffer keeps the derivative ``K_0/τ``). Returns the new state.
    """
    G, g = gains
    e = scheme.noise_stage
    K: list[Any] = []
    for i in range(scheme.stages):
        Y = X if i == 0 else _combine(X, [(c, K[j]) for j, c in G[i]], inc,
                                      0.0 if e is None else e[i])
        T = target(Y, i)
        if isinstance(T, np.ndarray):
            T -= Y
        else:
            T = T - Y
        if on_stage is not None:
            on_stage(i, T)
        K.append(T)
    return _combine(X, [(c, K[i]) for i, c in g], inc, scheme.noise_out, out)
