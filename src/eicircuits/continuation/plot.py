"""Bifurcation diagrams: one neuron's rate against the parameter, stable solid, unstable dashed.

Examples
--------
>>> from eicircuits import Network, continuation
>>> from eicircuits.continuation import plot_diagram
>>> net = Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[0.0, -4.0], names=["E", "I"])
>>> fig, ax = plot_diagram(continuation(net, direction=[1.0, 0.0], span=(-3.0, 2.0)))
>>> ax.get_xlabel(), ax.get_ylabel()
('λ', 'rate of E')
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ValidationError
from ._result import Continuation

__all__ = ["plot_diagram"]

_MARKERS = {"fold": ("o", "black", "fold"), "hopf": ("s", "tab:red", "Hopf"),
            "branch_point": ("X", "tab:purple", "branch point"),
            "border": (".", "0.45", "border (active set changes)"),
            "stability_change": ("^", "tab:orange", "stability change (not located)")}


def neuron_label(name: str) -> str:
    """How a neuron is named in figure text: ``"neuron 0"`` for an unnamed (integer) one.

    Examples
    --------
    >>> neuron_label("0"), neuron_label("E")
    ('neuron 0', 'E')
    """
    return f"neuron {name}" if str(name).strip().lstrip("+-").isdigit() else str(name)


def _column(res: Continuation, neuron: int | str | None) -> tuple[int, str]:
    kept = res.branches[0].neurons
    names = list(res.neuron_names) or [str(int(i)) for i in range(int(kept.max()) + 1)]
    if neuron is None:
        return 0, names[int(kept[0])]
    idx = names.index(neuron) if isinstance(neuron, str) and neuron in names else neuron
    if isinstance(idx, str):
        raise ValidationError(f"neuron: unknown neuron name {neuron!r}; expected one of "
                              f"{names[:10]}")
    hits = np.flatnonzero(kept == int(idx))
    if hits.size == 0:
        raise ValidationError(f"neuron: {neuron!r} is not among the neurons the branches kept")
    return int(hits[0]), names[int(idx)]


def plot_diagram(res: Continuation, *, neuron: int | str | None = None, ax: Any = None,
                 borders: bool | None = None, title: str | None = None) -> tuple[Any, Any]:
    """Draw a bifurcation diagram of a :class:`Continuation`.

    Parameters
    ----------
    res : Continuation
    neuron : int or str, optional
        The neuron whose rate is the y axis (index or name; default the first kept neuron).
    ax : matplotlib Axes, optional
        Draw into it (default: a new figure, no pyplot state).
    borders : bool, optional
        Mark the borders (changes of active set); default when there are at most 40.
    title : str, optional

    Returns
    -------
    (Figure, Axes)

    Raises
    ------
    ValidationError
        An unknown neuron, or a continuation without branches.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    if not res.branches:
        raise ValidationError("res: the continuation has no branch to draw")
    col, name = _column(res, neuron)
    name = neuron_label(name)
    if ax is None:
        fig = Figure(figsize=(6.4, 4.2), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.figure
    colors = [f"C{k % 10}" for k in range(len(res.branches))]
    for k, br in enumerate(res.branches):
        y = br.x[:, col]
        seg = br.segment_stable
        for j in range(br.m - 1):
            st = True if seg is None else bool(seg[j])
            ax.plot(br.lam[j:j + 2], y[j:j + 2], color=colors[k], lw=1.8 if st else 1.3,
                    ls="-" if st else (0, (4, 3)))
    handles = [Line2D([], [], color="0.2", lw=1.8, label="stable"),
               Line2D([], [], color="0.2", lw=1.3, ls=(0, (4, 3)), label="unstable")]
    if all(br.segment_stable is None for br in res.branches):
        handles = [Line2D([], [], color="0.2", lw=1.8, label="equilibria (stability not computed)")]
    show_borders = (borders if borders is not None
                    else len(res.of_kind("border")) <= 40)
    for kind, (marker, color, label) in _MARKERS.items():
        if kind == "border" and not show_borders:
            continue
        pts = res.of_kind(kind)
        if not pts:
            continue
        xs = [b.lam for b in pts]
        ys = [b.x[col] for b in pts]
        size = 20 if kind == "border" else 45
        ax.scatter(xs, ys, marker=marker, s=size, color=color, zorder=5,
                   facecolors="white" if kind == "fold" else color)
        handles.append(Line2D([], [], marker=marker, ls="", color=color, label=label,
                              markerfacecolor="white" if kind == "fold" else color))
    for b in res.of_kind("hopf"):
        ax.annotate(f"Hopf {res.parameter} = {b.lam:.4g}", (b.lam, b.x[col]),
                    textcoords="offset points", xytext=(6, 8), fontsize=8, color="tab:red")
    ax.ticklabel_format(axis="y", useOffset=False)  # a flat branch keeps its real values
    ax.set_xlabel(res.parameter)
    ax.set_ylabel(f"rate of {name}")
    ax.set_xlim(*res.span)
    ax.legend(handles=handles, fontsize=8, loc="best", frameon=False)
    ax.set_title(title or f"Equilibria of {name} against {res.parameter} "
                 f"({res.method}; {len(res.folds)} fold(s), {len(res.hopf)} Hopf)", fontsize=10)
    return fig, ax
