"""eicircuits.design: synthesis, fitting, stabilize and robustness against independent oracles.

Oracles: targets come from a hidden certified network and are recomputed on the designed one by
support enumeration (every equilibrium, so uniqueness too) or a long simulation; certificates are
verified in exact rational arithmetic; closed forms for stabilize and the one-neuron Lipschitz
constant; sampled input pairs for the Lipschitz bound.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from eicircuits import ClippedReLU, Network, ReLU, Tanh, equilibria, equilibrium, simulate
from eicircuits.design import fit, robustness, stabilize, synthesize, synthesize_first_order
from eicircuits.errors import ValidationError
from eicircuits.stability import Certificate
from eicircuits.stability.certificate import tau_fingerprint


def hidden_network(n: int, activation, seed: int) -> Network:
    """A random Dale network, certified with P = I by the closed-form scaling."""
    rng = np.random.default_rng(seed)
    types = "E" * (n - n // 3) + "I" * (n // 3)
    sign = np.array([1.0 if c == "E" else -1.0 for c in types])
    W = rng.uniform(0, 1, (n, n)) * sign[None, :] * (rng.random((n, n)) < 0.6) * 3 / np.sqrt(n)
    np.fill_diagonal(W, np.where(sign > 0, 0.3, -0.3))
    return stabilize(Network(W=W, activation=activation, cell_types=types),
                     weights=np.ones(n), eta=0.2).network


def targets_of(net: Network, K: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    U = np.random.default_rng(seed).normal(0.5, 1.0, (K, net.n))
    X = np.array([equilibrium(net, u=u).x for u in U])
    return U, X


def check_structure(d, types, mask=None, max_weight=None, max_self=None):
    W = d.network.W
    sign = np.array([1.0 if c == "E" else -1.0 for c in types])
    assert np.all(W * sign[None, :] >= 0)  # Dale, exactly
    if mask is not None:
        assert np.all(W[~mask] == 0)
    if max_weight is not None:
        assert np.max(np.abs(W)) <= max_weight
    if max_self is not None:
        assert np.max(np.diag(W)) <= max_self


@pytest.mark.parametrize("activation", [ReLU(), ClippedReLU(1.0)], ids=["relu", "clipped"])
def test_synthesize_reproduces_hidden_targets_uniquely(activation):
    net = hidden_network(6, activation, seed=1)
    U, X = targets_of(net, 8, seed=2)
    d = synthesize(list(zip(U, X, strict=True)), cell_types=net.cell_types, activation=activation)
    assert d.feasible and d.status == "optimal", d.message
    check_structure(d, net.cell_types)
    ver = d.certificate.verify()
    assert ver.valid and ver.exact
    np.testing.assert_array_equal(d.certificate.weights, d.weights)
    for u, x in zip(U, X, strict=True):
        eqs = equilibria(d.network, u=u)  # support enumeration: every equilibrium
        assert len(eqs) == 1
        np.testing.assert_allclose(eqs[0].x, x, atol=1e-6)
    assert d.residual <= 1e-6


def test_synthesize_tanh_against_long_simulation():
    net = hidden_network(5, Tanh(), seed=3)
    U, X = targets_of(net, 6, seed=4)
    d = synthesize(list(zip(U, X, strict=True)), cell_types=net.cell_types, activation=Tanh())
    assert d.feasible, d.message
    assert d.certificate.verify().exact
    for u, x in zip(U[:2], X[:2], strict=True):
        traj = simulate(d.network.with_input(u), np.zeros(5), (0.0, 200.0), rtol=1e-11,
                        atol=1e-13)
        np.testing.assert_allclose(traj.x[-1], x, atol=1e-6)


def test_synthesize_mask_and_bounds_exact():
    net = hidden_network(6, ReLU(), seed=5)
    U, X = targets_of(net, 4, seed=6)
    mask = (net.W != 0) | np.eye(6, dtype=bool)
    mw = float(np.max(np.abs(net.W))) * 1.01
    d = synthesize(list(zip(U, X, strict=True)), cell_types=net.cell_types, mask=mask, max_weight=mw,
                   max_self=0.3)
    assert d.feasible, d.message
    check_structure(d, net.cell_types, mask=mask, max_weight=mw, max_self=0.3)
    assert d.to_dict()["feasible"] is True


def test_same_input_two_outputs_is_infeasible():
    net = hidden_network(4, ReLU(), seed=7)
    U, X = targets_of(net, 2, seed=8)
    d = synthesize([(U[0], X[0]), (U[0], X[1])], cell_types=net.cell_types)
    assert not d.feasible and d.status == "infeasible"
    assert d.network is None and d.certificate is None
    assert "targets 0 and 1 have the same input" in d.message


def test_target_needing_forbidden_sign_is_infeasible():
    # two E neurons, both active; neuron 0 needs drive −1 (x = 0.5 with u = 1.5): impossible
    d = synthesize([([1.5, 1.0], [0.5, 1.0])], cell_types="EE")
    assert not d.feasible and d.status == "infeasible"
    assert "needs net inhibition" in d.message and "infeasible" in d.message


def test_bistable_targets_infeasible_because_of_stability():
    # x = Wx + u with x ∈ {(1, 0), (0, 1)} for the same kind of input needs W_ii ≥ 1 here
    d = synthesize([([0.5, -2.0], [1.0, 0.0]), ([0.5, -2.0 + 1e-3], [1.0, 0.0]),
                    ([0.0, 0.0], [1.0, 0.0])], cell_types="EI")
    assert not d.feasible
    assert "infeasible" in d.message


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"targets": [([1.0, 0.0], [0.5])]}, "targets"),
        ({"targets": [([1.0, np.nan], [0.5, 0.0])]}, "targets.*finite"),
        ({"targets": [([1.0, 0.0], [0.5, 0.0])], "cell_types": "EX"}, "cell_types"),
        ({"targets": [([1.0, 0.0], [-0.5, 0.0])]}, "targets.*outside the range"),
        ({"targets": [([1.0, 0.0], [1.0, 0.0])], "activation": Tanh()}, "targets.*end of the"),
        ({"targets": [([1.0, 0.0], [0.5, 0.0])], "mask": np.ones((3, 3), bool)}, "mask"),
        ({"targets": [([1.0, 0.0], [0.5, 0.0])], "margin": -1.0}, "margin"),
        ({"targets": [([1.0, 0.0], [0.5, 0.0])], "objective": "max"}, "objective"),
        ({"targets": [([1.0, 0.0], [0.5, 0.0])], "solver": "MOSEKX"}, "solver"),
        ({"targets": "abc"}, "targets"),
        ({"targets": [([1.0, 0.0], [0.5, 0.0])], "method": "newton"}, "method"),
    ],
)
def test_bad_input_names_the_argument(kwargs, match):
    kw = {"cell_types": "EI", **kwargs}
    with pytest.raises(ValidationError, match=match):
        synthesize(kw.pop("targets"), **kw)


def test_mask_forbidding_needed_self_coupling():
    # one neuron: x = w x + u needs w = 1 − u/x = 0.5; the mask forbids w
    with pytest.raises(ValidationError, match=r"mask.*mask\[0, 0\]"):
        synthesize([([1.0], [2.0])], cell_types="E", mask=[[False]])
    d = synthesize([([1.0], [2.0])], cell_types="E")
    assert d.feasible and d.network.W[0, 0] == pytest.approx(0.5, abs=1e-9)


def test_fit_error_of_the_order_of_the_noise():
    net = hidden_network(6, ReLU(), seed=9)
    U, X = targets_of(net, 30, seed=10)
    rng = np.random.default_rng(11)
    for sigma in (0.01, 0.03):
        noisy = X + sigma * rng.normal(size=X.shape)
        d = fit(U, noisy, cell_types=net.cell_types, silent_below=3 * sigma)
        assert d.feasible and d.certificate.verify().exact
        check_structure(d, net.cell_types)
        pred = np.array([equilibrium(d.network, u=u).x for u in U])
        rms = float(np.sqrt(np.mean((pred - X) ** 2)))
        assert rms < 2 * sigma, (sigma, rms)


def test_fit_alternating_is_certified_and_monotone():
    net = hidden_network(5, ReLU(), seed=12)
    U, X = targets_of(net, 12, seed=13)
    d = fit(U, X, cell_types=net.cell_types, method="alternating", max_rounds=3)
    assert d.feasible and d.certificate.verify()
    h = d.stats["loss_history"]
    assert all(b <= a * (1 + 1e-6) + 1e-9 for a, b in itertools.pairwise(h))


def test_stabilize_closed_form_and_patterns():
    net = Network(W=[[0.5, -1.0, 0.0], [3.0, -0.2, -2.0], [1.0, 0.0, -0.1]], cell_types="EII")
    p = np.array([1.0, 0.5, 2.0])
    d = stabilize(net, weights=p, eta=0.1)
    W, Wn = net.W, d.network.W
    # closed form: λ_max(N^{-1/2} H N^{-1/2}), N = 2P(I − diag W), H = PC + CᵀP
    C = W - np.diag(np.diag(W))
    N = 2 * p * (1 - np.diag(W))
    H = p[:, None] * C + (p[:, None] * C).T
    lam = np.linalg.eigvalsh(H / np.sqrt(np.outer(N, N)))[-1]
    assert d.stats["s"] == pytest.approx(min(1.0, 0.9 / lam), rel=1e-12)
    assert d.stats["s"] < 1
    np.testing.assert_array_equal(np.diag(Wn), np.diag(W))
    np.testing.assert_array_equal(np.sign(Wn), np.sign(W))
    off = ~np.eye(3, dtype=bool)
    ratio = Wn[off & (W != 0)] / W[off & (W != 0)]
    np.testing.assert_allclose(ratio, d.stats["s"], rtol=1e-14)  # one factor
    assert d.certificate.verify().exact
    # already certified: unchanged
    again = stabilize(d.network, weights=p, eta=0.05)
    assert again.stats["s"] == 1.0 and again.network is d.network
    with pytest.raises(ValidationError, match="W\\[0, 0\\]"):
        stabilize(Network(W=[[1.2, -1.0], [1.0, 0.0]], cell_types="EI"))
    with pytest.raises(ValidationError, match="eta"):
        stabilize(net, eta=1.5)


def test_robustness_one_neuron_closed_form():
    for w in (-2.0, 0.0, 0.5, 0.9):
        r = robustness(Network(W=[[w]]))
        assert r.certified
        assert r.input_lipschitz == pytest.approx(1.0 / (1.0 - w), rel=1e-12)


def test_robustness_lipschitz_holds_on_sampled_pairs():
    net = hidden_network(8, ReLU(), seed=14)
    r = robustness(net)
    assert r.certified and r.relative_radius > 0
    rng = np.random.default_rng(15)
    worst = 0.0
    for _ in range(40):
        u, v = rng.normal(size=(2, 8))
        xu, xv = equilibrium(net, u=u).x, equilibrium(net, u=v).x
        worst = max(worst, np.linalg.norm(xu - xv) / np.linalg.norm(u - v))
    assert worst <= r.input_lipschitz


def test_perturbations_within_radius_stay_certified():
    net = hidden_network(8, ReLU(), seed=16)
    r = robustness(net)
    rng = np.random.default_rng(17)
    W = net.W
    off = ~np.eye(8, dtype=bool)
    for _ in range(10):
        rel = rng.uniform(-1, 1, W.shape) * 0.99 * r.relative_radius
        Wp = W + np.where(off, rel * np.abs(W), 0.0)
        pert = net.replace(W=Wp)
        cert = Certificate(True, "lds", "perturbed within the certified radius", weights=r.weights,
                           n=8, fingerprint=pert.fingerprint(), tau_hash=tau_fingerprint(pert.tau),
                           network=pert)
        ver = cert.verify()
        assert ver.valid and ver.exact


@pytest.mark.parametrize("activation", [ReLU(), Tanh()], ids=["relu", "tanh"])
def test_first_order_small_problem_matches_targets(activation):
    net = hidden_network(8, activation, seed=18)
    U, X = targets_of(net, 5, seed=19)
    d = synthesize_first_order(list(zip(U, X, strict=True)), cell_types=net.cell_types,
                               activation=activation)
    assert d.feasible, d.message
    check_structure(d, net.cell_types)
    assert d.certificate.verify().exact
    # the residual is recomputed independently: compare with every equilibrium of the result
    for u, x in zip(U, X, strict=True):
        if isinstance(activation, ReLU):
            eqs = equilibria(d.network, u=u)
            assert len(eqs) == 1
            np.testing.assert_allclose(eqs[0].x, x, atol=1e-6)
        else:
            np.testing.assert_allclose(equilibrium(d.network, u=u).x, x, atol=1e-6)


def test_synthesize_method_first_order_agrees_with_sdp():
    net = hidden_network(8, ReLU(), seed=20)
    U, X = targets_of(net, 4, seed=21)
    pairs = list(zip(U, X, strict=True))
    a = synthesize(pairs, cell_types=net.cell_types, method="sdp")
    b = synthesize(pairs, cell_types=net.cell_types, method="first-order")
    assert a.feasible and b.feasible
    assert "SDP" in a.certificate.method and "first-order" in b.certificate.method
    assert max(a.residual, b.residual) <= 1e-6
