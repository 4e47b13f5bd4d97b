"""``eicircuits sweep SPEC --grid … --analysis … --out map.zarr`` and ``eicircuits plot map.zarr``.

``sweep`` takes the circuit of a specification file, lets each ``--grid NAME=START:STOP:NUM``
(or ``NAME=V1,V2,…``) override one of its parameters, runs the analyses at every point and
writes a resumable Zarr store (rerun the same command after an interruption to finish it).
``plot`` draws a regime map (labels) or a heat map (numbers) of a store.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ValidationError
from ..network import Network
from ..spec import CircuitSpec, read_spec
from ._common import add_force_argument, add_spec_argument, check_out_file

__all__ = ["register", "SpecBuilder"]


class SpecBuilder:
    """A picklable builder: the specification's network with keyword overrides (grid points).

    Takes ``rng`` exactly when the specification's builder does (so ensembles work with
    ``random_ei``); errors name the specification file and key (:class:`SpecError`).
    """

    def __init__(self, spec: CircuitSpec, inputs: dict[str, str] | None = None) -> None:
        self.spec = spec
        #: SHA-256 of the files the spec reads (part of a sweep store's identity).
        self.sweep_inputs = dict(inputs if inputs is not None else spec.input_files())
        self.__qualname__ = f"spec[{spec.builder or 'network'}]"
        #: The builder function behind the spec (lets analyses with a vectorised path see it).
        self.sweep_target = None if spec.builder is None else spec.builder_function()
        takes_rng = False
        if spec.builder is not None:
            try:
                takes_rng = "rng" in inspect.signature(spec.builder_function()).parameters
            except (TypeError, ValueError):  # pragma: no cover - builders are plain functions
                takes_rng = False
        params = [inspect.Parameter("overrides", inspect.Parameter.VAR_KEYWORD)]
        if takes_rng:
            params.insert(0, inspect.Parameter("rng", inspect.Parameter.KEYWORD_ONLY,
                                               default=None))
        self.__signature__ = inspect.Signature(params)

    def __call__(self, **overrides: Any) -> Network:
        return self.spec.network(**overrides)

    def __repr__(self) -> str:
        return f"SpecBuilder({self.spec.source!r}, builder={self.spec.builder!r})"


def _parse_chunks(items: list[str] | None) -> dict[str, int] | None:
    if not items:
        return None
    out: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not value.strip().lstrip("-").isdigit():
            raise ValidationError(f"--chunks: expected NAME=POINTS (an integer), got {item!r}")
        out[name.strip()] = int(value)
    return out


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "sweep",
        help="run analyses over a parameter grid (and seeds) into a resumable Zarr store",
        description="Sweep the parameters of a circuit specification. Each --grid overrides one "
        "builder parameter (NAME=START:STOP:NUM is numpy.linspace; NAME=V1,V2,... a list). "
        "Rerunning the same command resumes an interrupted sweep.",
    )
    add_spec_argument(p, optional=True)
    p.add_argument("--grid", action="append", required=True, metavar="NAME=START:STOP:NUM",
                   help="one grid axis; repeat for more (their order is the dimension order)")
    p.add_argument("--analysis", action="append", required=True, metavar="NAME",
                   help="a built-in analysis (regime, certified, margin, rate, kind, rates, "
                   "contrast_gain, winner); repeat for more")
    p.add_argument("--out", default="sweep.zarr", help="Zarr store (default: %(default)s)")
    p.add_argument("--seeds", type=int, default=None,
                   help="ensemble size (adds a 'seed' dimension; random builders only)")
    p.add_argument("--seed", type=int, default=None, help="root random seed (an int >= 0)")
    p.add_argument("--chunks", action="append", metavar="NAME=POINTS",
                   help="points per chunk along one dimension; repeat for more")
    p.add_argument("--scheduler", default=None,
                   help="threads (default), processes, sync, or a dask.distributed address "
                   "such as tcp://127.0.0.1:8786")
    p.add_argument("--workers", type=int, default=None, help="local workers (default: all cores)")
    p.add_argument("--on-error", choices=("raise", "record"), default="raise",
                   help="stop at the first failing point, or record it and go on")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    p.add_argument("--force", action="store_true",
                   help="delete an existing sweep store at --out and start afresh (default: "
                   "resume it when it is the same sweep, refuse when it is another)")
    p.set_defaults(func=_run_sweep)

    q = sub.add_parser(
        "plot",
        help="draw a sweep store: a regime map (labels) or a heat map (numbers)",
        description="Draw one variable of a sweep store over its first two grid parameters; "
        "an ensemble's seeds are reduced (mean, fraction true, or most frequent label).",
    )
    q.add_argument("store", help="Zarr store written by 'eicircuits sweep'")
    q.add_argument("--var", default=None, help="variable to draw (default: the first analysis)")
    q.add_argument("--x", default=None, help="parameter on the x axis")
    q.add_argument("--y", default=None, help="parameter on the y axis")
    q.add_argument("--out", default=None, help="figure file (default: STORE with .png)")
    add_force_argument(q)
    q.set_defaults(func=_run_plot)
    return p


#: Integer outputs with at most this many distinct values are summarised by their counts.
_FEW_LABELS = 12


def _summary(ds: Any) -> str:
    lines = ["dimensions: " + ", ".join(f"{d} = {n}" for d, n in ds.sizes.items())]
    for name, var in ds.data_vars.items():
        values = np.asarray(var.values)
        if values.dtype.kind in "US":
            labels, counts = np.unique(values, return_counts=True)
            parts = ", ".join(f"{lab or '(failed)'}: {c}" for lab, c in
                              sorted(zip(labels.tolist(), counts.tolist(), strict=True),
                                     key=lambda t: -t[1]))
            lines.append(f"{name}: {parts}")
        elif values.dtype.kind == "b":
            lines.append(f"{name}: {int(values.sum())} of {values.size} true")
        elif values.dtype.kind in "iu" and 0 < np.unique(values).size <= _FEW_LABELS:
            # a category (a winner's index, a count): how often each value occurs, not min/max
            labels, counts = np.unique(values, return_counts=True)
            none = -1 if name == "winner" else None
            parts = ", ".join(f"{'none' if lab == none else lab}: {c}" for lab, c in
                              sorted(zip(labels.tolist(), counts.tolist(), strict=True),
                                     key=lambda t: -t[1]))
            lines.append(f"{name} (value: points): {parts}")
        else:
            finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
            if finite.size:
                lines.append(f"{name}: min {finite.min():.6g}, max {finite.max():.6g}"
                             + (f", {values.size - finite.size} nan"
                                if finite.size < values.size else ""))
            else:
                lines.append(f"{name}: all nan")
    return "\n".join(lines)


def _prepare_store(out: str, *, force: bool) -> None:
    """Before any computation: the store's folder is writable; with ``force`` an existing
    sweep store there is deleted (anything else at that path is refused, never deleted)."""
    import shutil

    from .._validate import check_out_path
    from ..sweeps._store import open_meta

    path = Path(out)
    check_out_path("--out", path, force=True)  # the parent folder can be created and written
    if force and path.exists():
        try:
            open_meta(path, recreate_partial=True)
        except ValidationError as exc:
            raise ValidationError(f"--force: refusing to delete {out!r}: {exc}") from None
        shutil.rmtree(path)


def _run_sweep(args: argparse.Namespace) -> int:
    from ..sweeps import parse_grid, sweep

    spec = read_spec(args.spec)
    grid = parse_grid(args.grid)
    _prepare_store(args.out, force=args.force)
    params = {k: v for k, v in spec.params.items() if k not in grid}
    base = CircuitSpec(spec.builder, {}, spec.source, spec.base_dir)
    ds = sweep(SpecBuilder(base, spec.input_files()), grid, list(args.analysis), params=params,
               seeds=args.seeds,
               rng=args.seed, store=args.out, chunks=_parse_chunks(args.chunks),
               scheduler=args.scheduler, num_workers=args.workers, on_error=args.on_error,
               progress=False if args.quiet else None)
    if not args.quiet:
        print(f"sweep of {spec.source}: {args.out}")
        print(_summary(ds))
    return 0


def _run_plot(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..sweeps import open_sweep, plot_sweep

    out = Path(args.out) if args.out else Path(str(Path(args.store)).rstrip("/")).with_suffix(
        ".png")
    check_out_file(out, args)  # before reading and drawing
    ds = open_sweep(args.store)
    fig, _, _ = plot_sweep(ds, args.var, x=args.x, y=args.y)
    try:
        fig.savefig(out, dpi=120)
    except OSError as exc:
        plt.close(fig)
        raise ValidationError(f"--out: cannot write {str(out)!r}: {exc.strerror or exc}") from exc
    plt.close(fig)
    print(f"figure: {out}", file=sys.stdout)
    return 0
