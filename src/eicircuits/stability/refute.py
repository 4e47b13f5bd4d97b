"""Certificates of non-LDS (THEORY §3): ``X = V Vᵀ ⪰ 0``, ``X ≠ 0``, ``diag(A X) ≥ 0``.

If ``P = diag(p) ≻ 0`` gave ``PA + AᵀP ≺ 0`` then ``tr((PA + AᵀP) X) = 2 Σ p_i (AX)_ii < 0``
for every nonzero ``X ⪰ 0``; so one ``X`` with ``diag(AX) ≥ 0`` proves ``A`` is not LDS. The
refutation is stored as a factor ``V`` (``n × r``), which makes ``X = VVᵀ ⪰ 0`` hold by
construction, so only ``diag(A V Vᵀ) ≥ 0`` needs checking (exactly, for ``n ≤ 60``).

Examples
--------
>>> import numpy as np
>>> A = np.array([[0.5, -2.0], [3.0, -2.0]])    # Hurwitz, not LDS
>>> V = refute_diagonal(A)
>>> V.ravel().tolist(), verify_refutation(A, V)[0]
([1.0, 0.0], True)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ._exact import to_integer

__all__ = ["refute_diagonal", "refute_eigen", "refute_sdp", "verify_refutation", "round_factor"]

FloatArray = NDArray[np.float64]

#: Largest n for which refutations are also checked in exact rational arithmetic.
EXACT_LIMIT = 60


def refute_diagonal(A: Any) -> FloatArray | None:
    """``V = e_i`` when some ``a_ii ≥ 0`` (then ``diag(A e_i e_iᵀ) = a_ii e_i ≥ 0``)."""
    d = np.asarray(A.diagonal(), dtype=float)
    bad = np.flatnonzero(d >= 0)
    if bad.size == 0:
        return None
    i = int(bad[np.argmax(d[bad])])
    V = np.zeros((d.size, 1))
    V[i, 0] = 1.0
    return V


def refute_eigen(A: Any) -> FloatArray | None:
    """``V = [Re z, Im z]`` for an eigenvector ``z`` with ``Re λ ≥ 0`` (dense ``A``).

    ``diag(A X)_i = Re((Az)_i conj(z_i)) = Re λ |z_i|² ≥ 0`` for ``X = Re(z z^H)``.
    """
    dense = A.toarray() if sp.issparse(A) else np.asarray(A, dtype=float)
    vals, vecs = np.linalg.eig(dense)
    k = int(np.argmax(vals.real))
    if vals.real[k] < 0:
        return None
    z = vecs[:, k]
    V = np.column_stack([z.real, z.imag]) if np.any(z.imag != 0) else z.real[:, None]
    V = V / np.max(np.abs(V))
    # try the eigenvector as computed, then snapped to coarser dyadic grids (this recovers exact
    # rational null vectors at the boundary Re λ = 0, e.g. a singular A)
    candidates = [V] + [np.round(V * 2.0**b) / 2.0**b for b in (40, 20, 10)]
    if dense.shape == (2, 2):
        # singular 2 × 2: the adjugate's columns are exact null vectors (Re λ = 0 boundary)
        candidates += [np.array([[dense[0, 1]], [-dense[0, 0]]]),
                       np.array([[dense[1, 1]], [-dense[1, 0]]])]
    for Vb in candidates:
        if np.any(Vb != 0) and verify_refutation(dense, Vb)[0]:
            return Vb
    return None


def round_factor(X: FloatArray, *, rel: float = 1e-12) -> FloatArray:
    """A factor ``V`` with ``VVᵀ ≈ X``: eigenvectors of the positive eigenvalues of sym(X)."""
    X = (X + X.T) / 2
    vals, vecs = np.linalg.eigh(X)
    keep = vals > rel * max(float(vals[-1]), 0.0)
    if not np.any(keep):
        return np.zeros((X.shape[0], 0))
    V = vecs[:, keep] * np.sqrt(vals[keep])[None, :]
    return V / np.max(np.abs(V))


def refute_sdp(A: FloatArray, *, solver: str | None = None) -> tuple[FloatArray | None, float]:
    """Search a refutation by SDP: maximise ``s`` s.t. ``diag(AX) ≥ s``, ``X ⪰ 0``, ``tr X = 1``.

    ``s* ≥ 0`` ⇔ ``A`` is not LDS. Returns ``(V, s*)``; ``V`` is ``None`` unless the rounded
    factor passes :func:`verify_refutation` in floating point.
    """
    import cvxpy as cp

    from ._lds import _cvxpy_solve

    A = np.asarray(A, dtype=float)
    n = A.shape[0]
    scale = float(np.max(np.abs(A))) or 1.0
    As = A / scale
    X = cp.Variable((n, n), symmetric=True)
    s = cp.Variable()
    cons = [X >> 0, cp.trace(X) == 1, cp.diag(As @ X) >= s]
    prob = cp.Problem(cp.Maximize(s), cons)
    _cvxpy_solve(prob, solver)
    if X.value is None or s.value is None:
        return None, float("nan")
    V = round_factor(np.asarray(X.value))
    if V.shape[1] == 0:
        return None, float(s.value)
    ok, _, _ = verify_refutation(A, V, exact=False)
    return (V if ok else None), float(s.value) * scale


def verify_refutation(A: Any, V: Any, *, exact: bool | None = None,
                      tol: float = 0.0) -> tuple[bool, bool, str]:
    """Check ``V ≠ 0`` and ``diag(A V Vᵀ) ≥ −tol`` (exactly in rationals when ``n ≤ 60``).

    Returns ``(valid, exact_used, message)``.
    """
    V = np.asarray(V, dtype=float)
    n = A.shape[0]
    if V.ndim != 2 or V.shape[0] != n or not np.all(np.isfinite(V)):
        return False, False, f"refutation factor must be a finite ({n}, r) array, got {V.shape}"
    if not np.any(V != 0):
        return False, False, "refutation X = VVᵀ is zero"
    if exact is None:
        exact = n <= EXACT_LIMIT
    if exact:
        dense = A.toarray() if sp.issparse(A) else np.asarray(A, dtype=float)
        Ai, _ = to_integer(dense)
        Vi, _ = to_integer(V)
        d = np.sum((Ai @ Vi) * Vi, axis=1)
        bad = [i for i, x in enumerate(d.tolist()) if x < 0]
        if bad:
            return False, True, (
                f"diag((W − I)X)[{bad[0]}] < 0 in exact arithmetic: the refutation fails"
            )
        return True, True, "diag((W − I)X) ≥ 0 with X = VVᵀ ⪰ 0, X ≠ 0: proved in exact arithmetic"
    d = np.sum((A @ V) * V, axis=1)
    if np.min(d) < -tol:
        i = int(np.argmin(d))
        return False, False, f"diag((W − I)X)[{i}] = {d[i]:.3g} < 0: the refutation fails"
    return True, False, (
        f"diag((W − I)X) ≥ {np.min(d):.3g} with X = VVᵀ ⪰ 0 (floating point, n = {n})"
    )
