"""Stimulus protocols: values, algebra, files, and simulations against independent oracles.

Oracles: closed forms of each protocol; ``scipy.integrate.solve_ivp`` (DOP853, tight
tolerances) run piece by piece between the switching times by this file; the closed-form
response of a leaky unit to a step; single runs for the batch.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from eicircuits import Network, ValidationError, simulate, simulate_batch, stimulus
from eicircuits.stimulus import Sum


# --------------------------------------------------------------------------- values
def test_each_protocol_has_its_closed_form():
    t = np.array([-1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0])
    assert stimulus.step(1.0, 2.0)(t).tolist() == [0, 0, 0, 2, 2, 2, 2]
    assert stimulus.pulse(0.5, 2.0, 3.0)(t).tolist() == [0, 0, 3, 3, 3, 0, 0]
    assert np.allclose(stimulus.ramp(0.0, 2.0, 4.0)(t), [0, 0, 1, 2, 3, 4, 4])
    s = stimulus.sine(0.5, 2.0, phase=0.3)
    assert np.allclose(s(t), 2.0 * np.sin(2 * math.pi * 0.5 * t + 0.3), atol=1e-15)
    win = stimulus.sine(1.0, 1.0, t_on=0.5, t_off=1.5)
    assert np.allclose(win(t), np.where((t >= 0.5) & (t < 1.5), np.sin(2 * math.pi * t), 0))
    lin = stimulus.from_array([0.0, 1.0, 2.0], [0.0, 4.0, 2.0])
    assert np.allclose(lin(t), np.interp(t, [0.0, 1.0, 2.0], [0.0, 4.0, 2.0]))
    hold = stimulus.from_array([0.0, 1.0, 2.0], [0.0, 4.0, 2.0], kind="hold")
    assert hold(t).tolist() == [0, 0, 0, 4, 4, 2, 2]


def test_left_limits_at_the_switching_times():
    t = np.array([1.0, 2.0])
    assert stimulus.pulse(1.0, 2.0, 1.0).sample(t, 1, left=True)[:, 0].tolist() == [0, 1]
    assert stimulus.step(1.0, 1.0).sample([1.0], 1, left=True).tolist() == [[0.0]]
    hold = stimulus.from_array([0.0, 1.0], [3.0, 5.0], kind="hold")
    assert hold.sample([1.0], 1, left=True).tolist() == [[3.0]]


def test_neurons_vectors_and_sizes():
    s = stimulus.step(0.0, [1.0, 2.0], neurons=[0, 2], n=3)
    assert s(1.0).tolist() == [1.0, 0.0, 2.0]
    assert s([1.0, 2.0]).shape == (2, 3)
    v = stimulus.pulse(0.0, 1.0, [1.0, -1.0])
    assert v.size == 2 and v(0.5).tolist() == [1.0, -1.0]
    with pytest.raises(ValidationError, match="does not know the network size"):
        stimulus.step(0.0, 1.0, neurons=[1])(0.0)
    assert stimulus.step(0.0, 1.0, neurons=[1]).sample([0.0], 2).tolist() == [[0.0, 1.0]]
    with pytest.raises(ValidationError, match="index 5 is out of range"):
        stimulus.step(0.0, 1.0, neurons=[5]).sample([0.0], 2)


def test_algebra_sums_and_scales():
    a = stimulus.step(1.0, 1.0)
    b = stimulus.pulse(2.0, 3.0, [1.0, 2.0])
    s = 2.0 * a - b + np.array([0.5, 0.5])
    t = np.linspace(0, 4, 9)
    expect = 2.0 * a.sample(t, 2) - b.sample(t, 2) + 0.5
    assert np.allclose(s(t), expect)
    assert s.switching_times == (1.0, 2.0, 3.0)
    assert isinstance(a + b, Sum) and len((a + b + a).terms) == 3
    assert np.allclose((-a)(t), -a(t))
    assert np.allclose((a * np.array([1.0, 3.0]))(t), a.sample(t, 2) * [1.0, 3.0])
    assert np.allclose((1.0 + a)(t), 1.0 + a(t))
    assert np.allclose((1.0 - a)(t), 1.0 - a(t))
    with pytest.raises(ValidationError, match="different numbers of neurons"):
        stimulus.constant([1.0, 2.0]) + stimulus.constant([1.0, 2.0, 3.0])


# --------------------------------------------------------------------------- files
ALL = [
    stimulus.constant([1.0, 2.0]),
    stimulus.step(1.0, 2.0, neurons=[1], n=2),
    stimulus.pulse(1.0, 2.0, [1.0, -1.0]),
    stimulus.ramp(0.0, 1.0, 3.0),
    stimulus.sine(2.0, 0.5, 0.1, t_on=0.0, t_off=5.0, neurons=[0]),
    stimulus.from_array([0.0, 1.0], [[0.0, 1.0], [2.0, 3.0]], kind="hold"),
    stimulus.from_array([0.0, 1.0, 3.0], [0.0, 1.0, 0.0], neurons=[1]),
]


@pytest.mark.parametrize("stim", [*ALL, 2.0 * ALL[2] + ALL[3] - ALL[1]], ids=repr)
def test_spec_round_trip_through_json(stim):
    spec = json.loads(json.dumps(stim.to_spec()))
    back = stimulus.from_spec(spec)
    assert back == stim
    t = np.linspace(-1, 6, 29)
    assert np.array_equal(back.sample(t, 2), stim.sample(t, 2))
    assert back.switching_times == stim.switching_times


def test_a_table_of_terms_is_a_sum():
    s = stimulus.from_spec({"terms": [{"kind": "step", "t_on": 1, "amplitude": 1},
                                      {"kind": "constant", "amplitude": 0.5}]})
    assert s(2.0) == 1.5


@pytest.mark.parametrize("call, match", [
    (lambda: stimulus.pulse(2.0, 1.0, 1.0), "t_off: need t_off > t_on"),
    (lambda: stimulus.ramp(1.0, 1.0, 1.0), "t_end: need t_end > t_start"),
    (lambda: stimulus.step("1", 1.0), "t_on: expected a finite time"),
    (lambda: stimulus.step(math.inf, 1.0), "t_on: must be finite"),
    (lambda: stimulus.step(0.0, [[1.0]]), "amplitude: expected a scalar or a 1-D"),
    (lambda: stimulus.step(0.0, math.nan), "amplitude: every entry must be finite"),
    (lambda: stimulus.step(0.0, [1.0, 2.0], neurons=[0]), "one value per listed neuron"),
    (lambda: stimulus.step(0.0, [1.0, 2.0], n=3), r"shape \(3,\) to match n = 3"),
    (lambda: stimulus.step(0.0, 1.0, neurons=[0, 0]), "neurons: expected distinct"),
    (lambda: stimulus.step(0.0, 1.0, neurons=[-1]), "neurons: expected distinct"),
    (lambda: stimulus.step(0.0, 1.0, neurons=[3], n=2), "out of range for n = 2"),
    (lambda: stimulus.step(0.0, 1.0, n=0), "n: expected the number of neurons"),
    (lambda: stimulus.sine(-1.0, 1.0), "freq: expected a frequency ≥ 0"),
    (lambda: stimulus.from_array([0.0, 0.0], [1.0, 2.0]), "t: times must increase"),
    (lambda: stimulus.from_array([0.0, 1.0], [1.0, 2.0, 3.0]), r"values: expected shape \(2,\)"),
    (lambda: stimulus.from_array([0.0, 1.0], [1.0, 2.0], kind="cubic"), "kind: expected"),
    (lambda: stimulus.from_array([0.0, 1.0], [1.0, math.nan]), "values: every entry"),
    (lambda: stimulus.from_spec({"kind": "boxcar"}), "stimulus.kind: expected one of"),
    (lambda: stimulus.from_spec({"kind": "step", "t_on": 1}), "missing key 'amplitude'"),
    (lambda: stimulus.from_spec({"kind": "step", "t_on": 1, "amplitude": 1, "x": 2}),
     "unknown key 'x'"),
    (lambda: stimulus.from_spec([1, 2]), "expected a table"),
    (lambda: stimulus.from_spec({"terms": []}), "non-empty list"),
])
def test_bad_arguments_are_refused_with_a_message(call, match):
    with pytest.raises(ValidationError, match=match):
        call()


# --------------------------------------------------------------------------- simulation
def _net() -> Network:
    W = [[0.6, -1.2, 0.0], [0.9, -0.4, 0.3], [0.5, -0.8, 0.2]]
    return Network(W=W, tau=[1.0, 0.6, 1.4], cell_types="EIE")


def _protocol() -> stimulus.Stimulus:
    return (
        stimulus.constant([1.0, 0.6, 0.4])
        + stimulus.step(1.0, 0.7, neurons=[0])
        + stimulus.pulse(2.5, 4.0, [-0.5, 0.8], neurons=[1, 2])
        + stimulus.ramp(4.5, 6.0, 0.4)
        + stimulus.sine(0.7, 0.2, phase=0.4, t_on=6.5)
        + stimulus.from_array([0.0, 3.0, 7.0], [0.0, 0.3, -0.1], kind="hold", neurons=[2])
    )


def _piecewise_dop853(net, stim, x0, t1, t_eval):
    """Independent oracle: solve_ivp on each piece, the stimulus's own left/right values."""
    edges = [0.0, *[t for t in stim.switching_times if 0.0 < t < t1], t1]
    x = np.asarray(x0, dtype=float)
    out = {}
    for a, b in itertools.pairwise(edges):
        mid = 0.5 * (a + b)

        def f(t, y, mid=mid):
            u = stim.sample([t], net.n, left=t > mid)[0]
            return (-y + net.phi(net.W @ y + u)) / net.tau

        inside = [t for t in t_eval if a <= t <= b]
        sol = solve_ivp(f, (a, b), x, method="DOP853", rtol=1e-13, atol=1e-15,
                        dense_output=True)
        for t in inside:
            out.setdefault(t, sol.sol(t))
        x = sol.y[:, -1]
    return np.array([out[t] for t in t_eval])


def test_adaptive_run_honours_switching_times_against_piecewise_dop853():
    net, stim = _net(), _protocol()
    t_eval = [0.0, 1.0, 2.0, 2.5, 3.7, 4.0, 5.2, 6.0, 8.0]
    traj = simulate(net, np.zeros(3), (0.0, 8.0), u=stim, method="DOP853", rtol=1e-12,
                    atol=1e-14, t_eval=t_eval)
    assert traj.status == "success" and "pieces" in traj.message
    ref = _piecewise_dop853(net, stim, np.zeros(3), 8.0, t_eval)
    assert np.max(np.abs(traj.x - ref)) <= 1e-8
    assert np.allclose(traj.t, t_eval)


def test_step_response_of_a_leaky_unit_has_its_closed_form():
    net = Network(W=[[0.0]], tau=0.5, activation="linear")
    stim = stimulus.step(1.0, 2.0) + stimulus.pulse(3.0, 3.5, -1.0)
    t = np.array([0.5, 1.0, 2.0, 3.0, 3.25, 3.5, 5.0])
    traj = simulate(net, [0.0], (0.0, 5.0), u=stim, method="DOP853", rtol=1e-12,
                    atol=1e-14, t_eval=t)

    def exact(s):
        if s < 1.0:
            return 0.0
        x = 2.0 * (1 - math.exp(-(min(s, 3.0) - 1.0) / 0.5))
        if s <= 3.0:
            return x
        x3 = x
        x = 1.0 + (x3 - 1.0) * math.exp(-(min(s, 3.5) - 3.0) / 0.5)
        if s <= 3.5:
            return x
        return 2.0 + (x - 2.0) * math.exp(-(s - 3.5) / 0.5)

    assert np.max(np.abs(traj.x[:, 0] - [exact(s) for s in t])) <= 1e-10


def test_fixed_step_rk4_converges_at_fourth_order_when_switches_are_on_the_grid():
    net = Network(W=[[-0.5]], activation="linear")
    stim = stimulus.step(1.0, 2.0) + stimulus.sine(0.3, 1.0) + stimulus.pulse(2.0, 3.0, -1.0)
    t = np.arange(0.0, 4.01, 0.2)
    ref = simulate(net, [0.0], (0.0, 4.0), u=stim, method="DOP853", rtol=1e-13, atol=1e-15,
                   t_eval=t)
    errs = [np.max(np.abs(simulate(net, [0.0], (0.0, 4.0), u=stim, method="rk4", dt=dt,
                                   save_every=round(0.2 / dt)).x - ref.x))
            for dt in (0.1, 0.05)]
    assert errs[0] < 1e-5
    assert 13 < errs[0] / errs[1] < 20  # 2^4 = 16; a switch straddled by a step gives 2


def test_batch_members_equal_single_runs_to_rounding():
    net = _net()
    stims = [_protocol() * a for a in (0.5, 1.0, 1.5)]
    X0 = np.array([[0.0, 0.0, 0.0], [0.2, 0.1, 0.0], [1.0, 0.5, 0.2]])
    for method in ("rk4", "exp-euler", "heun"):
        res = simulate_batch(net, X0, (0.0, 8.0), dt=0.01, u=stims, method=method,
                             save_every=50)
        for k in range(3):
            one = simulate(net, X0[k], (0.0, 8.0), dt=0.01, u=stims[k], method=method,
                           save_every=50)
            assert np.allclose(res.x[k], one.x, rtol=1e-13, atol=1e-14)
    shared = simulate_batch(net, X0, (0.0, 8.0), dt=0.01, u=_protocol(), save_every=200)
    one = simulate(net, X0[2], (0.0, 8.0), dt=0.01, u=_protocol(), method="rk4",
                   save_every=200)
    assert np.allclose(shared.x[2], one.x, rtol=1e-13, atol=1e-14)
    assert shared.member(2).u == _protocol()


def test_protocol_is_recorded_in_the_netcdf_attributes(tmp_path):
    xr = pytest.importorskip("xarray")
    net, stim = _net(), _protocol()
    traj = simulate(net, np.zeros(3), (0.0, 2.0), u=stim, dt=0.1, method="rk4")
    path = tmp_path / "run.nc"
    try:
        traj.to_xarray().to_netcdf(path)
    except ValueError as exc:  # pragma: no cover - no NetCDF engine installed
        pytest.skip(str(exc))
    with xr.open_dataarray(path) as back:
        assert stimulus.from_spec(json.loads(back.attrs["stimulus"])) == stim
    res = simulate_batch(net, np.zeros(3), (0.0, 1.0), dt=0.1, u=[stim, 2.0 * stim])
    specs = json.loads(res.to_xarray().attrs["stimulus"])
    assert [stimulus.from_spec(s) for s in specs] == [stim, 2.0 * stim]


def test_voltages_of_a_stimulated_run_use_the_stimulus():
    net, stim = _net(), _protocol()
    traj = simulate(net, np.zeros(3), (0.0, 3.0), u=stim, dt=0.5, method="euler")
    expect = traj.x @ np.asarray(net.W).T + stim.sample(traj.t, 3)
    assert np.allclose(traj.voltages(), expect)


def test_random_callable_is_refused_by_adaptive_methods_with_a_pointer_to_noise():
    net = _net()
    rng = np.random.default_rng(0)
    with pytest.raises(ValidationError, match=r"random input.*eicircuits\.Noise"):
        simulate(net, np.zeros(3), (0.0, 1.0), u=lambda t: rng.normal(size=3))
    det = simulate(net, np.zeros(3), (0.0, 1.0), u=lambda t: np.full(3, np.sin(t)))
    assert det.status == "success"


def test_simulate_and_batch_refuse_bad_stimulus_arguments():
    net = _net()
    with pytest.raises(ValidationError, match="the stimulus is for 2 neurons"):
        simulate(net, np.zeros(3), (0.0, 1.0), u=stimulus.constant([1.0, 2.0]))
    with pytest.raises(ValidationError, match="not a Python callable"):
        simulate_batch(net, np.zeros(3), (0.0, 1.0), dt=0.1, u=lambda t: np.zeros(3))
    with pytest.raises(ValidationError, match="only Stimulus objects"):
        simulate_batch(net, np.zeros(3), (0.0, 1.0), dt=0.1, u=[_protocol(), 1.0])
    with pytest.raises(ValidationError, match="batch sizes differ"):
        simulate_batch(net, np.zeros((2, 3)), (0.0, 1.0), dt=0.1, u=[_protocol()] * 3)
    with pytest.raises(ValidationError, match="backend: 'numba'"):
        simulate(net, np.zeros(3), (0.0, 1.0), dt=0.1, u=_protocol(), backend="numba")
    with pytest.raises(ValidationError, match="backend: 'jax'"):
        simulate_batch(net, np.zeros(3), (0.0, 1.0), dt=0.1, u=_protocol(), backend="jax")


# --------------------------------------------------------------------------- spec and CLI
def test_spec_stimulus_table_reaches_the_cli_and_the_output_files(tmp_path, capsys):
    xr = pytest.importorskip("xarray")
    from eicircuits.cli import main
    from eicircuits.spec import read_spec

    spec = tmp_path / "c.toml"
    spec.write_text(
        '[network]\nW = [[0.5, -1.0], [1.0, -0.5]]\ncell_types = "EI"\n\n'
        '[stimulus]\nterms = [\n  {kind = "constant", amplitude = [1.0, 0.5]},\n'
        '  {kind = "step", t_on = 2.0, amplitude = 0.5, neurons = [0]},\n]\n',
        encoding="utf-8",
    )
    parsed = read_spec(spec)
    stim = stimulus.from_spec(parsed.stimulus)
    assert stim.switching_times == (2.0,)
    out = tmp_path / "out"
    assert main(["simulate", str(spec), "--t-end", "6", "--dt", "0.01", "--method", "rk4",
                 "--save-every", "100", "--out", str(out), "--quiet"]) == 0
    direct = simulate(parsed.network(), np.zeros(2), (0.0, 6.0), u=stim, dt=0.01,
                      method="rk4", save_every=100)
    record = json.loads((out / "simulate.json").read_text())
    assert stimulus.from_spec(record["stimulus"]) == stim
    try:
        with xr.open_dataarray(out / "simulate.nc") as da:
            assert np.allclose(da.values, direct.x, rtol=1e-13)
            assert stimulus.from_spec(json.loads(da.attrs["stimulus"])) == stim
    except ValueError as exc:  # pragma: no cover - no NetCDF engine installed
        pytest.skip(str(exc))
    flag = json.dumps({"kind": "pulse", "t_on": 1.0, "t_off": 2.0, "amplitude": [1.0, 0.0]})
    out2 = tmp_path / "out2"
    assert main(["simulate", str(spec), "--t-end", "3", "--dt", "0.01", "--stimulus", flag,
                 "--out", str(out2), "--quiet"]) == 0
    assert json.loads((out2 / "simulate.json").read_text())["stimulus"]["kind"] == "pulse"
    capsys.readouterr()
    assert main(["simulate", str(spec), "--stimulus", "{bad", "--out", str(tmp_path / "o3"),
                 "--quiet"]) == 2
    assert "--stimulus: cannot parse" in capsys.readouterr().err


def test_spec_refuses_a_bad_stimulus_table():
    from eicircuits.errors import SpecError
    from eicircuits.spec import spec_from_dict

    with pytest.raises(SpecError, match=r"\[stimulus\]: stimulus.kind: expected one of"):
        spec_from_dict({"network": {"W": [[0.0]]}, "stimulus": {"kind": "boxcar"}})
    with pytest.raises(SpecError, match=r"\[stimulus\] must be a table"):
        spec_from_dict({"network": {"W": [[0.0]]}, "stimulus": 3})


def test_piecewise_constant_values_are_reused_only_inside_their_piece(monkeypatch):
    from eicircuits.dynamics import _extended

    monkeypatch.setattr(_extended, "_BLOCK_FLOATS", 40)  # many small blocks
    net = _net()
    # switches off the grid, so that left/right values at a step's end do not matter
    stims = [stimulus.constant([1.0, 0.6, 0.4])
             + stimulus.pulse(0.5037 + 0.3711 * k, 2.0053 + 0.1109 * k, 0.3 * k,
                              neurons=[k % 3])
             + stimulus.from_array([0.0, 1.2345, 2.5031], [0.0, 0.2, -0.1], kind="hold")
             for k in range(4)]
    assert all(s.piecewise_constant for s in stims)
    res = simulate_batch(net, np.zeros(3), (0.0, 3.0), dt=0.01, u=stims, method="rk4",
                         save_every=10)
    for k, s in enumerate(stims):
        # the same protocol through the callable path (values looked up at every stage)
        one = simulate(net, np.zeros(3), (0.0, 3.0), dt=0.01, method="rk4", backend="numpy",
                       u=lambda t, s=s: s.sample([t], 3)[0], save_every=10)
        assert np.allclose(res.x[k], one.x, rtol=1e-12, atol=1e-13)
    assert not (stimulus.ramp(0, 1, 1) + stimulus.step(1, 1)).piecewise_constant


def test_piecewise_constant_protocols_run_on_jax_like_on_numpy():
    pytest.importorskip("jax")
    net = _net()
    B = 4
    stims = [stimulus.constant([1.0, 0.6, 0.4])
             + stimulus.pulse(1.0, 2.0 + 0.0037 * k, 0.5 * k, neurons=[0, 2])
             + stimulus.from_array([0.0, 0.5, 1.5], [0.0, 0.1, -0.2], kind="hold")
             for k in range(B)]
    for method in ("rk4", "heun", "euler"):
        kw = {"dt": 0.01, "method": method, "save_every": 10}
        a = simulate_batch(net, np.zeros((B, 3)), (0.0, 3.0), u=stims, backend="numpy", **kw)
        b = simulate_batch(net, np.zeros((B, 3)), (0.0, 3.0), u=stims, backend="jax", **kw)
        assert b.backend == "jax"
        assert np.allclose(a.x, b.x, rtol=1e-13, atol=1e-14), method
    shared = stims[1]
    a = simulate_batch(net, np.zeros((2, 3)), (0.5, 3.0), dt=0.01, u=shared, backend="numpy")
    b = simulate_batch(net, np.zeros((2, 3)), (0.5, 3.0), dt=0.01, u=shared, backend="jax")
    assert np.allclose(a.x, b.x, rtol=1e-13, atol=1e-14)
