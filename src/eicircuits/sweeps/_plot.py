"""Figures of a sweep: a regime map (categorical) or a heat map (numeric) over two parameters.

Labels, booleans and integers (``regime``, ``certified``, ``winner``) are categories: a map
with a legend of the categories, never a continuous colour bar. Dimensions beyond the plotted
ones (e.g. ``seed`` of an ensemble) are reduced: real numbers by their mean, booleans by the
fraction of ``True`` (then a number), labels and integers by the most frequent value. A
one-parameter sweep is a line (numbers) or points on a categorical axis. A variable without
any value (all NaN) is drawn as an explanation, not as an empty map; missing points (NaN, or
masked points of an unfinished sweep) are left blank and counted in the title.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ValidationError

__all__ = ["plot_sweep", "REGIME_COLORS"]

#: Colours of the Wilson–Cowan regimes (other labels get colours from ``tab10``).
REGIME_COLORS = {
    "lds-stable": "#4c72b0",
    "isn-stable": "#55a868",
    "oscillatory": "#dd8452",
    "bistable": "#8172b3",
    "runaway": "#c44e52",
    "undecided": "#bbbbbb",
    "": "#dddddd",
}


def _mode(values: np.ndarray, axis: int) -> np.ndarray:
    moved = np.moveaxis(values, axis, -1)
    out = np.empty(moved.shape[:-1], dtype=values.dtype)
    for idx in np.ndindex(*out.shape):
        labels, counts = np.unique(moved[idx], return_counts=True)
        out[idx] = labels[np.argmax(counts)]
    return out


def _edges(centres: np.ndarray) -> np.ndarray:
    c = np.asarray(centres, dtype=float)
    if c.size == 1:
        return np.array([c[0] - 0.5, c[0] + 0.5])
    mid = (c[1:] + c[:-1]) / 2.0
    return np.concatenate([[2 * c[0] - mid[0]], mid, [2 * c[-1] - mid[-1]]])


def _reduce(var: Any, keep: Sequence[str], kind: str | None = None) -> tuple[Any, str]:
    """Reduce the dims not in ``keep``; ``kind`` ("int"/"bool") for integers masked to float."""
    extra = [d for d in var.dims if d not in keep]
    if not extra:
        return var, ""
    if var.dtype.kind in "USi" or kind == "int":
        ordered = var.transpose(*keep, *extra)
        values = ordered.values
        reduced = _mode(values.reshape((*values.shape[:len(keep)], -1)), -1)
        return ordered.isel({d: 0 for d in extra}, drop=True).copy(data=reduced), \
            f"most frequent over {', '.join(extra)}"
    how = f"fraction {var.name or ''} true".replace("  ", " ") \
        if var.dtype.kind == "b" or kind == "bool" else "mean"
    return var.astype(float).mean(dim=extra), f"{how} over {', '.join(extra)}"


#: Category names of boolean analyses: name -> (label of True, label of False).
BOOL_LABELS = {"certified": ("certified", "not certified"), "ok": ("ok", "failed")}
#: Integer analyses whose value -1 means "none": name -> label of -1.
NONE_LABELS = {"winner": "no single winner"}


#: Label of a point without a value (an unfinished point of a masked integer/boolean analysis).
MISSING = "(missing)"


def _as_labels(var: str, values: np.ndarray, kind: str | None = None
               ) -> tuple[np.ndarray, list[str]]:
    """Booleans and integers (or floats masked from them, NaN = missing) as category labels."""
    flat = values.ravel()
    missing = np.zeros(flat.shape, dtype=bool)
    if flat.dtype.kind == "f":
        missing = np.isnan(flat)
    if values.dtype.kind == "b" or kind == "bool":
        yes, no = BOOL_LABELS.get(var, (f"{var}: true", f"{var}: false"))
        out = np.where(missing, MISSING, np.where(flat == 1, yes, no)).astype(object)
        order = [lab for lab in (yes, no, MISSING) if lab in set(out)]
        return out.reshape(values.shape), order
    none = NONE_LABELS.get(var)
    ints = sorted({int(v) for v in flat[~missing]})

    def name(v: int) -> str:
        if none is not None and v == -1:
            return none
        return f"neuron {v}" if var == "winner" else str(v)

    out = np.array([MISSING if m else name(int(v)) for v, m in zip(flat, missing, strict=True)],
                   dtype=object)
    order = [name(v) for v in ints] + ([MISSING] if missing.any() else [])
    return out.reshape(values.shape), order


#: Names drawn for analyses whose short name reads as something else.
TITLES = {"rate": "contraction rate"}

#: Up to this many sampled values per axis, ticks sit at the sampled values and every cell of a
#: numeric map carries its number.
SMALL_GRID = 10


def _fmt_tick(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float | np.floating) else str(v)


def _sample_ticks(ax: Any, xs: np.ndarray, ys: np.ndarray | None) -> None:
    """Ticks at the sampled values of a small grid (cells are centred on them)."""
    for values, setter in ((xs, ax.set_xticks), (ys, ax.set_yticks)):
        if values is not None and values.size <= SMALL_GRID and values.dtype.kind in "iuf":
            setter(values, [_fmt_tick(v) for v in values])


def _annotate_cells(ax: Any, mesh: Any, xs: np.ndarray, ys: np.ndarray,
                    values: np.ndarray) -> None:
    """Write each value in its cell, dark on light colours and light on dark ones."""
    for i, yv in enumerate(ys):
        for j, xv in enumerate(xs):
            v = values[i, j]
            if not np.isfinite(v):
                continue
            r, g, b, _ = mesh.cmap(mesh.norm(v))
            ink = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
            ax.text(xv, yv, f"{v:.3g}", ha="center", va="center", color=ink, fontsize=9)


def _why_empty(da: Any, var: str) -> str:
    """The reason a variable has no value anywhere: its attributes, else what NaN means."""
    for key in ("nan_reason", "why_nan", "missing", "note", "description"):
        if da.attrs.get(key):
            return str(da.attrs[key])
    if var == "rate":
        return ("NaN = the certificate states no contraction rate: certify() proved stability "
                "with another kind (e.g. 'lds', which holds for every τ but has no rate), or "
                "found no certificate")
    return "NaN at every point: the analysis returned no value for any parameter"


def plot_sweep(ds: Any, var: str | None = None, *, x: str | None = None,
               y: str | None = None, ax: Any = None) -> tuple[Any, Any, np.ndarray]:
    """Draw one variable of a sweep over one or two of its parameters.

    Parameters
    ----------
    ds : xarray.Dataset
        A result of :func:`~eicircuits.sweeps.sweep` or :func:`~eicircuits.sweeps.open_sweep`.
    var : str, optional
        The variable (default: the first analysis).
    x, y : str, optional
        The parameters on the axes (default: the first grid parameter on x, the second on y).
    ax : matplotlib Axes, optional

    Returns
    -------
    (Figure, Axes, ndarray)
        The figure, its axes and the values drawn (shape ``(len(y), len(x))`` for a map; label
        codes into the legend's order for labels).

    Raises
    ------
    ValidationError
        An unknown variable or dimension, or a variable with per-point arrays (select one
        entry first, e.g. ``ds.isel(neuron=0)``).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from eicircuits.sweeps import plot_sweep
    >>> ds = xr.Dataset({"r": (("a", "b"), np.array([["x", "y"], ["y", "y"]]))},
    ...                 coords={"a": [0.0, 1.0], "b": [0.0, 1.0]})
    >>> fig, ax, drawn = plot_sweep(ds)
    >>> drawn.tolist()  # rows: b, columns: a; codes into ['x', 'y']
    [[0, 1], [1, 1]]
    """
    import matplotlib.pyplot as plt

    names = list(ds.data_vars)
    if var is None:
        var = next((n for n in names if n not in ("ok", "error")), None)
    if var is None or var not in ds.data_vars:
        raise ValidationError(f"var: {var!r} is not a variable of the sweep; expected one of "
                              f"{names}")
    da = ds[var]
    title = TITLES.get(var, var)
    grid_dims = [d for d in da.dims if d in ds.coords and d != "seed"]
    extra_dims = [d for d in da.dims if d not in ds.coords]
    if extra_dims:
        raise ValidationError(
            f"var: {var!r} holds an array per point (dims {extra_dims}); select one entry, "
            f"e.g. ds.isel({extra_dims[0]}=0)"
        )
    for name, value in (("x", x), ("y", y)):
        if value is not None and value not in da.dims:
            raise ValidationError(f"{name}: {value!r} is not a dimension of {var!r}; "
                                  f"expected one of {list(da.dims)}")
    if x is None:
        x = grid_dims[0] if grid_dims else da.dims[0]
    others = [d for d in grid_dims if d != x]
    if y is None and others:
        y = others[0]
    keep = [d for d in (y, x) if d is not None]
    # integers and booleans with unfinished points come back as float with NaN and attrs kind
    masked = da.attrs.get("kind") if da.dtype.kind == "f" else None
    masked = masked if masked in ("int", "bool") else None
    reduced_dims = [d for d in da.dims if d not in keep]
    da, note = _reduce(da, keep, masked)
    if masked == "bool" and reduced_dims:
        masked = None  # a fraction of True: a number
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.0, 4.5), constrained_layout=True)
    else:
        fig = ax.figure
    categorical = da.dtype.kind in "USbi" or masked is not None
    if categorical:
        raw = da.transpose(*keep).values
        labelled = raw.dtype.kind in "bi" or masked is not None
        if labelled:
            values, order = _as_labels(var, raw, masked)
        else:
            values = raw.astype(str)
            known = [lab for lab in REGIME_COLORS if lab in set(values.ravel())]
            order = known + sorted(set(values.ravel()) - set(known))
        labels = order
        lookup = {lab: k for k, lab in enumerate(labels)}
        codes = np.array([lookup[v] for v in values.ravel()], dtype=np.int64)
        codes = codes.reshape(values.shape)
        palette = plt.get_cmap("tab10")
        colors = [REGIME_COLORS.get(lab, palette(k % 10)) for k, lab in enumerate(labels)]
        from matplotlib.colors import ListedColormap
        from matplotlib.patches import Patch

        fixed = {"certified": "#55a868", "not certified": "#c44e52", MISSING: "#ffffff",
                 **{lab: "#cccccc" for lab in NONE_LABELS.values()}}
        if labelled:
            colors = [fixed.get(lab, c) for lab, c in zip(labels, colors, strict=True)]
        cmap = ListedColormap(colors)
        drawn = codes
        if y is None:
            # one parameter: points on a categorical axis, one colour per category
            xs = da[x].values
            ax.plot(xs, codes, color="0.7", linewidth=0.8, zorder=1)
            ax.scatter(xs, codes, c=[colors[k] for k in codes], zorder=2)
            ax.set_yticks(range(len(labels)), [lab or "(failed)" for lab in labels])
            ax.set_ylim(-0.5, len(labels) - 0.5)
        else:
            ax.pcolormesh(da[x].values, da[y].values, codes, cmap=cmap, vmin=-0.5,
                          vmax=len(labels) - 0.5, shading="nearest")
            _sample_ticks(ax, da[x].values, da[y].values)
        ax.legend(handles=[Patch(facecolor=c, edgecolor="0.5", label=lab or "(failed)")
                           for c, lab in zip(colors, labels, strict=True)],
                  loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    else:
        values = da.transpose(*keep).values.astype(float)
        drawn = values
        missing = int(np.sum(~np.isfinite(values)))
        if missing == values.size:
            ax.text(0.5, 0.5, f"{title!r} has no value at any point\n\n"
                    + "\n".join(textwrap.wrap(_why_empty(ds[var], var), 60)),
                    ha="center", va="center", transform=ax.transAxes, fontsize=9)
            ax.set_xlim(float(np.min(da[x].values)), float(np.max(da[x].values)))
            if y is not None:
                ax.set_ylim(float(np.min(da[y].values)), float(np.max(da[y].values)))
            note = (note + "; " if note else "") + "no values"
        elif y is None:
            ax.plot(da[x].values, values, marker="o" if values.size < 50 else None)
            _sample_ticks(ax, da[x].values, None)
            ax.set_ylabel(title)
        else:
            xs, ys = da[x].values, da[y].values
            mesh = ax.pcolormesh(xs, ys, values, shading="nearest", cmap="viridis")
            fig.colorbar(mesh, ax=ax, label=title)
            _sample_ticks(ax, xs, ys)
            if xs.size <= SMALL_GRID and ys.size <= SMALL_GRID:
                _annotate_cells(ax, mesh, xs, ys, values)
    ax.set_xlabel(x)
    if y is not None:
        ax.set_ylabel(y)
    if not categorical and 0 < missing < np.size(drawn):
        note = (note + "; " if note else "") + f"{missing} of {np.size(drawn)} points without value"
    ax.set_title(title + (f" ({note})" if note else ""))
    return fig, ax, drawn
