"""``fit``: least squares to measured rates inside the certified set (docs/theory.md §6).

Two programs, both returning Dale-signed, certified networks:

``"joint"``
    one convex program in ``(Y, p)``: residuals ``Y x_k − P(φ⁻¹(x_k) − u_k)`` on the active
    entries (a squared hinge on silent / saturated ones), subject to the LMI
    ``Y + Yᵀ − 2P ⪯ −εI``, Dale's signs, the mask, bounds and ``p ≥ 1``. The loss is weighted
    by ``p`` (it is measured in units of ``Y``).
``"alternating"``
    ``W``-steps (``P`` fixed: the plain residuals ``W x_k + u_k − φ⁻¹(x_k)``, the LMI then
    linear in ``W``) and ``P``-steps (``W`` fixed: the LDS weights of largest margin from
    :func:`eicircuits.stability.lds`, scaled so the current ``W`` stays feasible); the loss
    never increases.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from .._limits import DESIGN_SDP_LIMIT
from ..activations import Activation, ReLU
from ..errors import ValidationError
from ._finish import clean_weights, finish
from ._problem import (
    Targets,
    build_targets,
    check_activations,
    check_cell_types,
    check_mask,
    check_positive,
    sign_pattern,
)
from ._result import Design
from ._sdp import P_RANGE, SOLVERS, _row_blocks, _solve

__all__ = ["fit", "FIT_METHODS"]

FloatArray = NDArray[np.float64]
FIT_METHODS = ("joint", "alternating")


def _program(t: Targets, sign: FloatArray, mask: NDArray[np.bool_], *, margin: float,
             max_weight: float | None, max_self: float | None, solver: str | None,
             p_fixed: FloatArray | None) -> tuple[FloatArray | None, FloatArray | None, str]:
    import cvxpy as cp

    n = t.n
    idx = np.flatnonzero(mask.ravel())
    rows, cols = idx // n, idx % n
    nvar = idx.size
    y = cp.Variable(nvar)
    p: Any = cp.Variable(n) if p_fixed is None else p_fixed
    s = sign[cols]
    cons: list[Any] = [cp.multiply(s, y) >= 0] if nvar else []
    if p_fixed is None:
        cons.extend([p >= 1, p <= P_RANGE])
    inv = np.ones(n) if p_fixed is None else 1.0 / p_fixed
    loss: Any = 0
    for which, kind in ((t.eq, "eq"), (t.lo, "lo"), (t.hi, "hi")):
        A, B, er = _row_blocks(t, which, rows, cols, nvar)
        if not A.shape[0]:
            continue
        r = sp.diags_array(inv[er]) @ (A @ y - B @ p) if p_fixed is not None else A @ y - B @ p
        if kind == "eq":
            loss = loss + cp.sum_squares(r)
        elif kind == "lo":
            loss = loss + cp.sum_squares(cp.pos(r))
        else:
            loss = loss + cp.sum_squares(cp.pos(-r))
    R = sp.csr_array((np.ones(nvar), (np.arange(nvar), rows)), shape=(nvar, n))
    if max_weight is not None and nvar:
        cons.append(cp.multiply(s, y) <= max_weight * (R @ p))
    diag = np.flatnonzero(rows == cols)
    if max_self is not None and diag.size:
        cons.append(y[diag] <= max_self * (p[rows[diag]] if p_fixed is None
                                           else p_fixed[rows[diag]]))
    M = sp.csr_array((np.ones(nvar), (idx, np.arange(nvar))), shape=(n * n, nvar))
    Y = cp.reshape(M @ y, (n, n), order="C") if nvar else np.zeros((n, n))
    Pm = cp.diag(p) if p_fixed is None else np.diag(p_fixed)
    cons.append(2 * Pm - (Y + Y.T) - margin * np.eye(n) >> 0)
    prob = cp.Problem(cp.Minimize(loss), cons)
    used = _solve(prob, solver)
    if y.value is None:
        return None, None, f"{used}: {prob.status}"
    Yv = np.zeros(n * n)
    Yv[idx] = y.value
    pv = np.asarray(p.value if p_fixed is None else p_fixed, dtype=float)
    return Yv.reshape(n, n), pv, used


def _snap(t: Targets, acts: Sequence[Activation], theta: float) -> Targets:
    """Entries within ``theta`` of a kink become one-sided (``lo`` / ``hi``) at the kink."""
    import dataclasses

    X, eq, lo, hi, rhs = t.X.copy(), t.eq.copy(), t.lo.copy(), t.hi.copy(), t.rhs.copy()
    for i, act in enumerate(acts):
        if not act.piecewise_linear:
            continue
        a, b = act.value_range
        near_lo = eq[i] & np.isfinite(a) & (X[i] <= a + theta)
        near_hi = eq[i] & np.isfinite(b) & (X[i] >= b - theta)
        for near, end, flag in ((near_lo, a, lo), (near_hi, b, hi)):
            if np.any(near):
                X[i, near] = end
                rhs[i, near] = float(act.inverse(np.array(end))) - t.U[i, near]
                eq[i, near] = False
                flag[i, near] = True
    return dataclasses.replace(t, X=X, eq=eq, lo=lo, hi=hi, rhs=rhs)


def _loss(W: FloatArray, t: Targets) -> float:
    D = W @ t.X - t.rhs
    return float(np.sum(D[t.eq] ** 2) + np.sum(np.maximum(D[t.lo], 0) ** 2)
                 + np.sum(np.minimum(D[t.hi], 0) ** 2))


def fit(
    inputs: ArrayLike,
    rates: ArrayLike,
    *,
    cell_types: Any,
    activation: Activation | Sequence[Activation] = ReLU(),  # noqa: B008 (frozen, immutable)
    mask: ArrayLike | None = None,
    margin: float = 1e-3,
    method: str = "joint",
    max_weight: float | None = None,
    max_self: float | None = None,
    solver: str | None = None,
    max_rounds: int = 8,
    silent_below: float = 0.0,
    tau: Any = 1.0,
) -> Design:
    """Fit a Dale-signed, certified network to measured equilibrium rates (docs/theory.md §6).

    Parameters
    ----------
    inputs : array_like, shape (K, n)
        The inputs ``u_k``.
    rates : array_like, shape (K, n)
        Measured (noisy) equilibrium rates; values outside an activation's range are clipped
        onto it (a ReLU rate ``≤ 0`` counts as silent).
    cell_types : str or sequence of "E"/"I"
    activation : Activation or sequence of n Activations
    mask : bool array (n, n), optional
        ``False`` forbids a synapse.
    margin : float
        ``ε`` of the LMI ``P(W − I) + (W − I)ᵀP ⪯ −εI`` (``p ≥ 1``).
    method : {"joint", "alternating"}
        See the module docstring; ``benchmarks/bench_design.py`` compares them.
    max_weight, max_self : float, optional
        ``|W_ij| ≤ max_weight``; ``W_ii ≤ max_self``.
    solver : {"CLARABEL", "CVXOPT", "SCS"}, optional
    max_rounds : int
        ``W``/``P`` rounds of ``"alternating"``.
    silent_below : float
        Rates within this distance of the lower end of a piecewise-linear range (of the upper
        end: saturated) count as at that end, with a one-sided loss (drive at most the
        measured rate): set it to about 3 noise standard deviations, so that noise on a
        silent neuron is not read as a small positive rate that needs a drive near 0.
    tau : float or array_like
        Time constants of the returned network.

    Returns
    -------
    Design
        ``network`` and ``certificate`` (always certified when ``feasible``); ``residual`` is
        the largest ``|x*(u_k) − rates_k|``; ``stats["rmse"]`` the root-mean-square error and
        ``stats["loss"]`` the drive-space least-squares loss.

    Raises
    ------
    ValidationError
        Wrong shapes, non-finite values, unknown cell types, method or solver.

    Examples
    --------
    >>> import numpy as np
    >>> from eicircuits import Network, equilibrium
    >>> from eicircuits.design import fit
    >>> hidden = Network(W=[[0.3, -0.8], [0.9, -0.2]], cell_types="EI")
    >>> U = np.random.default_rng(0).uniform(0.5, 2.0, (6, 2))
    >>> X = np.array([equilibrium(hidden, u=u).x for u in U])
    >>> d = fit(U, X, cell_types="EI")
    >>> d.feasible, d.residual < 1e-5, bool(d.certificate.verify())
    (True, True, True)
    """
    start = time.perf_counter()
    types = check_cell_types(cell_types)
    n = len(types)
    acts = check_activations(activation, n)
    t = build_targets(inputs, rates, acts, name="rates", clip_data=True)
    theta = check_positive("silent_below", silent_below, allow_none=False, strict=False)
    if theta > 0:
        t = _snap(t, acts, theta)
    mask_arr = check_mask(mask, n)
    margin_v = check_positive("margin", margin, allow_none=False)
    max_weight = check_positive("max_weight", max_weight)
    max_self = (check_positive("max_self", max_self, strict=False)
                if max_self is not None else None)
    if method not in FIT_METHODS:
        raise ValidationError(f"method: expected one of {FIT_METHODS}, got {method!r}")
    if solver is not None and str(solver).upper() not in SOLVERS:
        raise ValidationError(f"solver: expected one of {SOLVERS} or None, got {solver!r}")
    if not (isinstance(max_rounds, int) and max_rounds >= 1):
        raise ValidationError(f"max_rounds: must be an integer ≥ 1, got {max_rounds!r}")
    if n > DESIGN_SDP_LIMIT:
        raise ValidationError(f"rates: n = {n} exceeds DESIGN_SDP_LIMIT = {DESIGN_SDP_LIMIT}")
    sign = sign_pattern(types)
    kw = {"margin": margin_v, "max_weight": max_weight, "max_self": max_self, "solver": solver}
    history: list[float] = []
    if method == "joint":
        Y, p, used = _program(t, sign, mask_arr, p_fixed=None, **kw)
        if Y is None:
            return Design(False, "failed", f"the fitting program failed ({used})",
                          stats={"method": method})
        W = Y / p[:, None]
        history.append(_loss(W, t))
    else:
        from ..stability import lds

        p = np.ones(n)
        W = None
        used = ""
        for _ in range(max_rounds):
            Y, _, used = _program(t, sign, mask_arr, p_fixed=p, **kw)
            if Y is None:
                break
            W = Y / p[:, None]
            history.append(_loss(W, t))
            res = lds(W - np.eye(n), method="auto")
            if not res.is_lds:
                break
            q = np.asarray(res.p, dtype=float)
            S = q[:, None] * (W - np.eye(n))
            lam_q = -float(np.linalg.eigvalsh(S + S.T)[-1])
            if lam_q <= 0:
                break
            p = q * max(1.0 / float(np.min(q)), margin_v / lam_q)
            if len(history) > 1 and history[-2] - history[-1] <= 1e-6 * max(history[-2], 1e-12):
                break
        if W is None:
            return Design(False, "failed", f"the fitting program failed ({used})",
                          stats={"method": method})
    W = clean_weights(W, sign, mask_arr, max_weight, max_self)
    stats = {"method": method, "solver": used, "loss": _loss(W, t), "loss_history": history,
             "rounds": len(history), "n": n, "samples": t.K}
    design = finish(W, p, acts=acts, types=types, tau=tau, how=f"fit ({method}, {used})",
                    U=t.U, X=t.X, tol=np.inf, stats=stats)
    if design.network is not None:
        from ._finish import target_residual

        _, pred = target_residual(design.network, t.U, t.X)
        design.stats["rmse"] = float(np.sqrt(np.mean((pred - t.X) ** 2)))
        object.__setattr__(design, "status", "fitted" if design.success else design.status)
        if design.success:
            object.__setattr__(design, "message",
                               f"certified fit ({method}): largest error {design.residual:.3g}, "
                               f"rmse {design.stats['rmse']:.3g} against the data")
    design.stats["seconds"] = time.perf_counter() - start
    return design
