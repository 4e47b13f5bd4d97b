"""Build and verify the LDS certificate that a design carries (weights = the design's ``p``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import ArrayLike, NDArray

from .._limits import DENSE_EIG_LIMIT
from ..network import Network
from ..stability import Certificate, Verification
from ..stability.certificate import tau_fingerprint

__all__ = ["dyadic_weights", "lds_lambda", "make_certificate"]

FloatArray = NDArray[np.float64]


def dyadic_weights(p: ArrayLike, bits: int = 30) -> FloatArray:
    """``p / max p`` rounded to ``bits``-bit mantissas (cheap to verify exactly)."""
    p = np.asarray(p, dtype=float)
    p = p / np.max(p)
    m, e = np.frexp(p)
    return np.ldexp(np.round(np.ldexp(m, bits)), e - bits)


def lds_lambda(W: Any, p: FloatArray) -> float:
    """``λ = −λ_max(P(W − I) + (W − I)ᵀP)`` (dense LAPACK up to n = 2000, Lanczos above)."""
    n = W.shape[0]
    if n <= DENSE_EIG_LIMIT:
        Wd = W.toarray() if sp.issparse(W) else np.asarray(W)
        S = p[:, None] * (Wd - np.eye(n))
        return -float(np.linalg.eigvalsh(S + S.T)[-1])
    Wt = W.T.tocsr() if sp.issparse(W) else W.T
    op = spla.LinearOperator((n, n), dtype=float,
                             matvec=lambda v: p * (W @ v - v) + (Wt @ (p * v) - p * v))
    val = spla.eigsh(op, k=1, which="LA", return_eigenvectors=False, tol=1e-10,
                     maxiter=max(2000, 10 * n), v0=np.ones(n))
    return -float(val[0])


def _statement(net: Network, margin: float, how: str) -> str:
    if net.equal_tau:
        tau = (f"with these equal time constants (τ = {net.tau[0]:g}) it is globally "
               "asymptotically stable")
    else:
        tau = ("it is locally exponentially stable for every choice of time constants and the "
               "voltage form is globally stable; global stability of the rate form with unequal "
               "time constants is not claimed (docs/theory.md §3)")
    return (f"W − I is Lyapunov diagonally stable (P = diag(p) from {how}, margin {margin:.3g}): "
            "for every constant input u and every activation with slopes in [0, 1] the network "
            "has exactly one equilibrium (the unique Nash equilibrium of the neurons' game), "
            f"and {tau}")


def make_certificate(net: Network, p: ArrayLike, how: str) -> tuple[Certificate | None,
                                                                     Verification | None, float]:
    """An ``"lds"`` certificate of ``net`` with weights ``p`` (rounded), verified.

    Returns ``(certificate, verification, λ)``; the certificate is ``None`` when ``p`` does not
    certify ``net`` (``λ ≤ 0``) or the independent verification fails.
    """
    pr = dyadic_weights(p)
    if not np.all(pr > 0):
        return None, None, -np.inf
    lam = lds_lambda(net.W, pr)
    if not lam > 0:
        return None, None, lam
    margin = lam / (2.0 * float(np.mean(pr)))
    claimed = float(margin * (1.0 - 1e-6))
    cert = Certificate(True, "lds", _statement(net, claimed, how), method=how, weights=pr,
                       margin=claimed, norm="P-weighted ℓ2 (Lyapunov function, τ-free)",
                       n=net.n, fingerprint=net.fingerprint(), tau_hash=tau_fingerprint(net.tau),
                       network=net)
    ver = cert.verify()
    return (cert if ver else None), ver, lam
