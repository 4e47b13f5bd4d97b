"""Pseudo-arclength continuation
(docs/theory.md §8): closed forms, root counting, simulation, failures."""

from __future__ import annotations

import numpy as np
import pytest

from eicircuits import Logistic, Network, Tanh, continuation, equilibria, simulate
from eicircuits.circuits import lateral_inhibition, wilson_cowan


def test_logistic_self_excitation_folds_closed_form():
    """One neuron, x = φ(w x + u), φ(z) = 1/(1 + e^{−4z}): folds where w φ'(z) = 1."""
    for w in (2.0, 3.0, 5.0):
        net = Network(W=[[w]], activation=Logistic())
        res = continuation(net, direction=[1.0], span=(-w - 1.0, 1.0))
        assert res.success, res.message
        want = []
        for s in (-1, 1):
            x = (1 + s * np.sqrt(1 - 1 / w)) / 2
            want.append(np.log(x / (1 - x)) / 4 - w * x)
        got = [f.lam for f in res.folds]
        assert np.allclose(sorted(got), sorted(want), atol=1e-9, rtol=0)
        for f in res.folds:  # at the fold w φ'(z) = 1
            z = w * f.x[0] + f.lam
            assert abs(w * Logistic().derivative(z) - 1.0) < 1e-6
        # the middle branch (between the folds) is the unstable one
        br = res.branches[0]
        x_lo, x_hi = sorted(f.x[0] for f in res.folds)
        middle = (br.x[:, 0] > x_lo + 1e-3) & (br.x[:, 0] < x_hi - 1e-3)
        outer = (br.x[:, 0] < x_lo - 1e-3) | (br.x[:, 0] > x_hi + 1e-3)
        assert middle.any() and not br.stable[middle].any() and br.stable[outer].all()


def _roots(net: Network, rng: np.random.Generator, starts: int = 120) -> list[np.ndarray]:
    """Every equilibrium found by Newton from many random starts in the range of φ."""
    found: list[np.ndarray] = []
    lo, hi = -1.0, 1.0
    n = net.n
    for _ in range(starts):
        x = rng.uniform(lo, hi, size=n)
        for _ in range(60):
            z = net.W @ x + net.u
            F = net.phi(z) - x
            J = net.dphi(z)[:, None] * net.W - np.eye(n)
            try:
                dx = np.linalg.solve(J, -F)
            except np.linalg.LinAlgError:
                break
            x = x + dx
            if np.max(np.abs(dx)) < 1e-13:
                break
        if np.max(np.abs(net.phi(net.W @ x + net.u) - x)) < 1e-11 and np.all(np.abs(x) <= 1):
            if not any(np.max(np.abs(x - y)) < 1e-7 for y in found):
                found.append(x)
    return found


@pytest.mark.parametrize("n, seed", [(3, 0), (4, 1), (5, 2)])
def test_small_tanh_circuits_against_root_counting(n, seed):
    rng = np.random.default_rng(seed)
    W = rng.normal(0.0, 0.4, size=(n, n))
    W[0, 0] = 1.8  # one strongly self-exciting neuron: a fold pair (hysteresis)
    net = Network(W=W, u=rng.normal(0.0, 0.2, size=n), activation=Tanh())
    d = rng.normal(0.0, 1.0, size=n)
    span = (-3.0, 3.0)
    x0 = _roots(net.with_input(net.u + span[0] * d), rng)
    res = continuation(net, direction=d, span=span, x0=np.array(x0), max_step=0.05)
    assert res.success, res.message
    assert res.folds
    for br in res.branches:  # every point is an equilibrium
        for lam, x in zip(br.lam, br.x, strict=True):
            u = net.u + lam * d
            assert np.max(np.abs(np.tanh(net.W @ x + u) - x)) < 1e-9
    grid = np.linspace(span[0] + 0.013, span[1] - 0.017, 10)
    for lam in grid:
        roots = _roots(net.with_input(net.u + lam * d), rng)
        assert res.count_at(lam) == len(roots), lam
    # the count changes by two across every fold
    for f in res.folds:
        a = _roots(net.with_input(net.u + (f.lam - 1e-4) * d), rng)
        b = _roots(net.with_input(net.u + (f.lam + 1e-4) * d), rng)
        assert abs(len(a) - len(b)) == 2


@pytest.mark.parametrize("w_ee, w_ei, w_ie, w_ii, u", [
    (2.0, 3.0, 3.0, 1.0, (1.0, 0.5)),     # the worked ISN example: Hopf at τ_I/τ_E = 2
    (3.0, 4.0, 3.0, 0.5, (1.0, 0.2)),
])
def test_wilson_cowan_hopf_in_tau_closed_form_and_simulation(w_ee, w_ei, w_ie, w_ii, u):
    ratio = (1 + w_ii) / (w_ee - 1)
    tau_e = 1.5

    def fam(tau_i: float) -> Network:
        return wilson_cowan(w_ee, w_ei, w_ie, w_ii, tau_e=tau_e, tau_i=tau_i, u_e=u[0],
                            u_i=u[1])

    res = continuation(fam, span=(0.3 * ratio * tau_e, 2.0 * ratio * tau_e),
                       parameter="tau_I")
    assert res.success, res.message
    (h,) = res.hopf
    assert abs(h.lam / tau_e - ratio) < 1e-9
    assert abs(h.eigenvalue.real) < 1e-10 and abs(h.eigenvalue.imag) > 0.1
    br = res.branches[0]
    assert np.ptp(br.x, axis=0).max() < 1e-12  # the equilibrium does not move with τ
    assert br.stable[br.lam < h.lam - 1e-9].all() and not br.stable[br.lam > h.lam + 1e-9].any()
    x_eq = br.x[0]
    for factor, oscillates in ((0.7, False), (1.3, True)):
        net = fam(factor * ratio * tau_e)
        t1 = 120.0 * tau_e
        tr = simulate(net, x_eq + np.array([0.02, 0.0]), (0.0, t1),
                      t_eval=np.linspace(0.75 * t1, t1, 1000), rtol=1e-9, atol=1e-12)
        amp = float(np.ptp(tr.x[:, 0]))
        if oscillates:
            assert amp > 0.01 and np.all(np.isfinite(tr.x)) and np.max(tr.x) < 100
        else:
            assert amp < 1e-6


def test_local_wiring_wta_branches_match_equilibria():
    """Local lateral inhibition (docs/theory.md §5): the all-active state is lost and single-winner
    states appear as a + bc/(1 + d) crosses 1; branches in c match equilibria() on a grid."""
    a, b, d = 0.3, 1.0, 0.5
    c_star = (1 - a) * (1 + d) / b

    def fam(c: float) -> Network:
        return lateral_inhibition(3, a=a, b=b, c=c, d=d, wiring="local", u=[1.0, 1.1, 1.25])

    res = continuation(fam, span=(0.2, 2.0), parameter="c", max_step=0.03)
    assert res.success, res.message
    for br in res.branches:  # every point is an equilibrium
        for c, x in zip(br.lam, br.x, strict=True):
            net = fam(c)
            assert np.max(np.abs(net.phi(net.W @ x + net.u) - x)) < 1e-9
    rng = np.random.default_rng(0)
    for c in np.sort(rng.uniform(0.2, 2.0, 20)):
        eqs = [e.x for e in equilibria(fam(c))]
        pts = res.points_at(c)  # linear interpolation: x(c) is rational in c on a piece
        assert len(pts) == len(eqs), c
        for e in eqs:
            assert min(np.max(np.abs(e - p)) for p in pts) < 1e-3
    # below the threshold one equilibrium (all or part active); well above it the strongest
    # input's single-winner state and the other winners coexist
    assert res.count_at(0.5 * c_star) == 1
    assert res.count_at(1.9) == 7
    assert all(f.lam > c_star for f in res.folds)
    # E_i alone is an equilibrium iff u_j − c·b·u_i/((1 − a)(1 + d)) ≤ 0 for every j ≠ i: the
    # weaker inputs' winner states are born at folds at c = (1 − a)(1 + d) max_j u_j/(b u_i)
    u = np.array([1.0, 1.1, 1.25])
    born = [(1 - a) * (1 + d) * np.max(np.delete(u, i)) / (b * u[i]) for i in (0, 1)]
    for c in born:
        assert min(abs(f.lam - c) for f in res.folds) < 1e-9
    # past the threshold every single-winner state is stable: a multistable decision
    from eicircuits.continuation._twoparam import _stable_at

    assert _stable_at(res, 1.9) == 3
    winners = [e for e in equilibria(fam(1.9)) if np.count_nonzero(e.x[:3] > 0) == 1]
    assert len(winners) == 3
    strongest = [e for e in winners if e.x[2] > 0]
    assert strongest[0].stable is not False  # silent I neurons sit at their kink: undecided


def test_step_collapse_is_reported():
    """A family that jumps at λ = 0.5: the branch cannot be continued and says so."""
    def fam(lam: float) -> Network:
        return Network(W=[[0.5]], u=[-5.0 if lam > 0.5 else 1.0], activation=Tanh())

    res = continuation(fam, span=(0.0, 1.0))
    assert not res.success
    assert res.status == "step_collapse"
    assert "collapsed" in res.message
    assert abs(res.branches[0].lam[-1] - 0.5) < 1e-3


def test_branch_point_is_reported():
    """Symmetric mutual inhibition with symmetric input: a pitchfork (det F_x = 0 without a
    fold) on the symmetric branch; the continuation stops there with a message."""
    net = Network(W=[[0.0, -2.0], [-2.0, 0.0]], activation=Tanh())
    res = continuation(net, direction=[1.0, 1.0], span=(0.0, 3.0), x0=[0.0, 0.0])
    assert not res.success and res.status == "branch_point"
    (bp,) = res.of_kind("branch_point")
    # on the symmetric branch x = tanh(u − 2x); the pitchfork is where 2 tanh'(u − 2x) = 1
    z = bp.lam - 2 * bp.x[0]
    assert abs(2 * (1 - np.tanh(z) ** 2) - 1) < 1e-8
    assert "branch point" in res.message



def test_unlocated_stability_change_is_not_called_hopf():
    """A steep circuit where two eigenvalues cross within one step: whatever is reported as a
    Hopf point has its eigenvalue on the imaginary axis; anything else says it was not located."""
    net = wilson_cowan(5.7, 7.0, 15.0, 2.0, tau_i=6.0, u_i=-2.8, activation=Logistic())
    res = continuation(net, direction=[1.0, 0.0], span=(-4.0, 6.0))
    for b in res.bifurcations:
        if b.kind == "hopf":
            assert abs(b.eigenvalue.real) < 1e-6 * (1 + abs(b.eigenvalue))
        if b.kind == "stability_change":
            assert "smaller max_step" in b.message
    assert any(b.kind == "stability_change" for b in res.bifurcations)
