"""Circuit specification files: every supported form, and errors that name file and key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from eicircuits import ClippedReLU, Network, ReLU, SpecError, Tanh
from eicircuits.spec import load_spec, read_spec, spec_from_dict

W = np.array([[0.5, -1.0], [1.0, -0.5]])


def _write(tmp_path: Path, text: str, name: str = "c.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_inline_network(tmp_path: Path) -> None:
    p = _write(tmp_path, """
[network]
W = [[0.5, -1.0], [1.0, -0.5]]
tau = [1.0, 2.0]
u = [1.0, 0.0]
activation = { name = "clipped_relu", r_max = 2.0 }
cell_types = "EI"
names = ["e", "i"]
""")
    net = load_spec(p)
    np.testing.assert_array_equal(net.W, W)
    np.testing.assert_array_equal(net.tau, [1.0, 2.0])
    assert net.activation == ClippedReLU(2.0)
    assert net.cell_types == ("E", "I") and net.names == ("e", "i")


@pytest.mark.parametrize("kind", ["npy", "npz-dense", "npz-sparse", "csv"])
def test_weights_from_files_relative_to_the_spec(tmp_path: Path, kind: str) -> None:
    sub = tmp_path / "data"
    sub.mkdir()
    if kind == "npy":
        np.save(sub / "w.npy", W)
        fname = "w.npy"
    elif kind == "npz-dense":
        np.savez(sub / "w.npz", W=W)
        fname = "w.npz"
    elif kind == "npz-sparse":
        sp.save_npz(sub / "w.npz", sp.csr_array(W))
        fname = "w.npz"
    else:
        np.savetxt(sub / "w.csv", W, delimiter=",")
        fname = "w.csv"
    p = _write(sub, f'[network]\nW = "{fname}"\nactivation = ["relu", "tanh"]\n')
    net = load_spec(p)
    dense = net.W.toarray() if net.is_sparse else net.W
    np.testing.assert_array_equal(dense, W)
    assert net.is_sparse == (kind == "npz-sparse")
    assert net.activations == (ReLU(), Tanh())


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("[network]\nW = [[1, 2], [3]]\n", r"c\.toml: \[network\]\.W: expected a list of equal-length rows"),
        ("[network]\ntau = 1.0\n", r"c\.toml: \[network\]: missing key 'W'"),
        ("[network]\nW = [[0.0]]\ntaus = 1.0\n", r"\[network\]: unknown key 'taus'"),
        ("[network]\nW = \"nope.npy\"\n", r"\[network\]\.W: file 'nope.npy' not found"),
        ("[network]\nW = \"w.txt\"\n", r"unsupported file type '\.txt'"),
        ("[network]\nW = 3\n", r"\[network\]\.W: expected an inline matrix or a file path"),
        ("[network]\nW = [[0.0]]\nactivation = \"gelu\"\n", r"\[network\]\.activation: .*unknown name 'gelu'"),
        ("[network]\nW = [[0.0, -1], [1, 0]]\ncell_types = \"EE\"\n", r"c\.toml: \[network\]: W: Dale's law"),
        ("[network]\nW = [[0.0]]\ntau = -1.0\n", r"c\.toml: \[network\]: tau: every time constant must be > 0"),
        ("[builder]\nw_ee = 1\n", r"\[builder\]: missing key 'name'"),
        ("[builder]\nname = \"hopfield\"\n", r"\[builder\]\.name: unknown builder 'hopfield'"),
        ("[network]\nW = [[0.0]]\n[builder]\nname = \"random_ei\"\n", "not both"),
        ("[circuit]\nW = [[0.0]]\n", r"unknown top-level key 'circuit'"),
        ("", "empty specification"),
        ("[network\nW = 1", "invalid TOML"),
    ],
)
def test_malformed_specs_name_file_key_and_expectation(tmp_path: Path, text: str,
                                                        match: str) -> None:
    (tmp_path / "w.txt").write_text("0")
    p = _write(tmp_path, text)
    with pytest.raises(SpecError, match=match):
        load_spec(p)


def test_missing_file_and_bad_npz(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="specification file not found"):
        read_spec(tmp_path / "absent.toml")
    np.savez(tmp_path / "w.npz", M=W)
    p = _write(tmp_path, '[network]\nW = "w.npz"\n')
    with pytest.raises(SpecError, match=r"no array named 'W' \(found \['M'\]\)"):
        load_spec(p)


def test_spec_from_dict_and_overrides() -> None:
    spec = spec_from_dict({"network": {"W": W.tolist(), "u": [1.0, 1.0]}})
    assert spec.builder is None
    net = spec.network(u=[0.0, 2.0])
    assert isinstance(net, Network)
    np.testing.assert_array_equal(net.u, [0.0, 2.0])
    assert spec.builder_function()(u=[3.0, 3.0]).u[0] == 3.0


# ---------------------------------------------------------------- files that cannot hurt
def _raw_npz(path: Path, fmt: str, shape, **arrays) -> None:
    # written by hand, as an attacker (or a broken tool) could: SciPy's checks never ran
    np.savez(path, format=np.array(fmt.encode()), shape=np.asarray(shape, dtype=np.int64),
             **arrays)


def test_sparse_npz_with_out_of_range_indices_is_a_spec_error(tmp_path: Path) -> None:
    _raw_npz(tmp_path / "w.npz", "csr", (2, 2), data=np.array([1.0, 2.0]),
             indices=np.array([0, 5], dtype=np.int32), indptr=np.array([0, 1, 2], dtype=np.int32))
    p = _write(tmp_path, '[network]\nW = "w.npz"\n')
    with pytest.raises(SpecError, match=r"c\.toml: \[network\]\.W: 'w\.npz'.*index out of range"):
        load_spec(p)


@pytest.mark.parametrize("fmt", ["coo", "csr"])
def test_tiny_npz_declaring_a_huge_shape_is_refused_before_allocating(tmp_path: Path,
                                                                       fmt: str) -> None:
    import tracemalloc

    if fmt == "coo":
        _raw_npz(tmp_path / "w.npz", fmt, (3_000_000_000, 3_000_000_000), data=np.array([1.0]),
                 row=np.array([0]), col=np.array([0]))
    else:
        _raw_npz(tmp_path / "w.npz", fmt, (3_000_000_000, 3_000_000_000), data=np.array([1.0]),
                 indices=np.array([0]), indptr=np.array([0, 1]))
    p = _write(tmp_path, '[network]\nW = "w.npz"\n')
    tracemalloc.start()
    try:
        with pytest.raises(SpecError, match=r"'w\.npz'.*3000000000 × 3000000000.*limit"):
            load_spec(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6  # today: a 22.4 GiB allocation


def test_huge_dense_npy_header_is_refused_before_reading(tmp_path: Path) -> None:
    # a header declaring 10^5 × 10^5 float64 (80 GB) over a file of a few bytes
    import numpy.lib.format as fmt

    with open(tmp_path / "w.npy", "wb") as fh:
        fmt.write_array_header_1_0(fh, {"descr": "<f8", "fortran_order": False,
                                        "shape": (100_000, 100_000)})
        fh.write(b"\0" * 64)
    p = _write(tmp_path, '[network]\nW = "w.npy"\n')
    with pytest.raises(SpecError, match=r"'w\.npy': declares 100000 × 100000"):
        load_spec(p)


@pytest.mark.parametrize("fmt", ["dok", "lil", "abc"])
def test_unsupported_sparse_formats_are_spec_errors(tmp_path: Path, fmt: str) -> None:
    _raw_npz(tmp_path / "w.npz", fmt, (2, 2), data=np.array([1.0]))
    p = _write(tmp_path, '[network]\nW = "w.npz"\n')
    with pytest.raises(SpecError, match=rf"'w\.npz': unsupported sparse format '{fmt}'"):
        load_spec(p)


def test_supported_sparse_formats_load(tmp_path: Path) -> None:
    for name, M in (("csc", sp.csc_array(W)), ("coo", sp.coo_array(W)),
                    ("dia", sp.dia_array(W)), ("bsr", sp.bsr_array(W))):
        sp.save_npz(tmp_path / f"{name}.npz", M)
        p = _write(tmp_path, f'[network]\nW = "{name}.npz"\n')
        np.testing.assert_array_equal(load_spec(p).W.toarray(), W)


def test_object_arrays_are_never_unpickled(tmp_path: Path) -> None:
    np.save(tmp_path / "w.npy", np.array([[{"a": 1}]], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "z.npz", W=np.array([[{"a": 1}]], dtype=object))
    for fname in ("w.npy", "z.npz"):
        p = _write(tmp_path, f'[network]\nW = "{fname}"\n')
        with pytest.raises(SpecError, match="object arrays are not read"):
            load_spec(p)


def test_csv_errors_do_not_quote_the_file(tmp_path: Path) -> None:
    (tmp_path / "w.csv").write_text("0.5,secret-password\n1,2\n")
    p = _write(tmp_path, '[network]\nW = "w.csv"\n')
    with pytest.raises(SpecError, match=r"'w\.csv'.*not a table of numbers") as info:
        load_spec(p)
    assert "secret" not in str(info.value)
    (tmp_path / "u.csv").write_text("token-abc\n")
    p = _write(tmp_path, '[network]\nW = [[0.0]]\nu = "u.csv"\n')
    with pytest.raises(SpecError, match=r"\[network\]\.u: .*'u\.csv'") as info:
        load_spec(p)
    assert "token" not in str(info.value)


@pytest.mark.parametrize(
    "act",
    ['{ name = "clipped_relu", r_max = [1, 2] }', '{ r_max = 2 }', '[[{ name = "relu" }]]',
     '{ name = "logistic", gain = {} }', '{ name = ["relu"] }', "3", '["relu", 3]'],
)
def test_malformed_activation_tables_are_spec_errors(tmp_path: Path, act: str) -> None:
    p = _write(tmp_path, f"[network]\nW = [[0.0, 0.0], [0.0, 0.0]]\nactivation = {act}\n")
    with pytest.raises(SpecError, match=r"\[network\]\.activation"):
        load_spec(p)
    p = _write(tmp_path, "[builder]\nname = \"wilson_cowan\"\nw_ee = 1\nw_ei = 1\nw_ie = 1\n"
                         f"w_ii = 1\nactivation = {act}\n")
    with pytest.raises(SpecError, match=r"\[builder\]\.activation"):
        load_spec(p)


@pytest.mark.parametrize("kind", ["npy", "csv-row", "csv-column"])
def test_u_and_tau_from_files(tmp_path: Path, kind: str) -> None:
    u = np.array([1.0, 0.25])
    if kind == "npy":
        np.save(tmp_path / "u.npy", u)
        np.save(tmp_path / "tau.npy", [1.0, 2.0])
        names = ("u.npy", "tau.npy")
    else:
        shape = (1, 2) if kind == "csv-row" else (2, 1)
        np.savetxt(tmp_path / "u.csv", u.reshape(shape), delimiter=",")
        np.savetxt(tmp_path / "tau.csv", np.array([1.0, 2.0]).reshape(shape), delimiter=",")
        names = ("u.csv", "tau.csv")
    p = _write(tmp_path, f'[network]\nW = [[0.5, -1.0], [1.0, -0.5]]\nu = "{names[0]}"\n'
                         f'tau = "{names[1]}"\n')
    net = load_spec(p)
    np.testing.assert_array_equal(net.u, u)
    np.testing.assert_array_equal(net.tau, [1.0, 2.0])


def test_u_file_of_the_wrong_shape(tmp_path: Path) -> None:
    np.save(tmp_path / "u.npy", np.ones((2, 2)))
    p = _write(tmp_path, '[network]\nW = [[0.5, -1.0], [1.0, -0.5]]\nu = "u.npy"\n')
    with pytest.raises(SpecError, match=r"\[network\]\.u: 'u\.npy': holds shape \(2, 2\); "
                                        r"expected a vector"):
        load_spec(p)


def test_builder_u_from_a_file(tmp_path: Path) -> None:
    u = np.array([1.0, 1.5, 1.0])
    np.save(tmp_path / "u.npy", u)
    p = _write(tmp_path, '[builder]\nname = "lateral_inhibition"\nm = 3\na = 0.0\nb = 2.0\n'
                         'c = 2.0\nd = 0.5\nu = "u.npy"\n')
    net = load_spec(p)
    inline = spec_from_dict({"builder": {"name": "lateral_inhibition", "m": 3, "a": 0.0,
                                         "b": 2.0, "c": 2.0, "d": 0.5,
                                         "u": u.tolist()}}).network()
    np.testing.assert_array_equal(net.u, inline.u)
    assert list(read_spec(p).input_files()) == ["u.npy"]
    (tmp_path / "bad.csv").write_text("1,secret\n")
    p = _write(tmp_path, '[builder]\nname = "lateral_inhibition"\nm = 3\nu = "bad.csv"\n')
    with pytest.raises(SpecError, match=r"\[builder\]\.u: 'bad\.csv'") as info:
        load_spec(p)
    assert "secret" not in str(info.value)


# ---------------------------------------------------------------- synaptic delays (issue 11)
W3 = np.array([[0.0, 0.5, -1.0], [0.7, 0.0, -0.4], [0.9, 0.3, -0.2]])
D3 = np.array([[0.0, 1.5, 0.25], [2.0, 0.0, 0.75], [1.0, 3.0, 0.5]])


def _w3_toml() -> str:
    return "W = [" + ", ".join("[" + ", ".join(repr(float(v)) for v in r) + "]"
                               for r in W3) + "]\ncell_types = \"EEI\"\n"


@pytest.mark.parametrize("form", ["scalar", "types", "vector", "matrix", "npy-matrix",
                                  "npy-vector", "npz-sparse", "npz-dense", "csv-matrix",
                                  "csv-column"])
def test_delays_in_every_form_round_trip(tmp_path: Path, form: str) -> None:
    # the oracle: the same delays given to Network directly
    col = np.array([2.0, 0.5, 0.25])  # per presynaptic neuron
    expected = {"scalar": Network(W=W3, delays=0.5),
                "types": Network(W=W3, cell_types="EEI", delays={"E": 2.0, "I": 0.5}),
                "vector": Network(W=W3, delays=col)}.get(form, Network(W=W3, delays=D3))
    if form in ("npy-vector", "csv-column"):
        expected = Network(W=W3, delays=col)
    value = {"scalar": "0.5", "types": "{ E = 2.0, I = 0.5 }", "vector": "[2.0, 0.5, 0.25]",
             "matrix": "[" + ", ".join("[" + ", ".join(repr(float(v)) for v in r) + "]"
                                       for r in D3) + "]"}.get(form)
    if value is None:
        if form == "npy-matrix":
            np.save(tmp_path / "d.npy", D3)
        elif form == "npy-vector":
            np.save(tmp_path / "d.npy", col)
        elif form == "npz-sparse":
            sp.save_npz(tmp_path / "d.npz", sp.csr_array(D3))
        elif form == "npz-dense":
            np.savez(tmp_path / "d.npz", W=D3)
        elif form == "csv-matrix":
            np.savetxt(tmp_path / "d.csv", D3, delimiter=",")
        else:
            np.savetxt(tmp_path / "d.csv", col[:, None], delimiter=",")
        value = '"d.' + form.split("-")[0] + '"'
    p = _write(tmp_path, "[network]\n" + _w3_toml() + f"delays = {value}\n")
    net = load_spec(p)
    assert net.has_delays
    np.testing.assert_array_equal(net.delays.to_dense(), expected.delays.to_dense())
    # and back: the dense delays written inline give the same network again
    again = spec_from_dict({"network": {"W": W3.tolist(), "cell_types": "EEI",
                                        "delays": net.delays.to_dense().tolist()}}).network()
    np.testing.assert_array_equal(again.delays.to_dense(), net.delays.to_dense())
    np.testing.assert_array_equal(again.delays.values, net.delays.values)
    if form.split("-")[0] in ("npy", "npz", "csv"):  # the file is part of the spec's identity
        assert list(read_spec(p).input_files()) == [value.strip('"')]


def test_zero_delays_are_no_delays(tmp_path: Path) -> None:
    p = _write(tmp_path, "[network]\n" + _w3_toml() + "delays = 0\n")
    assert not load_spec(p).has_delays


@pytest.mark.parametrize("value, expect", [
    ("-1.0", "every delay must be finite and ≥ 0"),
    ('{ E = 1.0 }', "no delay for presynaptic type 'I'"),
    ('{ E = 1.0, I = "x" }', "delays['I']: expected a number"),
    ('{ E = 1.0, X = 2.0 }', "unknown cell type 'X'"),
    ("[1.0, 2.0]", "got shape (2,)"),
    ('[[1.0, "a"]]', "expected numbers"),
    ("true", "expected a number, a table"),
    ('"missing.npy"', "file 'missing.npy' not found"),
    ('"d.txt"', "unsupported file type"),
    ('"bad.npy"', "holds shape (2, 2); expected (3,)"),
])
def test_malformed_delays_are_spec_errors_naming_the_key(tmp_path: Path, value: str,
                                                         expect: str) -> None:
    np.save(tmp_path / "bad.npy", np.ones((2, 2)))
    (tmp_path / "d.txt").write_text("1", encoding="utf-8")
    p = _write(tmp_path, "[network]\n" + _w3_toml() + f"delays = {value}\n")
    with pytest.raises(SpecError) as err:
        load_spec(p)
    msg = str(err.value)
    assert str(p) in msg and "[network].delays" in msg and expect in msg, msg


def test_delays_mapping_without_cell_types_is_a_spec_error(tmp_path: Path) -> None:
    p = _write(tmp_path, "[network]\nW = [[0.0, 1.0], [1.0, 0.0]]\ndelays = { E = 1.0 }\n")
    with pytest.raises(SpecError, match=r"\[network\]\.delays: a mapping .* needs cell_types"):
        load_spec(p)


def test_builder_missing_a_required_parameter_is_a_spec_error(tmp_path):
    """A [builder] table without a required argument raised a raw TypeError (a traceback)."""
    from eicircuits import SpecError, load_spec

    path = tmp_path / "col.toml"
    path.write_text('[builder]\nname = "cortical_column"\nlayers = 3\n')
    with pytest.raises(SpecError, match=r"needs 'm', 'f'.*\[builder\]"):
        load_spec(path)
