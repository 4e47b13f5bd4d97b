"""Matrix stability tools (docs/theory.md §3): Hurwitz, Metzler, P-matrices, log-norms, 2 × 2 LDS.

All functions accept dense arrays; those marked *sparse-capable* also accept SciPy sparse
matrices and never densify them.

Examples
--------
>>> import numpy as np
>>> A = np.array([[0.5, -2.0], [3.0, -2.0]])
>>> bool(is_hurwitz(A)), lds_2x2(A)[0]
(True, False)
>>> log_norm(np.array([[-1.0, 0.5], [0.2, -1.0]]), p=np.inf)
-0.5
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import ArrayLike, NDArray

from .._limits import DENSE_EIG_LIMIT, DENSIFY_LIMIT, SPLU_FALLBACK_MAX
from ..errors import SizeLimitError, SolverError, ValidationError

__all__ = [
    "is_hurwitz",
    "is_metzler",
    "is_p_matrix",
    "spectral_abscissa",
    "log_norm",
    "lds_2x2",
    "majorant",
    "comparison_vectors",
    "perron_vector",
]

FloatArray = NDArray[np.float64]

#: Largest n for which :func:`is_p_matrix` enumerates principal minors.
P_MATRIX_LIMIT = 16
#: Sparse matrices up to this n are densified by log_norm(p=2) (LAPACK); above, Lanczos.
_LOG_NORM_DENSE = 500


def as_square(A: Any, name: str = "A") -> Any:
    """Validate a finite square matrix; sparse input becomes CSR, dense a float array."""
    if sp.issparse(A):
        M = sp.csr_array(A, dtype=float)
        data = M.data
    else:
        try:
            M = np.asarray(A, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"{name}: expected a numeric square matrix, got {A!r}") from exc
        data = M
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.shape[0] == 0:
        raise ValidationError(f"{name}: must be a non-empty square matrix, got shape {M.shape}")
    if not np.all(np.isfinite(data)):
        raise ValidationError(f"{name}: every entry must be finite")
    return M


def is_metzler(A: Any, *, tol: float = 0.0) -> bool:
    """Whether every off-diagonal entry of ``A`` is ``≥ −tol`` (sparse-capable).

    Examples
    --------
    >>> is_metzler([[-1.0, 2.0], [0.5, -3.0]]), is_metzler([[-1.0, -2.0], [0.5, -3.0]])
    (True, False)
    """
    A = as_square(A)
    if sp.issparse(A):
        coo = A.tocoo()
        off = coo.row != coo.col
        return bool(np.all(coo.data[off] >= -tol))
    off = ~np.eye(A.shape[0], dtype=bool)
    return bool(np.all(A[off] >= -tol))


def spectral_abscissa(A: Any, *, tol: float = 1e-10) -> float:
    """``max Re λ(A)`` (sparse-capable: ARPACK for large sparse matrices).

    Sparse matrices with ``n ≤ 500`` are densified; larger ones use ``eigs(which="LR")``.

    Raises
    ------
    SolverError
        ARPACK did not converge.

    Examples
    --------
    >>> spectral_abscissa([[-1.0, 4.0], [-4.0, -1.0]])
    -1.0
    """
    A = as_square(A)
    n = A.shape[0]
    if sp.issparse(A) and n > 500:
        if is_metzler(A):
            _, val = perron_vector(A, tol=tol)
            return val
        try:
            vals = spla.eigs(A, k=4, which="LR", tol=tol, return_eigenvectors=False,
                             ncv=min(n - 1, 60), maxiter=max(1000, 20 * n))
        except spla.ArpackError as exc:
            raise SolverError(
                f"spectral_abscissa: ARPACK failed for n = {n} ({exc}); "
                "densify the matrix or loosen tol"
            ) from exc
        return float(np.max(vals.real))
    dense = A.toarray() if sp.issparse(A) else A
    return float(np.max(np.linalg.eigvals(dense).real))


def is_hurwitz(A: Any) -> bool:
    """Whether every eigenvalue of ``A`` has negative real part (sparse-capable).

    Examples
    --------
    >>> is_hurwitz([[0.5, -2.0], [3.0, -2.0]]), is_hurwitz([[-1.0, -3.0], [0.0, 0.1]])
    (True, False)
    """
    return spectral_abscissa(A) < 0.0


def _log_norm_linf(A: Any, eta: FloatArray) -> float:
    # mu_{inf,eta}(A) = max_i a_ii + sum_{j != i} |a_ij| eta_j / eta_i
    if sp.issparse(A):
        absA = abs(A)
        d = A.diagonal()
        off = absA @ eta - np.abs(d) * eta
        return float(np.max(d + off / eta))
    d = np.diag(A)
    off = np.abs(A) @ eta - np.abs(d) * eta
    return float(np.max(d + off / eta))


def log_norm(A: Any, p: float | str = 2, weights: ArrayLike | None = None) -> float:
    """The (weighted) logarithmic norm ``μ(A)`` for ``p ∈ {1, 2, ∞}`` (sparse-capable for 1, ∞).

    Norms: ``‖x‖_{1,η} = Σ η_i |x_i|``, ``‖x‖_{∞,η} = max |x_i| / η_i`` (``weights = η > 0``),
    ``‖x‖_{2,P} = √(xᵀ P x)`` (``weights`` a positive vector, read as ``diag``, or a
    positive-definite matrix). Then ``μ_{∞,η}(A) = max_i (a_ii + Σ_{j≠i} |a_ij| η_j / η_i)``,
    ``μ_{1,η}(A) = μ_{∞,η}(Aᵀ)`` and ``μ_{2,P}(A) = λ_max(P^{-½} (PA + AᵀP) P^{-½}) / 2``.

    Raises
    ------
    ValidationError
        ``p`` not in {1, 2, ∞}, weights of the wrong shape or not positive.

    Examples
    --------
    >>> log_norm([[-1.0, 4.0], [-4.0, -1.0]], p=2)
    -1.0
    >>> log_norm([[-1.0, 1.0], [0.0, -1.0]], p=1, weights=[1.0, 2.0])
    -0.5
    """
    A = as_square(A)
    n = A.shape[0]
    key = str(p).lower()
    if key in ("inf", "infinity") or (isinstance(p, (int, float)) and math.isinf(p)):
        key = "inf"
    if key not in ("1", "2", "inf"):
        raise ValidationError(f"log_norm: p must be 1, 2 or inf, got p = {p!r}")
    if key in ("1", "inf"):
        eta = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
        if eta.shape != (n,) or not np.all(eta > 0) or not np.all(np.isfinite(eta)):
            raise ValidationError(
                f"log_norm: weights for p = {p} must be a positive vector of shape ({n},), "
                f"got shape {eta.shape}"
            )
        if key == "inf":
            return _log_norm_linf(A, eta)
        At = A.T.tocsr() if sp.issparse(A) else A.T
        return _log_norm_linf(At, eta)
    P = None if weights is None else np.asarray(weights, dtype=float)
    if P is not None and P.ndim == 1 and (P.shape != (n,) or not np.all(P > 0)
                                          or not np.all(np.isfinite(P))):
        raise ValidationError(
            f"log_norm: weights for p = 2 must be positive, shape ({n},) or ({n}, {n}); "
            f"got shape {P.shape}"
        )
    if sp.issparse(A) and n > _LOG_NORM_DENSE and (P is None or P.ndim == 1):
        # sparse: λ_max of the symmetric part (diagonally scaled), by Lanczos; never densified
        r = np.ones(n) if P is None else 1.0 / np.sqrt(P)
        pw = np.ones(n) if P is None else P
        PA = sp.diags_array(pw) @ A
        S = (PA + PA.T) / 2
        S = (sp.diags_array(r) @ S @ sp.diags_array(r)).tocsr()
        try:
            val = spla.eigsh(S, k=1, which="LA", tol=1e-10, maxiter=max(2000, 10 * n),
                             v0=np.random.default_rng(0).standard_normal(n),
                             return_eigenvectors=False)
        except spla.ArpackError as exc:
            raise SolverError(f"log_norm: Lanczos failed for the sparse n = {n} matrix: "
                              f"{exc}") from exc
        return float(val[0])
    if P is not None and P.ndim == 2 and n > DENSE_EIG_LIMIT:
        raise SizeLimitError(f"log_norm: a matrix of weights needs dense algebra; n = {n} > "
                             f"{DENSE_EIG_LIMIT}")
    if sp.issparse(A) and n > DENSIFY_LIMIT:
        raise SizeLimitError(f"log_norm: n = {n} > {DENSIFY_LIMIT} is too large to densify")
    dense = A.toarray() if sp.issparse(A) else A
    if P is None:
        return float(np.linalg.eigvalsh((dense + dense.T) / 2)[-1])
    if P.ndim == 1:
        r = 1.0 / np.sqrt(P)
        S = (P[:, None] * dense + dense.T * P[None, :]) / 2
        return float(np.linalg.eigvalsh(r[:, None] * S * r[None, :])[-1])
    if P.shape != (n, n) or not np.allclose(P, P.T):
        raise ValidationError(f"log_norm: a weight matrix must be symmetric ({n}, {n})")
    try:
        L = np.linalg.cholesky(P)
    except np.linalg.LinAlgError as exc:
        raise ValidationError("log_norm: the weight matrix must be positive definite") from exc
    Li = np.linalg.inv(L)
    S = (P @ dense + dense.T @ P) / 2
    return float(np.linalg.eigvalsh(Li @ S @ Li.T)[-1])


def lds_2x2(A: ArrayLike) -> tuple[bool, FloatArray | None]:
    """Closed-form LDS test for ``2 × 2`` matrices (docs/theory.md §3 Fact 5) with explicit weights.

    ``A`` is LDS ⇔ ``a11 < 0``, ``a22 < 0`` and ``det A > 0``. The weights ``p = (1, p2)`` with
    ``p2 = (a11 a22 + det A) / a21²`` minimise the determinant condition's slack (any ``p2``
    with ``4 p2 a11 a22 > (a12 + p2 a21)²`` works when ``a21 = 0``).

    Returns
    -------
    (is_lds, p)
        ``p`` is ``None`` when ``A`` is not LDS.

    Examples
    --------
    >>> ok, p = lds_2x2([[-1.0, -2.0], [1.0, -1.0]])
    >>> ok, p.tolist()
    (True, [1.0, 4.0])
    """
    A = np.asarray(A, dtype=float)
    if A.shape != (2, 2):
        raise ValidationError(f"lds_2x2: A must have shape (2, 2), got {A.shape}")
    a11, a12, a21, a22 = A[0, 0], A[0, 1], A[1, 0], A[1, 1]
    det = a11 * a22 - a12 * a21
    if not (a11 < 0 and a22 < 0 and det > 0):
        return False, None
    if a21 != 0:
        p2 = (a11 * a22 + det) / a21**2
    else:
        p2 = (a12**2 / (4 * a11 * a22)) + 1.0
    return True, np.array([1.0, p2])


def majorant(W: Any) -> Any:
    """The Metzler majorant ``M(W)``: ``M_ii = W_ii``, ``M_ij = |W_ij|`` (sparse-capable)."""
    W = as_square(W, "W")
    if sp.issparse(W):
        M = abs(W).tocsr()
        M.setdiag(W.diagonal())
        M.eliminate_zeros()
        return M
    M = np.abs(W)
    np.fill_diagonal(M, np.diag(W))
    return M


def perron_vector(M: Any, *, tol: float = 1e-10) -> tuple[FloatArray, float]:
    """Perron vector ``η ≥ 0`` (max 1) and eigenvalue ``α`` of a Metzler matrix (sparse-capable).

    The spectral abscissa of a Metzler matrix is a real eigenvalue with a nonnegative
    eigenvector. Computed on the shifted nonnegative matrix ``M + sI``.
    """
    M = as_square(M, "M")
    n = M.shape[0]
    d = M.diagonal()
    s = max(0.0, -float(np.min(d)))
    if sp.issparse(M) and n > 500:
        B = M + s * sp.eye_array(n, format="csr")
        v0 = np.ones(n)
        try:
            vals, vecs = spla.eigs(B, k=1, which="LM", v0=v0, tol=tol, maxiter=max(1000, 20 * n))
        except spla.ArpackError as exc:  # no convergence, or a breakdown (error -9)
            raise SolverError(f"perron_vector: ARPACK failed for n = {n}: {exc}") from exc
        alpha = float(vals.real[0]) - s
        v = np.abs(vecs[:, 0].real)
    else:
        dense = M.toarray() if sp.issparse(M) else np.asarray(M)
        vals, vecs = np.linalg.eig(dense)
        k = int(np.argmax(vals.real))
        alpha = float(vals.real[k])
        v = np.abs(vecs[:, k].real)
    return v / np.max(v), alpha


def comparison_vectors(A: Any, *, rtol: float = 1e-10) -> tuple[FloatArray, FloatArray] | None:
    """For Metzler ``A``: ``v, w > 0`` with ``A v < 0`` and ``Aᵀ w < 0`` (two sparse solves).

    Solves ``A v = −1`` and ``Aᵀ w = −1`` (direct for moderate size, GMRES for large sparse)
    and returns ``None`` when a solution is not strictly positive with the strict inequality,
    which for Metzler ``A`` means ``A`` is not Hurwitz (docs/theory.md §3 Fact 4).
    """
    A = as_square(A)
    n = A.shape[0]
    rhs = -np.ones(n)
    out = []
    for B in (A, A.T):
        try:
            if sp.issparse(B) and n > DENSE_EIG_LIMIT:
                # iterative first (a sparse LU of a random graph fills in: minutes at n = 5000)
                x = _gmres_metzler(sp.csr_array(B), rhs, rtol)
                if x is None and n <= SPLU_FALLBACK_MAX:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", spla.MatrixRankWarning)
                        x = spla.spsolve(sp.csc_array(B), rhs)
            elif sp.issparse(B):
                with warnings.catch_warnings():  # singular B: NaNs, rejected below
                    warnings.simplefilter("ignore", spla.MatrixRankWarning)
                    x = spla.spsolve(sp.csc_array(B), rhs)
            else:
                x = np.linalg.solve(B, rhs)
        except (np.linalg.LinAlgError, RuntimeError):
            return None
        if x is None or not np.all(np.isfinite(x)) or not np.all(x > 0):
            return None
        if not np.all(B @ x < 0):
            return None
        out.append(np.asarray(x, dtype=float))
    return out[0], out[1]


def _gmres_metzler(B: sp.csr_array, rhs: FloatArray, rtol: float) -> FloatArray | None:
    # Jacobi-preconditioned GMRES; B = A or Aᵀ with negative diagonal when A is Hurwitz Metzler.
    d = B.diagonal()
    if np.any(d >= 0):
        return None
    Minv = spla.LinearOperator(B.shape, matvec=lambda y: y / d, dtype=float)
    x, info = spla.gmres(B, rhs, M=Minv, rtol=rtol, atol=0.0, restart=50, maxiter=200)
    if info != 0:
        return None
    return x


def is_p_matrix(A: ArrayLike, *, exact: bool = True) -> bool:
    """Whether every principal minor of ``A`` is positive (exact rational arithmetic).

    Uses the Tsatsomeros–Li recursion (``A`` is P ⇔ ``a11 > 0`` and both ``A`` without its
    first row and column and the Schur complement ``A / a11`` are P), ``O(2ⁿ)`` exact steps.

    Raises
    ------
    SizeLimitError
        ``n > 16``.

    Examples
    --------
    >>> is_p_matrix([[1.0, -3.0], [1.0, 1.0]]), is_p_matrix([[1.0, 2.0], [1.0, 1.0]])
    (True, False)
    """
    M = np.asarray(A, dtype=float)
    if M.ndim != 2 or M.shape[0] != M.shape[1]:
        raise ValidationError(f"is_p_matrix: A must be square, got shape {M.shape}")
    n = M.shape[0]
    if n > P_MATRIX_LIMIT:
        raise SizeLimitError(
            f"is_p_matrix: n = {n} > {P_MATRIX_LIMIT}: the test enumerates 2^n principal "
            "minors; use an LDS certificate instead (LDS of −A implies A is a P-matrix)"
        )
    if exact:
        rows = [[Fraction(float(x)) for x in row] for row in M]
    else:
        rows = [list(map(float, row)) for row in M]
    return _p_rec(rows)


def _p_rec(A: list[list[Any]]) -> bool:
    n = len(A)
    if A[0][0] <= 0:
        return False
    if n == 1:
        return True
    sub = [row[1:] for row in A[1:]]
    a = A[0][0]
    schur = [[sub[i][j] - A[i + 1][0] * A[0][j + 1] / a for j in range(n - 1)]
             for i in range(n - 1)]
    return _p_rec(sub) and _p_rec(schur)
