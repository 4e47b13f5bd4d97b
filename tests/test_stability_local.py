"""One local-stability verdict (issue 10): kinks with the actual one-sided slopes, planar
conewise-linear systems, invariant cones, large sparse networks by ARPACK.

Oracles: closed-form solutions of the 1-D piecewise-linear ODEs, high-accuracy
``scipy.integrate.solve_ivp`` of the exact (homogeneous) local system, dense ``numpy`` spectra.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import ClassVar

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.integrate import solve_ivp

from eicircuits import LocalStability, Network, equilibria, equilibrium, local_stability
from eicircuits.activations import Activation, ClippedReLU, ReLU, Scaled
from eicircuits.errors import ValidationError
from eicircuits.stability import _local


def _decays(net: Network, x_star: np.ndarray, directions: np.ndarray, t1: float) -> list[float]:
    """``‖δ(t1)‖ / ‖δ(0)‖`` of the true nonlinear dynamics started at ``x* + 1e-6·d``."""
    out = []
    for d in directions:
        x0 = x_star + 1e-6 * d
        r0 = float(np.linalg.norm(x0 - x_star))

        def far(t: float, x: np.ndarray, r0: float = r0) -> float:  # stop once clearly decided
            r = float(np.linalg.norm(x - x_star)) / r0
            return max(r - 1e3, 1e-5 - r)

        far.terminal = True  # type: ignore[attr-defined]
        sol = solve_ivp(lambda t, x: net.rate_field(x), (0.0, t1), x0, method="DOP853",
                        rtol=1e-10, atol=1e-18, events=far, max_step=float(np.min(net.tau)))
        out.append(float(np.linalg.norm(sol.y[:, -1] - x_star) / r0))
    return out


# ---------------------------------------------------------------- the reproductions
def test_kink_with_slope_below_one_is_stable_both_paths() -> None:
    # ẋ = −x + max(0.75 x, 0) at 0, built two ways: W = 0.75 with ReLU, and W = 1 with the
    # activation max(0.75 z, 0). Exact solution: x(t) = x0 e^{−t/4} (x0 > 0), x0 e^{−t} (x0 < 0).
    for net in (Network(W=[[0.75]], u=[0.0]),
                Network(W=[[1.0]], u=[0.0], activation=Scaled(ReLU(), 4 / 3))):
        ls = local_stability(net, [0.0])
        assert ls.verdict == "stable" and ls.stable is True, ls.message
        assert ls.abscissa == pytest.approx(-0.25)
        eq = equilibrium(net, x0=[0.0]).with_stability()
        assert eq.stable is True and eq.stability.verdict == "stable"
        r = _decays(net, np.zeros(1), np.array([[1.0], [-1.0]]), 8.0)
        np.testing.assert_allclose(r, [np.exp(-2.0), np.exp(-8.0)], rtol=1e-6)


def test_kink_with_growing_half_line_is_unstable_both_paths() -> None:
    # ẋ = −x + max(2x, 0): x > 0 is invariant and grows like e^t.
    net = Network(W=[[2.0]], u=[0.0])
    ls = local_stability(net, [0.0])
    assert ls.verdict == "unstable" and ls.stable is False
    assert "invariant" in ls.message and ls.borderline.tolist() == [0]
    eq = equilibrium(net, x0=[0.0]).with_stability()
    assert eq.stable is False
    assert _decays(net, np.zeros(1), np.array([[1.0]]), 2.0)[0] == pytest.approx(np.exp(2.0),
                                                                                 rel=1e-6)


def test_equilibrium_remembers_its_input_and_network() -> None:
    # The saddle (1, 0) of W = [[2, −3], [3, −1]] at u = (−1, −4): J = [[1, −3], [0, −1]].
    net = Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[1.0, 0.5], cell_types="EI")
    eq = equilibrium(net, u=(-1, -4), x0=(1, 0))
    np.testing.assert_allclose(eq.x, [1.0, 0.0], atol=1e-12)
    np.testing.assert_array_equal(eq.u, [-1.0, -4.0])
    assert eq.fingerprint == net.fingerprint()
    st = eq.with_stability()
    assert st.stable is False and st.stability.verdict == "unstable"
    np.testing.assert_allclose(sorted(st.eigenvalues.real), [-1.0, 1.0], atol=1e-12)
    assert eq.with_stability(net).stable is False  # same weights: accepted, still its own u
    slow = net.replace(tau=[1.0, 5.0])  # same W, other τ: used
    assert eq.with_stability(slow).stable is False
    with pytest.raises(ValidationError, match="not those this equilibrium was solved for"):
        eq.with_stability(Network(W=[[2.0, -3.0], [3.0, -1.5]]))


# ---------------------------------------------------------------- planar kinks vs simulation
def _planar_cases(count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(20261202)
    return [(rng.uniform(-3, 3, size=(2, 2)), rng.uniform(0.3, 3, size=2)) for _ in range(count)]


@pytest.mark.parametrize("case", range(16))
def test_planar_kink_verdicts_match_simulation(case: int) -> None:
    # u = 0, x* = 0: both neurons at their ReLU kink; the system is exactly homogeneous, so
    # growth or decay of trajectories from every direction is the truth.
    W, tau = _planar_cases(16)[case]
    net = Network(W=W, u=[0.0, 0.0], tau=tau)
    ls = local_stability(net, [0.0, 0.0])
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    dirs = np.column_stack([np.cos(angles), np.sin(angles)])
    t1 = 400.0 * float(np.max(tau))  # slow cases decay at rate ~0.03
    r = _decays(net, np.zeros(2), dirs, t1)
    if ls.verdict == "stable":
        assert max(r) < 1e-2, (ls.message, r)
    elif ls.verdict == "unstable":
        assert max(r) > 1e2, (ls.message, r)
    else:  # pragma: no cover - the seeded cases are all decided
        pytest.fail(f"undecided: {ls.message}")


@dataclasses.dataclass(frozen=True)
class _Leaky(Activation):
    """Leaky ReLU with slopes 0.2 and 1: a user piecewise-linear activation (no clip form)."""

    slope_bounds: ClassVar[tuple[float, float]] = (0.2, 1.0)
    piecewise_linear: ClassVar[bool] = True

    @property
    def value_range(self) -> tuple[float, float]:
        return (-np.inf, np.inf)

    def __call__(self, z: ArrayLike) -> np.ndarray:
        z = np.asarray(z, dtype=float)
        return np.where(z > 0, z, 0.2 * z)

    def derivative(self, z: ArrayLike) -> np.ndarray:
        return np.where(np.asarray(z, dtype=float) > 0, 1.0, 0.2)

    def inverse(self, y: ArrayLike) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        return np.where(y > 0, y, 5.0 * y)

    def g(self, y: ArrayLike) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        return np.where(y > 0, 0.0, 2.0 * y * y)


@pytest.mark.parametrize(("W", "verdict"), [
    ([[3.0, -3.0], [3.0, -0.5]], "stable"),  # one piece an unstable focus, yet it decays
    ([[1.785, 6.745], [-6.374, 5.665]], "unstable"),
])
def test_planar_rotation_decided_by_growth_per_turn(W: list, verdict: str) -> None:
    # No invariant ray (leaky slopes): trajectories rotate; one turn multiplies the radius by
    # exp(growth). Oracle: simulation of the exact (homogeneous) system.
    net = Network(W=W, u=[0.0, 0.0], activation=_Leaky())
    ls = local_stability(net, [0.0, 0.0])
    assert ls.method == "planar" and "growth_per_turn" in ls.stats, ls.message
    assert ls.verdict == verdict and ls.abscissa > 0  # some piece is not Hurwitz in both
    angles = np.linspace(0, 2 * np.pi, 4, endpoint=False)
    r = max(_decays(net, np.zeros(2), np.column_stack([np.cos(angles), np.sin(angles)]), 400.0))
    assert (r < 1e-2) if verdict == "stable" else (r > 1e2)


# ---------------------------------------------------------------- n ≥ 3: invariant cones
def _at_kink(W: np.ndarray, x_star: np.ndarray) -> Network:
    """A ReLU network for which ``x_star`` (with ``x_star[0] = 0``) is an equilibrium and
    neuron 0's drive is exactly 0 (its kink): ``u = x* − W x*`` on the active ones."""
    u = x_star - W @ x_star
    u[0] = -(W[0] @ x_star)
    return Network(W=W, u=u)


def test_unstable_eigenvector_in_its_cone_three_neurons() -> None:
    # Neuron 0 excites itself (1.5): the piece with it on has eigenvalue ≈ 0.5 whose
    # eigenvector points into the side where its drive grows.
    W = np.array([[1.5, 0.2, 0.1], [0.3, -1.0, 0.1], [0.2, 0.1, -1.0]])
    x_star = np.array([0.0, 0.5, 0.5])
    net = _at_kink(W, x_star)
    ls = local_stability(net, x_star)
    assert ls.borderline.tolist() == [0]
    assert ls.verdict == "unstable" and ls.method == "cones" and "cone" in ls.message
    assert max(_decays(net, x_star, np.array([[1.0, 0.0, 0.0]]), 30.0)) > 100


def test_hurwitz_pieces_with_common_lyapunov_three_neurons() -> None:
    W = np.array([[0.5, -0.2, 0.1], [0.3, -0.5, 0.0], [0.1, 0.2, -0.3]])
    x_star = np.array([0.0, 1.0, 1.0])
    net = _at_kink(W, x_star)
    ls = local_stability(net, x_star)
    assert ls.borderline.tolist() == [0], ls.message
    assert ls.verdict == "stable" and "Lyapunov" in ls.message
    rng = np.random.default_rng(3)
    assert max(_decays(net, x_star, rng.standard_normal((6, 3)), 60.0)) < 1e-3


def test_zero_rows_at_a_kink_do_not_count() -> None:
    net = Network(W=np.zeros((12, 12)), u=0.0)  # every neuron at its kink, but W = 0
    ls = local_stability(net, np.zeros(12))
    assert ls.verdict == "stable" and ls.borderline.size == 0


def test_too_many_kinks_is_undecided_with_reason() -> None:
    n = 12
    W = 0.1 * (np.ones((n, n)) - np.eye(n))
    net = Network(W=W, u=0.0)
    ls = local_stability(net, np.zeros(n))
    assert ls.verdict == "undecided" and ls.stable is None and "KINK_LIMIT" in ls.message
    assert not ls.success and ls.status == "undecided"


def test_clipped_upper_kink_uses_left_slope() -> None:
    # x = clip(2x − 1, 0, 1) at x* = 1: drive exactly at r_max; left slope 2 → ẋ = −x + 2x on
    # the side δ < 0 … which pulls back up: δ̇ = δ for δ < 0 (moving away), unstable.
    net = Network(W=[[2.0]], u=[-1.0], activation=ClippedReLU())
    ls = local_stability(net, [1.0])
    assert ls.verdict == "unstable"
    # and W = 0.5, u = 0.5: x* = 1 at the upper kink, slope 0.5 on the left: stable.
    ls = local_stability(Network(W=[[0.5]], u=[0.5], activation=ClippedReLU()), [1.0])
    assert ls.verdict == "stable"


# ---------------------------------------------------------------- large networks
def _isn(n: int, k: int = 50, seed: int = 0) -> Network:
    """Fixed in-degree E–I network with the mean-field weights of docs/theory.md §5's ISN example
    ``[[2, −3], [3, −1]]`` (E–E alone unstable); uniform rates (1/14, 5/14), all active."""
    rng = np.random.default_rng(seed)
    ne = int(0.8 * n)
    M = np.array([[2.0, -3.0], [3.0, -1.0]])
    pools = [np.arange(ne), np.arange(ne, n)]
    rows, cols, vals = [], [], []
    for i in range(n):
        a = 0 if i < ne else 1
        for b in (0, 1):
            kb = k if b == 0 else k // 4
            pool = pools[b][pools[b] != i]
            pre = rng.choice(pool, size=kb, replace=False)
            rows.append(np.full(kb, i))
            cols.append(pre)
            vals.append(np.full(kb, M[a, b] / kb))
    W = sp.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                     shape=(n, n))
    u = np.r_[np.ones(ne), 0.5 * np.ones(n - ne)]
    return Network(W=W, u=u, cell_types="E" * ne + "I" * (n - ne))


def test_sparse_arpack_matches_dense() -> None:
    net = _isn(600)
    eq = equilibrium(net)
    dense = local_stability(net, eq.x)
    sparse = local_stability(net, eq.x, dense_limit=100)
    assert dense.method == "dense" and sparse.method == "arpack"
    assert dense.verdict == sparse.verdict == "stable"
    assert sparse.abscissa == pytest.approx(dense.abscissa, abs=1e-8)
    J = net.rate_jacobian(eq.x).toarray()
    assert dense.abscissa == pytest.approx(float(np.max(np.linalg.eigvals(J).real)))
    # slow inhibition: the same network past its Hopf point is unstable, sparse and dense
    slow = net.replace(tau=np.r_[np.ones(480), 4.0 * np.ones(120)])
    assert local_stability(slow, eq.x, dense_limit=100).verdict == "unstable"
    assert local_stability(slow, eq.x).verdict == "unstable"


def test_arpack_failure_is_undecided_with_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    import scipy.sparse.linalg as spla

    def broken(*args: object, **kwargs: object) -> None:
        raise spla.ArpackNoConvergence("ARPACK error -1: No convergence", [], [])

    monkeypatch.setattr(spla, "eigs", broken)
    net = _isn(300)
    eq = equilibrium(net)
    ls = local_stability(net, eq.x, dense_limit=100)
    assert ls.verdict == "undecided" and "No convergence" in ls.message
    assert ls.stats["arpack_error"]


def test_cayley_fallback_when_rightmost_arpack_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import scipy.sparse.linalg as spla

    real = spla.eigs

    def lr_fails(*args: object, **kwargs: object) -> object:
        if kwargs.get("which") == "LR":
            raise spla.ArpackNoConvergence("ARPACK error -1: No convergence", [], [])
        return real(*args, **kwargs)

    monkeypatch.setattr(spla, "eigs", lr_fails)
    net = _isn(300)
    eq = equilibrium(net)
    dense = local_stability(net, eq.x)
    cay = local_stability(net, eq.x, dense_limit=100)
    assert cay.method == "arpack-cayley" and cay.verdict == dense.verdict == "stable"
    slow = net.replace(tau=np.r_[np.ones(240), 4.0 * np.ones(60)])
    cay = local_stability(slow, eq.x, dense_limit=100)
    assert cay.verdict == "unstable"
    assert cay.abscissa == pytest.approx(local_stability(slow, eq.x).abscissa, abs=1e-8)


def test_5000_neuron_isn_gets_a_verdict() -> None:
    net = _isn(5000)
    eq = equilibrium(net)
    assert eq.converged and eq.active.size == 5000
    t0 = time.perf_counter()
    st = eq.with_stability()
    elapsed = time.perf_counter() - t0
    assert st.stability.method == "arpack" and st.stable is True, st.stability.message
    assert -0.6 < st.stability.abscissa < -0.2
    assert elapsed < 30, elapsed
    # slow inhibition (τ_I = 4): the mean-field pair of diag(1, 1/4)([[2, −3], [3, −1]] − I) has
    # real part trace/2 = 0.25 exactly (uniform rates make it an exact eigenvalue pair of J)
    slow = eq.with_stability(net.replace(tau=np.r_[np.ones(4000), 4.0 * np.ones(1000)]))
    assert slow.stable is False
    assert slow.stability.abscissa == pytest.approx(0.25, abs=1e-8)


# ---------------------------------------------------------------- shape and consumers
def test_result_shape_and_json() -> None:
    ls = local_stability(Network(W=[[2.0]], u=[0.0]), [0.0])
    assert isinstance(ls, LocalStability)
    assert ls.status == "unstable" and ls.success and ls.message
    d = ls.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["verdict"] == "unstable" and "seconds" in d["stats"]


def test_equilibria_use_the_same_verdict() -> None:
    net = Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[-1.0, -4.0], cell_types="EI")
    for eq in equilibria(net):
        assert eq.stable == local_stability(net, eq.x).stable
        assert eq.stability.verdict in _local.VERDICTS


def test_bad_arguments() -> None:
    net = Network(W=[[0.5]], u=[1.0])
    with pytest.raises(ValidationError, match="x_eq: expected shape"):
        local_stability(net, [1.0, 2.0])
    with pytest.raises(ValidationError, match="x_eq: not an equilibrium"):
        local_stability(net, [0.0])
    with pytest.raises(ValidationError, match="atol"):
        local_stability(net, [2.0], atol=-1.0)


def test_decoupled_neurons_are_peeled_as_cascades() -> None:
    # WTA winner (local wiring: I_k inhibits every E_j but E_k): silent E neurons decay on their
    # own, their I partners sit at a kink but then depend only on themselves, then the winner
    # E (driven by those I) and its I: the whole local system is a cascade of 8 scalar pieces.
    from eicircuits.circuits import lateral_inhibition, response

    net = lateral_inhibition(4, a=0.0, b=2.0, c=2.0, d=0.5, wiring="local",
                             u=[1.0, 1.1, 1.2, 1.3])
    eq = response(net)
    ls = local_stability(net, eq.x)
    assert ls.verdict == "stable" and "cascade" in ls.message and ls.stats["decoupled"] == 8
    assert max(_decays(net, eq.x, np.random.default_rng(0).standard_normal((4, 8)), 60.0)) < 1e-3
    # a decoupled neuron that grows on one side of its kink makes the whole system unstable
    W = np.array([[1.5, 0.0, 0.0], [0.5, 0.0, -1.0], [0.5, 1.0, -1.0]])
    x_star = np.array([0.0, 0.5, 0.25])
    u = x_star - W @ x_star
    u[0] = 0.0
    net = Network(W=W, u=u)
    ls = local_stability(net, x_star)
    assert ls.verdict == "unstable" and "'0'" in ls.message
    assert max(_decays(net, x_star, np.array([[1.0, 0.0, 0.0]]), 20.0)) > 100


def test_threshold_activations_are_solved_exactly() -> None:
    # φ(z) = max(z − 0.5, 0) (a Scaled ReLU with a threshold): the box form carries the offset.
    act = ReLU(threshold=0.5)
    net = Network(W=[[0.5, -1.0], [1.0, -0.5]], u=[2.0, 1.0], activation=act)
    eq = equilibrium(net)
    assert eq.converged and eq.residual <= 1e-12
    np.testing.assert_allclose(eq.x, equilibrium(net, method="newton").x, atol=1e-10)
    z = net.drive(eq.x)
    ls = local_stability(net, eq.x)
    assert ls.verdict == "stable" and np.all(z > 0.5)


def test_defective_growing_ray_at_a_double_kink_is_unstable():
    """W − I = [[4, −3], [3, −2]] has the double (defective) eigenvalue 1 on the ray (1, 1).

    LAPACK splits a Jordan block into a complex pair with imaginary parts ~1e-8; the verdict
    used to drop that ray and call the origin stable, while a run from (1e-3, 1e-3) explodes.
    """
    import eicircuits as ec

    net = ec.Network(W=[[5.0, -3.0], [3.0, -1.0]], cell_types="EI")
    res = ec.local_stability(net, np.zeros(2))
    assert res.verdict == "unstable", res.message
    traj = ec.simulate(net, [1e-6, 1e-6], (0.0, 20.0))
    assert traj.x[-1, 0] > 1e-6 * np.exp(15.0)  # the oracle: growth at rate 1 along (1, 1)
