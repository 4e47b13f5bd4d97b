"""Synaptic delays: the model, the simulation against independent oracles, stability facts.

Oracles: the method of steps (``solve_ivp`` DOP853 on successive intervals of the shortest
delay, the delayed states read from the dense output of the earlier intervals), written here;
the closed-form critical delay of ``ẋ = −x − w x(t − d)``, ``d_c = arccos(−1/w)/√(w² − 1)``,
and its characteristic roots through the Lambert W function; the exact critical delay of a
linearised E–I pair (its eigenvalues ``μ`` with ``|μ| > 1``: ``λ = iω`` solves
``iω + 1 = μ e^{−iωd}``); ``eicircuits.equilibrium`` for the equilibria.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.integrate import solve_ivp
from scipy.special import lambertw

from eicircuits import Network, ValidationError, equilibrium, simulate, simulate_batch
from eicircuits.dynamics import Delays


# --------------------------------------------------------------------------- the model
def test_every_form_of_delays_is_normalised_per_synapse():
    W = [[0.5, -1.0, 0.0], [1.0, 0.0, 0.3], [0.2, -0.4, 0.0]]
    types = "EIE"
    net = Network(W=W, cell_types=types, delays=2.0)
    assert net.has_delays and set(net.delays.values) == {2.0} and net.delays.values.size == 6
    by_type = Network(W=W, cell_types=types, delays={"E": 1.0, "i": 0.5}).delays.to_dense()
    assert np.array_equal(by_type, np.where(np.array(W) != 0, [1.0, 0.5, 1.0], 0.0))
    per_pre = Network(W=W, delays=[1.0, 2.0, 3.0]).delays.to_dense()
    assert np.array_equal(per_pre, np.where(np.array(W) != 0, [1.0, 2.0, 3.0], 0.0))
    D = np.arange(9.0).reshape(3, 3)
    assert np.array_equal(Network(W=W, delays=D).delays.to_dense(),
                          np.where(np.array(W) != 0, D, 0.0))
    sparse = Network(W=sp.csr_array(np.array(W)), delays=sp.csr_array(D))
    assert np.array_equal(sparse.delays.to_dense(), np.where(np.array(W) != 0, D, 0.0))
    assert Network(W=W, delays=0.0).delays is None and not Network(W=W).has_delays
    moved = net.with_input([1.0, 1.0, 1.0])
    assert isinstance(moved.delays, Delays) and moved.delays.max == 2.0
    groups = sparse.delays.groups(sparse.W)
    assert np.allclose(sum(g.toarray() for _, g in groups), np.array(W))


@pytest.mark.parametrize("delays, match", [
    (-1.0, "every delay must be finite and ≥ 0"),
    (math.nan, "every delay must be finite and ≥ 0"),
    ({"E": 1.0}, "needs cell_types"),
    ([1.0, 2.0], r"shape \(3,\)"),
    ("1.0", "expected a number, mapping or array"),
    (np.ones((2, 2)), r"shape \(3,\)"),
])
def test_bad_delays_are_refused_with_a_message(delays, match):
    with pytest.raises(ValidationError, match=match):
        Network(W=np.eye(3) * 0.5, delays=delays)


def test_mapping_must_cover_the_types_present():
    with pytest.raises(ValidationError, match="no delay for presynaptic type 'I'"):
        Network(W=[[0.5, -1.0], [1.0, -0.5]], cell_types="EI", delays={"E": 1.0})
    with pytest.raises(ValidationError, match="unknown cell type 'X'"):
        Network(W=[[0.5, -1.0], [1.0, -0.5]], cell_types="EI", delays={"E": 1, "I": 1, "X": 1})


def test_equilibria_do_not_depend_on_delays():
    W = [[0.5, -1.0], [1.0, -0.5]]
    plain = Network(W=W, u=[1.0, 0.5], cell_types="EI")
    delayed = Network(W=W, u=[1.0, 0.5], cell_types="EI", delays={"E": 0.7, "I": 1.3})
    x = equilibrium(plain).x
    assert np.allclose(equilibrium(delayed).x, x, atol=1e-12)
    run = simulate(delayed, [0.0, 0.0], (0.0, 80.0), dt=0.01, method="rk4", save_every=8000)
    assert np.allclose(run.final, x, atol=1e-9)


# --------------------------------------------------------------------------- method of steps
def method_of_steps(net, x0, t1, *, history=None, t_eval):
    """Independent reference: DOP853 between breakpoints, the delayed states read from the
    dense output of earlier pieces (left limits at the end of each piece)."""
    D = net.delays.to_dense()
    W = np.asarray(net.W.toarray() if sp.issparse(net.W) else net.W)
    dmin = net.delays.min_positive
    cuts = {t1}
    for d in net.delays.distinct:
        if d > 0:
            cuts.update(float(v) for v in np.arange(d, t1, d))
    cuts.update(float(v) for v in np.arange(dmin, t1, dmin))
    edges = [0.0, *sorted(c for c in cuts if 1e-12 < c <= t1)]
    pieces = []  # (a, b, dense solution)

    def past(t, left=False):
        if t < -1e-12 or (left and history is not None and t <= 1e-12):
            return np.asarray(x0, dtype=float) if history is None else history(min(t, 0.0))
        if t <= 1e-12:
            return np.asarray(x0, dtype=float)  # x(t0) = x0 (the history may jump there)
        for a, b, sol in pieces:
            if a - 1e-12 <= t <= b + 1e-12:
                return sol(min(max(t, a), b))
        raise AssertionError("not yet integrated")

    def rhs(t, y, mid):
        drive = net.u.copy()
        for i in range(net.n):
            for j in range(net.n):
                if W[i, j] != 0.0:
                    xj = y[j] if D[i, j] == 0.0 else past(t - D[i, j], t > mid)[j]
                    drive[i] += W[i, j] * xj
        return (-y + net.phi(drive)) / net.tau

    y = np.asarray(x0, dtype=float)
    for a, b in itertools.pairwise(edges):
        sol = solve_ivp(rhs, (a, b), y, method="DOP853", rtol=1e-12, atol=1e-13,
                        dense_output=True, args=(0.5 * (a + b),))
        pieces.append((a, b, sol.sol))
        y = sol.y[:, -1]
    return np.array([past(t) for t in t_eval])


def _delayed_pair(**kw) -> Network:
    return Network(W=[[0.8, -1.4], [1.2, -0.6]], u=[1.0, 0.3], tau=[1.0, 0.6],
                   activation="tanh", cell_types="EI", delays=[[0.5, 1.0], [0.5, 0.0]], **kw)


def test_fixed_step_methods_converge_to_the_method_of_steps():
    net = _delayed_pair()
    t = np.arange(0.0, 4.01, 0.5)
    ref = method_of_steps(net, [0.2, 0.1], 4.0, t_eval=t)
    for method, order in (("rk4", 4), ("heun", 2), ("euler", 1), ("exp-euler", 1)):
        errs = []
        for dt in (0.05, 0.025):
            run = simulate(net, [0.2, 0.1], (0.0, 4.0), dt=dt, method=method,
                           save_every=round(0.5 / dt))
            errs.append(np.max(np.abs(run.x - ref)))
        rate = math.log2(errs[0] / errs[1])
        assert abs(rate - order) < 0.35, (method, errs, rate)
    fine = simulate(net, [0.2, 0.1], (0.0, 4.0), dt=0.0125, method="rk4", save_every=40)
    assert np.max(np.abs(fine.x - ref)) < 1e-8


def test_off_grid_delays_and_a_history_function():
    net = Network(W=[[0.3, -1.1], [0.9, 0.0]], u=[0.8, 0.2], activation="tanh",
                  delays=[[0.37, 0.61], [0.23, 0.0]])

    def hist(t):
        return np.array([0.5 + 0.1 * math.sin(3 * t), 0.2 * math.cos(t)])

    t = np.arange(0.0, 3.01, 0.25)
    ref = method_of_steps(net, [0.1, 0.3], 3.0, history=hist, t_eval=t)
    run = simulate(net, [0.1, 0.3], (0.0, 3.0), dt=0.01, method="rk4", history=hist,
                   save_every=25)
    assert np.max(np.abs(run.x - ref)) < 1e-9  # Hermite interpolation between grid points


def test_batch_members_equal_single_runs_and_voltage_form_runs():
    net = _delayed_pair()
    X0 = np.array([[0.0, 0.0], [0.5, 0.2], [1.0, -0.3]])
    res = simulate_batch(net, X0, (0.0, 5.0), dt=0.01, method="rk4", save_every=100)
    for k in range(3):
        one = simulate(net, X0[k], (0.0, 5.0), dt=0.01, method="rk4", save_every=100)
        assert np.allclose(res.x[k], one.x, rtol=1e-13, atol=1e-14)
    v = simulate(net, [0.1, 0.1], (0.0, 5.0), dt=0.01, method="rk4", form="voltage")
    assert v.status == "success"


# --------------------------------------------------------------------------- critical delays
def critical_delay(w: float) -> float:
    return math.acos(-1.0 / w) / math.sqrt(w * w - 1.0)


def rightmost_root(w: float, d: float) -> complex:
    """The rightmost root of λ = −1 − w e^{−λd} (Lambert W, principal branch)."""
    roots = [-1.0 + complex(lambertw(-w * d * math.exp(d), k)) / d for k in range(-4, 5)]
    return max(roots, key=lambda z: z.real)


def _growth_rate(x: np.ndarray, t: np.ndarray) -> float:
    """Exponential rate of the envelope: a fit of log |x| at its local maxima."""
    a = np.abs(x)
    peaks = np.flatnonzero((a[1:-1] > a[:-2]) & (a[1:-1] >= a[2:])) + 1
    return float(np.polyfit(t[peaks], np.log(a[peaks]), 1)[0])


@pytest.mark.parametrize("w", [2.0, 4.0])
def test_inhibitory_self_feedback_loses_stability_at_the_closed_form_delay(w):
    dc = critical_delay(w)
    assert abs(rightmost_root(w, dc).real) < 1e-10
    for factor in (0.8, 1.2):
        d = factor * dc
        net = Network(W=[[-w]], activation="linear", delays=d)
        dt = d / 100
        run = simulate(net, [1.0], (0.0, 25.0), dt=dt, method="rk4", save_every=2)
        rate = _growth_rate(run.x[:, 0], run.t)
        lam = rightmost_root(w, d)
        assert math.copysign(1, rate) == math.copysign(1, factor - 1)
        assert abs(rate - lam.real) < 2e-3, (rate, lam)


def test_delayed_wilson_cowan_pair_oscillates_only_above_its_critical_delay():
    W = np.array([[1.5, -2.0], [2.0, -1.0]])
    u = np.array([1.0, 0.5])
    mu = np.linalg.eigvals(W)[0]
    r, theta = abs(mu), abs(np.angle(mu))
    omega = math.sqrt(r * r - 1)
    dc = (theta - math.atan(omega)) / omega  # λ = iω solves iω + 1 = μ e^{−iωd}
    x_star = np.linalg.solve(np.eye(2) - W, u)
    assert np.all(x_star > 0)
    amplitude = {}
    for factor in (0.6, 1.3):
        net = Network(W=W, u=u, cell_types="EI", delays=factor * dc)
        run = simulate(net, x_star + np.array([0.01, 0.0]), (0.0, 120.0), dt=factor * dc / 20,
                       method="rk4", save_every=5)
        tail = run.x[run.t > 90.0]
        amplitude[factor] = float(np.max(tail[:, 0]) - np.min(tail[:, 0]))
        assert run.status == "success"
    assert amplitude[0.6] < 1e-6
    assert amplitude[1.3] > 0.1  # a limit cycle, kept bounded by the ReLU floor


def test_signed_majorant_is_not_delay_independent_but_the_absolute_one_is():
    """THEORY check: a Metzler majorant with abscissa < 1 proves stability for zero delay only.

    ``ẋ = −x − 2 x(t − d)``: the Metzler majorant (signed diagonal) is ``[−2]``, abscissa −2 < 1,
    yet the delayed loop is unstable for ``d > d_c``. With ``ρ(|W|) < 1`` every delay is fine:
    random E–I networks with ``ρ(|W|) = 0.7`` and random delays all settle to their equilibrium.
    """
    bad = Network(W=[[-2.0]], activation="linear", delays=2.0 * critical_delay(2.0))
    run = simulate(bad, [1.0], (0.0, 30.0), dt=0.01, method="rk4")
    assert np.max(np.abs(run.x[-300:])) > 10.0
    rng = np.random.default_rng(7)
    for _ in range(3):
        n = 6
        W = rng.uniform(0.0, 1.0, (n, n)) * np.where(np.arange(n) < 4, 1.0, -1.0)
        W *= 0.7 / max(abs(np.linalg.eigvals(np.abs(W))))
        D = rng.choice([0.5, 1.0, 2.5, 4.0], size=(n, n))
        net = Network(W=W, u=rng.uniform(0.5, 1.5, n), cell_types="EEEEII", delays=D)
        hist = rng.uniform(0.0, 3.0, n)
        run = simulate(net, hist, (0.0, 120.0), dt=0.1, method="rk4", save_every=1200)
        assert np.allclose(run.final, equilibrium(net).x, atol=1e-6)


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize("call, match", [
    (lambda n: simulate(n, [0, 0], (0, 1)), "cannot integrate delays"),
    (lambda n: simulate(n, [0, 0], (0, 1), dt=0.6), "shorter than dt = 0.6"),
    (lambda n: simulate(n, [0, 0], (0, 1), dt=0.1, history=1.0), "history: expected a callable"),
    (lambda n: simulate(n, [0, 0], (0, 1), dt=0.1, history=lambda t: [1.0]),
     r"history: h\(t\) must return"),
    (lambda n: simulate(n, [0, 0], (0, 1), dt=0.1, backend="numba"), "backend: 'numba'"),
    (lambda n: simulate(n, [0, 0], (0, 1), dt=0.1, checkpoint="c.npz"), "checkpointed"),
    (lambda n: simulate(n.replace(delays=None), [0, 0], (0, 1), dt=0.1,
                        history=lambda t: [0, 0]), "history: only used with delays"),
])
def test_bad_simulation_arguments_with_delays(call, match):
    with pytest.raises(ValidationError, match=match):
        call(_delayed_pair())


def test_too_many_distinct_delays_are_refused():
    n = 9
    net = Network(W=np.full((n, n), 0.01), delays=np.arange(1.0, 1.0 + n * n).reshape(n, n))
    with pytest.raises(ValidationError, match="81 distinct delay values"):
        simulate(net, np.zeros(n), (0.0, 1.0), dt=0.1)


def test_rk4_keeps_order_four_with_delays_and_input_switches_on_the_grid():
    """A switch makes ẋ jump; the delayed interpolant then uses the left derivative there."""
    from eicircuits import stimulus

    net = _delayed_pair()
    stim = (stimulus.constant([1.0, 0.3]) + stimulus.step(1.3, 0.7, neurons=[0], n=2)
            + stimulus.pulse(2.1, 2.6, 0.5))
    kw = {"method": "rk4", "u": stim}
    ref = simulate(net, [0.2, 0.1], (0.0, 4.0), dt=0.00125, save_every=400, **kw).x
    errs = [np.max(np.abs(simulate(net, [0.2, 0.1], (0.0, 4.0), dt=dt,
                                   save_every=round(0.5 / dt), **kw).x - ref))
            for dt in (0.05, 0.025)]
    assert 13 < errs[0] / errs[1] < 20


def test_rate_form_voltages_of_a_delayed_run_are_refused():
    run = simulate(_delayed_pair(), [0.1, 0.1], (0.0, 1.0), dt=0.1, method="euler")
    with pytest.raises(ValidationError, match="voltages: with synaptic delays"):
        run.voltages()
    v = simulate(_delayed_pair(), [0.1, 0.1], (0.0, 1.0), dt=0.1, method="euler",
                 form="voltage")
    assert np.array_equal(v.voltages(), v.x)


def test_delays_with_noise_run_every_stochastic_scheme_reproducibly():
    from eicircuits import Noise

    net = _delayed_pair()
    for method, ode in (("euler-maruyama", "euler"), ("stochastic-heun", "heun")):
        kw = {"dt": 0.01, "method": method, "save_every": 50}
        a = simulate_batch(net, np.zeros((3, 2)), (0.0, 3.0), noise=Noise(0.1), rng=9, **kw)
        b = simulate_batch(net, np.zeros((3, 2)), (0.0, 3.0), noise=Noise(0.1), rng=9, **kw)
        assert np.array_equal(a.x, b.x) and np.all(a.status == "success")
        one = simulate(net, np.zeros(2), (0.0, 3.0), noise=Noise(0.1),
                       rng=np.random.SeedSequence(9).spawn(3)[1], **kw)
        assert np.allclose(one.x, a.x[1], rtol=1e-13, atol=1e-14)
        # without noise, on-grid delays: the deterministic scheme exactly
        quiet = simulate(net, np.zeros(2), (0.0, 3.0), noise=Noise(0.0), rng=1, **kw)
        det = simulate(net, np.zeros(2), (0.0, 3.0), dt=0.01, method=ode, save_every=50)
        assert np.allclose(quiet.x, det.x, rtol=1e-13, atol=1e-14)


# --------------------------------------------------------------------------- checkpoint identity
def test_checkpoint_key_includes_the_delays():
    """The resume fingerprint sees the delays (like W, τ and the activation): a checkpoint of
    the undelayed network, or of other delays, can never continue a delayed run. (Delayed
    runs also refuse checkpoints today, because their history buffer is not saved.)"""
    from eicircuits.dynamics._fixed_step import _run_key
    from eicircuits.dynamics._problem import Problem

    W = [[0.5, -1.0], [1.0, -0.5]]
    steps = np.arange(0, 11, dtype=np.int64)

    def key(delays):
        net = Network(W=W, u=[1.0, 0.5], cell_types="EI", delays=delays)
        prob = Problem(net=net, form="rate", x0=np.zeros(2), t0=0.0, t1=1.0, u=net.u,
                       bound=1e6)
        return _run_key(prob, "euler", 0.1, steps)

    keys = [key(None), key(0.5), key(0.25), key({"E": 0.5, "I": 0.25}),
            key({"E": 0.25, "I": 0.5})]
    assert len(set(keys)) == len(keys)
    assert key(0.5) == key([[0.5, 0.5], [0.5, 0.5]])  # the same delays, another form
    assert key(0.0) == key(None)  # zero delays are no delays
