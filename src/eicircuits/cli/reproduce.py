"""``eicircuits reproduce [--out DIR] [--quick]``: regenerate every figure and the report.

Writes one PNG per figure, ``numbers.json`` (the measured values behind the figures) and
``REPORT.md`` into ``DIR``, prints one line per check, and exits with status 1 when a check
fails (the report says which and why).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ._common import add_force_argument, out_dir

__all__ = ["register"]


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "reproduce",
        help="regenerate every figure and a Markdown report of the measured numbers",
        description="Build the Wilson–Cowan phase portraits and regime map, the paradoxical "
        "effect, per-neuron energies, lateral-inhibition contrast and winner-take-all, contrast "
        "versus depth in a column and the stability certificate of each configuration; write "
        "the figures, numbers.json and REPORT.md.",
    )
    p.add_argument("--out", default="eicircuits-reproduce", metavar="DIR",
                   help="output folder (default: %(default)s)")
    p.add_argument("--quick", action="store_true",
                   help="coarser grids and fewer simulations (under a minute), same checks")
    p.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    add_force_argument(p)
    p.set_defaults(func=_run)
    return p


def _run(args: argparse.Namespace) -> int:
    from ..errors import ValidationError
    from ..reproduce import run

    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise ValidationError(f"--out: {args.out!r} exists and is not a folder; give a folder")
    folder = out_dir(args.out, "eicircuits-reproduce", ("REPORT.md",), args)
    numbers = run(folder, quick=args.quick, verbose=not args.quiet)
    failed = 0
    for name, check in numbers["checks"].items():
        mark = "PASS" if check["passed"] else "FAIL"
        failed += not check["passed"]
        print(f"{mark}  {name}: {check['summary']}")
    print(f"report: {folder / 'REPORT.md'}")
    if failed:
        print(f"eicircuits reproduce: {failed} check(s) failed; see the report", file=sys.stderr)
        return 1
    return 0
