"""Active-set (semismooth) Newton for ``x = clip(A x + b, lo, hi)``, globalised.

One iteration guesses every neuron's state from its drive ``z = A x + b`` (below, inside or
above its linear piece), pins the saturated neurons at their bounds and solves the linear
equations of the active ones, ``(I − A)_SS x_S = b_S + A_{S,S̄} x_S̄``: one (sparse) linear
solve on the active submatrix. This is Newton's method on the natural residual
``x − clip(Ax + b)`` and terminates exactly once the state guess is right.

Plain active-set Newton can cycle even when ``I − A`` is a P-matrix (the test-suite keeps such
cases). Here a step is accepted only if it decreases the Fischer–Burmeister merit
``Ψ = ½‖Φ_FB(x)‖²`` (Billups' box version), which is continuously differentiable and whose
stationary points solve the problem when ``I − A`` is a P₀-matrix (De Luca, Facchinei & Kanzow
1996; Facchinei & Pang 2003, §9.1). Otherwise a semismooth Newton step on ``Φ_FB`` with an
Armijo line search is taken. The merit decreases strictly, so no state sequence can repeat.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ._linalg import SolveStats, solve_i_minus
from ._problem import HIGH, LIN, LOW, BoxProblem

FloatArray = NDArray[np.float64]

_SQRT_HALF = 1.0 - math.sqrt(0.5)

#: Inexact Newton: while the state still changes, solve only to FORCING × the residual.
FORCING = 0.1


@dataclasses.dataclass
class Outcome:
    """Raw result of a solver run (turned into an Equilibrium by the caller)."""

    x: FloatArray
    converged: bool
    iterations: int
    message: str


def _fb(a: FloatArray, b: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``φ(a, b) = a + b − √(a² + b²)`` and its partial derivatives (``1 − 1/√2`` at 0)."""
    r = np.hypot(a, b)
    phi = a + b - r
    safe = np.where(r > 0, r, 1.0)
    da = np.where(r > 0, 1.0 - a / safe, _SQRT_HALF)
    db = np.where(r > 0, 1.0 - b / safe, _SQRT_HALF)
    return phi, da, db


class FBMerit:
    """Billups' Fischer–Burmeister function for the box problem and its Jacobian pieces.

    ``Φ_i = φ(x − lo, −φ(hi − x, −F))`` with ``F = x − z`` (both bounds finite), ``φ(x − lo, F)``
    (lower only), ``−φ(hi − x, −F)`` (upper only), ``F`` (none). The Jacobian is
    ``diag(α) + diag(β)(I − A)``.
    """

    def __init__(self, prob: BoxProblem) -> None:
        self.has_lo = np.isfinite(prob.lo)
        self.has_hi = np.isfinite(prob.hi)
        self.lo = np.where(self.has_lo, prob.lo, 0.0)
        self.hi = np.where(self.has_hi, prob.hi, 0.0)

    def __call__(self, x: FloatArray, z: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        F = x - z
        c, ca, cb = _fb(self.hi - x, -F)  # inner (upper bound) part
        # g: what the lower-bound FB sees as its second argument, with dg = gx dx + gF dF.
        g = np.where(self.has_hi, -c, F)
        gx = np.where(self.has_hi, ca, 0.0)
        gF = np.where(self.has_hi, cb, 1.0)
        o, oa, ob = _fb(x - self.lo, g)
        phi = np.where(self.has_lo, o, g)
        alpha = np.where(self.has_lo, oa + ob * gx, gx)
        beta = np.where(self.has_lo, ob * gF, gF)
        return phi, alpha, beta


def newton_point(
    prob: BoxProblem,
    state: NDArray[np.int8],
    x: FloatArray,
    *,
    policy: str = "auto",
    atol: float = 0.0,
    stats: SolveStats | None = None,
    cache: dict[str, Any] | None = None,
) -> tuple[FloatArray | None, str]:
    """The point with saturated neurons at their bounds and active ones solving their equations.

    ``cache`` (a dict kept between calls) reuses the extracted sparse rows and block when the
    state has not changed.
    """
    xN = np.array(x, dtype=float)
    xN[state == LOW] = prob.lo[state == LOW]
    xN[state == HIGH] = prob.hi[state == HIGH]
    S = np.flatnonzero(state == LIN)
    if S.size == 0:
        return xN, ""
    xb = xN.copy()
    xb[S] = 0.0
    if prob.sparse:
        key = state.tobytes()
        if cache is not None and cache.get("key") == key:
            rows, block = cache["rows"], cache["block"]
        else:
            rows = prob.A[S]
            block = rows[:, S]
            if cache is not None:
                cache.update(key=key, rows=rows, block=block)
        rhs = rows @ xb + prob.b[S]
    else:
        rhs = prob.A[S] @ xb + prob.b[S] if S.size < prob.n else prob.A @ xb + prob.b
        block = prob.A[np.ix_(S, S)] if S.size < prob.n else prob.A
    guess = np.where(np.isfinite(x[S]), x[S], 0.0)
    y, why = solve_i_minus(block, rhs, policy=policy, guess=guess, atol=atol, stats=stats)
    if y is None:
        return None, f"the active submatrix (I − W) on {S.size} neurons: {why}"
    xN[S] = y
    return xN, ""


def solve(
    prob: BoxProblem,
    x0: FloatArray | None,
    *,
    tol: float,
    max_iter: int,
    globalize: bool = True,
    linear_solver: str = "auto",
) -> Outcome:
    """Run the (globalised) active-set Newton method; see the module docstring."""
    n = prob.n
    x = prob.project(np.zeros(n)) if x0 is None else np.array(x0, dtype=float)
    z = prob.drive(x)
    merit = FBMerit(prob)
    stats = SolveStats()
    seen: dict[bytes, int] = {}
    cache: dict[str, Any] = {}
    prev: bytes | None = None
    n_fb = 0
    psi = math.nan
    for it in range(max_iter + 1):
        res = float(np.max(np.abs(x - prob.project(z)))) if n else 0.0
        tol_abs = tol * max(1.0, float(np.max(np.abs(x))))
        if res <= tol_abs:
            how = f"{it} Newton step(s)" + (f", {n_fb} globalised" if n_fb else "")
            return Outcome(x, True, it, f"converged: exact active set found in {how}")
        if not np.all(np.isfinite(z)):
            return Outcome(x, False, it, "the iterates overflowed; the equilibrium may not "
                           "exist (runaway excitation): check stability or use equilibria()")
        if it == max_iter:
            break
        state = prob.partition(z)
        key = state.tobytes()
        atol = 0.5 * tol_abs if key == prev else max(0.5 * tol_abs, FORCING * res)
        prev = key
        xN, why = newton_point(prob, state, x, policy=linear_solver, atol=atol, stats=stats,
                               cache=cache)
        if not globalize:
            if key in seen:
                return Outcome(
                    x, False, it,
                    f"plain active-set Newton cycled (state of step {seen[key]} repeated at "
                    f"step {it}); use the globalised method",
                )
            seen[key] = it
            if xN is None:
                return Outcome(x, False, it, why)
            x, z = xN, prob.drive(xN)
            continue
        if math.isnan(psi):
            phi, alpha, beta = merit(x, z)
            psi = 0.5 * float(phi @ phi)
        if xN is not None:
            zN = prob.drive(xN)
            phiN, alphaN, betaN = merit(xN, zN)
            psiN = 0.5 * float(phiN @ phiN)
            if psiN <= (1.0 - 1e-4) * psi:
                x, z, psi, phi, alpha, beta = xN, zN, psiN, phiN, alphaN, betaN
                continue
        step = _fb_step(prob, merit, x, z, phi, alpha, beta, psi, linear_solver, stats)
        if step is None:
            if res <= 1e4 * tol_abs:
                return Outcome(x, False, it, f"stagnated at residual {res:.3g} just above tol "
                               "(round-off on an ill-conditioned active block); loosen tol")
            return Outcome(
                x, False, it,
                "the line search on the Fischer–Burmeister merit failed: the problem may have "
                "no solution, or I − W is not a P₀-matrix; try method='lemke' or equilibria()",
            )
        x, z, psi, phi, alpha, beta = step
        n_fb += 1
    return Outcome(
        x, False, max_iter,
        f"no equilibrium within max_iter = {max_iter} Newton steps (residual {res:.3g}); "
        "raise max_iter or try method='lemke'",
    )


def _fb_step(
    prob: BoxProblem,
    merit: FBMerit,
    x: FloatArray,
    z: FloatArray,
    phi: FloatArray,
    alpha: FloatArray,
    beta: FloatArray,
    psi: float,
    policy: str,
    stats: SolveStats,
) -> tuple[Any, ...] | None:
    """One semismooth Newton step on Φ_FB with an Armijo line search (gradient fallback)."""
    grad = (alpha + beta) * phi - _rmatvec(prob.A, beta * phi)
    d, _ = solve_i_minus(
        prob.A, -phi, policy=policy, diag=alpha + beta, rowscale=beta, stats=stats,
        atol=1e-3 * float(np.linalg.norm(phi)),
    )
    if d is None or not float(grad @ d) <= -1e-10 * float(d @ d):
        d = -grad
    slope = float(grad @ d)
    if not slope < 0:
        return None
    t = 1.0
    while t > 1e-14:
        xt = x + t * d
        zt = prob.drive(xt)
        phit, alphat, betat = merit(xt, zt)
        psit = 0.5 * float(phit @ phit)
        if psit <= psi + 1e-4 * t * slope:
            return xt, zt, psit, phit, alphat, betat
        t *= 0.5
    return None


def _rmatvec(A: Any, v: FloatArray) -> FloatArray:
    return A.T @ v if sp.issparse(A) else v @ A
