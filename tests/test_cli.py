"""The command line: the main job on the default circuit, equilibria from spec files, errors."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from eicircuits import equilibrium
from eicircuits.cli import COMMANDS, build_parser, main
from eicircuits.spec import load_spec

SPECS = Path(__file__).resolve().parents[1] / "examples" / "specs"


def test_every_command_is_registered() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(COMMANDS) <= set(sub.choices)


def test_analyze_default_circuit_writes_consistent_numbers(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    assert main(["analyze", "--out", str(tmp_path), "--quiet"]) == 0
    text = capsys.readouterr().out
    for title in ("Network", "Equilibrium", "Stability", "The game", "Contrast", "Trajectory"):
        assert f"\n{title}\n" in "\n" + text
    report = json.loads((tmp_path / "report.json").read_text())
    # snake_case keys, not display titles
    assert {"network", "equilibrium", "stability", "game", "contrast", "trajectory"} <= set(report)
    eq = report["equilibrium"]
    assert eq["converged"] and eq["residual"] <= 1e-10 and eq["stable"] is True
    # Oracle: the long trajectory from rest ends at the reported equilibrium.
    ds = xr.open_dataset(tmp_path / "analyze.nc")
    x_eq = ds["equilibrium"].values
    np.testing.assert_allclose(x_eq, eq["x"], atol=0)
    assert report["trajectory"]["status"] == "steady"
    assert report["trajectory"]["distance_to_equilibrium"] < 1e-8
    net = load_spec(None)
    np.testing.assert_allclose(x_eq, net.phi(net.W @ x_eq + net.u), atol=1e-12)
    assert report["stability"]["certified"] is True
    assert (tmp_path / "analyze.png").stat().st_size > 10_000
    ds.close()
    # report.txt is what was printed, trajectory line included
    saved = (tmp_path / "report.txt").read_text(encoding="utf-8")
    assert saved in text and "Trajectory from rest: steady" in saved
    # the network in the NetCDF file is the analysed one
    from eicircuits.report import read_network

    assert read_network(tmp_path / "analyze.nc").fingerprint() == net.fingerprint()


def test_analyze_refuses_to_overwrite_without_force(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "report.json").write_text("{}", encoding="utf-8")
    assert main(["analyze", "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--out:" in err and "report.json" in err and "--force" in err
    assert (tmp_path / "report.json").read_text(encoding="utf-8") == "{}"
    assert main(["analyze", "--out", str(tmp_path), "--quiet", "--force"]) == 0
    assert json.loads((tmp_path / "report.json").read_text())["success"] is True


def test_analyze_without_equilibrium_writes_strict_json(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    spec = tmp_path / "runaway.toml"
    spec.write_text('[network]\nW = [[2.0]]\nu = [1.0]\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["analyze", str(spec), "--out", str(out), "--quiet"]) == 1
    report = json.loads((out / "report.json").read_text())
    assert report["success"] is False and "did not converge" in report["message"]
    assert "WARNING" in capsys.readouterr().out


def test_equilibrium_all_on_the_worked_isn_example(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "eq.json"
    assert main(["equilibrium", str(SPECS / "isn_example.toml"), "--all", "--out", str(out)]) == 0
    found = json.loads(out.read_text())
    assert len(found) == 1
    # Exact oracle: (I − W) x = u on the full support, W = [[2, −3], [3, −1]], u = (1, ½).
    a, b, c, d = Fraction(-1), Fraction(3), Fraction(-3), Fraction(2)  # I − W
    u1, u2 = Fraction(1), Fraction(1, 2)
    det = a * d - b * c
    x = ((d * u1 - b * u2) / det, (a * u2 - c * u1) / det)
    assert x == (Fraction(1, 14), Fraction(5, 14))
    np.testing.assert_allclose(found[0]["x"], [float(v) for v in x], atol=1e-15)
    assert "1 equilibrium" in capsys.readouterr().out


def test_equilibrium_single_matches_library(capsys: pytest.CaptureFixture) -> None:
    spec = SPECS / "wilson_cowan.toml"
    assert main(["equilibrium", str(spec)]) == 0
    x = equilibrium(load_spec(spec)).x
    out = capsys.readouterr().out
    assert f"{x[0]:.6g}" in out and "locally stable" in out


def test_equilibrium_prints_summary_and_writes_every_rate(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    """A large circuit: E/I means, active count and stability on screen; all rates in the file."""
    spec = tmp_path / "column.toml"
    spec.write_text('[builder]\nname = "cortical_column"\nlayers = 3\nm = 8\n'
                    'f = 1.0\nu = [1.0, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.07]\n',
                    encoding="utf-8")
    out = tmp_path / "eq.json"
    assert main(["equilibrium", str(spec), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    net = load_spec(spec)
    x = equilibrium(net).x
    means = f"mean rate E {np.mean(x[net.e_idx]):.4g}, I {np.mean(x[net.i_idx]):.4g}"
    assert means in printed and f"of {net.n} active" in printed
    assert "locally stable" in printed and "L0.E0=" not in printed
    np.testing.assert_array_equal(json.loads(out.read_text())["x"], x)


def test_bad_spec_is_one_clear_line_and_exit_2(tmp_path: Path,
                                               capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[network]\nW = [[0.0, -1.0], [1.0, 0.0]]\ncell_types = "EE"\n')
    assert main(["equilibrium", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "Dale's law" in err and "Traceback" not in err
    assert main(["analyze", str(tmp_path / "missing.toml"), "--out", str(tmp_path)]) == 2
    assert "specification file not found" in capsys.readouterr().err


def test_no_command_prints_help(capsys: pytest.CaptureFixture) -> None:
    assert main([]) == 2
    assert "analyze" in capsys.readouterr().out
