"""Exact continuation of threshold-linear circuits
(docs/theory.md §8) against support enumeration."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import eicircuits as ec
from eicircuits import Network, continuation, equilibria, equilibrium
from eicircuits.circuits import random_ei
from eicircuits.continuation._piecewise import PieceSolver
from eicircuits.errors import ValidationError

ISN = Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[0.0, -4.0], cell_types="EI", names=["E", "I"])


def _enumerated(net: Network, u: np.ndarray) -> list[np.ndarray]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [e.x for e in equilibria(net, u=u, tol=1e-12)]


def _match(points: np.ndarray, eqs: list[np.ndarray], tol: float) -> bool:
    if len(points) != len(eqs):
        return False
    used = set()
    for p in points:
        hit = [k for k, e in enumerate(eqs) if k not in used and np.max(np.abs(p - e)) <= tol]
        if not hit:
            return False
        used.add(hit[0])
    return True


def _count(net: Network, d: np.ndarray, lam: float) -> int:
    return len(_enumerated(net, net.u + lam * d))


def _bisect_count_change(net: Network, d: np.ndarray, a: float, b: float) -> float:
    ca = _count(net, d, a)
    while b - a > 1e-12:
        m = 0.5 * (a + b)
        if _count(net, d, m) == ca:
            a = m
        else:
            b = m
    return 0.5 * (a + b)


def _check_against_enumeration(net: Network, d: np.ndarray, span: tuple[float, float],
                               n_grid: int, rng: np.random.Generator) -> ec.Continuation:
    res = continuation(net, direction=d, span=span)
    assert res.success, res.message
    grid = np.sort(rng.uniform(*span, size=n_grid))
    counts = []
    for lam in grid:
        eqs = _enumerated(net, net.u + lam * d)
        pts = res.points_at(lam)
        assert _match(pts, eqs, 1e-9), (lam, pts, eqs)
        counts.append(len(eqs))
    # every fold sits where the number of equilibria changes, located by bisection to 1e-9
    for k in np.flatnonzero(np.diff(counts)):
        where = _bisect_count_change(net, d, grid[k], grid[k + 1])
        assert min(abs(f.lam - where) for f in res.folds) < 1e-9
    for f in res.folds:  # and no fold without a change of count
        left, right = _count(net, d, f.lam - 1e-6), _count(net, d, f.lam + 1e-6)
        assert abs(left - right) == 2
    return res


def test_worked_isn_example_branch_and_folds():
    d = np.array([1.0, 0.0])
    res = _check_against_enumeration(ISN, d, (-3.0, 2.0), 400, np.random.default_rng(0))
    assert [round(f.lam, 12) for f in res.folds] == [round(-4 / 3, 12), 0.0]
    # docs/theory.md §5: u = (−1, −4) has (0, 0) stable, (1, 0) a saddle, (10/7, 1/7) stable
    pts = res.points_at(-1.0)
    assert _match(pts, [np.zeros(2), np.array([1.0, 0.0]), np.array([10 / 7, 1 / 7])], 1e-12)
    br = res.branches[0]
    assert br.segment_stable.tolist() == [True, False, True]
    assert [a.tolist() for a in br.active_sets()] == [[], [0], [0, 1]]
    assert res.single_valued is None and "isolas" in res.message
    # stability of every segment agrees with equilibria() at its midpoint
    for j in range(br.m - 1):
        mid = 0.5 * (br.lam[j] + br.lam[j + 1])
        eq = [e for e in equilibria(ISN, u=ISN.u + mid * d)
              if np.allclose(e.x, 0.5 * (br.x[j] + br.x[j + 1]), atol=1e-12)]
        assert eq[0].stable == br.segment_stable[j]


@pytest.mark.parametrize("seed", [0, 1, 3, 5, 8, 12, 22])
def test_random_small_circuits_match_enumeration(seed):
    """ReLU (even seeds) and clipped ReLU, 3–5 neurons, strong self-excitation: several folds;
    seeds 8 and 22 have branches that enter and leave at the same end of the span."""
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(3, 6))
    W = rng.normal(0.0, 1.2, size=(n, n))
    W[np.diag_indices(n)] = rng.uniform(0.0, 1.8, size=n)
    act = ec.ClippedReLU(2.0) if seed % 2 else ec.ReLU()
    net = Network(W=W, u=rng.normal(0.0, 1.0, size=n), activation=act)
    d = rng.normal(0.0, 1.0, size=n)
    res = _check_against_enumeration(net, d, (-3.0, 3.0), 120, rng)
    assert res.branches and res.folds
    # docs/theory.md §8: a vertex is a fold exactly where det (I − W)_SS changes sign (for clipped
    # neurons, S is the set in the linear piece)
    for bi, br in enumerate(res.branches):
        S = br.active_sets()
        sign = [np.sign(np.linalg.det(np.eye(s.size) - W[np.ix_(s, s)])) if s.size else 1.0
                for s in S]
        for b in res.bifurcations:
            if b.branch == bi:
                j = b.index
                assert (sign[j - 1] != sign[j]) == (b.kind == "fold")


def test_lds_network_single_valued_sparse_matches_equilibrium():
    net = random_ei(300, density=0.05, gain=0.8, rng=3, sparse=True)
    rng = np.random.default_rng(1)
    u0, d = rng.normal(0, 1, 300), rng.normal(0, 1, 300)
    net = net.with_input(u0)
    res = continuation(net, direction=d, span=(-1.0, 1.0), refactor=8)
    assert res.success and res.single_valued is True
    assert "single-valued" in res.message and not res.folds
    br = res.branches[0]
    assert np.all(np.diff(br.lam) > 0) and br.stable.all()
    assert res.stats["pivots"] > 30
    for lam in rng.uniform(-1, 1, 8):
        x = res.points_at(lam)
        assert x.shape == (1, 300)
        ref = equilibrium(net, u=u0 + lam * d, tol=1e-13).x
        assert np.max(np.abs(x[0] - ref)) < 1e-9


def test_block_updates_match_direct_solves():
    rng = np.random.default_rng(5)
    n = 40
    M = np.eye(n) + 0.3 * rng.normal(size=(n, n)) / np.sqrt(n)
    import scipy.sparse as sp

    for mat in (M, sp.csr_array(M)):
        lin = rng.random(n) < 0.5
        solver = PieceSolver(mat, lin, refactor=6)
        for _ in range(30):
            i = int(rng.integers(n))
            lin[i] = not lin[i]
            solver.toggle(i, bool(lin[i]))
            R = rng.normal(size=(n, 2))
            Y = solver.solve(R)
            S = np.flatnonzero(lin)
            ref = np.linalg.solve(M[np.ix_(S, S)], R[S])
            assert np.max(np.abs(Y[S] - ref)) < 1e-10
            assert np.all(Y[~lin] == 0)
        assert solver.factorizations > 1


def test_result_serialises(tmp_path):
    import xarray as xr

    res = continuation(ISN, direction=[1.0, 0.0], span=(-3.0, 2.0), parameter="u_E")
    text = json.dumps(res.to_dict(), allow_nan=False)
    assert '"fold"' in text and "u_E" in text
    path = res.to_netcdf(tmp_path / "branches.nc")
    with xr.open_dataset(path) as ds:
        assert ds.attrs["parameter"] == "u_E"
        assert ds["x"].shape == (4, 2) and list(ds["neuron"].values) == ["E", "I"]
        assert sorted(ds["bif_lam"].values.tolist()) == pytest.approx([-4 / 3, 0.0])


def test_callable_package_and_validation():
    assert callable(ec.continuation)
    import eicircuits.continuation as mod

    assert mod.Continuation is ec.Continuation
    with pytest.raises(ValidationError, match="direction: required"):
        continuation(ISN, span=(0, 1))
    with pytest.raises(ValidationError, match="span"):
        continuation(ISN, direction=[1, 0], span=(1, 0))
    with pytest.raises(ValidationError, match="piecewise-linear"):
        continuation(ISN.replace(activation=ec.Tanh()), direction=[1, 0], span=(0, 1),
                     method="piecewise-linear")
    with pytest.raises(ValidationError, match="direction: only"):
        continuation(lambda lam: ISN, direction=[1, 0], span=(0, 1))
    with pytest.raises(ValidationError, match="max_points"):
        continuation(ISN, direction=[1, 0], span=(0, 1), max_points=0)


def test_max_points_is_reported():
    res = continuation(ISN, direction=[1.0, 0.0], span=(-3.0, 2.0), max_points=2)
    assert not res.success and res.status == "max_points" and "max_points" in res.message


def test_iterative_and_direct_pivoting_agree():
    net = random_ei(400, density=0.03, gain=0.85, rng=7, sparse=True)
    rng = np.random.default_rng(2)
    u0, d = rng.normal(0, 1, 400), rng.normal(0, 1, 400)
    net = net.with_input(u0)
    ref = continuation(net, direction=d, span=(-1.0, 1.0), linear_solver="direct")
    it = continuation(net, direction=d, span=(-1.0, 1.0), linear_solver="iterative")
    a, b = ref.branches[0], it.branches[0]
    assert a.m == b.m > 20
    assert np.max(np.abs(a.lam - b.lam)) < 1e-10 and np.max(np.abs(a.x - b.x)) < 1e-10
    assert b.stats["linear_solver"] == "iterative" and b.stats["krylov_iterations"] > 0


def test_sparse_eigenvalue_path_matches_dense(monkeypatch):
    from eicircuits.continuation import _eig

    rng = np.random.default_rng(3)
    J = rng.normal(size=(80, 80)) / 9.0 - np.eye(80)
    dense, st = _eig.leading_eigenvalues(J)
    monkeypatch.setattr(_eig, "STABILITY_LIMIT", 10)
    import scipy.sparse as sp

    sparse, st2 = _eig.leading_eigenvalues(sp.csr_array(J))
    assert st == st2
    assert np.allclose(dense[:2], sparse[:2], atol=1e-8)


def test_large_non_lds_start_from_rest_and_stability_per_piece():
    """Above the enumeration limit and without an LDS certificate the branch starts from the
    equilibrium reached from rest; every piece's stability is computed (and checked here
    against the Jacobian of a point inside it)."""
    rng = np.random.default_rng(11)
    n = 24
    W = rng.normal(0.0, 0.25, size=(n, n))
    W[np.diag_indices(n)] = 1.05  # W_ii > 1: not LDS
    net = Network(W=W, u=rng.normal(0.5, 0.2, n), activation=ec.ClippedReLU(1.0))
    d = rng.normal(0.0, 1.0, n)
    res = continuation(net, direction=d, span=(-0.5, 0.5))
    assert res.single_valued is None and "reached from rest" in res.message
    br = res.branches[0]
    assert br.stable is not None and br.eigenvalues is not None
    for j in range(0, br.m - 1, max(1, (br.m - 1) // 6)):
        if br.lam[j] == br.lam[j + 1]:
            continue
        mid_x = 0.5 * (br.x[j] + br.x[j + 1])
        mid_l = 0.5 * (br.lam[j] + br.lam[j + 1])
        netm = net.with_input(net.u + mid_l * d)
        assert np.max(np.abs(netm.phi(netm.W @ mid_x + netm.u) - mid_x)) < 1e-10
        ev = np.linalg.eigvals(netm.rate_jacobian(mid_x))
        assert bool(ev.real.max() < 0) == br.segment_stable[j]


def test_singular_active_blocks_are_reported():
    """W = 1 (self-excitation exactly 1): at λ = 0 the active block I − W is singular."""
    res = continuation(Network(W=[[1.0]]), direction=[1.0], span=(-1.0, 1.0))
    assert not res.success and res.status == "unbounded"
    assert "runs to infinity at constant λ" in res.message
    clipped = continuation(Network(W=[[1.0]], activation=ec.ClippedReLU(2.0)), direction=[1.0],
                           span=(-1.0, 1.0))
    assert clipped.success and "a continuum of equilibria" in clipped.message
    br = clipped.branches[0]
    assert br.lam.tolist() == [-1.0, 0.0, 0.0, 1.0] and br.x[:, 0].tolist() == [0, 0, 2, 2]


def test_gains_and_thresholds_match_enumeration():
    """Scaled activations (gain, threshold) change the normal form's slope and offset."""
    rng = np.random.default_rng(21)
    W = np.array([[1.6, -1.0, 0.0], [1.2, 0.0, -0.8], [0.5, 0.9, 0.4]])
    acts = [ec.ReLU(gain=0.8, threshold=0.3), ec.ClippedReLU(1.5, gain=0.5, threshold=-0.2),
            ec.ReLU()]
    net = Network(W=W, u=[0.2, -0.1, 0.0], activation=acts)
    res = _check_against_enumeration(net, np.array([1.0, 0.3, -0.5]), (-3.0, 3.0), 150, rng)
    assert res.branches and len(res.folds) == 1


def test_callable_input_family_gets_the_exact_path():
    from eicircuits.circuits import wilson_cowan

    res = continuation(lambda ue: wilson_cowan(2.0, 3.0, 3.0, 1.0, u_e=ue, u_i=-4.0),
                       span=(-3.0, 2.0))
    assert res.method == "piecewise-linear"
    assert [f.lam for f in res.folds] == pytest.approx([-4 / 3, 0.0], abs=1e-14)
    forced = continuation(lambda ue: wilson_cowan(2.0, 3.0, 3.0, 1.0, u_e=ue, u_i=-4.0),
                          span=(-3.0, 2.0), method="arclength", max_step=0.05)
    assert forced.method == "arclength"
    assert [f.lam for f in forced.folds] == pytest.approx([-4 / 3, 0.0], abs=1e-9)
