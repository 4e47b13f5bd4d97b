"""Best-response dynamics against the firing-rate dynamics (SciPy DOP853 at rtol 1e-11)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from eicircuits import ClippedReLU, Network, ReLU, Tanh, ValidationError, game
from eicircuits.games import best_response_flow, best_response_rounds


def zero_diag_net(rng, n, act, tau) -> Network:
    W = rng.normal(0, 0.5, (n, n))
    np.fill_diagonal(W, 0.0)
    return Network(W=W, u=rng.normal(0.5, 1, n), activation=act, tau=tau)


@pytest.mark.parametrize("act", [ReLU(), ClippedReLU(1.0), Tanh()], ids=lambda a: a.name)
def test_zero_self_coupling_best_response_flow_is_the_rate_form(act) -> None:
    rng = np.random.default_rng(1)
    net = zero_diag_net(rng, 4, act, rng.uniform(0.5, 2.0, 4))
    gm = game(net)
    for _ in range(5):
        x = rng.uniform(0, 1, 4)
        np.testing.assert_allclose(gm.best_response(x), net.phi(net.drive(x)), rtol=1e-13,
                                   atol=1e-15)
    x0 = rng.uniform(0, 1, 4)
    t = np.linspace(0, 10, 51)
    path = best_response_flow(net, x0, (0, 10), t_eval=t, method="DOP853", rtol=1e-11,
                              atol=1e-12)
    ref = solve_ivp(lambda _t, x: net.rate_field(x), (0, 10), x0, method="DOP853", t_eval=t,
                    rtol=1e-11, atol=1e-12)
    assert path.success and path.status == 0
    np.testing.assert_allclose(path.x, ref.y.T, rtol=1e-8, atol=1e-9)


def test_rest_point_of_best_response_is_the_fr_equilibrium() -> None:
    rng = np.random.default_rng(2)
    W = rng.normal(0, 0.3, (5, 5))
    np.fill_diagonal(W, rng.uniform(0.1, 0.8, 5))  # self-coupling < 1: the two flows differ
    net = Network(W=W, u=rng.normal(0.5, 1, 5), tau=rng.uniform(0.5, 2, 5))
    sol = solve_ivp(lambda _t, x: net.rate_field(x), (0, 300), np.zeros(5), method="DOP853",
                    rtol=1e-11, atol=1e-13)
    xstar = net.phi(net.drive(sol.y[:, -1]))
    assert np.max(np.abs(net.rate_field(xstar))) < 1e-10
    np.testing.assert_allclose(game(net).best_response(xstar), xstar, atol=1e-10)
    x0 = rng.uniform(0, 1, 5)
    path = best_response_flow(net, x0, (0, 300), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(path.x[-1], xstar, atol=1e-7)
    mid = best_response_flow(net, x0, (0, 1.0), t_eval=[1.0])
    fr = solve_ivp(lambda _t, x: net.rate_field(x), (0, 1.0), x0, t_eval=[1.0], rtol=1e-10)
    assert np.max(np.abs(mid.x[-1] - fr.y[:, -1])) > 1e-3  # different paths, same rest point


def test_jacobi_rounds_are_the_fixed_point_iteration_when_w_ii_is_zero() -> None:
    rng = np.random.default_rng(3)
    net = zero_diag_net(rng, 6, ReLU(), 1.0)
    res = best_response_rounds(net, np.zeros(6), scheme="jacobi", max_rounds=5, tol=0.0)
    x = np.zeros(6)
    for k in range(1, 6):
        x = np.maximum(net.W @ x + net.u, 0.0)
        np.testing.assert_allclose(res.history[k], x, rtol=1e-15, atol=1e-15)
    assert res.nit == 5 and not res.converged and res.status == 1
    assert "no convergence within 5 rounds" in res.message


def test_gauss_seidel_lowers_the_potential_every_round_and_ends_at_nash() -> None:
    rng = np.random.default_rng(4)
    S = rng.normal(0, 0.4, (6, 6))
    W = np.triu(S, 1) + np.triu(S, 1).T
    np.fill_diagonal(W, rng.uniform(-0.5, 0.9, 6))
    net = Network(W=W, u=rng.normal(0.5, 1, 6), activation=ClippedReLU(2.0))
    pot = game(net).potential()
    res = best_response_rounds(net, rng.uniform(0, 2, 6), scheme="gauss-seidel",
                               order=rng.permutation(6), max_rounds=5000)
    assert res.converged and res.status == 0 and "converged" in res.message
    P = [pot.value(x) for x in res.history]
    assert np.all(np.diff(P) <= 1e-12)
    assert game(net).nash_gap(res.x) <= 1e-9


def test_gauss_seidel_step_by_step_matches_manual_updates() -> None:
    rng = np.random.default_rng(5)
    net = Network(W=rng.normal(0, 0.5, (4, 4)), u=rng.normal(size=4))
    res = best_response_rounds(net, np.ones(4), scheme="gauss-seidel", order=[2, 0, 3, 1],
                               max_rounds=1, tol=0.0)
    W, u = net.W, net.u
    x = np.ones(4)
    for i in [2, 0, 3, 1]:
        s = W[i] @ x - W[i, i] * x[i] + u[i]
        x[i] = max(s / (1 - W[i, i]), 0.0)
    np.testing.assert_allclose(res.x, x, rtol=1e-14)


def test_rounds_report_an_unbounded_player() -> None:
    net = Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[1.0, 0.5])
    res = best_response_rounds(net, [1 / 14, 5 / 14])
    assert res.status == 2 and not res.converged
    assert "neuron 0 has no finite best response" in res.message
    np.testing.assert_allclose(res.x, [1 / 14, 5 / 14])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda n: best_response_rounds(n, [0, 0], scheme="newton"), r"scheme: expected one of"),
        (lambda n: best_response_rounds(n, [0, 0], max_rounds=0), r"max_rounds: expected an"),
        (lambda n: best_response_rounds(n, [0, 0], tol=-1.0), r"tol: expected a finite"),
        (lambda n: best_response_rounds(n, [0, 0], order=[0, 0]), r"order: expected a permut"),
        (lambda n: best_response_rounds(n, [0]), r"x0: expected shape \(2,\)"),
        (lambda n: best_response_flow(n, [0, 0], (1.0, 0.0)), r"t_span: needs finite t0 < t1"),
        (lambda n: best_response_flow(n, [0, 0], 3.0), r"t_span: expected \(t0, t1\)"),
        (lambda n: best_response_flow(Network(W=[[1.0, 0], [0, 0]]), [0, 0], (0, 1)),
         r"needs W_ii < 1 for every neuron.*W\[0, 0\] = 1.0"),
        (lambda n: best_response_rounds(np.eye(2), [0, 0]), r"expected a Network or a Neuron"),
    ],
)
def test_bad_input_raises(call, match: str) -> None:
    net = Network(W=[[0.0, 0.5], [0.5, 0.0]])
    with pytest.raises(ValidationError, match=match):
        call(net)
