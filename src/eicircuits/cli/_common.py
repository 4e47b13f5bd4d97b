"""Pieces shared by the subcommands: the SPEC argument, output folders, progress, JSON."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .._report import jsonable
from ..network import Network
from ..spec import DEFAULT_SOURCE, load_spec

__all__ = ["add_spec_argument", "load_network", "out_dir", "write_json", "stage"]


def add_spec_argument(parser: argparse.ArgumentParser, *, optional: bool) -> None:
    """Add the SPEC positional (a TOML circuit specification)."""
    help_text = "circuit specification (TOML)"
    if optional:
        parser.add_argument("spec", nargs="?", default=None,
                            help=help_text + "; default: the built-in cortical column")
    else:
        parser.add_argument("spec", help=help_text)


def load_network(args: argparse.Namespace) -> tuple[Network, str]:
    """The network named by ``args.spec`` and a label for reports."""
    return load_spec(args.spec), (args.spec or DEFAULT_SOURCE)


def out_dir(path: str | None, default: str) -> Path:
    """Create (if needed) and return the output folder."""
    p = Path(path or default)
    p.mkdir(parents=True, exist_ok=True)
    return p


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON (NumPy values converted)."""
    path.write_text(json.dumps(jsonable(data), indent=2, allow_nan=False) + "\n", encoding="utf-8")


@contextlib.contextmanager
def stage(label: str, *, quiet: bool = False) -> Iterator[None]:
    """Show ``label …`` on stderr while a step runs, with its duration when it took over 1 s."""
    start = time.perf_counter()
    if not quiet:
        print(f"  {label} …", file=sys.stderr, flush=True)
    yield
    elapsed = time.perf_counter() - start
    if not quiet and elapsed > 1.0:
        print(f"  {label}: done in {elapsed:.1f} s", file=sys.stderr, flush=True)
