"""Regressions found by running the CLI as a user would, at realistic size (5000 neurons)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest


def test_atomic_json_gets_the_mode_an_ordinary_open_would(tmp_path: Path) -> None:
    # mkstemp made every JSON output (simulate.json, equilibrium --out, design.json) 0600:
    # unreadable to the collaborators who can read the NetCDF and PNG next to it
    from eicircuits.cli._common import write_json, write_text

    path = tmp_path / "out.json"
    write_json(path, {"a": 1})
    ordinary = tmp_path / "ordinary.txt"
    ordinary.write_text("x")
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(ordinary.stat().st_mode)
    # a replaced file keeps its mode
    os.chmod(path, 0o640)
    write_text(path, "y")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.read_text() == "y"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


@pytest.mark.parametrize("mode", [0o600, 0o664])
def test_atomic_write_keeps_an_existing_files_mode(tmp_path: Path, mode: int) -> None:
    from eicircuits.cli._common import write_json

    path = tmp_path / "cert.json"
    path.write_text("{}")
    os.chmod(path, mode)
    write_json(path, {"b": 2})
    assert stat.S_IMODE(path.stat().st_mode) == mode


def _isn(n: int = 300, seed: int = 0):
    """A sparse-ish Dale network with ρ(W_EE) ≈ 1.5 > 1, stabilised by inhibition."""
    import numpy as np

    from eicircuits import Network

    rng = np.random.default_rng(seed)
    ne = 4 * n // 5
    p = 0.1
    mask = rng.random((n, n)) < p
    np.fill_diagonal(mask, False)
    W = np.zeros((n, n))
    W[:ne, :ne] = 1.5 / (p * ne)
    W[:ne, ne:] = -2.5 / (p * (n - ne))
    W[ne:, :ne] = 2.0 / (p * ne)
    W[ne:, ne:] = -1.5 / (p * (n - ne))
    W = W * mask * rng.uniform(0.5, 1.5, size=(n, n))
    return Network(W=W, u=1.0, cell_types="E" * ne + "I" * (n - ne)), ne


@pytest.mark.parametrize("method", ["lds", "ascent", "cascade", "sdp"])
def test_lds_searches_refute_an_isn_at_once_instead_of_running_out_of_time(method: str) -> None:
    # `certify --method lds --time-limit 60` on a 5000-neuron ISN ran the ascent for 60 s and
    # answered "inconclusive", although ρ(W_EE) ≥ 1 refutes LDS in O(nnz) (as method='auto' does)
    import numpy as np

    from eicircuits.stability import certify

    net, ne = _isn()
    Wee = net.W[:ne, :ne]
    assert max(abs(np.linalg.eigvals(Wee))) > 1.2  # the oracle: dense eigenvalues of W_EE
    cert = certify(net, method=method, time_limit=30)
    assert not cert.certified
    assert cert.status == "refuted" and cert.refutation is not None
    assert cert.method == "excitatory-subnetwork"  # before: 15–20 s of ascent, inconclusive
    assert cert.stats["seconds"] < 5
    ver = cert.verify()
    assert ver.valid and ver.proof


def test_ascent_advice_is_something_the_user_can_do_above_the_sdp_limit() -> None:
    # the ascent's inconclusive message said "try method='sdp'" at n = 5000, where the SDP
    # is refused (SDP_LIMIT = 80): the advice must be possible at the network's size
    import numpy as np

    from eicircuits.stability._lds import SDP_LIMIT, lds

    n = 120
    assert n > SDP_LIMIT
    rng = np.random.default_rng(1)
    W = 2.0 * rng.standard_normal((n, n)) / np.sqrt(n)
    np.fill_diagonal(W, 0.0)
    assert max(np.linalg.eigvals(W - np.eye(n)).real) > 0  # not LDS (not even Hurwitz)
    res = lds(W - np.eye(n), method="ascent", time_limit=1e-3)
    assert res.is_lds is None
    assert "method='sdp'" not in res.message
    assert f"n ≤ SDP_LIMIT = {SDP_LIMIT}" in res.message


def test_verify_without_spec_checks_the_builtin_circuit(tmp_path: Path, capsys) -> None:
    # `eicircuits certify --out c.json` (no SPEC) certifies the built-in circuit, but
    # `eicircuits verify c.json` demanded a SPEC, and no file names the built-in circuit
    from eicircuits.cli import main

    cert = tmp_path / "c.json"
    assert main(["certify", "--out", str(cert)]) == 0
    capsys.readouterr()
    assert main(["verify", str(cert)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("VALID")
    # a certificate of another circuit is still refused against the built-in one
    spec = tmp_path / "pair.toml"
    spec.write_text('[network]\nW = [[0.5, -1.0], [1.0, -0.5]]\ncell_types = "EI"\n')
    other = tmp_path / "other.json"
    assert main(["certify", str(spec), "--out", str(other)]) == 0
    capsys.readouterr()
    assert main(["verify", str(other)]) == 1
    assert capsys.readouterr().out.startswith("INVALID")


def test_fingerprint_of_a_builder_whose_closure_holds_a_class() -> None:
    # a builder defined inside a function that imported Network there: fingerprinting it for
    # the sweep store called the unbound Network.fingerprint() and crashed with a TypeError
    from eicircuits import Network
    from eicircuits._validate import fingerprint_callable

    def make(k: float):
        def builder(a: float) -> Network:
            return Network(W=[[0.0, -a * k], [a, 0.0]], cell_types="EI")
        return builder

    f1, f2 = fingerprint_callable(make(1.0)), fingerprint_callable(make(2.0))
    assert f1 == fingerprint_callable(make(1.0)) and f1 != f2


def test_sweep_cli_names_force_for_a_store_of_another_sweep(tmp_path: Path, capsys) -> None:
    # rerunning `eicircuits sweep` with another grid into the same --out said "delete the
    # store", not that --force does it
    from eicircuits.cli import main

    spec = tmp_path / "wc.toml"
    spec.write_text('[builder]\nname = "wilson_cowan"\nw_ee = 0.5\nw_ei = 1.0\nw_ie = 1.0\n'
                    'w_ii = 0.5\nu_e = 1.0\n')
    out = str(tmp_path / "s.zarr")
    assert main(["sweep", str(spec), "--grid", "w_ee=0.5,0.8", "--analysis", "certified",
                 "--out", out, "--scheduler", "sync"]) == 0
    capsys.readouterr()
    assert main(["sweep", str(spec), "--grid", "w_ei=1,2", "--analysis", "certified",
                 "--out", out]) == 2
    err = capsys.readouterr().err
    assert "different sweep" in err and "--force" in err and len(err.strip().splitlines()) == 1


def test_sweep_summary_counts_integer_categories() -> None:
    # `eicircuits sweep --analysis winner` printed "winner: min 22, max 22": an index is a
    # category; say which values occur and how often (-1: no single winner)
    import numpy as np
    import xarray as xr

    from eicircuits.cli.sweep import _summary

    ds = xr.Dataset({"winner": ("f", np.array([22, 22, -1])),
                     "rate": ("f", np.array([0.5, 0.25, np.nan]))}, coords={"f": [1, 2, 3]})
    text = _summary(ds)
    assert "winner (value: points): 22: 2, none: 1" in text
    assert "rate: min 0.25, max 0.5, 1 nan" in text
    many = xr.Dataset({"count": ("f", np.arange(40))}, coords={"f": np.arange(40)})
    assert "count: min 0, max 39" in _summary(many)


def test_certificate_headline_names_kind_and_method_once() -> None:
    # `eicircuits certify` printed "CERTIFIED (contraction-linf, contraction-linf)" and
    # "NOT CERTIFIED (refuted) (none, excitatory-subnetwork)"
    from eicircuits import Network
    from eicircuits.stability import certify

    ok = str(certify(Network(W=[[0.2, -0.3], [0.4, -0.1]], cell_types="EI")))
    assert ok.startswith("CERTIFIED (contraction-linf): ")
    net, _ = _isn(100)
    bad = str(certify(net))
    assert bad.startswith("NOT CERTIFIED (refuted by excitatory-subnetwork): ")
    lds = str(certify(Network(W=[[0.5, -1.0], [2.0, -0.5]], cell_types="EI"), method="lds"))
    assert lds.startswith("CERTIFIED (lds, 2x2): ")


def _decays(net, x0, t_end: float = 60.0) -> float:
    """‖x(t_end)‖∞ / ‖x0‖∞ by a high-accuracy solve_ivp run of the rate form (the oracle)."""
    import numpy as np
    from scipy.integrate import solve_ivp

    W = np.asarray(net.W.toarray() if hasattr(net.W, "toarray") else net.W)
    u, tau = np.asarray(net.u), np.asarray(net.tau)
    sol = solve_ivp(lambda t, x: (-x + np.maximum(W @ x + u, 0.0)) / tau, (0.0, t_end), x0,
                    method="DOP853", rtol=1e-10, atol=1e-14)
    return float(np.max(np.abs(sol.y[:, -1])) / np.max(np.abs(x0)))


@pytest.mark.parametrize("dense_limit", [100, 4000])
def test_every_neuron_at_its_kink_of_a_contracting_network_is_stable(dense_limit: int) -> None:
    # random_ei(5000, gain=0.9) at u = 0: x* = 0 with every neuron at its kink; `analyze` said
    # "stability undecided" (n > STABILITY_LIMIT, or more than KINK_LIMIT kinks) next to a
    # certificate of global exponential stability. The Metzler majorant decides it in O(nnz).
    import numpy as np

    from eicircuits.circuits import random_ei
    from eicircuits.stability import local_stability

    net = random_ei(300, density=0.1, gain=0.9, rng=3, sparse=True, u=0.0)
    x = np.zeros(net.n)
    ls = local_stability(net, x, dense_limit=dense_limit)
    assert ls.verdict == "stable", ls.message
    assert "weighted ℓ∞" in ls.message
    rng = np.random.default_rng(0)
    for _ in range(3):  # the oracle: small perturbations of both signs die out
        x0 = 1e-3 * rng.standard_normal(net.n)
        assert _decays(net, x0) < 1e-3


def test_the_majorant_test_does_not_fire_where_its_premise_fails() -> None:
    # an inhibition-stabilised network at rest: ρ(|W|) > 1, so the weighted ℓ∞ contraction
    # cannot hold and the verdict stays what the kink analysis can say (undecided here)
    import numpy as np

    from eicircuits.stability import local_stability

    net, _ = _isn(300)
    net = net.replace(u=np.zeros(net.n))
    W = np.asarray(net.W)
    assert max(abs(np.linalg.eigvals(np.abs(W)))) > 1.0  # the oracle: majorant not Hurwitz
    ls = local_stability(net, np.zeros(net.n), dense_limit=100)
    assert ls.verdict == "undecided" and "kink" in ls.message


def test_a_long_ascent_reports_progress(monkeypatch) -> None:
    # `certify --method lds --time-limit 60` on 5000 neurons printed one line, then nothing
    # for 60 s; the ascent now reports its elapsed time and best margin periodically
    import numpy as np

    import eicircuits.stability._lds as lds_mod
    from eicircuits import Network
    from eicircuits.stability import certify

    monkeypatch.setattr(lds_mod, "ASCENT_REPORT_EVERY", 0.0)
    n = 120
    rng = np.random.default_rng(1)
    W = 2.0 * rng.standard_normal((n, n)) / np.sqrt(n)
    np.fill_diagonal(W, 0.0)
    lines: list[str] = []
    cert = certify(Network(W=W), method="ascent", time_limit=2.0, progress=lines.append)
    assert not cert.certified
    ascent = [s for s in lines if "lds ascent on n = 120" in s]
    assert ascent and "best margin so far" in ascent[0] and "s left" in ascent[0]
    assert lds_mod.ASCENT_PROGRESS.get() is None  # reset after the call


def test_a_margin_beyond_what_rounding_bounds_prove_is_claimed_smaller() -> None:
    # certify on a 5000-neuron E–I network (ρ(W_EE) = 0.95): the ascent's weights were LDS
    # with margin 0.00966698 (dense eigenvalues), the claim 0.00966698 (less 1e-7) could not be
    # proved with the rigorous rounding bounds at that size, and certify said "nothing is
    # certified". A claim beyond the provable one must be retried smaller, not dropped.
    import dataclasses

    import numpy as np

    from eicircuits.circuits import random_ei
    from eicircuits.stability import certify
    from eicircuits.stability._certify import _checked

    net = random_ei(100, density=0.2, gain=0.9, rng=2, sparse=False)
    cert = certify(net, method="lds")
    assert cert.certified and cert.margin > 0
    A = net.W - np.eye(net.n)
    S = cert.weights[:, None] * A
    true = -np.linalg.eigvalsh(S + S.T)[-1] / (2 * np.mean(cert.weights))  # the oracle
    over = dataclasses.replace(cert, margin=float(true) * (1 + 1e-3))  # not provable
    assert not over.verify().valid
    back = _checked(net, over)
    assert back is not None and back.certified and back.verify().valid
    assert 0 < back.margin < true


def test_auto_never_advises_method_auto(monkeypatch) -> None:
    # certify (method 'auto') said "method 'lds' found no certificate ...; try method='auto'"
    import eicircuits.stability._certify as cm
    from eicircuits.circuits import random_ei

    monkeypatch.setattr(cm, "_m_linf", lambda net, **_: None)  # force the LDS search
    monkeypatch.setattr(cm, "_checked", lambda net, cert: None)  # every candidate fails
    cert = cm.certify(random_ei(20, gain=0.9, rng=1))
    assert not cert.certified
    assert "found no certificate" in cert.statement and "method='auto'" not in cert.statement
