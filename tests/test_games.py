"""The neurons' game: energies, best responses, regret and Nash gap against independent oracles.

Oracles: energies written out neuron by neuron (and ``g`` by quadrature of ``φ⁻¹(s) − s``),
brute-force minimisation of each ``E_i`` over its own rate (a dense grid refined by SciPy's
bounded scalar minimiser), exact rational arithmetic for the worked ISN example, and an
independent support enumeration of ReLU equilibria.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, optimize

from eicircuits import (
    ClippedReLU,
    Linear,
    Logistic,
    Network,
    ReLU,
    Softplus,
    Tanh,
    ValidationError,
    game,
)
from eicircuits.activations import Scaled
from eicircuits.games import NeuronGame

ACTS = [ReLU(), ClippedReLU(1.5), Tanh(), Logistic(), Softplus(), Linear()]
ISN_W = np.array([[2.0, -3.0], [3.0, -1.0]])


def direct_energy(W: np.ndarray, u: np.ndarray, act, x: np.ndarray, i: int, y):
    """E_i(y; x_−i) written out from
    docs/theory.md §2, one term at a time (``y`` may be an array)."""
    s = sum(W[i, j] * x[j] for j in range(len(x)) if j != i) + u[i]
    y = np.asarray(y, dtype=float)
    with np.errstate(over="ignore"):
        val = 0.5 * (1.0 - W[i, i]) * y * y - y * s + act.g(y)
    return float(val) if val.ndim == 0 else val


def energy_of(W: np.ndarray, u: np.ndarray, act, x: np.ndarray, i: int):
    """``y ↦ E_i(y; x_−i)`` by the direct formula."""
    return lambda y: direct_energy(W, u, act, x, i, y)


def brute_min(f, lo: float, hi: float, points: int = 4001) -> tuple[float, float]:
    """min of a scalar function on [lo, hi]: dense grid, then a bounded scalar minimiser."""
    ys = np.linspace(lo, hi, points)
    vals = np.asarray(f(ys))
    k = int(np.argmin(vals))
    a, b = ys[max(k - 1, 0)], ys[min(k + 1, points - 1)]
    best_y, best = ys[k], vals[k]
    if b > a:
        res = optimize.minimize_scalar(f, bounds=(a, b), method="bounded",
                                       options={"xatol": 1e-12})
        if res.fun < best:
            best_y, best = res.x, res.fun
    for end in (lo, hi):
        if f(end) < best:
            best_y, best = end, f(end)
    return float(best_y), float(best)


def search_box(act, scale: float) -> tuple[float, float]:
    lo, hi = act.value_range
    lo = lo if math.isfinite(lo) else -scale
    hi = hi if math.isfinite(hi) else scale
    return lo, hi


def random_net(rng: np.random.Generator, n: int, act, diag: float | None = None) -> Network:
    W = rng.normal(0, 0.6, (n, n))
    if diag is not None:
        np.fill_diagonal(W, diag)
    return Network(W=W, u=rng.normal(0, 1, n), activation=act, tau=rng.uniform(0.5, 2, n))


def relu_equilibria(W: np.ndarray, u: np.ndarray) -> list[np.ndarray]:
    """Support enumeration with exact rational arithmetic (an independent oracle)."""
    n = len(u)
    Wf = [[Fraction(w) for w in row] for row in W]
    uf = [Fraction(v) for v in u]
    found = []
    for r in range(n + 1):
        for S in itertools.combinations(range(n), r):
            A = np.array([[float((i == j) - Wf[i][j]) for j in S] for i in S]).reshape(r, r)
            if r and abs(np.linalg.det(A)) < 1e-12:
                continue
            xs = np.linalg.solve(A, np.array([float(uf[i]) for i in S])) if r else np.zeros(0)
            x = np.zeros(n)
            x[list(S)] = xs
            drive = W @ x + u
            if np.all(xs > 0) and all(drive[i] <= 1e-12 for i in range(n) if i not in S):
                found.append(x)
    return found


# ---------------------------------------------------------------- energies
@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
def test_energies_match_direct_formula(act) -> None:
    rng = np.random.default_rng(1)
    net = random_net(rng, 5, act)
    gm = game(net)
    lo, hi = act.value_range
    x = np.clip(rng.uniform(-0.9, 0.9, 5) + 0.5 * (lo > -1), lo + 0.05 if math.isfinite(lo) else -9,
                hi - 0.05 if math.isfinite(hi) else 9)
    W = np.asarray(net.W)
    want = [direct_energy(W, net.u, act, x, i, x[i]) for i in range(5)]
    np.testing.assert_allclose(gm.energies(x), want, rtol=1e-13, atol=1e-13)
    for i in range(5):
        np.testing.assert_allclose(gm.energy(i, x), want[i], rtol=1e-13, atol=1e-13)
        ys = np.linspace(x[i] - 0.01, x[i] + 0.01, 3)
        got = gm.energy(net.names[i], x, y=ys)
        np.testing.assert_allclose(got, [direct_energy(W, net.u, act, x, i, y) for y in ys],
                                   rtol=1e-13, atol=1e-13)


def test_energy_g_term_by_quadrature_and_inf_outside_range() -> None:
    # g_tanh(y) = ∫_0^y (atanh(s) − s) ds, an oracle independent of the closed form.
    net = Network(W=[[0.3, 0.2], [0.1, -0.4]], u=[0.2, -0.1], activation=Tanh())
    gm = game(net)
    x = np.array([0.6, -0.3])
    g0 = integrate.quad(lambda s: math.atanh(s) - s, 0, 0.6, epsabs=1e-14)[0]
    want = 0.5 * 0.7 * 0.36 - 0.6 * (0.2 * -0.3 + 0.2) + g0
    np.testing.assert_allclose(gm.energy(0, x), want, rtol=1e-12)
    assert gm.energy(0, x, y=1.2) == np.inf
    assert gm.energies([1.5, 0.0])[0] == np.inf
    relu = game(Network(W=[[0.0, 1.0], [1.0, 0.0]]))
    assert relu.energies([-1.0, 0.0])[0] == np.inf
    assert relu.regret([-1.0, 0.0])[0] == np.inf


def test_pseudo_gradient_is_the_derivative_of_each_own_energy() -> None:
    rng = np.random.default_rng(2)
    net = random_net(rng, 4, Linear())
    gm = game(net)
    x = rng.normal(size=4)
    F = gm.pseudo_gradient(x)
    np.testing.assert_allclose(F, (np.eye(4) - net.W) @ x - net.u, rtol=1e-13, atol=1e-13)
    h = 1e-6
    for i in range(4):
        fd = (gm.energy(i, x, y=x[i] + h) - gm.energy(i, x, y=x[i] - h)) / (2 * h)
        np.testing.assert_allclose(fd, F[i], rtol=1e-7, atol=1e-8)


# ---------------------------------------------------------------- best responses
@pytest.mark.parametrize("act", [*ACTS[:5], Scaled(ReLU(), 2.0)], ids=lambda a: a.name)
@pytest.mark.parametrize("w_self", [0.0, 0.6, 1.0, 1.7])
def test_best_response_and_regret_against_brute_force(act, w_self: float) -> None:
    rng = np.random.default_rng(int(10 * w_self) + 7)
    net = random_net(rng, 3, act, diag=w_self)
    gm = game(net)
    W = np.asarray(net.W)
    for _ in range(3):
        lo, hi = act.value_range
        x = rng.uniform(0.05, 0.9, 3) if lo >= 0 else rng.uniform(-0.9, 0.9, 3)
        br, emin, reg = gm.best_response(x), gm.min_energies(x), gm.regret(x)
        for i in range(3):
            s = W[i] @ x - W[i, i] * x[i] + net.u[i]
            a = 1.0 - w_self + (act.s - 1.0 if isinstance(act, Scaled) else 0.0)
            unbounded_above = not math.isfinite(hi)
            if unbounded_above and (a < 0 or (a == 0 and s > 0)):
                # Unbounded below along y → ∞: the library must say so.
                assert emin[i] == -np.inf and br[i] == np.inf and reg[i] == np.inf
                f = energy_of(W, net.u, act, x, i)
                assert f(1e6) < f(1e3) < f(10.0)
                continue
            if isinstance(act, Softplus) and a == 0 and s == 0:
                continue
            f = energy_of(W, net.u, act, x, i)
            box = search_box(act, 50.0 + 10 * abs(s))
            _, f_star = brute_min(f, *box)
            assert emin[i] <= f_star + 1e-10 * (1 + abs(f_star)), (i, emin[i], f_star)
            assert emin[i] >= f_star - 1e-7 * (1 + abs(f_star)), (i, emin[i], f_star)
            np.testing.assert_allclose(f(br[i]), emin[i], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(reg[i], f(x[i]) - emin[i], rtol=1e-9, atol=1e-10)
            assert reg[i] >= 0


def test_best_response_closed_form_relu() -> None:
    # docs/theory.md §2: ReLU with W_ii < 1: BR_i = [(Σ_{j≠i} W_ij x_j + u_i)/(1 − W_ii)]₊.
    rng = np.random.default_rng(3)
    W = rng.normal(size=(6, 6))
    np.fill_diagonal(W, rng.uniform(-2, 0.9, 6))
    u = rng.normal(size=6)
    gm = game(Network(W=W, u=u))
    x = rng.uniform(0, 2, 6)
    s = W @ x - np.diag(W) * x + u
    np.testing.assert_allclose(gm.best_response(x), np.maximum(s / (1 - np.diag(W)), 0),
                               rtol=1e-14)


def test_concave_clipped_player_picks_the_better_end() -> None:
    # W_00 = 2 with clipped ReLU: E_0(y) = −½ y² − s y on [0, r]; minimum at an end.
    for u0, want in ((0.3, 2.0), (-1.5, 0.0), (-1.0, 0.0)):
        gm = game(Network(W=[[2.0, 0.0], [0.0, 0.0]], u=[u0, 0.0], activation=ClippedReLU(2.0)))
        br = gm.best_response([0.5, 0.0])[0]
        assert br == want
        e_end = {0.0: 0.0, 2.0: -0.5 * 4 - u0 * 2}
        assert gm.min_energies([0.5, 0.0])[0] == pytest.approx(min(e_end.values()), abs=1e-15)


def test_linear_and_relu_flat_players() -> None:
    # W_ii = 1 exactly: E_i = −s y. s < 0: ReLU rests at 0; Linear is unbounded towards −∞.
    gm = game(Network(W=[[1.0, 0.0], [0.0, 1.0]], u=[-1.0, 0.0]))
    np.testing.assert_array_equal(gm.best_response([0.3, 0.3]), [0.0, 0.0])
    np.testing.assert_allclose(gm.regret([0.3, 0.3]), [0.3, 0.0])
    lin = game(Network(W=[[1.0, 0.0], [0.0, 1.0]], u=[-1.0, 0.0], activation=Linear()))
    np.testing.assert_array_equal(lin.best_response([0.3, 0.3]), [-np.inf, 0.0])
    assert lin.regret([0.3, 0.3]).tolist() == [np.inf, 0.0]
    sp_ = game(Network(W=[[1.0, 0.0], [0.0, 0.5]], u=[0.0, 0.0], activation=Softplus()))
    # inf E_0 = lim_{y→∞} Li₂(e^{−y}) = 0, not attained: best response +inf, finite regret.
    assert sp_.best_response([1.0, 1.0])[0] == np.inf
    np.testing.assert_allclose(sp_.regret([1.0, 1.0])[0], float(Softplus().g(1.0)), rtol=1e-14)


# ---------------------------------------------------------------- Nash equilibria
def test_worked_isn_example_is_an_equilibrium_but_not_nash() -> None:
    # docs/theory.md §5: W = [[2, −3], [3, −1]], u = (1, ½): unique equilibrium (1/14, 5/14).
    x = [Fraction(1, 14), Fraction(5, 14)]
    u = [Fraction(1), Fraction(1, 2)]
    Wf = [[Fraction(2), Fraction(-3)], [Fraction(3), Fraction(-1)]]
    for i in range(2):
        assert max(Wf[i][0] * x[0] + Wf[i][1] * x[1] + u[i], Fraction(0)) == x[i]
    xf = np.array([float(v) for v in x])
    gm = game(Network(W=ISN_W, u=[1.0, 0.5], cell_types="EI"))
    assert gm.concave_players.tolist() == [0]
    r = gm.regret(xf)
    assert r[0] == np.inf and r[1] <= 1e-15
    assert gm.nash_gap(xf) == np.inf
    assert not gm.is_nash(xf)
    # Stationarity holds: 0 ∈ F(x) + ∂g(x) with x > 0 means F(x) = 0.
    np.testing.assert_allclose(gm.pseudo_gradient(xf), 0.0, atol=1e-15)
    # A saturating activation makes the regret finite, yet still positive: not Nash either.
    clip = game(Network(W=ISN_W, u=[1.0, 0.5], activation=ClippedReLU(1.0), cell_types="EI"))
    f = energy_of(ISN_W, np.array([1.0, 0.5]), ClippedReLU(1.0), xf, 0)
    y_star, f_star = brute_min(f, 0.0, 1.0)
    assert y_star == 1.0
    np.testing.assert_allclose(clip.regret(xf)[0], f(xf[0]) - f_star, rtol=1e-12)
    assert clip.regret(xf)[0] > 0.4 and not clip.is_nash(xf)


def test_every_relu_equilibrium_is_nash_when_self_coupling_at_most_one() -> None:
    rng = np.random.default_rng(4)
    checked = 0
    for trial in range(12):
        n = 4
        W = rng.normal(0, 0.8, (n, n))
        np.fill_diagonal(W, rng.uniform(-1, 1, n) if trial % 3 else 1.0)
        u = rng.normal(0, 1, n)
        gm = game(Network(W=W, u=u))
        for x in relu_equilibria(W, u):
            checked += 1
            assert gm.nash_gap(x) <= 1e-9
            for i in range(n):
                f = energy_of(W, u, ReLU(), x, i)
                _, f_star = brute_min(f, 0.0, 20.0 + 5 * np.abs(x).max())
                assert f(x[i]) <= f_star + 1e-9
    assert checked >= 12


@settings(max_examples=12)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["tanh", "logistic", "softplus", "clipped"]))
def test_smooth_equilibria_are_nash(seed: int, kind: str) -> None:
    rng = np.random.default_rng(seed)
    act = {"tanh": Tanh(), "logistic": Logistic(), "softplus": Softplus(),
           "clipped": ClippedReLU(1.0)}[kind]
    n = 3
    W = rng.normal(0, 0.4, (n, n))
    np.fill_diagonal(W, rng.uniform(-0.5, 1.0, n))
    u = rng.normal(0, 0.5, n)
    net = Network(W=W, u=u, activation=act)
    # Independent equilibrium: damped fixed-point iteration then a root polish.
    sol = integrate.solve_ivp(lambda t, x: net.rate_field(x), (0, 200), np.zeros(n),
                              method="DOP853", rtol=1e-11, atol=1e-13)
    x = net.phi(net.drive(sol.y[:, -1]))  # one exact step puts x inside the range
    if np.max(np.abs(net.rate_field(x))) > 1e-9:
        return  # not settled (oscillation): no equilibrium to test here
    gm = game(net)
    assert gm.nash_gap(x) <= 1e-9
    lo, hi = search_box(act, 30.0)
    for i in range(n):
        f = energy_of(W, u, act, x, i)
        _, f_star = brute_min(f, lo, hi)
        assert f(x[i]) <= f_star + 1e-9


def test_library_equilibria_are_nash() -> None:
    fp = pytest.importorskip("eicircuits.fixed_points")
    rng = np.random.default_rng(5)
    for trial in range(8):
        n = 4
        W = rng.normal(0, 0.7, (n, n))
        np.fill_diagonal(W, rng.uniform(-1, 1, n))
        net = Network(W=W, u=rng.normal(0, 1, n),
                      activation=[ReLU(), ClippedReLU(2.0)][trial % 2])
        gm = game(net)
        for eq in fp.equilibria(net):
            assert gm.nash_gap(eq.x) <= 1e-9
            for i in range(n):
                f = energy_of(W, net.u, net.activations[i], eq.x, i)
                _, f_star = brute_min(f, *search_box(net.activations[i], 20.0))
                assert f(eq.x[i]) <= f_star + 1e-9
    # equilibrium() with every activation, self-coupling up to 1 (included).
    for k, act in enumerate([ReLU(), ClippedReLU(1.0), Tanh(), Logistic(), Softplus()]):
        n = 5
        W = rng.normal(0, 0.4, (n, n))
        np.fill_diagonal(W, np.r_[1.0, rng.uniform(-1, 1, n - 1)] if k == 1 else
                         rng.uniform(-1, 0.8, n))
        net = Network(W=W, u=rng.normal(0, 1, n), activation=act)
        eq = fp.equilibrium(net)
        assert eq.converged, (act, eq.message)
        assert game(net).nash_gap(eq.x) <= 1e-9, (act, eq.x)
        for i in range(n):
            f = energy_of(W, net.u, act, eq.x, i)
            _, f_star = brute_min(f, *search_box(act, 20.0))
            assert f(eq.x[i]) <= f_star + 1e-9
    eq = fp.equilibrium(Network(W=ISN_W, u=[1.0, 0.5]))
    np.testing.assert_allclose(eq.x, [1 / 14, 5 / 14], atol=1e-12)
    assert not game(Network(W=ISN_W, u=[1.0, 0.5])).is_nash(eq.x)


def test_sparse_network_gives_the_same_game() -> None:
    import scipy.sparse as sp

    rng = np.random.default_rng(6)
    W = rng.normal(size=(5, 5)) * (rng.random((5, 5)) < 0.5)
    np.fill_diagonal(W, [0.2, 1.0, 1.5, 0.0, -1.0])
    u = rng.normal(size=5)
    dense = game(Network(W=W, u=u, activation=ClippedReLU(2.0)))
    sparse = game(Network(W=sp.csr_array(W), u=u, activation=ClippedReLU(2.0)))
    x = rng.uniform(0, 2, 5)
    np.testing.assert_allclose(sparse.energies(x), dense.energies(x), rtol=1e-14)
    np.testing.assert_allclose(sparse.best_response(x), dense.best_response(x), rtol=1e-14)
    np.testing.assert_allclose(sparse.regret(x), dense.regret(x), rtol=1e-14)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda gm: gm.energies([1.0, 2.0, 3.0]), r"x: expected shape \(2,\).*got shape \(3,\)"),
        (lambda gm: gm.regret([1.0, np.nan]), r"x: every rate must be finite; x\[1\] = nan"),
        (lambda gm: gm.energy(5, [1.0, 1.0]), r"neuron: index must be in \[0, 2\), got 5"),
        (lambda gm: gm.energy("z", [1.0, 1.0]), r"neuron: unknown name 'z'"),
        (lambda gm: gm.energy(1.5, [1.0, 1.0]), r"neuron: expected an index or a name, got 1.5"),
        (lambda gm: gm.is_nash([1.0, 1.0], tol=-1), r"is_nash: tol must be a finite number ≥ 0"),
        (lambda gm: gm.best_response("ab"), r"x: expected numbers"),
    ],
)
def test_bad_input_raises(call, match: str) -> None:
    gm = game(Network(W=[[0.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(ValidationError, match=match):
        call(gm)


def test_game_needs_a_network() -> None:
    with pytest.raises(ValidationError, match=r"game: expected a Network, got ndarray"):
        game(np.eye(2))
    assert isinstance(game(Network(W=[[0.0]])), NeuronGame)


def test_mixed_activations_best_responses_against_brute_force() -> None:
    rng = np.random.default_rng(8)
    acts = (ReLU(), Tanh(), ClippedReLU(2.0), Logistic(), Softplus())
    W = rng.normal(0, 0.6, (5, 5))
    np.fill_diagonal(W, [0.5, 1.4, 1.2, 2.0, 0.3])
    net = Network(W=W, u=rng.normal(size=5), activation=acts)
    gm = game(net)
    x = np.array([0.5, 0.2, 1.0, 0.6, 0.4])
    br, emin = gm.best_response(x), gm.min_energies(x)
    for i, act in enumerate(acts):
        f = energy_of(W, net.u, act, x, i)
        _, f_star = brute_min(f, *search_box(act, 60.0))
        np.testing.assert_allclose(emin[i], f_star, rtol=1e-8, atol=1e-9)
        np.testing.assert_allclose(f(br[i]), f_star, rtol=1e-8, atol=1e-9)


def test_report_section_table_and_json() -> None:
    import json

    from eicircuits._report import jsonable
    from eicircuits.games import report_section

    net = Network(W=ISN_W, u=[1.0, 0.5], cell_types="EI", names=["exc", "inh"])
    sec = report_section(net, [1 / 14, 5 / 14])
    json.dumps(jsonable(sec.data), allow_nan=False)
    rows = [line.split() for line in sec.text.splitlines() if line.split()[:1] in (["exc"],
                                                                                    ["inh"])]
    assert rows[0][:2] == ["exc", "E"] and rows[0][-1] == "inf"
    assert rows[1][:2] == ["inh", "I"] and float(rows[1][-1]) < 1e-12
    assert sec.data["is_nash"] is False and sec.data["nash_gap"] == "inf"
    assert sec.data["potential"]["exists"] is False
    assert sec.data["decomposition"]["saddle_exact"] is True  # 2 neurons: a tree, reciprocal
    assert "NOT a Nash equilibrium" in sec.text and "Concave players" in sec.text
    assert sec.data["neurons"][1]["best_response"] == pytest.approx(5 / 14, abs=1e-15)


def test_report_section_without_an_equilibrium() -> None:
    from eicircuits.games import report_section

    sec = report_section(Network(W=np.zeros((2, 2))), [np.nan, np.nan])
    assert sec.data == {"evaluated": False} and "not evaluated" in sec.text
    with pytest.raises(ValidationError, match=r"x: expected shape \(2,\)"):
        report_section(Network(W=np.zeros((2, 2))), [0.0])
