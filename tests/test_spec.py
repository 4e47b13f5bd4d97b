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
