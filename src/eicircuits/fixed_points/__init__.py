"""Equilibria of firing-rate networks, exactly (docs/theory.md §4).

Entry points
------------
equilibrium   -- one equilibrium ``x* = Φ(W x* + u)``, by a method chosen from :data:`METHODS`;
                 ``from_state=x0``: the equilibrium a run from ``x0`` settles in
equilibria    -- every equilibrium of a small piecewise-linear network, with local stability
Equilibrium   -- the result object (``x``, ``residual``, ``active``, ``converged``, ``message``,
                 the input ``u`` and the weights' fingerprint; ``with_stability()`` asks
                 :func:`eicircuits.stability.local_stability`, the library's one verdict)
lemke         -- Lemke's method for a standard LCP, in floating point or exact rationals
report_section -- a report section summarising an equilibrium (for ``eicircuits analyze``)
lcp_matrix    -- the (box) LCP data ``(M, q, lo, hi)`` of a piecewise-linear network

Methods (``equilibrium(net, method=...)``)
-------------------------------------------
``"auto"``
    Tries until one converges, and says which it tried: ``"continuation"`` (supralinear
    activations); for piecewise-linear activations (ReLU, clipped ReLU, linear, per-neuron
    mixes, rescaled versions) ``"active-set"``, then ``"lemke"`` (``n ≤`` :data:`LEMKE_MAX_N`);
    then ``"newton"`` and plain ``"fixed-point"`` iteration for any activation.
``"active-set"``
    Globalised active-set / semismooth Newton on the box LCP; one (sparse) linear solve on the
    active submatrix per step; handles ``scipy.sparse`` ``W`` without densifying.
    Options: ``linear_solver`` (``"auto"``, ``"direct"``, ``"iterative"``), ``globalize``
    (default True; False gives the plain method, which can cycle).
``"lemke"``
    Lemke's complementary pivoting (dense, ``n ≤`` :data:`LEMKE_MAX_N`): finite and exact up to
    rounding; says so when the LCP has no solution. Boxed neurons (clipped ReLU) are pivoted with
    a covering vector that keeps them in their box, which makes it complete for clipped-ReLU
    networks (they always have an equilibrium).
``"newton"``
    Globalised Newton on ``x − Φ(W x + u)`` for smooth or mixed activations (sparse Jacobians
    for sparse ``W``). Option: ``linear_solver``.
``"fixed-point"``
    Plain iteration ``x ← Φ(W x + u)`` (it diverges once ``‖W‖ > 1``); the last resort of
    ``"auto"``.
``"prox-gradient"``
    Proximal pseudo-gradient iteration ``x ← prox_{γg}(x − γ((I − W)x − u))`` (docs/theory.md §3): a
    ``‖·‖_P`` contraction for any activation when ``P`` certifies that ``W − I`` is LDS, so it
    converges even with ``‖W‖ ≫ 1``; refuses (``converged=False``) without a certificate.
    Options: ``weights`` (diagonal of ``P``; default from :func:`eicircuits.stability.lds`),
    ``gamma`` (step, ``< 2m/L²``; default ``m/L²``). Dense ``W``.
``"continuation"``
    Supralinear activations (:class:`~eicircuits.PowerLaw`, docs/theory.md §9): globalised Newton
    continued in the input from rest, ``u(s) = s·u``, ``s: 0 → 1`` (dense, folds reported);
    ``"auto"`` picks it for networks with a supralinear activation.

Examples
--------
>>> import numpy as np
>>> from eicircuits import Network, equilibria, equilibrium
>>> net = Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[-1.0, -4.0], cell_types="EI")
>>> [eq.x.round(4).tolist() for eq in equilibria(net)]
[[0.0, 0.0], [1.0, 0.0], [1.4286, 0.1429]]
>>> [eq.stable for eq in equilibria(net)]
[True, False, True]
>>> equilibrium(net.with_input([1.0, 0.5])).x.round(6).tolist()
[0.071429, 0.357143]
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._report import Section
from .._validate import check_vector
from ..errors import EICircuitsWarning, SizeLimitError, ValidationError
from ..network import Network
from . import _active_set, _prox_gradient, _smooth, _supralinear
from ._active_set import Outcome
from ._enumerate import enumerate_states
from ._lemke import LCPResult, box_to_lcp, lemke
from ._linalg import LINEAR_SOLVERS, _dense_solve
from ._problem import BoxProblem, box_problem
from ._result import Equilibrium, kink_neurons

__all__ = [
    "equilibrium",
    "equilibria",
    "Equilibrium",
    "METHODS",
    "lemke",
    "LCPResult",
    "report_section",
    "kink_neurons",
    "LEMKE_MAX_N",
    "lcp_matrix",
]

FloatArray = NDArray[np.float64]

#: Largest network Lemke's (dense tableau) method accepts.
LEMKE_MAX_N = 3000

_Solver = Callable[[Network, FloatArray, "FloatArray | None", float, int, dict[str, Any]], Outcome]


# ---------------------------------------------------------------------------- strategies
def _need_box(net: Network, u: FloatArray, method: str) -> BoxProblem:
    prob = box_problem(net, u)
    if prob is None:
        kinds = sorted({type(a).__name__ for a in net.activations})
        raise ValidationError(
            f"method={method!r} needs piecewise-linear clip activations (ReLU, ClippedReLU, "
            f"Linear, or Scaled versions); this network has {kinds}: use method='newton'"
        )
    return prob


def _run_active_set(net: Network, u: FloatArray, x0: FloatArray | None, tol: float,
                    max_iter: int, options: dict[str, Any]) -> Outcome:
    prob = _need_box(net, u, "active-set")
    return _active_set.solve(
        prob, x0, tol=tol, max_iter=max_iter,
        globalize=bool(options.get("globalize", True)),
        linear_solver=options.get("linear_solver", "auto"),
    )


def _run_lemke(net: Network, u: FloatArray, x0: FloatArray | None, tol: float,
               max_iter: int, options: dict[str, Any]) -> Outcome:
    prob = _need_box(net, u, "lemke")
    if net.n > LEMKE_MAX_N:
        raise SizeLimitError(
            f"method='lemke': n = {net.n} exceeds LEMKE_MAX_N = {LEMKE_MAX_N} (dense tableau); "
            "use method='active-set'"
        )
    return _lemke_box(prob, tol=tol, max_pivots=max_iter)


def _lemke_box(prob: BoxProblem, *, tol: float, max_pivots: int) -> Outcome:
    M, b, lo, hi = prob.M_dense(), prob.b, prob.lo, prob.hi
    free = ~np.isfinite(lo) & ~np.isfinite(hi)
    r = ~free
    X = y = None
    if np.any(free):
        stacked = np.column_stack([M[np.ix_(free, r)], b[free]])
        sol, why = _dense_solve(M[np.ix_(free, free)], stacked)
        if sol is None:
            return Outcome(np.full(prob.n, np.nan), False, 0,
                           f"the linear neurons' block of I − W is singular ({why}): no unique "
                           "equilibrium; check the weights")
        X, y = sol[:, :-1], sol[:, -1]
        S = M[np.ix_(r, r)] - M[np.ix_(r, free)] @ X
        c = b[r] - M[np.ix_(r, free)] @ y
    else:
        S, c = M, b
    x = np.empty(prob.n)
    pivots = 0
    if np.any(r):
        Mbar, qbar, back = box_to_lcp(S, c, lo[r], hi[r])
        # Covering vector 0 on the upper-bound rows keeps x in its box along the path: complete
        # when every neuron is boxed (clipped ReLU), see box_to_lcp.
        d = np.ones(qbar.size)
        d[int(np.sum(r)):] = 0.0
        res = lemke(Mbar, qbar, max_pivots=max_pivots, covering=d)
        pivots = res.pivots
        if not res.solved:
            return Outcome(np.full(prob.n, np.nan), False, pivots, res.message)
        x[r] = back(res.z)
    if X is not None and y is not None:
        x[free] = y - X @ x[r]
    # Polish: one exact Newton step on the state Lemke found (removes pivoting round-off).
    res0 = float(np.max(np.abs(x - prob.project(prob.drive(x)))))
    xN, _ = _active_set.newton_point(prob, prob.partition(prob.drive(x)), x)
    if xN is not None:
        resN = float(np.max(np.abs(xN - prob.project(prob.drive(xN)))))
        if resN < res0:
            x, res0 = xN, resN
    ok = res0 <= tol * max(1.0, float(np.max(np.abs(x))))
    msg = f"solved by Lemke's method in {pivots} pivots" if ok else (
        f"Lemke's method ended with residual {res0:.3g} above tol (round-off on an "
        "ill-conditioned problem); try method='active-set'"
    )
    return Outcome(x, ok, pivots, msg)


def _run_newton(net: Network, u: FloatArray, x0: FloatArray | None, tol: float,
                max_iter: int, options: dict[str, Any]) -> Outcome:
    return _smooth.newton(net, u, x0, tol=tol, max_iter=max_iter,
                          linear_solver=options.get("linear_solver", "auto"))


def _run_fixed_point(net: Network, u: FloatArray, x0: FloatArray | None, tol: float,
                     max_iter: int, options: dict[str, Any]) -> Outcome:
    return _smooth.fixed_point(net, u, x0, tol=tol, max_iter=max_iter)


def _run_prox_gradient(net: Network, u: FloatArray, x0: FloatArray | None, tol: float,
                       max_iter: int, options: dict[str, Any]) -> Outcome:
    return _prox_gradient.prox_gradient(net, u, x0, tol=tol, max_iter=max_iter, options=options)


def _run_continuation(net: Network, u: FloatArray, x0: FloatArray | None, tol: float,
                      max_iter: int, options: dict[str, Any]) -> Outcome:
    # Supralinear networks (docs/theory.md §9): Newton continued in the input from rest.
    return _supralinear.continuation(net, u, x0, tol=tol, max_iter=max_iter)


def _run_auto(net: Network, u: FloatArray, x0: FloatArray | None, tol: float,
              max_iter: int, options: dict[str, Any]) -> Outcome:
    raise AssertionError("auto is dispatched by equilibrium()")  # pragma: no cover


#: name -> (solver, default max_iter (callable of n), accepted options)
METHODS: dict[str, tuple[_Solver, Callable[[int], int], frozenset[str]]] = {
    "auto": (_run_auto, lambda n: 500, frozenset({"linear_solver"})),
    "active-set": (_run_active_set, lambda n: 500, frozenset({"linear_solver", "globalize"})),
    "lemke": (_run_lemke, lambda n: 50 * (n + 1), frozenset()),
    "newton": (_run_newton, lambda n: 200, frozenset({"linear_solver"})),
    "fixed-point": (_run_fixed_point, lambda n: 10_000, frozenset()),
    "prox-gradient": (_run_prox_gradient, lambda n: 10_000, frozenset({"weights", "gamma"})),
    "continuation": (_run_continuation, lambda n: 100, frozenset()),
}


# ---------------------------------------------------------------------------- validation
def _check_net(net: Any, where: str) -> Network:
    if not isinstance(net, Network):
        raise ValidationError(f"{where}: net must be an eicircuits.Network, got "
                              f"{type(net).__name__}")
    return net


def _vector(name: str, value: ArrayLike, n: int) -> FloatArray:
    return check_vector(name, value, n, scalar=(name == "u"), context=" to match the network")


def _tol(tol: Any) -> float:
    if not isinstance(tol, (int, float)) or not (math.isfinite(tol) and tol > 0):
        raise ValidationError(f"tol: must be a finite number > 0, got {tol!r}")
    return float(tol)


def _to_equilibrium(net: Network, u: FloatArray, out: Outcome, method: str,
                    stats: dict[str, Any] | None = None,
                    fingerprint: str | None = None) -> Equilibrium:
    x = np.asarray(out.x, dtype=float)
    with np.errstate(all="ignore"):
        z = net.drive(x, u)
        r = np.abs(x - net.phi(z))
    residual = float(np.max(r)) if np.all(np.isfinite(r)) else math.inf
    active = np.flatnonzero(net.dphi(z) > 0) if np.all(np.isfinite(z)) else np.array([], int)
    x.setflags(write=False)
    uu = np.array(u, dtype=float)
    uu.setflags(write=False)
    info = {"iterations": int(out.iterations), "residual": residual, **(stats or {})}
    return Equilibrium(x=x, residual=residual, active=active.astype(np.intp),
                       converged=bool(out.converged), iterations=int(out.iterations),
                       method=method, message=out.message, u=uu,
                       stats=info, _net=net, _fingerprint=fingerprint)


# ---------------------------------------------------------------------------- public API
def equilibrium(
    net: Network,
    *,
    method: str = "auto",
    x0: ArrayLike | None = None,
    tol: float = 1e-12,
    max_iter: int | None = None,
    u: ArrayLike | None = None,
    options: Mapping[str, Any] | None = None,
    from_state: ArrayLike | None = None,
) -> Equilibrium:
    """One equilibrium ``x* = Φ(W x* + u)`` of the rate form (docs/theory.md §4).

    Parameters
    ----------
    net : Network
        The network (dense or ``scipy.sparse`` ``W``; sparse is never densified by
        ``"active-set"`` or ``"newton"``).
    method : str
        One of :data:`METHODS`: ``"auto"``, ``"active-set"``, ``"lemke"``, ``"newton"``,
        ``"prox-gradient"``, ``"fixed-point"`` (see the module docstring).
    x0 : array_like, shape (n,), optional
        Starting point (ignored by ``"lemke"``).
    tol : float
        Converged when ``‖x − Φ(Wx + u)‖∞ ≤ tol · max(1, ‖x‖∞)``.
    max_iter : int, optional
        Iteration budget (Newton steps, pivots or sweeps); default depends on the method.
    u : array_like, optional
        Input overriding ``net.u`` (a scalar or shape ``(n,)``).
    options : mapping, optional
        Method options (``linear_solver``, ``globalize``); unknown ones warn.
    from_state : array_like, shape (n,), optional
        Return the equilibrium a run from this state settles in (in a multistable network
        "the" response from that start; ``np.zeros(n)``: from rest): the network is simulated
        until its active set stops changing, then that piece's equations are solved exactly.
        Its local stability is filled in. Not combined with ``method`` or ``x0``.

    Returns
    -------
    Equilibrium
        With ``converged``, a ``message`` (for ``"auto"``, after a first failure: the methods
        tried), the input ``u`` and the network's fingerprint; call ``.raise_if_failed()`` to
        get an exception instead, ``.with_stability()`` for local stability.

    Raises
    ------
    ValidationError
        Unknown method, bad ``x0``/``u``/``tol``/``max_iter``/options, or a method that cannot
        handle the network's activations.
    SizeLimitError
        ``method="lemke"`` on a network above :data:`LEMKE_MAX_N`.

    Notes
    -----
    ``method="auto"`` tries, until one converges: ``"continuation"`` for supralinear
    activations; for piecewise-linear clip activations ``"active-set"``, then ``"lemke"``
    (``n ≤`` :data:`LEMKE_MAX_N`; complete when every neuron is clipped, see
    :func:`~eicircuits.fixed_points._lemke.box_to_lcp`); then for any activation ``"newton"``
    and plain ``"fixed-point"`` iteration.

    Examples
    --------
    >>> import numpy as np
    >>> from eicircuits import Linear, Network, equilibrium
    >>> net = Network(W=[[0.0, -10.0], [0.5, 0.0]], u=[1.0, 0.0], activation=Linear())
    >>> eq = equilibrium(net)
    >>> bool(np.allclose(eq.x, np.linalg.solve(np.eye(2) - net.W, net.u))), eq.method
    (True, 'active-set')
    """
    net = _check_net(net, "equilibrium")
    if not isinstance(method, str) or method not in METHODS:
        raise ValidationError(
            f"method: unknown equilibrium method {method!r}; expected one of {sorted(METHODS)}"
        )
    uu = net.u if u is None else _vector("u", u, net.n)
    xx = None if x0 is None else _vector("x0", x0, net.n)
    tol = _tol(tol)
    solver, default_iter, accepted = METHODS[method]
    if max_iter is None:
        max_iter = default_iter(net.n)
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise ValidationError(f"max_iter: must be an integer ≥ 0, got {max_iter!r}")
    opts = dict(options or {})
    unknown = sorted(set(opts) - accepted)
    if unknown:
        warnings.warn(f"equilibrium: options {unknown} have no effect for method={method!r} "
                      f"(accepted: {sorted(accepted)})", EICircuitsWarning, stacklevel=2)
    if "linear_solver" in opts and opts["linear_solver"] not in LINEAR_SOLVERS:
        raise ValidationError(f"options['linear_solver']: expected one of {list(LINEAR_SOLVERS)}, "
                              f"got {opts['linear_solver']!r}")
    if from_state is not None:
        if method != "auto" or x0 is not None:
            raise ValidationError(
                "from_state: the state reached from a start is found by simulation followed by "
                "an exact solve; do not combine it with method= or x0="
            )
        start = _vector("from_state", from_state, net.n)
        return _from_state(net, uu, start, tol, opts)
    if method != "auto":
        return _to_equilibrium(net, uu, solver(net, uu, xx, tol, int(max_iter), opts), method)
    return _auto(net, uu, xx, tol, int(max_iter), opts)


def _auto(net: Network, u: FloatArray, x0: FloatArray | None, tol: float, max_iter: int,
          opts: dict[str, Any]) -> Equilibrium:
    """Try the methods in order until one converges; the message lists every one tried."""
    prob = box_problem(net, u)
    chain: list[tuple[str, Callable[[], Outcome]]] = []
    if _supralinear.has_supralinear(net) and net.n <= _supralinear.CONTINUATION_MAX_N:
        chain.append(("continuation", lambda: _run_continuation(net, u, x0, tol, 100, opts)))
    if prob is not None:
        chain.append(("active-set", lambda: _run_active_set(net, u, x0, tol, max_iter, opts)))
        if net.n <= LEMKE_MAX_N:
            chain.append(("lemke", lambda: _lemke_box(prob, tol=tol,
                                                      max_pivots=50 * (net.n + 1))))
    chain.append(("newton", lambda: _run_newton(net, u, x0, tol, 200, opts)))
    chain.append(("fixed-point", lambda: _smooth.fixed_point(net, u, x0, tol=tol,
                                                             max_iter=_AUTO_FIXED_POINT_ITER)))
    tried: list[str] = []
    out = None
    for name, run in chain:
        try:
            out = run()
        except (SizeLimitError, ValidationError) as exc:
            tried.append(f"{name}: not applicable ({exc})")
            continue
        if out.converged:
            if tried:
                out.message = f"{out.message} (method {name!r}, after {'; '.join(tried)})"
            return _to_equilibrium(net, u, out, name,
                                   {"methods_tried": [t.split(":")[0] for t in tried] + [name]})
        tried.append(f"{name}: {out.message}")
    assert out is not None  # the chain is never empty
    names = [t.split(":")[0] for t in tried]
    out.message = (
        f"no method found an equilibrium; tried {', '.join(names)}: "
        + "; ".join(tried)
        + ". The network may have no equilibrium (e.g. runaway excitation): "
        "simulate(net, x0, t_span) shows what it does"
    )
    return _to_equilibrium(net, u, out, names[-1], {"methods_tried": names})


#: Iteration budget of plain fixed-point iteration as the last resort of ``method="auto"``.
_AUTO_FIXED_POINT_ITER = 2000

#: ``from_state``: simulate in chunks of this many slowest time constants, at most this many.
_CHUNK_TAUS, _MAX_CHUNKS = 20.0, 30


def _from_state(net: Network, u: FloatArray, start: FloatArray, tol: float,
                opts: dict[str, Any]) -> Equilibrium:
    """The equilibrium a run from ``start`` settles in.

    Simulate until the active set (the partition of the neurons into below / inside / above
    their linear piece) stops changing, then solve that piece's linear equations exactly
    (piecewise-linear networks) or polish by Newton (smooth ones); accept the point once the
    run is close to it and it is not unstable (a saddle the run passes slowly is skipped).
    """
    from ..dynamics import simulate

    prob = box_problem(net, u)
    chunk = _CHUNK_TAUS * float(np.max(net.tau))
    x = start.copy()
    t_total = 0.0
    prev: Any = None
    last = ""
    for k in range(_MAX_CHUNKS):
        # Moderate accuracy is enough: the exact solve on the settled active set gives x*.
        traj = simulate(net, x, (0.0, chunk), u=u, t_eval=[0.0, chunk], rtol=1e-7, atol=1e-10,
                        until_steady=1e-9 * max(1.0, float(np.max(np.abs(x)))))
        t_total += float(traj.t[-1])
        if not traj.success:
            out = Outcome(np.array(traj.final, dtype=float), False, k + 1,
                          f"the run from the given state did not settle: {traj.message}")
            return _to_equilibrium(net, u, out, "from-state", {"time": t_total})
        x = np.array(traj.final, dtype=float)
        cand = None
        if prob is not None:
            part = prob.partition(prob.drive(x))
            if prev is not None and np.array_equal(part, prev):
                cand, _ = _active_set.newton_point(prob, part, x)
            prev = part
        else:
            polished = _smooth.newton(net, u, x, tol=tol, max_iter=50)
            cand = polished.x if polished.converged else None
        if cand is None:
            continue
        scale = max(1.0, float(np.max(np.abs(cand))))
        res = float(np.max(np.abs(cand - net.phi(net.drive(cand, u)))))
        gap = float(np.max(np.abs(cand - x)))
        if not (res <= tol * scale and gap <= 1e-3 * scale):
            last = f"residual {res:.3g}, distance of the run {gap:.3g}"
            continue
        msg = (f"the state reached from the given start: simulated for {t_total:g} time units "
               "until the active set settled, then solved exactly on it")
        eq = _to_equilibrium(net, u, Outcome(cand, True, k + 1, msg), "from-state",
                             {"time": t_total}).with_stability()
        if eq.stable is False:
            last = "the exact point on the settled active set is unstable (a passing saddle)"
            prev = None
            continue
        return eq
    out = Outcome(x, False, _MAX_CHUNKS,
                  f"the run from the given state had not settled after {t_total:g} time units "
                  f"({last or 'the active set kept changing'}); it may oscillate: look at "
                  "simulate(net, x0, t_span)")
    return _to_equilibrium(net, u, out, "from-state", {"time": t_total})


def equilibria(
    net: Network,
    *,
    max_n: int | None = None,
    tol: float = 1e-9,
    u: ArrayLike | None = None,
) -> list[Equilibrium]:
    """Every equilibrium of a small piecewise-linear network, with local stability.

    Support enumeration (docs/theory.md §4): each neuron is below, inside or above its linear piece;
    impossible states are pruned by interval bounds and the remaining linear systems solved in
    batches. Each result carries ``stable`` and ``eigenvalues`` for the network's time
    constants (:meth:`Equilibrium.with_stability`).

    Parameters
    ----------
    net : Network
        ReLU / clipped ReLU / linear activations (any per-neuron mix).
    max_n : int, optional
        Largest ``n`` accepted; default 18 when every neuron has at most two pieces (ReLU,
        linear; about 2 s here), 11 otherwise (clipped ReLU has three).
    tol : float
        Feasibility and duplicate tolerance (relative).
    u : array_like, optional
        Input overriding ``net.u``.

    Returns
    -------
    list of Equilibrium
        Sorted by number of active neurons, then by rates; empty when there is none.

    Raises
    ------
    SizeLimitError
        ``net.n > max_n``.
    ValidationError
        Activations that are not piecewise-linear clips, or bad ``u``/``tol``.

    Examples
    --------
    >>> import numpy as np
    >>> from eicircuits import Network, equilibria
    >>> ring = Network(W=-3.0 * np.roll(np.eye(3), 1, axis=1), u=1.0)
    >>> [(eq.x.round(4).tolist(), eq.stable) for eq in equilibria(ring)]
    [([0.25, 0.25, 0.25], False)]
    """
    net = _check_net(net, "equilibria")
    uu = net.u if u is None else _vector("u", u, net.n)
    tol = _tol(tol)
    prob = box_problem(net, uu)
    if prob is None:
        kinds = sorted({type(a).__name__ for a in net.activations})
        raise ValidationError(
            f"equilibria: support enumeration needs piecewise-linear clip activations (ReLU, "
            f"ClippedReLU, Linear, or Scaled versions); this network has {kinds}. For one "
            "equilibrium use equilibrium(net) (Newton), or equilibrium(net, from_state=x0) for "
            "the state reached from x0; to look for others, start from several x0"
        )
    if max_n is None:
        three = np.isfinite(prob.lo) & np.isfinite(prob.hi)
        max_n = 11 if np.any(three) else 18
    if net.n > max_n:
        raise SizeLimitError(
            f"equilibria: support enumeration on n = {net.n} neurons exceeds max_n = {max_n} "
            "(the work grows like 2ⁿ or 3ⁿ); pass a larger max_n if you can wait, or use "
            "equilibrium() for one equilibrium"
        )
    xs, examined = enumerate_states(prob, tol=tol)
    out = []
    for x in xs:
        msg = f"one of {len(xs)} equilibria (support enumeration, {examined} state vectors)"
        eq = _to_equilibrium(net, uu, Outcome(x, True, examined, msg), "enumeration")
        out.append(eq.with_stability())
    out.sort(key=lambda e: (e.active.size, tuple(np.round(e.x, 9))))
    return out


def lcp_matrix(net: Network, *, u: ArrayLike | None = None) -> tuple[Any, FloatArray, FloatArray,
                                                                      FloatArray]:
    """The box LCP of a piecewise-linear network: ``(M, q, lo, hi)`` (docs/theory.md §4).

    ``x*`` is an equilibrium iff ``x* ∈ [lo, hi]`` and ``w = M x* + q`` is ``≥ 0`` where
    ``x*_i = lo_i``, ``≤ 0`` where ``x*_i = hi_i`` and ``0`` in between. For ReLU this is
    LCP(``I − W``, ``−u``). Rescaled activations ``φ(z/s)`` scale row ``i`` by ``1/s``. ``M`` is
    sparse (CSR) when ``W`` is.

    Raises
    ------
    ValidationError
        An activation that is not a piecewise-linear clip (ReLU, ClippedReLU, Linear, Scaled).

    Examples
    --------
    >>> from eicircuits import Network
    >>> from eicircuits.fixed_points import lcp_matrix
    >>> M, q, lo, hi = lcp_matrix(Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[1.0, 0.5]))
    >>> M.tolist(), q.tolist(), lo.tolist(), hi.tolist()
    ([[-1.0, 3.0], [-3.0, 2.0]], [-1.0, -0.5], [0.0, 0.0], [inf, inf])
    """
    net = _check_net(net, "lcp_matrix")
    uu = net.u if u is None else _vector("u", u, net.n)
    prob = _need_box(net, uu, "lcp_matrix")
    if prob.sparse:
        import scipy.sparse as sp

        M: Any = sp.csr_array(sp.eye_array(net.n, format="csr") - prob.A)
    else:
        M = np.eye(net.n) - prob.A
    return M, -prob.b, prob.lo.copy(), prob.hi.copy()


def report_section(net: Network, eq: Equilibrium) -> Section:
    """A report section summarising an equilibrium (method, residual, active set, stability).

    Examples
    --------
    >>> from eicircuits import Network, equilibrium
    >>> from eicircuits.fixed_points import report_section
    >>> net = Network(W=[[0.5, -1.0], [1.0, -0.5]], u=[1.0, 0.0], cell_types="EI")
    >>> sec = report_section(net, equilibrium(net).with_stability())
    >>> sec.data["converged"], sec.data["n_active"], sec.data["stable"]
    (True, 2, True)
    """
    lines = [
        f"method      {eq.method} ({eq.iterations} iterations)",
        f"converged   {'yes' if eq.converged else 'NO'}",
        f"residual    {eq.residual:.3g}  (‖x − Φ(Wx + u)‖∞)",
        f"active      {eq.active.size} of {net.n} neurons",
    ]
    data: dict[str, Any] = {
        "method": eq.method, "converged": eq.converged, "iterations": eq.iterations,
        "residual": eq.residual, "n": net.n, "n_active": int(eq.active.size),
        "active": eq.active, "stable": eq.stable, "message": eq.message,
    }
    if net.cell_types is not None:
        is_e = np.isin(eq.active, net.e_idx)
        lines[-1] += f" ({int(is_e.sum())} E, {int((~is_e).sum())} I)"
        data["n_active_e"], data["n_active_i"] = int(is_e.sum()), int((~is_e).sum())
    if net.n <= 12:
        lines.append("rates       " + ", ".join(f"{nm}={v:.4g}" for nm, v in zip(net.names, eq.x,
                                                                                  strict=True)))
    data["x"] = eq.x
    if eq.eigenvalues is not None:
        lead = eq.eigenvalues[0]
        verdict = {True: "locally stable", False: "UNSTABLE", None: "undecided"}[eq.stable]
        lines.append(f"stability   {verdict}; leading eigenvalue {lead.real:.4g}"
                     f"{lead.imag:+.4g}i (rate Jacobian, this τ)")
        data["leading_eigenvalue"] = [float(lead.real), float(lead.imag)]
    if eq.stability is not None:
        if eq.eigenvalues is None:  # the reason is in the note (eq.message)
            lines.append(f"stability   {eq.stability.verdict}")
        data["stability"] = {"verdict": eq.stability.verdict, "reason": eq.stability.message,
                             "method": eq.stability.method}
    lines.append(f"note        {eq.message}")
    return Section("Equilibrium", "\n".join(lines), data)
