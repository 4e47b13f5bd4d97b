"""Lateral inhibition: water-filling against the LCP solver, exact contrast gains, WTA.

Oracles: exact ``fractions`` arithmetic for THEORY's contrast-gain numbers, ``equilibrium()``
(active-set LCP) and DOP853 simulation for the water-filling closed form, NumPy eigenvalues for
the LDS certificate ``P = diag((b/m)·1, c)``.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from eicircuits import ValidationError, equilibria, equilibrium
from eicircuits.circuits import (
    contrast,
    contrast_gain,
    differential_gain,
    lateral_inhibition,
    local_differential_gain,
    motif_r,
    shared_inhibition_equilibrium,
    winner,
)

U5 = [1.00, 1.02, 1.04, 1.06, 1.08]
G = dict(b=2.0, c=2.0, d=0.5)


def _exact_gain(a: Fraction) -> tuple[Fraction, int]:
    """THEORY's numbers in exact arithmetic: water-filling on Fractions."""
    u = [Fraction(100 + 2 * k, 100) for k in range(5)]
    m, b, c, d = 5, Fraction(2), Fraction(2), Fraction(1, 2)
    r = (b / m) * c / ((1 - a) * (1 + d))
    srt = sorted(u, reverse=True)
    for k in range(1, 6):
        theta = r * sum(srt[:k]) / (1 + k * r)
        if srt[k - 1] > theta and (k == 5 or theta >= srt[k]):
            break
    x = [max(ui - theta, Fraction(0)) / (1 - a) for ui in u]

    def C(y):
        return (max(y) - min(y)) / (max(y) + min(y))

    return C(x) / C(u), k


@pytest.mark.parametrize(
    ("a", "expected", "k"),
    [("0", 3.7, 5), ("0.5", 6.3, 5), ("0.8", 14.3, 5), ("0.95", 26.0, 3)],
)
def test_theory_contrast_gains(a, expected, k):
    """docs/theory.md §5: 3.7 (a=0), 6.3 (a=0.5), 14.3 (a=0.8), 26 with two silenced (a=0.95)."""
    exact, k_exact = _exact_gain(Fraction(a))
    assert k_exact == k
    assert round(float(exact), 1) == expected
    net = lateral_inhibition(5, a=float(a), **G, u=U5)
    assert contrast_gain(net) == pytest.approx(float(exact), rel=1e-9)
    wf = shared_inhibition_equilibrium(U5, a=float(a), **G)
    assert wf.n_active == k
    if k == 5:  # all active: the gain is exactly 1 + k r for evenly spaced inputs
        assert float(exact) == pytest.approx(1 + 5 * wf.r, rel=1e-12)


def test_two_silenced_gives_contrast_one():
    x = shared_inhibition_equilibrium(U5, a=0.95, **G).x
    assert x[0] == 0 and x[1] == 0 and contrast(x[:5]) == 1.0
    assert float(Fraction(26)) == pytest.approx(1 / float(contrast(U5)), rel=1e-12)


@settings(max_examples=40)
@given(
    st.integers(1, 7), st.floats(0.0, 0.95), st.floats(0.0, 4.0), st.floats(0.0, 4.0),
    st.floats(0.0, 2.0), st.floats(-1.0, 1.0), st.integers(0, 2**32 - 1),
)
def test_water_filling_matches_the_lcp_solver(m, a, b, c, d, u_i, seed):
    u = np.random.default_rng(seed).uniform(-0.5, 2.0, size=m)
    wf = shared_inhibition_equilibrium(u, a=a, b=b, c=c, d=d, u_i=u_i)
    net = lateral_inhibition(m, a=a, b=b, c=c, d=d, u=u, u_i=u_i)
    eq = equilibrium(net)
    assert eq.converged
    np.testing.assert_allclose(wf.x, eq.x, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(net.rate_field(wf.x), 0.0, atol=1e-10)


def test_water_filling_matches_simulation():
    net = lateral_inhibition(5, a=0.8, **G, u=U5, tau_i=0.3)
    sol = solve_ivp(lambda t, x: net.rate_field(x), (0, 400), np.zeros(6), method="DOP853",
                    rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(sol.y[:, -1], shared_inhibition_equilibrium(U5, a=0.8, **G).x,
                               atol=1e-8)


@settings(max_examples=25)
@given(st.integers(1, 6), st.floats(0.0, 0.99), st.floats(0.01, 5.0), st.floats(0.01, 5.0),
       st.floats(0.0, 3.0))
def test_shared_motif_lds_certificate(m, a, b, c, d):
    """THEORY: (G) is LDS ⇔ a < 1, certificate P = diag((b/m)·1, c)."""
    net = lateral_inhibition(m, a=a, b=b, c=c, d=d)
    A = net.W - np.eye(m + 1)
    P = np.diag([b / m] * m + [c])
    S = P @ A + A.T @ P
    assert np.max(np.linalg.eigvalsh(S)) < 0
    # and a > 1 breaks even Hurwitz-ness of the principal E block (not LDS, Fact 3)
    bad = lateral_inhibition(m, a=a + 1.02, b=b, c=c, d=d)
    assert np.max(np.diag(bad.W - np.eye(m + 1))[:m]) > 0


def test_shared_differential_gain_is_one_over_one_minus_a():
    for a in (0.0, 0.5, 0.8):
        net = lateral_inhibition(5, a=a, **G, u=U5)
        assert differential_gain(net) == pytest.approx(1 / (1 - a), rel=1e-10)
    # finite difference oracle through the LCP solver
    net = lateral_inhibition(5, a=0.5, **G, u=U5)
    eps = 1e-6
    up = equilibrium(net.with_input(net.u + eps * np.eye(6)[4] - eps * np.eye(6)[0])).x
    dn = equilibrium(net.with_input(net.u - eps * np.eye(6)[4] + eps * np.eye(6)[0])).x
    fd = ((up[4] - up[0]) - (dn[4] - dn[0])) / (4 * eps)
    assert fd == pytest.approx(2.0, rel=1e-6)


@pytest.mark.parametrize(("a", "b", "c", "d"), [(0.0, 1.0, 0.5, 1.0), (0.3, 1.0, 0.5, 0.0),
                                                (0.1, 2.0, 0.3, 1.0)])
def test_local_wiring_differential_gain(a, b, c, d):
    u = np.linspace(1.0, 1.05, 4)
    net = lateral_inhibition(4, a=a, b=b, c=c, d=d, wiring="local", u=u)
    eq = equilibrium(net)
    assert np.all(eq.x[:4] > 0)  # all active
    expected = local_differential_gain(a, b, c, d)
    assert expected == pytest.approx(1 / (1 - a - b * c / (1 + d)))
    assert differential_gain(net) == pytest.approx(expected, rel=1e-10)


def test_local_wiring_winner_take_all_beyond_the_threshold():
    """Once a + bc/(1 + d) ≥ 1, starting from rest only the largest input stays active.

    THEORY presents this as *the* decision; in fact every single-winner state is then stable
    (multistable WTA, checked below with support enumeration): from rest the largest input
    wins, but the choice depends on the history, not only on the input.
    """
    u = np.array([1.00, 1.01, 1.02, 1.03])
    for a, expect_winner in ((0.2, False), (0.7, True), (0.9, True)):
        net = lateral_inhibition(4, a=a, b=1.0, c=0.8, d=1.0, wiring="local", u=u)
        sol = solve_ivp(lambda t, x, net=net: net.rate_field(x), (0, 400), np.zeros(8),
                        method="DOP853", rtol=1e-10, atol=1e-12)
        x = sol.y[:, -1]
        np.testing.assert_allclose(net.rate_field(x), 0.0, atol=1e-8)
        assert (winner(x, net) == 3) == expect_winner, (a, x)
        if not expect_winner:
            assert np.all(x[:4] > 0)
        stable = [e for e in equilibria(net) if e.stable]
        if expect_winner:
            assert sorted(winner(e.x, net) for e in stable) == [0, 1, 2, 3]
        else:
            assert len(stable) == 1


def test_local_wiring_radius():
    net = lateral_inhibition(5, a=0.0, b=1.0, c=0.5, d=0.0, wiring="local", radius=2)
    inh = net.W[:5, 5:]
    for j in range(5):
        for k in range(5):
            assert inh[j, k] == (-0.5 if 0 < abs(j - k) <= 2 else 0.0)


def test_a_above_one_is_multistable_winner_take_all():
    """THEORY: with a > 1 single-winner states coexist (input-independent choice)."""
    u = [1.0, 1.01, 1.02]
    net = lateral_inhibition(3, a=1.2, b=3.0, c=2.0, d=0.5, u=u)
    stable = [e for e in equilibria(net) if e.stable]
    winners = sorted(winner(e.x, net) for e in stable)
    assert winners == [0, 1, 2]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(m=0), r"m: must be an integer >= 1, got 0"),
        (dict(m=2.5), r"m: expected an integer"),
        (dict(a=-1.0), r"a: must be >= 0.0, got -1.0"),
        (dict(wiring="ring"), r"wiring: must be one of \('shared', 'local'\), got 'ring'"),
        (dict(radius=1), r"radius: only the 'local' wiring has a radius"),
        (dict(wiring="local", radius=0), r"radius: must be an integer >= 1, got 0"),
        (dict(u=[1.0, 2.0]), r"u: expected a scalar or shape \(3,\), got shape \(2,\)"),
        (dict(tau_e=-1.0), r"tau_e: must be > 0.0, got -1.0"),
    ],
)
def test_builder_rejects_bad_parameters(kwargs, match):
    params = dict(m=3, a=0.5, b=1.0, c=1.0, d=0.0) | kwargs
    with pytest.raises(ValidationError, match=match):
        lateral_inhibition(**params)


def test_closed_forms_reject_bad_parameters():
    with pytest.raises(ValidationError, match=r"a: must be < 1.0, got 1.0"):
        shared_inhibition_equilibrium(U5, a=1.0, **G)
    with pytest.raises(ValidationError, match=r"a \+ bc/\(1 \+ d\) = 1.2 >= 1"):
        local_differential_gain(0.2, 1.0, 2.0, 1.0)
    with pytest.raises(ValidationError, match=r"u: the motif needs at least one E input"):
        shared_inhibition_equilibrium([], a=0.5, **G)
    assert motif_r(5, a=0.0, **G) == pytest.approx(0.8 / 1.5)
