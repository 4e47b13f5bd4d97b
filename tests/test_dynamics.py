"""Tests of eicircuits.dynamics: every trajectory against an independent oracle.

Oracles: the closed form ``x* + e^{At}(x0 − x*)`` (``scipy.linalg.expm``) for linear networks;
``scipy.integrate.solve_ivp(method="DOP853", rtol=1e-11, atol=1e-13)`` for nonlinear ones; a
closed-form forced scalar solution for a time-dependent input; exact rational arithmetic for
the Butcher tableaux' order conditions; the compiled kernel against the NumPy loop.
"""

from __future__ import annotations

import argparse
import dataclasses
import math

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp
from scipy.linalg import expm

from eicircuits import (
    EICircuitsWarning,
    Linear,
    Logistic,
    Network,
    ReLU,
    SizeLimitError,
    Softplus,
    Tanh,
    ValidationError,
    simulate,
)
from eicircuits.activations import ClippedReLU
from eicircuits.dynamics import METHODS, STATUSES, TABLEAUX, Trajectory, _fixed_step, _kernels

FIXED = ["euler", "exp-euler", "heun", "midpoint", "rk4"]
ORDERS = {"euler": 1, "exp-euler": 1, "heun": 2, "midpoint": 2, "rk4": 4}
needs_numba = pytest.mark.skipif(not _kernels.available(), reason="numba is not installed")


# --------------------------------------------------------------------------- helpers
def ei_network(n_e: int, n_i: int, *, seed: int, act=None, tau=None, scale: float = 0.6,
               sparse: bool = False, u_scale: float = 1.0) -> Network:
    """A random E–I network with Dale signs and W − I stable (spectral radius of W < 1)."""
    rng = np.random.default_rng(seed)
    n = n_e + n_i
    W = rng.uniform(0.0, 1.0, (n, n))
    W[:, n_e:] *= -1.5
    W *= scale / max(abs(np.linalg.eigvals(W)).max(), 1e-12)
    u = u_scale * rng.uniform(0.2, 1.0, n)
    if tau is None:
        tau = rng.uniform(0.5, 2.0, n)
    return Network(W=sp.csr_array(W) if sparse else W, tau=tau, u=u,
                   activation=act if act is not None else ReLU(),
                   cell_types="E" * n_e + "I" * n_i)


def reference(net: Network, x0, t_eval, *, form: str = "rate", u=None) -> np.ndarray:
    """The DOP853 oracle at rtol=1e-11, atol=1e-13, shape (T, n)."""
    W = net.dense_W()
    uu = net.u if u is None else u

    def f(t, x):
        ut = uu(t) if callable(uu) else uu
        if form == "rate":
            return (-x + net.phi(W @ x + ut)) / net.tau
        return (-x + W @ net.phi(x) + ut) / net.tau

    sol = solve_ivp(f, (t_eval[0], t_eval[-1]), np.asarray(x0, float), method="DOP853",
                    t_eval=t_eval, rtol=1e-11, atol=1e-13)
    assert sol.success
    return sol.y.T


# --------------------------------------------------------------------------- tableaux
@pytest.mark.parametrize("name", sorted(TABLEAUX))
def test_tableau_invariants_hold_exactly(name):
    tab = TABLEAUX[name]
    assert tab.is_explicit()
    assert tab.is_consistent()
    assert tab.satisfied_order() == tab.order == ORDERS[name]
    A, b, c = tab.arrays()
    assert A.shape == (tab.stages, tab.stages) and b.shape == c.shape == (tab.stages,)
    assert math.isclose(b.sum(), 1.0)


def test_tableau_order_conditions_detect_a_wrong_weight():
    from fractions import Fraction

    bad = dataclasses.replace(TABLEAUX["rk4"], b=(Fraction(1, 6), Fraction(1, 3),
                                                  Fraction(1, 6), Fraction(1, 3)))
    assert bad.satisfied_order() < 4
    assert not dataclasses.replace(TABLEAUX["heun"], c=(Fraction(0), Fraction(1, 2))).is_consistent()


def test_methods_registry_lists_every_method():
    assert set(METHODS) == {"RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA", *FIXED,
                            "euler-maruyama", "stochastic-heun"}
    assert set(STATUSES) == {"success", "steady", "diverged", "max_steps", "failed"}


# --------------------------------------------------------------------------- linear oracle
def linear_case(seed: int = 0):
    rng = np.random.default_rng(seed)
    n = 4
    W = rng.normal(0, 0.4, (n, n))
    W -= (max(np.linalg.eigvals(W - np.eye(n)).real) + 0.3) * np.eye(n) * (
        max(np.linalg.eigvals(W - np.eye(n)).real) > -0.3)
    tau = rng.uniform(0.5, 2.0, n)
    u = rng.normal(0, 1, n)
    net = Network(W=W, tau=tau, u=u, activation=Linear())
    x0 = rng.normal(0, 1, n)
    A = (W - np.eye(n)) / tau[:, None]
    xs = np.linalg.solve(np.eye(n) - W, u)
    assert max(np.linalg.eigvals(A).real) < 0

    def exact(t):
        return np.array([xs + expm(A * s) @ (x0 - xs) for s in np.atleast_1d(t)])

    return net, x0, exact


@pytest.mark.parametrize("method", ["RK45", "DOP853", "LSODA", "BDF", "Radau", "RK23"])
def test_linear_network_matches_expm_adaptive(method):
    net, x0, exact = linear_case()
    t = np.linspace(0.0, 5.0, 11)
    tr = simulate(net, x0, (0.0, 5.0), method=method, t_eval=t, rtol=1e-10, atol=1e-12)
    assert tr.status == "success" and tr.method == method
    np.testing.assert_allclose(tr.t, t)
    tol = 1e-5 if method == "RK23" else 1e-7
    np.testing.assert_allclose(tr.x, exact(t), atol=tol)


@pytest.mark.parametrize("method", FIXED)
def test_linear_network_matches_expm_fixed(method):
    net, x0, exact = linear_case()
    tr = simulate(net, x0, (0.0, 5.0), method=method, dt=1e-3, save_every=500)
    np.testing.assert_allclose(tr.t, np.linspace(0.0, 5.0, 11), atol=1e-12)
    tol = {1: 5e-3, 2: 1e-5, 4: 1e-10}[ORDERS[method]]
    np.testing.assert_allclose(tr.x, exact(tr.t), atol=tol)


def test_equilibrium_of_linear_network_is_inverse_solution():
    net, x0, _ = linear_case(3)
    tr = simulate(net, x0, (0.0, 500.0), until_steady=1e-10, rtol=1e-10, atol=1e-12)
    assert tr.status == "steady"
    xs = np.linalg.solve(np.eye(net.n) - net.W, net.u)
    # ‖x − x*‖ ≤ ‖(I − W)⁻¹ τ‖ ‖ẋ‖
    gain = np.linalg.norm(np.linalg.solve(np.eye(net.n) - net.W, np.diag(net.tau)), np.inf)
    np.testing.assert_allclose(tr.final, xs, atol=gain * 1e-10)


def test_last_step_is_shortened_to_land_on_t1():
    net, x0, exact = linear_case(1)
    tr = simulate(net, x0, (0.0, 1.05), method="rk4", dt=0.1)
    assert tr.t[-1] == 1.05 and tr.steps == 11
    np.testing.assert_allclose(tr.t[:-1], 0.1 * np.arange(11), atol=1e-12)
    np.testing.assert_allclose(tr.final, exact(1.05)[0], atol=1e-5)


# --------------------------------------------------------------------------- nonlinear oracle
@pytest.mark.parametrize("act", [ReLU(), Tanh(), Logistic(), Softplus(), ClippedReLU(0.8)])
def test_nonlinear_adaptive_matches_dop853(act):
    net = ei_network(4, 2, seed=1, act=act, scale=1.4)
    x0 = np.random.default_rng(2).uniform(0, 1, net.n)
    t = np.linspace(0.0, 10.0, 21)
    ref = reference(net, x0, t)
    tr = simulate(net, x0, (0.0, 10.0), t_eval=t)
    assert tr.status == "success"
    np.testing.assert_allclose(tr.x, ref, atol=1e-6)


@pytest.mark.parametrize("method", FIXED)
def test_fixed_step_convergence_order(method):
    net = ei_network(3, 2, seed=4, act=Tanh(), scale=1.2)
    x0 = np.random.default_rng(5).uniform(-1, 1, net.n)
    ref = reference(net, x0, np.array([0.0, 2.0]))[-1]
    errs = []
    for dt in (0.1, 0.05, 0.025):
        tr = simulate(net, x0, (0.0, 2.0), method=method, dt=dt, save_every=10**6)
        errs.append(np.max(np.abs(tr.final - ref)))
    observed = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    p = ORDERS[method]
    assert np.all(np.abs(observed - p) < 0.25), (method, errs, observed)


def test_voltage_form_is_rate_form_mapped_by_W_with_equal_tau():
    net = ei_network(3, 2, seed=6, act=Tanh(), tau=1.7, scale=1.5)
    # a singular W too: THEORY says the map works for any W
    W = np.array(net.W)
    W[:, -1] = W[:, -2] * 0.5
    net = net.replace(W=W)
    x0 = np.random.default_rng(7).uniform(0, 1, net.n)
    t = np.linspace(0.0, 8.0, 17)
    rate = simulate(net, x0, (0.0, 8.0), t_eval=t, method="DOP853", rtol=1e-11, atol=1e-13)
    volt = simulate(net, net.W @ x0 + net.u, (0.0, 8.0), t_eval=t, form="voltage",
                    method="DOP853", rtol=1e-11, atol=1e-13)
    assert volt.form == "voltage" and rate.form == "rate"
    np.testing.assert_allclose(volt.x, rate.x @ net.W.T + net.u, atol=1e-9)
    np.testing.assert_allclose(rate.voltages(), volt.x, atol=1e-9)
    # the voltage trajectory against its own oracle
    np.testing.assert_allclose(volt.x, reference(net, volt.x[0], t, form="voltage"), atol=1e-8)
    # the rates of the voltage form are Φ(v)
    np.testing.assert_allclose(volt.rates(), net.phi(volt.x))


def test_voltage_map_with_time_dependent_input_needs_the_input_derivative():
    # v = W x + u(t) gives τ v̇ = −v + W Φ(v) + u + τ u̇: with a time-dependent input the rate
    # trajectory maps onto the voltage form driven by u + τ u̇, not by u
    # (docs/theory.md §1 assumes u
    # constant)
    net = ei_network(3, 2, seed=13, act=Tanh(), tau=0.8, scale=1.2)
    base = np.array(net.u)

    def u(t):
        return base * (1.0 + 0.5 * np.sin(2.0 * t))

    def u_tilde(t):
        return u(t) + 0.8 * base * np.cos(2.0 * t)

    x0 = np.random.default_rng(14).uniform(0, 1, net.n)
    t = np.linspace(0.0, 6.0, 13)
    opts = {"t_eval": t, "method": "DOP853", "rtol": 1e-11, "atol": 1e-13}
    rate = simulate(net, x0, (0.0, 6.0), u=u, **opts)
    v0 = net.W @ x0 + u(0.0)
    right = simulate(net, v0, (0.0, 6.0), u=u_tilde, form="voltage", **opts)
    wrong = simulate(net, v0, (0.0, 6.0), u=u, form="voltage", **opts)
    np.testing.assert_allclose(right.x, rate.voltages(), atol=1e-9)
    assert np.max(np.abs(wrong.x - rate.voltages())) > 1e-2


def test_voltage_map_needs_equal_time_constants():
    net = ei_network(3, 2, seed=6, act=Tanh(), scale=1.5)  # unequal tau
    x0 = np.random.default_rng(7).uniform(0, 1, net.n)
    t = np.linspace(0.0, 4.0, 9)
    rate = simulate(net, x0, (0.0, 4.0), t_eval=t, method="DOP853", rtol=1e-11, atol=1e-13)
    volt = simulate(net, net.W @ x0 + net.u, (0.0, 4.0), t_eval=t, form="voltage",
                    method="DOP853", rtol=1e-11, atol=1e-13)
    assert np.max(np.abs(volt.x - rate.voltages())) > 1e-3


@pytest.mark.parametrize("method", ["RK45", "LSODA", "BDF", "exp-euler", "rk4"])
def test_sparse_and_dense_give_the_same_trajectory(method):
    dense = ei_network(8, 2, seed=8, act=ReLU(), scale=1.3)
    sparse = dense.replace(W=sp.csr_array(dense.W))
    x0 = np.linspace(0, 1, dense.n)
    kw = {"dt": 0.01, "save_every": 50} if method in FIXED else {"t_eval": np.linspace(0, 5, 6)}
    a = simulate(dense, x0, (0.0, 5.0), method=method, **kw)
    b = simulate(sparse, x0, (0.0, 5.0), method=method, **kw)
    assert a.status == b.status == "success"
    np.testing.assert_allclose(a.x, b.x, atol=1e-9)


@pytest.mark.parametrize("method", ["RK45", "rk4"])
def test_time_dependent_input_matches_closed_form(method):
    # τ ẋ = −x + w x + sin t  (linear): x(t) = C e^{−a t/τ} + particular solution
    w, tau, x0 = -0.5, 2.0, 0.3
    a = (1 - w) / tau
    net = Network(W=[[w]], tau=tau, activation=Linear())

    def exact(t):
        # ẋ = −a x + sin(t)/τ
        A = 1.0 / tau
        part = A * (a * np.sin(t) - np.cos(t)) / (a * a + 1)
        c = x0 - A * (-1.0) / (a * a + 1)
        return c * np.exp(-a * t) + part

    t = np.linspace(0, 10, 21)
    kw = {"dt": 1e-3, "t_eval": t} if method == "rk4" else {"t_eval": t}
    tr = simulate(net, [x0], (0.0, 10.0), u=lambda s: np.array([np.sin(s)]), method=method, **kw)
    assert tr.status == "success" and callable(tr.u)
    np.testing.assert_allclose(tr.x[:, 0], exact(t), atol=1e-7)
    np.testing.assert_allclose(tr.voltages()[:, 0], w * tr.x[:, 0] + np.sin(t), atol=1e-12)


def test_constant_input_overrides_network_input():
    net = Network(W=[[0.0]], u=[5.0])
    tr = simulate(net, [0.0], (0.0, 100.0), u=[2.0], until_steady=1e-10, dt=0.5,
                  check_every=1)
    assert tr.status == "steady" and abs(tr.final[0] - 2.0) < 1e-10


# --------------------------------------------------------------------------- failures
@pytest.mark.parametrize("method,backend", [("RK45", "auto"), ("euler", "numpy"),
                                            ("exp-euler", "numpy"),
                                            pytest.param("rk4", "numba", marks=needs_numba)])
def test_runaway_excitation_is_reported_as_diverged(method, backend):
    net = Network(W=[[2.0]], cell_types="E", names=["e"])
    kw = {} if method == "RK45" else {"dt": 0.01, "backend": backend}
    tr = simulate(net, [1.0], (0.0, 100.0), method=method, **kw)
    assert tr.status == "diverged" and not tr.success
    assert np.all(np.isfinite(tr.x)) and np.all(np.abs(tr.x) <= 1e12)
    assert "neuron 0 ('e', type E)" in tr.message and "W − I" in tr.message
    # x(t) = e^t: it leaves 1e12 near t = ln 1e12 ≈ 27.6
    assert 26.5 < tr.t[-1] < 28.0
    if method == "RK45":
        np.testing.assert_allclose(tr.x[:, 0], np.exp(tr.t), rtol=1e-6)
    assert tr.final[0] > 1e11


def test_non_finite_activation_output_is_reported():
    armed = []  # the network checks an activation on samples: break it only afterwards

    @dataclasses.dataclass(frozen=True)
    class Broken(ReLU):
        def __call__(self, z):
            z = np.asarray(z, float)
            return np.where((z > 3.0) & bool(armed), np.nan, np.maximum(z, 0.0))

    net = Network(W=[[0.5]], u=[2.0], activation=Broken())
    armed.append(True)
    for kw in ({}, {"dt": 0.05}):
        tr = simulate(net, [0.0], (0.0, 20.0), **kw)
        assert tr.status == "diverged"
        assert "became non-finite" in tr.message
        assert np.all(np.isfinite(tr.x))


@pytest.mark.parametrize("kw", [{}, {"dt": 0.01}])
def test_max_steps_gives_partial_trajectory_and_advice(kw):
    net = ei_network(3, 1, seed=3)
    tr = simulate(net, np.zeros(4), (0.0, 100.0), max_steps=20, **kw)
    assert tr.status == "max_steps" and tr.steps == 20
    assert "increase max_steps" in tr.message
    assert tr.t[-1] < 100.0 and np.all(np.isfinite(tr.x))


def test_stiff_problem_fails_or_succeeds_honestly():
    # very unequal time constants: Radau copes, the explicit RK23 needs many steps
    net = Network(W=[[0.0, -1.0], [1.0, 0.0]], tau=[1.0, 1e-6], u=[1.0, 0.0])
    tr = simulate(net, [0.0, 0.0], (0.0, 5.0), method="Radau")
    assert tr.status == "success"
    tr2 = simulate(net, [0.0, 0.0], (0.0, 5.0), method="RK23", max_steps=200)
    assert tr2.status == "max_steps"


@pytest.mark.parametrize("kw", [{}, {"method": "BDF"}, {"dt": 0.01, "method": "euler"},
                                {"dt": 0.01, "method": "rk4", "check_every": 7}])
def test_until_steady_stops_at_the_equilibrium(kw):
    net = Network(W=[[0.5, -1.0], [1.0, -0.5]], u=[1.0, 0.5], cell_types="EI")
    xs = np.linalg.solve(np.eye(2) - net.W, net.u)
    assert np.all(xs > 0)  # both active: the ReLU network is linear there
    tr = simulate(net, np.zeros(2), (0.0, 1000.0), until_steady=1e-8, **kw)
    assert tr.status == "steady" and tr.success and tr.t[-1] < 1000.0
    assert np.max(np.abs(net.rate_field(tr.final))) < 1e-8
    np.testing.assert_allclose(tr.final, xs, atol=1e-7)


# --------------------------------------------------------------------------- saving
def test_fixed_step_t_eval_on_and_off_grid():
    net, x0, exact = linear_case(2)
    t = np.array([0.0, 0.5, 1.25, 2.0])
    tr = simulate(net, x0, (0.0, 2.0), method="rk4", dt=0.05, t_eval=t)
    np.testing.assert_allclose(tr.t, t, atol=1e-12)
    np.testing.assert_allclose(tr.x, exact(t), atol=1e-6)
    with pytest.warns(EICircuitsWarning, match="not on the grid"):
        tr = simulate(net, x0, (0.0, 2.0), method="rk4", dt=0.05, t_eval=[0.0, 0.52])
    np.testing.assert_allclose(tr.t, [0.0, 0.5], atol=1e-12)


def test_output_size_limit(monkeypatch):
    monkeypatch.setattr(_fixed_step, "MAX_OUTPUT_BYTES", 1000)
    net = ei_network(4, 1, seed=0)
    with pytest.raises(SizeLimitError, match="save fewer rows with save_every"):
        simulate(net, np.zeros(5), (0.0, 10.0), dt=0.01)


def test_to_xarray_labels_and_netcdf_round_trip(tmp_path):
    xr = pytest.importorskip("xarray")
    net = ei_network(2, 1, seed=0).replace(names=["e1", "e2", "i1"])
    tr = simulate(net, np.zeros(3), (0.0, 2.0), dt=0.1, save_every=5)
    da = tr.to_xarray()
    assert da.dims == ("time", "neuron") and da.name == "rate"
    assert list(da.neuron.values) == ["e1", "e2", "i1"]
    assert list(da.cell_type.values) == ["E", "E", "I"]
    np.testing.assert_array_equal(da.tau.values, net.tau)
    np.testing.assert_array_equal(da.values, tr.x)
    assert da.attrs["status"] == "success" and da.attrs["method"] == "exp-euler"
    assert da.attrs["dt"] == 0.1
    path = tmp_path / "t.nc"
    da.to_netcdf(path)
    back = xr.open_dataarray(path)
    np.testing.assert_array_equal(back.values, tr.x)
    assert back.attrs["network_fingerprint"] == net.fingerprint()
    back.close()
    untyped = simulate(Network(W=[[0.0]]), [1.0], (0.0, 1.0), form="voltage").to_xarray()
    assert "cell_type" not in untyped.coords and untyped.name == "voltage"


def test_trajectory_summary_and_repr():
    tr = simulate(Network(W=[[0.0]], u=[1.0]), [0.0], (0.0, 1.0))
    assert isinstance(tr, Trajectory)
    assert "status    success" in tr.summary() and "RK45" in repr(tr)
    with pytest.raises(ValueError, match="read-only"):
        tr.x[0, 0] = 1.0


# --------------------------------------------------------------------------- checkpoints
def test_interrupted_run_resumed_from_checkpoint_equals_uninterrupted(tmp_path):
    net = ei_network(6, 2, seed=9, act=Tanh(), scale=1.3)
    x0 = np.linspace(-0.5, 0.5, net.n)
    base = np.array(net.u)

    def u(t):
        return base * (1.0 + 0.3 * np.sin(t))

    kw = {"u": u, "method": "rk4", "dt": 0.01, "save_every": 10}
    full = simulate(net, x0, (0.0, 20.0), **kw)
    ck = tmp_path / "run.npz"

    calls = {"n": 0}

    def interrupting(t):
        calls["n"] += 1
        if calls["n"] == 4 * 1200:
            raise KeyboardInterrupt
        return u(t)

    with pytest.raises(KeyboardInterrupt):
        simulate(net, x0, (0.0, 20.0), **{**kw, "u": interrupting}, checkpoint=ck,
                 checkpoint_interval=0.0)
    assert ck.exists()
    with np.load(ck) as data:
        assert 0 < int(data["s"]) < 2000
    resumed = simulate(net, x0, (0.0, 20.0), **kw, checkpoint=ck, resume=True)
    assert resumed.status == "success" and resumed.steps == full.steps == 2000
    np.testing.assert_array_equal(resumed.t, full.t)
    np.testing.assert_array_equal(resumed.x, full.x)


@pytest.mark.parametrize("backend", ["numpy", pytest.param("numba", marks=needs_numba)])
def test_max_steps_then_resume_with_more_steps(tmp_path, backend):
    net = ei_network(5, 2, seed=10, sparse=True)
    x0 = np.zeros(net.n)
    kw = {"method": "exp-euler", "dt": 0.02, "save_every": 7, "backend": backend}
    full = simulate(net, x0, (0.0, 10.0), **kw)
    ck = tmp_path / "ck.npz"
    part = simulate(net, x0, (0.0, 10.0), **kw, max_steps=123, checkpoint=ck)
    assert part.status == "max_steps" and "resume=True" in part.message
    rest = simulate(net, x0, (0.0, 10.0), **kw, checkpoint=ck, resume=ck)
    np.testing.assert_array_equal(rest.x, full.x)
    np.testing.assert_array_equal(rest.t, full.t)
    # resuming a finished run returns the same result again
    again = simulate(net, x0, (0.0, 10.0), **kw, checkpoint=ck, resume=True)
    np.testing.assert_array_equal(again.x, full.x)


def test_resume_refuses_a_checkpoint_of_another_run(tmp_path):
    net = ei_network(3, 1, seed=11)
    ck = tmp_path / "ck.npz"
    simulate(net, np.zeros(4), (0.0, 1.0), dt=0.1, checkpoint=ck)
    with pytest.raises(ValidationError, match="written for a different run"):
        simulate(net, np.ones(4), (0.0, 1.0), dt=0.1, resume=ck)
    with pytest.raises(ValidationError, match="does not exist"):
        simulate(net, np.zeros(4), (0.0, 1.0), dt=0.1, resume=tmp_path / "nope.npz")
    with pytest.raises(ValidationError, match="resume=True needs checkpoint"):
        simulate(net, np.zeros(4), (0.0, 1.0), dt=0.1, resume=True)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValidationError, match="cannot read checkpoint"):
        simulate(net, np.zeros(4), (0.0, 1.0), dt=0.1, resume=tmp_path / "junk.npz")


# --------------------------------------------------------------------------- numba kernel
@needs_numba
@pytest.mark.parametrize("method", FIXED)
@pytest.mark.parametrize("form", ["rate", "voltage"])
def test_numba_kernel_matches_numpy_loop(method, form):
    acts = [ReLU(), Tanh(), Logistic(), Softplus(), ClippedReLU(0.7), Linear(), ReLU(),
            Tanh()]
    net = ei_network(6, 2, seed=12, act=acts, scale=1.2)
    x0 = np.linspace(-0.3, 0.8, net.n)
    for W in (net.W, sp.csr_array(net.W)):
        netw = net.replace(W=W)
        a = simulate(netw, x0, (0.0, 3.0), method=method, dt=0.01, form=form, backend="numpy")
        b = simulate(netw, x0, (0.0, 3.05), method=method, dt=0.01, form=form, backend="numba")
        c = simulate(netw, x0, (0.0, 3.05), method=method, dt=0.01, form=form, backend="numpy")
        np.testing.assert_allclose(b.x, c.x, rtol=0, atol=1e-12)
        np.testing.assert_allclose(a.x, c.x[: len(a.x)], rtol=0, atol=1e-12)


def test_backend_choice_rules():
    net = ei_network(3, 1, seed=0)
    prob = dataclasses.replace(_problem_of(net), u=lambda t: np.ones(4))
    assert _fixed_step.choose_backend(prob, "auto", 1e12)[0] == "numpy"
    with pytest.raises(ValidationError, match="u\\(t\\) depends on time"):
        _fixed_step.choose_backend(prob, "numba", 1.0)
    assert _fixed_step.choose_backend(_problem_of(net), "auto", 10.0)[0] == "numpy"
    if _kernels.available():
        assert _fixed_step.choose_backend(_problem_of(net), "auto", 1e12)[0] == "numba"
        custom = net.replace(activation=dataclasses.make_dataclass(
            "MyReLU", [], bases=(ReLU,), frozen=True)())
        with pytest.raises(ValidationError, match="not one of the built-in"):
            _fixed_step.choose_backend(_problem_of(custom), "numba", 1.0)


def _problem_of(net):
    from eicircuits.dynamics._problem import Problem

    return Problem(net=net, form="rate", x0=np.zeros(net.n), t0=0.0, t1=1.0, u=net.u,
                   bound=1e12)


# --------------------------------------------------------------------------- properties
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), dt=st.floats(0.05, 3.0))
def test_exp_euler_keeps_logistic_rates_in_range_for_any_step(seed, dt):
    # x ← T + (x − T)e^{−dt/τ} is a convex combination of x and T ∈ (0, 1)
    net = ei_network(4, 2, seed=seed, act=Logistic(), scale=3.0)
    x0 = np.random.default_rng(seed).uniform(0, 1, net.n)
    tr = simulate(net, x0, (0.0, 20.0), method="exp-euler", dt=dt)
    assert tr.status == "success"
    assert np.all((tr.x >= 0.0) & (tr.x <= 1.0))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_rk4_matches_dop853_on_random_ei_networks(seed):
    net = ei_network(3, 2, seed=seed, act=ReLU(), scale=1.5)
    x0 = np.random.default_rng(seed + 1).uniform(0, 1, net.n)
    t = np.linspace(0.0, 4.0, 5)
    tr = simulate(net, x0, (0.0, 4.0), method="rk4", dt=0.005, t_eval=t)
    # ReLU kinks limit the order; 1e-6 is still far below the trajectories' scale
    np.testing.assert_allclose(tr.x, reference(net, x0, t), rtol=1e-6, atol=1e-6)


# --------------------------------------------------------------------------- bad input
def test_bad_inputs_raise_naming_the_parameter():
    net = Network(W=[[0.5, -1.0], [1.0, -0.5]], cell_types="EI")
    x0 = np.zeros(2)
    cases = [
        ({"x0": np.zeros(3)}, r"x0: expected shape \(2,\).*got shape \(3,\)"),
        ({"x0": [0.0, np.nan]}, r"x0: every entry must be finite; x0\[1\] = nan"),
        ({"x0": "ab"}, "x0: expected a vector of numbers"),
        ({"t_span": (1.0, 1.0)}, "t_span: need t1 > t0, got t0 = 1, t1 = 1"),
        ({"t_span": (2.0, 1.0)}, "t_span: need t1 > t0"),
        ({"t_span": (0.0, np.inf)}, "t_span: t0 and t1 must be finite"),
        ({"t_span": 5.0}, r"t_span: expected \(t0, t1\)"),
        ({"dt": 0.0}, "dt: must be a finite number > 0, got 0.0"),
        ({"dt": -0.1, "method": "euler"}, "dt: must be a finite number > 0"),
        ({"method": "rk5"}, "method: unknown method 'rk5'; expected one of 'auto', 'RK23'"),
        ({"method": "rk4"}, "dt: the fixed-step method 'rk4' needs a step"),
        ({"form": "current"}, "form: expected 'rate' or 'voltage', got 'current'"),
        ({"rtol": -1.0}, "rtol: must be a finite number > 0"),
        ({"max_steps": 0}, r"max_steps: expected an integer ≥ 1, got 0"),
        ({"until_steady": -1e-3}, "until_steady: must be a finite number > 0"),
        ({"bound": "big"}, "bound: expected a number > 0"),
        ({"u": [1.0, 2.0, 3.0]}, r"u: expected shape \(2,\)"),
        ({"u": [1.0, np.inf]}, r"u: every entry must be finite; u\[1\] = inf"),
        ({"u": lambda t: np.zeros(3)}, r"u: a callable input must return shape \(2,\)"),
        ({"t_eval": [0.5, 0.2]}, "t_eval: times must be sorted"),
        ({"t_eval": [0.0, 5.0]}, r"t_eval: times must lie in t_span = \[0, 1\]"),
        ({"t_eval": [], "dt": 0.1}, "t_eval: expected a non-empty array"),
        ({"t_eval": [0.5], "dt": 0.1, "save_every": 2}, "give either t_eval or save_every"),
        ({"dt": 0.1, "save_every": 0}, "save_every: expected an integer ≥ 1"),
        ({"dt": 0.1, "backend": "cuda"}, "backend: expected one of"),
        ({"threads": 0}, "threads: must be 'auto', None or an integer ≥ 1, got 0"),
        ({"dt": 0.1, "checkpoint_interval": -1}, "checkpoint_interval: expected seconds ≥ 0"),
    ]
    for kw, match in cases:
        args = {"x0": x0, "t_span": (0.0, 1.0)}
        args.update(kw)
        with pytest.raises(ValidationError, match=match):
            simulate(net, args.pop("x0"), args.pop("t_span"), **args)
    with pytest.raises(ValidationError, match=r"net: expected an eicircuits\.Network"):
        simulate(np.eye(2), x0, (0.0, 1.0))


def test_time_dependent_input_checked_during_the_run():
    net = Network(W=[[0.0]])

    def u(t):
        return np.array([np.nan]) if t > 0.5 else np.array([1.0])

    for kw in ({}, {"dt": 0.1}):
        with pytest.raises(ValidationError, match=r"u: u\(t\) must return a finite vector"):
            simulate(net, [0.0], (0.0, 1.0), u=u, **kw)


def test_options_without_effect_warn():
    net = Network(W=[[0.0]])
    with pytest.warns(EICircuitsWarning, match="dt, save_every: no effect with the adaptive"):
        simulate(net, [0.0], (0.0, 1.0), method="RK45", dt=0.1, save_every=3)


# --------------------------------------------------------------------------- threads
def test_blas_thread_helpers():
    from threadpoolctl import threadpool_info

    from eicircuits._threads import auto_blas_threads, blas_threads, resolve_threads

    assert auto_blas_threads(np.zeros((10, 10))) == 1
    assert auto_blas_threads(np.zeros((3000, 3000))) is None
    assert auto_blas_threads(sp.eye_array(10, format="csr")) is None
    assert resolve_threads("auto", np.zeros((5, 5))) == 1
    assert resolve_threads(None, np.zeros((5, 5))) is None
    assert resolve_threads(3, np.zeros((5, 5))) == 3
    for bad in (0, -1, 1.5, True, "many"):
        with pytest.raises(ValidationError, match="threads: must be"):
            resolve_threads(bad, np.zeros((5, 5)))
    with blas_threads(1):
        blas = [d for d in threadpool_info() if d["user_api"] == "blas"]
        assert all(d["num_threads"] == 1 for d in blas)


# --------------------------------------------------------------------------- CLI
def _cli(argv):
    from eicircuits.cli import simulate as cmd

    parser = argparse.ArgumentParser()
    cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["simulate", *argv])
    return args.func(args)


def test_cli_simulate_writes_netcdf(tmp_path, capsys):
    xr = pytest.importorskip("xarray")
    spec = tmp_path / "c.toml"
    spec.write_text('[network]\nW = [[0.5, -1.0], [1.0, -0.5]]\nu = [1.0, 0.5]\n'
                    'cell_types = "EI"\nnames = ["e", "i"]\n', encoding="utf-8")
    out = tmp_path / "out"
    rc = _cli([str(spec), "--t-end", "20", "--dt", "0.01", "--save-every", "100",
               "--x0", "0.1", "0.2", "--out", str(out), "--quiet"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "status    success" in text and "simulate.nc" in text
    da = xr.open_dataarray(out / "simulate.nc")
    assert da.dims == ("time", "neuron") and list(da.neuron.values) == ["e", "i"]
    assert da.sizes["time"] == 21 and da.attrs["method"] == "exp-euler"
    np.testing.assert_allclose(da.values[0], [0.1, 0.2])
    np.testing.assert_allclose(da.values[-1], [4 / 7, 5 / 7], atol=1e-6)
    da.close()
    # a diverging circuit: partial trajectory written, exit status 1
    spec.write_text('[network]\nW = [[2.0]]\n', encoding="utf-8")
    # (a fresh folder for every run: a folder holding results is not overwritten silently)
    assert _cli([str(spec), "--t-end", "60", "--x0", "1", "--out", str(out) + "2",
                 "--quiet"]) == 1
    assert "diverged" in capsys.readouterr().err
    with pytest.raises(ValidationError, match="--x0: expected 1 or 1 values"):
        _cli([str(spec), "--x0", "1", "2", "--out", str(out) + "3", "--quiet"])
    with pytest.raises(ValidationError, match="method: unknown method 'nope'"):
        _cli([str(spec), "--method", "nope", "--out", str(out) + "4", "--quiet"])
    with pytest.raises(ValidationError, match="--resume: needs --checkpoint"):
        _cli([str(spec), "--resume", "--out", str(out) + "5", "--quiet"])


def test_cli_simulate_checkpoint_and_resume(tmp_path, capsys):
    spec = tmp_path / "c.toml"
    spec.write_text('[network]\nW = [[0.5, -1.0], [1.0, -0.5]]\nu = [1.0, 0.5]\n',
                    encoding="utf-8")
    ck = tmp_path / "ck.npz"
    common = [str(spec), "--t-end", "10", "--dt", "0.01", "--quiet", "--backend", "numpy",
              "--checkpoint", str(ck)]
    assert _cli([*common, "--max-steps", "300", "--out", str(tmp_path / "o1")]) == 1
    assert "max_steps" in capsys.readouterr().err and ck.exists()
    assert _cli([*common, "--resume", "--out", str(tmp_path / "o2")]) == 0
    assert "1000 steps" in capsys.readouterr().out


@needs_numba
def test_numba_kernel_flushes_silent_neurons_to_zero_before_subnormals():
    net = Network(W=[[0.0]], u=[-1.0])  # ReLU: silent, x halves every step of dt = τ/2
    kw = {"method": "euler", "dt": 0.5, "save_every": 10**6}
    exact = simulate(net, [1.0], (0.0, 500.0), backend="numpy", **kw).final[0]
    assert exact == 0.5**1000 > 0.0
    assert simulate(net, [1.0], (0.0, 500.0), backend="numba", **kw).final[0] == 0.0


def test_cli_main_dispatches_simulate_and_reports_bad_input(tmp_path, capsys):
    from eicircuits.cli import main

    spec = tmp_path / "c.toml"
    spec.write_text('[network]\nW = [[0.5]]\nu = [1.0]\n', encoding="utf-8")
    out = str(tmp_path / "o")
    assert main(["simulate", str(spec), "--t-end", "5", "--quiet", "--out", out]) == 0
    assert main(["simulate", str(spec), "--dt", "-1", "--quiet", "--out", out + "2"]) == 2
    assert "simulate: error: dt: must be a finite number > 0" in capsys.readouterr().err


# --------------------------------------------------------------------------- kernel speed-ups
@needs_numba
def test_uniform_activation_loop_is_bit_identical_to_the_per_neuron_loop():
    """The kernel's loop for one shared activation (codes of length 1) gives the same bits as
    its per-neuron loop, for every built-in activation, with and without gain/threshold; the
    logistic's vectorised exp stays within 4 ulp of scipy's expit (and keeps NaN)."""
    from scipy.special import expit

    from eicircuits import PowerLaw
    from eicircuits.dynamics._numba_kernels import phi_inplace

    z = np.linspace(-3.0, 3.0, 37)
    for act in (ReLU(), ClippedReLU(0.7), Linear(), Tanh(), Logistic(), Softplus(),
                PowerLaw(0.3, 2.0), Logistic(gain=0.5, threshold=0.4),
                ReLU(gain=0.5, threshold=-0.3)):
        codes, params = _kernels.activation_codes((act,) * z.size)
        per, one = z.copy(), z.copy()
        phi_inplace(per, codes, params, np.empty(z.size))
        phi_inplace(one, codes[:1].copy(), params[:1].copy(), np.empty(z.size))
        np.testing.assert_allclose(one, act(z), rtol=1e-14, atol=1e-15)  # the Python oracle
        if not isinstance(act, Logistic):
            assert np.array_equal(per, one), act
    # the logistic over its whole range, against expit in ulp (values above 1e-290)
    rng = np.random.default_rng(0)
    z = np.concatenate([np.linspace(-180.0, 180.0, 20_001), rng.normal(0.0, 2.0, 20_000),
                        [-np.inf, np.inf, 0.0, -0.0]])
    codes, params = _kernels.activation_codes((Logistic(),))
    got = z.copy()
    phi_inplace(got, codes, params, np.empty(z.size))
    ref = expit(4.0 * z)
    big = ref > 1e-290
    assert np.max(np.abs(got - ref)[big] / np.spacing(ref[big])) <= 4.0
    assert np.all(np.abs(got - ref)[~big] <= 1e-290)
    nan = np.array([1.0, np.nan, -2.0])
    phi_inplace(nan, codes, params, np.empty(3))
    assert np.isnan(nan[1]) and np.isfinite(nan[[0, 2]]).all()


@needs_numba
@pytest.mark.parametrize("n", [1, 3, 4, 7, 13])
@pytest.mark.parametrize("form", ["rate", "voltage"])
def test_blocked_dense_matvec_matches_numpy_for_every_remainder(n, form):
    # the dense product runs four rows at a time, then the n mod 4 remaining rows
    rng = np.random.default_rng(n)
    W = rng.normal(0.0, 0.6 / math.sqrt(n), (n, n))
    net = Network(W=W, u=rng.uniform(0, 1, n), tau=rng.uniform(0.5, 2, n),
                  activation=Logistic(gain=0.8, threshold=0.2))
    x0 = rng.uniform(0, 1, n)
    kw = {"method": "rk4", "dt": 0.01, "form": form}
    a = simulate(net, x0, (0.0, 2.0), backend="numba", **kw)
    b = simulate(net, x0, (0.0, 2.0), backend="numpy", **kw)
    np.testing.assert_allclose(a.x, b.x, rtol=0, atol=1e-13)


def test_dense_to_csr_switch_depends_on_size_and_density(monkeypatch):
    rng = np.random.default_rng(3)

    def dense_with(n, density):
        W = np.zeros((n, n))
        W.flat[rng.choice(n * n, round(density * n * n), replace=False)] = 1.0
        return W

    # W in the cache (n = 160, 1.6 % of CSR_CACHE_BYTES): the dense loop up to 10 % zeros...
    assert not _fixed_step._prefer_csr(dense_with(160, 0.26))  # the 160-neuron benchmark
    assert not _fixed_step._prefer_csr(dense_with(160, 0.2))
    assert _fixed_step._prefer_csr(dense_with(160, 0.05))
    # ... beyond it (n = 1500, 18 MB) the CSR loop up to 30 %
    assert _fixed_step._prefer_csr(dense_with(1500, 0.25))
    assert not _fixed_step._prefer_csr(dense_with(1500, 0.4))
    if not _kernels.available():
        return
    # either loop gives the same trajectory (to rounding) as the NumPy reference
    n = 40
    W = dense_with(n, 0.2) * rng.normal(0.0, 0.5, (n, n))
    net = Network(W=W, u=rng.uniform(0, 1, n), activation=Tanh())
    x0 = rng.uniform(-1, 1, n)
    ref = simulate(net, x0, (0.0, 3.0), method="heun", dt=0.01, backend="numpy")
    for cached in (0.0, 1.0):  # never / always CSR
        monkeypatch.setattr(_fixed_step, "CSR_DENSITY_CACHED", cached)
        got = simulate(net, x0, (0.0, 3.0), method="heun", dt=0.01, backend="numba")
        np.testing.assert_allclose(got.x, ref.x, rtol=0, atol=1e-13)


@needs_numba
@pytest.mark.parametrize("method", ["euler", "exp-euler", "rk4"])
def test_kernel_reports_the_first_bad_neuron_as_the_numpy_loop_does(method):
    # the kernel checks bounds by a vectorised reduction and searches the neuron only then
    W = np.diag([0.5, -0.2, 0.3, 2.0, 0.1, 2.0])  # neurons 3 and 5 run away together
    net = Network(W=W, u=[0.1, 0.2, 0.3, 0.0, 0.5, 0.0], activation=Linear())
    x0 = [0.0, 0.0, 0.0, 1.0, 0.0, 0.5]
    runs = [simulate(net, x0, (0.0, 60.0), method=method, dt=0.01, backend=b)
            for b in ("numba", "numpy")]
    for tr in runs:
        assert tr.status == "diverged" and "neuron 3" in tr.message, tr.message
        assert np.all(np.isfinite(tr.x)) and np.all(np.abs(tr.x) <= 1e12)
    assert runs[0].steps == runs[1].steps and runs[0].message == runs[1].message
    np.testing.assert_allclose(runs[0].x, runs[1].x, rtol=1e-12)
    # a NaN (inf − inf in the product) is caught too, at the neuron where it appears
    nan_net = Network(W=[[0.0, 0.0, 0.0], [1e300, 0.0, -1e300], [0.0, 0.0, 0.0]],
                      activation=Linear())
    runs = [simulate(nan_net, [1e10, 0.0, 1e10], (0.0, 1.0), method=method, dt=0.1,
                     backend=b) for b in ("numba", "numpy")]
    for tr in runs:
        assert tr.status == "diverged" and "non-finite" in tr.message
        assert np.all(np.isfinite(tr.x))
    assert runs[0].message == runs[1].message  # rk4's later stages spread it to neuron 0
    if method != "rk4":
        assert "neuron 1" in runs[0].message


# ------------------------------------------------------------ the simulate command's summary
_SIM_TINY = '[network]\nW = [[0.5, -1.0], [1.0, -0.5]]\nu = [1.0, 0.0]\ncell_types = "EI"\n'


def _sim_spec(tmp_path) -> str:
    spec = tmp_path / "tiny.toml"
    spec.write_text(_SIM_TINY, encoding="utf-8")
    return str(spec)


def test_simulate_cli_refuses_a_negative_t_end_before_printing(tmp_path, capsys) -> None:
    from eicircuits.cli import main

    assert main(["simulate", _sim_spec(tmp_path), "--t-end", "-5",
                 "--out", str(tmp_path / "o")]) == 2
    cap = capsys.readouterr()
    assert "simulating" not in cap.out + cap.err and "--t-end" in cap.err
    assert not (tmp_path / "o").exists()
    assert main(["simulate", _sim_spec(tmp_path), "--dt", "0", "--out", str(tmp_path / "o")]) == 2
    assert "--dt step" in capsys.readouterr().err
    # white input noise has no continuum limit: refused up front, with the flags that fix it
    assert main(["simulate", _sim_spec(tmp_path), "--dt", "0.01", "--noise", "1",
                 "--noise-kind", "input", "--out", str(tmp_path / "o")]) == 2
    cap = capsys.readouterr()
    assert "--noise-tau" in cap.err and "simulating" not in cap.err and "Noise(" not in cap.err


def test_simulate_cli_warns_about_large_output_and_names_a_save_every(tmp_path, capsys,
                                                                      monkeypatch) -> None:
    """The estimate is the number of rows actually saved; the K it names brings it below."""
    import xarray as xr

    from eicircuits import _limits
    from eicircuits.cli import main
    from eicircuits.cli.simulate import saved_bytes
    from eicircuits.spec import load_spec

    spec = _sim_spec(tmp_path)
    for k in (None, 1, 7, 100, 1000):  # the estimate against what simulate saves
        traj = simulate(load_spec(spec), np.zeros(2), (0.0, 1.0), dt=0.01, save_every=k)
        assert saved_bytes(1.0, 0.01, 2, k) == len(traj.t) * 2 * 8
    monkeypatch.setattr(_limits, "SIMULATE_WARN_BYTES", 1000)  # 101 rows × 2 × 8 = 1616 bytes
    assert main(["simulate", spec, "--dt", "0.01", "--t-end", "1", "--quiet",
                 "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "--save-every 17" in err
    assert main(["simulate", spec, "--dt", "0.01", "--t-end", "1", "--quiet",
                 "--save-every", "17", "--out", str(tmp_path / "b")]) == 0
    assert "warning" not in capsys.readouterr().err
    with xr.open_dataarray(tmp_path / "b" / "simulate.nc") as da:
        assert da.values.nbytes == saved_bytes(1.0, 0.01, 2, 17) <= 1000


def test_simulate_cli_summary_means_settling_and_negative_noisy_rates(tmp_path, capsys) -> None:
    import re

    import xarray as xr

    from eicircuits import equilibrium
    from eicircuits.cli import main
    from eicircuits.spec import load_spec

    spec = _sim_spec(tmp_path)
    net = load_spec(spec)
    assert main(["simulate", spec, "--t-end", "60", "--quiet", "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    x_eq = equilibrium(net).x  # exact oracle (LCP); the run from rest has settled on it
    with xr.open_dataarray(tmp_path / "a" / "simulate.nc") as da:
        final = da.values[-1]
    np.testing.assert_allclose(final, x_eq, atol=1e-6)
    assert f"mean rate E {final[0]:.6g}, I {final[1]:.6g}" in out
    assert "settled (< 1e-6)" in out and "NOT settled" not in out
    assert main(["simulate", spec, "--t-end", "0.5", "--quiet", "--out", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    # ‖ẋ‖∞ at t = 0.5 against a finite difference of an accurate solve_ivp run
    sol = solve_ivp(lambda t, x: net.rate_field(x), (0.0, 0.5 + 1e-4), np.zeros(2),
                    rtol=1e-11, atol=1e-13, dense_output=True)
    speed = np.max(np.abs((sol.sol(0.5 + 1e-5) - sol.sol(0.5 - 1e-5)) / 2e-5))
    printed = float(re.search(r"final ‖ẋ‖∞ = (\S+)", out).group(1))
    assert "NOT settled" in out and printed == pytest.approx(speed, rel=2e-3)
    assert main(["simulate", spec, "--dt", "0.01", "--t-end", "5", "--noise", "1", "--seed", "0",
                 "--quiet", "--out", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    with xr.open_dataarray(tmp_path / "c" / "simulate.nc") as da:
        assert float(da.min()) < 0 and "rates went below 0" in out
    assert main(["simulate", spec, "--dt", "0.01", "--t-end", "5", "--noise", "1", "--seed", "0",
                 "--noise-kind", "input", "--noise-tau", "0.5", "--quiet",
                 "--out", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    with xr.open_dataarray(tmp_path / "d" / "simulate.nc") as da:
        assert float(da.min()) >= 0 and "below 0" not in out
