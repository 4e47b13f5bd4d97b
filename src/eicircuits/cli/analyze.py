"""``eicircuits analyze [SPEC]``: the main job — equilibrium, stability, game and contrast.

Argument parsing and writing only: :func:`eicircuits.analyze` computes, the writers of
:mod:`eicircuits.report` render. Prints the text report and writes ``report.txt`` (the same
text), ``report.md``, ``report.json`` (every number), ``analyze.nc`` (self-contained: the
network, the equilibrium, the certificate and the run from rest) and ``analyze.png`` into
``--out``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._common import add_spec_argument, load_network, stage

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
    p.add_argument("--time-limit", type=float, default=30.0,
                   help="seconds allowed to the certificate search (default: %(default)s)")
    if "--force" not in p._option_string_actions:
        p.add_argument("--force", action="store_true",
                       help="overwrite the report files of an earlier run in --out")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=_run)
    return p


def _check_out(folder: str, force: bool) -> Path:
    """Refuse, before any computation, an --out that cannot be written or holds a report."""
    from .._validate import check_out_path
    from ..errors import ValidationError
    from ..report import REPORT_FILES

    out = Path(folder)
    if out.exists() and not out.is_dir():
        raise ValidationError(f"--out: {folder!r} is not a folder")
    old = [name for name in REPORT_FILES if (out / name).exists()]
    if old and not force:
        raise ValidationError(f"--out: {folder!r} already holds {', '.join(old)} from an "
                              "earlier run; pass --force to overwrite them or give another folder")
    check_out_path("--out", out, force=True, directory=True)
    return out


def _run(args: argparse.Namespace) -> int:
    from ..analysis import analyze
    from ..report import render_text, write_report

    net, label = load_network(args)
    out = _check_out(args.out, bool(getattr(args, "force", False)))
    result = analyze(net, source=str(label), t_end=args.t_end, time_limit=args.time_limit,
                     progress=lambda name: stage(name, quiet=args.quiet))
    with stage("writing the report, NetCDF and figure", quiet=args.quiet):
        paths = write_report(result, out)
    print(render_text(result))
    print("Wrote " + ", ".join(str(p) for p in paths))
    return 0 if result.success else 1
