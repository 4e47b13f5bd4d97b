"""Cortical columns: structure, layer-by-layer closed form, certified stability, winner depth.

Oracles: the column's equilibrium layer by layer with the water-filling closed form (each layer
sees ``f`` times the previous layer's E rates) against ``equilibrium()``; the cascade LDS
weights ``ε^ℓ P_ℓ`` checked with NumPy eigenvalues; ``certify()``; the depth formula
``⌈log(1/C₀)/log(1 + 2r)⌉`` against measured equilibria.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eicircuits import ValidationError, certify, equilibrium
from eicircuits.circuits import (
    DEFAULT_COLUMN,
    contrast,
    contrast_gain,
    cortical_column,
    layer_contrasts,
    layer_groups,
    layered_winner_depth,
    motif_r,
    report_section,
    shared_inhibition_equilibrium,
    winner,
    winner_depth,
)


def _layered(u, layers, f, **p):
    """The feedforward column's equilibrium, one water-filling per layer."""
    out = []
    x = np.asarray(u, dtype=float)
    for _ in range(layers):
        wf = shared_inhibition_equilibrium(x, **p)
        out.append(wf.x)
        x = f * wf.x[:-1]
    return np.concatenate(out)


def test_structure_names_and_inputs():
    net = cortical_column(3, 2, f=0.7, feedback=0.1, u=[1.0, 2.0], a=0.2, b=1.0, c=1.5, d=0.5,
                          u_i=0.3)
    assert net.names == ("L0.E0", "L0.E1", "L0.I0", "L1.E0", "L1.E1", "L1.I0",
                         "L2.E0", "L2.E1", "L2.I0")
    assert net.cell_types == ("E", "E", "I") * 3
    assert net.u.tolist() == [1.0, 2.0, 0.3, 0.0, 0.0, 0.3, 0.0, 0.0, 0.3]
    assert net.W[3, 0] == 0.7 and net.W[4, 1] == 0.7 and net.W[6, 3] == 0.7
    assert net.W[0, 3] == 0.1 and net.W[3, 6] == 0.1
    assert net.W[3, 1] == 0.0 and net.W[2, 5] == 0.0
    block = net.W[:3, :3]
    np.testing.assert_array_equal(net.W[3:6, 3:6], block)
    assert [g.tolist() for g in layer_groups(net)] == [[0, 1], [3, 4], [6, 7]]
    local = cortical_column(2, 3, f=1.0, wiring="local", radius=1, a=0.1, b=1.0, c=0.2, d=0.0)
    assert local.n == 12 and local.names[3:6] == ("L0.I0", "L0.I1", "L0.I2")


@settings(max_examples=25)
@given(st.integers(1, 4), st.integers(1, 5), st.floats(0.1, 2.0), st.floats(0.0, 0.9),
       st.floats(0.1, 3.0), st.floats(0.1, 3.0), st.floats(0.0, 1.0), st.integers(0, 2**32 - 1))
def test_feedforward_column_equilibrium_is_layered_water_filling(layers, m, f, a, b, c, d, seed):
    u = np.random.default_rng(seed).uniform(0.5, 1.5, size=m)
    net = cortical_column(layers, m, f=f, u=u, a=a, b=b, c=c, d=d)
    eq = equilibrium(net)
    assert eq.converged
    np.testing.assert_allclose(eq.x, _layered(u, layers, f, a=a, b=b, c=c, d=d),
                               rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("layers", [1, 3, 5])
def test_feedforward_column_is_lds_by_cascade(layers):
    """THEORY: cascades of LDS blocks are LDS with weights ε^ℓ P_ℓ (checked independently)."""
    m, a, b, c, d, f = 4, 0.6, 2.0, 2.0, 0.5, 1.5
    net = cortical_column(layers, m, f=f, a=a, b=b, c=c, d=d)
    A = net.W - np.eye(net.n)
    p_block = np.array([b / m] * m + [c])
    eps = 1e-3
    P = np.diag(np.concatenate([eps**ell * p_block for ell in range(layers)]))
    assert np.max(np.linalg.eigvalsh(P @ A + A.T @ P)) < 0
    cert = certify(net)
    assert cert.certified and cert.kind == "lds"
    assert cert.verify()


def test_feedback_column_can_still_be_certified():
    net = cortical_column(3, 3, f=1.0, feedback=0.05, a=0.5, b=2.0, c=2.0, d=0.5)
    assert certify(net).certified


def test_default_column_compounds_contrast_to_a_single_winner():
    net = cortical_column(**DEFAULT_COLUMN)
    x = equilibrium(net).x
    cs = layer_contrasts(net, x)
    c0 = contrast(DEFAULT_COLUMN["u"])
    assert c0 == pytest.approx(0.04 / 2.04)
    assert c0 < cs[0] < cs[1] < cs[2] and cs[2] == 1.0 and cs[3] == 1.0
    assert winner(x, net) == net.names.index("L3.E4")
    assert layered_winner_depth(DEFAULT_COLUMN["u"], a=0.5, b=2.0, c=2.0, d=0.5) == 4
    assert layered_winner_depth([1.0, 1.0], a=0.5, b=2.0, c=2.0, d=0.5, max_layers=5) is None
    assert layered_winner_depth([0.0, 1.0], a=0.5, b=2.0, c=2.0, d=0.5) == 0
    # the layers before the last do not yet have a single winner
    for ell, idx in enumerate(layer_groups(net)[:-1]):
        assert winner(x[idx]) is None, ell
    assert certify(net).certified
    assert contrast_gain(net) == pytest.approx(1.0 / c0)
    sec = report_section(net, x)
    assert sec.data["winner"] == "L3.E4" and sec.data["active"] == [5, 5, 2, 1]
    np.testing.assert_allclose(sec.data["contrast"], cs)


@settings(max_examples=20)
@given(st.floats(0.002, 0.2), st.floats(0.0, 0.9), st.floats(0.3, 3.0), st.floats(0.3, 3.0),
       st.floats(0.0, 1.0))
def test_two_channel_winner_depth_predicted_equals_measured(c0, a, b, c, d):
    r = motif_r(2, a=a, b=b, c=c, d=d)
    depth_float = math.log(1 / c0) / math.log(1 + 2 * r)
    if abs(depth_float - round(depth_float)) < 1e-3 or depth_float > 30:
        return  # a tie at the boundary, or too deep to be interesting
    predicted = int(winner_depth(c0, r))
    u = [1.0, (1 + c0) / (1 - c0)]
    assert contrast(u) == pytest.approx(c0, rel=1e-12)
    layers = predicted + 1
    net = cortical_column(layers, 2, f=1.0, u=u, a=a, b=b, c=c, d=d)
    x = equilibrium(net).x
    groups = layer_groups(net)
    winners = [winner(x[idx]) for idx in groups]
    measured = next(ell + 1 for ell, w in enumerate(winners) if w is not None)
    assert measured == predicted
    assert layered_winner_depth(u, a=a, b=b, c=c, d=d) == predicted
    # before the winner the contrast compounds exactly by (1 + 2r) per layer
    cs = layer_contrasts(net, x)
    for ell in range(predicted - 1):
        assert cs[ell] == pytest.approx((1 + 2 * r) ** (ell + 1) * c0, rel=1e-8)


@settings(max_examples=15)
@given(st.integers(3, 6), st.floats(0.0, 0.8), st.floats(0.5, 3.0), st.floats(0.5, 3.0),
       st.floats(0.5, 2.0), st.integers(0, 2**32 - 1))
def test_layered_winner_depth_matches_the_measured_depth(m, a, b, c, f, seed):
    u = 1.0 + 0.03 * np.random.default_rng(seed).random(m)
    predicted = layered_winner_depth(u, a=a, b=b, c=c, d=0.5, f=f, max_layers=12)
    if predicted is None:
        return
    net = cortical_column(predicted + 1, m, f=f, u=u, a=a, b=b, c=c, d=0.5)
    x = equilibrium(net).x
    winners = [winner(x[idx]) for idx in layer_groups(net)]
    assert next(ell + 1 for ell, w in enumerate(winners) if w is not None) == predicted
    assert winners[predicted - 1] == int(np.argmax(u))


def test_winner_depth_vectorised_and_errors():
    np.testing.assert_array_equal(winner_depth([0.01, 0.1, 1.0], 1.0), [5, 3, 0])
    with pytest.raises(ValidationError, match=r"c0: the input contrast must lie in \(0, 1\]"):
        winner_depth(0.0, 1.0)
    with pytest.raises(ValidationError, match=r"r: the loop gain must be > 0"):
        winner_depth(0.1, -1.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(layers=0), r"layers: must be an integer >= 1, got 0"),
        (dict(f=0.0), r"f: must be > 0.0, got 0.0"),
        (dict(feedback=-0.1), r"feedback: must be >= 0.0, got -0.1"),
        (dict(u=[1.0]), r"u: expected a scalar or shape \(2,\)"),
        (dict(b=-1.0), r"b: must be >= 0.0"),
    ],
)
def test_column_rejects_bad_parameters(kwargs, match):
    params = dict(layers=2, m=2, f=1.0) | kwargs
    with pytest.raises(ValidationError, match=match):
        cortical_column(**params)
