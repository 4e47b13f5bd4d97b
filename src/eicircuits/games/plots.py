"""Figures of the neurons' game (matplotlib, no pyplot: every function returns a ``Figure``).

- :func:`plot_energy`: one neuron's energy against its own rate, the others frozen, with its
  current rate and its best response marked.
- :func:`plot_potential`: contours of the (weighted) potential of a two-neuron circuit with
  rate-form trajectories drawn over them.
- :func:`plot_regret`: every neuron's regret along a trajectory.

The figures are built on :class:`matplotlib.figure.Figure` directly, so they work with any
backend (``Agg`` on servers) and never touch pyplot's global state. Save with
``fig.savefig(path)``.

Examples
--------
>>> import numpy as np
>>> from eicircuits import Network
>>> from eicircuits.games.plots import plot_energy
>>> fig = plot_energy(Network(W=[[0.5, 1.0], [1.0, 0.0]], u=[0.2, 0.0]), 0, [1.0, 1.0])
>>> fig.axes[0].get_xlabel()
'rate of neuron 0 (y)'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import solve_ivp

from ..errors import ValidationError
from ..network import Network
from ._game import NeuronGame, check_state

__all__ = ["plot_energy", "plot_potential", "plot_regret", "direction_arrows"]

FloatArray = NDArray[np.float64]


def _who(name: str) -> str:
    """A neuron as figure text: ``"neuron 0"`` for an unnamed (integer) one, else its name."""
    return f"neuron {name}" if str(name).strip().lstrip("+-").isdigit() else str(name)


def _figure(ax: Axes | None, size: tuple[float, float] = (5.0, 3.6)) -> tuple[Figure, Axes]:
    if ax is not None:
        fig = ax.get_figure()
        if not isinstance(fig, Figure):
            raise ValidationError("ax: expected an Axes that belongs to a Figure")
        return fig, ax
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _span(lo: float, hi: float, pts: Sequence[float]) -> tuple[float, float]:
    finite = [p for p in pts if math.isfinite(p)]
    a = lo if math.isfinite(lo) else min(finite) - 1.0 - 0.5 * abs(min(finite))
    b = hi if math.isfinite(hi) else max(finite) + 1.0 + 0.5 * abs(max(finite))
    return float(a), float(b)


def direction_arrows(ax: Axes, xy: ArrayLike, *, color: Any = "k",
                     at: Sequence[float] = (0.2, 0.55), min_length: float = 1e-3) -> int:
    """Draw arrowheads along a 2-D path at fractions ``at`` of its arc length (time's arrow).

    Paths shorter than ``min_length`` (in data units) get none. Returns the number drawn.
    """
    pts = np.asarray(xy, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] < 3:
        return 0
    seg = np.hypot(*np.diff(pts, axis=0).T)
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    if not np.isfinite(arc[-1]) or arc[-1] < min_length:
        return 0
    drawn = 0
    for f in at:
        k = int(np.searchsorted(arc, f * arc[-1]))
        k = min(max(k, 1), pts.shape[0] - 1)
        if seg[k - 1] <= 0:
            continue
        ax.annotate("", xy=tuple(pts[k]), xytext=tuple(pts[k - 1]),
                    arrowprops=dict(arrowstyle="-|>", color=color, lw=1.0, mutation_scale=12))
        drawn += 1
    return drawn


def plot_energy(net: Network, i: int | str, x: ArrayLike, *, num: int = 400,
                ax: Axes | None = None) -> Figure:
    """Neuron ``i``'s energy ``E_i(y ; x_−i)`` against its own rate ``y``, others frozen at ``x``.

    The curve covers the activation's range (or a window around the current rate and the best
    response when the range is unbounded). The current rate is a dot, the best response a
    star on a dashed vertical line; an energy unbounded below is said in the title.

    Parameters
    ----------
    net : Network
    i : int or str
        Neuron index or name.
    x : array_like, shape (n,)
        The state (others' rates are taken from it).
    num : int
        Points on the curve (``≥ 10``).
    ax : matplotlib Axes, optional
        Draw into these axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        Its first line holds ``(y, E_i(y))``.
    """
    gm = NeuronGame(net)
    k = gm._index(i)
    x = check_state(x, net.n)
    if isinstance(num, bool) or not isinstance(num, (int, np.integer)) or num < 10:
        raise ValidationError(f"num: expected an integer ≥ 10, got {num!r}")
    act = net.activations[k]
    br = float(gm.best_response(x)[k])
    regret = float(gm.regret(x)[k])
    lo, hi = act.value_range
    a, b = _span(lo, hi, [x[k], br, 0.0])
    ys = np.linspace(a, b, int(num))
    es = gm.energy(k, x, y=ys)
    fig, ax = _figure(ax)
    # "E_0(y ; x_−0)" read as minus zero: the energy of neuron i given the others' rates x_{−i}
    ax.plot(ys, es, color="C0", label=f"energy of {_who(net.names[k])} given the others")
    ax.plot([x[k]], [float(gm.energy(k, x))], "o", color="C1", zorder=4,
            label=f"current rate {x[k]:.4g}")
    if math.isfinite(br):
        ax.axvline(br, color="C2", linestyle="--", linewidth=1)
        ax.plot([br], [float(gm.energy(k, x, y=br))], "*", color="C2", markersize=12,
                label=f"best response {br:.4g}")
    kind = f" ({net.cell_types[k]} neuron)" if net.cell_types is not None else ""
    if math.isinf(regret):
        tail = "energy unbounded below: regret ∞"
    else:
        tail = f"regret {regret:.3g}"
    ax.set_title(f"{_who(net.names[k])}{kind}, self-coupling W_ii = {net.diag[k]:.3g}\n{tail}",
                 fontsize=9)
    ax.set_xlabel(f"rate of neuron {net.names[k]} (y)")
    ax.set_ylabel("own energy")
    ax.legend(fontsize=8)
    return fig


def _trajectory_array(tr: Any, n: int) -> FloatArray:
    arr = np.asarray(getattr(tr, "x", tr), dtype=float)
    if arr.ndim != 2 or arr.shape[1] != n:
        raise ValidationError(
            f"trajectories: each must be an array of shape (m, {n}) or have such an attribute "
            f"x; got shape {arr.shape}"
        )
    return arr


def plot_potential(net: Network, *, trajectories: Sequence[Any] = (),
                   starts: ArrayLike | None = None, t_max: float = 20.0,
                   box: tuple[tuple[float, float], tuple[float, float]] | None = None,
                   levels: int = 30, num: int = 200, ax: Axes | None = None) -> Figure:
    """Contours of a two-neuron circuit's (weighted) potential with trajectories over them.

    Parameters
    ----------
    net : Network
        Two neurons, with a potential (:meth:`NeuronGame.potential`).
    trajectories : sequence
        Arrays of shape ``(m, 2)`` or objects with such an attribute ``x`` (e.g.
        :class:`~eicircuits.Trajectory`).
    starts : array_like, shape (k, 2), optional
        Initial rates; the rate form is integrated from each (SciPy ``solve_ivp``, RK45) up to
        ``t_max`` and drawn too.
    box : ((x0_min, x0_max), (x1_min, x1_max)), optional
        Plot window; default the activations' ranges, or the trajectories' extent (plus a
        margin) where a range is unbounded.
    levels, num : int
        Contour levels and grid points per axis.

    Returns
    -------
    matplotlib.figure.Figure
        Its first collection holds the contour set; each trajectory is one line, with
        arrowheads (annotations) showing the direction of time and a dot at its end.

    Raises
    ------
    ValidationError
        ``net`` does not have two neurons or has no potential (the reason is given).

    Examples
    --------
    >>> from eicircuits import Network
    >>> from eicircuits.games.plots import plot_potential
    >>> net = Network(W=[[0.0, -0.5], [-0.5, 0.0]], u=[1.0, 0.8])
    >>> fig = plot_potential(net, starts=[[0.0, 2.0], [2.0, 0.0]], t_max=5.0)
    >>> len(fig.axes[0].lines)
    4
    """
    if net.n != 2:
        raise ValidationError(f"plot_potential: needs a two-neuron network, got n = {net.n}")
    pot = NeuronGame(net).potential()
    if not pot.exists:
        raise ValidationError(f"plot_potential: {pot.reason}")
    trs = [_trajectory_array(tr, 2) for tr in trajectories]
    if starts is not None:
        s_arr = np.asarray(starts, dtype=float).reshape(-1, 2)
        if not np.all(np.isfinite(s_arr)):
            raise ValidationError("starts: every initial rate must be finite")
        if not (math.isfinite(t_max) and t_max > 0):
            raise ValidationError(f"t_max: expected a finite number > 0, got {t_max!r}")
        t_eval = np.linspace(0.0, t_max, 400)
        for x0 in s_arr:
            sol = solve_ivp(lambda _t, y: net.rate_field(y), (0.0, t_max), x0, t_eval=t_eval,
                            rtol=1e-8, atol=1e-10)
            trs.append(sol.y.T)
    if box is None:
        pts = np.vstack([*trs, np.zeros((1, 2))]) if trs else np.zeros((1, 2))
        spans = []
        for k, act in enumerate(net.activations):
            lo, hi = act.value_range
            spans.append(_span(lo, hi, [float(pts[:, k].min()), float(pts[:, k].max()), 1.0]))
        box = (spans[0], spans[1])
    (a0, b0), (a1, b1) = box
    g0 = np.linspace(a0, b0, num)
    g1 = np.linspace(a1, b1, num)
    X0, X1 = np.meshgrid(g0, g1)
    d = pot.weights
    W, u = net.dense_W(), net.u
    with np.errstate(invalid="ignore"):
        gx0 = net.activations[0].g(X0)
        gx1 = net.activations[1].g(X1)
        F0 = X0 - W[0, 0] * X0 - W[0, 1] * X1
        F1 = X1 - W[1, 0] * X0 - W[1, 1] * X1
        P = d[0] * (0.5 * X0 * F0 - u[0] * X0 + gx0) + d[1] * (0.5 * X1 * F1 - u[1] * X1 + gx1)
    P = np.where(np.isfinite(P), P, np.nan)
    fig, ax = _figure(ax, (5.0, 4.4))
    cs = ax.contour(X0, X1, P, levels=levels, cmap="viridis", linewidths=0.8)
    fig.colorbar(cs, ax=ax, label=f"{pot.kind} potential")
    for k, tr in enumerate(trs):
        ax.plot(tr[:, 0], tr[:, 1], color="C3", linewidth=1.2,
                label="trajectories (arrows: direction, dot: end)" if k == 0 else None)
        ax.plot(tr[-1, 0], tr[-1, 1], "o", color="C3", markersize=4)
        direction_arrows(ax, tr, color="C3")
    ax.set_xlim(a0, b0)
    ax.set_ylim(a1, b1)
    ax.set_xlabel(f"rate of neuron {net.names[0]}")
    ax.set_ylabel(f"rate of neuron {net.names[1]}")
    ax.set_title(f"{pot.kind} potential (d = {d[0]:.3g}, {d[1]:.3g})", fontsize=9)
    if trs:
        ax.legend(fontsize=8)
    return fig


def plot_regret(net: Network, trajectory: Any, *, t: ArrayLike | None = None,
                floor: float = 1e-16, ax: Axes | None = None) -> Figure:
    """Every neuron's regret along a trajectory (log scale).

    Parameters
    ----------
    net : Network
    trajectory : object with ``t`` and ``x`` attributes, or an array of shape ``(m, n)``
        The states (e.g. :class:`~eicircuits.Trajectory` or
        :class:`~eicircuits.games.BestResponsePath`).
    t : array_like, shape (m,), optional
        Times, when ``trajectory`` is a bare array (default ``0, 1, …``: rounds).
    floor : float
        Regrets below ``floor`` are drawn at ``floor`` (a log axis has no 0).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
        One line per neuron, its y data the regret (clipped at ``floor``); infinite regrets are
        drawn as triangles at the top and counted in the title.

    Examples
    --------
    >>> import numpy as np
    >>> from eicircuits import Network
    >>> from eicircuits.games import best_response_flow
    >>> from eicircuits.games.plots import plot_regret
    >>> net = Network(W=[[0.0, 0.5], [0.5, 0.0]], u=[1.0, 1.0])
    >>> fig = plot_regret(net, best_response_flow(net, [0.0, 0.0], (0.0, 5.0)))
    >>> len(fig.axes[0].lines)
    2
    """
    gm = NeuronGame(net)
    xs = _trajectory_array(trajectory, net.n)
    if t is None:
        t = getattr(trajectory, "t", None)
    tt = np.arange(xs.shape[0], dtype=float) if t is None else np.asarray(t, dtype=float)
    if tt.shape != (xs.shape[0],):
        raise ValidationError(f"t: expected shape ({xs.shape[0]},) to match the trajectory, "
                              f"got {tt.shape}")
    if not (math.isfinite(floor) and floor > 0):
        raise ValidationError(f"floor: expected a finite number > 0, got {floor!r}")
    R = np.array([gm.regret(x) for x in xs])
    finite = R[np.isfinite(R)]
    top = max(float(finite.max()) if finite.size else 1.0, floor) * 10.0
    fig, ax = _figure(ax, (6.0, 4.0))
    by_type = net.n > 12 and net.cell_types is not None
    type_color = {"E": "tab:red", "I": "tab:blue"}
    n_inf = 0
    labelled: set[str] = set()
    for k in range(net.n):
        r = R[:, k]
        inf = ~np.isfinite(r)
        name = _who(net.names[k])
        if by_type:
            kind = net.cell_types[k]
            color: Any = type_color[kind]
            label = f"{kind} neurons" if kind not in labelled else None
            labelled.add(kind)
        else:
            color, label = None, (f"{name} (∞: energy unbounded below)" if np.any(inf) else name)
            if net.n > 12:
                label = None
        line = ax.plot(tt, np.maximum(np.where(np.isfinite(r), r, np.nan), floor), color=color,
                       lw=0.9 if by_type else 1.5, alpha=0.8 if by_type else 1.0,
                       label=label)[0]
        if np.any(inf):
            n_inf += 1
            ax.plot(tt[inf], np.full(int(inf.sum()), top), "^", color=line.get_color(),
                    markersize=4)
    ax.set_yscale("log")
    ax.set_xlabel("time (units of τ)" if t is not None else "round")
    ax.set_ylabel(f"regret (values < {floor:g} drawn at {floor:g})")
    title = "Regret of every neuron along the trajectory"
    if n_inf:
        title += f"\n{n_inf} neuron(s) with energy unbounded below: regret ∞ (▲ at the top)"
    ax.set_title(title, fontsize=9)
    if by_type or net.n <= 12:
        ax.legend(fontsize=7, ncol=2 if net.n > 4 and not by_type else 1)
    return fig
