"""Tests of eicircuits.fixed_points against independent oracles (docs/theory.md §4, §5).

Oracles: numpy.linalg.solve (linear networks), exact rational Lemke (``fractions``), an
independent brute-force enumeration written here, long DOP853 simulations (rtol 1e-11), and the
closed forms of docs/theory.md §5.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from eicircuits import (
    ClippedReLU,
    ConvergenceError,
    EICircuitsWarning,
    Linear,
    Logistic,
    Network,
    ReLU,
    SizeLimitError,
    Softplus,
    Tanh,
    ValidationError,
    equilibria,
    equilibrium,
)
from eicircuits.activations import Scaled
from eicircuits.fixed_points import METHODS, Equilibrium, lemke, report_section
from eicircuits.fixed_points._lemke import box_to_lcp

ISN_W = [[2.0, -3.0], [3.0, -1.0]]

# Random 4- and 5-neuron networks with I − W a P-matrix (every principal minor > 1e-3) on which
# plain active-set Newton from x0 = 0 cycles. Found by search (numpy default_rng seeds 1, 2, 10,
# 12; W, u ~ N(0, 1) rounded), 5 in about 2100 P-matrix cases.
CYCLING = [
    ([[-1.07, -1.27, 0.92, 1.29], [-0.58, 0.43, 0.64, 1.01], [-0.1, -0.11, 0.08, -0.15],
      [-2.38, -0.73, -1.25, -0.09]], [0.78, 0.84, 0.89, -0.28]),
    ([[0.6, 0.9, 0.8, -1.4], [-1.9, -0.5, -1.7, 2.0], [-0.9, 1.6, 0.8, -0.3],
      [-0.3, 0.7, 1.2, -1.0]], [-0.5, -1.6, 0.4, -1.0]),
    ([[-0.2, 0.4, 1.7, 1.3], [0.3, -1.0, 0.3, -0.7], [-0.9, 1.5, -0.5, -2.2],
      [-1.0, 1.0, 1.5, 0.7]], [-1.8, 0.6, 1.6, 0.0]),
    ([[0.9, -0.7, -0.0, -0.6, 0.6], [3.4, -0.7, -0.3, -0.7, 1.0], [-0.4, 1.8, -2.1, -0.2, -0.2],
      [0.6, -0.2, -0.4, -0.2, 1.3], [-0.8, 1.6, -0.3, -0.7, -0.6]], [0.2, -1.0, -0.8, -0.5, -0.3]),
    ([[-0.6, -0.8, 0.2, -0.4, -0.4], [1.0, 0.2, 0.8, 0.3, -0.1], [1.2, -0.9, 0.7, 2.1, -0.9],
      [0.4, 0.8, 0.1, -1.1, -0.6], [-0.1, 0.1, 2.4, -0.3, 0.3]], [-1.3, -2.1, 0.7, 0.4, -0.3]),
]


# ---------------------------------------------------------------------------- helpers
def exact_relu_solution(W: list[list[float]], u: list[float]) -> list[Fraction]:
    """The ReLU equilibrium by Lemke's method in exact rational arithmetic (W, u as decimals)."""
    n = len(u)
    Wf = [[Fraction(str(w)) for w in row] for row in W]
    M = [[Fraction(int(i == j)) - Wf[i][j] for j in range(n)] for i in range(n)]
    q = [-Fraction(str(v)) for v in u]
    res = lemke(M, q, exact=True)
    assert res.status == "solved"
    z = list(res.z)
    w = [sum(M[i][j] * z[j] for j in range(n)) + q[i] for i in range(n)]
    assert all(v >= 0 for v in z) and all(v >= 0 for v in w)
    assert sum(a * b for a, b in zip(z, w, strict=True)) == 0
    return z


def brute_force(W: np.ndarray, u: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[np.ndarray]:
    """Every solution of x = clip(Wx + u, lo, hi), trying all 3ⁿ states (independent code)."""
    n = len(u)
    sols: list[np.ndarray] = []
    for states in itertools.product("LAH", repeat=n):
        if any(s == "L" and not np.isfinite(lo[i]) for i, s in enumerate(states)):
            continue
        if any(s == "H" and not np.isfinite(hi[i]) for i, s in enumerate(states)):
            continue
        x = np.array([lo[i] if s == "L" else hi[i] if s == "H" else 0.0
                      for i, s in enumerate(states)])
        act = [i for i, s in enumerate(states) if s == "A"]
        if act:
            fixed = [i for i in range(n) if i not in act]
            rhs = u[act] + W[np.ix_(act, fixed)] @ x[fixed]
            try:
                x[act] = np.linalg.solve(np.eye(len(act)) - W[np.ix_(act, act)], rhs)
            except np.linalg.LinAlgError:
                continue
        if np.max(np.abs(x - np.clip(W @ x + u, lo, hi))) < 1e-9 and not any(
            np.allclose(x, y, atol=1e-8) for y in sols
        ):
            sols.append(x)
    return sols


def simulate_to_rest(net: Network, x0: np.ndarray, t_end: float = 400.0,
                     rtol: float = 1e-11) -> np.ndarray:
    sol = solve_ivp(lambda t, x: net.rate_field(x), (0.0, t_end), x0, method="DOP853",
                    rtol=rtol, atol=1e-2 * rtol)
    assert sol.success
    return sol.y[:, -1]


def random_ei(rng: np.random.Generator, n: int, norm: float, density: float = 1.0,
              sparse: bool = False):  # type: ignore[no-untyped-def]
    """Dale-sign E–I weights (80 % E) scaled to spectral norm ``norm`` (< 1: I − W is P)."""
    n_e = max(1, round(0.8 * n))
    mask = rng.random((n, n)) < density
    W = rng.random((n, n)) * mask
    W[:, n_e:] *= -4.0
    W *= norm / np.linalg.norm(W, 2)
    types = "E" * n_e + "I" * (n - n_e)
    return (sp.csr_array(W) if sparse else W), types


# ---------------------------------------------------------------------------- linear
def test_linear_matches_numpy_solve() -> None:
    rng = np.random.default_rng(1)
    for n in (1, 3, 8, 40):
        W = rng.normal(size=(n, n)) / np.sqrt(n)
        u = rng.normal(size=n)
        eq = equilibrium(Network(W=W, u=u, activation=Linear()))
        np.testing.assert_allclose(eq.x, np.linalg.solve(np.eye(n) - W, u), rtol=1e-10,
                                   atol=1e-12)
        assert eq.converged and eq.residual <= 1e-10 and eq.active.size == n


def test_linear_singular_is_not_converged() -> None:
    eq = equilibrium(Network(W=[[1.0, 0.0], [0.0, 0.5]], u=[1.0, 1.0], activation=Linear()))
    assert not eq.converged
    assert "singular" in eq.message
    with pytest.raises(ConvergenceError, match="singular"):
        eq.raise_if_failed()


# ---------------------------------------------------------------------------- docs/theory.md §5 ISN
def test_isn_unique_equilibrium_exact() -> None:
    z = exact_relu_solution(ISN_W, [1.0, 0.5])
    assert z == [Fraction(1, 14), Fraction(5, 14)]
    for method in ("auto", "active-set", "lemke"):
        eq = equilibrium(Network(W=ISN_W, u=[1.0, 0.5]), method=method)
        assert eq.converged
        np.testing.assert_allclose(eq.x, [1 / 14, 5 / 14], rtol=0, atol=1e-14)
    eqs = equilibria(Network(W=ISN_W, u=[1.0, 0.5]))
    assert len(eqs) == 1 and np.allclose(eqs[0].x, [1 / 14, 5 / 14], atol=1e-14)


def test_isn_paradoxical_response() -> None:
    net = Network(W=ISN_W, u=[1.0, 0.5])
    h = 1e-6
    xp = equilibrium(net, u=[1.0, 0.5 + h]).x
    xm = equilibrium(net, u=[1.0, 0.5 - h]).x
    assert (xp[1] - xm[1]) / (2 * h) == pytest.approx(-1 / 7, abs=1e-8)


def test_isn_three_equilibria_classified() -> None:
    net = Network(W=ISN_W, u=[-1.0, -4.0], cell_types="EI")
    eqs = equilibria(net)
    expected = [[0.0, 0.0], [1.0, 0.0], [10 / 7, 1 / 7]]
    assert len(eqs) == 3
    for eq, x in zip(eqs, expected, strict=True):
        np.testing.assert_allclose(eq.x, x, atol=1e-13)
        assert eq.converged and eq.residual <= 1e-13 and eq.method == "enumeration"
    stable0, saddle, focus = eqs
    assert stable0.stable is True and np.allclose(stable0.eigenvalues, [-1, -1])
    assert saddle.stable is False
    assert saddle.eigenvalues.real.max() > 0 > saddle.eigenvalues.real.min()
    np.testing.assert_allclose(sorted(saddle.eigenvalues.real), [-1.0, 1.0])
    assert focus.stable is True
    assert np.all(focus.eigenvalues.real < 0) and np.all(np.abs(focus.eigenvalues.imag) > 0)
    # trace = (2 − 1) − (1 + 1) = −1, det = ((1 − 2)(1 + 1) + 9) = 7 for τ = 1.
    assert np.sum(focus.eigenvalues).real == pytest.approx(-1.0)
    assert np.prod(focus.eigenvalues).real == pytest.approx(7.0)
    # Exact: every equilibrium solves the LCP in rationals.
    for x in ([0, 0], [1, 0], [Fraction(10, 7), Fraction(1, 7)]):
        drive = [2 * x[0] - 3 * x[1] - 1, 3 * x[0] - x[1] - 4]
        assert all(xi == max(d, 0) for xi, d in zip(x, drive, strict=True))
    # Lemke (exact) finds one of the three.
    res = lemke([[-1, 3], [-3, 2]], [1, 4], exact=True)
    assert res.solved and list(res.z) == [0, 0]


def test_isn_hopf_point_in_tau() -> None:
    x = [10 / 7, 1 / 7]
    slow = Network(W=ISN_W, u=[-1.0, -4.0], tau=[1.0, 2.5])
    fast = Network(W=ISN_W, u=[-1.0, -4.0], tau=[1.0, 1.5])
    eq = equilibria(fast)[2]
    np.testing.assert_allclose(eq.x, x, atol=1e-13)
    assert eq.stable is True
    assert equilibria(slow)[2].stable is False


# ---------------------------------------------------------------------------- ring
@pytest.mark.parametrize("u", [1.0, [1.0, 1.2, 0.9], [2.0, 2.0, 2.0]])
def test_inhibitory_ring_one_unstable_equilibrium(u: float | list[float]) -> None:
    C = np.roll(np.eye(3), 1, axis=1)
    net = Network(W=-3.0 * C, u=u)
    eqs = equilibria(net)
    assert len(eqs) == 1
    assert eqs[0].stable is False and eqs[0].active.size == 3
    eq = equilibrium(net).with_stability(net)
    np.testing.assert_allclose(eq.x, eqs[0].x, atol=1e-12)
    assert eq.stable is False and eq.eigenvalues[0].real > 0
    # It oscillates: a long simulation does not come to rest.
    xs = simulate_to_rest(net, np.array([0.1, 0.3, 0.2]), t_end=60.0, rtol=1e-6)
    assert np.max(np.abs(net.rate_field(xs))) > 1e-2


@pytest.mark.parametrize(("u", "x"), [([1.0, 2.0, 0.5], [0.0, 0.5, 0.5]),
                                      ([0.3, -0.1, 2.0], [0.3, 0.0, 1.1])])
def test_inhibitory_ring_unique_but_stable_for_uneven_input(u: list[float], x: list[float]) -> None:
    # docs/theory.md §3 Fact 6 says the ring's unique equilibrium "is unstable"; that holds when all
    # three neurons are active (e.g. uniform input), not for every input: here one neuron is
    # silenced, the active pair is a feedforward chain and the equilibrium is stable.
    net = Network(W=-3.0 * np.roll(np.eye(3), 1, axis=1), u=u)
    (eq,) = equilibria(net)
    np.testing.assert_allclose(eq.x, x, atol=1e-14)
    assert eq.stable is True
    assert len(brute_force(net.W, net.u, np.zeros(3), np.full(3, np.inf))) == 1
    np.testing.assert_allclose(simulate_to_rest(net, np.array([0.1, 0.3, 0.2])), x, atol=1e-8)


# ---------------------------------------------------------------------------- cycling
@pytest.mark.parametrize("case", range(len(CYCLING)))
def test_plain_active_set_cycles_globalised_does_not(case: int) -> None:
    W, u = CYCLING[case]
    net = Network(W=W, u=u)
    plain = equilibrium(net, method="active-set", options={"globalize": False})
    assert not plain.converged and "cycled" in plain.message
    eq = equilibrium(net, method="active-set")
    assert eq.converged and eq.residual <= 1e-12
    exact = np.array([float(v) for v in exact_relu_solution(W, u)])
    np.testing.assert_allclose(eq.x, exact, atol=1e-12)
    np.testing.assert_allclose(equilibrium(net, method="lemke").x, exact, atol=1e-12)


def test_cycling_fixtures_are_p_matrices() -> None:
    for W, _ in CYCLING:
        M = np.eye(len(W)) - np.array(W)
        n = len(W)
        for k in range(1, n + 1):
            for S in itertools.combinations(range(n), k):
                assert np.linalg.det(M[np.ix_(S, S)]) > 1e-3


# ---------------------------------------------------------------------------- random ReLU
def test_random_p_matrix_relu_three_methods_agree() -> None:
    rng = np.random.default_rng(7)
    checked = 0
    while checked < 40:
        n = int(rng.integers(2, 7))
        W = rng.normal(size=(n, n))
        M = np.eye(n) - W
        if any(np.linalg.det(M[np.ix_(S, S)]) <= 1e-3 for k in range(1, n + 1)
               for S in itertools.combinations(range(n), k)):
            continue
        u = rng.normal(size=n)
        net = Network(W=W, u=u)
        eqs = equilibria(net)
        assert len(eqs) == 1  # I − W a P-matrix: unique for every u
        for method in ("active-set", "lemke", "auto"):
            eq = equilibrium(net, method=method)
            assert eq.converged, eq.message
            np.testing.assert_allclose(eq.x, eqs[0].x, atol=1e-10)
        bf = brute_force(W, u, np.zeros(n), np.full(n, np.inf))
        assert len(bf) == 1 and np.allclose(bf[0], eqs[0].x, atol=1e-9)
        checked += 1


def test_relu_equilibria_match_brute_force_multistable() -> None:
    rng = np.random.default_rng(11)
    counts = set()
    for _ in range(30):
        n = int(rng.integers(2, 6))
        W = rng.normal(size=(n, n)) * 1.5
        u = rng.normal(size=n)
        got = equilibria(Network(W=W, u=u))
        bf = brute_force(W, u, np.zeros(n), np.full(n, np.inf))
        assert len(got) == len(bf)
        for x in bf:
            assert any(np.allclose(x, e.x, atol=1e-9) for e in got)
        counts.add(len(got))
    assert {0, 1} <= counts and max(counts) >= 2  # the sample covers none / unique / several


def test_equilibria_against_long_simulation() -> None:
    net = Network(W=[[0.5, -1.2, 0.0], [0.9, 0.0, -0.6], [0.4, 0.3, -0.5]], u=[1.0, 0.2, -0.3],
                  tau=[1.0, 0.5, 2.0], cell_types=None)
    eq = equilibrium(net)
    xs = simulate_to_rest(net, np.zeros(3))
    np.testing.assert_allclose(eq.x, xs, atol=1e-8)
    assert equilibrium(net).with_stability(net).stable is True


def test_relu_runaway_has_no_equilibrium() -> None:
    net = Network(W=[[2.0]], u=[1.0])  # x = [2x + 1]₊ has no solution
    eq = equilibrium(net)
    assert not eq.converged
    assert "Lemke" in eq.message and "no solution" in eq.message
    with pytest.raises(ConvergenceError, match="no solution"):
        eq.raise_if_failed()
    assert equilibria(net) == []
    assert lemke([[-1.0]], [-1.0]).status == "ray"


def test_lemke_exact_matches_float_on_integer_lcps() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(2, 6))
        B = rng.integers(-3, 4, size=(n, n))
        M = B @ B.T + np.eye(n, dtype=int)  # positive definite: unique solution
        q = rng.integers(-5, 6, size=n)
        ex = lemke(M, q, exact=True)
        fl = lemke(M, q)
        assert ex.solved and fl.solved
        w = M.astype(object) @ ex.z + q
        assert all(v >= 0 for v in ex.z) and all(v >= 0 for v in w)
        assert sum(a * b for a, b in zip(ex.z, w, strict=True)) == 0
        np.testing.assert_allclose(fl.z, [float(v) for v in ex.z], atol=1e-10)


def test_lemke_degenerate_does_not_cycle() -> None:
    # q has ties and zero entries: the lexicographic rule must still terminate.
    M = [[1, 2, 0], [0, 1, 2], [2, 0, 1]]
    q = [-1, -1, -1]
    res = lemke(M, q, exact=True)
    assert res.solved
    assert [str(v) for v in res.z] == ["1/3", "1/3", "1/3"]
    assert lemke(M, [0, 0, -1], exact=True).solved


# ---------------------------------------------------------------------------- E–I property
@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 30), norm=st.floats(0.1, 0.95),
       sparse=st.booleans())
def test_property_random_ei_residual(seed: int, n: int, norm: float, sparse: bool) -> None:
    rng = np.random.default_rng(seed)
    W, types = random_ei(rng, n, norm, density=0.5, sparse=sparse)
    u = rng.normal(size=n)
    net = Network(W=W, u=u, cell_types=types)
    eq = equilibrium(net)
    assert eq.converged and eq.residual <= 1e-10
    assert eq.method == "active-set"
    assert np.all(eq.x >= 0)
    x_dense = equilibrium(Network(W=W.toarray() if sparse else W, u=u), method="lemke").x
    np.testing.assert_allclose(eq.x, x_dense, atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 25), norm=st.floats(0.1, 0.95),
       r_max=st.floats(0.2, 3.0))
def test_property_random_ei_clipped_relu(seed: int, n: int, norm: float, r_max: float) -> None:
    rng = np.random.default_rng(seed)
    W, types = random_ei(rng, n, norm, density=0.6)
    u = rng.normal(0.5, 1.5, size=n)
    net = Network(W=W, u=u, cell_types=types, activation=ClippedReLU(r_max))
    eq = equilibrium(net)
    assert eq.converged and eq.residual <= 1e-10 and eq.method == "active-set"
    assert np.all((eq.x >= 0) & (eq.x <= r_max))
    np.testing.assert_allclose(eq.x, equilibrium(net, method="lemke").x, atol=1e-9)


def test_lds_but_strong_inhibition() -> None:
    # W − I is LDS (2 × 2: w_EE < 1) although ‖W‖ ≫ 1: fixed-point iteration fails, auto does not.
    W = [[0.5, -12.0], [15.0, -3.0]]
    net = Network(W=W, u=[2.0, 0.1], cell_types="EI", tau=[1.0, 0.3])
    eq = equilibrium(net)
    assert eq.converged and eq.residual <= 1e-12
    assert not equilibrium(net, method="fixed-point", max_iter=500).converged
    np.testing.assert_allclose(eq.x, simulate_to_rest(net, np.zeros(2)), atol=1e-8)
    (only,) = equilibria(net)
    assert only.stable is True


# ---------------------------------------------------------------------------- clipped ReLU
def test_clipped_relu_matches_brute_force() -> None:
    rng = np.random.default_rng(5)
    for _ in range(25):
        n = int(rng.integers(2, 6))
        W = rng.normal(size=(n, n)) * 1.3
        u = rng.normal(size=n) + 0.5
        r = rng.uniform(0.5, 2.0, size=n)
        net = Network(W=W, u=u, activation=[ClippedReLU(float(v)) for v in r])
        got = equilibria(net)
        bf = brute_force(W, u, np.zeros(n), r)
        assert len(got) == len(bf)
        for x in bf:
            assert any(np.allclose(x, e.x, atol=1e-9) for e in got)
        assert len(bf) >= 1  # a box always holds an equilibrium (Brouwer)
        eq = equilibrium(net)
        if eq.converged:
            assert any(np.allclose(eq.x, e.x, atol=1e-9) for e in got)
        else:  # only allowed when the method fell back and said why
            assert "Lemke" in eq.message


def test_clipped_relu_p_matrix_unique_and_saturated() -> None:
    W = np.array([[0.5, -0.8], [0.6, -0.2]])
    net = Network(W=W, u=[3.0, -0.1], activation=ClippedReLU(1.0))
    eq = equilibrium(net)
    lem = equilibrium(net, method="lemke")
    (only,) = equilibria(net)
    for e in (eq, lem):
        np.testing.assert_allclose(e.x, only.x, atol=1e-12)
    assert only.x[0] == 1.0  # saturated E neuron
    assert 0 not in only.active


def test_box_to_lcp_exact() -> None:
    # x = clip(2x − 3y + 1, 0, 1/2), y = [3x − y + 1/2]₊ in rationals.
    M = np.array([[Fraction(-1), Fraction(3)], [Fraction(-3), Fraction(2)]], dtype=object)
    b = np.array([Fraction(1), Fraction(1, 2)], dtype=object)
    Mbar, qbar, back = box_to_lcp(M, b, np.array([0.0, 0.0]), np.array([0.5, np.inf]))
    res = lemke(Mbar, qbar, exact=True)
    assert res.solved
    x = back(res.z)
    assert list(x) == [Fraction(1, 14), Fraction(5, 14)]  # the box is not binding here


# ---------------------------------------------------------------------------- mixed / scaled
def test_mixed_relu_clipped_linear_three_ways() -> None:
    rng = np.random.default_rng(9)
    acts = [ReLU(), ClippedReLU(1.5), Linear(), ReLU()]
    for _ in range(10):
        W = rng.normal(size=(4, 4)) * 0.4
        u = rng.normal(size=4)
        net = Network(W=W, u=u, activation=acts)
        a = equilibrium(net, method="active-set")
        b = equilibrium(net, method="lemke")
        c = equilibrium(net, method="newton")
        (e,) = equilibria(net)
        for r in (a, b, c):
            assert r.converged, r.message
            np.testing.assert_allclose(r.x, e.x, atol=1e-10)


def test_scaled_relu_is_handled_exactly() -> None:
    with pytest.warns(EICircuitsWarning, match="rescaled"):
        from eicircuits.activations import unit_slope

        act, W, u = unit_slope(Scaled(ReLU(), 0.5), np.array([[0.2, -0.3], [0.4, -0.1]]),
                               np.array([1.0, 0.5]))
    net = Network(W=W, u=u, activation=act)
    eq = equilibrium(net)
    assert eq.method == "active-set" and eq.converged
    # Oracle: ψ(z) = max(2z, 0)… rescaled back, the original steep network x = [2(W x + u)]₊.
    Wo, uo = np.array([[0.2, -0.3], [0.4, -0.1]]), np.array([1.0, 0.5])
    np.testing.assert_allclose(eq.x, np.maximum(2 * (Wo @ eq.x + uo), 0), atol=1e-12)
    (e,) = equilibria(net)
    np.testing.assert_allclose(e.x, eq.x, atol=1e-12)


# ---------------------------------------------------------------------------- smooth
@pytest.mark.parametrize("act", [Tanh(), Logistic(), Softplus()])
def test_smooth_newton_matches_simulation(act: object) -> None:
    rng = np.random.default_rng(21)
    W, types = random_ei(rng, 6, 0.9)
    W = W * 1.5  # stronger than the contraction bound of fixed-point iteration
    u = rng.normal(size=6)
    net = Network(W=W, u=u, activation=act, cell_types=types)
    eq = equilibrium(net)
    assert eq.method == "newton" and eq.converged and eq.residual <= 1e-12
    xs = simulate_to_rest(net, np.zeros(6))
    if np.max(np.abs(net.rate_field(xs))) < 1e-10:  # the simulation came to rest
        np.testing.assert_allclose(eq.x, xs, atol=1e-8)
    else:  # pragma: no cover - depends on the draw; make the test fail loudly
        pytest.fail("simulation did not come to rest")


def test_mixed_smooth_and_relu_newton() -> None:
    W = np.array([[0.3, -1.0, 0.0], [1.2, -0.2, -0.5], [0.8, 0.0, -0.4]])
    net = Network(W=W, u=[1.0, 0.1, -0.2], activation=[Tanh(), ReLU(), Softplus()])
    eq = equilibrium(net)
    assert eq.method == "newton" and eq.converged
    np.testing.assert_allclose(eq.x, simulate_to_rest(net, np.zeros(3)), atol=1e-8)


def test_fixed_point_fails_where_auto_succeeds() -> None:
    # docs/theory.md §4: x ← Φ(Wx + u) fails for W = −10 although W − I is LDS. With ReLU it does
    # not
    # blow up but oscillates between 0 and 1; with a linear activation it diverges.
    net = Network(W=[[-10.0]], u=[1.0])
    fp = equilibrium(net, method="fixed-point", max_iter=200)
    assert not fp.converged and "did not converge" in fp.message
    lin = equilibrium(net.replace(activation=Linear()), method="fixed-point", max_iter=500)
    assert not lin.converged and "diverged" in lin.message
    eq = equilibrium(net)
    assert eq.converged and eq.x[0] == pytest.approx(1 / 11, abs=1e-15)
    small = Network(W=[[0.3, -0.2], [0.1, 0.2]], u=[1.0, 1.0])
    a = equilibrium(small, method="fixed-point", tol=1e-13)
    assert a.converged
    np.testing.assert_allclose(a.x, equilibrium(small).x, atol=1e-12)


# ---------------------------------------------------------------------------- sparse
@pytest.mark.parametrize("solver", ["auto", "direct", "iterative"])
def test_sparse_matches_dense(solver: str) -> None:
    rng = np.random.default_rng(4)
    n = 400
    W, types = random_ei(rng, n, 0.8, density=0.05)
    u = rng.normal(size=n)
    dense = equilibrium(Network(W=W, u=u, cell_types=types))
    sparse = equilibrium(Network(W=sp.csr_array(W), u=u, cell_types=types),
                         options={"linear_solver": solver})
    assert dense.converged and sparse.converged, sparse.message
    np.testing.assert_allclose(sparse.x, dense.x, atol=1e-11)
    np.testing.assert_array_equal(sparse.active, dense.active)
    assert 0 < dense.active.size < n


def test_large_sparse_is_not_densified() -> None:
    rng = np.random.default_rng(8)
    n, k = 30_000, 6  # far above DENSE_LIMIT: any densification would fail
    rows = np.repeat(np.arange(n), k)
    cols = rng.integers(0, n, size=n * k)
    vals = rng.random(n * k) * np.where(cols < int(0.8 * n), 1.0, -4.0) * 0.12
    W = sp.csr_array((vals, (rows, cols)), shape=(n, n))
    net = Network(W=W, u=rng.normal(size=n))
    eq = equilibrium(net)
    assert eq.converged and eq.residual <= 1e-10, eq.message
    nt = Network(W=W, u=rng.normal(size=n), activation=Tanh())
    et = equilibrium(nt)
    assert et.converged and et.residual <= 1e-10, et.message


# ---------------------------------------------------------------------------- stability / kinks
def test_kink_one_sided_linearisations() -> None:
    # W = 0: the neuron at its kink never leaves it (zero row), stable.
    eq = equilibrium(Network(W=[[0.0]], u=[0.0])).with_stability()
    assert eq.stable is True
    # ẋ = −x + max(2x, 0) at 0: the half-line x > 0 is invariant and grows (issue 10).
    net = Network(W=[[2.0]], u=[0.0])
    eq = equilibrium(net).with_stability()
    np.testing.assert_allclose(eq.x, [0.0])
    assert eq.stable is False and "invariant" in eq.message


def test_with_stability_limit_is_a_dense_limit_not_a_refusal() -> None:
    net = Network(W=np.zeros((3, 3)), u=1.0)
    eq = equilibrium(net).with_stability(limit=2)  # tiny networks stay dense
    assert eq.stable is True and eq.stability.method == "dense"


def test_report_section() -> None:
    net = Network(W=ISN_W, u=[1.0, 0.5], cell_types="EI", names=["e", "i"])
    sec = report_section(net, equilibrium(net).with_stability(net))
    assert sec.title == "Equilibrium"
    assert "2 of 2 neurons (1 E, 1 I)" in sec.text and "e=0.07143" in sec.text
    assert sec.data["stable"] is True and sec.data["residual"] <= 1e-14
    assert "locally stable" in sec.render()


def test_result_is_frozen() -> None:
    eq = equilibrium(Network(W=[[0.0]], u=[1.0]))
    assert isinstance(eq, Equilibrium)
    with pytest.raises(AttributeError):
        eq.x = np.zeros(1)  # type: ignore[misc]
    with pytest.raises(ValueError):
        eq.x[0] = 2.0


# ---------------------------------------------------------------------------- bad input
def test_unknown_method_lists_options() -> None:
    net = Network(W=[[0.0]], u=[1.0])
    with pytest.raises(ValidationError, match=r"unknown equilibrium method 'simplex'.*lemke"):
        equilibrium(net, method="simplex")
    assert set(METHODS) == {"auto", "active-set", "lemke", "newton", "fixed-point", "prox-gradient",
                            "continuation"}  # continuation: supralinear networks (tests/test_ssn.py)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"x0": [0.0, 1.0, 2.0]}, r"x0: expected shape \(2,\).*shape \(3,\)"),
        ({"x0": [np.nan, 0.0]}, r"x0: every entry must be finite; x0\[0\] = nan"),
        ({"x0": "ab"}, "x0: expected numbers"),
        ({"u": [1.0]}, r"u: expected a scalar or shape \(2,\)"),
        ({"tol": -1.0}, "tol: must be a finite number > 0, got -1.0"),
        ({"max_iter": -3}, "max_iter: must be an integer ≥ 0, got -3"),
        ({"options": {"linear_solver": "magic"}}, r"linear_solver.*'magic'"),
    ],
)
def test_bad_arguments(kwargs: dict, match: str) -> None:
    net = Network(W=ISN_W, u=[1.0, 0.5])
    with pytest.raises(ValidationError, match=match):
        equilibrium(net, **kwargs)


def test_bad_network_and_methods() -> None:
    with pytest.raises(ValidationError, match=r"net must be an eicircuits\.Network"):
        equilibrium(np.eye(2))  # type: ignore[arg-type]
    tanh = Network(W=[[0.5]], u=[1.0], activation=Tanh())
    with pytest.raises(ValidationError, match=r"method='active-set' needs.*Tanh.*'newton'"):
        equilibrium(tanh, method="active-set")
    with pytest.raises(ValidationError, match="needs piecewise-linear"):
        equilibria(tanh)
    with pytest.warns(EICircuitsWarning, match=r"options \['globalize'\] have no effect"):
        equilibrium(tanh, options={"globalize": False})


def test_size_limits() -> None:
    big = Network(W=sp.csr_array((3001, 3001)), u=1.0)
    with pytest.raises(SizeLimitError, match="n = 3001 exceeds LEMKE_MAX_N = 3000"):
        equilibrium(big, method="lemke")
    with pytest.raises(SizeLimitError, match="n = 19 neurons exceeds max_n = 18"):
        equilibria(Network(W=np.zeros((19, 19)), u=1.0))
    with pytest.raises(SizeLimitError, match="max_n = 11"):
        equilibria(Network(W=np.zeros((12, 12)), u=1.0, activation=ClippedReLU(1.0)))
    # Interval pruning: with W = 0 every neuron's state is forced, one candidate is examined.
    (eq,) = equilibria(Network(W=np.zeros((12, 12)), u=1.0, activation=ClippedReLU(2.0)),
                       max_n=12)
    assert "1 state vectors" in eq.message and np.all(eq.x == 1.0)


def test_lemke_bad_shapes() -> None:
    with pytest.raises(ValidationError, match=r"M must be square.*M \(2, 3\)"):
        lemke(np.zeros((2, 3)), np.zeros(2))
    with pytest.raises(ValidationError, match="finite"):
        lemke([[1.0]], [np.inf])


@pytest.mark.parametrize("n", [12, pytest.param(18, marks=pytest.mark.slow)])
def test_equilibria_of_larger_ei_network(n: int) -> None:
    rng = np.random.default_rng(0)
    W, types = random_ei(rng, n, 0.9)
    net = Network(W=W, u=rng.normal(size=n), cell_types=types)
    eqs = equilibria(net)
    assert len(eqs) == 1  # ‖W‖ < 1: unique
    np.testing.assert_allclose(eqs[0].x, equilibrium(net).x, atol=1e-10)


# ---------------------------------------------------------------------------- internals
def test_fischer_burmeister_merit_zeros_and_jacobian() -> None:
    from eicircuits.fixed_points._active_set import FBMerit
    from eicircuits.fixed_points._problem import box_problem

    rng = np.random.default_rng(12)
    acts = [ReLU(), ClippedReLU(1.0), Linear(), ClippedReLU(2.0), ReLU()]
    W = rng.normal(size=(5, 5)) * 0.3
    net = Network(W=W, u=rng.normal(size=5), activation=acts)
    prob = box_problem(net, net.u)
    merit = FBMerit(prob)
    x = equilibrium(net).x
    phi, _, _ = merit(x, prob.drive(x))
    assert np.max(np.abs(phi)) <= 1e-12  # Φ_FB vanishes at the equilibrium …
    for _ in range(5):  # … and not elsewhere; its Jacobian matches finite differences
        y = rng.normal(size=5)
        phi, alpha, beta = merit(y, prob.drive(y))
        assert np.max(np.abs(phi)) > 1e-6
        J = np.diag(alpha) + beta[:, None] * (np.eye(5) - W)
        h = 1e-7
        fd = np.column_stack([
            (merit(y + h * e, prob.drive(y + h * e))[0]
             - merit(y - h * e, prob.drive(y - h * e))[0]) / (2 * h) for e in np.eye(5)
        ])
        np.testing.assert_allclose(J, fd, atol=1e-5)


def test_cycling_case_with_sparse_storage() -> None:
    W, u = CYCLING[1]
    eq = equilibrium(Network(W=sp.csr_array(np.array(W)), u=u), method="active-set")
    exact = np.array([float(v) for v in exact_relu_solution(W, u)])
    assert eq.converged
    np.testing.assert_allclose(eq.x, exact, atol=1e-12)


def test_multistable_start_point_selects_equilibrium() -> None:
    net = Network(W=ISN_W, u=[-1.0, -4.0])
    assert np.allclose(equilibrium(net).x, [0.0, 0.0])
    eq = equilibrium(net, x0=[1.5, 0.2])
    np.testing.assert_allclose(eq.x, [10 / 7, 1 / 7], atol=1e-14)
    assert eq.converged and eq.residual <= 1e-14


def test_lemke_singular_linear_block() -> None:
    net = Network(W=[[1.0, 0.5], [0.2, 0.0]], u=[1.0, 1.0], activation=[Linear(), ReLU()])
    eq = equilibrium(net, method="lemke")
    assert not eq.converged and "linear neurons' block of I − W is singular" in eq.message
    assert np.all(np.isnan(eq.x)) and eq.residual == np.inf


def test_report_section_for_failure() -> None:
    net = Network(W=[[2.0]], u=[1.0])
    sec = report_section(net, equilibrium(net))
    assert "converged   NO" in sec.text and sec.data["converged"] is False
    assert "no solution" in sec.data["message"]


def test_max_iter_exhausted_is_reported() -> None:
    rng = np.random.default_rng(2)
    W, types = random_ei(rng, 60, 0.9)
    net = Network(W=W, u=rng.normal(size=60), cell_types=types)
    eq = equilibrium(net, method="active-set", max_iter=0)
    assert not eq.converged and "max_iter = 0" in eq.message
    assert equilibrium(net, method="active-set").converged


def test_lcp_matrix_characterises_equilibria() -> None:
    from eicircuits.fixed_points import lcp_matrix

    rng = np.random.default_rng(6)
    W = rng.normal(size=(4, 4)) * 0.4
    for acts in ([ReLU()] * 4, [ClippedReLU(1.0), ReLU(), Linear(), ClippedReLU(0.5)]):
        net = Network(W=W, u=rng.normal(size=4), activation=acts)
        M, q, lo, hi = lcp_matrix(net)
        x = equilibrium(net).x
        w = M @ x + q
        at_lo, at_hi = np.isclose(x, lo), np.isclose(x, hi)
        assert np.all(w[at_lo] >= -1e-12) and np.all(w[at_hi] <= 1e-12)
        np.testing.assert_allclose(w[~at_lo & ~at_hi], 0.0, atol=1e-12)
        Ms, *_ = lcp_matrix(Network(W=sp.csr_array(W), u=net.u, activation=acts))
        assert sp.issparse(Ms)
        np.testing.assert_allclose(Ms.toarray(), M)
    with pytest.raises(ValidationError, match="method='lcp_matrix' needs"):
        lcp_matrix(Network(W=W, activation=Tanh()))


def test_many_kinks_are_not_decided() -> None:
    n = 12  # u = 0 and x* = 0: every neuron sits at its kink, and every row of W is nonzero
    net = Network(W=0.1 * (np.ones((n, n)) - np.eye(n)), u=0.0)
    eq = equilibrium(net).with_stability()
    assert eq.stable is None and "12 neuron(s)" in eq.message and "KINK_LIMIT" in eq.message
    small = Network(W=0.1 * (np.ones((3, 3)) - np.eye(3)), u=0.0)
    eq = equilibrium(small).with_stability()
    assert eq.stable is True and "Lyapunov" in eq.message
