"""Equilibria that remember their problem, ``method="auto"`` that does not give up, the state
reached from a start, and one result shape (issues 10 and 13).

Oracles: the clipped-ReLU reproduction is checked against Newton, fixed-point iteration and
support enumeration; Lemke on boxes against support enumeration; ``from_state`` against long
``scipy.integrate.solve_ivp`` runs.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from eicircuits import ClippedReLU, Logistic, Network, equilibria, equilibrium, simulate
from eicircuits.circuits import lateral_inhibition
from eicircuits.dynamics import simulate_batch
from eicircuits.errors import ConvergenceError, ValidationError

W13 = [[0.625, 1.75, 3.0, 0.875], [0, 0, 0, 0], [1.125, 0, 0, 3.0], [0.625, 0.625, 2.5, 2.0]]
U13 = [-1.0, 0.125, 1.875, 0.0]


# ---------------------------------------------------------------- issue 13: auto must not give up
def test_clipped_relu_auto_converges_and_lists_methods() -> None:
    net = Network(W=W13, u=U13, activation=ClippedReLU())
    eq = equilibrium(net)
    assert eq.converged and eq.residual <= 1e-12, eq.message
    np.testing.assert_allclose(eq.x, [1.0, 0.125, 1.0, 1.0], atol=1e-12)
    assert "active-set" in eq.message and eq.stats["methods_tried"][-1] == eq.method
    for method in ("newton", "fixed-point"):  # independent oracles
        np.testing.assert_allclose(equilibrium(net, method=method).x, eq.x, atol=1e-10)
    (only,) = equilibria(net)
    np.testing.assert_allclose(only.x, eq.x, atol=1e-12)
    # Lemke on the box formulation alone solves it (it ended on a secondary ray before).
    lem = equilibrium(net, method="lemke")
    assert lem.converged, lem.message


@pytest.mark.parametrize("seed", range(12))
def test_lemke_on_boxes_always_solves(seed: int) -> None:
    # Every clipped-ReLU network has an equilibrium (Brouwer) and Lemke's method with the box
    # covering vector must find one; it must be among the enumerated equilibria.
    rng = np.random.default_rng(seed)
    n = 5
    W = rng.uniform(-3, 3, (n, n))
    u = rng.uniform(-2, 2, n)
    net = Network(W=W, u=u, activation=ClippedReLU())
    eq = equilibrium(net, method="lemke")
    assert eq.converged, eq.message
    found = np.array([e.x for e in equilibria(net)])
    assert np.min(np.max(np.abs(found - eq.x), axis=1)) <= 1e-9


def test_auto_failure_lists_every_method_and_doable_advice() -> None:
    net = Network(W=[[2.0]], u=[1.0])  # runaway: no equilibrium at all
    eq = equilibrium(net)
    assert not eq.converged
    for name in ("active-set", "lemke", "newton", "fixed-point"):
        assert name in eq.message
    assert "simulate(net" in eq.message
    with pytest.raises(ConvergenceError):
        eq.raise_if_failed()


def test_equilibria_on_logistic_gives_advice_that_exists() -> None:
    net = Network(W=[[0.5, -1.0], [1.0, 0.0]], u=[0.2, 0.0], activation=Logistic())
    with pytest.raises(ValidationError) as info:
        equilibria(net)
    msg = str(info.value)
    assert "method='newton'" not in msg and "equilibrium(net" in msg
    # the advice is doable:
    assert equilibrium(net).converged
    assert equilibrium(net, from_state=np.zeros(2)).converged


# ---------------------------------------------------------------- issue 10: from_state
def test_from_state_wta_single_winner_like_a_run_from_rest() -> None:
    net = lateral_inhibition(5, a=0.0, b=2.0, c=2.0, d=0.5, wiring="local",
                             u=np.linspace(1.0, 1.04, 5))
    plain = equilibrium(net).with_stability()
    assert plain.stable is False  # the solver's pick is an unstable mixed state
    eq = equilibrium(net, from_state=np.zeros(net.n))
    assert eq.converged and eq.method == "from-state" and eq.stable is True
    sol = solve_ivp(lambda t, x: net.rate_field(x), (0, 400), np.zeros(net.n), rtol=1e-10,
                    atol=1e-12, method="LSODA")
    np.testing.assert_allclose(eq.x, sol.y[:, -1], atol=1e-7)
    assert np.count_nonzero(eq.x[:5] > 1e-9) == 1 and eq.x[4] == pytest.approx(1.04)
    # another start settles elsewhere (multistability)
    start = np.zeros(net.n)
    start[0] = 2.0
    other = equilibrium(net, from_state=start)
    assert other.converged and other.x[0] > 0 and other.stable is True


def test_from_state_refuses_combinations_and_reports_oscillation() -> None:
    net = Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[1.0, 0.5], tau=[1.0, 4.0])  # past Hopf
    with pytest.raises(ValidationError, match="from_state"):
        equilibrium(net, from_state=[0.0, 0.0], method="lemke")
    with pytest.raises(ValidationError, match="from_state"):
        equilibrium(net, from_state=[0.0, 0.0, 0.0])
    eq = equilibrium(net, from_state=[0.0, 0.0])
    assert not eq.converged and "oscillate" in eq.message


# ---------------------------------------------------------------- one result shape
def test_equilibrium_result_shape() -> None:
    net = Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[1.0, 0.5], cell_types="EI")
    eq = equilibrium(net).with_stability()
    assert eq.success is eq.converged is True and eq.status == "converged" and eq.ok
    assert eq.stats["iterations"] == eq.iterations
    d = eq.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["u"] == [1.0, 0.5] and d["fingerprint"] == net.fingerprint()
    assert d["stability"]["verdict"] == "stable" and "_net" not in d
    bad = equilibrium(Network(W=[[2.0]], u=[1.0]))
    assert bad.status == "failed" and not bad.success
    json.dumps(bad.to_dict(), allow_nan=False)
    assert bad.with_stability().stability.verdict == "undecided"


def test_trajectory_results_share_the_shape() -> None:
    net = Network(W=[[0.5]], u=[1.0])
    tr = simulate(net, [0.0], (0.0, 1.0))
    assert tr.success and tr.ok and tr.raise_if_failed() is tr and tr.stats["steps"] > 0
    json.dumps(tr.to_dict(), allow_nan=False)
    batch = simulate_batch(net, np.zeros((2, 1)), (0.0, 1.0), dt=0.5, backend="numpy")
    assert batch.ok and "2 of 2" in batch.message and batch.raise_if_failed() is batch
    json.dumps(batch.to_dict(), allow_nan=False)
    runaway = simulate_batch(Network(W=[[3.0]], u=[1.0]), np.zeros((2, 1)), (0.0, 50.0),
                             dt=0.1, backend="numpy", bound=1e3)
    assert not runaway.ok
    with pytest.raises(ConvergenceError, match="member 0"):
        runaway.raise_if_failed()
