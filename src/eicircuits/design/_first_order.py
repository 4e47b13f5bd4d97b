"""First-order design for large ``n``: projections on ``Y = P W`` with ``P`` fixed
(docs/theory.md §6).

Alternating projections (which converge to a point of the intersection of closed convex sets
when it is not empty), ``P`` fixed, onto:

* per row, the target equalities intersected with Dale's signs, the mask and the bounds
  (exact projection: semismooth Newton on its dual, warm-started);
* the silent / saturated inequalities, one halfspace per row and target (rank-one increments);
* the LMI ``{Y : sym(Y) ⪯ P − (ε/2) I}``, by eigenvalue clipping of the symmetric part (only
  the top eigenpairs, by Lanczos, when few violate), the skew part untouched;

then the minimum-norm row polish of :func:`synthesize` meets the equalities to rounding.
Convergence is linear but can be slow where the target equalities meet Dale's sign
constraints (measured in ``benchmarks/bench_design.py``); ``residual`` says what was reached.

The returned ``W = Y / p`` has Dale's signs, the mask and the bounds exactly; if the LMI is
still slightly violated, the closed-form coupling scaling of :func:`stabilize` (same ``P``)
makes it certified. Each step costs ``O(n² K)`` plus the eigenvalue clipping.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse.linalg as spla
from numpy.typing import ArrayLike, NDArray

from ..activations import Activation, ReLU
from ..errors import ValidationError
from ._finish import clean_weights, finish, polish
from ._margins import coupling_lambda
from ._problem import (
    sign_pattern,
)
from ._result import Design
from ._synthesize import check_design_inputs

__all__ = ["synthesize_first_order"]

FloatArray = NDArray[np.float64]


def _clip_lmi(V: FloatArray, p: FloatArray, eps: float) -> tuple[FloatArray, int]:
    """Frobenius projection of ``V`` onto ``{sym(V) ⪯ P − (ε/2) I}``; number of clipped
    eigenvalues."""
    n = V.shape[0]
    S = 0.5 * (V + V.T)
    K = V - S
    M = S - np.diag(p - 0.5 * eps)
    k = min(24, n - 2)
    if n > 200 and k > 0:
        vals, vecs = spla.eigsh(M, k=k, which="LA", tol=1e-10)
        if vals.min() < 0:  # every positive eigenvalue is among the k found
            pos = vals > 0
            if not np.any(pos):
                return V, 0
            Vp = vecs[:, pos]
            return S - (Vp * vals[pos]) @ Vp.T + K, int(pos.sum())
    vals, vecs = np.linalg.eigh(M)
    pos = vals > 0
    if not np.any(pos):
        return V, 0
    Vp = vecs[:, pos]
    return S - (Vp * vals[pos]) @ Vp.T + K, int(pos.sum())


def _row_boxes(p: FloatArray, sign: FloatArray, mask: NDArray[np.bool_],
               max_weight: float | None, max_self: float | None) -> tuple[FloatArray, FloatArray]:
    """Entrywise bounds on ``Y = P W``: Dale's signs, the mask, ``|W_ij| ≤ w``, ``W_ii ≤ s``."""
    n = p.size
    big = np.inf if max_weight is None else max_weight
    lo = np.where(sign[None, :] > 0, 0.0, -big) * p[:, None]
    hi = np.where(sign[None, :] > 0, big, 0.0) * p[:, None]
    lo = np.where(mask, lo, 0.0)
    hi = np.where(mask, hi, 0.0)
    if max_self is not None:
        idx = np.arange(n)
        hi[idx, idx] = np.minimum(hi[idx, idx], max_self * p)
        lo[idx, idx] = np.minimum(lo[idx, idx], hi[idx, idx])
    return lo + 0.0, hi + 0.0


def _project_row(v: FloatArray, A: FloatArray, b: FloatArray, lo: FloatArray, hi: FloatArray,
                 lam: FloatArray, iters: int = 10) -> tuple[FloatArray, FloatArray]:
    """``argmin ‖w − v‖`` s.t. ``A w = b``, ``lo ≤ w ≤ hi``: ``w = clip(v − Aᵀλ)`` with the dual
    ``λ`` from semismooth Newton on ``A w(λ) = b`` (backtracking on the residual norm), from the
    warm start ``lam``, and from ``λ = 0`` when that ends worse than the cold start began."""
    w, lam_w, norm = _newton_row(v, A, b, lo, hi, lam, iters)
    w0 = np.clip(v, lo, hi)
    norm0 = float(np.linalg.norm(A @ w0 - b))
    if norm > norm0:  # the warm start led astray (v moved far): restart from λ = 0
        w_c, lam_c, norm_c = _newton_row(v, A, b, lo, hi, np.zeros_like(lam), iters)
        if norm_c < norm:
            return w_c, lam_c
    return w, lam_w


def _newton_row(v: FloatArray, A: FloatArray, b: FloatArray, lo: FloatArray, hi: FloatArray,
                lam: FloatArray, iters: int) -> tuple[FloatArray, FloatArray, float]:
    w = np.clip(v - A.T @ lam, lo, hi)
    F = A @ w - b
    norm = float(np.linalg.norm(F))
    scale = 1e-13 * max(1.0, float(np.linalg.norm(b)))
    mu = 1e-8 * max(float(np.einsum("ij,ij->", A, A)) / max(1, A.shape[0]), 1e-300)
    for _ in range(iters):
        if norm <= scale:
            break
        free = (w > lo) & (w < hi)
        Af = A[:, free]
        H = Af @ Af.T
        H[np.diag_indices_from(H)] += mu  # Levenberg: entries at their bounds leave H singular
        try:
            d = np.linalg.solve(H, F)
        except np.linalg.LinAlgError:
            break
        step = 1.0
        for _ in range(40):  # the first steps from a point with every entry at a bound are huge
            lam_t = lam + step * d
            w_t = np.clip(v - A.T @ lam_t, lo, hi)
            F_t = A @ w_t - b
            n_t = float(np.linalg.norm(F_t))
            if n_t < norm:
                break
            step *= 0.5
        else:
            break
        lam, w, F, norm = lam_t, w_t, F_t, n_t
    return w, lam, norm


def synthesize_first_order(
    targets: Sequence[tuple[ArrayLike, ArrayLike]],
    *,
    cell_types: Any,
    activation: Activation | Sequence[Activation] = ReLU(),  # noqa: B008 (frozen, immutable)
    mask: ArrayLike | None = None,
    max_weight: float | None = None,
    max_self: float | None = None,
    margin: float = 1e-2,
    silence_margin: float = 0.0,
    weights: ArrayLike | None = None,
    max_iter: int = 2000,
    tol: float = 1e-6,
    tau: Any = 1.0,
    names: Any = None,
) -> Design:
    """Large-``n`` version of :func:`synthesize` (alternating projections with
    eigenvalue clipping, fixed ``P``).

    Parameters
    ----------
    targets, cell_types, activation, mask, max_weight, max_self, silence_margin, tau, names
        As in :func:`synthesize`.
    margin : float
        ``ε`` of the LMI ``Y + Yᵀ − 2P ⪯ −εI`` (``p`` as given, ``max p`` about 1).
    weights : array_like, shape (n,), optional
        The fixed ``p > 0`` (default ones: ``sym(W) ⪯ (1 − ε/2) I``).
    max_iter : int
        Rounds of projections.
    tol : float
        Success needs every recomputed target within ``tol · max(1, max |x|)``.

    Returns
    -------
    Design
        As :func:`synthesize`; ``stats`` holds ``iterations``, ``s`` (the final coupling scaling,
        ``1`` when the last iterate was already certified) and the drive residual history.

    Raises
    ------
    ValidationError
        As :func:`synthesize`.

    Examples
    --------
    >>> from eicircuits.design import synthesize_first_order
    >>> d = synthesize_first_order([([1.0, 0.0], [0.5, 0.25])], cell_types="EI")
    >>> d.feasible, d.residual < 1e-6
    (True, True)
    """
    start = time.perf_counter()
    (types, n, acts, t, mask_arr, eps, delta, max_weight, max_self,
     tol_v) = check_design_inputs(targets, cell_types, activation, mask, margin, silence_margin,
                                  max_weight, max_self, tol)
    if not (isinstance(max_iter, int) and max_iter >= 1):
        raise ValidationError(f"max_iter: must be an integer ≥ 1, got {max_iter!r}")
    if weights is None:
        p = np.ones(n)
    else:
        p = np.asarray(weights, dtype=float)
        if p.shape != (n,) or not np.all(np.isfinite(p)) or np.any(p <= 0):
            raise ValidationError(f"weights: expected {n} finite numbers > 0, got "
                                  f"{np.asarray(weights)!r}")
    sign = sign_pattern(types)
    Xm, R = t.X, p[:, None] * t.rhs
    lo_b = p[:, None] * (t.rhs - delta)
    hi_b = p[:, None] * (t.rhs + delta)

    def residual(Y: FloatArray) -> FloatArray:
        D = Y @ Xm
        return (np.where(t.eq, D - R, 0.0) + np.where(t.lo, np.maximum(D - lo_b, 0.0), 0.0)
                + np.where(t.hi, np.minimum(D - hi_b, 0.0), 0.0))

    # rows: exact projection onto {equalities} ∩ {signs, mask, bounds} by a semismooth Newton
    # method on the dual (warm-started across outer iterations)
    rows_eq = [np.flatnonzero(t.eq[i]) for i in range(n)]
    lo_box, hi_box = _row_boxes(p, sign, mask_arr, max_weight, max_self)
    duals = [np.zeros(S.size) for S in rows_eq]

    def project_rows(Y: FloatArray) -> FloatArray:
        out = np.clip(Y, lo_box, hi_box)
        for i, S in enumerate(rows_eq):
            if S.size:
                out[i], duals[i] = _project_row(Y[i], Xm[:, S].T, R[i, S], lo_box[i],
                                                hi_box[i], duals[i])
        return out

    # inequalities: for each target k the halfspaces (Y x_k)_i ≤ lo_b (or ≥ hi_b), one per row;
    # (c: per-target coefficients of the last correction, kept for Dykstra-style variants)
    ineq_cols = np.flatnonzero(np.any(t.lo | t.hi, axis=0))
    c = np.zeros((n, t.K))
    xx = np.einsum("ik,ik->k", Xm, Xm)

    def sweep_ineq(Y: FloatArray) -> FloatArray:
        for k in ineq_cols:
            if xx[k] == 0:
                continue
            x = Xm[:, k]
            dv = Y @ x + c[:, k] * xx[k]  # (V x_k) with V = Y + c_k x_kᵀ
            over = np.where(t.lo[:, k], np.maximum(dv - lo_b[:, k], 0.0), 0.0) + np.where(
                t.hi[:, k], np.minimum(dv - hi_b[:, k], 0.0), 0.0)
            new_c = over / xx[k]
            Y = Y + np.outer(c[:, k] - new_c, x)
            c[:, k] = new_c
        return Y

    def project_box(Y: FloatArray) -> FloatArray:
        W = clean_weights(Y / p[:, None], sign, mask_arr, max_weight, max_self)
        return p[:, None] * W

    # alternating projections (POCS: onto a point of the intersection): inequality halfspaces,
    # the LMI, and the rows (equalities ∩ signs/mask/bounds) last, so signs hold exactly; then a
    # minimum-norm polish of each row
    Y = np.zeros((n, n))
    history: list[float] = []
    iterations = 0
    for iterations in range(1, max_iter + 1):
        c[:] = 0.0
        Y = sweep_ineq(Y)
        Y = project_rows(_clip_lmi(Y, p, 2.0 * eps)[0])
        r = float(np.max(np.abs(residual(Y) / p[:, None])))
        history.append(r)
        if r < 1e-11 * max(1.0, float(np.max(np.abs(R)))):
            break
        if iterations >= 400 and min(history[-200:]) > 0.99 * min(history[-400:-200]):
            break  # stalled: the best residual improved < 1 % over 200 rounds
    Y = p[:, None] * polish(Y / p[:, None], t, max_weight, max_self)
    W = Y / p[:, None]
    d = np.diag(W)
    s = 1.0
    if np.all(d < 1):
        lam = coupling_lambda(W, p)
        if lam >= 1.0 - 1e-9:
            s = (1.0 - 1e-3) / lam
            W = s * (W - np.diag(d)) + np.diag(d)
    stats = {"method": "first-order (alternating projections, eigenvalue clipping)",
             "iterations": iterations, "s": s,
             "drive_residual": history[-1] if history else None,
             "history": history[:: max(1, len(history) // 50)], "n": n, "targets": t.K}
    design = finish(W, p, acts=acts, types=types, tau=tau, how="first-order design (projections)",
                    U=t.U, X=t.X, tol=tol_v, stats=stats, names=names)
    design.stats["seconds"] = time.perf_counter() - start
    return design
