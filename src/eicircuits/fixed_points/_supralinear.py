"""Equilibria of supralinear networks by Newton continued in the input (docs/theory.md §9).

With a supralinear activation (:class:`~eicircuits.PowerLaw` ``k[z]₊ⁿ``, slope unbounded) the
equilibrium problem ``x = Φ(W x + u)`` has no contraction, no LCP and no LDS certificate to lean
on, and plain Newton from a cold start can run to the wrong branch or overflow (``[z]₊ⁿ`` grows
fast). The SSN literature follows the branch that starts at rest instead: at ``u = 0`` the state
``x = Φ(0)`` (``0`` for a power law) is an equilibrium, and the input is raised along
``u(s) = s·u``, ``s: 0 → 1``. Each step predicts with the tangent
``dx/ds = (I − Λ W)⁻¹ Λ u`` (``Λ = diag Φ'(W x + s u)``, from differentiating
``x − Φ(Wx + su) = 0``) and corrects with globalised Newton
(:func:`eicircuits.fixed_points._smooth.newton`, Armijo damping); a step that fails is halved.
The branch is followed while ``det(I − Λ W)`` keeps its sign; a sign change is a fold (two
equilibria meet) and is reported, not stepped over.

Method name: ``equilibrium(net, method="continuation")``; also the ``"auto"`` choice for networks
with a supralinear activation.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from ..network import Network
from ._active_set import Outcome
from ._smooth import newton

__all__ = ["continuation", "has_supralinear"]

FloatArray = NDArray[np.float64]

#: Dense continuation up to this size (the tangent needs a dense solve per step).
CONTINUATION_MAX_N = 3000
#: A corrector needing more Newton steps than this is retried with half the step.
MAX_CORRECTOR = 8


def has_supralinear(net: Network) -> bool:
    """Whether some activation of ``net`` declares slopes above 1 (docs/theory.md §9)."""
    return any(a.supralinear for a in set(net.activations))


def _jacobian(net: Network, x: FloatArray, u: FloatArray) -> tuple[FloatArray, FloatArray]:
    lam = net.dphi(net.drive(x, u))
    return np.eye(net.n) - lam[:, None] * net.dense_W(limit=CONTINUATION_MAX_N), lam


def continuation(net: Network, u: FloatArray, x0: FloatArray | None, *, tol: float,
                 max_iter: int, steps: int = 20, min_step: float = 1e-9) -> Outcome:
    """Follow the equilibrium branch from ``u = 0`` to ``u`` (see the module docstring).

    ``x0``, when given, is used only as a last resort: if the branch cannot be followed, one
    globalised Newton solve from ``x0`` is tried and the message says so.
    ``max_iter`` is the Newton budget of each corrector.
    """
    n_total = 0
    x = net.phi(np.zeros(net.n))
    start = newton(net, 0.0 * u, x, tol=tol, max_iter=max_iter)
    n_total += start.iterations
    if not start.converged:
        return _fallback(net, u, x0, tol, max_iter, n_total,
                         f"no equilibrium found at zero input ({start.message})")
    x = start.x
    J, _ = _jacobian(net, x, 0.0 * u)
    sign0 = np.sign(np.linalg.det(J))
    s, h = 0.0, 1.0 / steps
    n_steps = 0
    while s < 1.0:
        h = min(h, 1.0 - s)
        J, lam = _jacobian(net, x, s * u)
        try:
            tangent = np.linalg.solve(J, lam * u)
        except np.linalg.LinAlgError:
            tangent = np.zeros(net.n)
        if not np.all(np.isfinite(tangent)):
            tangent = np.zeros(net.n)
        pred = x + h * tangent
        out = newton(net, (s + h) * u, pred, tol=tol, max_iter=max_iter)
        n_total += out.iterations
        ok = out.converged
        if ok:
            Jn, _ = _jacobian(net, out.x, (s + h) * u)
            det = np.linalg.det(Jn)
            # A corrector that needs many Newton steps started far from the branch and may
            # have landed on another one: retry with a smaller step.
            jump = out.iterations > MAX_CORRECTOR
            if np.sign(det) != sign0 and det != 0.0:
                if h <= min_step:
                    return Outcome(out.x, False, n_total,
                                   f"fold of the equilibrium branch at input scale s = "
                                   f"{s + h:.6g} (det(I − ΛW) changes sign): the branch from "
                                   "rest turns back and no equilibrium continues it to the "
                                   "requested input; simulate to see where the state goes")
                ok = False
            elif jump and h > min_step:
                ok = False  # the corrector left the branch: take a smaller step
        if not ok:
            h *= 0.5
            if h < min_step:
                J, _ = _jacobian(net, x, s * u)
                det = float(np.linalg.det(J))
                if abs(det) < 1e-3 * max(1.0, float(np.abs(J).max())) ** net.n:
                    why = (f"the branch from rest ends in a fold at input scale s = {s:.6g} "
                           f"(det(I − ΛW) = {det:.2g} → 0: two equilibria meet and vanish), "
                           "so no equilibrium continues it to the requested input; simulate "
                           "to see where the state goes (it may run away)")
                else:
                    why = (f"continuation stalled at input scale s = {s:.6g} (step below "
                           f"{min_step:g}; last: {out.message})")
                return _fallback(net, u, x0, tol, max_iter, n_total, why)
            continue
        x, s = out.x, s + h
        n_steps += 1
        h = min(2.0 * h, 0.1)
    return Outcome(x, True, n_total, f"followed the equilibrium branch from rest (u = 0) to "
                   f"the input in {n_steps} continuation steps ({n_total} Newton steps)")


def _fallback(net: Network, u: FloatArray, x0: FloatArray | None, tol: float, max_iter: int,
              n_total: int, why: str) -> Outcome:
    if x0 is None:
        return Outcome(np.full(net.n, math.nan), False, n_total,
                       f"{why}; pass x0 to try Newton from a starting point")
    out = newton(net, u, x0, tol=tol, max_iter=max_iter)
    tail = ("Newton from x0 converged (not on the branch from rest)" if out.converged
            else f"Newton from x0 failed too ({out.message})")
    return Outcome(out.x, out.converged, n_total + out.iterations, f"{why}; {tail}")
