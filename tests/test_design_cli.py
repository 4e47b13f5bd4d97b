"""``eicircuits design SPEC --out DIR`` → spec + certificate that ``eicircuits verify`` re-checks."""

from __future__ import annotations

import json

import numpy as np

from eicircuits import Network, equilibrium
from eicircuits.cli import main
from eicircuits.spec import load_spec


def _write_design(path, targets, extra=""):
    lines = ['[design]', 'cell_types = "EEI"', 'activation = "relu"', extra]
    for u, x in targets:
        lines += ["[[target]]", f"u = {list(map(float, u))}", f"x = {list(map(float, x))}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_design_cli_round_trip(tmp_path, capsys):
    hidden = Network(W=[[0.2, 0.3, -0.8], [0.3, 0.1, -0.7], [0.6, 0.6, -0.2]], cell_types="EEI")
    U = [[1.0, 0.5, 0.0], [0.3, 1.2, 0.1], [1.0, 1.0, -0.5]]
    targets = [(u, equilibrium(hidden, u=u).x) for u in U]
    spec = tmp_path / "design.toml"
    _write_design(spec, targets, "max_weight = 2.0")
    out = tmp_path / "out"
    assert main(["design", str(spec), "--out", str(out)]) == 0
    assert "FEASIBLE" in capsys.readouterr().out
    net = load_spec(out / "network.toml")
    assert np.max(np.abs(net.W)) <= 2.0 and net.cell_types == ("E", "E", "I")
    for u, x in targets:
        np.testing.assert_allclose(equilibrium(net, u=u).x, x, atol=1e-6)
    assert main(["verify", str(out / "certificate.json"), str(out / "network.toml")]) == 0
    assert capsys.readouterr().out.startswith("VALID")
    report = json.loads((out / "design.json").read_text())
    assert report["feasible"] is True and report["certificate"]["kind"] == "lds"


def test_design_cli_infeasible_and_bad_file(tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    _write_design(spec, [([1.0, 0.5, 0.0], [0.5, 0.2, 0.1]), ([1.0, 0.5, 0.0], [0.6, 0.2, 0.1])])
    assert main(["design", str(spec), "--out", str(tmp_path / "o")]) == 1
    assert "same input" in capsys.readouterr().out
    assert not (tmp_path / "o" / "network.toml").exists()
    spec.write_text('[design]\ncell_types = "EI"\nfoo = 1\n[[target]]\nu = [1, 0]\nx = [1, 0]\n')
    assert main(["design", str(spec)]) == 2
    assert "unknown keys ['foo']" in capsys.readouterr().err
