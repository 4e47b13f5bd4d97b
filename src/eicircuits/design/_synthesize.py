"""``synthesize``: Dale-signed, masked, bounded weights whose network has the target
equilibria and is LDS with a margin: one semidefinite program (docs/theory.md §6)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._limits import DESIGN_SDP_AUTO, DESIGN_SDP_LIMIT
from .._validate import describe
from ..activations import Activation, ReLU
from ..errors import ValidationError
from ._finish import clean_weights, finish, polish
from ._problem import (
    build_targets,
    check_activations,
    check_cell_types,
    check_mask,
    check_positive,
    diagnose,
    sign_pattern,
)
from ._result import Design
from ._sdp import SOLVERS, solve_design_sdp

__all__ = ["synthesize", "OBJECTIVES", "METHODS"]

OBJECTIVES = ("l1", "l2", "feasibility")
METHODS = ("auto", "sdp", "first-order")


def split_targets(targets: Any) -> tuple[np.ndarray, np.ndarray]:
    """``targets`` (a sequence of ``(u, x)`` pairs) as two arrays ``(K, n)``."""
    if isinstance(targets, (str, bytes)) or not isinstance(targets, Sequence) or not targets:
        raise ValidationError(f"targets: expected a non-empty sequence of (u, x) pairs, got "
                              f"{describe(targets)}")
    us, xs = [], []
    for k, pair in enumerate(targets):
        if not (isinstance(pair, Sequence | np.ndarray) and len(pair) == 2):
            raise ValidationError(f"targets: entry {k} must be a pair (u, x), got "
                                  f"{describe(pair)}")
        us.append(np.ravel(np.asarray(pair[0], dtype=object)))
        xs.append(np.ravel(np.asarray(pair[1], dtype=object)))
    sizes = {a.size for a in us + xs}
    if len(sizes) != 1:
        raise ValidationError(f"targets: every u and x must have the same length n, got "
                              f"lengths {sorted(sizes)}")
    try:
        return np.array(us, dtype=float), np.array(xs, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"targets: expected numbers, got {exc}") from exc


def check_design_inputs(targets: Any, cell_types: Any, activation: Any, mask: Any, margin: Any,
                        silence_margin: Any, max_weight: Any, max_self: Any, tol: Any
                        ) -> tuple[Any, ...]:
    """The argument checks shared by every design method, in one wording.

    Returns ``(types, n, activations, targets, mask, margin, silence_margin, max_weight,
    max_self, tol)``, each validated (``ValidationError`` naming the argument otherwise).
    """
    types = check_cell_types(cell_types)
    n = len(types)
    acts = check_activations(activation, n)
    U, X = split_targets(targets)
    if U.shape[1] != n:
        raise ValidationError(f"targets: u and x must have length n = {n} to match cell_types, "
                              f"got {U.shape[1]}")
    t = build_targets(U, X, acts)
    mask_arr = check_mask(mask, n)
    margin_v = check_positive("margin", margin, allow_none=False)
    delta = check_positive("silence_margin", silence_margin, allow_none=False, strict=False)
    max_weight = check_positive("max_weight", max_weight)
    max_self = (check_positive("max_self", max_self, strict=False)
                if max_self is not None else None)
    tol_v = check_positive("tol", tol, allow_none=False)
    return types, n, acts, t, mask_arr, margin_v, delta, max_weight, max_self, tol_v


def synthesize(
    targets: Sequence[tuple[ArrayLike, ArrayLike]],
    *,
    cell_types: Any,
    activation: Activation | Sequence[Activation] = ReLU(),  # noqa: B008 (frozen, immutable)
    mask: ArrayLike | None = None,
    max_weight: float | None = None,
    max_self: float | None = None,
    margin: float = 1e-3,
    silence_margin: float = 0.0,
    objective: str = "l1",
    solver: str | None = None,
    tau: Any = 1.0,
    tol: float = 1e-6,
    names: Any = None,
    method: str = "auto",
) -> Design:
    """Design a Dale-signed network with the given equilibria, certified stable (docs/theory.md §6).

    With ``Y = P W`` and ``P = diag(p)``, "``W − I`` is LDS with margin ``ε``" is the linear
    matrix inequality ``Y + Yᵀ − 2P ⪯ −εI``, and each target equilibrium is linear in
    ``(Y, p)``, so the design is one semidefinite program whose solution carries its own
    certificate ``P``. The rounded network is rebuilt, its certificate verified independently
    (exactly for ``n ≤ 60``), and every target recomputed with :func:`eicircuits.equilibrium`.
    By the main theorem each target is then the *unique* equilibrium for its input.

    Parameters
    ----------
    targets : sequence of (u, x) pairs
        For input ``u`` (shape ``(n,)``) the network must have equilibrium ``x``. A ReLU rate
        ``0`` means "silent" (drive ``≤ −silence_margin``); a clipped-ReLU rate at ``r_max``
        means "saturated"; other rates must lie inside the activation's range.
    cell_types : str or sequence of "E"/"I"
        Dale's law: E columns of ``W`` are ``≥ 0``, I columns ``≤ 0`` (diagonal included).
    activation : Activation or sequence of n Activations
        Slopes in ``[0, 1]``.
    mask : bool array (n, n), optional
        ``False`` forbids the synapse ``j → i``.
    max_weight : float, optional
        ``|W_ij| ≤ max_weight`` for every entry.
    max_self : float, optional
        ``W_ii ≤ max_self``.
    margin : float
        ``ε > 0`` in ``P(W − I) + (W − I)ᵀP ⪯ −εI`` with ``p ≥ 1``.
    silence_margin : float
        ``δ ≥ 0``: silent neurons get drive ``≤ −δ`` (saturated ones ``≥ r_max + δ``).
    objective : {"l1", "l2", "feasibility"}
        Minimise ``Σ |Y_ij|`` (sparse weights), ``Σ Y_ij²``, or nothing.
    solver : {"CLARABEL", "CVXOPT", "SCS"}, optional
        cvxpy solver; default: Clarabel, then CVXOPT, then SCS (by measurement).
    tau : float or array_like, optional
        Time constants of the returned network (the certificate does not depend on them).
    tol : float
        Success needs every recomputed target within ``tol · max(1, max |x|)``.
    names : sequence of str, optional
        Neuron names of the returned network.
    method : {"auto", "sdp", "first-order"}
        ``"sdp"``: the semidefinite program (interior point; cost grows like ``n⁶``);
        ``"first-order"``: :func:`synthesize_first_order` (``P = I`` fixed, ``objective`` and
        ``solver`` unused); ``"auto"``: the SDP up to ``n =``
        :data:`eicircuits._limits.DESIGN_SDP_AUTO` (40), the first-order method above.

    Returns
    -------
    Design
        ``feasible``, ``network``, ``certificate`` (``weights`` = ``p``), ``residual``,
        ``status``, ``message`` (on infeasibility: the solver's verdict and any conflicting
        targets found), ``stats`` (solver, seconds, ``lam``).

    Raises
    ------
    ValidationError
        Wrong shapes, non-finite numbers, unknown cell types or options, target rates outside
        an activation's range, a mask that removes every synapse a needed drive could use
        (e.g. the self-coupling of a neuron that only hears itself).

    Examples
    --------
    >>> import numpy as np
    >>> from eicircuits import Network, equilibrium
    >>> from eicircuits.design import synthesize
    >>> hidden = Network(W=[[0.3, -0.8], [0.9, -0.2]], cell_types="EI")
    >>> targets = [(u, equilibrium(hidden, u=u).x) for u in ([1.0, 0.5], [2.0, 0.0])]
    >>> d = synthesize(targets, cell_types="EI")
    >>> d.feasible, d.residual < 1e-9, bool(d.certificate.verify())
    (True, True, True)
    >>> bool(np.all(d.network.W[:, 0] >= 0) and np.all(d.network.W[:, 1] <= 0))
    True
    """
    start = time.perf_counter()
    (types, n, acts, t, mask_arr, margin_v, delta, max_weight, max_self,
     tol_v) = check_design_inputs(targets, cell_types, activation, mask, margin, silence_margin,
                                  max_weight, max_self, tol)
    if objective not in OBJECTIVES:
        raise ValidationError(f"objective: expected one of {OBJECTIVES}, got {objective!r}")
    if solver is not None and str(solver).upper() not in SOLVERS:
        raise ValidationError(f"solver: expected one of {SOLVERS} or None, got {solver!r}")
    if method not in METHODS:
        raise ValidationError(f"method: expected one of {METHODS}, got {method!r}")
    if method == "first-order" or (method == "auto" and n > DESIGN_SDP_AUTO):
        from ._first_order import synthesize_first_order

        return synthesize_first_order(targets, cell_types=types, activation=acts, mask=mask,
                                      max_weight=max_weight, max_self=max_self,
                                      margin=margin_v, silence_margin=delta, tau=tau,
                                      tol=tol_v, names=names)
    if n > DESIGN_SDP_LIMIT:
        raise ValidationError(
            f"method: the SDP is limited to n ≤ DESIGN_SDP_LIMIT = {DESIGN_SDP_LIMIT} "
            f"neurons, got n = {n}; use method='first-order'")
    sign = sign_pattern(types)
    conflicts = diagnose(t, sign, mask_arr, delta, mask_given=mask is not None)
    out = solve_design_sdp(t, sign, mask_arr, margin=margin_v, delta=delta,
                           max_weight=max_weight, max_self=max_self, objective=objective,
                           solver=solver)
    stats: dict[str, Any] = {"solver": out.solver, "solver_status": out.status,
                             "solver_seconds": out.seconds, "n": n, "targets": t.K,
                             "equalities": int(t.eq.sum()),
                             "inequalities": int(t.lo.sum() + t.hi.sum())}
    if out.Y is None or conflicts:
        stats["seconds"] = time.perf_counter() - start
        parts = [f"infeasible: {out.message}" if out.Y is None else
                 f"{out.message}, but the targets conflict"]
        if conflicts:
            parts.append("conflicts: " + "; ".join(conflicts))
        elif out.Y is None:
            parts.append(_why(t, sign, mask_arr, delta, max_weight, max_self, solver, margin_v))
        return Design(False, "infeasible", "; ".join(parts), stats=stats)
    p = np.maximum(out.p, 1.0)
    W = clean_weights(out.Y / p[:, None], sign, mask_arr, max_weight, max_self)
    Wp = polish(W, t, max_weight, max_self)
    design = finish(Wp, p, acts=acts, types=types, tau=tau, how=f"design SDP ({out.solver})",
                    U=t.U, X=t.X, tol=tol_v, stats=stats, names=names)
    if not design.success and design.status == "not_certified":
        design = finish(W, p, acts=acts, types=types, tau=tau,
                        how=f"design SDP ({out.solver})", U=t.U, X=t.X, tol=tol_v,
                        stats=stats, names=names)
    if not design.success and design.status == "not_certified" and np.all(np.diag(W) < 1):
        # the solver's point lost its margin to rounding: scale the couplings by the closed
        # form of stabilize (same p) so the network is certified, and report the residual
        from ._margins import coupling_lambda

        lam = coupling_lambda(W, p)
        s = (1.0 - 1e-3) / lam if lam >= 1.0 - 1e-9 else 1.0
        Ws = s * (W - np.diag(np.diag(W))) + np.diag(np.diag(W))
        design = finish(Ws, p, acts=acts, types=types, tau=tau,
                        how=f"design SDP ({out.solver}) + coupling scaling s = {s:.6g}",
                        U=t.U, X=t.X, tol=tol_v, stats=dict(stats, s=s), names=names)
    design.stats["seconds"] = time.perf_counter() - start
    return design


def _why(t: Any, sign: Any, mask: Any, delta: float, max_weight: float | None,
         max_self: float | None, solver: str | None, margin: float) -> str:
    """Without the LMI, is the problem feasible? Says whether stability is what fails."""
    try:
        lp = solve_design_sdp(t, sign, mask, margin=margin, delta=delta, max_weight=max_weight,
                              max_self=max_self, objective="feasibility", solver=solver,
                              lmi=False)
    except Exception:  # a diagnosis only; the verdict above stands
        return "no further diagnosis"
    if lp.Y is None:
        return ("even without the stability constraint no Dale-signed network with this mask "
                "and these bounds has these equilibria")
    return ("Dale-signed networks with these equilibria exist, but none is LDS with margin "
            f"{margin:g}: the targets demand multistability or too strong recurrence; try a "
            "smaller `margin`, fewer targets or looser bounds")
