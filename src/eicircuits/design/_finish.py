"""From solver output ``(Y, p)`` to a :class:`Design`: round, rebuild, re-verify, recompute."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..activations import Activation
from ..errors import EICircuitsError
from ..network import Network
from ._certificate import make_certificate
from ._problem import Targets

__all__ = ["clean_weights", "polish", "target_residual", "finish"]

FloatArray = NDArray[np.float64]


def clean_weights(W: FloatArray, sign: FloatArray, mask: NDArray[np.bool_],
                  max_weight: float | None, max_self: float | None) -> FloatArray:
    """Impose the mask, Dale's signs and the bounds exactly (the solver meets them to ~1e-9)."""
    W = np.where(mask, W, 0.0)
    W = np.where(sign[None, :] > 0, np.maximum(W, 0.0), np.minimum(W, 0.0))
    tiny = 1e-12 * max(1.0, float(np.max(np.abs(W))))
    W[np.abs(W) < tiny] = 0.0
    if max_weight is not None:
        W = np.clip(W, -max_weight, max_weight)
    if max_self is not None:
        d = np.minimum(np.diag(W), max_self)
        W[np.diag_indices_from(W)] = d
    return W + 0.0  # no negative zeros


def polish(W: FloatArray, t: Targets, max_weight: float | None,
           max_self: float | None) -> FloatArray:
    """Meet the target equalities to rounding error by a minimum-norm correction of each row
    over its strictly signed entries that are off their bounds; a row is left alone when the
    correction would change a sign or break a bound."""
    W = W.copy()
    n = W.shape[0]
    for i in range(n):
        ks = np.flatnonzero(t.eq[i])
        if ks.size == 0:
            continue
        row = W[i]
        free = np.abs(row) > 1e-9 * max(1.0, float(np.max(np.abs(row))))
        if max_weight is not None:
            free &= np.abs(row) < max_weight * (1 - 1e-9)
        if max_self is not None and row[i] >= max_self * (1 - 1e-9):
            free[i] = False
        js = np.flatnonzero(free)
        if js.size == 0:
            continue
        A = t.X[js][:, ks].T
        r = t.rhs[i, ks] - row @ t.X[:, ks]
        delta, *_ = np.linalg.lstsq(A, r, rcond=None)
        new = row[js] + delta
        if np.any(np.sign(new) != np.sign(row[js])):
            continue
        if max_weight is not None and np.any(np.abs(new) > max_weight):
            continue
        trial = row.copy()
        trial[js] = new
        if max_self is not None and trial[i] > max_self:
            continue
        before = np.max(np.abs(r))
        after = np.max(np.abs(t.rhs[i, ks] - trial @ t.X[:, ks]))
        if after < before:
            W[i] = trial
    return W


def target_residual(net: Network, U: FloatArray, X: FloatArray) -> tuple[float, FloatArray]:
    """Largest ``|x*(u_k) − x_k|`` with ``x*`` from :func:`eicircuits.equilibrium`, and the
    recomputed equilibria ``(n, K)`` (``U``, ``X`` are ``(n, K)``)."""
    from ..fixed_points import equilibrium

    out = np.empty_like(X)
    worst = 0.0
    for k in range(X.shape[1]):
        try:
            eq = equilibrium(net, u=U[:, k])
        except EICircuitsError:
            return np.inf, out
        if not eq.converged:
            return np.inf, out
        out[:, k] = eq.x
        worst = max(worst, float(np.max(np.abs(eq.x - X[:, k]))))
    return worst, out


def finish(W: FloatArray, p: FloatArray, *, acts: Sequence[Activation], types: Sequence[str],
           tau: Any, how: str, U: FloatArray, X: FloatArray, tol: float,
           stats: dict[str, Any], names: Any = None) -> Any:
    """Build the network, its verified certificate and the recomputed residual as a Design."""
    from ._result import Design

    act: Any = acts[0] if all(a == acts[0] for a in acts) else tuple(acts)
    net = Network(W=W, tau=tau, activation=act, cell_types="".join(types), names=names)
    cert, ver, lam = make_certificate(net, p, how)
    stats = dict(stats, lam=lam)
    if cert is None:
        why = (ver.message if ver is not None else
               f"λ_max(P(W − I) + (W − I)ᵀP) = {-lam:.3g} is not < 0 after rounding")
        return Design(False, "not_certified",
                      f"the rounded network is not certified ({why}); increase `margin`",
                      network=None, weights=None, stats=stats)
    residual, _ = target_residual(net, U, X)
    scale = max(1.0, float(np.max(np.abs(X))))
    stats["exact_verification"] = bool(ver.exact)
    if residual <= tol * scale:
        how_v = "exactly" if ver.exact else "in floating point"
        msg = (f"certified (margin {cert.margin:.3g}, verified {how_v}); every target "
               f"reproduced to {residual:.2g}")
        return Design(True, "optimal", msg, network=net, certificate=cert, residual=residual,
                      weights=cert.weights, stats=stats)
    msg = (f"the certified network reproduces the targets only to {residual:.3g} > tol·scale = "
           f"{tol * scale:.3g} (solver accuracy); try another solver or a larger silence_margin")
    return Design(False, "inaccurate", msg, network=net, certificate=cert, residual=residual,
                  weights=cert.weights, stats=stats)
