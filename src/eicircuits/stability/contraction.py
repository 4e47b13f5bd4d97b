"""Contraction certificates for the rate form (docs/theory.md §3, Davydov–Proskurnikov–Bullo 2024).

``linf_weights``
    weights ``η`` for the weighted ℓ∞ log-norm bound: the Perron vector of the Metzler majorant
    ``M(W)`` (and, if better, the comparison vector ``(I − M)⁻¹ 1``); the rate is
    ``c = min_i τ_i⁻¹ (1 − max(0, W_ii + Σ_{j≠i} |W_ij| η_j / η_i))``. Sparse-capable.
``l2_contraction``
    the weighted-ℓ2 LMI ``[[−2(1−c)P, P + WᵀQ], [P + QW, −2Q]] ⪯ 0`` (Gokhale, Proskurnikov,
    Kawano, Bullo 2026), maximising ``c`` by bisection over SDP feasibility problems.

Examples
--------
>>> import numpy as np
>>> from eicircuits import Network
>>> net = Network(W=[[0.2, -0.3], [0.4, -0.1]], cell_types="EI")
>>> eta, rate = linf_weights(net)
>>> round(rate, 6) > 0
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from .._limits import RESOLVENT_LIMIT
from .._threads import blas_threads
from ..errors import SolverError, ValidationError
from ..network import Network
from ._lds import _cvxpy_solve
from .certificate import l2_lmi, linf_rate
from .matrices import comparison_vectors, majorant, perron_vector

__all__ = ["linf_weights", "l2_contraction", "L2_LIMIT"]

FloatArray = NDArray[np.float64]

#: Largest n for the weighted-ℓ2 contraction LMI (a 2n × 2n SDP per bisection step).
L2_LIMIT = 60


def linf_weights(net: Network) -> tuple[FloatArray | None, float]:
    """Best weights found for the ℓ∞ contraction bound and the rate they give.

    Returns ``(η, rate)``; ``η`` is ``None`` when no positive weights were found. The rate is
    positive exactly when the rate form contracts in ``‖x‖_{∞,η} = max |x_i| / η_i``.
    """
    M = majorant(net.W)
    n = net.n
    candidates: list[FloatArray] = []
    I = sp.eye_array(n, format="csr") if sp.issparse(M) else np.eye(n)
    try:
        eta, alpha = perron_vector(M)
        if alpha >= 1.0 + 1e-9:
            # Collatz–Wielandt: max_i (Mη)_i / η_i ≥ α(M) for every η > 0, so no weights give a
            # positive rate; skip the linear solves (minutes at n = 5000 with LU fill-in)
            return None, 1.0 - alpha
        if np.all(eta > 1e-12):
            candidates.append(eta)
        elif alpha < 1.0 and n <= RESOLVENT_LIMIT:
            # Reducible M: its Perron vector has zeros. The resolvent vector
            # η = (σI − M)⁻¹ 1 > 0 with α < σ < 1 has (Mη)_i/η_i = σ − 1/η_i < σ,
            # so it proves a rate ≥ 1 − σ, within 0.1 % of the best 1 − α.
            sigma = alpha + 1e-3 * (1.0 - alpha)
            A = sigma * I - M
            with np.errstate(all="ignore"):
                res = spla.spsolve(A.tocsc(), np.ones(n)) if sp.issparse(A) else \
                    np.linalg.solve(A, np.ones(n))
            if np.all(np.isfinite(res)) and np.all(res > 0):
                candidates.append(res / np.max(res))
    except (SolverError, np.linalg.LinAlgError):
        pass
    vw = comparison_vectors(M - I)
    if vw is not None:
        candidates.append(vw[0] / np.max(vw[0]))
    best: tuple[FloatArray | None, float] = (None, -np.inf)
    for eta in candidates:
        rate = linf_rate(net, eta)
        if rate > best[1]:
            best = (eta, rate)
    return best


def l2_contraction(net: Network, *, solver: str | None = None, tol: float = 1e-2,
                   c_min: float = 1e-3) -> tuple[FloatArray, FloatArray, float] | None:
    """Largest ``c`` (to ``tol``) with a weighted-ℓ2 contraction LMI certificate; τ equal.

    Returns ``(P, q, c)`` with the rate of the rate form ``c / τ``, or ``None`` when even
    ``c = c_min`` is infeasible. ``P`` and ``q`` are rounded to dyadic rationals and the LMI is
    re-checked in floating point with the rounded numbers (``c`` lowered until it holds).

    Raises
    ------
    ValidationError
        Unequal time constants (the LMI certifies ``τ = 1``, hence equal ``τ``), ``n > 60``.
    """
    import cvxpy as cp

    if not net.equal_tau:
        raise ValidationError(
            "contraction-l2: the LMI certifies the rate form with equal time constants; "
            "this network has unequal tau"
        )
    n = net.n
    if n > L2_LIMIT:
        raise ValidationError(f"contraction-l2: n = {n} > {L2_LIMIT}: the 2n × 2n LMI is too large")
    W = net.W.toarray() if net.is_sparse else np.asarray(net.W)
    scale = max(1.0, float(np.max(np.abs(W))))
    P = cp.Variable((n, n), symmetric=True)
    q = cp.Variable(n)
    c = cp.Parameter(nonneg=True)
    Q = cp.diag(q)
    top = cp.hstack([-2 * (1 - c) * P, P + W.T @ Q])
    bot = cp.hstack([P + Q @ W, -2 * Q])
    L = cp.vstack([top, bot])
    Ls = (L + L.T) / 2
    eps = 1e-6
    prob = cp.Problem(cp.Minimize(0), [P >> np.eye(n), q >= 1e-3,
                                       Ls << -eps * np.eye(2 * n), cp.sum(q) <= 1e3 * n * scale])

    def feasible(cv: float) -> tuple[FloatArray, FloatArray] | None:
        c.value = cv
        try:
            _cvxpy_solve(prob, solver)
        except SolverError:
            return None
        if prob.status != "optimal" or P.value is None:
            return None
        Pv = _round_sym(np.asarray(P.value))
        qv = _round_vec(np.asarray(q.value))
        if np.any(qv <= 0):
            return None
        if float(np.linalg.eigvalsh(l2_lmi(W, Pv, qv, cv))[-1]) >= 0:
            return None
        if float(np.linalg.eigvalsh(Pv)[0]) <= 0:
            return None
        return Pv, qv

    with blas_threads(1 if n <= 200 else None):
        return _bisect(feasible, c_min, tol)


def _bisect(feasible: Any, c_min: float, tol: float
            ) -> tuple[FloatArray, FloatArray, float] | None:
    best = feasible(c_min)
    if best is None:
        return None
    lo, hi = c_min, 1.0
    found = (best[0], best[1], c_min)
    while hi - lo > tol:
        mid = (lo + hi) / 2
        sol = feasible(mid)
        if sol is None:
            hi = mid
        else:
            lo = mid
            found = (sol[0], sol[1], mid)
    return found


def _round_vec(x: FloatArray, bits: int = 30) -> FloatArray:
    m, e = np.frexp(x)
    return np.ldexp(np.round(np.ldexp(m, bits)), e - bits)


def _round_sym(P: Any, bits: int = 30) -> FloatArray:
    P = _round_vec(np.asarray(P, dtype=float), bits)
    U = np.triu(P)
    return U + np.triu(P, 1).T
