"""Exact branch following for piecewise-linear networks along an input path (docs/theory.md §8).

In the normal form ``x = clip(A x + b(λ), lo, hi)`` with ``b(λ) = b₀ + λ d`` (see
:mod:`eicircuits.fixed_points._problem`), every neuron is below its linear piece (``LOW``),
inside it (``LIN``) or above it (``HIGH``). For a fixed partition the equilibria form a line in
``(x, λ)``: the active neurons ``S`` solve ``(I − A)_SS x_S = b_S(λ) + A_{S,F} x_F``, so
``x_S(λ) = p + λ q`` with ``(I − A)_SS q = d_S``. The path is followed exactly by parametric
complementary pivoting: along a segment, the first neuron to reach a bound (a ratio test on
``x_S`` and on the drives of the saturated neurons) changes state, and the orientation on the
new segment is fixed by that neuron (an entering neuron must move into its linear piece, a
leaving one must have its drive cross the bound). When the ``λ``-direction reverses at a vertex,
``det (I − A)_SS`` has changed sign and two equilibria meet there: a fold. Otherwise the vertex
is a border (only the active set changes).

Linear solves use one LU factorisation of ``(I − A)_{S₀S₀}`` and a Schur complement for the
neurons that entered or left since (a block update, refactorised every ``refactor`` changes),
so each pivot costs two triangular solves and two (sparse) matrix–vector products.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from typing import Any

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from .._limits import PIVOT_DIRECT_LIMIT
from ..fixed_points._problem import HIGH, LIN, LOW, BoxProblem
from ._eig import N_LEADING, leading_eigenvalues

FloatArray = NDArray[np.float64]

#: Iterative path: pivots between full solves for the affine offset ``p`` of a piece.
_RESYNC = 32

_STATE_NAMES = {LOW: "below its threshold", LIN: "in its linear piece", HIGH: "at its clip"}


class SingularPiece(Exception):
    """The active block ``(I − A)_SS`` is (numerically) singular."""


class PieceSolver:
    """Solves ``(I − A)_SS Y = R_S`` for the current active set ``S`` with block updates.

    One LU factorisation ``K = M_{S₀S₀}`` (``M = I − A``) is kept; a neuron ``a`` that entered
    since adds the column ``M_{S₀a}`` and the row ``M_{aS₀}``, a neuron ``r`` that left adds the
    unit column and row ``e_r`` (its equation is freed by a multiplier and ``y_r = 0`` is
    imposed). The bordered system is solved through its ``k × k`` Schur complement.
    """

    def __init__(self, M: Any, lin: NDArray[np.bool_], *, refactor: int = 64) -> None:
        self.M = M
        self.sparse = sp.issparse(M)
        self.Mcsc = sp.csc_array(M) if self.sparse else None
        self.n = M.shape[0]
        self.refactor_every = max(0, int(refactor))
        self.factorizations = 0
        self._factor(np.asarray(lin, dtype=bool))

    # ------------------------------------------------------------------ factorisation
    def _factor(self, lin: NDArray[np.bool_]) -> None:
        self.lin = lin.copy()
        s0 = np.flatnonzero(lin)
        self.s0 = s0
        self.pos0 = np.full(self.n, -1, dtype=np.intp)
        self.pos0[s0] = np.arange(s0.size)
        self.extras: list[tuple[str, int]] = []
        self.Z = np.empty((s0.size, 0))      # K⁻¹ B
        self.C = np.empty((0, s0.size))      # the extra rows, dense over S₀
        self.Sc = np.empty((0, 0))           # D − C K⁻¹ B
        self.lu: Any = None
        self.factorizations += 1
        if s0.size == 0:
            return
        if self.sparse:
            K = sp.csc_array(self.M[s0][:, s0])
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self.lu = spla.splu(K)
            except RuntimeError as exc:
                raise SingularPiece(str(exc)) from exc
            diag = np.abs(self.lu.U.diagonal())
        else:
            K = self.M[np.ix_(s0, s0)]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.lu = sla.lu_factor(K, check_finite=False)
            diag = np.abs(np.diag(self.lu[0]))
        scale = max(1.0, float(diag.max(initial=0.0)))
        if not np.all(np.isfinite(diag)) or diag.min(initial=scale) <= 1e-13 * scale:
            raise SingularPiece("a pivot of the LU factorisation vanishes")

    def _kinv(self, B: FloatArray) -> FloatArray:
        if self.sparse:
            return self.lu.solve(np.asarray(B, dtype=float))
        return sla.lu_solve(self.lu, B, check_finite=False)

    def _row(self, i: int) -> tuple[NDArray[np.intp], FloatArray]:
        """Column indices and values of row ``i`` of ``M``."""
        if self.sparse:
            lo, hi = self.M.indptr[i], self.M.indptr[i + 1]
            return self.M.indices[lo:hi], self.M.data[lo:hi]
        row = self.M[i]
        nz = np.flatnonzero(row)
        return nz, row[nz]

    def _col(self, i: int) -> tuple[NDArray[np.intp], FloatArray]:
        """Row indices and values of column ``i`` of ``M``."""
        if self.sparse:
            lo, hi = self.Mcsc.indptr[i], self.Mcsc.indptr[i + 1]
            return self.Mcsc.indices[lo:hi], self.Mcsc.data[lo:hi]
        col = self.M[:, i]
        nz = np.flatnonzero(col)
        return nz, col[nz]

    def _over_s0(self, idx: NDArray[np.intp], vals: FloatArray) -> FloatArray:
        out = np.zeros(self.s0.size)
        p = self.pos0[idx]
        keep = p >= 0
        out[p[keep]] = vals[keep]
        return out

    # ------------------------------------------------------------------ updates
    def _append(self, kind: str, i: int) -> None:
        if kind == "add":
            b = self._over_s0(*self._col(i))
            c = self._over_s0(*self._row(i))
            ridx, rval = self._row(i)
            cidx, cval = self._col(i)
            row_full = np.zeros(self.n)
            row_full[ridx] = rval
            col_full = np.zeros(self.n)
            col_full[cidx] = cval
            adds = np.array([a if k == "add" else -1 for k, a in self.extras], dtype=np.intp)
            d_row = np.where(adds >= 0, row_full[np.maximum(adds, 0)], 0.0)
            d_col = np.where(adds >= 0, col_full[np.maximum(adds, 0)], 0.0)
            d_nn = row_full[i]
        else:
            b = np.zeros(self.s0.size)
            b[self.pos0[i]] = 1.0
            c = b.copy()
            k = len(self.extras)
            d_row, d_col, d_nn = np.zeros(k), np.zeros(k), 0.0
        z = self._kinv(b)
        col = d_col - self.C @ z
        row = d_row - c @ self.Z
        corner = d_nn - c @ z
        k = len(self.extras)
        Sc = np.empty((k + 1, k + 1))
        Sc[:k, :k] = self.Sc
        Sc[:k, k] = col
        Sc[k, :k] = row
        Sc[k, k] = corner
        self.Sc = Sc
        self.Z = np.column_stack([self.Z, z])
        self.C = np.vstack([self.C, c[None, :]])
        self.extras.append((kind, i))

    def _remove(self, j: int) -> None:
        del self.extras[j]
        self.Z = np.delete(self.Z, j, axis=1)
        self.C = np.delete(self.C, j, axis=0)
        self.Sc = np.delete(np.delete(self.Sc, j, axis=0), j, axis=1)

    def toggle(self, i: int, entering: bool) -> None:
        """Neuron ``i`` enters (``entering``) or leaves the active set."""
        if entering == bool(self.lin[i]):
            return
        self.lin[i] = entering
        key = ("rem", i) if entering else ("add", i)
        if key in self.extras:
            self._remove(self.extras.index(key))
        elif self.lu is None or len(self.extras) >= self.refactor_every:
            try:
                self._factor(self.lin)
            except SingularPiece:
                self.lu = None  # solve() refactorises and reports the singular block
        else:
            self._append("add" if entering else "rem", i)

    def solve(self, R: FloatArray, keys: tuple[str, ...] = ()) -> FloatArray:
        """``Y`` (``n × p``, zero off ``S``) with ``(I − A)_SS Y_S = R_S``."""
        R = np.asarray(R, dtype=float)
        Y = np.zeros_like(R)
        if not np.any(self.lin):
            return Y
        if self.lu is None:
            self._factor(self.lin)
        k = len(self.extras)
        w = self._kinv(R[self.s0])
        if k == 0:
            Y[self.s0] = w
            return Y
        rhs2 = -(self.C @ w)
        for j, (kind, i) in enumerate(self.extras):
            if kind == "add":
                rhs2[j] += R[i]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lu, piv = sla.lu_factor(self.Sc, check_finite=False)
        d = np.abs(np.diag(lu))
        if not np.all(np.isfinite(d)) or d.min() <= 1e-12 * max(1.0, float(d.max())):
            self._factor(self.lin)  # raises SingularPiece when the block itself is singular
            return self.solve(R, keys)
        z = sla.lu_solve((lu, piv), rhs2, check_finite=False)
        Y[self.s0] = w - self.Z @ z
        for j, (kind, i) in enumerate(self.extras):
            Y[i] = z[j] if kind == "add" else 0.0
        return Y


class IterativePieceSolver:
    """Solves ``(I − A)_SS Y_S = R_S`` by BiCGSTAB (GMRES as a fallback) on the active block
    (extracted once per piece, a few matrix–vector products' worth), warm-started from the
    previous piece's solution (one neuron changes per pivot, so it is close). For large sparse
    networks, where an LU of the active block fills in."""

    def __init__(self, A: Any, lin: NDArray[np.bool_], *, rtol: float = 1e-13) -> None:
        self.A = sp.csr_array(A)
        self.n = A.shape[0]
        self.lin = np.asarray(lin, dtype=bool).copy()
        self.rtol = rtol
        self.factorizations = 0
        self.iterations = 0
        self._prev: dict[str, FloatArray] = {}

    def toggle(self, i: int, entering: bool) -> None:
        self.lin[i] = entering

    def solve(self, R: FloatArray, keys: tuple[str, ...] = ()) -> FloatArray:
        R = np.asarray(R, dtype=float)
        Y = np.zeros_like(R)
        S = np.flatnonzero(self.lin)
        if S.size == 0:
            return Y
        M = sp.csr_array(sp.eye_array(S.size, format="csr") - self.A[S][:, S])
        for j in range(R.shape[1]):
            key = keys[j] if j < len(keys) else str(j)
            b = R[S, j]
            nb = float(np.linalg.norm(b))
            if nb == 0.0:
                continue
            x0 = self._prev.get(key, np.zeros(self.n))[S]
            count = [0]

            def cb(_: Any, count: list[int] = count) -> None:
                count[0] += 1

            y, info = spla.bicgstab(M, b, x0=x0, rtol=self.rtol, atol=0.0,
                                    maxiter=20 * int(np.sqrt(self.n)) + 200, callback=cb)
            res = float(np.linalg.norm(M @ y - b))
            if info != 0 or not np.isfinite(res) or res > 1e2 * self.rtol * nb:
                y, info = spla.gmres(M, b, x0=x0, rtol=self.rtol, atol=0.0, restart=100,
                                     maxiter=50, callback=cb, callback_type="pr_norm")
                res = float(np.linalg.norm(M @ y - b))
                if info != 0 or not np.isfinite(res) or res > 1e3 * self.rtol * nb:
                    raise SingularPiece(f"the iterative solve did not converge (residual "
                                        f"{res / nb:.2g}); the active block may be singular")
            self.iterations += count[0]
            full = np.zeros(self.n)
            full[S] = y
            self._prev[key] = full
            Y[:, j] = full
        return Y


@dataclasses.dataclass
class Traced:
    """What :func:`follow` found on one branch (turned into a :class:`Branch` by the caller)."""

    lam: list[float]
    x: list[FloatArray]
    seg_stable: list[bool | None]
    seg_eigs: list[NDArray[np.complex128] | None]
    state0: NDArray[np.int8]
    changes: list[tuple[int, int, int]]
    events: list[tuple[str, int, int, str]]  # (kind, vertex index, neuron, message)
    status: str
    message: str
    pivots: int = 0
    ties: int = 0
    seconds: float = 0.0
    factorizations: int = 0
    iterations: int = 0
    end_x: FloatArray | None = None
    vertical: list[float] = dataclasses.field(default_factory=list)


def initial_state(prob: BoxProblem, x: FloatArray, lam: float, db: FloatArray) -> NDArray[np.int8]:
    """Partition of an equilibrium ``x`` at ``λ`` (a neuron exactly at a threshold counts as
    saturated; the pivoting resolves it with a zero-length step)."""
    z = prob.A @ x + prob.b + lam * db
    state = np.full(prob.n, LIN, dtype=np.int8)
    scale = 1e-12 * (1.0 + np.abs(z))
    state[(z <= prob.lo + scale) & (x <= prob.lo + scale)] = LOW
    state[(z >= prob.hi - scale) & (x >= prob.hi - scale)] = HIGH
    return state


def _piece_stability(prob: BoxProblem, tau: FloatArray, lin: NDArray[np.bool_],
                     ) -> tuple[bool, NDArray[np.complex128]]:
    """Eigenvalues of ``τ⁻¹(−I + D_S A)``: those of the active block and ``−1/τ_i`` off it."""
    S = np.flatnonzero(lin)
    off = np.sort(-1.0 / tau[~lin])[::-1][:N_LEADING].astype(complex)
    if S.size == 0:
        return True, off
    A_SS = prob.A[S][:, S] if prob.sparse else prob.A[np.ix_(S, S)]
    if sp.issparse(A_SS):
        block = sp.diags_array(1.0 / tau[S]) @ (A_SS - sp.eye_array(S.size, format="csr"))
    else:
        block = (A_SS - np.eye(S.size)) / tau[S][:, None]
    eig, stable = leading_eigenvalues(block)
    allv = np.concatenate([eig, off])
    allv = allv[np.lexsort((-allv.imag, -allv.real))][:N_LEADING]
    return stable, allv


def follow(prob: BoxProblem, db: FloatArray, tau: FloatArray, span: tuple[float, float],
           lam0: float, x0: FloatArray, sign0: int, *, max_points: int, refactor: int,
           keep: NDArray[np.intp], stability: str, linear_solver: str = "direct") -> Traced:
    """Follow the branch through the equilibrium ``x0`` at ``lam0``, leaving in the direction
    ``sign0`` of ``λ``, until it leaves ``span`` (see the module docstring)."""
    t_start = time.perf_counter()
    lam_lo, lam_hi = span
    n = prob.n
    M = (sp.csr_array(sp.eye_array(n, format="csr") - prob.A) if prob.sparse
         else np.eye(n) - prob.A)
    state = initial_state(prob, x0, lam0, db)
    out = Traced(lam=[lam0], x=[x0[keep].copy()], seg_stable=[], seg_eigs=[],
                 state0=state.copy(), changes=[], events=[], status="", message="")
    solver: PieceSolver | IterativePieceSolver
    if linear_solver == "iterative":
        solver = IterativePieceSolver(prob.A, state == LIN)
    else:
        solver = PieceSolver(M, state == LIN, refactor=refactor)
    lam, x = float(lam0), x0.astype(float).copy()
    last_sign = 0.0            # sign of dλ on the last segment of positive length
    junction: list[tuple[int, int, int]] = []   # pivots (neuron, old, new) since that segment
    pivoted: tuple[int, int, int] | None = None  # the last pivot (neuron, old, new)
    zero_steps = 0
    while True:
        lin = state == LIN
        xf = np.where(state == LOW, prob.lo, np.where(state == HIGH, prob.hi, 0.0))
        xf = np.where(lin, 0.0, xf)
        r0 = prob.A @ xf + prob.b
        try:
            if linear_solver == "iterative" and out.pivots % _RESYNC and out.pivots:
                # x is continuous at the vertex: the new piece is x + (λ' − λ) q, so only q
                # needs a solve; p is recomputed from scratch every _RESYNC pivots.
                q = solver.solve(db[:, None], keys=("q",))[:, 0]
                p = np.where(lin, x - lam * q, 0.0)
            else:
                PQ = solver.solve(np.column_stack([r0, db]), keys=("p", "q"))
                p, q = PQ[:, 0], PQ[:, 1]
            dx, dl = np.where(lin, q, 0.0), 1.0
            if not (np.all(np.isfinite(p)) and np.all(np.isfinite(q))):
                raise SingularPiece("non-finite solution")
        except SingularPiece as exc:
            if n > PIVOT_DIRECT_LIMIT or linear_solver == "iterative":
                out.status, out.message = "singular", (
                    f"the active block (I − W)_SS of {int(lin.sum())} neurons is singular at "
                    f"λ = {lam:.10g} ({exc}): a continuum of equilibria or a degenerate "
                    "vertex; the exact path cannot be continued here")
                break
            dx, dl = _null_direction(M, db, lin)
            p = q = None
            if dx is None:
                out.status, out.message = "degenerate", (
                    f"at λ = {lam:.10g} the equilibria of the active set form a surface, not a "
                    "line ([I − W, −d] restricted to S is rank deficient); cannot continue")
                break
        # Orientation.
        dz = prob.A @ dx + db * dl
        if pivoted is None:
            sigma = 1.0 if (dl * sign0 > 0 or dl == 0) else -1.0
        else:
            k, old, new = pivoted
            if new == LIN:
                key = dx[k] if old == LOW else -dx[k]
            else:
                key = -dz[k] if new == LOW else dz[k]
            if abs(key) <= 1e-14 * (1.0 + float(np.max(np.abs(dx)))):
                out.status, out.message = "degenerate", (
                    f"degenerate vertex at λ = {lam:.10g}: neuron {k} changes state with zero "
                    "speed (non-generic; perturb the direction slightly)")
                break
            sigma = 1.0 if key > 0 else -1.0
        dx, dl, dz = sigma * dx, sigma * dl, sigma * dz
        if p is not None:
            x = np.where(lin, p + lam * q, xf)
        z = prob.A @ x + prob.b + lam * db
        # Ratio test (step t ≥ 0 along (dx, dl)).
        t = np.full(n, math.inf)
        with np.errstate(divide="ignore", invalid="ignore"):
            down = lin & (dx < 0) & np.isfinite(prob.lo)
            t[down] = (x[down] - prob.lo[down]) / -dx[down]
            up = lin & (dx > 0) & np.isfinite(prob.hi)
            t[up] = (prob.hi[up] - x[up]) / dx[up]
            low = (state == LOW) & (dz > 0)
            t[low] = (prob.lo[low] - z[low]) / dz[low]
            high = (state == HIGH) & (dz < 0)
            t[high] = (z[high] - prob.hi[high]) / -dz[high]
        t = np.maximum(t, 0.0)
        k = int(np.argmin(t))
        t_event = float(t[k])
        t_end = ((lam_hi - lam) / dl if dl > 0 else (lam - lam_lo) / -dl if dl < 0
                 else math.inf)
        t_end = max(t_end, 0.0)
        if not math.isfinite(min(t_event, t_end)):
            out.status, out.message = "unbounded", (
                f"from λ = {lam:.10g} the branch runs to infinity at constant λ (a ray of "
                "equilibria): the network has unbounded equilibria here")
            break
        at_end = t_end <= t_event
        step = t_end if at_end else t_event
        if not at_end:
            ties = np.flatnonzero(t <= t_event + 1e-12 * (1.0 + t_event))
            out.ties += int(ties.size > 1)
        if step > 0 or at_end:
            zero_steps = 0
            lam_new = (lam_hi if dl > 0 else lam_lo) if at_end else lam + step * dl
            if p is not None and q is not None:
                x_new = np.where(lin, p + lam_new * q, xf)
            else:
                x_new = np.where(lin, x + step * dx, xf)
            if not at_end and state[k] == LIN:
                x_new[k] = prob.lo[k] if dx[k] < 0 else prob.hi[k]
            x_new = np.clip(x_new, prob.lo, prob.hi)
            if step > 0:
                sign = math.copysign(1.0, dl) if dl != 0 else 0.0
                if dl == 0:
                    out.vertical.append(float(lam))
                if len(out.lam) > 1 and junction:
                    kind = "fold" if sign * last_sign < 0 else "border"
                    j = len(out.lam) - 1
                    for (nk, old, new) in junction:
                        out.events.append((kind, j, nk, f"neuron {nk} goes from "
                                           f"{_STATE_NAMES[old]} to {_STATE_NAMES[new]}"))
                if sign != 0:
                    last_sign = sign
                junction = []
                if stability == "compute":
                    st, ev = _piece_stability(prob, tau, lin)
                elif stability == "lds":
                    st, ev = True, None
                else:
                    st, ev = None, None
                out.seg_stable.append(st)
                out.seg_eigs.append(ev)
                out.lam.append(float(lam_new))
                out.x.append(x_new[keep].copy())
            lam, x = float(lam_new), x_new
            if at_end:
                out.status, out.message = "span_end", f"reached λ = {lam:.10g}, the end of the span"
                break
        else:
            zero_steps += 1
            if zero_steps > 2 * n + 10:
                out.status, out.message = "degenerate", (
                    f"cycling among zero-length pieces at λ = {lam:.10g} (a degenerate vertex "
                    "where many neurons sit at their thresholds)")
                break
        # Pivot on neuron k.
        old = int(state[k])
        if old == LIN:
            new = LOW if dx[k] < 0 else HIGH
        else:
            new = LIN
        state[k] = new
        solver.toggle(k, new == LIN)
        out.changes.append((len(out.lam) - 1, k, new))
        junction.append((k, old, new))
        pivoted = (k, old, new)
        out.pivots += 1
        if len(out.lam) >= max_points:
            out.status, out.message = "max_points", (
                f"stopped after max_points = {max_points} vertices at λ = {lam:.10g}; pass a "
                "larger max_points to follow the branch further")
            break
    out.end_x = x
    out.seconds = time.perf_counter() - t_start
    out.factorizations = solver.factorizations
    out.iterations = getattr(solver, "iterations", 0)
    return out


def _null_direction(M: Any, db: FloatArray, lin: NDArray[np.bool_],
                    ) -> tuple[FloatArray | None, float]:
    """Direction of the line ``M_SS x_S − λ d_S = const`` when ``M_SS`` is singular (dense)."""
    S = np.flatnonzero(lin)
    Md = M.toarray() if sp.issparse(M) else M
    B = np.column_stack([Md[np.ix_(S, S)], -db[S]])
    _, s, vt = np.linalg.svd(B)
    if S.size and s.size >= S.size and s[S.size - 1] <= 1e-12 * max(1.0, s[0]):
        return None, 0.0
    v = vt[-1]
    dx = np.zeros(M.shape[0])
    dx[S] = v[:-1]
    dl = float(v[-1])
    if abs(dl) <= 1e-14:
        dl = 0.0
    return dx, dl


# ---------------------------------------------------------------------------- driver
def lds_verdict(prob: BoxProblem) -> tuple[bool | None, str]:
    """Whether ``A − I`` is LDS (then every ``(I − A)_SS`` is a P-matrix: one equilibrium per
    ``λ``, every piece stable), with the reason. Small ``n``: :func:`eicircuits.stability.lds`;
    large ``n``: the majorant bound (docs/theory.md §3 Fact 8) only."""
    from ..circuits.builders import majorant_bound

    n = prob.n
    bound, _ = majorant_bound(prob.A, iterations=60)
    if bound < 1.0:
        return True, (f"the Metzler majorant bound ρ(|W|) ≤ {bound:.4g} < 1 certifies that W − I "
                      "is LDS (docs/theory.md §3 Fact 8)")
    if n <= 60:
        from ..stability import lds

        A = prob.dense_A() - np.eye(n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = lds(A)
        if res.is_lds:
            return True, f"W − I is LDS ({res.method} certificate, margin {res.margin:.3g})"
        if res.is_lds is False:
            return False, "W − I is not LDS (refuted)"
    return None, "no LDS certificate was sought or found"


def same_point(a: FloatArray, b: FloatArray) -> bool:
    return bool(np.max(np.abs(a - b), initial=0.0) <= 1e-7 * (1.0 + np.max(np.abs(b),
                                                                          initial=0.0)))


def run(net: Any, direction: FloatArray, span: tuple[float, float], *, x0: Any,
        max_points: int, stability: Any, neurons: NDArray[np.intp], refactor: int,
        borders: bool, parameter: str, linear_solver: str = "auto") -> Any:
    """The exact path of every branch through the ends of the span (see :func:`continuation`)."""
    from ..errors import SizeLimitError
    from ..fixed_points import equilibrium
    from ..fixed_points._problem import box_problem
    from ._result import Bifurcation, Branch, Continuation

    t0 = time.perf_counter()
    prob = box_problem(net, net.u)
    # the normal form's b = c·u + o is affine in u (o: thresholds), so d maps to c·d
    db = box_problem(net, direction).b - box_problem(net, np.zeros(net.n)).b
    lam_lo, lam_hi = span
    is_lds, lds_why = lds_verdict(prob)
    if linear_solver == "auto":
        from .._limits import PIVOT_DIRECT_LIMIT

        linear_solver = ("iterative" if prob.sparse and prob.n > PIVOT_DIRECT_LIMIT
                         else "direct")
    if stability is False:
        mode = "none"
    elif is_lds and stability == "auto":
        mode = "lds"
    else:
        mode = "compute"
    notes: list[str] = []
    starts: list[tuple[float, FloatArray, int]] = []
    hi_starts: list[FloatArray] = []
    if x0 is not None:
        guesses = np.atleast_2d(np.asarray(x0, dtype=float))
        for g in guesses:
            eq = equilibrium(net, u=net.u + lam_lo * direction, x0=g)
            if not eq.converged:
                from ..errors import ConvergenceError

                raise ConvergenceError(f"x0: no equilibrium found from this guess at "
                                       f"λ = {lam_lo:g}: {eq.message}")
            starts.append((lam_lo, eq.x, +1))
        notes.append(f"started from {len(starts)} equilibrium(s) at λ = {lam_lo:g} given by x0")
    else:
        try:
            lo_eqs = all_equilibria(net, net.u + lam_lo * direction)
            hi_eqs = all_equilibria(net, net.u + lam_hi * direction)
            starts = [(lam_lo, x, +1) for x in lo_eqs]
            hi_starts = list(hi_eqs)
            notes.append(f"started from every equilibrium at both ends of the span "
                         f"({len(lo_eqs)} at λ = {lam_lo:g}, {len(hi_eqs)} at λ = {lam_hi:g}, "
                         "support enumeration)")
        except SizeLimitError:
            u0 = net.u + lam_lo * direction
            x_start, how = _start_large(net, u0, bool(is_lds))
            starts = [(lam_lo, x_start, +1)]
            notes.append(f"started from {how} at λ = {lam_lo:g}")
    traced: list[Traced] = []
    queue = [*starts, *((lam_hi, x, -1) for x in hi_starts)]
    covered: list[tuple[float, FloatArray]] = []
    for lam_s, xs, sgn in queue:
        if any(ls == lam_s and same_point(xc, xs) for ls, xc in covered):
            continue
        tr = follow(prob, db, net.tau, span, lam_s, xs, sgn, max_points=max_points,
                    refactor=refactor, keep=neurons, stability=mode,
                    linear_solver=linear_solver)
        traced.append(tr)
        covered.append((lam_s, xs))
        if tr.status == "span_end" and tr.end_x is not None:
            covered.append((tr.lam[-1], tr.end_x))
    branches, bifs = [], []
    for bi, tr in enumerate(traced):
        lam = np.array(tr.lam)
        xs = np.array(tr.x).reshape(len(tr.lam), neurons.size)
        seg = tr.seg_stable
        stable = seg_stable = eig = None
        if mode != "none" and seg:
            seg_stable = np.array(seg, dtype=bool)
            stable = np.append(seg_stable, seg_stable[-1])
            if mode == "compute":
                r = min(len(e) for e in tr.seg_eigs)
                ev = np.array([e[:r] for e in tr.seg_eigs])
                eig = np.vstack([ev, ev[-1:]])
        ok = tr.status == "span_end"
        branches.append(Branch(
            lam=lam, x=xs, stable=stable, eigenvalues=eig, segment_stable=seg_stable,
            neurons=neurons, method="piecewise-linear", success=ok, status=tr.status,
            message=tr.message,
            stats={"pivots": tr.pivots, "vertices": len(tr.lam), "ties": tr.ties,
                   "factorizations": tr.factorizations, "seconds": tr.seconds,
                   "linear_solver": linear_solver, "krylov_iterations": tr.iterations,
                   "pivots_per_second": tr.pivots / tr.seconds if tr.seconds > 0 else None},
            _state0=tr.state0, _changes=tuple(tr.changes)))
        for kind, j, k, msg in tr.events:
            if kind == "border" and not borders:
                continue
            if kind == "fold":
                msg = (f"fold: the branch turns back in λ (det (I − W)_SS changes sign; two "
                       f"equilibria meet); {msg}")
            else:
                msg = f"border: {msg}"
            if seg_stable is not None and 1 <= j < seg_stable.size and (
                    seg_stable[j - 1] != seg_stable[j]):
                how = "stable to unstable" if seg_stable[j - 1] else "unstable to stable"
                msg += (f"; stability changes here ({how} along the branch: eigenvalues jump "
                        "where the active set changes)")
            bifs.append(Bifurcation(kind=kind, lam=float(lam[j]), x=xs[j], message=msg,
                                    branch=bi, index=j, neuron=k))
    n_fold = sum(b.kind == "fold" for b in bifs)
    fails = [b for b in branches if not b.success]
    status = "completed" if not fails else fails[0].status
    single = True if is_lds else None
    parts = [f"{len(branches)} branch(es), {n_fold} fold(s), "
             f"{sum(tr.pivots for tr in traced)} pivots", *notes]
    if is_lds:
        parts.append(f"{lds_why}: one equilibrium for every λ, so the branch is a single-valued "
                     "function of λ and every piece is locally stable for every τ")
    else:
        parts.append("branches that touch neither end of the span (isolas) are not searched")
    vertical = sorted({v for tr in traced for v in tr.vertical})
    if vertical:
        parts.append("a continuum of equilibria (a segment at constant λ, where (I − W)_SS is "
                     "singular) at λ = " + ", ".join(f"{v:.10g}" for v in vertical[:10]))
    if fails:
        parts.append(f"branch {branches.index(fails[0])} stopped: {fails[0].message}")
    total = time.perf_counter() - t0
    return Continuation(
        branches=branches, bifurcations=bifs, parameter=parameter, span=span,
        method="piecewise-linear", single_valued=single, success=not fails, status=status,
        message="; ".join(parts),
        stats={"pivots": sum(tr.pivots for tr in traced), "seconds": total,
               "folds": n_fold, "borders": sum(len(tr.events) for tr in traced) - n_fold},
        neuron_names=tuple(net.names))


def all_equilibria(net: Any, u: FloatArray) -> list[FloatArray]:
    """Every equilibrium at input ``u`` by support enumeration (no stability: continuation
    computes it per piece). Raises ``SizeLimitError`` above the enumeration limits of
    :func:`eicircuits.equilibria` (18 neurons, 11 with clipped neurons)."""
    from .._limits import ENUMERATION_LIMIT
    from ..errors import SizeLimitError
    from ..fixed_points._enumerate import enumerate_states
    from ..fixed_points._problem import box_problem

    prob = box_problem(net, u)
    three = np.isfinite(prob.lo) & np.isfinite(prob.hi)
    limit = min(ENUMERATION_LIMIT, 11 if np.any(three) else 18)
    if net.n > limit:
        raise SizeLimitError(f"support enumeration limited to n ≤ {limit}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        xs, _ = enumerate_states(prob, tol=1e-9)
    return xs


def _start_large(net: Any, u: FloatArray, lds: bool) -> tuple[FloatArray, str]:
    """An equilibrium at the start of the span for a network too large to enumerate."""
    from ..dynamics import simulate
    from ..fixed_points import equilibrium

    if lds:
        eq = equilibrium(net, u=u).raise_if_failed()
        return eq.x, "the unique equilibrium (LDS)"
    tr = simulate(net, np.zeros(net.n), (0.0, 200.0 * float(np.max(net.tau))), u=u,
                  until_steady=1e-8)
    eq = equilibrium(net, u=u, x0=tr.x[-1])
    if eq.converged:
        return eq.x, "the equilibrium reached from rest (simulated, then solved exactly)"
    eq = equilibrium(net, u=u).raise_if_failed()
    return eq.x, ("an equilibrium found by the active-set solver (the simulation from rest did "
                  "not settle)")
