"""The Network model: every validation rule, vector fields and Jacobians, sparse storage."""

from __future__ import annotations

import dataclasses
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from eicircuits import (
    ClippedReLU,
    DaleLawError,
    Network,
    ReLU,
    SizeLimitError,
    Tanh,
    ValidationError,
)
from eicircuits.activations import Activation

W2 = np.array([[0.5, -1.0], [1.0, -0.5]])


def _random_ei(n: int, rng: np.random.Generator, density: float = 0.3) -> tuple[np.ndarray, list]:
    n_e = max(1, int(0.8 * n))
    mask = rng.random((n, n)) < density
    W = rng.random((n, n)) * mask / np.sqrt(n)
    W[:, n_e:] *= -2.0
    return W, ["E"] * n_e + ["I"] * (n - n_e)


# ---------------------------------------------------------------- validation rules
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"W": np.ones((2, 3))}, r"W: must be square \(n × n\), got shape \(2, 3\)"),
        ({"W": np.ones(3)}, "W: must be 2-D"),
        ({"W": np.zeros((0, 0))}, "at least one neuron"),
        ({"W": [[1.0, np.nan], [0.0, 0.0]]}, r"W: every weight must be finite; W\[0, 1\] = nan"),
        ({"W": sp.csr_array([[0.0, np.inf], [0.0, 0.0]])}, r"W\[0, 1\] = inf"),
        ({"W": [["a", "b"], ["c", "d"]]}, "W: expected numbers, not strings"),
        ({"W": [[1.0, 2.0], [3.0]]}, "W: expected a numeric square matrix"),
        ({"W": W2, "tau": [1.0, -0.1]}, r"tau: every time constant must be > 0; tau\[1\] = -0.1"),
        ({"W": W2, "tau": 0.0}, r"tau\[0\] = 0.0"),
        ({"W": W2, "tau": [1.0, 2.0, 3.0]}, r"tau: expected a scalar or shape \(2,\)"),
        ({"W": W2, "tau": [1.0, np.inf]}, r"tau: every entry must be finite; tau\[1\] = inf"),
        ({"W": W2, "u": [1.0]}, r"u: expected a scalar or shape \(2,\) to match W, got shape \(1,\)"),
        ({"W": W2, "u": [np.nan, 0.0]}, r"u: every entry must be finite; u\[0\] = nan"),
        ({"W": W2, "cell_types": "E"}, "cell_types: expected 2 entries"),
        ({"W": W2, "cell_types": "EX"}, r"cell_types: every entry must be 'E' or 'I'; cell_types\[1\]"),
        ({"W": W2, "names": ["a", "a"]}, "names: must be unique; 'a' appears more than once"),
        ({"W": W2, "names": ["a"]}, "names: expected 2 names"),
        ({"W": W2, "activation": "relu6"}, "activation: unknown name 'relu6'"),
        ({"W": W2, "activation": 3.0}, "activation: expected an Activation"),
        ({"W": W2, "activation": [ReLU()]}, "expected one Activation or a sequence of 2, got 1"),
    ],
)
def test_each_validation_rule_raises_with_a_clear_message(kwargs: dict, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        Network(**kwargs)


@pytest.mark.parametrize("sparse", [False, True])
def test_dale_law_violations_name_the_neuron_and_the_weight(sparse: bool) -> None:
    W = np.array([[0.0, -1.0], [-0.2, 0.0]])  # neuron 0 is E but has a negative outgoing weight
    with pytest.raises(DaleLawError, match=r"neuron 0 \('0'\) is type E.*W\[1, 0\] = -0.2"):
        Network(sp.csr_array(W) if sparse else W, cell_types="EI")
    W = np.array([[0.0, 0.3], [1.0, 0.0]])  # neuron 1 is I but excites neuron 0
    with pytest.raises(DaleLawError, match=r"neuron 1 \('i'\) is type I.*≤ 0; W\[0, 1\] = 0.3"):
        Network(sp.csr_array(W) if sparse else W, cell_types="EI", names=["e", "i"])
    assert isinstance(DaleLawError("x"), ValueError)


def test_steep_user_activation_is_refused_with_the_fix() -> None:
    @dataclasses.dataclass(frozen=True)
    class Steep(Activation):
        slope_bounds = (0.0, 2.0)

        def __call__(self, z):  # type: ignore[no-untyped-def]
            return np.tanh(2 * np.asarray(z))

        def derivative(self, z):  # type: ignore[no-untyped-def]
            return 2 / np.cosh(2 * np.asarray(z)) ** 2

        def inverse(self, y):  # type: ignore[no-untyped-def]
            return np.arctanh(y) / 2

        def g(self, y):  # type: ignore[no-untyped-def]
            return np.zeros_like(y)

    with pytest.raises(ValidationError, match=r"slopes must lie in .*unit_slope"):
        Network(W2, activation=Steep())


# ---------------------------------------------------------------- immutability and helpers
def test_network_is_immutable_and_with_input_copies() -> None:
    net = Network(W2, u=[1.0, 0.0], cell_types="EI")
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.u = np.zeros(2)  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        net.W[0, 0] = 3.0
    other = net.with_input([0.0, 2.0])
    np.testing.assert_array_equal(net.u, [1.0, 0.0])
    np.testing.assert_array_equal(other.u, [0.0, 2.0])
    assert other.cell_types == ("E", "I") and list(other.e_idx) == [0] and list(other.i_idx) == [1]
    with pytest.raises(ValidationError, match="u: expected"):
        net.with_input([1.0, 2.0, 3.0])


def test_inputs_are_copied_not_aliased() -> None:
    W = W2.copy()
    u = np.array([1.0, 0.0])
    net = Network(W, u=u)
    W[0, 0] = 9.0
    u[0] = 9.0
    assert net.W[0, 0] == 0.5 and net.u[0] == 1.0


def test_fingerprint_is_storage_independent_and_weight_sensitive() -> None:
    a = Network(W2)
    b = Network(sp.csr_array(W2))
    assert a.fingerprint() == b.fingerprint()
    assert a.fingerprint() != Network(W2 + np.array([[0, 0], [0, 1e-12]])).fingerprint()


def test_dense_W_refuses_huge_sparse() -> None:
    net = Network(sp.eye_array(30, format="csr") * 0.1)
    assert net.dense_W().shape == (30, 30)
    with pytest.raises(SizeLimitError, match="refusing to densify"):
        net.dense_W(limit=10)


# ---------------------------------------------------------------- vector fields
def _fd_jacobian(f, x: np.ndarray, h: float = 1e-7) -> np.ndarray:
    cols = []
    for k in range(x.size):
        e = np.zeros_like(x)
        e[k] = h
        cols.append((f(x + e) - f(x - e)) / (2 * h))
    return np.column_stack(cols)


@pytest.mark.parametrize("act", [Tanh(), ReLU(), ClippedReLU(0.7)], ids=lambda a: a.name)
@pytest.mark.parametrize("sparse", [False, True])
def test_jacobians_match_finite_differences(act: Activation, sparse: bool) -> None:
    rng = np.random.default_rng(1)
    W, types = _random_ei(6, rng, density=0.8)
    net = Network(sp.csr_array(W) if sparse else W, tau=rng.uniform(0.5, 2.0, 6),
                  u=rng.normal(size=6) * 0.3, activation=act, cell_types=types)
    x = rng.uniform(0.05, 0.4, 6)
    if act.piecewise_linear:  # keep away from kinks for finite differences
        z = net.drive(x)
        assert np.all(np.abs(z) > 1e-4) and np.all(np.abs(z - 0.7) > 1e-4)
    J = net.rate_jacobian(x)
    J = J.toarray() if sp.issparse(J) else J
    np.testing.assert_allclose(J, _fd_jacobian(net.rate_field, x), atol=1e-6)
    v = rng.normal(size=6)
    Jv = net.voltage_jacobian(v)
    Jv = Jv.toarray() if sp.issparse(Jv) else Jv
    np.testing.assert_allclose(Jv, _fd_jacobian(net.voltage_field, v), atol=1e-6)


def test_voltage_form_is_the_image_of_the_rate_form_with_equal_tau() -> None:
    # docs/theory.md §1: with equal τ, v = Wx + u maps rate trajectories onto voltage ones, so
    # d/dt (Wx + u) = W ẋ must equal the voltage field at v = Wx + u (any W).
    rng = np.random.default_rng(2)
    W = rng.normal(size=(5, 5))
    net = Network(W, tau=0.3, u=rng.normal(size=5), activation=Tanh())
    for _ in range(5):
        x = rng.normal(size=5)
        np.testing.assert_allclose(
            net.voltage_field(net.rate_to_voltage(x)), W @ net.rate_field(x), atol=1e-12
        )


def test_per_neuron_activations_apply_to_their_own_neuron() -> None:
    net = Network(np.zeros((3, 3)), activation=[ReLU(), Tanh(), ClippedReLU(0.5)])
    z = np.array([-1.0, 1.0, 2.0])
    np.testing.assert_allclose(net.phi(z), [0.0, np.tanh(1.0), 0.5])
    np.testing.assert_allclose(net.dphi(z), [0.0, 1 - np.tanh(1.0) ** 2, 0.0])
    assert not net.piecewise_linear and net.uniform_activation is None
    same = Network(np.zeros((2, 2)), activation=[Tanh(), Tanh()])
    assert same.uniform_activation == Tanh()


def test_sparse_network_is_never_densified() -> None:
    # 2·10⁴ neurons, 10⁶ synapses: CSR needs about 12 MB, a dense copy 3.2 GB.
    rng = np.random.default_rng(3)
    n, nnz = 20_000, 1_000_000
    W = sp.random_array((n, n), density=nnz / n**2, format="csr", rng=rng) * 0.01
    x = rng.random(n)
    tracemalloc.start()
    net = Network(W, cell_types=["E"] * n)
    net.rate_field(x)
    net.rate_jacobian(x)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert net.is_sparse
    assert peak < 200e6, f"peak {peak / 1e6:.0f} MB suggests densification"


# ---------------------------------------------------------------- inputs that cannot hurt
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"W": np.array([[0.5 + 0j]])}, r"W: must be real.*complex"),
        ({"W": [[0.5, 1j], [0.0, 0.0]]}, r"W: must be real.*complex"),
        ({"W": sp.csr_array(np.array([[0.5 + 1j]]))}, r"W: must be real.*complex"),
        ({"W": [["0.5"]]}, r"W: expected numbers, not strings"),
        ({"W": np.array([["0.5", "1"], ["0", "0"]])}, r"W: expected numbers, not strings"),
        ({"W": [[0.0]], "tau": "2"}, r"tau: expected numbers, not strings"),
        ({"W": [[0.0]], "tau": [1 + 0j]}, r"tau: must be real.*complex"),
        ({"W": [[0.0]], "u": ["1"]}, r"u: expected numbers, not strings"),
        ({"W": [[0.0]], "u": np.array([1.0 + 0j])}, r"u: must be real.*complex"),
        ({"W": [[0.0]], "u": np.array(["1"], dtype=object)}, r"u: expected numbers, not strings"),
    ],
)
def test_complex_values_and_numeric_strings_are_refused(kwargs: dict, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        Network(**kwargs)


def _raw_csr(data, indices, indptr, shape):  # bypass SciPy's own checks, as a loaded file can
    M = sp.csr_array((np.zeros(0), np.zeros(0, dtype=np.int32), np.zeros(shape[0] + 1,
                                                                          dtype=np.int32)),
                     shape=shape)
    M.data = np.asarray(data, dtype=float)
    M.indices = np.asarray(indices, dtype=np.int32)
    M.indptr = np.asarray(indptr, dtype=np.int32)
    return M


@pytest.mark.parametrize(
    ("parts", "match"),
    [
        # column index 5 in a 2 × 2 matrix: segfaulted in the compiled kernel before
        (([1.0, 2.0], [0, 5], [0, 1, 2]), r"W: sparse column index out of range.*5"),
        (([1.0, 2.0], [0, -1], [0, 1, 2]), r"W: sparse column index out of range.*-1"),
        (([1.0, 2.0], [0, 1], [0, 2, 1]), r"W: sparse row pointers \(indptr\) must not decrease"),
        (([1.0, 2.0], [0, 1], [1, 1, 2]), r"W: sparse row pointers \(indptr\) must start at 0"),
        (([1.0, 2.0], [0, 1], [0, 1, 7]), r"W: .*indptr.* ends at 7.*2 stored"),
        (([1.0], [0, 1], [0, 1, 2]), r"W: .*1 values but 2 column indices"),
        (([1.0, 2.0], [0, 1], [0, 1]), r"W: .*indptr.* has 2 entries, expected 3"),
    ],
)
def test_malformed_csr_structure_is_refused_before_any_kernel(parts, match) -> None:
    W = _raw_csr(*parts, shape=(2, 2))
    with pytest.raises(ValidationError, match=match):
        Network(W=W)


def test_malformed_coo_is_refused() -> None:
    W = sp.coo_array(([1.0], ([0], [0])), shape=(2, 2))
    W.col = np.array([9], dtype=W.col.dtype)  # a file can hold anything
    with pytest.raises(ValidationError, match=r"W: sparse column index out of range.*9"):
        Network(W=W)


def test_network_has_no_game_method() -> None:
    # the model does not import its analyses; the game is eicircuits.game(net)
    import eicircuits

    assert not hasattr(Network, "game")
    assert eicircuits.game(Network(W=[[0.0]])).n == 1


def test_sparse_matrix_declaring_a_huge_shape_is_refused_before_allocating() -> None:
    import tracemalloc

    W = sp.coo_array(([1.0], ([0], [0])), shape=(3_000_000_000, 3_000_000_000))
    tracemalloc.start()
    try:
        with pytest.raises(SizeLimitError, match=r"W: .*3000000000 neurons.*MAX_NEURONS"):
            Network(W=W)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6  # today: a 22 GiB index array
    with pytest.raises(ValidationError, match=r"W: must be square"):
        Network(W=sp.coo_array(([1.0], ([0], [0])), shape=(2, 3)))


def _reference_csr(data, indices, indptr, n):
    """A pure-Python reading of CSR arrays: the dense matrix, or None when they are malformed."""
    if len(indptr) != n + 1 or len(data) != len(indices) or indptr[0] != 0:
        return None
    if any(indptr[k + 1] < indptr[k] for k in range(n)) or indptr[-1] != len(indices):
        return None
    if any(not 0 <= j < n for j in indices):
        return None
    dense = np.zeros((n, n))
    for i in range(n):
        for k in range(indptr[i], indptr[i + 1]):
            dense[i, indices[k]] += data[k]
    return dense


def test_random_csr_arrays_are_refused_or_read_exactly() -> None:
    # property: whatever index arrays a file holds, Network either refuses them with our
    # error or holds exactly the matrix they describe (never garbage, never a crash)
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @settings(max_examples=300, deadline=None, derandomize=True, database=None)
    @given(st.integers(1, 4), st.data())
    def check(n, draw):
        nnz = draw.draw(st.integers(0, 6))
        data = draw.draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=nnz,
                                  max_size=nnz))
        indices = draw.draw(st.lists(st.integers(-2, n + 2), min_size=max(0, nnz - 1),
                                     max_size=nnz + 1))
        indptr = draw.draw(st.lists(st.integers(-1, nnz + 2), min_size=n, max_size=n + 2))
        expected = _reference_csr(data, indices, indptr, n)
        W = _raw_csr(data, indices, indptr, shape=(n, n))
        try:
            net = Network(W=W)
        except ValidationError:
            assert expected is None
            return
        assert expected is not None
        np.testing.assert_array_equal(net.W.toarray(), expected)

    check()


def test_sparse_weights_are_stored_once_with_sorted_int32_indices():
    """Every simulation reads W's indices: converted once here, not per call."""
    import scipy.sparse as sp

    W = sp.random_array((50, 50), density=0.2, rng=np.random.default_rng(0), format="csr")
    W = sp.csr_array((W.data, W.indices.astype(np.int64), W.indptr.astype(np.int64)),
                     shape=W.shape)
    W.has_sorted_indices = False
    net = Network(W=W.copy())
    assert net.W.indices.dtype == np.int32 and net.W.indptr.dtype == np.int32
    assert net.W.has_sorted_indices
    assert np.array_equal(net.W.toarray(), W.toarray())
    assert net.fingerprint() == Network(W=W.toarray()).fingerprint()
