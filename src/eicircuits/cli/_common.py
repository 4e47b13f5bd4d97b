"""Pieces shared by the subcommands: the SPEC argument, output files and folders, progress, JSON.

Outputs are checked before any computation (:func:`check_out_file`, :func:`check_out_folder`,
:func:`out_dir`): an ``--out`` that cannot be created or written fails at once with one line
(exit status 2), and existing output files are never overwritten unless ``--force`` is given
(:func:`add_force_argument`). JSON is strict (no ``NaN``/``Infinity``) and written atomically.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .._result import jsonable
from .._validate import check_out_path
from ..errors import ValidationError
from ..network import Network
from ..spec import DEFAULT_SOURCE, load_spec

__all__ = ["add_spec_argument", "add_force_argument", "load_network", "out_dir",
           "check_out_file", "check_out_folder", "write_json", "write_text", "stage"]


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


def add_force_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--force`` (overwrite existing outputs) unless the parser already has it."""
    if "--force" not in parser._option_string_actions:
        parser.add_argument("--force", action="store_true",
                            help="overwrite output files that already exist (default: refuse)")


def _force(args_or_force: Any) -> bool:
    if isinstance(args_or_force, argparse.Namespace):
        return bool(getattr(args_or_force, "force", False))
    return bool(args_or_force)


def check_out_file(path: str | os.PathLike[str], force: Any = False, *,
                   name: str = "--out") -> Path:
    """Before any computation: ``path`` can be written, and does not exist unless ``force``.

    ``force`` may be the parsed ``args`` (its ``--force``). Creates the parent folder.

    Raises
    ------
    ValidationError
        One line naming ``name``: unwritable (permissions, read-only or full file system), or
        the file exists and ``--force`` was not given.
    """
    p = Path(path)
    if p.is_dir():
        raise ValidationError(f"{name}: {str(p)!r} is a folder; give a file name")
    return check_out_path(name, p, force=_force(force))


def check_out_folder(path: str | os.PathLike[str], files: Iterable[str], force: Any = False,
                     *, name: str = "--out") -> Path:
    """Before any computation: the folder can be created and written, and none of ``files``
    (the names the command will write into it) exists unless ``force``.

    Raises
    ------
    ValidationError
        One line naming ``name``.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ValidationError(f"{name}: {str(p)!r} exists and is not a folder; give a folder")
    old = [f for f in files if (p / f).exists()]
    if old and not _force(force):
        raise ValidationError(
            f"{name}: {str(p)!r} already holds {', '.join(old)}; pass --force to overwrite "
            "or give another folder"
        )
    check_out_path(name, p, force=True, directory=True)
    return p


def out_dir(path: str | None, default: str, files: Iterable[str] = (), force: Any = True) -> Path:
    """Create (if needed), check and return the output folder (see :func:`check_out_folder`).

    Call it before computing. ``files`` are the names that will be written; they are refused
    when they exist unless ``force`` (the parsed ``args`` may be passed for their ``--force``).
    """
    return check_out_folder(path or default, files, force)


def _read_umask() -> int:
    """The process umask (read once, at import: ``os.umask`` can only be read by setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _read_umask()


def _atomic_write(path: Path, payload: bytes) -> None:
    """Write a file completely or not at all (a full disk leaves the old file, not half)."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
        try:
            # mkstemp creates the file readable by its owner only (0600); give it the mode an
            # ordinary open() would (0666 less the umask), or keep the mode of the file replaced
            try:
                mode = path.stat().st_mode & 0o7777
            except OSError:
                mode = 0o666 & ~_UMASK
            os.chmod(tmp, mode)
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise ValidationError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from exc


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented, strict JSON (``inf`` as ``"inf"``, NaN as ``null``).

    Raises
    ------
    ValidationError
        The file cannot be written (one line, not a traceback).
    """
    text = json.dumps(jsonable(data), indent=2, allow_nan=False) + "\n"
    _atomic_write(Path(path), text.encode("utf-8"))


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically (see :func:`write_json`)."""
    _atomic_write(Path(path), text.encode("utf-8"))


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
