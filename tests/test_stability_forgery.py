"""Certificates that cannot be forged or misread (issue: proofs that cannot be forged).

Each test is a reproduction that made the library state something false before the fix: an
edited certificate file that verified, a refutation that refuted nothing, a statement that
survived editing, an activation outside the contract that was certified.
"""

from __future__ import annotations

import dataclasses
import json
import time
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp

from eicircuits import Network, ReLU
from eicircuits.activations import Activation
from eicircuits.errors import ValidationError
from eicircuits.stability import Certificate, certify, lds, log_norm, verify_refutation
from eicircuits.stability.certificate import tau_fingerprint


def _cert(net, kind="lds", certified=True, **kw):
    return Certificate(certified, kind, n=net.n, fingerprint=net.fingerprint(),
                       tau_hash=tau_fingerprint(net.tau), network=net, **kw)


def _saved(cert, tmp_path, name="c.json"):
    path = tmp_path / name
    cert.save(path)
    return path, json.loads(path.read_text())


def _write(path, d):
    path.write_text(json.dumps(d))
    return path


# ---------------------------------------------------------------- exact verification is exact
def test_singular_w_minus_i_with_forged_weights_does_not_verify():
    # W − I = [[−1, 2], [0.3125, −0.625]] has det = 0.625 − 0.625 = 0: singular, not LDS. The
    # weights make P(W − I) + (W − I)ᵀP singular too; forming it in float64 rounded it to a
    # matrix with a positive "margin 3e-17".
    net = Network(W=[[0.0, 2.0], [0.3125, 0.375]])
    A = [[Fraction(-1), Fraction(2)], [Fraction(5, 16), Fraction(-5, 8)]]
    assert A[0][0] * A[1][1] - A[0][1] * A[1][0] == 0
    cert = _cert(net, weights=np.array([1.0, 6.399999999997738]))
    ver = cert.verify()
    assert not ver and not ver.valid
    assert not cert.verify(exact=True)
    # the same with the file edited
    assert not certify(net).certified


def test_exact_margin_is_a_rational_bound():
    net = Network(W=[[0.5, -1.0], [2.0, -0.5]], cell_types="EI")
    cert = certify(net, method="lds")
    ver = cert.verify()
    assert ver.exact and ver.proof
    # the stored margin is what is proved, as an exact rational, and it is below the true margin
    m = Fraction(cert.margin)
    assert f"{m.numerator}/{m.denominator}" in ver.message
    A = np.asarray(net.W) - np.eye(2)
    S = cert.weights[:, None] * A
    true = -np.linalg.eigvalsh(S + S.T)[-1] / (2 * np.mean(cert.weights))
    assert 0 < cert.margin <= true
    # claiming a hair more than the truth fails
    assert not dataclasses.replace(cert, margin=float(true) * (1 + 1e-6)).verify()


# ---------------------------------------------------------------- statements are derived
def test_an_edited_statement_does_not_survive(tmp_path):
    net = Network(W=[[0.5, -1.0], [2.0, -0.5]], tau=[1.0, 3.0], cell_types="EI")
    cert = certify(net, method="lds")
    path, d = _saved(cert, tmp_path)
    for lie in ("contracts at rate 1e6 for every choice of time constants",
                "with these unequal time constants it is globally asymptotically stable"):
        d["statement"] = lie
        loaded = Certificate.load(_write(path, d))
        assert lie not in loaded.statement and loaded.statement == cert.statement
        ver = loaded.verify(net)
        assert ver and lie not in ver.statement and "not claimed" in ver.statement


def test_statement_follows_the_verified_tau(tmp_path):
    net = Network(W=[[0.5, -1.0], [2.0, -0.5]], cell_types="EI")
    cert = certify(net, method="lds")
    assert "with these equal time constants" in cert.statement
    assert "globally asymptotically stable" in cert.statement


# ---------------------------------------------------------------- kinds bound to what they prove
def test_contraction_l2_with_another_tau_does_not_verify(tmp_path):
    net = Network(W=[[0.5, -1.0], [2.0, -0.5]], cell_types="EI")
    cert = certify(net, method="contraction-l2")
    assert cert.certified and cert.kind == "contraction-l2" and cert.verify()
    other = net.replace(tau=[1.0, 10.0])
    path, d = _saved(cert, tmp_path)
    d["tau_hash"] = tau_fingerprint(other.tau)
    d["tau"] = [1.0, 10.0]
    ver = Certificate.load(_write(path, d)).verify(other)
    assert not ver and "equal time constants" in ver.message


def test_contraction_l2_rate_follows_the_time_constant():
    # the LMI proves rate c for τ = 1; with τ = 4 the rate is c / 4, not c
    net = Network(W=[[0.5, -1.0], [2.0, -0.5]], tau=4.0, cell_types="EI")
    cert = certify(net, method="contraction-l2")
    assert cert.certified and cert.verify()
    c = cert.rate * 4.0
    assert not dataclasses.replace(cert, rate=c).verify()


def test_negative_contraction_rate_is_refused():
    # W = [[2]], u = 1 runs away; the LMI holds with c = −2 (an expansion bound), which is no
    # contraction.
    net = Network(W=[[2.0]], u=[1.0])
    P, q = np.array([[1.0]]), np.array([1.0])
    with pytest.raises(ValidationError, match="rate"):
        _cert(net, kind="contraction-l2", weights=P, rate=-2.0, data={"q": q, "c": -2.0})


@pytest.mark.parametrize("field", ["margin", "rate"])
def test_nan_margin_or_rate_is_refused(field, tmp_path):
    net = Network(W=[[0.5, -1.0], [2.0, -0.5]], cell_types="EI")
    cert = certify(net, method="lds" if field == "margin" else "contraction-linf")
    path, d = _saved(cert, tmp_path)
    d[field] = float("nan")
    path.write_text(json.dumps(d))  # json writes NaN
    with pytest.raises(ValidationError, match=field):
        Certificate.load(path)


def test_refusal_without_refutation_is_not_shown_as_verified():
    net = Network(W=[[0.5, -1.0], [2.0, -0.5]], cell_types="EI")
    cert = _cert(net, kind="none", certified=False)
    ver = cert.verify()
    assert not ver.valid and ver.status == "nothing_to_verify"


# ---------------------------------------------------------------- refutations must refute
@pytest.mark.parametrize("n", [61, 100])
def test_underflowing_refutation_does_not_refute(n):
    net = Network(W=np.zeros((n, n)))  # W − I = −I is LDS
    V = np.full((n, 1), 1e-170)
    assert not verify_refutation(net.W - np.eye(n), V)[0]
    cert = _cert(net, kind="none", certified=False, refutation=V)
    assert not cert.verify()


def test_rounding_level_refutation_is_refused_above_the_exact_limit():
    # diag((W − I)X) computed in float can be ≥ 0 by rounding; the rigorous bound must reject it
    n = 70
    rng = np.random.default_rng(0)
    A = -np.eye(n) + 1e-3 * rng.standard_normal((n, n))
    V = rng.standard_normal((n, 1))
    ok, exact, _ = verify_refutation(A, V)
    assert not ok and not exact


def test_singular_lanczos_path_is_inconclusive_not_a_traceback():
    n = 3000
    blk = np.array([[0.5, 0.5], [0.5, 0.5]])
    W = sp.block_diag([blk] * (n // 2), format="csr")
    from eicircuits.errors import SolverError
    from eicircuits.stability._lds import lds_margin

    # ARPACK used to stop with "error -9: starting vector is zero" (v0 = 1 lies in the null
    # space of S). Now a number or our own SolverError, never a traceback. (Lanczos can still
    # miss the eigenvalue 0 of this two-eigenvalue matrix: why its estimates never certify.)
    try:
        m = lds_margin((W - sp.eye_array(n)).tocsr(), np.ones(n))
        assert np.isfinite(m)
    except SolverError:
        pass
    assert not certify(Network(W=W)).certified
    blk2 = np.array([[0.5, -0.5], [-0.5, 0.5]])
    net = Network(W=sp.block_diag([blk2] * (n // 2), format="csr"))
    cert = certify(net)
    assert not cert.certified


# ---------------------------------------------------------------- malformed files
def _good(tmp_path):
    net = Network(W=[[0.5, -1.0], [2.0, -0.5]], cell_types="EI")
    cert = certify(net, method="lds")
    return net, _saved(cert, tmp_path)


@pytest.mark.parametrize(("field", "value"), [
    ("weights", "1, 2"), ("weights", {"a": 1}), ("weights", [[1.0], [1.0, 2.0]]),
    ("weights", [1e308, 1.0]), ("weights", [None, 1.0]), ("weights", [1.0]),
    ("certified", "false"), ("certified", 1), ("n", "2"), ("n", -1), ("kind", 3),
    ("margin", "big"), ("margin", -1.0), ("data", []), ("refutation", "x"),
    ("fingerprint", 5), ("tau", [1.0]), ("tau", "fast"),
])
def test_malformed_fields_name_the_field(field, value, tmp_path):
    _, (path, d) = _good(tmp_path)
    d[field] = value
    with pytest.raises(ValidationError, match=field):
        Certificate.load(_write(path, d))


def test_unknown_and_missing_keys(tmp_path):
    _, (path, d) = _good(tmp_path)
    with pytest.raises(ValidationError, match=r"unknown field.*proof_of_riemann"):
        Certificate.load(_write(path, {**d, "proof_of_riemann": True}))
    for key in ("certified", "kind", "n", "fingerprint", "tau_hash"):
        e = {k: v for k, v in d.items() if k != key}
        with pytest.raises(ValidationError, match=key):
            Certificate.load(_write(path, e))


def test_nan_weight_written_by_json_is_refused(tmp_path):
    _, (path, d) = _good(tmp_path)
    d["weights"] = [float("nan"), 1.0]
    path.write_text(json.dumps(d))
    with pytest.raises(ValidationError, match="weights"):
        Certificate.load(path)


def test_cli_verify_malformed_prints_one_line_and_exits_2(tmp_path, capsys):
    from eicircuits.cli import main

    spec = tmp_path / "wc.toml"
    spec.write_text('[network]\nW = [[0.5, -1.0], [2.0, -0.5]]\ncell_types = "EI"\n')
    _, (path, d) = _good(tmp_path)
    d["certified"] = "false"
    _write(path, d)
    assert main(["verify", str(path), str(spec)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "certified" in err[0]


def test_work_a_file_can_demand_is_capped(tmp_path):
    # weights 2^±1000 make every exact integer thousands of bits long: checked without exact
    # Bareiss on huge numbers, in well under a second
    n = 60
    rng = np.random.default_rng(3)
    W = -0.5 * np.eye(n) + 0.01 * rng.standard_normal((n, n))
    net = Network(W=W)
    p = np.ldexp(1.0, rng.integers(-1000, 1000, n)).astype(float)
    cert = _cert(net, weights=p)
    t = time.perf_counter()
    ver = cert.verify()
    assert time.perf_counter() - t < 5.0
    assert not ver
    # a cascade file claiming one block per neuron costs O(nnz), not O(blocks²)
    m = 1500
    net2 = Network(W=sp.diags_array(np.full(m, 0.5), format="csr"))
    data = {"blocks": [[i] for i in range(m)], "levels": [0] * m, "eps": 0.25,
            "block_margins": [0.5] * m}
    cert2 = _cert(net2, kind="cascade", weights=np.ones(m), data=data)
    t = time.perf_counter()
    assert cert2.verify()
    assert time.perf_counter() - t < 10.0


# ---------------------------------------------------------------- activation contract
class _Steep(Activation):
    """Declares slopes in [0, 1] but has slope 2 (a lie)."""

    name = "steep"

    def __call__(self, z):
        return 2.0 * np.maximum(np.asarray(z, dtype=float), 0.0)

    def derivative(self, z):
        return 2.0 * (np.asarray(z, dtype=float) > 0)

    def inverse(self, y):
        return np.asarray(y, dtype=float) / 2.0

    def g(self, y):
        y = np.asarray(y, dtype=float)
        return np.where(y >= 0, -0.25 * y**2, np.inf)

    def __hash__(self):
        return hash("steep")

    def __eq__(self, other):
        return type(other) is type(self)


class _Sin(_Steep):
    """``sin``: declares slopes in [0, 1], is not monotone."""

    name = "sin"

    def __call__(self, z):
        return np.sin(np.asarray(z, dtype=float))

    def derivative(self, z):
        return np.cos(np.asarray(z, dtype=float))

    def inverse(self, y):
        return np.arcsin(np.asarray(y, dtype=float))

    def g(self, y):
        return np.zeros_like(np.asarray(y, dtype=float))

    def __hash__(self):
        return hash("sin")


@pytest.mark.parametrize("act", [_Steep(), _Sin()])
def test_activation_outside_the_contract_gets_no_certificate(act):
    W = [[0.5, -1.0], [2.0, -0.5]]
    good = certify(Network(W=W, cell_types="EI"))
    assert good.certified
    try:  # the network may refuse the activation itself ...
        net = Network(W=W, activation=act, cell_types="EI")
    except ValidationError:
        net = Network(W=W, cell_types="EI")
    # ... certify and verify check it again, whatever built the network
    object.__setattr__(net, "activation", act)
    with pytest.raises(ValidationError):
        certify(net)
    ver = good.verify(net)
    assert not ver and "activation" in ver.message


def test_declared_slope_above_one_is_refused_with_the_reason():
    from eicircuits.stability._certify import _activation_refusal

    class Wide(_Steep):
        slope_bounds = (0.0, 2.0)

    net = Network(W=[[0.5, -1.0], [2.0, -0.5]], cell_types="EI")
    cert = _activation_refusal(net, (Wide(),))
    assert cert is not None and not cert.certified and "docs/theory.md §9" in cert.statement
    assert _activation_refusal(net, (ReLU(),)) is None


def test_networks_with_delays_get_no_stability_claim():
    W = [[0.5, -1.0], [2.0, -0.5]]
    net = Network(W=W, cell_types="EI", delays=5.0)
    assert net.has_delays
    cert = certify(net)
    assert not cert.certified and "synaptic delays" in cert.statement
    good = certify(Network(W=W, cell_types="EI"))
    ver = good.verify(net.replace(delays=None))
    assert ver
    assert not good.verify(net) and "delays" in good.verify(net).message
    # why: W = [[−3]] (W − I = −4 is LDS) with the linear activation is stable without delay,
    # but ẋ = −x − 3x(t − 1) oscillates with growing amplitude (independent Euler oracle)
    assert certify(Network(W=[[-3.0]])).certified
    dt, lag = 1e-3, 1000
    x = np.zeros(40 * lag)
    x[:lag + 1] = 0.01
    for k in range(lag, x.size - 1):
        x[k + 1] = x[k] + dt * (-x[k] - 3.0 * x[k - lag])
    assert np.max(np.abs(x[-5 * lag:])) > 10 * np.max(np.abs(x[lag:6 * lag]))


# ---------------------------------------------------------------- time limits, large n
def _isn(n, rng, gain=1.6):
    """A sparse E–I network with E→E gain ``gain`` (inhibition-stabilised when > 1), strong
    E→I→E feedback, not ℓ∞-contracting."""
    ne = int(0.8 * n)
    k = 20
    rows, cols, vals = [], [], []
    for i in range(n):
        pre = rng.choice(n, size=k, replace=False)
        pre = pre[pre != i]
        for j in pre:
            rows.append(i)
            cols.append(j)
            vals.append(gain / (0.8 * k) if j < ne else -6.0 / (0.2 * k))
    W = sp.csr_array((vals, (rows, cols)), shape=(n, n))
    return Network(W=W, cell_types="E" * ne + "I" * (n - ne))


def test_inhibition_stabilised_network_is_refuted_by_its_excitatory_subnetwork():
    # ρ(W_EE) > 1: the E–E principal submatrix of W − I is Metzler and not Hurwitz, so W − I is
    # not LDS. Before: the 5000-neuron case ran the LDS ascent for minutes and said nothing.
    net = _isn(2000, np.random.default_rng(1))
    t = time.perf_counter()
    cert = certify(net)
    assert time.perf_counter() - t < 20.0
    assert cert.status == "refuted" and "excitatory subnetwork alone is unstable" in cert.statement
    assert cert.verify() and cert.verify().proof
    # oracle: the dense E–E block has an eigenvalue ≥ 1
    e = net.e_idx
    Wee = net.W.toarray()[np.ix_(e, e)]
    assert np.max(np.linalg.eigvals(Wee).real) >= 1.0


def test_time_limit_is_honoured_and_seconds_are_recorded():
    net = _isn(1500, np.random.default_rng(1), gain=0.9)
    t = time.perf_counter()
    cert = certify(net, time_limit=3.0)
    dt = time.perf_counter() - t
    assert dt < 3.0 + 20.0, dt
    assert "seconds" in cert.stats and cert.stats["seconds"] <= dt + 0.1
    t = time.perf_counter()
    res = lds((net.W - sp.eye_array(net.n)).tocsr(), method="ascent", time_limit=1.0)
    assert time.perf_counter() - t < 1.0 + 15.0
    assert res.seconds > 0


def test_lanczos_estimate_above_the_dense_limit_is_evidence_not_a_proof(monkeypatch):
    from eicircuits.stability import certificate

    monkeypatch.setattr(certificate, "DENSE_VERIFY_LIMIT", 5)
    monkeypatch.setattr(certificate, "EXACT_LIMIT", 2)
    net = Network(W=[[0.5, -1.0, 0, 0, 0, 0], [2.0, -0.5, 0, 0, 0, 0], [0, 0, 0.5, -1.0, 0, 0],
                     [0, 0, 2.0, -0.5, 0, 0], [0.3, 0, 0, 0, 0.5, -1.0], [0, 0, 0, 0, 2.0, -0.5]],
                  cell_types="EIEIEI")
    cert = certify(net, method="sdp", time_limit=30.0)
    assert not cert.certified and cert.status == "numerical_evidence"
    assert cert.margin is not None and cert.margin > 0
    assert "numerical evidence" in cert.statement
    ver = cert.verify()
    assert not ver.proof
    # a file edited to certified=True is not valid: its only check is an estimate
    forged = dataclasses.replace(cert, certified=True)
    fver = forged.verify()
    assert not fver and fver.status == "numerical_evidence"


def test_log_norm_does_not_densify_large_sparse():
    # μ₂(A) = λ_max((A + Aᵀ)/2); a skew-symmetric part does not change it. Densifying this
    # N = 10⁵ matrix would need 74.5 GiB.
    n = 100_000
    d = np.full(n, -2.0)
    d[n // 2] = -1.0
    K = sp.diags_array([np.full(n - 1, 3.0), np.full(n - 1, -3.0)], offsets=[1, -1])
    A = (sp.diags_array(d) + K).tocsr()
    assert log_norm(A, 2) == pytest.approx(-1.0, abs=1e-7)
    # weighted: P = diag(p) scales the symmetric part; with p = 2 it is unchanged
    assert log_norm(A, 2, weights=np.full(n, 2.0)) == pytest.approx(-1.0, abs=1e-7)


# ---------------------------------------------------------------- lds balancing
def test_lds_balances_badly_scaled_matrices():
    A = np.array([[-1.0, -1.76771219e9], [0.0, -1.0]])
    res = lds(A)
    assert res.is_lds is True
    S = res.p[:, None] * A
    assert np.linalg.eigvalsh(S + S.T)[-1] < 0
    B = np.array([[-1.0, -1.76771219e9, 0.0], [0.0, -1.0, 3e8], [0.0, 0.0, -1.0]])
    res = lds(B)
    assert res.is_lds is True
    S = res.p[:, None] * B
    assert np.linalg.eigvalsh(S + S.T)[-1] < 0


# ---------------------------------------------------------------- messages and result shape
def test_refusal_names_the_neuron_and_its_type():
    net = Network(W=[[2.0, -3.0], [3.0, -1.0]], cell_types="EI", names=["L0.E0", "L0.I0"])
    cert = certify(net)
    assert cert.statement.startswith("E neuron 'L0.E0' excites itself with weight 2 > 1")
    net2 = Network(W=[[1.0, 0.5], [0.5, 0.0]])
    assert certify(net2).statement.startswith("neuron '0' excites itself with weight 1 = 1")


def test_cli_verify_leads_with_the_verdict(tmp_path, capsys):
    from eicircuits.cli import main

    spec = tmp_path / "wc.toml"
    spec.write_text('[network]\nW = [[0.5, -1.0], [2.0, -0.5]]\ncell_types = "EI"\n')
    other = tmp_path / "other.toml"
    other.write_text('[network]\nW = [[0.5, -1.0], [2.1, -0.5]]\ncell_types = "EI"\n')
    out = tmp_path / "c.json"
    assert main(["certify", str(spec), "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["verify", str(out), str(spec)]) == 0
    assert capsys.readouterr().out.startswith("VALID")
    assert main(["verify", str(out), str(other)]) == 1
    assert capsys.readouterr().out.startswith("INVALID")


def test_cli_certify_has_a_time_limit(tmp_path, capsys):
    from eicircuits.cli import main

    spec = tmp_path / "wc.toml"
    spec.write_text('[network]\nW = [[0.5, -1.0], [2.0, -0.5]]\ncell_types = "EI"\n')
    assert main(["certify", str(spec), "--time-limit", "5"]) == 0
    assert "CERTIFIED" in capsys.readouterr().out


def test_certificate_and_verification_have_the_common_result_shape():
    from eicircuits._result import Result
    from eicircuits.errors import EICircuitsError

    net = Network(W=[[0.5, -1.0], [2.0, -0.5]], cell_types="EI")
    cert = certify(net)
    ver = cert.verify()
    for r, alias in ((cert, "certified"), (ver, "valid")):
        assert isinstance(r, Result)
        assert r.success is True and getattr(r, alias) is True
        assert isinstance(r.status, str) and isinstance(r.message, str)
        assert isinstance(r.stats, dict)
        assert r.raise_if_failed() is r
        json.dumps(r.to_dict())
    bad = certify(Network(W=[[2.0, -3.0], [3.0, -1.0]], cell_types="EI"))
    assert bad.success is False and bad.status == "refuted"
    with pytest.raises(EICircuitsError, match="excites itself"):
        bad.raise_if_failed()
    assert Certificate.from_dict(cert.to_dict(), network=net).verify()
