"""``eicircuits sweep`` and ``eicircuits plot``: stores that reopen, figures checked by data."""

from __future__ import annotations

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pytest

from eicircuits import cli
from eicircuits.circuits import random_ei, wilson_cowan_regime
from eicircuits.sweeps import open_sweep, plot_sweep

WC_SPEC = """
[builder]
name = "wilson_cowan"
w_ee = 0.8
w_ei = 1.5
w_ie = 3.0
w_ii = 1.0
u_e = 1.0
u_i = 0.5
"""

RANDOM_SPEC = """
[builder]
name = "random_ei"
n = 8
density = 0.5
gain = 0.8
u = 1.0
"""

NET_SPEC = """
[network]
W = [[0.5, -1.0], [1.0, -0.5]]
u = [1.0, 0.0]
cell_types = "EI"
"""


@pytest.fixture
def run(monkeypatch, capsys):
    """``eicircuits …`` through the real dispatcher, restricted to this module's commands (so
    that these tests do not depend on the other command modules)."""
    monkeypatch.setattr(cli, "COMMANDS", {"sweep": "sweep", "plot": "sweep"})

    def invoke(*argv: str) -> tuple[int, str, str]:
        code = cli.main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


def test_sweep_and_plot_a_regime_map(tmp_path, run):
    spec = tmp_path / "wc.toml"
    spec.write_text(WC_SPEC)
    store = tmp_path / "map.zarr"
    code, out, err = run("sweep", str(spec), "--grid", "w_ee=0:2:9", "--grid", "w_ei=0:4:5",
                         "--analysis", "regime", "--analysis", "certified", "--out", str(store),
                         "--quiet")
    assert code == 0, err
    assert out == ""
    ds = open_sweep(store)
    a, b = np.meshgrid(np.linspace(0, 2, 9), np.linspace(0, 4, 5), indexing="ij")
    expected = wilson_cowan_regime(a, b, 3.0, 1.0, u_e=1.0, u_i=0.5)
    np.testing.assert_array_equal(ds["regime"].values, expected)
    np.testing.assert_array_equal(ds["certified"].values, a < 1)

    png = tmp_path / "map.png"
    code, out, err = run("plot", str(store), "--out", str(png))
    assert code == 0, err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = mpimg.imread(png)
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 200
    # the figure's data: codes into the legend's labels, rows w_ei, columns w_ee
    fig, ax, drawn = plot_sweep(ds)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    np.testing.assert_array_equal(np.array(labels)[drawn], expected.T)
    assert ax.get_xlabel() == "w_ee" and ax.get_ylabel() == "w_ei"
    plt.close(fig)


def test_sweep_summary_rerun_resumes_and_a_different_grid_is_refused(tmp_path, run):
    spec = tmp_path / "wc.toml"
    spec.write_text(WC_SPEC)
    store = str(tmp_path / "m.zarr")
    args = ("sweep", str(spec), "--grid", "w_ee=0.5,2", "--analysis", "regime", "--out", store,
            "--chunks", "w_ee=1")
    code, out, _ = run(*args)
    assert code == 0
    assert "regime: isn-stable: 1, lds-stable: 1" in out or \
        "regime: lds-stable: 1, isn-stable: 1" in out
    code, again, _ = run(*args)
    assert code == 0 and again == out
    code, _, err = run("sweep", str(spec), "--grid", "w_ee=0.5,3", "--analysis", "regime",
                       "--out", store, "--chunks", "w_ee=1")
    assert code == 2
    assert "was written for a different sweep: grid parameter 'w_ee'" in err


def test_ensemble_from_a_random_spec(tmp_path, run):
    spec = tmp_path / "r.toml"
    spec.write_text(RANDOM_SPEC)
    store = tmp_path / "e.zarr"
    code, _, err = run("sweep", str(spec), "--grid", "gain=0.3,0.9", "--seeds", "3", "--seed",
                         "4", "--analysis", "rates", "--analysis", "rate", "--out", str(store),
                         "--quiet")
    assert code == 0, err
    ds = open_sweep(store)
    assert ds["rates"].dims == ("gain", "seed", "neuron")
    children = np.random.SeedSequence(4).spawn(6)
    for flat, (i, s) in enumerate(np.ndindex(2, 3)):
        net = random_ei(8, density=0.5, gain=float(ds["gain"][i]), u=1.0,
                        rng=np.random.default_rng(children[flat]))
        x = ds["rates"].values[i, s]
        np.testing.assert_allclose(x, np.maximum(net.dense_W() @ x + net.u, 0.0), atol=1e-10)
    png = tmp_path / "rate.png"
    code, _, err = run("plot", str(store), "--var", "rate", "--out", str(png))
    assert code == 0, err
    fig, ax, drawn = plot_sweep(ds, "rate")
    np.testing.assert_allclose(drawn, ds["rate"].mean("seed").values)
    assert "mean over seed" in ax.get_title()
    plt.close(fig)


def test_explicit_network_spec_grid_over_tau(tmp_path, run):
    spec = tmp_path / "n.toml"
    spec.write_text(NET_SPEC)
    store = tmp_path / "t.zarr"
    code, _, err = run("sweep", str(spec), "--grid", "tau=0.5,2", "--analysis", "rates",
                       "--out", str(store), "--quiet")
    assert code == 0, err
    ds = open_sweep(store)
    # the equilibrium does not depend on τ: solve (I − W)x = u on the active set {0, 1}
    x = np.linalg.solve(np.eye(2) - np.array([[0.5, -1.0], [1.0, -0.5]]), [1.0, 0.0])
    np.testing.assert_allclose(ds["rates"].values, [x, x], rtol=1e-12)


@pytest.mark.parametrize("extra, match", [
    (["--grid", "w_ee=0:2"], "grid 'w_ee': a range must be START:STOP:NUM"),
    (["--grid", "w_ee=a,b"], "grid 'w_ee': 'a' is not a number"),
    (["--grid", "w_ee=1", "--grid", "w_ee=2"], "'w_ee' is given more than once"),
    (["--grid", "w_xx=1,2"], "wc.toml: \\[builder\\]: unknown parameter 'w_xx'"),
    (["--grid", "w_ee=1,2", "--analysis", "nope"], "unknown analysis 'nope'"),
    (["--grid", "w_ee=1,2", "--chunks", "w_ee"], "--chunks: expected NAME=POINTS"),
    (["--grid", "w_ee=1,2", "--seeds", "2"], "has no 'rng' parameter"),
])
def test_bad_command_lines_exit_2_with_a_message(tmp_path, run, extra, match):
    spec = tmp_path / "wc.toml"
    spec.write_text(WC_SPEC)
    argv = ["sweep", str(spec), "--out", str(tmp_path / "x.zarr"), *extra]
    if "--analysis" not in extra:
        argv += ["--analysis", "regime"]
    code, _, err = run(*argv)
    assert code == 2
    assert err.startswith("eicircuits sweep: error:")
    import re

    assert re.search(match, err), err


def test_plot_errors(tmp_path, run):
    code, _, err = run("plot", str(tmp_path / "missing.zarr"))
    assert code == 2 and "does not exist" in err
    spec = tmp_path / "wc.toml"
    spec.write_text(WC_SPEC)
    store = str(tmp_path / "m.zarr")
    assert run("sweep", str(spec), "--grid", "w_ee=0.5,2", "--analysis", "rates", "--out", store,
               "--quiet")[0] == 0
    code, _, err = run("plot", store, "--var", "nope")
    assert code == 2 and "'nope' is not a variable of the sweep" in err
    code, _, err = run("plot", store)
    assert code == 2 and "holds an array per point" in err


@pytest.mark.slow
def test_the_real_command_line(tmp_path):
    """``python -m eicircuits.cli`` with every command registered, as a user runs it (two
    fresh interpreters: ~10 s on a busy 2-core machine, hence slow)."""
    import subprocess
    import sys

    spec = tmp_path / "wc.toml"
    spec.write_text(WC_SPEC)
    store = tmp_path / "map.zarr"
    done = subprocess.run(
        [sys.executable, "-m", "eicircuits.cli", "sweep", str(spec), "--grid", "w_ee=0:2:3",
         "--grid", "w_ei=0:4:3", "--analysis", "regime", "--out", str(store)],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert f"sweep of {spec}: {store}" in done.stdout
    assert "dimensions: w_ee = 3, w_ei = 3" in done.stdout
    done = subprocess.run([sys.executable, "-m", "eicircuits.cli", "plot", str(store)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "map.png").read_bytes()[:4] == b"\x89PNG"


def test_default_circuit_contrast_compounds_with_depth(tmp_path, run):
    """Without SPEC: the built-in cortical column;
    docs/theory.md §5 'Check': contrast compounds with
    depth until a single winner appears (the gain then saturates at 1/C(u))."""
    store = tmp_path / "col.zarr"
    code, _, err = run("sweep", "--grid", "layers=1,2,6", "--analysis", "contrast_gain",
                       "--analysis", "winner", "--out", str(store), "--quiet")
    assert code == 0, err
    ds = open_sweep(store)
    gains = ds["contrast_gain"].values
    assert gains[0] < gains[1] <= gains[2]
    from eicircuits.spec import read_spec

    u = np.asarray(read_spec(None).params["u"], dtype=float)  # the default column's input
    assert gains[2] == pytest.approx((u.max() + u.min()) / (u.max() - u.min()), rel=1e-9)
    assert ds["winner"].values[0] == -1 and ds["winner"].values[2] >= 0
