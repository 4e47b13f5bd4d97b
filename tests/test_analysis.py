"""``eicircuits.analyze`` and the report writers: typed parts, JSON, NetCDF round trip, figure.

Oracles: the equilibrium of the worked example in exact arithmetic; the fixed-point equation
x = Φ(Wx + u) on the network rebuilt from the NetCDF file; an independent simulation from rest
(SciPy solve_ivp, DOP853) of the rebuilt network; the certificate re-verified on the rebuilt
network.
"""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
import xarray as xr
from scipy.integrate import solve_ivp

from eicircuits import Analysis, Network, analyze
from eicircuits.circuits import cortical_column, random_ei
from eicircuits.errors import ValidationError
from eicircuits.report import (
    plot_analysis,
    read_network,
    render_markdown,
    render_text,
    write_report,
)
from eicircuits.stability import Certificate

# W = [[0.5, −1], [1, −0.5]], u = (1, 0): (I − W)x = u gives x = (6/7, 4/7).
SMALL = dict(W=[[0.5, -1.0], [1.0, -0.5]], u=[1.0, 0.0], cell_types="EI")


def test_parts_are_typed_results_and_match_exact_arithmetic():
    a = analyze(Network(**SMALL))
    assert isinstance(a, Analysis) and a.success and a.status == "analysed"
    a_, b, c, d = Fraction(1, 2), Fraction(1), Fraction(-1), Fraction(3, 2)  # I − W
    det = a_ * d - b * c
    exact = (d / det, -c / det)
    assert exact == (Fraction(6, 7), Fraction(4, 7))
    np.testing.assert_allclose(a.equilibrium.x, [float(v) for v in exact], atol=1e-15)
    assert a.equilibrium.stable is True
    assert a.certificate.certified and a.verification.valid
    assert a.game.is_nash and a.game.success
    assert a.contrast.layers == 1 and a.contrast.winner == "0"  # the only E neuron
    # ∂r_I*/∂u_I = (1 − w_EE)/((1 − w_EE)(1 + w_II) + w_EI w_IE) = ½/(¾ + 1) = 2/7
    assert a.contrast.wilson_cowan["paradoxical_response"] == pytest.approx(2 / 7, rel=1e-12)
    assert a.trajectory.status == "steady" and a.trajectory.distance_to_equilibrium < 1e-8
    for part in (a.summary, a.game, a.contrast, a.trajectory):
        part.raise_if_failed()


def test_to_dict_has_snake_case_keys_and_strict_json():
    d = analyze(Network(**SMALL)).to_dict()
    json.dumps(d, allow_nan=False)
    assert {"network", "equilibrium", "stability", "game", "contrast", "trajectory"} <= set(d)

    def keys(obj):
        if isinstance(obj, dict):
            for k, v in obj.items():
                yield k
                yield from keys(v)
        elif isinstance(obj, list):
            for v in obj:
                yield from keys(v)

    bad = [k for k in keys(d) if k != k.lower() or " " in k]
    # the only upper-case keys allowed are the certificate's own field names (none today)
    assert bad == [], bad
    assert d["stability"]["verification"]["valid"] is True
    assert d["trajectory"]["status"] == "steady"


def test_include_selects_parts_and_rejects_unknown_names():
    a = analyze(Network(**SMALL), include=("game",))
    assert a.certificate is None and a.trajectory is None and a.contrast is None
    assert a.game is not None and a.included == ("equilibrium", "game")
    with pytest.raises(ValidationError, match=r"include: expected names from .*'gmae'"):
        analyze(Network(**SMALL), include=("gmae",))
    with pytest.raises(ValidationError, match=r"net: expected an eicircuits\.Network"):
        analyze(np.eye(2))


def test_multistable_circuit_is_analysed_at_the_state_reached_from_rest():
    """Local-wiring winner-take-all (a + bc/(1 + d) = 1.1): the solver's all-active equilibrium
    is unstable; the circuit settles on one winner, and the game and contrast are taken there."""
    from eicircuits.circuits import lateral_inhibition

    net = lateral_inhibition(4, a=0.7, b=1.0, c=0.8, d=1.0, wiring="local",
                             u=[1.0, 1.01, 1.02, 1.03])
    a = analyze(net)
    assert a.equilibrium.stable is False and a.response is not None
    assert a.response.stable is True and a.success and "response" in a.message
    # Oracle: an independent integration from rest (SciPy DOP853) ends at the response.
    sol = solve_ivp(lambda t, x: net.rate_field(x), (0.0, 300.0), np.zeros(net.n),
                    method="DOP853", rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(sol.y[:, -1], a.response.x, atol=1e-7)
    assert a.contrast.winner == "E3" and a.contrast.contrast == [1.0]
    np.testing.assert_array_equal([r["rate"] for r in a.game.neurons], a.response.x)
    text = render_text(a)
    assert "Response from rest" in text and "from the response from rest" in text
    assert a.to_dict()["response"]["n_active"] == 2


def test_an_oscillating_circuit_is_a_finding_not_a_failure():
    from eicircuits.circuits import wilson_cowan

    # trace (w_EE − 1)/τ_E − (1 + w_II)/τ_I = 2 − 2/3 > 0 and det > 0: an unstable focus
    net = wilson_cowan(3.0, 3.0, 3.0, 1.0, tau_i=3.0, u_e=1.0, u_i=0.5)
    a = analyze(net, include=("trajectory",), t_end=100.0)
    assert a.equilibrium.stable is False and a.trajectory.status != "steady"
    assert a.success and "does not settle from rest" in a.message
    # the rates keep moving at the end of the run: ‖ẋ‖ far from 0
    assert np.max(np.abs(net.rate_field(a.trajectory.trajectory.x[-1]))) > 1e-3


def test_no_equilibrium_is_reported_not_raised():
    # W = [[2]] with u = 1: x = max(2x + 1, 0) has no solution (runaway).
    a = analyze(Network(W=[[2.0]], u=[1.0]), include=("game", "contrast"))
    assert not a.success and "did not converge" in a.message
    assert not a.game.evaluated and not a.contrast.evaluated
    json.dumps(a.to_dict(), allow_nan=False)
    assert "WARNING" in render_text(a)


def test_regret_below_tolerance_prints_zero():
    net = cortical_column(2, 3, f=1.0, u=[1.0, 1.01, 1.02])
    a = analyze(net, include=("game",))
    rows = [line.split() for line in render_text(a).splitlines()
            if line.split()[:1] and line.split()[0] in net.names]
    assert rows and all(r[-1] == "0" for r in rows), rows
    assert "In plain terms" in render_text(a)


def test_netcdf_rebuilds_the_network_and_the_run(tmp_path):
    """The .nc file alone reproduces the run: same network, same equilibrium, same certificate."""
    net = random_ei(30, density=0.3, gain=0.8, rng=3, sparse=True,
                    u=np.random.default_rng(4).uniform(0.0, 1.0, 30))
    net = net.replace(tau=np.where(np.array(net.cell_types) == "E", 1.0, 2.0))
    assert net.is_sparse
    a = analyze(net, source="random E–I")
    paths = write_report(a, tmp_path)
    assert [p.name for p in paths] == ["report.txt", "report.md", "report.json",
                                       "analyze.nc", "analyze.png"]
    back = read_network(tmp_path / "analyze.nc")
    assert back.fingerprint() == net.fingerprint() and back.is_sparse
    np.testing.assert_array_equal(back.u, net.u)
    np.testing.assert_array_equal(back.tau, net.tau)
    assert back.cell_types == net.cell_types and back.names == net.names
    with xr.open_dataset(tmp_path / "analyze.nc") as ds:
        x_file = ds["equilibrium"].values
        cert = Certificate.from_dict(json.loads(ds.attrs["certificate"]), network=back)
        report = json.loads(ds.attrs["report"])
        rates = ds["rate"].values
    # Oracle 1: the stored equilibrium solves the rebuilt network's fixed-point equation.
    np.testing.assert_allclose(x_file, back.phi(back.W @ x_file + back.u), atol=1e-12)
    # Oracle 2: an independent integration of the rebuilt network ends there.
    sol = solve_ivp(lambda t, x: back.rate_field(x), (0.0, 400.0), np.zeros(back.n),
                    method="DOP853", rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(sol.y[:, -1], x_file, atol=1e-8)
    np.testing.assert_allclose(rates[-1], x_file, atol=1e-8)
    # Oracle 3: the stored certificate verifies on the rebuilt network.
    assert cert.verify(back).valid == a.verification.valid
    assert report == json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    # And a fresh analysis of the rebuilt network gives the same numbers.
    again = analyze(back, include=())
    np.testing.assert_array_equal(again.equilibrium.x, x_file)


def test_netcdf_keeps_per_neuron_activations(tmp_path):
    from eicircuits import ClippedReLU, ReLU
    from eicircuits.report import write_netcdf

    net = Network(W=[[0.2, -0.5, 0.0], [0.4, -0.1, 0.0], [0.3, 0.0, 0.0]], u=[1.0, 0.5, 0.2],
                  activation=[ReLU(), ClippedReLU(0.5), ReLU()], cell_types="EIE")
    write_netcdf(analyze(net, include=()), tmp_path / "a.nc")
    back = read_network(tmp_path / "a.nc")
    assert back.activations == net.activations and not back.is_sparse
    assert back.fingerprint() == net.fingerprint()


def test_netcdf_keeps_synaptic_delays(tmp_path):
    from eicircuits.report import write_netcdf

    W = [[0.0, -0.5], [0.8, 0.0]]
    net = Network(W=W, u=[1.0, 0.2], cell_types="EI", delays=[[0.0, 2.0], [0.5, 0.0]])
    write_netcdf(analyze(net, include=()), tmp_path / "d.nc")
    back = read_network(tmp_path / "d.nc")
    np.testing.assert_array_equal(back.delays.to_dense(), net.delays.to_dense())


def test_text_report_holds_every_section_and_the_trajectory(tmp_path):
    a = analyze(cortical_column(3, 3, f=1.0, u=[1.0, 1.05, 1.1]))
    write_report(a, tmp_path)
    txt = (tmp_path / "report.txt").read_text(encoding="utf-8")
    assert txt == render_text(a)
    for title in ("Network", "Equilibrium", "Stability", "The game", "Contrast", "Trajectory"):
        assert f"\n{title}\n" in "\n" + txt
    assert "Trajectory from rest: steady" in txt
    md = render_markdown(a, figure="analyze.png")
    assert "![what the circuit does](analyze.png)" in md and "## Trajectory" in md


def test_figure_of_a_column_shows_input_contrast_and_winner():
    net = cortical_column(4, 5, f=1.0, u=[1.0, 1.01, 1.02, 1.03, 1.04])
    a = analyze(net, include=("contrast", "trajectory"))
    fig = plot_analysis(a)
    ax_in, ax_c, ax_t = fig.axes
    labels = [t.get_text() for t in ax_in.get_legend().get_texts()]
    assert labels[0] == "input u (layer 0 E)" and f"winner {a.contrast.winner}" in labels
    y = ax_c.lines[0].get_ydata()
    np.testing.assert_allclose(y, [a.contrast.input_contrast, *a.contrast.contrast])
    ticks = [t.get_text() for t in ax_c.get_xticklabels()]
    assert ticks == ["input", "0", "1", "2", "3"]
    assert ax_t.get_legend() is not None


def test_figure_of_a_large_network_shows_populations():
    net = random_ei(200, density=0.05, gain=0.8, rng=1,
                    u=np.random.default_rng(2).uniform(-0.5, 1.0, 200))
    a = analyze(net, include=("trajectory",))
    fig = plot_analysis(a)
    ax_t, ax_h = fig.axes
    assert ax_t.get_legend() is not None and ax_h.get_legend() is not None
    assert "E mean (160 neurons)" in [t.get_text() for t in ax_t.get_legend().get_texts()]


def _layout(fig):
    """Which layout plot_analysis chose, read off the drawn axes."""
    xlabels = [ax.get_xlabel() for ax in fig.axes]
    return "column" if "channel" in xlabels else f"{len(fig.axes)} panels"


def test_flat_random_network_gets_the_population_layout_not_the_column_one():
    # 160 E neurons with E → E synapses between them: no channels, no input → output contrast
    net = random_ei(200, density=0.05, gain=0.8, rng=3, u=1.0)
    a = analyze(net, include=("contrast", "trajectory"))
    assert a.contrast.layered is False
    assert a.contrast.input_contrast is None and a.contrast.contrast_gain is None
    fig = plot_analysis(a)
    assert _layout(fig) == "2 panels"
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("Populations from rest") and titles[1] == "Equilibrium rates"
    labels = [t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()]
    assert not any("layer" in s for s in labels)


def test_layered_circuits_keep_the_column_layout():
    from eicircuits.circuits import lateral_inhibition

    motif = lateral_inhibition(5, a=0.2, b=1.0, c=0.5, d=0.0, u=[1.0, 1.1, 1.2, 1.3, 1.4])
    column = cortical_column(2, 3, f=1.0, u=[1.0, 1.1, 1.2])
    for net in (motif, column):
        a = analyze(net, include=("contrast", "trajectory"))
        assert a.contrast.layered is True and a.contrast.input_contrast is not None
        assert _layout(plot_analysis(a)) == "column"


def test_silent_large_network_draws_a_flat_line_and_says_so():
    net = random_ei(200, density=0.05, gain=0.8, rng=3, u=0.0)  # x* = 0 is the equilibrium
    a = analyze(net, include=("trajectory",))
    assert not np.any(a.equilibrium.x) and a.trajectory.status == "steady"
    fig = plot_analysis(a)
    ax_t, ax_h = fig.axes
    mean_e = ax_t.lines[0]
    assert len(mean_e.get_xdata()) >= 2 and mean_e.get_xdata()[-1] > 0  # a line, not a point
    np.testing.assert_array_equal(mean_e.get_ydata(), 0.0)
    for ax in (ax_t, ax_h):
        assert any("all neurons silent (x* = 0)" in t.get_text() for t in ax.texts)


def test_contrast_text_of_a_flat_network_has_no_input_contrast_or_gain():
    a = analyze(random_ei(200, density=0.05, gain=0.8, rng=3, u=1.0), include=("contrast",))
    txt = render_text(a)
    assert "contrast across E neurons:" in txt
    assert "input contrast" not in txt and "contrast gain" not in txt
    col = analyze(cortical_column(2, 3, f=1.0, u=[1.0, 1.1, 1.2]), include=("contrast",))
    txt = render_text(col)
    assert "input contrast (first-layer E inputs)" in txt and "contrast gain" in txt


def test_stability_line_says_when_the_certificate_proves_it():
    import dataclasses

    from eicircuits.report import equilibrium_text

    net = random_ei(60, density=0.1, gain=0.8, rng=4, u=1.0)
    a = analyze(net, include=("stability",))
    assert a.certificate.certified and a.verification.valid and a.verification.proof
    line = next(s for s in render_text(a).splitlines() if s.startswith("stability"))
    assert line.endswith("; proved by the certificate below")
    # the Krylov verdict used above STABILITY_LIMIT is no longer called "not a proof"
    eq = dataclasses.replace(a.equilibrium, message="x (a numerical Krylov result, not a proof)")
    txt = equilibrium_text(eq, net, a.certificate, a.verification)
    assert "not a proof" not in txt and "the certificate below proves global stability" in txt
    assert "not a proof" in equilibrium_text(eq, net)  # without the certificate: unchanged
    assert "proved by" not in equilibrium_text(eq, net)
