"""Potentials of the neurons' game, energy descent along both dynamics, and the E–I saddle.

Oracles: the defining identities (``d_i W_ij = d_j W_ji``; a unilateral change moves ``P_D`` by
``d_i`` times the mover's own energy change), a least-squares solve of ``log d_i − log d_j =
log(W_ji / W_ij)`` over every synapse (zero residual ⇔ a weighted potential exists), trajectories
from SciPy's DOP853 at ``rtol = 1e-11``, finite differences, and the saddle inequalities.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from eicircuits import ClippedReLU, Logistic, Network, ReLU, Softplus, Tanh, ValidationError, game
from eicircuits.games import decomposition, find_potential


def sym_matrix(rng: np.random.Generator, n: int, density: float = 1.0) -> np.ndarray:
    S = rng.normal(0, 1, (n, n)) * (rng.random((n, n)) < density)
    S = np.triu(S, 1)
    return S + S.T


def log_ratio_residual(W: np.ndarray) -> float:
    """Least-squares residual of log d_i − log d_j = log(W_ji/W_ij) over all synapse pairs."""
    n = W.shape[0]
    rows, rhs = [], []
    for i in range(n):
        for j in range(i + 1, n):
            if W[i, j] != 0:
                e = np.zeros(n)
                e[i], e[j] = 1.0, -1.0
                rows.append(e)
                rhs.append(math.log(W[j, i] / W[i, j]))
    if not rows:
        return 0.0
    A, b = np.array(rows), np.array(rhs)
    sol = np.linalg.lstsq(A, b, rcond=None)[0]
    return float(np.max(np.abs(A @ sol - b)))


def random_dale(rng: np.random.Generator, n: int, density: float) -> Network:
    n_e = max(1, int(0.8 * n))
    W = rng.exponential(1.0, (n, n)) * (rng.random((n, n)) < density) / n
    W[:, n_e:] *= -3.0
    np.fill_diagonal(W, 0.0)
    return Network(W=W, cell_types="E" * n_e + "I" * (n - n_e))


# ---------------------------------------------------------------- detection
def test_symmetric_W_has_an_exact_potential_with_the_unilateral_identity() -> None:
    rng = np.random.default_rng(0)
    W = sym_matrix(rng, 5)
    np.fill_diagonal(W, rng.uniform(-1, 2, 5))
    net = Network(W=W, u=rng.normal(size=5), activation=Tanh())
    res = game(net).potential()
    assert res.exists and res.kind == "exact" and res.n_components == 1
    np.testing.assert_array_equal(res.weights, np.ones(5))
    assert "exact potential" in res.reason
    gm = game(net)
    x = rng.uniform(-0.8, 0.8, 5)
    for i in range(5):
        y = x.copy()
        y[i] = rng.uniform(-0.9, 0.9)
        dP = res.value(y) - res.value(x)
        dE = gm.energy(i, x, y=y[i]) - gm.energy(i, x)
        np.testing.assert_allclose(dP, dE, rtol=1e-10, atol=1e-12)
    # value: ½ xᵀ(I − W)x − uᵀx + Σ g_i(x_i), written out.
    want = 0.5 * x @ (np.eye(5) - W) @ x - net.u @ x + float(np.sum(Tanh().g(x)))
    np.testing.assert_allclose(res.value(x), want, rtol=1e-13)
    assert res.value(np.full(5, 1.5)) == math.inf


@settings(max_examples=20)
@given(st.integers(0, 2**32 - 1), st.integers(2, 7), st.sampled_from([1.0, 0.6]))
def test_d_symmetrisable_W_gets_the_right_D(seed: int, n: int, density: float) -> None:
    rng = np.random.default_rng(seed)
    d0 = rng.uniform(0.2, 5.0, n)
    S = sym_matrix(rng, n, density)
    W = S / d0[:, None]  # d0_i W_ij = S_ij is symmetric
    np.fill_diagonal(W, rng.normal(size=n))
    net = Network(W=W, u=rng.normal(size=n))
    res = find_potential(net)
    assert res.exists, res.reason
    d = res.weights
    assert d[0] == 1.0 and np.all(d > 0)
    DW = d[:, None] * W
    off = ~np.eye(n, dtype=bool)
    np.testing.assert_allclose(DW[off], DW.T[off], rtol=1e-10, atol=1e-14)
    # Unique up to one scale per connected component, normalised at each component's first neuron.
    from scipy.sparse.csgraph import connected_components

    k, labels = connected_components(sp.csr_array(S != 0), directed=False)
    assert res.n_components == k
    for c in range(k):
        members = np.flatnonzero(labels == c)
        np.testing.assert_allclose(d[members], d0[members] / d0[members[0]], rtol=1e-10)
    assert res.kind == ("exact" if np.allclose(d, 1.0) else "weighted")
    # Same answer for sparse storage.
    sres = find_potential(Network(W=sp.csr_array(W), u=net.u))
    np.testing.assert_allclose(sres.weights, d, rtol=1e-14)
    # The weighted potential's unilateral identity: ΔP_D = d_i ΔE_i.
    gm = game(net)
    x = rng.uniform(0, 2, n)
    i = int(rng.integers(n))
    y = x.copy()
    y[i] += 0.7
    np.testing.assert_allclose(res.value(y) - res.value(x),
                               d[i] * (gm.energy(i, x, y=y[i]) - gm.energy(i, x)),
                               rtol=1e-9, atol=1e-11)


@settings(max_examples=20)
@given(st.integers(0, 2**32 - 1), st.integers(3, 6))
def test_broken_cycle_is_named_and_agrees_with_least_squares(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    d0 = rng.uniform(0.5, 2.0, n)
    W = np.abs(sym_matrix(rng, n)) / d0[:, None] + 0.1 * ~np.eye(n, dtype=bool)
    np.fill_diagonal(W, 0.0)
    i, j = rng.choice(n, 2, replace=False)
    W[i, j] *= rng.uniform(1.5, 3.0)  # on a cycle (complete graph): breaks D-symmetry
    res = find_potential(Network(W=W))
    assert log_ratio_residual(W) > 1e-6
    assert not res.exists and res.kind is None and res.weights is None
    m = re.search(r"cycle of neurons ([\d → ]+) breaks", res.reason)
    assert m, res.reason
    cyc = [int(k) for k in m.group(1).split(" → ")]
    assert cyc[0] == cyc[-1] and len(set(cyc)) == len(cyc) - 1 >= 3
    fwd = math.prod(W[cyc[k], cyc[k + 1]] for k in range(len(cyc) - 1))
    bwd = math.prod(W[cyc[k + 1], cyc[k]] for k in range(len(cyc) - 1))
    assert abs(fwd - bwd) > 1e-9 * max(fwd, bwd)
    with pytest.raises(ValidationError, match="potential: this game has none"):
        res.value(np.zeros(n))


@settings(max_examples=15)
@given(st.integers(0, 2**32 - 1), st.integers(4, 30))
def test_random_dale_ei_networks_never_have_a_potential(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    net = random_dale(rng, n, density=0.5)
    W = net.W
    e, i = net.e_idx, net.i_idx
    if not np.any(W[np.ix_(i, e)]) and not np.any(W[np.ix_(e, i)]):
        return  # E and I not coupled at all: not an E–I circuit
    res = game(net).potential()
    assert not res.exists
    m = re.search(r"neurons (\d+) \(.*\) and (\d+) \(.*\) have W\[(\d+), (\d+)\]", res.reason)
    assert m, res.reason
    a, b = int(m.group(1)), int(m.group(2))
    assert np.sign(W[a, b]) != np.sign(W[b, a])  # the named pair really is offending
    if net.cell_types[a] != net.cell_types[b]:
        assert "Dale's law" in res.reason


def test_library_random_ei_builder_has_no_potential() -> None:
    circuits = pytest.importorskip("eicircuits.circuits")
    for seed in range(5):
        net = circuits.random_ei(40, density=0.2, rng=seed)
        res = game(net).potential()
        assert not res.exists and res.reason.startswith("no weighted potential: neurons")


def test_ei_pair_reason_mentions_dale_and_several_components() -> None:
    res = find_potential(Network(W=[[0.0, -1.0], [2.0, 0.0]], cell_types="EI",
                                 names=["e", "i"]))
    assert "neurons 0 ('e', E) and 1 ('i', I)" in res.reason and "Dale's law" in res.reason
    res = find_potential(Network(W=[[0.0, 1.0], [0.0, 0.0]]))
    assert "one of them is zero" in res.reason
    W = np.zeros((4, 4))
    W[0, 1], W[1, 0], W[2, 3], W[3, 2] = 2.0, 1.0, 3.0, 1.0
    res = find_potential(Network(W=W))
    assert res.n_components == 2 and "2 connected components" in res.reason
    np.testing.assert_allclose(res.weights, [1.0, 2.0, 1.0, 3.0])
    with pytest.raises(ValidationError, match=r"potential: rtol must be a finite number in \[0, 1\)"):
        find_potential(Network(W=W), rtol=2.0)


# ---------------------------------------------------------------- energy descent
def _weighted_net(rng, n, act, tau, weighted: bool) -> Network:
    d0 = rng.uniform(0.3, 3.0, n) if weighted else np.ones(n)
    W = sym_matrix(rng, n) * 0.9 / d0[:, None]
    np.fill_diagonal(W, rng.uniform(-0.5, 1.5, n))  # some W_ii > 1 too
    return Network(W=W, u=rng.normal(0.5, 1.0, n), activation=act, tau=tau)


@pytest.mark.parametrize("act", [ReLU(), ClippedReLU(1.0)], ids=["relu", "clipped"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("tau", ["equal", "unequal"])
def test_potential_never_increases_along_rate_trajectories(act, weighted, tau) -> None:
    rng = np.random.default_rng(11 + weighted + 2 * (tau == "unequal"))
    n = 5
    taus = np.ones(n) if tau == "equal" else rng.uniform(0.1, 5.0, n)
    net = _weighted_net(rng, n, act, taus, weighted)
    res = game(net).potential()
    assert res.exists and res.kind == ("weighted" if weighted else "exact")
    hi = act.value_range[1]
    for _ in range(3):
        x0 = rng.uniform(0, min(hi, 2.0), n)
        t = np.linspace(0, 15, 601)
        sol = solve_ivp(lambda _t, x: net.rate_field(x), (0, 15), x0, method="DOP853",
                        t_eval=t, rtol=1e-11, atol=1e-12)
        assert sol.status == 0
        xs = np.clip(sol.y.T, 0.0, hi)  # rounding-level excursions (≤ 1e-12) back into the box
        assert np.max(np.abs(xs - sol.y.T)) < 1e-10
        P = np.array([res.value(x) for x in xs])
        assert np.all(np.isfinite(P))
        assert np.all(np.diff(P) <= 1e-9 * (1 + np.abs(P[:-1]))), np.max(np.diff(P))
        assert P[-1] < P[0] - 1e-6 or np.allclose(xs[-1], x0)


@pytest.mark.parametrize("act", [Tanh(), Logistic(), Softplus()], ids=lambda a: a.name)
@pytest.mark.parametrize("weighted", [False, True])
def test_hopfield_energy_never_increases_along_voltage_trajectories(act, weighted) -> None:
    rng = np.random.default_rng(21 + weighted)
    n = 4
    taus = rng.uniform(0.2, 4.0, n)
    net = _weighted_net(rng, n, act, taus, weighted)
    res = game(net).potential()
    d = res.weights
    v0 = rng.normal(0, 2, n)
    sol = solve_ivp(lambda _t, v: net.voltage_field(v), (0, 12), v0, method="DOP853",
                    dense_output=True, rtol=1e-11, atol=1e-12)
    t = np.linspace(0, 12, 400)
    H = np.array([res.voltage_value(sol.sol(s)) for s in t])
    assert np.all(np.diff(H) <= 1e-10 * (1 + np.abs(H[:-1])))
    assert H[-1] < H[0]
    # The derivation: dH/dt = −Σ d_i τ_i φ'(v_i) v̇_i², checked by central differences.
    h = 1e-5
    for s in t[1:-1:40]:
        fd = (res.voltage_value(sol.sol(s + h)) - res.voltage_value(sol.sol(s - h))) / (2 * h)
        v = sol.sol(s)
        vdot = net.voltage_field(v)
        want = -np.sum(d * net.tau * net.dphi(v) * vdot**2)
        np.testing.assert_allclose(fd, want, rtol=1e-5, atol=1e-8)


def test_voltage_energy_is_hopfields_formula() -> None:
    # Hopfield (1984): H(v) = −½ VᵀWV − uᵀV + Σ ∫_0^{V_i} φ⁻¹(s) ds with V = Φ(v); the integral
    # by quadrature, independent of the closed-form g.
    from scipy.integrate import quad

    rng = np.random.default_rng(41)
    W = sym_matrix(rng, 3)
    net = Network(W=W, u=rng.normal(size=3), activation=Tanh())
    res = game(net).potential()
    for _ in range(3):
        v = rng.normal(0, 1.5, 3)
        V = np.tanh(v)
        integral = sum(quad(np.arctanh, 0.0, Vi, epsabs=1e-13)[0] for Vi in V)
        H = -0.5 * V @ W @ V - net.u @ V + integral
        np.testing.assert_allclose(res.voltage_value(v), H, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- decomposition
def reciprocal_ei(rng: np.random.Generator, n_e: int = 3, n_i: int = 2) -> tuple[Network, np.ndarray]:
    """An E–I network with P_E W_EE, P_I W_II symmetric and P_E |W_EI| = W_IEᵀ P_I."""
    n = n_e + n_i
    p = rng.uniform(0.5, 2.0, n)
    p /= p[0]
    A = np.abs(sym_matrix(rng, n_e)) * 0.3
    B = np.abs(sym_matrix(rng, n_i)) * 0.3
    W = np.zeros((n, n))
    W[:n_e, :n_e] = A / p[:n_e, None]
    W[n_e:, n_e:] = -B / p[n_e:, None]
    W_IE = rng.uniform(0.2, 1.5, (n_i, n_e))
    W[n_e:, :n_e] = W_IE
    W[:n_e, n_e:] = -(W_IE.T * p[None, n_e:]) / p[:n_e, None]
    np.fill_diagonal(W, np.r_[rng.uniform(0, 0.5, n_e), rng.uniform(-0.5, 0, n_i)])
    net = Network(W=W, u=rng.uniform(0.5, 2.0, n), cell_types="E" * n_e + "I" * n_i)
    return net, p


def test_reciprocal_ei_coupling_gives_an_exact_saddle_function() -> None:
    rng = np.random.default_rng(31)
    net, p = reciprocal_ei(rng)
    dec = game(net).decomposition()
    assert dec.saddle_exact and "exact" in dec.reason
    np.testing.assert_allclose(dec.weights, p, rtol=1e-12)
    M = p[:, None] * (np.eye(5) - net.W)
    np.testing.assert_allclose(dec.symmetric + dec.skew, M, rtol=1e-14)
    np.testing.assert_allclose(dec.symmetric, dec.symmetric.T)
    np.testing.assert_allclose(dec.skew, -dec.skew.T)
    assert dec.check_residual < 1e-13
    # Partial derivatives of L by central differences: ∇_E L = (P F)_E, ∇_I L = −(P F)_I.
    x = rng.uniform(0.2, 1.5, 5)
    h = 1e-6
    fd = np.array([(dec.saddle_value(x + h * e) - dec.saddle_value(x - h * e)) / (2 * h)
                   for e in np.eye(5)])
    PF = p * ((np.eye(5) - net.W) @ x - net.u)
    np.testing.assert_allclose(fd, dec.signs * PF, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(dec.saddle_gradient(x), dec.signs * PF, rtol=1e-12, atol=1e-12)


def test_saddle_point_inequalities_at_the_equilibrium() -> None:
    # With L convex in x_E and concave in x_I, the equilibrium is a saddle point on the box:
    # L(x_E, x*_I) ≥ L(x*) ≥ L(x*_E, x_I).
    rng = np.random.default_rng(32)
    net, _ = reciprocal_ei(rng)
    dec = decomposition(net)
    assert dec.convex_concave
    sol = solve_ivp(lambda _t, x: net.rate_field(x), (0, 400), np.zeros(5), method="DOP853",
                    rtol=1e-11, atol=1e-13)
    xs = net.phi(net.drive(sol.y[:, -1]))
    assert np.max(np.abs(net.rate_field(xs))) < 1e-9
    Lstar = dec.saddle_value(xs)
    e = dec.signs > 0
    for _ in range(50):
        y = rng.uniform(0, 3, 5)
        assert dec.saddle_value(np.where(e, y, xs)) >= Lstar - 1e-9
        assert dec.saddle_value(np.where(e, xs, y)) <= Lstar + 1e-9


def test_non_reciprocal_coupling_is_reported_not_exact() -> None:
    # A tree of couplings can always be weighted; the I–I synapse closes a broken cycle.
    tree = Network(W=[[0.5, -2.0, -1.0], [1.0, 0.0, 0.0], [3.0, 0.0, 0.0]], cell_types="EII")
    assert decomposition(tree).saddle_exact
    np.testing.assert_allclose(decomposition(tree).weights, [1.0, 2.0, 1 / 3])
    net = Network(W=[[0.5, -2.0, -1.0], [1.0, 0.0, -1.0], [3.0, -1.0, 0.0]], cell_types="EII")
    dec = decomposition(net)
    assert not dec.saddle_exact and dec.reason.startswith("not exact")
    assert "no weights make the coupling reciprocal" in dec.reason
    assert dec.check_residual > 1e-3
    one_way = decomposition(Network(W=[[0.0, 0.0], [1.0, 0.0]], cell_types="EI"))
    assert not one_way.saddle_exact
    sym_net = Network(W=[[0.0, 0.5], [0.5, 0.2]])
    dec = decomposition(sym_net)
    assert dec.saddle_exact and dec.skew_fraction == 0.0 and "no cell types" in dec.reason
    # The decomposition with a user P: M = P(I − W).
    dec = decomposition(net, P=[1.0, 2.0, 3.0])
    np.testing.assert_allclose(dec.matrix, np.diag([1.0, 2.0, 3.0]) @ (np.eye(3) - net.W))
    sdec = decomposition(Network(W=sp.csr_array(net.W), cell_types="EII"), P=[1.0, 2.0, 3.0])
    np.testing.assert_allclose(sdec.symmetric.toarray(), dec.symmetric)
    assert sdec.saddle_exact == dec.saddle_exact


@pytest.mark.parametrize(
    ("P", "match"),
    [
        ([1.0, -1.0, 1.0], r"P: every weight must be finite and > 0; P\[1\] = -1.0"),
        ([1.0, 2.0], r"P: expected 3 positive weights, got shape \(2,\)"),
        (np.ones((3, 3)), r"P: expected a diagonal 3 × 3 matrix"),
    ],
)
def test_bad_weights_raise(P, match: str) -> None:
    net = Network(W=np.zeros((3, 3)))
    with pytest.raises(ValidationError, match=match):
        decomposition(net, P=P)


def test_saddle_value_outside_the_range_raises() -> None:
    net, _ = reciprocal_ei(np.random.default_rng(3))
    with pytest.raises(ValidationError, match=r"saddle_value: x\[0\] = -1.0 lies outside"):
        decomposition(net).saddle_value([-1.0, 0, 0, 0, 0])


def test_descent_along_the_library_simulations() -> None:
    # The same statements along eicircuits.simulate's trajectories (both forms).
    from eicircuits import simulate

    rng = np.random.default_rng(51)
    net = _weighted_net(rng, 6, ClippedReLU(1.5), rng.uniform(0.2, 3.0, 6), True)
    res = game(net).potential()
    tr = simulate(net, rng.uniform(0, 1.5, 6), (0.0, 20.0), t_eval=np.linspace(0, 20, 401),
                  rtol=1e-10, atol=1e-12)
    P = np.array([res.value(np.clip(x, 0.0, 1.5)) for x in tr.x])
    assert np.max(np.abs(np.clip(tr.x, 0.0, 1.5) - tr.x)) < 1e-9
    assert np.all(np.diff(P) <= 1e-8 * (1 + np.abs(P[:-1])))
    smooth = _weighted_net(rng, 6, Logistic(), rng.uniform(0.2, 3.0, 6), True)
    res = game(smooth).potential()
    tv = simulate(smooth, rng.normal(0, 2, 6), (0.0, 20.0), form="voltage",
                  t_eval=np.linspace(0, 20, 401), rtol=1e-10, atol=1e-12)
    H = np.array([res.voltage_value(v) for v in tv.x])
    assert np.all(np.diff(H) <= 1e-8 * (1 + np.abs(H[:-1]))) and H[-1] < H[0]


@pytest.mark.parametrize(("w_ee", "convex"), [(0.5, True), (1.0, True), (2.0, False)])
def test_wilson_cowan_is_always_an_exact_saddle_flow(w_ee: float, convex: bool) -> None:
    # Two populations: the coupling graph is a tree, so P = diag(1, w_EI/w_IE) makes the E–I
    # coupling reciprocal; L is convex in r_E exactly when w_EE ≤ 1 (not in the ISN regime).
    circuits = pytest.importorskip("eicircuits.circuits")
    net = circuits.wilson_cowan(w_ee, 3.0, 1.5, 0.5, u_e=1.0, u_i=0.2)
    dec = decomposition(net)
    assert dec.saddle_exact and dec.check_residual < 1e-14
    np.testing.assert_allclose(dec.weights, [1.0, 2.0])
    assert dec.convex_concave is convex
    assert not game(net).potential().exists
