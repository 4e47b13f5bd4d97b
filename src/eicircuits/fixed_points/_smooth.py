"""Globalised Newton on ``x − Φ(W x + u) = 0`` (any activation) and plain fixed-point iteration.

Newton's Jacobian is ``I − diag(Φ'(W x + u)) W``: it keeps the sparsity of ``W`` and is
nonsingular whenever ``I − W`` is a P-matrix (``Φ' ∈ [0, 1]``). Steps are damped by an Armijo
line search on ``½‖x − Φ(Wx + u)‖²``; when the Newton direction is not a descent direction a
Levenberg–Marquardt step is used. Piecewise-linear activations get their one-sided derivative
(semismooth Newton).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from ..network import Network
from ._active_set import Outcome
from ._linalg import SolveStats, solve_i_minus

FloatArray = NDArray[np.float64]


def newton(
    net: Network,
    u: FloatArray,
    x0: FloatArray | None,
    *,
    tol: float,
    max_iter: int,
    linear_solver: str = "auto",
) -> Outcome:
    """Damped Newton with an Armijo line search (Levenberg–Marquardt fallback)."""
    x = net.phi(u) if x0 is None else np.array(x0, dtype=float)
    stats = SolveStats()
    z = net.drive(x, u)
    F = x - net.phi(z)
    f = 0.5 * float(F @ F)
    n_damped = 0
    for it in range(max_iter + 1):
        res = float(np.max(np.abs(F)))
        tol_abs = tol * max(1.0, float(np.max(np.abs(x))))
        if not math.isfinite(res):
            return Outcome(x, False, it, "the iterates overflowed (non-finite residual); "
                           "the equilibrium may not exist")
        if res <= tol_abs:
            extra = f" ({n_damped} damped)" if n_damped else ""
            return Outcome(x, True, it, f"converged in {it} Newton step(s){extra}")
        if it == max_iter:
            break
        dphi = net.dphi(z)
        d, _ = solve_i_minus(net.W, -F, policy=linear_solver, rowscale=dphi, stats=stats,
                             atol=min(1e-2 * res, 0.1 * tol_abs) if res < 1e-3 else 1e-3 * res)
        grad = F - (net.W.T @ (dphi * F))
        if d is None or not float(grad @ d) < -1e-12 * float(d @ d):
            d = _levenberg_marquardt(net, dphi, F, grad)
        slope = float(grad @ d)
        if not slope < 0:
            return Outcome(x, False, it, "Newton stalled at a point where the Jacobian "
                           "I − diag(Φ')W is singular and the residual is not zero; "
                           "try another x0 or method='fixed-point'")
        t = 1.0
        while True:
            xt = x + t * d
            zt = net.drive(xt, u)
            Ft = xt - net.phi(zt)
            ft = 0.5 * float(Ft @ Ft)
            if ft <= f + 1e-4 * t * slope:
                break
            t *= 0.5
            if t < 1e-14:
                return Outcome(x, False, it, "the line search failed: Newton is stuck at a "
                               "local minimum of the residual; try another x0")
        n_damped += t < 1.0
        x, z, F, f = xt, zt, Ft, ft
    return Outcome(x, False, max_iter, f"no convergence within max_iter = {max_iter} Newton "
                   f"steps (residual {res:.3g}); raise max_iter or pass a better x0")


def _levenberg_marquardt(
    net: Network, dphi: FloatArray, F: FloatArray, grad: FloatArray
) -> FloatArray:
    if net.n > 3000 or net.is_sparse:
        return -grad
    J = np.eye(net.n) - dphi[:, None] * net.dense_W()
    mu = float(np.linalg.norm(F))
    return -np.linalg.solve(J.T @ J + mu * np.eye(net.n), grad)


def fixed_point(
    net: Network, u: FloatArray, x0: FloatArray | None, *, tol: float, max_iter: int
) -> Outcome:
    """Plain iteration ``x ← Φ(W x + u)``; converges only when that map contracts."""
    x = np.zeros(net.n) if x0 is None else np.array(x0, dtype=float)
    res = math.inf
    for it in range(max_iter + 1):
        nxt = net.phi(net.drive(x, u))
        res = float(np.max(np.abs(nxt - x)))
        if not math.isfinite(res) or res > 1e150:
            return Outcome(x, False, it, "fixed-point iteration diverged (it converges only "
                           "when x ↦ Φ(Wx + u) contracts, e.g. ‖W‖ < 1); use method='auto'")
        if res <= tol * max(1.0, float(np.max(np.abs(x)))):
            return Outcome(x, True, it, f"fixed-point iteration converged in {it} steps")
        if it == max_iter:
            break
        x = nxt
    return Outcome(x, False, max_iter, f"fixed-point iteration did not converge within "
                   f"max_iter = {max_iter} steps (residual {res:.3g}); use method='auto'")
