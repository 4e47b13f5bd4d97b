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


def test_analyze_reruns_from_its_netcdf_file(tmp_path: Path,
                                             capsys: pytest.CaptureFixture) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert main(["analyze", str(SPECS / "lateral_inhibition.toml"), "--out", str(first),
                 "--quiet"]) == 0
    assert main(["analyze", str(first / "analyze.nc"), "--out", str(second), "--quiet"]) == 0
    a = json.loads((first / "report.json").read_text())
    b = json.loads((second / "report.json").read_text())
    assert b["equilibrium"]["x"] == a["equilibrium"]["x"]
    assert b["stability"]["fingerprint"] == a["stability"]["fingerprint"]
    assert b["contrast"] == a["contrast"] and b["game"]["nash_gap"] == a["game"]["nash_gap"]
    bad = tmp_path / "bad.nc"
    bad.write_text("not netcdf", encoding="utf-8")
    assert main(["analyze", str(bad), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "bad.nc: not an analyze.nc file" in err and "Traceback" not in err


def test_analyze_include_selects_parts(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out"
    assert main(["analyze", str(SPECS / "isn_example.toml"), "--out", str(out), "--quiet",
                 "--include", "game"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["included"] == ["equilibrium", "game"]
    assert "stability" not in report and "trajectory" not in report
    assert report["game"]["is_nash"] is False  # W_EE = 2: a concave player
    assert main(["analyze", "--out", str(tmp_path / "x"), "--include", "gmae"]) == 2
    assert "--include: unknown part(s) ['gmae']" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()  # refused before anything was computed or written


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


# ---------------------------------------------------------------- outputs that cannot hurt
TINY = '[network]\nW = [[0.5, -1.0], [1.0, -0.5]]\nu = [1.0, 0.0]\ncell_types = "EI"\n'


def _tiny(tmp_path: Path) -> str:
    spec = tmp_path / "tiny.toml"
    spec.write_text(TINY, encoding="utf-8")
    return str(spec)


def _one_line_error(err: str, command: str) -> None:
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"eicircuits {command}: error: --out"), err


@pytest.mark.parametrize("command", ["simulate", "sweep", "plot", "continue", "reproduce"])
def test_unwritable_out_fails_before_computing_with_one_line(tmp_path: Path, command: str,
                                                             capsys: pytest.CaptureFixture,
                                                             monkeypatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    bad = str(blocker / "out")  # a path under a regular file can never be created
    import eicircuits.dynamics
    import eicircuits.sweeps

    def never(*args, **kwargs):
        raise AssertionError("computed before checking --out")

    monkeypatch.setattr(eicircuits.dynamics, "simulate", never)
    monkeypatch.setattr(eicircuits.sweeps, "sweep", never)
    monkeypatch.setattr(eicircuits.sweeps, "open_sweep", never)
    spec = _tiny(tmp_path)
    argv = {
        "simulate": ["simulate", spec, "--t-end", "1", "--out", bad, "--quiet"],
        "sweep": ["sweep", spec, "--grid", "u=0,1", "--analysis", "certified", "--out", bad],
        "plot": ["plot", str(tmp_path / "s.zarr"), "--out", bad + ".png"],
        "continue": ["continue", spec, "--param", "u_0=0:1", "--out", bad],
        "reproduce": ["reproduce", "--quick", "--out", bad],
    }[command]
    assert main(argv) == 2
    _one_line_error(capsys.readouterr().err, command)


def test_a_full_disk_fails_before_computing(tmp_path: Path, capsys: pytest.CaptureFixture,
                                            monkeypatch) -> None:
    import errno
    import os

    real_write = os.write

    def full(fd, data):  # the probe write of the --out check meets a full file system
        if ".eicircuits-write-test-" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    if not os.path.exists("/proc/self/fd"):
        pytest.skip("needs /proc to name the probe file")
    monkeypatch.setattr(os, "write", full)
    code = main(["simulate", _tiny(tmp_path), "--t-end", "1", "--out", str(tmp_path / "o"),
                 "--quiet"])
    assert code == 2
    err = capsys.readouterr().err
    _one_line_error(err, "simulate")
    assert "No space left on device" in err


def test_outputs_are_not_overwritten_without_force(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture) -> None:
    spec = _tiny(tmp_path)
    out = tmp_path / "run"
    argv = ["simulate", spec, "--t-end", "1", "--out", str(out), "--quiet"]
    assert main(argv) == 0
    before = (out / "simulate.json").read_bytes()
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "already holds simulate.nc, simulate.json" in err and "--force" in err
    assert (out / "simulate.json").read_bytes() == before
    assert main([*argv, "--force"]) == 0
    # plot: the figure file
    store = tmp_path / "s.zarr"
    assert main(["sweep", spec, "--grid", "u=0,1", "--analysis", "certified", "--out",
                 str(store), "--quiet"]) == 0
    assert main(["plot", str(store)]) == 0
    capsys.readouterr()
    assert main(["plot", str(store)]) == 2
    assert "exists" in capsys.readouterr().err
    assert main(["plot", str(store), "--force"]) == 0


def test_sweep_force_starts_afresh_but_never_deletes_other_folders(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    spec = _tiny(tmp_path)
    store = tmp_path / "s.zarr"
    assert main(["sweep", spec, "--grid", "u=0,1", "--analysis", "certified", "--out",
                 str(store), "--quiet"]) == 0
    other = ["sweep", spec, "--grid", "u=0,2,3", "--analysis", "certified", "--out",
             str(store), "--quiet"]
    assert main(other) == 2  # another sweep: refused
    assert main([*other, "--force"]) == 0
    from eicircuits.sweeps import open_sweep

    assert open_sweep(store)["u"].values.tolist() == [0, 2, 3]
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    capsys.readouterr()
    assert main(["sweep", spec, "--grid", "u=0,1", "--analysis", "certified", "--out",
                 str(mine), "--force"]) == 2
    assert "refusing to delete" in capsys.readouterr().err
    assert (mine / "thesis.tex").read_text() == "precious"


def test_json_writer_is_strict_and_atomic(tmp_path: Path, monkeypatch) -> None:
    from eicircuits.cli._common import write_json
    from eicircuits.errors import ValidationError

    path = tmp_path / "r.json"
    write_json(path, {"a": float("inf"), "b": float("nan"), "c": np.float64(-np.inf)})
    text = path.read_text()
    assert "Infinity" not in text and "NaN" not in text
    assert json.loads(text) == {"a": "inf", "b": None, "c": "-inf"}
    import os

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(ValidationError, match=r"cannot write .*No space left on device"):
        write_json(path, {"a": 1})
    assert json.loads(path.read_text())["a"] == "inf"  # the old file, whole
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary left behind


def test_certify_out_is_checked_first_and_not_overwritten(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture) -> None:
    spec = _tiny(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert main(["certify", spec, "--out", str(blocker / "cert.json")]) == 2
    _one_line_error(capsys.readouterr().err, "certify")
    out = tmp_path / "cert.json"
    assert main(["certify", spec, "--out", str(out)]) == 0
    first = out.read_text()
    capsys.readouterr()
    assert main(["certify", spec, "--out", str(out)]) == 2
    assert "exists" in capsys.readouterr().err and out.read_text() == first
    assert main(["certify", spec, "--out", str(out), "--force"]) == 0


# ------------------------------------------- CLI advice, and SPEC optional in every command
def test_equilibrium_all_refusal_gives_cli_advice(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    """Too many neurons for --all: the advice is a CLI step, not a Python keyword."""
    spec = tmp_path / "column.toml"
    spec.write_text('[builder]\nname = "cortical_column"\nlayers = 3\nm = 8\nf = 1.0\n'
                    'u = [1.0, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.07]\n', encoding="utf-8")
    assert load_spec(spec).n > 18
    assert main(["equilibrium", str(spec), "--all"]) == 2
    err = capsys.readouterr().err
    assert "drop --all" in err and "Traceback" not in err
    assert "max_n" not in err and "equilibrium()" not in err
    # smooth activations: no enumeration; the advice is again a CLI step
    smooth = tmp_path / "smooth.toml"
    smooth.write_text(TINY + 'activation = "softplus"\n', encoding="utf-8")
    assert main(["equilibrium", str(smooth), "--all"]) == 2
    err = capsys.readouterr().err
    assert "drop --all" in err and "equilibrium(net" not in err and "from_state" not in err


def test_equilibrium_and_simulate_default_to_the_built_in_circuit(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """SPEC is optional as in analyze/game/certify: the same built-in default circuit."""
    from eicircuits.spec import DEFAULT_SOURCE

    net = load_spec(None)
    assert main(["equilibrium", "--out", str(tmp_path / "eq.json")]) == 0
    assert DEFAULT_SOURCE in capsys.readouterr().out
    np.testing.assert_array_equal(json.loads((tmp_path / "eq.json").read_text())["x"],
                                  equilibrium(net).x)
    assert main(["simulate", "--out", str(tmp_path / "sim"), "--until-steady", "1e-9",
                 "--quiet"]) == 0
    assert DEFAULT_SOURCE in capsys.readouterr().out
    with xr.open_dataarray(tmp_path / "sim" / "simulate.nc") as da:
        assert da.sizes["neuron"] == net.n
        np.testing.assert_allclose(da.values[-1], equilibrium(net).x, atol=1e-5)


@pytest.mark.parametrize("backend", ["numpy", "numba", "jax"])
def test_simulate_takes_every_backend_of_the_library(tmp_path: Path, backend: str) -> None:
    from eicircuits.dynamics import _jax, _kernels

    if (backend == "jax" and not _jax.available()) or (backend == "numba"
                                                      and not _kernels.available()):
        pytest.skip(f"{backend} is not installed")
    out = tmp_path / backend
    assert main(["simulate", _tiny(tmp_path), "--t-end", "2", "--dt", "0.01", "--method",
                 "rk4", "--backend", backend, "--save-every", "50", "--out", str(out),
                 "--quiet"]) == 0
    ref = tmp_path / "ref"
    if not ref.exists():
        assert main(["simulate", _tiny(tmp_path), "--t-end", "2", "--dt", "0.01", "--method",
                     "rk4", "--backend", "numpy", "--save-every", "50", "--out", str(ref),
                     "--quiet"]) == 0
    import xarray as xr

    files = sorted(p.name for p in out.iterdir() if p.suffix == ".nc")
    assert files, list(out.iterdir())
    with xr.open_dataarray(out / files[0]) as a, xr.open_dataarray(ref / files[0]) as b:
        assert np.allclose(a.values, b.values, rtol=1e-12, atol=1e-13)
