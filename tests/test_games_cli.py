"""``eicircuits game``: the per-neuron table, the Nash verdict, the potential line, the outputs."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from eicircuits.cli import game as game_cli

ISN = """
[network]
W = [[2.0, -3.0], [3.0, -1.0]]
u = [1.0, 0.5]
cell_types = "EI"
names = ["e", "i"]
"""

SYMMETRIC = """
[network]
W = [[0.0, -0.5], [-0.5, 0.2]]
u = [1.0, 0.8]
activation = { name = "clipped_relu", r_max = 2.0 }
"""


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="eicircuits")
    game_cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["game", *argv])
    return args.func(args)


def write(tmp_path: Path, text: str, name: str = "c.toml") -> str:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return str(p)


def test_isn_table_says_not_nash_with_infinite_regret(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    status = run([write(tmp_path, ISN), "--out", str(out), "--quiet"])
    text = capsys.readouterr().out
    assert status == 0
    rows = {line.split()[0]: line.split() for line in text.splitlines()
            if line.strip().startswith(("e ", "i "))}
    assert rows["e"][1] == "E" and float(rows["e"][2]) == pytest.approx(1 / 14, abs=1e-6)
    assert rows["e"][-1] == "inf" and rows["e"][-2] == "inf"  # best response and regret
    assert float(rows["i"][2]) == pytest.approx(5 / 14, abs=1e-6) and float(rows["i"][-1]) < 1e-12
    assert "NOT a Nash equilibrium" in text and "Concave players" in text
    assert "Potential: none" in text and "Dale's law" in text
    data = json.loads((out / "game.json").read_text())
    np.testing.assert_allclose(data["equilibrium"]["x"], [1 / 14, 5 / 14], atol=1e-12)
    assert data["is_nash"] is False and data["nash_gap"] == "inf"
    assert data["neurons"][0]["regret"] == "inf" and data["concave_players"] == ["e"]
    assert (out / "energies.png").stat().st_size > 1000
    assert (out / "regret.png").stat().st_size > 1000
    assert not (out / "potential.png").exists()


def test_symmetric_circuit_has_an_exact_potential_and_a_contour_figure(tmp_path, capsys) -> None:
    out = tmp_path / "o"
    assert run([write(tmp_path, SYMMETRIC), "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "is a Nash equilibrium" in text and "Potential: yes, an exact potential" in text
    data = json.loads((out / "game.json").read_text())
    assert data["potential"]["kind"] == "exact" and data["potential"]["weights"] == [1.0, 1.0]
    x = np.array(data["equilibrium"]["x"])
    np.testing.assert_allclose(x, np.clip(np.array([[0, -0.5], [-0.5, 0.2]]) @ x + [1, 0.8], 0, 2),
                               atol=1e-12)
    assert (out / "potential.png").stat().st_size > 1000


def test_default_circuit_prints_every_neuron(capsys) -> None:
    from eicircuits.spec import load_spec

    net = load_spec(None)
    assert run(["--quiet"]) == 0
    text = capsys.readouterr().out
    for name in net.names:
        assert any(line.split()[:1] == [name] for line in text.splitlines()), name
    assert "a Nash equilibrium" in text


def test_through_the_main_entry_point(tmp_path, capsys) -> None:
    missing = [m for m in ("reproduce", "sweep", "certify", "simulate", "analyze")
               if importlib.util.find_spec(f"eicircuits.cli.{m}") is None]
    if missing:
        pytest.skip(f"CLI modules not landed yet: {missing}")
    from eicircuits.cli import main

    assert main(["game", write(tmp_path, ISN), "--quiet"]) == 0
    assert "NOT a Nash equilibrium" in capsys.readouterr().out
    assert main(["game", str(tmp_path / "missing.toml")]) == 2
    assert "eicircuits game: error" in capsys.readouterr().err
