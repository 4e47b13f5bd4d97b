"""Lyapunov diagonal stability: find ``P = diag(p) ≻ 0`` with ``PA + AᵀP ≺ 0`` (docs/theory.md §3).

Strategies, cheapest first (``method="auto"``):

``"2x2"``
    the closed form of Fact 5;
``"metzler"``
    Metzler ``A``: two linear solves ``Av = −1``, ``Aᵀw = −1`` give ``p = w / v`` (Fact 4);
``"ascent"``
    a two-constant E/I scaling ``p = (1 on E, s on I)`` as a start,
    then L-BFGS on the log-weights of a log-sum-exp smoothing of ``λ_max(PA + AᵀP) / mean(p)``
    with eigenpairs from LAPACK (``n ≤ 600``) or Lanczos (ARPACK);
``"sdp"``
    the semidefinite program ``max t`` s.t. ``PA + AᵀP ⪯ −tI``, ``Σ p = n`` on ``A / ‖A‖``
    through cvxpy (CVXOPT by default: fastest in our measurements, see
    ``benchmarks/bench_certify.py``); its optimum ``t* ≤ 0`` yields a refutation (the
    dual). Last in ``"auto"``: only when the ascent found no certificate.

Weights are returned normalised to ``max p = 1``, rounded to 30-bit dyadic rationals (so exact
verification is cheap), with the scale-free ``margin = −λ_max(PA + AᵀP) / (2 mean p)``: the
quantity the SDP and the ascent maximise.

Examples
--------
>>> import numpy as np
>>> res = lds(np.array([[-1.0, -2.0], [1.0, -1.0]]))
>>> res.is_lds, res.method, res.p.tolist()
(True, '2x2', [0.25, 1.0])
>>> lds(np.array([[0.5, -2.0], [3.0, -2.0]])).is_lds
False
"""

from __future__ import annotations

import contextvars
import dataclasses
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.optimize as so
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import ArrayLike, NDArray

from .._limits import DENSE_EIG_LIMIT
from .._threads import blas_threads
from ..errors import SolverError, ValidationError
from .matrices import as_square, comparison_vectors, is_metzler, lds_2x2, perron_vector
from .refute import refute_diagonal, refute_eigen, refute_sdp, round_factor, verify_refutation

__all__ = ["LDSResult", "lds", "lds_margin", "round_weights", "SDP_LIMIT", "DEFAULT_SOLVER"]

FloatArray = NDArray[np.float64]

#: ``method="auto"`` falls back to the SDP (certificate or refutation) up to this size.
SDP_LIMIT = 80
#: Preferred cvxpy solver (measured fastest and most reliable for this SDP), then fallbacks.
DEFAULT_SOLVER = "CVXOPT"
_FALLBACK_SOLVERS = ("CVXOPT", "SCS", "CLARABEL")
#: Dense eigensolver up to this size in the ascent; Lanczos above.
_DENSE_EIG_LIMIT = 600


@dataclasses.dataclass(frozen=True, eq=False)
class LDSResult:
    """Outcome of :func:`lds`.

    Attributes
    ----------
    is_lds : bool or None
        ``True``: ``p`` is a certificate; ``False``: ``refutation`` proves non-LDS;
        ``None``: inconclusive (``message`` says why and what to try).
    p : ndarray or None
        Diagonal weights, ``max p = 1``.
    margin : float or None
        ``−λ_max(PA + AᵀP) / (2 mean p)`` for the returned ``p`` (negative when not a
        certificate).
    refutation : ndarray or None
        Factor ``V`` with ``X = VVᵀ ⪰ 0``, ``diag(AX) ≥ 0``.
    method : str
        The strategy that produced the result.
    message : str
        What was found, in words.
    seconds : float
        Wall-clock time.
    """

    is_lds: bool | None
    p: FloatArray | None
    margin: float | None
    refutation: FloatArray | None
    method: str
    message: str
    seconds: float = 0.0


# --------------------------------------------------------------------------- helpers
def round_weights(p: ArrayLike, bits: int = 30) -> FloatArray:
    """Normalise ``p`` to ``max p = 1`` and round each entry to a ``bits``-bit mantissa."""
    p = np.asarray(p, dtype=float)
    p = p / np.max(p)
    m, e = np.frexp(p)
    return np.ldexp(np.round(np.ldexp(m, bits)), e - bits)


def _start_vector(n: int) -> FloatArray:
    """A fixed generic Lanczos start: ``1`` can lie in an invariant subspace (for a singular
    ``W − I`` with zero row sums ARPACK then stops with error -9)."""
    return 1.0 + 0.5 * np.random.default_rng(12345).random(n)


def _sym_matvec(A: Any, p: FloatArray) -> spla.LinearOperator:
    n = A.shape[0]
    At = A.T.tocsr() if sp.issparse(A) else A.T
    return spla.LinearOperator((n, n), matvec=lambda x: p * (A @ x) + At @ (p * x), dtype=float)


def _sym_dense(A: FloatArray, p: FloatArray) -> FloatArray:
    M = p[:, None] * A
    return M + M.T


def lds_margin(A: Any, p: ArrayLike, *, tol: float = 1e-10) -> float:
    """``−λ_max(PA + AᵀP) / (2 mean p)`` (LAPACK up to ``n = 1000``, Lanczos above)."""
    A = as_square(A)
    p = np.asarray(p, dtype=float)
    n = A.shape[0]
    if n > 1000:
        op = _sym_matvec(A, p)
        try:
            val = spla.eigsh(op, k=1, which="LA", tol=tol, return_eigenvectors=False,
                             maxiter=max(2000, 10 * n), v0=_start_vector(n))
        except spla.ArpackError as exc:  # no convergence, or a breakdown (error -9)
            raise SolverError(f"lds_margin: Lanczos failed for n = {n}: {exc}") from exc
        return -float(val[0]) / (2 * float(np.mean(p)))
    dense = A.toarray() if sp.issparse(A) else A
    lam = float(np.linalg.eigvalsh(_sym_dense(dense, p))[-1])
    return -lam / (2 * float(np.mean(p)))


#: A candidate certificate is accepted only with margin above this fraction of max |A_ij| and
#: weights within this dynamic range: below, floating point cannot tell it from a boundary case
#: (e.g. weights collapsing onto one neuron give a "margin" of 1e-32 for a non-Hurwitz A).
_REL_MARGIN = 1e-9
_MIN_WEIGHT = 1e-12


def _accept(A: Any, p: FloatArray, m: float | None) -> bool:
    if m is None or not np.isfinite(m):
        return False
    scale = float(np.max(np.abs(A.data if sp.issparse(A) else A)))
    return bool(m > _REL_MARGIN * scale and np.min(p) >= _MIN_WEIGHT * np.max(p))


def _cvxpy_solve(prob: Any, solver: str | None) -> str:
    import cvxpy as cp

    installed = set(cp.installed_solvers())
    if solver is not None:
        if solver.upper() not in installed:
            raise ValidationError(
                f"solver: {solver!r} is not installed; installed cvxpy solvers: "
                f"{sorted(installed)}"
            )
        order = [solver.upper()]
    else:
        order = [s for s in _FALLBACK_SOLVERS if s in installed]
    last: Exception | None = None
    for name in order:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                prob.solve(solver=name)
        except (cp.error.SolverError, ArithmeticError, ValueError) as exc:
            last = exc
            continue
        if prob.status in ("optimal", "optimal_inaccurate", "infeasible", "unbounded"):
            return name  # a definite answer (the caller reads prob.status)
        last = SolverError(f"{name} returned status {prob.status!r}")
    raise SolverError(
        f"the LDS semidefinite program failed with every solver tried ({', '.join(order)}): "
        f"{last}; try method='ascent'"
    )


class _Done(Exception):
    pass


# --------------------------------------------------------------------------- strategies
def _lds_2x2(A: FloatArray) -> LDSResult:
    ok, p = lds_2x2(A)
    if ok:
        p = round_weights(p)
        m = lds_margin(A, p)
        if _accept(A, p, m):
            return LDSResult(True, p, m, None, "2x2",
                             "2 × 2 closed form: a11 < 0, a22 < 0, det > 0")
    V = refute_diagonal(A)
    if V is None:
        V = refute_eigen(A)
    reason = ("2 × 2 closed form: not (a11 < 0, a22 < 0, det A > 0)" if not ok else
              "2 × 2 closed form holds, but only with a margin below floating-point resolution")
    return LDSResult(False if V is not None else None, None, None, V, "2x2", reason)


def _lds_metzler(A: Any) -> LDSResult:
    if not is_metzler(A):
        raise ValidationError("method='metzler': A must be Metzler (off-diagonal entries ≥ 0)")
    vw = comparison_vectors(A)
    if vw is not None:
        v, w = vw
        p = round_weights(w / v)
        m = lds_margin(A, p) if A.shape[0] <= 20000 else None
        return LDSResult(True, p, m, None, "metzler",
                         "Metzler and Hurwitz: Av < 0, Aᵀw < 0 with v, w > 0; P = diag(w / v)")
    # Metzler, not Hurwitz: the Perron eigenvector z (α ≥ 0) refutes with X = zzᵀ.
    z, alpha = perron_vector(A)
    V = z[:, None]
    ok = alpha >= 0 and verify_refutation(A, V)[0]
    if alpha >= 0 and not ok and A.shape[0] <= DENSE_EIG_LIMIT:
        # rounding errors of z at the boundary: the eigen refutation snaps to dyadic grids
        Ve = refute_eigen(A.toarray() if sp.issparse(A) else A)
        if Ve is not None:
            V, ok = Ve, True
    if alpha >= 0 and ok:
        return LDSResult(False, None, None, V, "metzler",
                         f"Metzler with spectral abscissa {alpha:.6g} ≥ 0: not Hurwitz, not LDS")
    return LDSResult(None, None, None, None, "metzler",
                     "Metzler matrix: the linear solves failed numerically; try method='sdp'")


def _lds_sdp(A: FloatArray, solver: str | None) -> LDSResult:
    import cvxpy as cp

    n = A.shape[0]
    scale = float(np.linalg.norm(A, 2)) or 1.0
    As = A / scale
    p = cp.Variable(n)
    t = cp.Variable()
    M = cp.diag(p) @ As
    lmi = -(M + M.T) - t * np.eye(n) >> 0
    prob = cp.Problem(cp.Maximize(t), [lmi, cp.sum(p) == n])
    used = _cvxpy_solve(prob, solver)
    tval = float(t.value)
    if tval > 0 and p.value is not None and np.all(p.value > 0):
        pr = round_weights(np.maximum(p.value, 1e-300))
        m = lds_margin(A, pr)
        if _accept(A, pr, m):
            return LDSResult(True, pr, m, None, f"sdp ({used})",
                             f"SDP optimum t* = {tval:.4g} > 0 (scaled by ‖A‖₂ = {scale:.4g})")
    # t* ≤ 0 (or a certificate lost to rounding): take the dual as the refutation.
    X = lmi.dual_value
    V = None
    if X is not None:
        V = round_factor(np.asarray(X))
        if V.shape[1] == 0 or not verify_refutation(A, V, exact=False)[0]:
            V = None
    if V is None:
        V = refute_eigen(A)  # not Hurwitz: the SDP optimum is 0, its dual degenerate
    if V is None:
        V, _ = refute_sdp(A, solver=solver)
    if V is not None:
        return LDSResult(False, None, None, V, f"sdp ({used})",
                         f"SDP optimum t* = {tval:.4g} ≤ 0: not LDS (dual refutation)")
    return LDSResult(None, None, None, None, f"sdp ({used})",
                     f"SDP optimum t* = {tval:.3g} is too close to 0 to decide in floating point")


def _top_eigs(A: Any, At: Any, p: FloatArray, k: int, v0: FloatArray | None,
              dense: bool) -> tuple[FloatArray, FloatArray]:
    if dense:
        S = _sym_dense(A, p)
        vals, vecs = np.linalg.eigh(S)
        return vals[-k:], vecs[:, -k:]
    n = A.shape[0]
    op = spla.LinearOperator((n, n), matvec=lambda x: p * (A @ x) + At @ (p * x), dtype=float)
    vals, vecs = spla.eigsh(op, k=k, which="LA", v0=v0, tol=1e-9, maxiter=max(3000, 20 * n))
    return vals, vecs


class _Timeout(Exception):
    pass


def _ei_start(A: Any, At: Any, e_mask: FloatArray | None, dense: bool,
              deadline: float | None = None) -> FloatArray:
    n = A.shape[0]
    if e_mask is None or e_mask.all() or not e_mask.any():
        return np.ones(n)

    best = (np.inf, 0.0)

    def f(s: float) -> float:
        nonlocal best
        if deadline is not None and time.perf_counter() > deadline:
            raise _Timeout
        p = np.where(e_mask, 1.0, np.exp(s))
        vals, _ = _top_eigs(A, At, p, 1, _start_vector(n), dense)
        val = float(vals[-1]) / float(np.mean(p))
        best = min(best, (val, s))
        return val

    try:
        res = so.minimize_scalar(f, bounds=(-12.0, 12.0), method="bounded",
                                 options={"xatol": 1e-4, "maxiter": 60})
        s_best = float(res.x)
    except _Timeout:
        s_best = best[1]
    return np.where(e_mask, 1.0, np.exp(s_best))


#: Where the ascent reports on long searches (``certify(progress=…)`` sets it for its call).
ASCENT_PROGRESS: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar(
    "ASCENT_PROGRESS", default=None)
#: Seconds between two progress lines of the ascent.
ASCENT_REPORT_EVERY = 10.0


def _lds_ascent(A: Any, *, e_mask: FloatArray | None, optimize: bool, max_iter: int,
                time_limit: float | None) -> LDSResult:
    n = A.shape[0]
    report = ASCENT_PROGRESS.get()
    dense_eig = n <= _DENSE_EIG_LIMIT
    if dense_eig and sp.issparse(A):
        A = A.toarray()
    if sp.issparse(A):
        scale = float(spla.norm(A, 1)) or 1.0
    else:
        scale = float(np.linalg.norm(A, 2) if n <= DENSE_EIG_LIMIT else np.linalg.norm(A, 1)) or 1.0
    As = A / scale
    At = As.T.tocsr() if sp.issparse(As) else As.T
    k = n if dense_eig else min(6, n - 1)
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + time_limit
    p0 = _ei_start(As, At, e_mask, dense_eig, deadline)
    state: dict[str, Any] = {"best": None, "best_val": np.inf, "v0": None,
                             "reported": time.perf_counter()}

    def tell() -> None:
        now = time.perf_counter()
        if report is None or now - state["reported"] < ASCENT_REPORT_EVERY:
            return
        state["reported"] = now
        # val = λ_max(P·A/scale + (A/scale)ᵀP) / mean(p): margin ≈ −val·scale/2 (> 0 certifies)
        left = "" if deadline is None else f", {max(0.0, deadline - now):.0f} s left"
        report(f"certify: lds ascent on n = {n}: {now - t0:.0f} s, best margin so far "
               f"{-state['best_val'] * scale / 2:.3g} (a positive margin certifies){left}")

    # Stop early (not optimize) once the true λ_max is below this (scaled units, mean p = 1).
    target = 1e-4

    def true_top(p: FloatArray) -> float:
        vals, vecs = _top_eigs(As, At, p, 1 if not dense_eig else n, state["v0"], dense_eig)
        if not dense_eig:
            state["v0"] = vecs[:, -1]
        return float(vals[-1])

    def record(p: FloatArray, lam_max: float) -> None:
        val = lam_max / float(np.mean(p))
        if val < state["best_val"]:
            state["best_val"], state["best"] = val, p.copy()

    def objective(s: FloatArray, mu: float) -> tuple[float, FloatArray]:
        if deadline is not None and time.perf_counter() > deadline:
            raise _Done
        p = np.exp(s - np.max(s))
        m = float(np.mean(p))
        kk = k if dense_eig else min(k, n - 1)
        vals, vecs = _top_eigs(As, At, p, kk, state["v0"], dense_eig)
        if not dense_eig:
            state["v0"] = vecs[:, -1]
        record(p, float(vals[-1]))
        z = (vals - vals[-1]) / mu
        w = np.exp(z)
        w /= w.sum()
        F = float(vals[-1] + mu * np.log(np.sum(np.exp(z))))
        AV = As @ vecs
        gp = 2.0 * np.sum(w[None, :] * vecs * AV, axis=1)
        f = F / m
        grad_p = gp / m - F / (m * m * n)
        return f, p * grad_p

    def callback(xk: FloatArray) -> None:
        tell()
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            raise _Done
        if not optimize and state["best_val"] < -target:
            raise _Done

    s = np.log(p0)
    record(p0, true_top(p0))
    if optimize or state["best_val"] >= -target:
        spread = max(abs(state["best_val"]), 1e-3)
        for mu in (1e-1 * spread, 1e-2 * spread, 1e-3 * spread, 1e-5 * spread):
            try:
                res = so.minimize(objective, s, args=(mu,), jac=True, method="L-BFGS-B",
                                  callback=callback,
                                  options={"maxiter": max_iter, "gtol": 1e-12, "ftol": 1e-14})
                s = res.x
            except _Done:
                break
            except spla.ArpackError as exc:
                raise SolverError(
                    f"lds ascent: Lanczos failed (n = {n}): {exc}; try method='sdp'"
                ) from exc
    p = round_weights(state["best"])
    m = lds_margin(A, p)
    dt = time.perf_counter() - t0
    if _accept(A, p, m):
        return LDSResult(True, p, m, None, "ascent",
                         f"first-order ascent on diagonal weights: margin {m:.4g}", dt)
    V = None
    out_of_time = deadline is not None and time.perf_counter() > deadline
    if n <= DENSE_EIG_LIMIT and not out_of_time:
        Ad = A.toarray() if sp.issparse(A) else A
        V = refute_diagonal(Ad)
        if V is None:
            V = refute_eigen(Ad)
        if V is None and dense_eig:
            # dual candidate at the optimum: the top eigenvector of PA + AᵀP
            _, vecs = _top_eigs(As, At, p, 1, None, True)
            V = vecs[:, -1:]
            if not verify_refutation(Ad, V, exact=False)[0]:
                V = None
    if V is not None:
        return LDSResult(False, None, None, V, "ascent", "not LDS (refutation found)", dt)
    why = (f"the time limit ran out after {dt:.1f} s; " if out_of_time else "")
    if n <= SDP_LIMIT:
        advice = "try method='sdp' for a certificate or a refutation"
    else:  # advice the user can follow: the SDP is out of reach at this size
        advice = (f"the SDP that would decide it is limited to n ≤ SDP_LIMIT = {SDP_LIMIT} "
                  f"(here n = {n}); a longer time_limit may let the ascent finish")
    return LDSResult(None, p, m, None, "ascent",
                     f"{why}the ascent found no certificate (best margin {m:.3g}); not proven "
                     f"either way: {advice}", dt)


# --------------------------------------------------------------------------- balancing
#: Dense matrices up to this n are balanced before the tests (one O(n²) sweep when well scaled).
_BALANCE_LIMIT = 200
#: Balance only when the scales differ by more than this power of two.
_BALANCE_SPREAD = 10


def _balance(A: FloatArray) -> FloatArray | None:
    """Powers of two ``d`` such that ``D⁻¹AD`` (``D = diag(d)``) has comparable row and column
    scales (Osborne's iteration, with the diagonal as a floor so that triangular matrices are
    balanced too); ``None`` when ``A`` is already balanced to within ``2^_BALANCE_SPREAD``.

    LDS is invariant under diagonal similarity: ``P_B`` certifies ``B = D⁻¹AD`` iff
    ``P_B D⁻²`` certifies ``A``, and ``X_B`` refutes ``B`` iff ``D X_B D`` refutes ``A``; with
    powers of two every scaling is exact.
    """
    n = A.shape[0]
    if n < 2 or n > _BALANCE_LIMIT:
        return None
    off = np.abs(A)
    diag = np.diag(off).copy()
    np.fill_diagonal(off, 0.0)
    logd = np.zeros(n)
    for _ in range(64):
        changed = False
        for i in range(n):
            d = np.exp2(logd)
            r = float(off[i] @ d) / d[i] + diag[i]
            c = float(off[:, i] @ (1.0 / d)) * d[i] + diag[i]
            if r <= 0 or c <= 0 or not np.isfinite(r) or not np.isfinite(c):
                continue
            k = round(0.5 * np.log2(r / c))
            if k != 0:
                logd[i] += k
                changed = True
        if not changed:
            break
    if np.ptp(logd) < _BALANCE_SPREAD:
        return None
    return np.exp2(logd - np.max(logd))


def _unbalance(A: FloatArray, res: LDSResult, d: FloatArray) -> LDSResult:
    note = "; decided on D⁻¹AD with D = diag(2^k) balancing the scales of A"
    if res.is_lds and res.p is not None:
        p = round_weights(res.p / d**2)
        m = lds_margin(A, p)
        if np.isfinite(m) and m > 0:
            return dataclasses.replace(res, p=p, margin=m, message=res.message + note)
        return LDSResult(None, p, m, None, res.method,
                         f"the balanced certificate does not survive the scaling back "
                         f"(margin {m:.3g}){note}", res.seconds)
    if res.is_lds is False and res.refutation is not None:
        V = d[:, None] * res.refutation
        return dataclasses.replace(res, refutation=V, message=res.message + note)
    return dataclasses.replace(res, message=res.message + note)


# --------------------------------------------------------------------------- entry point
_METHODS = ("auto", "2x2", "metzler", "sdp", "ascent")


def lds(A: Any, *, method: str = "auto", cell_types: Any = None, solver: str | None = None,
        optimize: bool = True, max_iter: int = 500, time_limit: float | None = None,
        balance: bool = True) -> LDSResult:
    """Decide Lyapunov diagonal stability of ``A`` with a certificate either way.

    Parameters
    ----------
    A : array_like or sparse matrix, shape (n, n)
        For a network, ``A = W − I`` (``τ`` does not matter: docs/theory.md §3 Fact 2).
    method : {"auto", "2x2", "metzler", "sdp", "ascent"}
        Strategy (module docstring). ``"auto"``: 2 × 2 closed form, Metzler solves, the ascent,
        and when it finds no certificate the SDP (up to ``n = SDP_LIMIT``) for a certificate or
        a refutation.
    cell_types : sequence of "E"/"I", optional
        Used by the ascent's two-constant E/I starting point.
    solver : str, optional
        cvxpy solver for the SDP (default: CVXOPT, then SCS, then Clarabel).
    optimize : bool
        Ascent only: ``False`` stops at the first certificate instead of the best margin.
    max_iter : int
        L-BFGS iterations per smoothing level (ascent).
    time_limit : float, optional
        Seconds after which the ascent stops with what it has.
    balance : bool
        Balance a badly scaled dense ``A`` (``n ≤ 200``) by a diagonal similarity with powers
        of two before the tests (LDS is invariant under it); e.g. ``[[−1, −1.8e9], [0, −1]]``
        is LDS, but only with weights ``10¹⁸`` apart.

    Returns
    -------
    LDSResult

    Raises
    ------
    ValidationError
        ``A`` not square/finite, unknown ``method``.
    SolverError
        Every SDP solver failed, or Lanczos did not converge.

    Examples
    --------
    >>> lds([[-1.0, 0.5], [0.5, -1.0]], method="metzler").is_lds
    True
    """
    A = as_square(A)
    if method not in _METHODS:
        raise ValidationError(f"method: expected one of {_METHODS}, got {method!r}")
    t0 = time.perf_counter()
    n = A.shape[0]
    if balance and not sp.issparse(A):
        d = _balance(np.asarray(A, dtype=float))
        if d is not None:
            B = A / d[:, None] * d[None, :]
            res = lds(B, method=method, cell_types=cell_types, solver=solver,
                      optimize=optimize, max_iter=max_iter, time_limit=time_limit,
                      balance=False)
            return dataclasses.replace(_unbalance(A, res, d), seconds=time.perf_counter() - t0)
    if method == "auto":
        if n == 2:
            method = "2x2"
        elif is_metzler(A):
            method = "metzler"
        else:
            # the ascent first (cheap, matches the SDP optimum in our tests); the SDP last, for a
            # certificate the ascent missed or a refutation (its dual), up to SDP_LIMIT
            res = lds(A, method="ascent", cell_types=cell_types, optimize=optimize,
                      max_iter=max_iter, time_limit=time_limit, balance=False)
            if res.is_lds is None and n <= SDP_LIMIT:
                res = lds(A, method="sdp", solver=solver, balance=False)
            return dataclasses.replace(res, seconds=time.perf_counter() - t0)
    dense = A.toarray() if (sp.issparse(A) and method in ("2x2", "sdp")) else A
    if method == "2x2":
        if n != 2:
            raise ValidationError(f"method='2x2' needs a 2 × 2 matrix, got n = {n}")
        res = _lds_2x2(dense)
    elif method == "metzler":
        res = _lds_metzler(A)
    elif method == "sdp":
        d = refute_diagonal(dense)
        if d is not None:
            i = int(np.flatnonzero(d[:, 0])[0])
            res = LDSResult(False, None, None, d, "diagonal",
                            f"A[{i}, {i}] = {dense[i, i]:.6g} ≥ 0: not LDS")
        else:
            with blas_threads(1 if n <= 200 else None):
                res = _lds_sdp(dense, solver)
    else:
        d = refute_diagonal(A)
        if d is not None:
            i = int(np.flatnonzero(d[:, 0])[0])
            res = LDSResult(False, None, None, d, "diagonal",
                            f"A[{i}, {i}] = {A.diagonal()[i]:.6g} ≥ 0: not LDS")
        else:
            e_mask = None
            if cell_types is not None:
                e_mask = np.array([str(t).upper() == "E" for t in cell_types])
            # many small dense eigendecompositions: one BLAS thread is much faster (and far
            # faster on a busy machine) than a thread pool synchronising on every call
            with blas_threads(1 if n <= _DENSE_EIG_LIMIT else None):
                try:
                    res = _lds_ascent(A, e_mask=e_mask, optimize=optimize, max_iter=max_iter,
                                      time_limit=time_limit)
                except spla.ArpackError as exc:  # a breakdown (e.g. error -9), not a verdict
                    raise SolverError(f"lds ascent: Lanczos failed (n = {n}): {exc}") from exc
    return dataclasses.replace(res, seconds=time.perf_counter() - t0)
