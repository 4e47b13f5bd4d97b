"""Wilson–Cowan: builder, closed-form regimes and equilibria, each checked by simulation.

Oracles: exact ``fractions`` arithmetic for the worked ISN example, SciPy's DOP853 at
``rtol = 1e-10`` for every regime, eigenvalues from NumPy for the Hopf point.
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from eicircuits import Tanh, ValidationError
from eicircuits.circuits import (
    REGIMES,
    hopf_ratio,
    paradoxical_response,
    sensitivity,
    wilson_cowan,
    wilson_cowan_classify,
    wilson_cowan_equilibria,
    wilson_cowan_regime,
)

ISN = dict(w_ee=2.0, w_ei=3.0, w_ie=3.0, w_ii=1.0)


def _simulate(net, x0, t1, blowup=1e12, rtol=1e-10):
    def hit(t, x):
        return np.max(np.abs(x)) - blowup

    hit.terminal = True
    return solve_ivp(lambda t, x: net.rate_field(x), (0.0, t1), x0, method="DOP853",
                     rtol=rtol, atol=1e-3 * rtol, events=hit, dense_output=True)


def _outcome(net, x0, t1=200.0):
    """'diverges', ('fixed', x) or ('cycle', amplitude) for one initial condition."""
    sol = _simulate(net, np.asarray(x0, float), t1, rtol=1e-9)
    if sol.status == 1:
        return ("diverges", None)
    tail = sol.sol(np.linspace(0.8 * t1, t1, 400))
    amp = float(np.max(np.ptp(tail, axis=1)))
    if amp < 1e-6 and np.max(np.abs(net.rate_field(tail[:, -1]))) < 1e-7:
        return ("fixed", tail[:, -1])
    return ("cycle", amp)


def _observed(params, starts):
    net = wilson_cowan(**params)
    # long enough for the slowest equilibrium to settle to 1e-6 (transients can be large)
    rates = [abs(e.eigenvalues.real).min() for e in wilson_cowan_equilibria(**params)]
    t1 = min(3000.0, max([120.0, *(30.0 / r for r in rates if r > 0)]))
    outs = [_outcome(net, x0, t1) for x0 in starts]
    kinds = {o[0] for o in outs}
    fixed = [o[1] for o in outs if o[0] == "fixed"]
    distinct = []
    for x in fixed:
        if all(np.max(np.abs(x - y)) > 1e-5 for y in distinct):
            distinct.append(x)
    return kinds, distinct


def _starts(params, rng):
    """Initial conditions: small, random, large, and along the runaway eigenvector."""
    tau = np.array([params.get("tau_e", 1.0), params.get("tau_i", 1.0)])
    W = np.array([[params["w_ee"], -params["w_ei"]], [params["w_ie"], -params["w_ii"]]])
    A = (W - np.eye(2)) / tau[:, None]
    starts = [np.zeros(2), np.array([0.05, 0.05]), *rng.uniform(0, 3, size=(2, 2)),
              np.array([20.0, 1.0])]
    for e in wilson_cowan_equilibria(**params):  # near every equilibrium, off its manifolds
        starts.append(e.x + np.array([0.01, 0.003]))
    ev, vec = np.linalg.eig(A)
    for lam, v in zip(ev, vec.T, strict=True):
        if abs(lam.imag) < 1e-12 and lam.real > 0:
            v = np.real(v) * np.sign(np.real(v[0]))
            if np.all(v >= 0):
                starts.append(50.0 * v / np.max(v))
    return starts


def _check_regime(params, rng):
    regime = str(wilson_cowan_regime(**params))
    if regime == "undecided":  # said so, with the reason in wilson_cowan_classify
        return regime
    kinds, distinct = _observed(params, _starts(params, rng))
    if regime in ("lds-stable", "isn-stable"):
        assert kinds == {"fixed"} and len(distinct) == 1, (params, regime, kinds, distinct)
    elif regime == "oscillatory":
        assert kinds == {"cycle"}, (params, regime, kinds)
    elif regime == "runaway":
        assert "diverges" in kinds and "fixed" not in kinds, (params, regime, kinds)
    else:
        assert regime == "bistable"
        assert len(distinct) + ("diverges" in kinds) + ("cycle" in kinds) >= 2, (
            params, regime, kinds, distinct)
    return regime


# ---------------------------------------------------------------- builder


def test_builder_weights_types_and_names():
    net = wilson_cowan(0.5, 1.0, 2.0, 0.25, tau_e=2.0, tau_i=0.5, u_e=1.0, u_i=-0.5)
    assert net.W.tolist() == [[0.5, -1.0], [2.0, -0.25]]
    assert net.tau.tolist() == [2.0, 0.5] and net.u.tolist() == [1.0, -0.5]
    assert net.cell_types == ("E", "I") and net.names == ("E", "I")
    assert wilson_cowan(1, 1, 1, 1, activation=Tanh()).activation == Tanh()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(w_ee=-0.1, w_ei=1, w_ie=1, w_ii=1), r"w_ee: must be >= 0.0, got -0.1"),
        (dict(w_ee=1, w_ei=float("nan"), w_ie=1, w_ii=1), r"w_ei: must be finite"),
        (dict(w_ee=1, w_ei=1, w_ie="x", w_ii=1), r"w_ie: expected a real number"),
        (dict(w_ee=1, w_ei=1, w_ie=1, w_ii=1, tau_i=0.0), r"tau_i: must be > 0.0, got 0.0"),
    ],
)
def test_builder_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        wilson_cowan(**kwargs)


# ---------------------------------------------------------------- the worked ISN example


def test_worked_example_exact_equilibria():
    """docs/theory.md §5: u = (1, ½) → (1/14, 5/14); u = (−1, −4) → (0,0), (1,0), (10/7, 1/7)."""
    F = Fraction
    # exact Cramer's rule on (I − W) x = u for W = [[2, −3], [3, −1]]
    a11, a12, a21, a22 = F(-1), F(3), F(-3), F(2)
    det = a11 * a22 - a12 * a21
    assert det == 7

    def solve(u1, u2):
        return ((u1 * a22 - a12 * u2) / det, (a11 * u2 - a21 * u1) / det)

    assert solve(F(1), F(1, 2)) == (F(1, 14), F(5, 14))
    assert solve(F(-1), F(-4)) == (F(10, 7), F(1, 7))

    eqs = wilson_cowan_equilibria(**ISN, u_e=1.0, u_i=0.5)
    assert len(eqs) == 1 and eqs[0].stable
    np.testing.assert_allclose(eqs[0].x, [1 / 14, 5 / 14], rtol=1e-14)

    eqs = wilson_cowan_equilibria(**ISN, u_e=-1.0, u_i=-4.0)
    got = {e.support: e for e in eqs}
    assert set(got) == {"", "E", "EI"}
    np.testing.assert_allclose(got[""].x, [0, 0])
    np.testing.assert_allclose(got["E"].x, [1, 0], rtol=1e-14)
    np.testing.assert_allclose(got["EI"].x, [10 / 7, 1 / 7], rtol=1e-14)
    assert got[""].kind == "stable node"
    assert got["E"].kind == "saddle"
    assert got["EI"].kind == "stable focus"
    # every reported point is a fixed point of the rate form
    net = wilson_cowan(**ISN, u_e=-1.0, u_i=-4.0)
    for e in eqs:
        np.testing.assert_allclose(net.rate_field(e.x), 0.0, atol=1e-14)


def test_worked_example_simulation_reaches_both_stable_states():
    net = wilson_cowan(**ISN, u_e=-1.0, u_i=-4.0)
    low = _simulate(net, np.array([0.5, 0.2]), 200.0).y[:, -1]
    high = _simulate(net, np.array([1.5, 0.2]), 200.0).y[:, -1]
    np.testing.assert_allclose(low, [0, 0], atol=1e-8)
    np.testing.assert_allclose(high, [10 / 7, 1 / 7], atol=1e-8)


def test_paradoxical_response_worked_example_and_sign():
    assert Fraction(float(paradoxical_response(**ISN))).limit_denominator(1000) == Fraction(-1, 7)
    # finite difference of the exact all-active equilibrium
    eps = 1e-6
    xs = [wilson_cowan_equilibria(**ISN, u_e=1.0, u_i=0.5 + s)[0].x for s in (-eps, eps)]
    assert (xs[1][1] - xs[0][1]) / (2 * eps) == pytest.approx(-1 / 7, rel=1e-7)
    S = sensitivity(wilson_cowan(**ISN, u_e=1.0, u_i=0.5), xs[0])
    assert S[1, 1] == pytest.approx(-1 / 7, rel=1e-12)
    # LDS side: positive response
    assert paradoxical_response(0.5, 3.0, 3.0, 1.0) > 0


@settings(max_examples=30)
@given(st.floats(0.0, 5.0), st.floats(0.1, 5.0), st.floats(0.1, 5.0), st.floats(0.0, 3.0))
def test_paradoxical_sign_is_negative_exactly_in_the_isn_regime(wee, wei, wie, wii):
    D = (1 - wee) * (1 + wii) + wei * wie
    if abs(D) < 1e-6 or abs(wee - 1) < 1e-6:
        return
    slope = paradoxical_response(wee, wei, wie, wii)
    net = wilson_cowan(wee, wei, wie, wii, u_e=1.0, u_i=0.5)
    x = np.linalg.solve(np.eye(2) - net.W, net.u)
    if np.all(x > 0):
        assert sensitivity(net, x)[1, 1] == pytest.approx(slope, rel=1e-9, abs=1e-12)
    if D > 0:
        assert (slope < 0) == (wee > 1)


def test_hopf_point_of_the_worked_example():
    assert hopf_ratio(2.0, 1.0) == 2.0
    assert hopf_ratio(0.5, 1.0) == np.inf
    for ratio, stable in ((1.9, True), (2.1, False)):
        net = wilson_cowan(**ISN, u_e=1.0, u_i=0.5, tau_i=ratio)
        ev = np.linalg.eigvals(net.rate_jacobian([1 / 14, 5 / 14]))
        assert np.all(ev.real < 0) == stable
        assert np.all(np.abs(ev.imag) > 0)
    hopf = wilson_cowan(**ISN, u_e=1.0, u_i=0.5, tau_i=2.0)
    ev = np.linalg.eigvals(hopf.rate_jacobian([1 / 14, 5 / 14]))
    np.testing.assert_allclose(ev.real, 0.0, atol=1e-15)
    assert str(wilson_cowan_regime(**ISN, u_e=1.0, u_i=0.5, tau_i=1.9)) == "isn-stable"
    assert str(wilson_cowan_regime(**ISN, u_e=1.0, u_i=0.5, tau_i=2.1)) == "oscillatory"


# ---------------------------------------------------------------- regimes vs simulation

CASES = {
    "lds-stable": dict(w_ee=0.8, w_ei=2.0, w_ie=2.0, w_ii=0.5, u_e=1.0, u_i=0.2, tau_i=5.0),
    "isn-stable": dict(**ISN, u_e=1.0, u_i=0.5),
    "oscillatory": dict(**ISN, u_e=1.0, u_i=0.5, tau_i=3.0),
    "runaway": dict(w_ee=4.0, w_ei=1.0, w_ie=1.0, w_ii=0.5, u_e=1.0, u_i=0.0),
    "bistable": dict(**ISN, u_e=-1.0, u_i=-4.0),
}


@pytest.mark.parametrize("regime", sorted(CASES))
def test_each_regime_matches_simulation(regime):
    rng = np.random.default_rng(7)
    assert _check_regime(CASES[regime], rng) == regime


def test_runaway_with_a_stable_quiescent_state_is_bistable():
    params = dict(w_ee=4.0, w_ei=1.0, w_ie=1.0, w_ii=0.5, u_e=-0.5, u_i=-0.5)
    assert _check_regime(params, np.random.default_rng(1)) == "bistable"


def test_relu_oscillation_is_bounded_without_saturation():
    """THEORY says the oscillatory regime is bounded only with saturation; with ReLU it is."""
    net = wilson_cowan(**ISN, u_e=1.0, u_i=0.5, tau_i=3.0)
    for x0 in ([0.1, 0.1], [50.0, 40.0]):
        sol = _simulate(net, np.array(x0), 250.0)
        assert sol.status == 0
        tail = sol.sol(np.linspace(150, 250, 1000))
        assert np.max(tail) < 1.0  # a limit cycle of amplitude ~0.4
        assert np.ptp(tail[1]) > 0.05  # not converging


def test_stable_focus_inside_a_stable_cycle_is_bistable():
    """What the closed form misses (u_I < 0: a stable cycle can surround the stable focus, ~1 %
    of random cases) is decided by simulation: two attractors, so "bistable", never
    "isn-stable"."""
    params = dict(w_ee=1.7232321965994692, w_ei=2.491129105715549, w_ie=2.5380474992120594,
                  w_ii=1.2174992333299177, tau_i=2.673157838190899, u_e=0.4578849199928232,
                  u_i=-1.861746002157886)
    assert str(wilson_cowan_regime(**params)) == "bistable"
    assert str(wilson_cowan_regime(**params, cycles="undecided")) == "undecided"
    (eq,) = wilson_cowan_equilibria(**params)
    assert eq.kind == "stable focus"
    net = wilson_cowan(**params)
    near = _simulate(net, eq.x + np.array([0.01, 0.003]), 600.0).sol(np.linspace(500, 600, 500))
    far = _simulate(net, np.array([1.0, 1.0]), 600.0).sol(np.linspace(500, 600, 500))
    assert np.max(np.ptp(near, axis=1)) < 1e-6
    assert np.ptp(far[0]) > 1.0 and np.min(far[1]) > 0.05  # a large cycle, bounded


def test_relu_oscillation_near_the_runaway_boundary_is_huge_but_bounded():
    params = dict(w_ee=4.295295295295295, w_ei=3.0, w_ie=3.0, w_ii=1.0, tau_i=1.8755755755755759,
                  u_e=1.0, u_i=0.5)
    assert str(wilson_cowan_regime(**params)) == "oscillatory"
    sol = _simulate(wilson_cowan(**params), np.array([0.05, 0.05]), 200.0, rtol=1e-8)
    assert sol.status == 0
    tail = sol.sol(np.linspace(100, 200, 4000))
    assert 1e6 < np.max(tail) < 1e9 and np.min(tail[0]) < 1e-3


@settings(max_examples=25)
@given(
    st.floats(0.0, 6.0), st.floats(0.2, 4.0), st.floats(0.2, 4.0), st.floats(0.0, 2.0),
    st.floats(0.2, 4.0), st.floats(-2.0, 2.0), st.floats(-2.0, 2.0), st.floats(0.3, 3.0),
)
def test_random_regimes_match_simulation(wee, wei, wie, wii, tau_i, ue, ui, tau_e):
    params = dict(w_ee=wee, w_ei=wei, w_ie=wie, w_ii=wii, tau_i=tau_i, u_e=ue, u_i=ui,
                  tau_e=tau_e)
    # stay away from the measure-zero boundaries where a regime changes
    tr = (wee - 1) / tau_e - (1 + wii) / tau_i
    D = (1 - wee) * (1 + wii) + wei * wie
    disc = tr**2 - 4 * D / (tau_i * tau_e)
    if min(abs(wee - 1), abs(tr), abs(D), abs(disc), abs(ue), abs(ui)) < 0.05:
        return
    if abs(ue * (1 + wii) - wei * ui) < 0.05 or abs(wie * ue + (1 - wee) * ui) < 0.05:
        return
    _check_regime(params, np.random.default_rng(3))


# ---------------------------------------------------------------- vectorisation and errors


def test_regime_map_is_vectorised_and_fast():
    wee, ratio = np.meshgrid(np.linspace(0, 7, 1000), np.linspace(0.1, 5, 1000))
    t0 = time.perf_counter()
    regimes = wilson_cowan_regime(wee, 3.0, 3.0, 1.0, tau_i=ratio, u_e=1.0, u_i=0.5)
    assert time.perf_counter() - t0 < 5.0
    assert regimes.shape == (1000, 1000)
    assert set(np.unique(regimes)) <= set(REGIMES)
    np.testing.assert_array_equal(regimes[wee < 1], "lds-stable")
    # scalar calls agree with the map
    rng = np.random.default_rng(0)
    for i, j in rng.integers(0, 1000, size=(20, 2)):
        scalar = wilson_cowan_regime(wee[i, j], 3.0, 3.0, 1.0, tau_i=ratio[i, j], u_e=1.0,
                                     u_i=0.5)
        assert str(scalar) == regimes[i, j]
    # the Hopf curve separates isn-stable from oscillatory
    mid = (wee > 1.05) & (wee < 5.4)
    below = ratio < hopf_ratio(wee, 1.0) * 0.98
    above = ratio > hopf_ratio(wee, 1.0) * 1.02
    assert np.all(regimes[mid & below] == "isn-stable")
    assert set(np.unique(regimes[mid & above])) <= {"oscillatory", "runaway"}


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        (dict(w_ee=-1.0), ValidationError, r"w_ee: weights are magnitudes and must be >= 0"),
        (dict(tau_i=np.array([1.0, -1.0])), ValidationError, r"tau_i: time constants must be > 0"),
        (dict(w_ee=np.ones(3), w_ei=np.ones(2)), ValidationError, r"shapes do not broadcast"),
        (dict(activation=Tanh()), ValidationError, r"activation: the closed-form regimes"),
        (dict(u_e=float("inf")), ValidationError, r"u_e: every value must be finite"),
    ],
)
def test_regime_rejects_bad_input(kwargs, exc, match):
    params = dict(w_ee=1.0, w_ei=1.0, w_ie=1.0, w_ii=1.0) | kwargs
    with pytest.raises(exc, match=match):
        wilson_cowan_regime(**params)


def test_paradoxical_response_rejects_a_singular_circuit():
    with pytest.raises(ValidationError, match=r"det\(I − W\).*is 0"):
        paradoxical_response(2.0, 1.0, 2.0, 1.0)


# ---------------------------------------------------------------- regressions: two attractors
REPRO_A = dict(w_ee=4.053139129919089, w_ei=1.7433451880489554, w_ie=4.229222723936067,
               w_ii=0.49865537411169836, tau_e=1.0, tau_i=0.5640758122041915,
               u_e=-0.1508954343247908, u_i=-2.971212281202087)
REPRO_B = dict(w_ee=2.51787318142769, w_ei=5.5512645971639545, w_ie=3.139603379515365,
               w_ii=3.3879053652045505, tau_i=2.79833692258091, u_e=1.0844211472654166,
               u_i=-0.8684944738243132)


def _tail(params, x0, t1):
    sol = _simulate(wilson_cowan(**params), np.asarray(x0, float), t1, rtol=1e-10)
    assert sol.status == 0
    return sol.sol(np.linspace(0.8 * t1, t1, 2000))


def test_quiescent_state_beside_a_cycle_around_an_unstable_focus_is_bistable():
    """Issue reproduction (a): the only stable equilibrium is quiescent; the active state is an
    unstable focus inside a stable limit cycle (E in [0.88, 2.95])."""
    r = wilson_cowan_classify(**REPRO_A)
    assert r.regime == "bistable" and str(wilson_cowan_regime(**REPRO_A)) == "bistable"
    kinds = {e.support: e.kind for e in r.equilibria}
    assert kinds == {"": "stable node", "E": "saddle", "EI": "unstable focus"}
    assert r.method == "closed form + simulation" and r.success
    # Oracle: DOP853 from a start near the focus cycles; from rest it stays quiescent.
    focus = next(e.x for e in r.equilibria if e.support == "EI")
    cyc = _tail(REPRO_A, focus + np.array([0.01, 0.0]), 200.0)
    assert cyc[0].min() == pytest.approx(0.8835, abs=2e-3)
    assert cyc[0].max() == pytest.approx(2.9457, abs=2e-3)
    assert r.cycle == pytest.approx((cyc[0].min(), cyc[0].max()), abs=2e-3)
    rest = _tail(REPRO_A, [0.01, 0.0], 50.0)
    assert np.max(np.abs(rest)) < 1e-8


def test_stable_focus_inside_a_stable_cycle_reproduction_b():
    r = wilson_cowan_classify(**REPRO_B)
    assert r.regime == "bistable" and r.cycle is not None
    ((eq),) = r.equilibria
    assert eq.kind == "stable focus"
    near = _tail(REPRO_B, eq.x + np.array([0.01, 0.003]), 700.0)
    assert np.max(np.ptp(near, axis=1)) < 1e-6  # the focus attracts its neighbourhood
    far = _tail(REPRO_B, [0.0, 0.0], 600.0)  # from rest: the cycle
    assert np.ptp(far[0]) > 1.0
    assert r.cycle == pytest.approx((far[0].min(), far[0].max()), abs=2e-3)
    assert r.to_dict()["regime"] == "bistable"


def test_quiescent_state_on_its_kink_is_unstable_but_attracts_an_open_set():
    """u_E = 0 puts the quiescent state on E's kink: the E axis repels (w_EE > 1), yet every
    state with 2 r_E < 3 r_I decays onto it. The old closed form called the circuit bistable
    for the wrong reason (quiescent "stable"); the equilibria now say unstable, and the regime
    comes from simulation."""
    params = dict(**ISN, u_e=0.0, u_i=-1.0)
    eqs = wilson_cowan_equilibria(**params)
    assert [(e.support, e.stable) for e in eqs] == [("", False), ("EI", True)]
    assert eqs[0].kind == "unstable (on a kink)"
    r = wilson_cowan_classify(**params)
    assert r.regime == "bistable" and "kink" in r.message
    # Oracle: from (3, 3) E is off and I on until e^{−2t} = 1/11 (closed form), where
    # (r_E, r_I) = (0.9045, 1.7136); then both decay at rate 1 with 2 r_E < 3 r_I: to rest.
    # DOP853 needs a relative-only tolerance here: absolute errors near 0 would switch E on.
    net = wilson_cowan(**params)
    sol = solve_ivp(lambda t, x: net.rate_field(x), (0.0, 20.0), [3.0, 3.0], method="DOP853",
                    rtol=1e-12, atol=1e-300)
    r_e, r_i = sol.y[:, -1]
    assert max(r_e, r_i) < 1e-7
    t1 = np.log(11) / 2
    assert r_e / r_i == pytest.approx(3 * np.exp(-t1) / (9 * np.exp(-t1) - 1.0), rel=1e-6)
    np.testing.assert_allclose(_tail(params, [1e-4, 0.0], 60.0)[:, -1], [3 / 7, 1 / 7],
                               atol=1e-9)
    # Both one-sided linearisations stable: a stable kink equilibrium (LDS case).
    (e,) = wilson_cowan_equilibria(0.5, 3.0, 3.0, 1.0, u_e=0.0, u_i=-1.0)
    assert e.stable and "on a kink" in e.kind


@pytest.mark.parametrize("seed", range(6))
def test_random_inhibited_i_circuits_match_simulation(seed):
    """u_I < 0, where the closed form alone was blind: the answer agrees with independent
    DOP853 runs from the test's own starts (a cycle counts as an attractor)."""
    rng = np.random.default_rng(100 + seed)
    params = dict(w_ee=rng.uniform(1.2, 5), w_ei=rng.uniform(0.5, 6), w_ie=rng.uniform(0.5, 6),
                  w_ii=rng.uniform(0, 4), tau_i=rng.uniform(0.3, 3), u_e=rng.uniform(-1, 2),
                  u_i=rng.uniform(-3, -0.05))
    regime = _check_regime(params, rng)
    assert regime in REGIMES


def test_classify_options_and_errors():
    r = wilson_cowan_classify(**REPRO_A, cycles="undecided")
    assert r.regime == "undecided" and not r.success and "cycles='simulate'" in r.message
    with pytest.raises(ValidationError, match="cycles: expected"):
        wilson_cowan_regime(**ISN, cycles="maybe")
    r = wilson_cowan_classify(**ISN, u_e=1.0, u_i=0.5)
    assert (r.regime, r.method) == ("isn-stable", "closed form")
    grid = wilson_cowan_regime(REPRO_B["w_ee"], REPRO_B["w_ei"], REPRO_B["w_ie"],
                               REPRO_B["w_ii"], tau_i=REPRO_B["tau_i"], u_e=REPRO_B["u_e"],
                               u_i=np.array([REPRO_B["u_i"], 0.5]))
    assert grid.tolist()[0] == "bistable"


# ---------------------------------------------------------------- classic sigmoid, refractory
def test_classic_sigmoid_option():
    a, theta = 1.3, 4.0
    net = wilson_cowan(12.0, 4.0, 13.0, 11.0, u_e=1.25, sigmoid=(a, theta))
    z = np.linspace(-5, 15, 81)
    np.testing.assert_allclose(net.activation(z), 1 / (1 + np.exp(-a * (z - theta))),
                               rtol=1e-14)
    assert net.activation.max_slope == pytest.approx(a / 4)
    with pytest.raises(ValidationError, match=r"slope a/4 must be ≤ 1.*unit_slope"):
        wilson_cowan(1, 1, 1, 1, sigmoid=(5.0, 1.0))
    with pytest.raises(ValidationError, match="not both"):
        wilson_cowan(1, 1, 1, 1, sigmoid=(1.0, 1.0), activation=Tanh())
    with pytest.raises(ValidationError, match=r"sigmoid gain a: must be > 0"):
        wilson_cowan(1, 1, 1, 1, sigmoid=(0.0, 1.0))


def test_refractory_form_is_refused_with_its_equivalence():
    with pytest.raises(ValidationError, match=r"refractory: .*not of the form.*S/\(1 \+ S\)"):
        wilson_cowan(12.0, 4.0, 13.0, 11.0, refractory=True)
    # The stated facts, checked: equilibria of τṙ = −r + (1 − r)S(Wr + u) are those of the
    # activation S/(1 + S), and the true Jacobian there is diag(1 + S) times the framework's.
    a, theta = 1.3, 4.0
    W = np.array([[12.0, -4.0], [13.0, -11.0]])
    u = np.array([1.25, 0.0])

    def S(z):
        return 1 / (1 + np.exp(-a * (z - theta)))

    def f(t, r):
        return -r + (1 - r) * S(W @ r + u)

    sol = solve_ivp(f, (0, 400), [0.1, 0.05], method="DOP853", rtol=1e-12, atol=1e-14)
    r = sol.y[:, -1]
    assert np.max(np.abs(f(0, r))) < 1e-12
    z = W @ r + u
    np.testing.assert_allclose(r, S(z) / (1 + S(z)), atol=1e-12)
    h = 1e-7
    J = np.column_stack([(f(0, r + h * e) - f(0, r - h * e)) / (2 * h) for e in np.eye(2)])
    dpsi = a * S(z) * (1 - S(z)) / (1 + S(z)) ** 2  # (S/(1+S))' = S'/(1+S)²
    J_fw = dpsi[:, None] * W - np.eye(2)
    np.testing.assert_allclose(J, (1 + S(z))[:, None] * J_fw, rtol=1e-6, atol=1e-8)


def test_piecewise_linear_flow_is_exact_through_kinks():
    """The regime's simulator (exact flow per region, switches located by Brent's method)
    against DOP853 at rtol 1e-13 (relative-only) on a cycle crossing the kinks many times."""
    from eicircuits.circuits.wilson_cowan import _PiecewiseFlow

    W = np.array([[2.0, -3.0], [3.0, -1.0]])
    u = np.array([1.0, 0.5])
    tau = np.array([1.0, 3.0])
    x, ts, xs = _PiecewiseFlow(W, u, tau).run(np.array([0.1, 0.1]), 0.0, 37.3)
    ref = solve_ivp(lambda t, y: (np.maximum(W @ y + u, 0) - y) / tau, (0, 37.3), [0.1, 0.1],
                    method="DOP853", rtol=1e-13, atol=1e-300, dense_output=True)
    np.testing.assert_allclose(x, ref.y[:, -1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(xs, ref.sol(ts).T, rtol=1e-9, atol=1e-11)
    assert np.ptp(xs[ts > 20, 1]) > 0.05  # it is the oscillatory regime


# ---------------------------------------------------------------- Bendixson's exclusion
def test_cycle_beside_a_stable_focus_with_positive_inhibitory_input():
    """Found while testing the 'u_I ≥ 0 has no cycle' belief: with I self-inhibition the I
    population can be silenced with u_I > 0 too, and a stable cycle surrounds the stable focus.
    Oracle: DOP853 from rest cycles with r_E in [0.1311, 1.3576]; near the focus it settles."""
    params = dict(w_ee=2.0161189197942706, w_ei=1.639063098614658, w_ie=5.766422239813051,
                  w_ii=2.979458789829166, tau_i=3.4412830964174863, u_e=1.4941117512713138,
                  u_i=0.9469623767570932)
    r = wilson_cowan_classify(**params)
    assert r.regime == "bistable" and r.method == "closed form + simulation"
    ((eq),) = r.equilibria
    assert eq.kind == "stable focus"
    net = wilson_cowan(**params)
    far = solve_ivp(lambda t, x: net.rate_field(x), (0, 250), [0.0, 0.0], method="DOP853",
                    rtol=1e-10, atol=1e-13, dense_output=True).sol(np.linspace(180, 250, 3000))
    assert far[0].min() == pytest.approx(0.13114, abs=1e-4)
    assert far[0].max() == pytest.approx(1.35764, abs=1e-4)
    assert r.cycle == pytest.approx((far[0].min(), far[0].max()), abs=2e-3)
    near = solve_ivp(lambda t, x: net.rate_field(x), (0, 400), eq.x + np.array([0.01, 0.003]),
                     method="DOP853", rtol=1e-10, atol=1e-13).y[:, -1]
    np.testing.assert_allclose(near, eq.x, atol=1e-9)


def test_bendixson_exclusion_is_conservative_and_sound():
    from eicircuits.circuits.wilson_cowan import _cycle_possible

    rng = np.random.default_rng(5)
    R = np.concatenate([rng.uniform(0, 5, (4000, 2)), rng.uniform(0, 500, (4000, 2))])
    for _ in range(400):
        a, b, c = rng.uniform(1.05, 6), rng.uniform(0, 6), rng.uniform(0, 6)
        d = 0.0 if rng.random() < 0.2 else rng.uniform(0, 4)
        ti, ue, ui = rng.uniform(0.2, 4), rng.uniform(-2, 3), rng.uniform(-3, 3)
        # oracle: sampled points of the E-on, I-silenced region inside the quadrant
        inside = np.any((a * R[:, 0] - b * R[:, 1] + ue > 0) & (c * R[:, 0] - d * R[:, 1] + ui < 0))
        if (a - 1) - 1 / ti > 0 and inside:
            assert _cycle_possible(*(np.asarray(v) for v in (a, b, c, d, 1.0, ti, ue, ui)))
    # Cases excluded in closed form agree with independent simulation.
    found = 0
    while found < 3:
        params = dict(w_ee=rng.uniform(1.2, 5), w_ei=rng.uniform(0.5, 6), w_ie=rng.uniform(0.5, 6),
                      w_ii=rng.uniform(0, 4), tau_i=rng.uniform(0.3, 3), u_e=rng.uniform(-1, 2),
                      u_i=rng.uniform(-3, -0.05))
        r = wilson_cowan_classify(**params)
        if r.regime == "isn-stable" and r.method == "closed form":
            assert _check_regime(params, rng) == "isn-stable"
            found += 1


@pytest.mark.parametrize(("w_ee", "expected"), [(2.0, "isn-stable"), (4.25, "isn-stable"),
                                                  (5.0, "runaway")])
def test_zero_input_regime_follows_the_homogeneous_flow(w_ee, expected):
    """At u = 0 the quiescent state sits on both kinks: the regime is the one verdict's.

    Oracle: runs of the homogeneous system from small states either decay or grow.
    """
    from eicircuits import simulate

    assert str(wilson_cowan_regime(w_ee, 3.0, 3.0, 1.0)) == expected
    net = wilson_cowan(w_ee, 3.0, 3.0, 1.0)
    ends = [simulate(net, x0, (0.0, 40.0)).x[-1] for x0 in ([1e-3, 0.0], [1e-3, 1e-3],
                                                              [1e-3, 5e-4])]
    grew = max(float(np.max(x)) for x in ends) > 1.0
    assert grew == (expected == "runaway")
