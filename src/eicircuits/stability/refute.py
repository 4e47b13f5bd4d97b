"""Certificates of non-LDS (docs/theory.md §3): ``X = V Vᵀ ⪰ 0``, ``X ≠ 0``, ``diag(A X) ≥ 0``.

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

from .._limits import EXACT_LIMIT
from ._exact import to_integer

__all__ = ["refute_diagonal", "refute_eigen", "refute_sdp", "verify_refutation", "round_factor"]

FloatArray = NDArray[np.float64]



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
    """Check ``X = VVᵀ / ‖V‖²_F`` (``tr X = 1``, ``X ≠ 0``) has ``diag(AX) ≥ 0``.

    For ``n ≤ EXACT_LIMIT`` (or ``exact=True``) in exact rational arithmetic. Otherwise ``V``
    is first scaled by a power of two (exactly) so that ``max |V_ij| ∈ [½, 1)`` (a tiny ``V``
    cannot underflow ``X`` to zero) and each computed ``diag(AVVᵀ)_i`` must stay ``≥ 0`` after
    subtracting a rigorous bound ``γ_k (|A||V||V|ᵀ)_ii`` on its rounding error. ``tol > 0`` relaxes
    the test to ``diag(AX) ≥ −tol`` (a search heuristic, never a proof; certificates always
    use ``tol = 0``).

    Returns ``(valid, exact_used, message)``.

    Examples
    --------
    >>> import numpy as np
    >>> verify_refutation(-np.eye(70), np.full((70, 1), 1e-170))[0]
    False
    """
    V = np.asarray(V, dtype=float)
    n = A.shape[0]
    if V.ndim != 2 or V.shape[0] != n or V.shape[1] < 1 or not np.all(np.isfinite(V)):
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
        return True, True, ("diag((W − I)X) ≥ 0 with X = VVᵀ/‖V‖²_F ⪰ 0, tr X = 1: proved in "
                            "exact arithmetic")
    _, e = np.frexp(np.max(np.abs(V)))
    Vs = np.ldexp(V, -int(e))  # exact power-of-two scaling: max |Vs| in [1/2, 1)
    absA = abs(A) if sp.issparse(A) else np.abs(A)
    d = np.sum((A @ Vs) * Vs, axis=1)
    bound_terms = np.sum((absA @ np.abs(Vs)) * np.abs(Vs), axis=1)
    if sp.issparse(A):
        k = int(np.max(np.diff(sp.csr_array(A).indptr))) if A.nnz else 1
    else:
        k = n
    u = np.finfo(float).eps / 2
    kk = k + Vs.shape[1] + 4
    gamma = kk * u / (1 - kk * u)
    # underflow can only hurt rows where V is nonzero (elsewhere every product is exactly 0)
    nonzero_row = np.any(Vs != 0, axis=1)
    bound = gamma * bound_terms * (1 + 4 * u) + np.finfo(float).tiny * (kk + 4) * nonzero_row
    trace = float(np.sum(Vs * Vs))
    low = (d - bound) / trace
    if np.min(low) < -tol:
        i = int(np.argmin(low))
        return False, False, (f"diag((W − I)X)[{i}] = {d[i] / trace:.3g} is not ≥ 0 beyond its "
                              f"rounding error ({bound[i] / trace:.3g}): the refutation fails")
    if np.min(low) < 0:
        return True, False, (f"diag((W − I)X) ≥ {np.min(low):.3g}, ≥ 0 only within tol = "
                             f"{tol:g} (a search tolerance: not a proof)")
    return True, False, (
        f"diag((W − I)X) ≥ 0 with X = VVᵀ/‖V‖²_F ⪰ 0, tr X = 1, including rigorous bounds on "
        f"rounding errors (floating point, n = {n})"
    )
