"""``eicircuits analyze [SPEC]``: the main job — equilibrium, stability, game and contrast.

Argument parsing and writing only: :func:`eicircuits.analyze` computes, the writers of
:mod:`eicircuits.report` render. SPEC may also be an ``analyze.nc`` written before: the network
stored in it is analysed again (a run reproduced from its file). Prints the text report and
writes into ``--out``: ``report.txt`` (the same text), ``report.md``, ``report.json`` (every
number), ``analyze.nc`` (self-contained: the network, the equilibrium, the certificate and the
run from rest) and ``analyze.png``.
"""

from __future__ import annotations

import argparse
from typing import Any

from ._common import add_force_argument, add_spec_argument, check_out_folder, load_network, stage

__all__ = ["register"]


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "analyze",
        help="analyse a circuit: equilibrium, stability certificate, game, contrast",
        description="Analyse a circuit (default: the built-in cortical column) and write a "
        "report, its numbers (JSON, NetCDF) and a figure into --out.",
    )
    add_spec_argument(p, optional=True)
    p.add_argument("--out", default="eicircuits-out", help="output folder (default: %(default)s)")
    p.add_argument("--t-end", type=float, default=None,
                   help="longest trajectory shown; it stops once steady "
                   "(default: 500 × the largest τ)")
    p.add_argument("--include", default="equilibrium,stability,game,contrast,trajectory",
                   metavar="PARTS",
                   help="comma-separated parts to compute (the equilibrium always is; "
                   "default: %(default)s)")
    p.add_argument("--time-limit", type=float, default=30.0,
                   help="seconds allowed to the certificate search (default: %(default)s)")
    add_force_argument(p)
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=_run)
    return p


def _read_nc(path: str, read_network: Any) -> Any:
    from pathlib import Path

    from ..errors import SpecError, ValidationError

    if not Path(path).is_file():
        raise SpecError(f"{path}: analysis file not found")
    try:
        return read_network(path)
    except (OSError, ValueError, KeyError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise SpecError(f"{path}: not an analyze.nc file written by eicircuits "
                        f"({type(exc).__name__})") from exc


def _run(args: argparse.Namespace) -> int:
    from ..analysis import PARTS, analyze
    from ..errors import ValidationError
    from ..report import REPORT_FILES, render_text, write_report

    parts = [part.strip() for part in args.include.split(",") if part.strip()]
    unknown = [part for part in parts if part not in PARTS]
    if unknown:
        raise ValidationError(f"--include: unknown part(s) {unknown}; expected names from "
                              f"{list(PARTS)}, separated by commas")
    if args.spec and str(args.spec).endswith(".nc"):  # rerun a previous analysis from its file
        from ..report import read_network

        net, label = _read_nc(args.spec, read_network), str(args.spec)
    else:
        net, label = load_network(args)
    out = check_out_folder(args.out, REPORT_FILES, args)  # before any computation
    result = analyze(net, include=parts, source=str(label), t_end=args.t_end,
                     time_limit=args.time_limit,
                     progress=lambda name: stage(name, quiet=args.quiet))
    with stage("writing the report, NetCDF and figure", quiet=args.quiet):
        try:
            paths = write_report(result, out)
        except OSError as exc:  # e.g. the disk filled up after the check
            raise ValidationError(f"--out: cannot write into {str(out)!r}: "
                                  f"{exc.strerror or exc}") from exc
    print(render_text(result))
    print("Wrote " + ", ".join(str(p) for p in paths))
    return 0 if result.success else 1
