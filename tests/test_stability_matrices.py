"""Matrix tools of eicircuits.stability against independent computations."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from eicircuits.errors import SizeLimitError, ValidationError
from eicircuits.stability import (
    comparison_vectors,
    is_hurwitz,
    is_metzler,
    is_p_matrix,
    lds_2x2,
    log_norm,
    majorant,
    perron_vector,
    spectral_abscissa,
    verify_refutation,
)
from eicircuits.stability._exact import is_positive_definite_exact, leading_minors_exact, to_integer
from eicircuits.stability.refute import refute_diagonal, refute_eigen

small = hnp.arrays(np.float64, (3, 3), elements=st.floats(-3, 3, allow_nan=False).map(
    lambda x: round(x, 2)))


def test_is_metzler_dense_and_sparse():
    A = np.array([[-1.0, 2.0, 0.0], [0.5, -3.0, 1.0], [0.0, 0.0, -1.0]])
    assert is_metzler(A) and is_metzler(sp.csr_array(A))
    A[2, 0] = -1e-3
    assert not is_metzler(A) and not is_metzler(sp.csr_array(A))
    assert is_metzler(A, tol=1e-2)


def test_spectral_abscissa_sparse_matches_dense():
    rng = np.random.default_rng(0)
    n = 510
    A = sp.random_array((n, n), density=0.01, rng=rng, format="csr") - 2.0 * sp.eye_array(n)
    dense = float(np.max(np.linalg.eigvals(A.toarray()).real))
    assert spectral_abscissa(A) == pytest.approx(dense, abs=1e-8)
    B = sp.random_array((n, n), density=0.01, rng=rng, format="csr",
                        data_sampler=lambda size: rng.uniform(-1, 1, size))
    B = B.tocsr() - 0.5 * sp.eye_array(n, format="csr")  # signed, not Metzler: ARPACK path
    dense_b = float(np.max(np.linalg.eigvals(B.toarray()).real))
    assert spectral_abscissa(B) == pytest.approx(dense_b, abs=1e-6)
    assert is_hurwitz(A) == (dense < 0)


def test_spectral_abscissa_rejects_bad_input():
    with pytest.raises(ValidationError, match="square"):
        spectral_abscissa(np.ones((2, 3)))
    with pytest.raises(ValidationError, match="finite"):
        spectral_abscissa([[np.nan, 0.0], [0.0, 1.0]])


def _lognorm_oracle(A, norm, h=1e-7):
    # μ(A) = lim_{h→0+} (‖I + hA‖ − 1) / h with the induced norm
    n = A.shape[0]
    return (norm(np.eye(n) + h * A) - 1.0) / h


@given(small, hnp.arrays(np.float64, 3, elements=st.floats(0.2, 5)))
def test_log_norm_matches_its_definition(A, eta):
    D = np.diag(eta)
    Di = np.diag(1 / eta)
    inf_norm = lambda M: np.abs(Di @ M @ D).sum(axis=1).max()  # noqa: E731 - ‖x‖ = max|x_i|/η_i
    one_norm = lambda M: np.abs(D @ M @ Di).sum(axis=0).max()  # noqa: E731 - ‖x‖ = Σ η_i |x_i|
    R = np.diag(np.sqrt(eta))
    Ri = np.diag(1 / np.sqrt(eta))
    two_norm = lambda M: np.linalg.norm(R @ M @ Ri, 2)  # noqa: E731 - ‖x‖ = √(xᵀ diag(η) x)
    assert log_norm(A, np.inf, eta) == pytest.approx(_lognorm_oracle(A, inf_norm), abs=1e-5)
    assert log_norm(A, 1, eta) == pytest.approx(_lognorm_oracle(A, one_norm), abs=1e-5)
    assert log_norm(A, 2, eta) == pytest.approx(_lognorm_oracle(A, two_norm), abs=1e-5)
    assert log_norm(sp.csr_array(A), "inf", eta) == pytest.approx(log_norm(A, np.inf, eta))


def test_log_norm_matrix_weight_and_errors():
    A = np.array([[-1.0, 3.0], [0.0, -2.0]])
    P = np.array([[2.0, 0.5], [0.5, 1.0]])
    L = np.linalg.cholesky(P)
    expected = float(np.max(np.linalg.eigvalsh((L.T @ A @ np.linalg.inv(L.T) +
                                               (L.T @ A @ np.linalg.inv(L.T)).T) / 2)))
    assert log_norm(A, 2, P) == pytest.approx(expected)
    with pytest.raises(ValidationError, match="p must be 1, 2 or inf"):
        log_norm(A, 3)
    with pytest.raises(ValidationError, match="positive vector"):
        log_norm(A, 1, [1.0, -1.0])
    with pytest.raises(ValidationError, match="positive definite"):
        log_norm(A, 2, [[1.0, 2.0], [2.0, 1.0]])


def test_theory_example_l2_lognorm_is_not_at_one_vertex():
    # docs/theory.md §3: μ₂(−I + W) = −1 while μ₂(−I + ΛW) = 0 for some vertex Λ.
    W = np.array([[0.0, 4.0], [-4.0, 0.0]])
    assert log_norm(-np.eye(2) + W, 2) == pytest.approx(-1.0)
    vertex = max(log_norm(-np.eye(2) + np.diag(lam) @ W, 2)
                 for lam in itertools.product([0, 1], repeat=2))
    assert vertex == pytest.approx(1.0)  # ‖[[-1, 4], [0, -1]]‖ symmetric part: eigenvalues -1±2
    assert vertex >= 0.0


def _brute_p(A):
    n = A.shape[0]
    for k in range(1, n + 1):
        for S in itertools.combinations(range(n), k):
            if np.linalg.det(A[np.ix_(S, S)]) <= 1e-12:
                return False
    return True


@given(small)
def test_is_p_matrix_matches_brute_force_minors(A):
    dets = [np.linalg.det(A[np.ix_(S, S)]) for k in range(1, 4)
            for S in itertools.combinations(range(3), k)]
    if min(abs(d) for d in dets) < 1e-6:
        return  # too close to the boundary for the float oracle
    assert is_p_matrix(A) == _brute_p(A)


def test_is_p_matrix_exact_and_limits():
    # exact: a principal minor equal to 0 is not > 0
    assert not is_p_matrix([[1.0, 1.0], [1.0, 1.0]])
    assert is_p_matrix(np.eye(12))
    with pytest.raises(SizeLimitError, match="n = 17 > 16"):
        is_p_matrix(np.eye(17))


_GRID = np.geomspace(1e-4, 1e4, 4001)


def _lds_2x2_oracle(A, grid=_GRID):
    # scan p2 over a dense grid: LDS iff some p2 makes [[2a11, a12 + p a21], [·, 2 p a22]] ≺ 0
    a11, a12, a21, a22 = A.ravel()
    if a11 >= 0 or a22 >= 0:
        return False
    return bool(np.any(4 * grid * a11 * a22 - (a12 + grid * a21) ** 2 > 0))


def test_lds_2x2_on_thousands_of_matrices():
    vals = [-2.3, -1.1, -0.4, 0.3, 0.9, 1.7]
    mats = [np.array(v, dtype=float).reshape(2, 2) for v in itertools.product(vals, repeat=4)]
    rng = np.random.default_rng(3)
    mats += list(rng.uniform(-3, 3, size=(2000, 2, 2)))
    n_lds = 0
    for A in mats:
        ok, p = lds_2x2(A)
        # independent oracles: a scan over the weight, and proofs either way
        if abs(np.linalg.det(A)) > 1e-3:
            assert ok == _lds_2x2_oracle(A)
        if ok:
            n_lds += 1
            S = np.diag(p) @ A + A.T @ np.diag(p)
            assert np.all(np.linalg.eigvalsh(S) < 0)
        else:
            V = refute_diagonal(A)
            if V is None:
                V = refute_eigen(A)
            assert V is not None
            assert verify_refutation(A, V, exact=False, tol=1e-12)[0]
    assert 300 < n_lds < len(mats) - 300  # both verdicts well represented


def test_lds_2x2_rejects_other_shapes():
    with pytest.raises(ValidationError, match=r"shape \(2, 2\)"):
        lds_2x2(np.eye(3))


def test_majorant_and_perron_vector():
    W = np.array([[0.5, -1.0, 0.2], [2.0, -0.5, 0.0], [0.0, -0.3, 0.1]])
    M = majorant(W)
    assert np.array_equal(M, np.array([[0.5, 1.0, 0.2], [2.0, -0.5, 0.0], [0.0, 0.3, 0.1]]))
    assert np.array_equal(majorant(sp.csr_array(W)).toarray(), M)
    v, alpha = perron_vector(M)
    assert alpha == pytest.approx(np.max(np.linalg.eigvals(M).real))
    assert np.all(v >= 0)
    np.testing.assert_allclose(M @ v, alpha * v, atol=1e-10)


def test_comparison_vectors_metzler_hurwitz_iff_positive_solution():
    rng = np.random.default_rng(4)
    for _ in range(200):
        A = rng.uniform(0, 1, size=(5, 5))
        np.fill_diagonal(A, -rng.uniform(0.5, 4, size=5))
        vw = comparison_vectors(A)
        assert (vw is not None) == is_hurwitz(A)
        if vw is not None:
            v, w = vw
            assert np.all(A @ v < 0) and np.all(A.T @ w < 0)


def test_comparison_vectors_large_sparse_gmres_path():
    rng = np.random.default_rng(5)
    n = 6000
    M = sp.random_array((n, n), density=25 / n, rng=rng, format="csr") * 0.02
    A = (M - sp.eye_array(n, format="csr")).tocsr()
    v, w = comparison_vectors(A)
    assert np.all(A @ v < 0) and np.all(A.T @ w < 0)


def test_exact_helpers():
    M, e = to_integer([0.5, 0.25, 3.0])
    assert M.tolist() == [2, 1, 12] and e == 2
    assert leading_minors_exact(np.array([[2, 1], [1, 2]], dtype=object)) == [2, 3]
    # a matrix whose float Cholesky succeeds but which is exactly singular
    S = np.array([[1.0, 1.0], [1.0, 1.0 + 2.0**-52]])
    assert is_positive_definite_exact(S)
    assert not is_positive_definite_exact(np.array([[1.0, 1.0], [1.0, 1.0]]))
    assert not is_positive_definite_exact(np.array([[1.0, 2.0], [0.0, 1.0]]))  # not symmetric
    assert sla.det(S) > 0


def test_comparison_check_against_a_dense_loop():
    from eicircuits.stability.certificate import _comparison_check

    rng = np.random.default_rng(30)
    agree = {True: 0, False: 0}
    for _ in range(300):
        n = int(rng.integers(2, 7))
        A = rng.normal(size=(n, n)) * (rng.random((n, n)) < 0.6)
        np.fill_diagonal(A, -rng.uniform(0.5, 3.0, n))
        p = np.exp(rng.normal(size=n))
        v = np.exp(rng.normal(size=n) * 0.3)
        S = np.diag(p) @ A + A.T @ np.diag(p)
        hat = np.array([[S[i, j] if i == j else abs(S[i, j]) for j in range(n)]
                        for i in range(n)])
        worst = float(np.max(hat @ v / v))
        for M in (A, sp.csr_array(A)):
            ok, _, _ = _comparison_check(M, p, v)
            if ok:
                assert worst < 0 and np.linalg.eigvalsh(S)[-1] < 0
            if worst < -1e-9:
                assert ok
        agree[worst < 0] += 1
    assert min(agree.values()) > 20
