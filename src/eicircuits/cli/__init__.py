"""The ``eicircuits`` command line: a thin layer over the public API.

Each subcommand lives in its own module of this package and defines
``register(subparsers) -> argparse.ArgumentParser`` which adds its parser and sets
``func(args) -> int`` as the parser default. ``main`` only dispatches and turns the
package's own errors into a one-line message and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from ..errors import EICircuitsError

__all__ = ["main", "COMMANDS"]

#: Subcommand name -> module (in this package) that registers it.
COMMANDS: dict[str, str] = {
    "analyze": "analyze",
    "simulate": "simulate",
    "equilibrium": "equilibrium",
    "game": "game",
    "certify": "certify",
    "verify": "certify",
    "reproduce": "reproduce",
    "sweep": "sweep",
    "plot": "sweep",
    "continue": "continue_",
    "design": "design",
}


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subcommand registered."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="eicircuits",
        description="Excitatory–inhibitory firing-rate circuits: equilibria, games, certificates.",
    )
    parser.add_argument("--version", action="version", version=f"eicircuits {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    seen: set[str] = set()
    for module in COMMANDS.values():
        if module in seen:
            continue
        seen.add(module)
        importlib.import_module(f"{__name__}.{module}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``eicircuits`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except EICircuitsError as exc:
        print(f"eicircuits {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"eicircuits {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
