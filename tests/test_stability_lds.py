"""LDS certificates and refutations
(docs/theory.md §3) against closed forms and a second algorithm."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from eicircuits.errors import ValidationError
from eicircuits.stability import (
    is_hurwitz,
    is_p_matrix,
    lds,
    lds_2x2,
    verify_refutation,
)
from eicircuits.stability._exact import is_positive_definite_exact

# Hurwitz, −A a P-matrix, yet not LDS (found by the seeded search in test_search_* below).
# Each is also Dale-compatible as W = A + I (columns of one sign): 1 E and 2 I neurons.
NOT_LDS_3X3 = [
    [[-1.0, -3.0, 0.0], [3.0, -1.0, -3.0], [3.0, 0.0, -3.0]],
    [[-3.0, -2.0, 3.0], [-4.0, -3.0, 0.0], [-4.0, -3.0, -1.0]],
    [[-2.0, 4.0, -4.0], [-4.0, -1.0, 0.0], [0.0, -3.0, -1.0]],
]


def _certificate_holds_exactly(A, p):
    S = p[:, None] * A
    return is_positive_definite_exact(-(S + S.T))


def _lds_matrix(n, rng, skew=3.0):
    # docs/theory.md §3 Fact 7: A = P⁻¹(−Q + K) is LDS (P diagonal ≻ 0, Q ≻ 0, K skew)
    p = np.exp(rng.uniform(-1, 1, n))
    B = rng.normal(size=(n, n)) / np.sqrt(n)
    K = rng.normal(size=(n, n)) * skew / np.sqrt(n)
    return (-(B @ B.T + 0.05 * np.eye(n)) + (K - K.T)) / p[:, None]


def test_sdp_agrees_with_the_2x2_closed_form_on_a_subsample():
    rng = np.random.default_rng(11)
    checked = 0
    while checked < 24:
        A = rng.uniform(-3, 3, size=(2, 2))
        if abs(np.linalg.det(A)) < 0.05 or min(abs(A[0, 0]), abs(A[1, 1])) < 0.05:
            continue  # keep away from the boundary, where an SDP cannot decide
        ok, _ = lds_2x2(A)
        res = lds(A, method="sdp")
        assert res.is_lds is ok
        if ok:
            assert _certificate_holds_exactly(A, res.p)
        else:
            assert verify_refutation(A, res.refutation)[0]
        checked += 1


def test_hurwitz_not_lds_is_refused_with_a_verified_refutation():
    A = np.array([[0.5, -2.0], [3.0, -2.0]])
    assert is_hurwitz(A)
    for method in ("auto", "sdp"):
        res = lds(A, method=method)
        assert res.is_lds is False
        valid, exact, _ = verify_refutation(A, res.refutation)
        assert valid and exact


@pytest.mark.parametrize("A", NOT_LDS_3X3)
def test_hurwitz_p_matrix_not_lds_3x3(A):
    A = np.array(A)
    assert is_hurwitz(A) and is_p_matrix(-A)
    res = lds(A, method="sdp")
    assert res.is_lds is False
    valid, exact, msg = verify_refutation(A, res.refutation)
    assert valid and exact, msg
    # the refutation is a genuine obstruction: tr((PA + AᵀP)X) ≥ 0 for random P
    X = res.refutation @ res.refutation.T
    rng = np.random.default_rng(0)
    for _ in range(100):
        p = np.exp(rng.normal(size=3) * 2)
        assert np.trace((p[:, None] * A + A.T * p[None, :]) @ X) >= -1e-12
    # the ascent cannot certify it either
    assert lds(A, method="ascent").is_lds is not True


@pytest.mark.slow
def test_search_for_hurwitz_p_matrix_not_lds():
    rng = np.random.default_rng(0)
    found = []
    for _ in range(3000):
        A = rng.integers(-4, 5, size=(3, 3)).astype(float)
        np.fill_diagonal(A, -rng.integers(1, 4, size=3))
        if not is_hurwitz(A) or not is_p_matrix(-A):
            continue
        res = lds(A, method="sdp")
        if res.is_lds is False:
            assert verify_refutation(A, res.refutation)[0]
            found.append(A)
    assert len(found) >= 2
    assert any(np.array_equal(f, np.array(NOT_LDS_3X3[0])) for f in found)


def test_metzler_hurwitz_iff_lds_with_perron_certificate():
    rng = np.random.default_rng(7)
    seen = {True: 0, False: 0}
    for _ in range(60):
        n = int(rng.integers(3, 7))
        A = rng.uniform(0, 1, size=(n, n)) * (rng.random((n, n)) < 0.7)
        np.fill_diagonal(A, -rng.uniform(0.3, 3.5, size=n))
        h = is_hurwitz(A)
        res = lds(A)
        assert res.method == "metzler"
        assert res.is_lds is h
        seen[h] += 1
        if h:
            assert _certificate_holds_exactly(A, res.p)
        else:
            assert verify_refutation(A, res.refutation)[0]
    assert min(seen.values()) >= 10


def test_sdp_and_ascent_reach_the_same_margin():
    rng = np.random.default_rng(2)
    for n in (8, 25):
        A = _lds_matrix(n, rng)
        a = lds(A, method="sdp")
        b = lds(A, method="ascent", optimize=True)
        assert a.is_lds and b.is_lds
        assert b.margin == pytest.approx(a.margin, rel=2e-3)
        assert _certificate_holds_exactly(A, a.p) and _certificate_holds_exactly(A, b.p)


def test_sdp_refutes_a_random_non_lds_matrix():
    rng = np.random.default_rng(1)
    A = rng.normal(size=(20, 20)) / np.sqrt(20) - 0.95 * np.eye(20)
    res = lds(A, method="sdp")
    assert res.is_lds is False
    assert verify_refutation(A, res.refutation)[0]


def test_ascent_on_a_sparse_ei_network():
    rng = np.random.default_rng(3)
    n_e, n_i = 640, 160
    n = n_e + n_i
    types = "E" * n_e + "I" * n_i
    W = sp.random_array((n, n), density=20 / n, rng=rng, format="lil")
    W = sp.csr_array(W)
    W.data = np.abs(W.data)
    sign = np.where(np.array(list(types)) == "E", 1.0, -1.0)
    scale = np.where(np.array(list(types)) == "E", 0.3 / 20 * n / n_e, 2.0 / 20 * n / n_i)
    W = (W @ sp.diags_array(sign * scale)).tocsr()
    A = (W - sp.eye_array(n, format="csr")).tocsr()
    res = lds(A, method="ascent", cell_types=types, optimize=False)
    assert res.is_lds
    S = res.p[:, None] * A.toarray()
    assert np.linalg.eigvalsh(S + S.T)[-1] < 0


def test_lds_errors():
    with pytest.raises(ValidationError, match="method: expected one of"):
        lds(np.eye(2), method="magic")
    with pytest.raises(ValidationError, match="needs a 2 × 2 matrix"):
        lds(-np.eye(3), method="2x2")
    with pytest.raises(ValidationError, match="must be Metzler"):
        lds([[-1.0, -1.0], [1.0, -1.0]], method="metzler")
    with pytest.raises(ValidationError, match="is not installed"):
        lds(-np.eye(3), method="sdp", solver="NOPE")
    with pytest.raises(ValidationError, match="square"):
        lds(np.ones((2, 3)))


def test_diagonal_refutation_is_immediate():
    A = np.array([[-1.0, 5.0, 0.0], [-5.0, 0.3, 1.0], [0.0, -1.0, -1.0]])
    res = lds(A)
    assert res.is_lds is False and res.method == "diagonal"
    assert "A[1, 1] = 0.3 ≥ 0" in res.message
    assert verify_refutation(A, res.refutation)[:2] == (True, True)


def test_collapsing_weights_are_not_a_certificate():
    # Regression: for this non-Hurwitz A the ascent drove every weight but one to ~1e-32 and
    # floating point reported a "margin" of 3e-32; exact arithmetic rejected it. Such candidates
    # are no longer accepted, and the network is refused with an exact refutation.
    W = np.array([[0.5097343101301353, 1.4213335664369036, 3.255363999200377, -1.3411114632769208],
                  [4.243805864502708, 0.633754845171108, 2.3676258664215375, -0.8254960178800266],
                  [0.0, 0.0, 0.9170874514738693, -0.0],
                  [0.7712380381426563, 4.236532031267197, 3.3331127504371727, -0.7282082324167397]])
    A = W - np.eye(4)
    assert not is_hurwitz(A)
    for method in ("ascent", "sdp", "auto"):
        res = lds(A, method=method)
        assert res.is_lds is False, method
        assert verify_refutation(A, res.refutation)[:2] == (True, True)


def test_fact2_lds_does_not_depend_on_time_constants():
    # docs/theory.md §3 Fact 2: A LDS ⇒ DA and AD LDS. For DA the weights are P D⁻¹ as THEORY says;
    # for AD they are P D (congruence: D(PA + AᵀP)D = (PD)(AD) + (AD)ᵀ(PD)), not D⁻¹P as
    # THEORY writes: D⁻¹P fails here.
    rng = np.random.default_rng(20)
    A = _lds_matrix(6, rng)
    p = lds(A).p
    wrong = 0
    for _ in range(20):
        d = np.exp(rng.uniform(-3, 3, 6))
        assert _certificate_holds_exactly(d[:, None] * A, p / d)   # τ⁻¹(W − I): P D⁻¹
        assert _certificate_holds_exactly(A * d[None, :], p * d)   # (W − I)τ⁻¹: P D
        wrong += not _certificate_holds_exactly(A * d[None, :], p / d)
    assert wrong > 0


def test_fact3_every_principal_submatrix_inherits_the_certificate():
    rng = np.random.default_rng(21)
    A = _lds_matrix(6, rng)
    p = lds(A).p
    for k in range(1, 6):
        for S in itertools.combinations(range(6), k):
            idx = np.array(S)
            assert _certificate_holds_exactly(A[np.ix_(idx, idx)], p[idx])


def test_fact6_inhibitory_ring_is_unique_but_unstable():
    # W = −3C: −(W − I) = I + 3C is a P-matrix (one equilibrium for every input), yet W − I is
    # not Hurwitz (the network oscillates), hence not LDS; the refusal carries a proof.
    C = np.roll(np.eye(3), 1, axis=1)
    A = -3.0 * C - np.eye(3)
    assert is_p_matrix(-A) and not is_hurwitz(A)
    res = lds(A)
    assert res.is_lds is False and verify_refutation(A, res.refutation)[:2] == (True, True)
