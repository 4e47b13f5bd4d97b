"""The figure of an analysis: what the circuit does.

- A layered circuit (a cortical column, or one layer of a lateral-inhibition motif; see
  :func:`~eicircuits.analysis.is_layered`): the input
  and each layer's E rates per channel with the winner marked, the contrast per layer with the
  number of active E neurons, and the population means per layer from rest.
- A small circuit (up to :data:`SMALL_N` neurons): the equilibrium rate of every neuron and
  every neuron's rate from rest.
- A large circuit, or a flat one (e.g. a random E–I network): the E and I population means
  from rest and histograms of the equilibrium rates ("all neurons silent" when ``x* = 0``).

Built on :class:`matplotlib.figure.Figure` (no pyplot state, any backend).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["plot_analysis", "write_figure", "SMALL_N"]

#: Up to this many neurons every neuron is drawn; above, populations are summarised.
SMALL_N = 40

_E, _I = "tab:red", "tab:blue"


def _state(a: Any) -> np.ndarray:
    """The state to draw: the response from rest when the solver's equilibrium is unstable."""
    eq = a.response if getattr(a, "response", None) is not None else a.equilibrium
    return np.asarray(eq.x, dtype=float)


def _found(a: Any) -> bool:
    """Whether the analysis has an equilibrium to draw (converged, finite)."""
    eq = a.equilibrium
    return bool(eq.converged) and bool(np.all(np.isfinite(np.asarray(eq.x, dtype=float))))


def _integer_axis(axis: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _types(net: Any) -> np.ndarray:
    return np.array(net.cell_types if net.cell_types is not None else ("E",) * net.n)


def _settled_time(t: np.ndarray, xs: np.ndarray) -> float:
    """A time window showing the transient: 1.5 × the time after which every rate stays within
    0.1 % (of the largest final rate) of its final value, or the whole run."""
    end = float(t[-1]) if t[-1] > 0 else 1.0  # a run that was steady at t = 0 has one point
    scale = max(float(np.max(np.abs(xs[-1]))), 1e-12)
    off = np.max(np.abs(xs - xs[-1]), axis=1) > 1e-3 * scale
    if not off.any():
        return end
    return float(min(end, max(1.5 * t[int(np.flatnonzero(off)[-1])], 1e-3 * end)))


def _column_panels(fig: Any, a: Any) -> None:
    net, c = a.network, a.contrast
    x = _state(a)
    axes = fig.subplots(1, 3)
    ax = axes[0]
    first = np.asarray(c.layer_neurons[0])
    channels = np.arange(first.size)
    u0 = np.asarray(net.u)[first]
    ax.plot(channels, u0, "k--", marker="s", markersize=4, label="input u (layer 0 E)")
    cmap = __import__("matplotlib").colormaps["viridis"]
    for ell, idx in enumerate(c.layer_neurons):
        color = cmap(ell / max(1, c.layers - 1))
        ax.plot(np.arange(len(idx)), x[np.asarray(idx)], "o-", color=color, markersize=4,
                label=f"layer {ell} E rates" if c.layers > 1 else "E rates (equilibrium)")
    if c.winner is not None:
        k = list(net.names).index(c.winner)
        last = list(c.layer_neurons[-1])
        ax.plot([last.index(k)], [x[k]], "*", color="gold", markeredgecolor="k",
                markersize=14, zorder=5, label=f"winner {c.winner}")
    _integer_axis(ax.xaxis)
    ax.set_xlabel("channel")
    ax.set_ylabel("rate (input: drive)")
    ax.set_title("Input and E rates" + (" per layer" if c.layers > 1 else ""), fontsize=9)
    ax.legend(fontsize=7)

    ax = axes[1]
    vals = [c.input_contrast, *c.contrast]
    depth = np.arange(len(vals))
    shown = [np.nan if v is None else v for v in vals]
    ax.plot(depth, shown, "o-", color="C0", label="contrast of E rates")
    for ell, k in enumerate(c.active):
        if vals[ell + 1] is not None:
            ax.annotate(f"{k}/{len(c.layer_neurons[ell])} active", (ell + 1, vals[ell + 1]),
                        textcoords="offset points", xytext=(-10, 8), fontsize=7)
    ax.set_yscale("log")
    ax.set_ylim(top=2.0)
    layers = [str(k) for k in range(len(c.contrast))] if c.layers > 1 else ["E rates"]
    ax.set_xticks(depth, ["input", *layers])
    ax.set_xlim(-0.4, len(vals) - 0.4)
    ax.set_xlabel("layer" if c.layers > 1 else "")
    ax.set_ylabel("contrast (max − min)/(max + min)")
    gain = "" if c.contrast_gain is None else f", gain {c.contrast_gain:.3g}"
    what = "Contrast grows with depth" if c.layers > 1 else "Contrast: input → E rates"
    ax.set_title(f"{what}{gain}", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")

    ax = axes[2]
    tr = a.trajectory.trajectory if a.trajectory is not None else None
    if tr is None:
        ax.set_axis_off()
        return
    xs = np.asarray(tr.x)
    for ell, idx in enumerate(c.layer_neurons):
        ax.plot(tr.t, xs[:, np.asarray(idx)].mean(axis=1),
                color=cmap(ell / max(1, c.layers - 1)),
                label=f"layer {ell} E mean" if c.layers > 1 else "E mean")
    if len(net.i_idx):
        ax.plot(tr.t, xs[:, net.i_idx].mean(axis=1), color="k", linestyle=":",
                label="all I mean")
    ax.set_xlim(0.0, _settled_time(tr.t, xs))
    ax.set_xlabel("time (units of τ)")
    ax.set_ylabel("population mean rate")
    ax.set_title(f"From rest ({a.trajectory.status})", fontsize=9)
    ax.legend(fontsize=7)


def _small_panels(fig: Any, a: Any) -> None:
    net = a.network
    x = _state(a)
    types = _types(net)
    ax1, ax2 = fig.subplots(1, 2)
    for kind, color in (("E", _E), ("I", _I)):
        idx = np.flatnonzero(types == kind)
        if idx.size:
            ax1.bar(idx, x[idx], color=color, label=f"{kind} neurons")
    ax1.set_xticks(np.arange(net.n), net.names, rotation=90 if net.n > 12 else 0, fontsize=7)
    ax1.set_xlabel("neuron")
    ax1.set_ylabel("equilibrium rate x*")
    eq = a.response if getattr(a, "response", None) is not None else a.equilibrium
    stable = {True: "locally stable", False: "unstable", None: "stability undecided"}[
        getattr(eq, "stable", None)]
    what = "Response from rest" if eq is not a.equilibrium else "Equilibrium"
    if eq is not a.equilibrium:
        ax1.plot(np.arange(net.n), np.asarray(a.equilibrium.x), "o", markerfacecolor="none",
                 markeredgecolor="k", label="unstable equilibrium (solver)")
    ax1.set_title(f"{what} ({eq.method}, {stable})", fontsize=9)
    ax1.legend(fontsize=7)
    tr = a.trajectory.trajectory if a.trajectory is not None else None
    if tr is None:
        ax2.set_axis_off()
        return
    xs = np.asarray(tr.x)
    for kind, color in (("E", _E), ("I", _I)):
        for j, k in enumerate(np.flatnonzero(types == kind)):
            ax2.plot(tr.t, xs[:, k], color=color, lw=0.9, alpha=0.8,
                     label=f"{kind} neurons" if j == 0 else None)
    ax2.set_xlim(0.0, _settled_time(tr.t, xs))
    ax2.set_xlabel("time (units of τ)")
    ax2.set_ylabel("rate")
    ax2.set_title(f"Every neuron from rest ({a.trajectory.status})", fontsize=9)
    ax2.legend(fontsize=7)


def _large_panels(fig: Any, a: Any) -> None:
    net = a.network
    x = _state(a)
    types = _types(net)
    ax1, ax2 = fig.subplots(1, 2)
    tr = a.trajectory.trajectory if a.trajectory is not None else None
    silent = _found(a) and not np.any(x > 0)
    if tr is not None:
        t, xs = np.asarray(tr.t, dtype=float), np.asarray(tr.x)
        if t.size < 2:  # steady at t = 0 (e.g. every neuron silent): one point draws no line
            t, xs = np.array([0.0, max(float(a.trajectory.t_end), 1.0)]), np.repeat(xs, 2, 0)
        for kind, color in (("E", _E), ("I", _I)):
            idx = np.flatnonzero(types == kind)
            if idx.size:
                who = kind if net.cell_types is not None else "all neurons:"
                ax1.plot(t, xs[:, idx].mean(axis=1), color=color,
                         label=f"{who} mean ({idx.size} neurons)")
                lo, hi = np.percentile(xs[:, idx], [10, 90], axis=1)
                ax1.plot(t, lo, color=color, linestyle="--", linewidth=0.8,
                         label=f"{who} 10th / 90th percentile")
                ax1.plot(t, hi, color=color, linestyle="--", linewidth=0.8)
        if silent and not np.any(xs):
            ax1.text(0.5, 0.6, "all neurons silent (x* = 0)", ha="center", va="center",
                     transform=ax1.transAxes)
        ax1.set_xlim(0.0, _settled_time(t, xs))
        ax1.set_xlabel("time (units of τ)")
        ax1.set_ylabel("rate")
        ax1.set_title(f"Populations from rest ({a.trajectory.status})", fontsize=9)
        ax1.legend(fontsize=7)
    else:
        ax1.set_axis_off()
    if silent:
        ax2.text(0.5, 0.5, f"all neurons silent (x* = 0)\n{net.n} of {net.n} neurons at rate 0",
                 ha="center", va="center", transform=ax2.transAxes)
        ax2.set_xticks([])
        ax2.set_yticks([])
        ax2.set_title("Equilibrium rates", fontsize=9)
    elif _found(a):
        bins = np.linspace(0.0, max(float(x.max()), 1e-12), 31)
        for kind, color in (("E", _E), ("I", _I)):
            idx = np.flatnonzero(types == kind)
            if idx.size:
                active = x[idx][x[idx] > 0]
                ax2.hist(active, bins=bins, color=color, histtype="step", linewidth=1.5,
                         label=f"{kind}: {active.size} active ({idx.size - active.size} "
                         "silent, not drawn)")
        _integer_axis(ax2.yaxis)
        ax2.set_xlabel("equilibrium rate x* of the active neurons")
        ax2.set_ylabel("neurons")
        ax2.set_title("Equilibrium rates", fontsize=9)
        ax2.legend(fontsize=7)
    else:
        ax2.text(0.5, 0.5, "no equilibrium found", ha="center", va="center",
                 transform=ax2.transAxes)
        ax2.set_axis_off()


def plot_analysis(a: Any) -> Any:
    """The figure of an :class:`~eicircuits.analysis.Analysis` (see the module docstring).

    Examples
    --------
    >>> from eicircuits import Network, analyze
    >>> from eicircuits.report import plot_analysis
    >>> net = Network(W=[[0.5, -1.0], [1.0, -0.5]], u=[1.0, 0.0], cell_types="EI")
    >>> fig = plot_analysis(analyze(net, include=("trajectory",)))
    >>> [ax.get_ylabel() for ax in fig.axes]
    ['equilibrium rate x*', 'rate']
    """
    from matplotlib.figure import Figure

    c = a.contrast
    found = _found(a)
    # a column, or one layer of a motif (several E channels with an input contrast)
    column = (c is not None and c.evaluated and found and getattr(c, "layered", True)
              and (c.layers > 1 or (c.input_contrast is not None
                                    and len(c.layer_neurons[0]) >= 3)))
    if column:
        fig = Figure(figsize=(14, 4.2), layout="constrained")
        _column_panels(fig, a)
    elif a.network.n <= SMALL_N and found:
        fig = Figure(figsize=(11, 4.2), layout="constrained")
        _small_panels(fig, a)
    else:
        fig = Figure(figsize=(11, 4.2), layout="constrained")
        _large_panels(fig, a)
    fig.suptitle(f"{a.summary.source}: {a.network.n} neurons", fontsize=10)
    return fig


def write_figure(a: Any, path: str | Path, *, dpi: int = 120) -> Path:
    """Save :func:`plot_analysis` as an image at ``path`` and return the path."""
    p = Path(path)
    plot_analysis(a).savefig(p, dpi=dpi)
    return p
