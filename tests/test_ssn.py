"""The stabilised supralinear network
(docs/theory.md §9): equilibria, stability, the ISN transition.

Oracles: long ``scipy.integrate.solve_ivp`` (DOP853, rtol 1e-11) simulations of the rate
equations written out by hand here; the ISN transition in closed form for ``n = 2``
(``W_EE φ'(z_E) = 1`` fixes ``z_E = 1/(2 k W_EE)`` and ``r_E = k z_E²``, which leaves one scalar
equation in the input); finite differences of simulated steady states for ``∂r_I*/∂u_I``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, optimize

from eicircuits import (
    Network,
    PowerLaw,
    ValidationError,
    certify,
    check_activation,
    equilibrium,
    local_stability,
    simulate,
)
from eicircuits.activations import activation_from_spec, unit_slope
from eicircuits.circuits import RVM2015, ssn, ssn_isn_transition

K, N = 0.04, 2.0
WEE, WEI, WIE, WII = 1.25, 0.65, 1.2, 0.5
TAU = np.array([20.0, 10.0])
W = np.array([[WEE, -WEI], [WIE, -WII]])


def field(t: float, r: np.ndarray, u: np.ndarray) -> np.ndarray:
    z = W @ r + u
    return (-r + K * np.maximum(z, 0.0) ** N) / TAU


def steady_state(u: np.ndarray, r0: np.ndarray | None = None, t1: float = 4000.0) -> np.ndarray:
    sol = integrate.solve_ivp(field, (0.0, t1), np.zeros(2) if r0 is None else r0, args=(u,),
                              method="DOP853", rtol=1e-11, atol=1e-12)
    assert sol.success
    r = sol.y[:, -1]
    assert np.max(np.abs(field(0.0, r, u))) < 1e-9 * max(1.0, float(np.max(r)))
    return r


def test_builder_has_the_published_parameters() -> None:
    net = ssn(u_e=3.0)
    assert RVM2015 == {"k": 0.04, "n": 2.0, "w_ee": 1.25, "w_ei": 0.65, "w_ie": 1.2,
                       "w_ii": 0.5, "tau_e": 20.0, "tau_i": 10.0}
    np.testing.assert_array_equal(net.W, W)
    np.testing.assert_array_equal(net.tau, TAU)
    np.testing.assert_array_equal(net.u, [3.0, 3.0])
    assert net.activation == PowerLaw(0.04, 2.0) and net.cell_types == ("E", "I")
    assert ssn(u_e=1.0, u_i=2.0).u.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("c", [0.0, 0.5, 2.0, 5.0, 7.0, 10.0, 20.0, 40.0, 80.0])
def test_equilibria_match_long_simulations_across_inputs(c: float) -> None:
    net = ssn(u_e=c)
    eq = equilibrium(net)
    assert eq.converged and eq.method == "continuation", eq.message
    r = steady_state(np.array([c, c]))
    np.testing.assert_allclose(eq.x, r, rtol=1e-8, atol=1e-10)
    # Local stability with Λ = φ'(z*) possibly > 1: eigenvalues of the Jacobian by central
    # differences of the hand-written field.
    J = np.empty((2, 2))
    for j in range(2):
        e = np.zeros(2)
        e[j] = 1e-6 * max(1.0, abs(r[j]))
        J[:, j] = (field(0, r + e, net.u) - field(0, r - e, net.u)) / (2 * e[j])
    ls = local_stability(net, eq.x)
    np.testing.assert_allclose(np.sort_complex(ls.eigenvalues),
                               np.sort_complex(np.linalg.eigvals(J)), rtol=1e-5, atol=1e-9)
    assert ls.stable and np.all(np.linalg.eigvals(J).real < 0)


def test_slope_above_one_at_strong_input() -> None:
    net = ssn(u_e=40.0)
    eq = equilibrium(net)
    lam = net.dphi(net.drive(eq.x))
    assert lam.max() > 1.0  # outside the unit-slope contract, still a stable equilibrium
    assert local_stability(net, eq.x).stable


def test_simulate_runs_the_supralinear_network() -> None:
    net = ssn(u_e=20.0)
    tr = simulate(net, [1.0, 2.0], (0.0, 200.0), t_eval=[0.0, 50.0, 200.0], rtol=1e-10,
                  atol=1e-12)
    ref = integrate.solve_ivp(field, (0.0, 200.0), [1.0, 2.0], args=(net.u,), method="DOP853",
                              rtol=1e-12, atol=1e-12, t_eval=[0.0, 50.0, 200.0])
    np.testing.assert_allclose(np.asarray(tr.x), ref.y.T, rtol=1e-7, atol=1e-9)


def isn_transition_closed_form() -> float:
    z_c = 1.0 / (N * K * WEE)  # W_EE k n z_E^{n−1} = 1
    r_e = K * z_c**N

    def residual(c: float) -> float:
        r_i = (WEE * r_e + c - z_c) / WEI  # from z_E = W_EE r_E − W_EI r_I + c = z_c
        return K * max(WIE * r_e - WII * r_i + c, 0.0) ** N - r_i

    return optimize.brentq(residual, z_c - WEE * r_e + 1e-9, 100.0, xtol=1e-14)


def test_isn_transition_against_closed_form() -> None:
    tr = ssn_isn_transition()
    assert tr.success, tr.message
    c_star = isn_transition_closed_form()
    assert tr.c == pytest.approx(c_star, abs=1e-9)
    assert tr.c == pytest.approx(7.842506, abs=1e-6)
    assert WEE * float(PowerLaw(K, N).derivative(tr.z[0])) == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(tr.x, steady_state(np.array([tr.c, tr.c])), rtol=1e-8)
    assert tr.to_dict()["success"] is True


def test_paradoxical_response_appears_at_the_transition() -> None:
    tr = ssn_isn_transition()
    below, above = tr.paradoxical
    assert below > 0 > above
    # Oracle: ∂r_I*/∂u_I by finite differences of simulated steady states.
    for c, sign in ((0.7 * tr.c, 1.0), (1.3 * tr.c, -1.0), (3.0 * tr.c, -1.0)):
        base = steady_state(np.array([c, c]))
        d = 1e-3
        up = steady_state(np.array([c, c + d]), base)
        down = steady_state(np.array([c, c - d]), base)
        slope = (up[1] - down[1]) / (2 * d)
        assert math.copysign(1.0, slope) == sign, (c, slope)
        # The library's linear response agrees with the simulated one.
        from eicircuits.circuits import sensitivity

        S = sensitivity(ssn(u_e=c), base)
        assert S[1, 1] == pytest.approx(slope, rel=1e-4)


def test_no_certificate_is_claimed() -> None:
    net = ssn(u_e=20.0)
    assert certify(net).certified is False
    with pytest.raises(ValidationError, match="supralinear"):
        check_activation(net.activation)
    with pytest.raises(ValidationError, match="unbounded slope"):
        unit_slope(net.activation, net.W, net.u)


def test_certify_refuses_supralinear_networks_with_weak_self_excitation() -> None:
    # ẋ = −x + [0.5x + 0.1]₊² has equilibria 0.0111… and 3.589… and runs away above the
    # second (oracle: simulation), so no global certificate may be claimed, although
    # W_EE = 0.5 < 1 (which certifies the ReLU network).
    weak = Network([[0.5]], u=[0.1], activation=PowerLaw(1.0, 2.0))
    blowup = integrate.solve_ivp(lambda t, x: -x + np.maximum(0.5 * x + 0.1, 0) ** 2,
                                 (0.0, 10.0), [4.0], events=_escape, rtol=1e-10)
    assert blowup.status == 1  # reached x = 1e6: unbounded
    assert certify(weak).certified is False


def _escape(t: float, x: np.ndarray) -> float:
    return float(x[0] - 1e6)


_escape.terminal = True  # type: ignore[attr-defined]


def test_fold_of_the_branch_is_reported() -> None:
    # x = (x + u)² has equilibria only for u ≤ 1/4 (a fold there).
    net = Network([[1.0]], u=[0.2], activation=PowerLaw(1.0, 2.0))
    eq = equilibrium(net)
    assert eq.converged
    assert eq.x[0] == pytest.approx((1 - 2 * 0.2 - math.sqrt(1 - 0.8)) / 2, abs=1e-12)
    eq = equilibrium(net.with_input([0.3]))
    assert not eq.converged and "fold" in eq.message


def test_isn_transition_errors_and_not_found() -> None:
    with pytest.raises(ValidationError, match="direction"):
        ssn_isn_transition(direction=(-1.0, 1.0))
    with pytest.raises(ValidationError, match="two-neuron"):
        ssn_isn_transition(Network([[0.0]], activation=PowerLaw()))
    tr = ssn_isn_transition(c_max=1.0)
    assert not tr.success and tr.status == "not-found" and "c_max" in tr.message
    with pytest.raises(ValidationError, match="w_ee"):
        ssn(w_ee=-1.0)


def test_power_law_validation_and_spec() -> None:
    with pytest.raises(ValidationError, match="n must be ≥ 1"):
        PowerLaw(1.0, 0.5)
    with pytest.raises(ValidationError, match="k: must be a finite number > 0"):
        PowerLaw(0.0, 2.0)
    act = PowerLaw(0.04, 2.0)
    assert activation_from_spec(act.to_spec()) == act
    thr = PowerLaw(0.04, 2.0, threshold=1.0)
    assert activation_from_spec(thr.to_spec()) == thr and thr.supralinear
    assert float(thr(3.0)) == pytest.approx(0.04 * 4.0)


def test_specs_name_the_ssn_and_power_laws() -> None:
    import tomllib

    from eicircuits.spec import spec_from_dict

    net = spec_from_dict(tomllib.loads('[builder]\nname = "ssn"\nu_e = 20.0\n')).network()
    np.testing.assert_allclose(equilibrium(net).x, steady_state(np.array([20.0, 20.0])),
                               rtol=1e-8)
    text = ('[network]\nW = [[1.25, -0.65], [1.2, -0.5]]\ncell_types = "EI"\nu = [5.0, 5.0]\n'
            'activation = { name = "power_law", k = 0.04, n = 2, threshold = 0.0 }\n')
    assert spec_from_dict(tomllib.loads(text)).network().activation == PowerLaw(0.04, 2.0)


@pytest.mark.parametrize("backend", ["numpy", pytest.param("jax", marks=pytest.mark.slow)])
def test_batch_backends_run_power_laws_and_thresholds(backend: str) -> None:
    from eicircuits import Logistic, simulate_batch
    from eicircuits.dynamics import _jax

    if backend == "jax" and not _jax.available():
        pytest.skip("jax is not installed")
    x0 = np.array([[1.0, 2.0], [0.0, 0.0]])
    net = ssn(u_e=20.0)
    out = simulate_batch(net, x0, (0.0, 40.0), dt=0.02, method="rk4", backend=backend)
    for b in range(2):
        ref = integrate.solve_ivp(field, (0.0, 40.0), x0[b], args=(net.u,), method="DOP853",
                                  rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(np.asarray(out.x)[b, -1], ref.y[:, -1], rtol=1e-7)
    act = Logistic(gain=0.8, threshold=0.5)
    W2 = np.array([[0.5, -1.0], [1.0, -0.5]])
    net2 = Network(W2, u=[2.0, 1.0], activation=act, cell_types="EI")
    out = simulate_batch(net2, x0, (0.0, 10.0), dt=0.01, method="rk4", backend=backend)
    ref = integrate.solve_ivp(lambda t, y: -y + 1 / (1 + np.exp(-3.2 * (W2 @ y + net2.u - 0.5))),
                              (0.0, 10.0), x0[0], method="DOP853", rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.asarray(out.x)[0, -1], ref.y[:, -1], rtol=1e-9, atol=1e-10)
