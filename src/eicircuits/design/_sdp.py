"""The design semidefinite program in ``(Y, p)``
(docs/theory.md §6), built as sparse data for cvxpy.

Variables: the allowed entries ``y`` of ``Y = P W`` (mask) and ``p``. Constraints: Dale's signs
as variable signs, bounds ``|Y_ij| ≤ w p_i`` and ``Y_ii ≤ s p_i``, target equalities and
inequalities (:mod:`._problem`), ``1 ≤ p ≤ P_RANGE`` and the LMI ``Y + Yᵀ − 2P ⪯ −εI``. Every
linear piece is one sparse matrix, so cvxpy's canonicalisation stays fast for ``n`` in the
hundreds (the interior-point solve itself grows like ``n⁶``).
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..errors import SolverError
from ._problem import Targets

__all__ = ["SOLVERS", "DEFAULT_SOLVERS", "P_RANGE", "SDPOutcome", "solve_design_sdp"]

FloatArray = NDArray[np.float64]

#: Largest ratio max p / min p allowed (``1 ≤ p ≤ P_RANGE``): without it an interior-point
#: solver may let ``p`` drift to huge values, and the margin ``ε`` relative to ``max p`` is then
#: lost to rounding when the certificate is rebuilt.
P_RANGE = 1e4

#: cvxpy solvers that handle the LMI.
SOLVERS = ("CLARABEL", "SCS", "CVXOPT")
#: Tried in this order when ``solver=None`` (measured: ``benchmarks/bench_design.py``).
DEFAULT_SOLVERS = ("CLARABEL", "CVXOPT", "SCS")


@dataclasses.dataclass(frozen=True)
class SDPOutcome:
    status: str
    solver: str
    Y: FloatArray | None
    p: FloatArray | None
    seconds: float
    message: str


def _row_blocks(t: Targets, which: NDArray[np.bool_], rows: NDArray[np.intp],
                cols: NDArray[np.intp], nvar: int) -> tuple[sp.csr_array, sp.csr_array,
                                                           NDArray[np.intp]]:
    """``A y`` and ``B p`` for the entries ``which[i, k]``: ``(A y)_e = Σ_j X[j, k] Y_ij``,
    ``(B p)_e = rhs[i, k] p_i``; also the row ``i`` of each entry."""
    n = t.n
    ri: list[NDArray[np.intp]] = []
    ci: list[NDArray[np.intp]] = []
    vals: list[FloatArray] = []
    ent_rows: list[int] = []
    brhs: list[float] = []
    starts = np.searchsorted(rows, np.arange(n + 1))
    e = 0
    for i in range(n):
        ks = np.flatnonzero(which[i])
        if ks.size == 0:
            continue
        vi = np.arange(starts[i], starts[i + 1])
        block = t.X[cols[vi]][:, ks].T  # (|ks|, |vi|)
        nz_r, nz_c = np.nonzero(block)
        ri.append(nz_r + e)
        ci.append(vi[nz_c])
        vals.append(block[nz_r, nz_c])
        ent_rows.extend([i] * ks.size)
        brhs.extend(t.rhs[i, ks].tolist())
        e += ks.size
    if e == 0:
        return sp.csr_array((0, nvar)), sp.csr_array((0, n)), np.zeros(0, dtype=np.intp)
    A = sp.csr_array((np.concatenate(vals), (np.concatenate(ri), np.concatenate(ci))),
                     shape=(e, nvar))
    er = np.asarray(ent_rows, dtype=np.intp)
    B = sp.csr_array((np.asarray(brhs), (np.arange(e), er)), shape=(e, n))
    return A, B, er


def _solve(prob: Any, solver: str | None) -> str:
    # (cp.installed_solvers() is avoided: it imports every optional backend, jax included,
    # which costs seconds; a missing solver shows up as a SolverError from solve instead)
    import cvxpy as cp

    order = [str(solver).upper()] if solver is not None else list(DEFAULT_SOLVERS)
    last = "no SDP solver installed"
    for name in order:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                prob.solve(solver=name)
        except (cp.error.SolverError, ArithmeticError, ValueError) as exc:
            last = f"{name}: {exc}"
            continue
        if prob.status in ("optimal", "optimal_inaccurate", "infeasible",
                           "infeasible_inaccurate"):
            return name
        last = f"{name} returned status {prob.status!r}"
    raise SolverError(f"the design SDP failed with every solver tried ({', '.join(order)}): "
                      f"{last}")


def _sdd_constraints(y: Any, p: Any, rows: NDArray[np.intp], cols: NDArray[np.intp], n: int,
                     margin: float) -> list[Any]:
    """``M = 2P − Y − Yᵀ − εI = Σ_{i<j} E_ij [[a, c], [c, b]] E_ijᵀ`` with each block ⪰ 0."""
    import cvxpy as cp

    iu, ju = np.triu_indices(n, 1)
    m = iu.size
    if m == 0:
        return [2 * p - 2 * y[rows == cols] - margin >= 0] if np.any(rows == cols) else [
            2 * p - margin >= 0]
    a, b, c = cp.Variable(m), cp.Variable(m), cp.Variable(m)
    nvar = rows.size
    pair = {(int(i), int(j)): k for k, (i, j) in enumerate(zip(iu, ju, strict=True))}
    # off-diagonal: c_k = −(Y_ij + Y_ji) for the pair k = (i, j), i < j
    r_off, c_off = [], []
    for v, (i, j) in enumerate(zip(rows, cols, strict=True)):
        if i != j:
            r_off.append(pair[(min(i, j), max(i, j))])
            c_off.append(v)
    S = sp.csr_array((np.ones(len(r_off)), (r_off, c_off)), shape=(m, nvar))
    # diagonal: 2 p_i − 2 Y_ii − ε = Σ_{k ∋ i} (a_k if i is the pair's first index else b_k)
    D = sp.csr_array((np.full(int(np.sum(rows == cols)), 2.0),
                      (rows[rows == cols], np.flatnonzero(rows == cols))), shape=(n, nvar))
    A_of = sp.csr_array((np.ones(m), (iu, np.arange(m))), shape=(n, m))
    B_of = sp.csr_array((np.ones(m), (ju, np.arange(m))), shape=(n, m))
    return [
        c == -(S @ y),
        2 * p - D @ y - margin == A_of @ a + B_of @ b,
        cp.SOC(a + b, cp.vstack([2 * c, a - b]), axis=0),
    ]


def solve_design_sdp(t: Targets, sign: FloatArray, mask: NDArray[np.bool_], *, margin: float,
                     delta: float, max_weight: float | None, max_self: float | None,
                     objective: str, solver: str | None, lmi: bool = True,
                     cone: str = "psd") -> SDPOutcome:
    """Solve the design program; ``lmi=False`` drops the stability constraint (diagnosis).

    ``cone``: ``"psd"`` imposes ``M = 2P − Y − Yᵀ − εI ⪰ 0`` exactly (one n × n PSD cone);
    ``"sdd"`` imposes that ``M`` is scaled diagonally dominant, a sum of 2 × 2 PSD blocks
    (``n(n−1)/2`` three-dimensional second-order cones, Ahmadi & Majumdar's SDSOS): an inner
    approximation, so every solution is still certified, at a fraction of the cost for large n.
    """
    import cvxpy as cp

    n = t.n
    idx = np.flatnonzero(mask.ravel())
    rows, cols = idx // n, idx % n
    nvar = idx.size
    y = cp.Variable(nvar)
    p = cp.Variable(n)
    s = sign[cols]
    cons: list[Any] = [p >= 1, p <= P_RANGE]
    if nvar:
        cons.append(cp.multiply(s, y) >= 0)
    Aeq, Beq, _ = _row_blocks(t, t.eq, rows, cols, nvar)
    if Aeq.shape[0]:
        cons.append(Aeq @ y - Beq @ p == 0)
    for which, direction in ((t.lo, -1.0), (t.hi, 1.0)):
        A, B, er = _row_blocks(t, which, rows, cols, nvar)
        if A.shape[0]:
            # lo: (Yx)_i ≤ p_i (rhs − δ);  hi: (Yx)_i ≥ p_i (rhs + δ)
            shift = sp.csr_array((np.full(er.size, delta), (np.arange(er.size), er)),
                                 shape=B.shape)
            if direction < 0:
                cons.append(A @ y - B @ p + shift @ p <= 0)
            else:
                cons.append(A @ y - B @ p - shift @ p >= 0)
    R = sp.csr_array((np.ones(nvar), (np.arange(nvar), rows)), shape=(nvar, n))
    if max_weight is not None and nvar:
        cons.append(cp.multiply(s, y) <= max_weight * (R @ p))
    diag = np.flatnonzero(rows == cols)
    if max_self is not None and diag.size:
        cons.append(y[diag] <= max_self * p[rows[diag]])
    if lmi and cone == "psd":
        M = sp.csr_array((np.ones(nvar), (idx, np.arange(nvar))), shape=(n * n, nvar))
        Y = cp.reshape(M @ y, (n, n), order="C") if nvar else np.zeros((n, n))
        cons.append(2 * cp.diag(p) - (Y + Y.T) - margin * np.eye(n) >> 0)
    elif lmi:
        cons.extend(_sdd_constraints(y, p, rows, cols, n, margin))
    if objective == "l1":
        obj = cp.Minimize(s @ y) if nvar else cp.Minimize(0)
    elif objective == "l2":
        obj = cp.Minimize(cp.sum_squares(y)) if nvar else cp.Minimize(0)
    else:
        obj = cp.Minimize(0)
    prob = cp.Problem(obj, cons)
    start = time.perf_counter()
    used = _solve(prob, solver)
    seconds = time.perf_counter() - start
    if prob.status in ("infeasible", "infeasible_inaccurate"):
        return SDPOutcome(prob.status, used, None, None, seconds,
                          f"{used} reports the program {prob.status.replace('_', ' ')}")
    Yv = np.zeros(n * n)
    if nvar:
        Yv[idx] = y.value
    return SDPOutcome(prob.status, used, Yv.reshape(n, n), np.asarray(p.value, dtype=float),
                      seconds, f"{used}: {prob.status}")
