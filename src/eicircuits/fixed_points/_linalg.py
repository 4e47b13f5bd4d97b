"""Linear solves shared by the equilibrium solvers: dense LAPACK, sparse LU, or GMRES."""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray
from scipy.linalg import lapack

from .. import _limits
from .._limits import SINGLE_THREAD_MAX as _SINGLE_THREAD_MAX
from .._threads import blas_threads

FloatArray = NDArray[np.float64]

#: Under "auto", sparse LU is tried after a failed GMRES only up to this size (random sparse
#: connectivity fills in: a 30 000-neuron LU with 6 synapses per row did not finish here).
SPLU_FALLBACK_MAX = _limits.SPLU_FALLBACK_MAX
#: Below this reciprocal condition number a dense matrix counts as singular.
RCOND_MIN = 1e-14
#: Sparse systems up to this size are solved densely (LAPACK) under "auto".
DENSE_SOLVE_MAX = 1500

LINEAR_SOLVERS = ("auto", "direct", "iterative")


@dataclasses.dataclass
class SolveStats:
    """Counters for the linear algebra done by one solver run."""

    solves: int = 0
    krylov_iterations: int = 0


def choose(matrix: Any, requested: str) -> str:
    """``"dense"``, ``"splu"`` or ``"gmres"`` for ``matrix`` under the ``requested`` policy."""
    m = matrix.shape[0]
    if not sp.issparse(matrix):
        return "gmres" if requested == "iterative" else "dense"
    if requested == "iterative":
        return "gmres"
    if m <= DENSE_SOLVE_MAX:
        return "dense"
    # Sparse LU of random connectivity fills in catastrophically; GMRES first under "auto".
    return "splu" if requested == "direct" else "gmres"


def solve_i_minus(
    B: Any,
    rhs: FloatArray,
    *,
    policy: str = "auto",
    guess: FloatArray | None = None,
    atol: float = 0.0,
    stats: SolveStats | None = None,
    diag: FloatArray | None = None,
    rowscale: FloatArray | None = None,
) -> tuple[FloatArray | None, str]:
    """Solve ``(D − R B) y = rhs`` with ``D = diag(diag)`` (default ``I``), ``R = diag(rowscale)``.

    Returns ``(y, "")`` or ``(None, reason)`` when the matrix is singular or GMRES fails.
    ``atol`` is the absolute 2-norm residual GMRES must reach (direct solves ignore it). Under
    ``policy="auto"`` a large sparse system goes to GMRES and, if that fails, to sparse LU.
    """
    m = rhs.shape[0]
    d = np.ones(m) if diag is None else diag
    r = np.ones(m) if rowscale is None else rowscale
    kind = choose(B, policy)
    if stats is not None:
        stats.solves += 1
    if kind == "dense":
        Bd = B.toarray() if sp.issparse(B) else B
        mat = -r[:, None] * Bd
        mat[np.diag_indices(m)] += d
        return _dense_solve(mat, rhs)
    if kind == "gmres":
        y, why = _gmres(B, rhs, d, r, guess, atol, stats)
        if y is not None or policy != "auto" or m > SPLU_FALLBACK_MAX:
            return y, why
        kind = "splu"
    if kind == "splu":
        mat = (sp.diags_array(d) - sp.diags_array(r) @ B).tocsc()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", spla.MatrixRankWarning)
                lu = spla.splu(mat)
        except RuntimeError as exc:
            return None, f"sparse LU failed ({exc})"
        y = lu.solve(rhs)
        if not np.all(np.isfinite(y)):
            return None, "sparse LU: matrix is singular"
        return y, ""
    raise AssertionError(kind)  # pragma: no cover


def _gmres(
    B: Any,
    rhs: FloatArray,
    d: FloatArray,
    r: FloatArray,
    guess: FloatArray | None,
    atol: float,
    stats: SolveStats | None,
) -> tuple[FloatArray | None, str]:
    m = rhs.shape[0]
    op = spla.LinearOperator((m, m), matvec=lambda v: d * v - r * (B @ v), dtype=float)
    count = [0]

    def cb(_: Any) -> None:
        count[0] += 1

    x0 = None if guess is None else np.asarray(guess, dtype=float)
    bnorm = float(np.linalg.norm(rhs))
    y, info = spla.gmres(
        op, rhs, x0=x0, rtol=0.0, atol=max(atol, 1e-15 * bnorm), restart=min(60, m),
        maxiter=max(20, 4000 // min(60, m)), callback=cb, callback_type="pr_norm",
    )
    if stats is not None:
        stats.krylov_iterations += count[0]
    if info != 0 or not np.all(np.isfinite(y)):
        return None, (
            f"GMRES did not reach residual {atol:.2g} on a {m} × {m} system "
            "(ill-conditioned); try options={'linear_solver': 'direct'}"
        )
    return y, ""


#: Dense factorisations up to this size run on one BLAS thread (measured here: a 1000 × 1000
#: LU took 19 ms on one thread and 210 ms on two busy cores); see eicircuits._limits.
SINGLE_THREAD_MAX = _SINGLE_THREAD_MAX


def _dense_solve(mat: FloatArray, rhs: FloatArray) -> tuple[FloatArray | None, str]:
    with blas_threads(1 if mat.shape[0] <= SINGLE_THREAD_MAX else None):
        return _dense_solve_impl(mat, rhs)


def _dense_solve_impl(mat: FloatArray, rhs: FloatArray) -> tuple[FloatArray | None, str]:
    anorm = float(np.abs(mat).sum(axis=0).max()) if mat.size else 0.0
    lu, piv, info = lapack.dgetrf(mat)
    if info > 0:
        return None, "matrix is exactly singular"
    rcond, _ = lapack.dgecon(lu, anorm, norm="1")
    if not rcond > RCOND_MIN:
        return None, f"matrix is numerically singular (reciprocal condition {rcond:.1e})"
    y, info = lapack.dgetrs(lu, piv, rhs)
    if info != 0 or not np.all(np.isfinite(y)):
        return None, "LAPACK solve failed"
    return y, ""
