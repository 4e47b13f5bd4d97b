"""random_ei and the generic analyses (contrast, winner, sensitivity, report section).

Oracles: dense eigenvalues of ``|W|`` (Perron root) and of ``P(W − I) + (W − I)ᵀP`` for the LDS
claim of ``random_ei``; finite differences through ``equilibrium()`` for ``sensitivity``.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from eicircuits import Tanh, ValidationError, certify, equilibrium
from eicircuits.circuits import (
    contrast,
    contrast_gain,
    differential_gain,
    lateral_inhibition,
    layer_contrasts,
    majorant_bound,
    random_ei,
    report_section,
    sensitivity,
    wilson_cowan,
    winner,
)

# ---------------------------------------------------------------- random_ei


@settings(max_examples=20)
@given(st.integers(2, 60), st.floats(0.1, 0.9), st.floats(0.05, 1.0), st.floats(0.05, 0.99),
       st.integers(0, 2**32 - 1))
def test_random_ei_is_dale_and_lds(n, frac_e, density, gain, seed):
    if round(frac_e * n) in (0, n):
        return
    net = random_ei(n, frac_e=frac_e, density=density, gain=gain, rng=seed)
    W = net.dense_W()
    e, i = net.e_idx, net.i_idx
    assert len(e) == round(frac_e * n) and len(e) + len(i) == n
    assert np.all(W[:, e] >= 0) and np.all(W[:, i] <= 0)
    assert np.all(np.diag(W) == 0)
    rho = np.max(np.abs(np.linalg.eigvals(np.abs(W))))
    assert rho <= gain * (1 + 1e-12)  # the Collatz–Wielandt bound is an upper bound
    # Fact 8 with the majorant's own certificate: P = diag(w/v) from M v < v, Mᵀ w < w
    A = W - np.eye(n)
    assert np.max(np.linalg.eigvals(A).real) < 0
    bound, v = majorant_bound(W)
    bound_t, w = majorant_bound(W.T, iterations=300)
    assert bound <= gain * (1 + 1e-12) and bound_t < 1
    P = np.diag(w / v)
    assert np.max(np.linalg.eigvalsh(P @ A + A.T @ P)) < 0


def test_random_ei_bound_is_reasonably_tight_and_reproducible():
    net = random_ei(300, density=0.1, gain=0.9, rng=42)
    rho = np.max(np.abs(np.linalg.eigvals(np.abs(net.dense_W()))))
    assert 0.85 < rho <= 0.9 + 1e-12
    again = random_ei(300, density=0.1, gain=0.9, rng=np.random.default_rng(42))
    assert net.fingerprint() == again.fingerprint()
    assert random_ei(300, rng=43).fingerprint() != net.fingerprint()
    assert certify(random_ei(40, rng=1)).certified


def test_random_ei_large_is_sparse_and_fast():
    net = random_ei(20_000, density=5e-4, rng=0)
    assert net.is_sparse and sp.issparse(net.W)
    assert abs(net.W.nnz / (20_000 * 19_999) - 5e-4) < 5e-5
    bound, v = majorant_bound(net.W)
    assert bound == pytest.approx(0.9, rel=1e-12)
    assert np.all(v > 0)
    assert not random_ei(50, rng=0).is_sparse
    assert random_ei(50, rng=0, sparse=True).is_sparse


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(n=1), r"n: must be an integer >= 2, got 1"),
        (dict(frac_e=1.0), r"frac_e: must be < 1.0, got 1.0"),
        (dict(n=3, frac_e=0.1), r"frac_e: 0.1 of n = 3 neurons gives 0 E and 3 I neurons"),
        (dict(density=0.0), r"density: must be > 0.0, got 0.0"),
        (dict(gain=1.0), r"gain: must be < 1.0, got 1.0"),
    ],
)
def test_random_ei_rejects_bad_parameters(kwargs, match):
    params = dict(n=10) | kwargs
    with pytest.raises(ValidationError, match=match):
        random_ei(**params)


# ---------------------------------------------------------------- contrast and winner


def test_contrast_values_and_errors():
    assert contrast([1.0, 3.0]) == 0.5
    np.testing.assert_allclose(contrast(np.array([[1.0, 3.0], [2.0, 2.0], [0.0, 5.0]])),
                               [0.5, 0.0, 1.0])
    with pytest.raises(ValidationError, match=r"undefined when max y \+ min y ≤ 0"):
        contrast([0.0, 0.0])
    with pytest.raises(ValidationError, match=r"y: contrast needs at least one rate"):
        contrast([])
    with pytest.raises(ValidationError, match=r"y: every rate must be finite"):
        contrast([1.0, np.nan])


def test_winner_rules():
    assert winner([0.0, 0.0, 2.0]) == 2
    assert winner([0.0, 0.0, 0.0]) is None
    assert winner([1e-12, 0.0, 2.0]) == 2  # below the tolerance
    assert winner([1e-3, 0.0, 2.0]) is None
    net = lateral_inhibition(3, a=0.5, b=1.0, c=1.0, d=0.0)
    assert winner([0.0, 1.0, 0.0, 0.5], net) == 1
    with pytest.raises(ValidationError, match=r"x: expected shape \(4,\)"):
        winner([0.0, 1.0], net)
    with pytest.raises(ValidationError, match=r"x: expected a non-empty vector"):
        winner([])


def test_layer_contrasts_names_the_silent_layer():
    net = lateral_inhibition(2, a=0.5, b=1.0, c=1.0, d=0.0)
    assert layer_contrasts(net, [1.0, 3.0, 0.0]).tolist() == [0.5]
    with pytest.raises(ValidationError, match=r"layer 0: y: contrast"):
        layer_contrasts(net, [0.0, 0.0, 1.0])


# ---------------------------------------------------------------- sensitivity and gains


@settings(max_examples=15)
@given(st.integers(0, 2**32 - 1))
def test_sensitivity_matches_finite_differences(seed):
    rng = np.random.default_rng(seed)
    net = random_ei(8, density=0.6, gain=0.8, rng=rng).with_input(rng.uniform(-0.2, 1.0, 8))
    x = equilibrium(net).x
    drive = net.drive(x)
    if np.min(np.abs(drive)) < 1e-4:
        return  # at a kink the derivative is one-sided
    S = sensitivity(net, x)
    eps = 1e-7
    for k in range(8):
        du = np.zeros(8)
        du[k] = eps
        fd = (equilibrium(net.with_input(net.u + du)).x
              - equilibrium(net.with_input(net.u - du)).x) / (2 * eps)
        np.testing.assert_allclose(S[:, k], fd, atol=1e-6)


def test_sensitivity_of_a_smooth_activation():
    net = wilson_cowan(0.5, 1.0, 1.0, 0.5, u_e=0.3, u_i=0.1, activation=Tanh())
    x = equilibrium(net).x
    S = sensitivity(net, x)
    eps = 1e-6
    du = np.array([0.0, eps])
    up = equilibrium(net.with_input(net.u + du)).x
    dn = equilibrium(net.with_input(net.u - du)).x
    np.testing.assert_allclose(S[:, 1], (up - dn) / (2 * eps), rtol=1e-6)


def test_gain_errors():
    net = lateral_inhibition(3, a=0.5, b=1.0, c=1.0, d=0.0, u=1.0)
    with pytest.raises(ValidationError, match=r"the E inputs are all equal"):
        contrast_gain(net)
    with pytest.raises(ValidationError, match=r"u: expected shape \(4,\)"):
        contrast_gain(net, [1.0, 2.0])
    with pytest.raises(ValidationError, match=r"contrast gain needs cell types"):
        contrast_gain(net.replace(cell_types=None))
    with pytest.raises(ValidationError, match=r"i, j: must differ, got i = j = 1"):
        differential_gain(net, i=1, j=1)
    with pytest.raises(ValidationError, match=r"i: must be a neuron index in \[0, 4\), got 9"):
        differential_gain(net, i=9, j=0)


def test_report_section_for_a_motif():
    net = lateral_inhibition(3, a=0.5, b=1.0, c=1.0, d=0.0, u=[1.0, 1.1, 1.2])
    x = equilibrium(net).x
    sec = report_section(net, x)
    assert sec.title == "Contrast"
    assert sec.data["layers"] == 1
    assert sec.data["contrast"][0] == pytest.approx(float(contrast(x[:3])))
    assert sec.data["contrast_gain"] == pytest.approx(contrast_gain(net))
    assert "single winner: none" in sec.text
    silent = report_section(net, np.zeros(4))
    assert silent.data["contrast"] == [None] and "undefined (all silent)" in silent.text


def test_report_section_for_a_wilson_cowan_pair():
    net = wilson_cowan(2.0, 3.0, 3.0, 1.0, u_e=1.0, u_i=0.5)
    sec = report_section(net, equilibrium(net).x)
    wc = sec.data["wilson_cowan"]
    assert wc["regime"] == "isn-stable" and wc["hopf_ratio"] == 2.0
    assert wc["paradoxical_response"] == pytest.approx(-1 / 7)
    assert "inhibition-stabilised" in sec.text
    lds = wilson_cowan(0.5, 3.0, 3.0, 1.0, u_e=1.0, u_i=0.5)
    wc = report_section(lds, equilibrium(lds).x).data["wilson_cowan"]
    assert wc["regime"] == "lds-stable" and wc["hopf_ratio"] is None
    assert "wilson_cowan" not in report_section(
        lds.replace(activation=Tanh()), [0.1, 0.1]).data


def test_public_names_and_spec_builders():
    import eicircuits
    from eicircuits.spec import spec_from_dict

    assert eicircuits.contrast is contrast and eicircuits.winner is winner
    assert eicircuits.contrast_gain is contrast_gain
    assert eicircuits.differential_gain is differential_gain
    net = spec_from_dict({"builder": {"name": "random_ei", "n": 20, "rng": 3}}).network()
    assert net.fingerprint() == random_ei(20, rng=3).fingerprint()
    col = spec_from_dict({"builder": {"name": "cortical_column", "layers": 2, "m": 3, "f": 0.5,
                                      "u": [1.0, 1.1, 1.2], "wiring": "local"}}).network()
    assert col.names[-1] == "L1.I2"


# ---------------------------------------------------------------- issue 10: "the" response
def _local_wta(m: int) -> object:
    return lateral_inhibition(m, a=0.0, b=2.0, c=2.0, d=0.5, wiring="local",
                              u=np.linspace(1.0, 1.0 + 0.01 * (m - 1), m))


def test_local_wta_analyses_use_the_run_from_rest() -> None:
    # Reproduction: 255 equilibria, 8 stable; equilibrium() picks an unstable mixed state and
    # the sweep analyses said "no winner" where a run from rest has one.
    from eicircuits import simulate
    from eicircuits.circuits import contrast_gain, response
    from eicircuits.sweeps import contrast_gain as sweep_contrast_gain
    from eicircuits.sweeps import winner as sweep_winner

    net = _local_wta(8)
    assert equilibrium(net).with_stability().stable is False
    run = simulate(net, np.zeros(net.n), (0.0, 300.0), rtol=1e-10, atol=1e-12)
    assert winner(run.final, net) == 7
    eq = response(net)
    assert eq.stable is True and "state reached from the given start" in eq.message
    np.testing.assert_allclose(eq.x, run.final, atol=1e-7)
    assert sweep_winner(net) == 7
    c_in = 0.07 / 2.07  # (max − min)/(max + min) of the E inputs; the output contrast is 1
    assert contrast_gain(net) == pytest.approx(1 / c_in, rel=1e-12)
    assert sweep_contrast_gain(net) == pytest.approx(1 / c_in, rel=1e-12)


def test_local_wta_equilibria_small() -> None:
    from eicircuits import equilibria

    eqs = equilibria(_local_wta(5))
    assert len(eqs) == 31  # every nonempty set of winners
    stable = [e for e in eqs if e.stable]
    assert len(stable) == 5 and all(np.count_nonzero(e.x[:5] > 1e-9) == 1 for e in stable)
    assert all(e.stable is False for e in eqs if np.count_nonzero(e.x[:5] > 1e-9) > 1)


@pytest.mark.slow
def test_local_wta_equilibria_255_with_8_stable() -> None:
    from eicircuits import equilibria

    eqs = equilibria(_local_wta(8))
    assert len(eqs) == 255 and sum(bool(e.stable) for e in eqs) == 8
    assert all(e.stability.verdict != "undecided" for e in eqs)
