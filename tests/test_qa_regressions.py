"""Regressions found by running the CLI as a user would, at realistic size (5000 neurons)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest


def test_atomic_json_gets_the_mode_an_ordinary_open_would(tmp_path: Path) -> None:
    # mkstemp made every JSON output (simulate.json, equilibrium --out, design.json) 0600:
    # unreadable to the collaborators who can read the NetCDF and PNG next to it
    from eicircuits.cli._common import write_json, write_text

    path = tmp_path / "out.json"
    write_json(path, {"a": 1})
    ordinary = tmp_path / "ordinary.txt"
    ordinary.write_text("x")
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(ordinary.stat().st_mode)
    # a replaced file keeps its mode
    os.chmod(path, 0o640)
    write_text(path, "y")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text() == "y"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


@pytest.mark.parametrize("mode", [0o600, 0o664])
def test_atomic_write_keeps_an_existing_files_mode(tmp_path: Path, mode: int) -> None:
    from eicircuits.cli._common import write_json

    path = tmp_path / "cert.json"
    path.write_text("{}")
    os.chmod(path, mode)
    write_json(path, {"b": 2})
    assert stat.S_IMODE(path.stat().st_mode) == mode
