"""Two-parameter continuation: fold and Hopf curves against closed forms, region maps against
support enumeration."""

from __future__ import annotations

import numpy as np

from eicircuits import Logistic, Network, continuation, equilibria
from eicircuits.circuits import wilson_cowan
from eicircuits.continuation import fold_curve, hopf_curve, region_map
from eicircuits.continuation._twoparam import bialternate


def test_bialternate_eigenvalues_are_pairwise_sums():
    rng = np.random.default_rng(0)
    for n in (2, 3, 5):
        A = rng.normal(size=(n, n))
        ev = np.linalg.eigvals(A)
        want = np.sort_complex(np.array([ev[i] + ev[j] for i in range(n) for j in range(i)]))
        got = np.sort_complex(np.linalg.eigvals(bialternate(A)))
        assert np.allclose(got, want, atol=1e-10)


def test_fold_curve_of_self_excitation_against_closed_form():
    """x = φ(w x + u), logistic: the fold curve is x(1 − x) = 1/(4w), u = φ⁻¹(x) − w x; both
    fold curves meet at the cusp w = 1."""
    def fam(u: float, w: float) -> Network:
        return Network(W=[[w]], u=[u], activation=Logistic())

    res = continuation(fam(0.0, 3.0), direction=[1.0], span=(-4.0, 1.0))
    for f in res.folds:
        c = fold_curve(fam, f.x, f.lam, 3.0, (1.5, 6.0))
        assert c.success, c.message
        assert c.mu.min() == 1.5 and c.mu.max() == 6.0
        x = c.x[:, 0]
        assert np.allclose(x * (1 - x), 1 / (4 * c.mu), atol=1e-9)
        assert np.allclose(c.lam, np.log(x / (1 - x)) / 4 - c.mu * x, atol=1e-9)


def test_hopf_curve_of_wilson_cowan_against_closed_form():
    """ISN, ReLU: τ_I/τ_E = (1 + w_II)/(w_EE − 1) along the curve, with ω² = det."""
    def fam(tau_i: float, w_ee: float) -> Network:
        return wilson_cowan(w_ee, 3.0, 3.0, 1.0, tau_i=tau_i, u_e=1.0, u_i=0.5)

    c = hopf_curve(fam, [1 / 14, 5 / 14], 2.0, 2.0, (1.6, 3.0))
    assert c.success, c.message
    assert np.allclose(c.lam, 2.0 / (c.mu - 1.0), atol=1e-8)
    det = ((1 - c.mu) * 2.0 + 9.0) / c.lam
    assert np.allclose(c.omega ** 2, det, rtol=1e-7)


def test_region_map_against_enumeration():
    def fam(u_e: float, w_ee: float) -> Network:
        return wilson_cowan(w_ee, 3.0, 3.0, 1.0, u_e=u_e, u_i=-4.0)

    mus = [0.5, 1.5, 2.0, 3.0]
    ds = region_map(fam, (-3.0, 2.0), mus, lam_points=37, parameter="u_E", second="w_EE")
    assert ds["success"].all()
    for i, mu in enumerate(mus):
        for j, lam in enumerate(ds["u_E"].values):
            eqs = equilibria(fam(float(lam), mu))
            n_fold_here = np.isclose(ds["folds"].values[i], lam, atol=1e-12).sum()
            assert ds["n_equilibria"].values[i, j] == len(eqs)
            if not n_fold_here:
                assert ds["n_stable"].values[i, j] == sum(bool(e.stable) for e in eqs)
    assert ds["n_equilibria"].values[0].max() == 1  # w_EE < 1: LDS, one equilibrium
    assert ds["n_equilibria"].values[2].max() == 3
