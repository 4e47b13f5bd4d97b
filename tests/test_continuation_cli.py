"""``eicircuits continue``: files written, parameter resolution, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

from eicircuits.cli import main
from eicircuits.continuation._family import family_from_spec, parse_param
from eicircuits.errors import ValidationError
from eicircuits.spec import spec_from_dict

WC = {"builder": {"name": "wilson_cowan", "w_ee": 2.0, "w_ei": 3.0, "w_ie": 3.0, "w_ii": 1.0,
                  "u_i": -4.0}}


def test_continue_writes_branches_json_and_figure(tmp_path, capsys):
    spec = tmp_path / "wc.toml"
    spec.write_text('[builder]\nname = "wilson_cowan"\nw_ee = 2.0\nw_ei = 3.0\nw_ie = 3.0\n'
                    'w_ii = 1.0\nu_i = -4.0\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["continue", str(spec), "--param", "u_E=-3:2", "--out", str(out),
                 "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "fold: u_E = -1.333333333, u_E = 0" in text
    data = json.loads((out / "continuation.json").read_text(encoding="utf-8"))
    assert data["method"] == "piecewise-linear" and data["parameter"] == "u_E"
    assert sorted(b["lam"] for b in data["bifurcations"] if b["kind"] == "fold") == \
        pytest.approx([-4 / 3, 0.0], abs=1e-12)
    with xr.open_dataset(out / "branches.nc") as ds:
        assert ds["lam"].attrs["long_name"] == "u_E"
        assert ds["stable"].values.tolist() == [True, False, True, True]
    assert (out / "diagram.png").stat().st_size > 10_000


def test_tau_family_finds_the_hopf_point(tmp_path, capsys):
    spec = tmp_path / "isn.toml"
    spec.write_text('[network]\nW = [[2.0, -3.0], [3.0, -1.0]]\nu = [1.0, 0.5]\n'
                    'names = ["E", "I"]\n', encoding="utf-8")
    assert main(["continue", str(spec), "--param", "tau_I=0.5:4", "--out",
                 str(tmp_path / "o"), "--quiet"]) == 0
    assert "hopf: tau_I = 2" in capsys.readouterr().out


def test_family_resolution():
    spec = spec_from_dict(WC)
    net, d, _ = family_from_spec(spec, "u_E", span=(-3.0, 2.0))
    assert d.tolist() == [1.0, 0.0] and net.u.tolist() == [0.0, -4.0]
    fam, d, _ = family_from_spec(spec, "w_ee", span=(0.5, 2.5))
    assert d is None and fam(1.5).W[0, 0] == 1.5
    net, d, _ = family_from_spec(spec, "drive", np.array([1.0, 1.0]))
    assert d.tolist() == [1.0, 1.0]
    with pytest.raises(ValidationError, match="unknown parameter 'zeta'"):
        family_from_spec(spec, "zeta")
    with pytest.raises(ValidationError, match="NAME=START:STOP"):
        parse_param("u_E")
    with pytest.raises(ValidationError, match="START < STOP"):
        parse_param("u_E=2:1")


def test_continue_bad_param_exits_2(tmp_path, capsys):
    spec = tmp_path / "wc.toml"
    spec.write_text('[builder]\nname = "wilson_cowan"\nw_ee = 2.0\nw_ei = 3.0\nw_ie = 3.0\n'
                    'w_ii = 1.0\n', encoding="utf-8")
    assert main(["continue", str(spec), "--param", "nope=0:1", "--out", str(tmp_path)]) == 2
    assert "unknown parameter" in capsys.readouterr().err


def test_direction_gives_an_input_family(tmp_path, capsys):
    spec = tmp_path / "isn.toml"
    spec.write_text('[network]\nW = [[2.0, -3.0], [3.0, -1.0]]\nu = [0.0, -4.0]\n'
                    'names = ["E", "I"]\n', encoding="utf-8")
    out = tmp_path / "o"
    assert main(["continue", str(spec), "--param", "s=-3:2", "--direction", "1,0", "--out",
                 str(out), "--neuron", "I", "--quiet"]) == 0
    assert "fold: s = -1.333333333, s = 0" in capsys.readouterr().out
    with xr.open_dataset(out / "branches.nc") as ds:
        assert ds.attrs["method"] == "piecewise-linear" and ds["lam"].attrs["long_name"] == "s"


def test_unnamed_neurons_are_called_neuron_k_in_the_diagram(tmp_path, capsys):
    """Neurons without names are indices: the labels say "neuron 0", not "rate of 0"."""
    from eicircuits import Network, continuation
    from eicircuits.continuation import plot_diagram

    res = continuation(Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[0.0, -4.0]),
                       direction=[1.0, 0.0], span=(-3.0, 2.0))
    _, ax = plot_diagram(res)
    assert ax.get_ylabel() == "rate of neuron 0"
    assert ax.get_title().startswith("Equilibria of neuron 0 against")
    _, ax = plot_diagram(res, neuron=1)
    assert ax.get_ylabel() == "rate of neuron 1"
    named = continuation(Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[0.0, -4.0], names=["E", "I"]),
                         direction=[1.0, 0.0], span=(-3.0, 2.0))
    assert plot_diagram(named)[1].get_ylabel() == "rate of E"
    # the command writes the same labels into diagram.png
    spec = tmp_path / "plain.toml"
    spec.write_text('[network]\nW = [[2.0, -3.0], [3.0, -1.0]]\nu = [0.0, -4.0]\n',
                    encoding="utf-8")
    assert main(["continue", str(spec), "--param", "u_0=-3:2", "--out", str(tmp_path / "o"),
                 "--quiet"]) == 0
    assert (tmp_path / "o" / "diagram.png").stat().st_size > 10_000
