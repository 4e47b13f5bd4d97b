"""Noise: convergence orders, stationary covariance, reproducibility, validation.

Oracles: the exact solution of the Ornstein–Uhlenbeck process driven by the *same* Brownian path
(refined by a Brownian bridge from the increments the library drew); the exact moment
recursions of each scheme and the exact moments of the SDE; closed forms of scalar stationary
variances; a Kronecker (vectorised) solve of the Lyapunov equation; long simulated ensembles
with confidence intervals.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from eicircuits import Network, Noise, ValidationError, simulate, simulate_batch
from eicircuits import stationary_covariance as stat_cov
from eicircuits.dynamics import _extended


def _member_normals(seed: int, B: int, N: int, n: int) -> np.ndarray:
    """The standard normals member k draws: child k of SeedSequence(seed), N×n in step order."""
    kids = np.random.SeedSequence(seed).spawn(B)
    return np.stack([np.random.default_rng(k).standard_normal((N, n)) for k in kids])


# --------------------------------------------------------------------------- strong order
def test_euler_maruyama_has_strong_order_one_for_additive_noise():
    """dx = (−1.5x + 1) dt + 0.5 dB against its exact solution on the same path."""
    net = Network(W=[[-0.5]], u=[1.0], activation="linear")
    a, c, sigma, T, B, m = -1.5, 1.0, 0.5, 1.0, 400, 64
    bridge = np.random.default_rng(99)
    errs, dts = [], [2.0**-k for k in range(3, 7)]
    for dt in dts:
        N = round(T / dt)
        res = simulate_batch(net, np.zeros((B, 1)), (0.0, T), dt=dt, noise=Noise(sigma),
                             rng=11, method="euler-maruyama", save_every=N)
        dB = math.sqrt(dt) * _member_normals(11, B, N, 1)[..., 0]  # (B, N)
        z = bridge.standard_normal((B, N, m))
        fine = dB[..., None] / m + math.sqrt(dt / m) * (z - z.mean(axis=-1, keepdims=True))
        s_mid = (np.arange(N)[:, None] * dt + (np.arange(m)[None, :] + 0.5) * dt / m)
        stoch = np.sum(np.exp(a * (T - s_mid))[None] * fine, axis=(1, 2))
        exact = (c / -a) * (1 - math.exp(a * T)) + sigma * stoch
        errs.append(math.sqrt(np.mean((res.final[:, 0] - exact) ** 2)))
    slope = np.polyfit(np.log(dts), np.log(errs), 1)[0]
    assert 0.85 < slope < 1.15, (errs, slope)


# --------------------------------------------------------------------------- weak order
def _ensemble(method: str, h: float):
    """40 000 independent OU paths (4000 uncoupled neurons × 10 members) to T = 1."""
    n, B = 4000, 10
    net = Network(W=sp.diags_array(np.full(n, -0.5), format="csr"), u=np.full(n, 10.0),
                  activation="linear")
    N = round(1.0 / h)
    res = simulate_batch(net, np.zeros((B, n)), (0.0, 1.0), dt=h, noise=Noise(0.2), rng=5,
                         method=method, save_every=N)
    return res.final.ravel()


def _recursion(method: str, h: float, a: float = -1.5, c: float = 10.0, s: float = 0.2):
    """Exact mean and variance of the scheme after 1/h steps from 0."""
    m = v = 0.0
    for _ in range(round(1.0 / h)):
        if method == "euler-maruyama":
            m, v = (1 + a * h) * m + c * h, (1 + a * h) ** 2 * v + s * s * h
        else:
            R = 1 + a * h + (a * h) ** 2 / 2
            m, v = R * m + c * h * (1 + a * h / 2), R * R * v + (s * (1 + a * h / 2)) ** 2 * h
    return m, v


@pytest.mark.parametrize("method, order", [("euler-maruyama", 1), ("stochastic-heun", 2)])
def test_weak_order_on_an_ou_process_with_known_moments(method, order):
    exact_m = (10.0 / 1.5) * (1 - math.exp(-1.5))
    exact_v = 0.04 / 3.0 * (1 - math.exp(-3.0))
    hs = (0.5, 0.25, 0.125)
    bias = []
    for h in hs:
        x = _ensemble(method, h)
        m, v = _recursion(method, h)
        se_m, se_v = math.sqrt(v / x.size), v * math.sqrt(2.0 / (x.size - 1))
        # the samples have the scheme's own moments (4 standard errors) ...
        assert abs(x.mean() - m) < 4 * se_m
        assert abs(x.var(ddof=1) - v) < 4 * se_v
        bias.append(abs(x.mean() - exact_m))
    # ... and the measured weak error of the mean falls at the scheme's order
    slopes = np.log2(np.array(bias[:-1]) / np.array(bias[1:]))
    assert np.all(np.abs(slopes - order) < 0.4 * order), slopes
    assert abs(_recursion(method, 1e-3)[1] - exact_v) < 1e-3 * exact_v * 2


# --------------------------------------------------------------------------- covariance
def _kron_lyapunov(A: np.ndarray, Q: np.ndarray) -> np.ndarray:
    n = A.shape[0]
    K = np.kron(np.eye(n), A) + np.kron(A, np.eye(n))
    return np.linalg.solve(K, -Q.reshape(-1, order="F")).reshape(n, n, order="F")


def _ei3() -> Network:
    W = [[0.4, -0.9, 0.2], [0.8, -0.5, 0.1], [0.3, -0.6, 0.0]]
    return Network(W=W, u=[1.0, 0.8, 0.9], tau=[1.0, 0.5, 1.5], cell_types="EIE")


def test_white_rate_noise_covariance_against_a_kronecker_solve():
    net = _ei3()
    sig = np.array([0.1, 0.2, 0.05])
    res = stat_cov(net, Noise(sig))
    assert res.success and res.status == "stable"
    x = res.x
    lam = net.dphi(net.W @ x + net.u)
    J = ((lam[:, None] * net.W) - np.eye(3)) / net.tau[:, None]
    G = np.diag(sig / net.tau)
    assert np.allclose(res.cov, _kron_lyapunov(J, G @ G.T), rtol=1e-10, atol=1e-14)
    assert np.allclose(res.cov, res.cov.T)


@pytest.mark.parametrize("kind", ["rate", "input"])
def test_scalar_closed_forms_white_and_ou(kind):
    w, tau, sigma, tau_eta = 0.3, 2.0, 0.4, 0.7
    net = Network(W=[[w]], u=[1.0], tau=tau, activation="linear")
    if kind == "rate":
        white = stat_cov(net, Noise(sigma)).cov[0, 0]
        assert math.isclose(white, sigma**2 / (2 * tau * (1 - w)), rel_tol=1e-12)
    ou = stat_cov(net, Noise(sigma, kind=kind, tau=tau_eta)).cov[0, 0]
    alpha, beta, s2 = (1 - w) / tau, 1 / tau_eta, sigma**2 / (2 * tau_eta)
    assert math.isclose(ou, s2 / (tau**2 * alpha * (alpha + beta)), rel_tol=1e-12)


def test_input_noise_leaves_a_silent_relu_neuron_still():
    net = Network(W=[[0.0, 0.0], [0.0, 0.0]], u=[1.0, -1.0])
    res = stat_cov(net, Noise(0.3, kind="input"))
    assert res.cov[1, 1] == 0.0 and res.cov[0, 1] == 0.0
    assert math.isclose(res.cov[0, 0], 0.09 / 2)


def test_unstable_equilibrium_has_no_stationary_law():
    net = Network(W=[[2.0]], u=[-1.0], activation="linear")
    res = stat_cov(net, Noise(0.1), x=[1.0])
    assert not res.success and res.status == "unstable"
    assert np.all(np.isnan(res.cov)) and "not stable" in res.message
    with pytest.raises(Exception, match="unstable"):
        res.raise_if_failed()


@pytest.mark.parametrize("noise", [Noise([0.05, 0.08]), Noise([0.1, 0.05], kind="input",
                                                               tau=0.5)],
                         ids=["white-rate", "ou-input"])
def test_covariance_matches_a_long_simulated_ensemble(noise):
    net = Network(W=[[0.5, -1.0], [1.0, -0.5]], u=[1.0, 0.5], tau=[1.0, 0.5],
                  cell_types="EI")
    res = stat_cov(net, noise)
    B = 3000
    run = simulate_batch(net, np.tile(res.x, (B, 1)), (0.0, 12.0), dt=0.02, noise=noise,
                         rng=2024, method="stochastic-heun", save_every=600)
    X = run.final
    assert np.all(X > 0)  # small noise: no neuron reached its kink
    emp = np.cov(X.T)
    S = res.cov
    se = np.sqrt((np.outer(np.diag(S), np.diag(S)) + S**2) / B)
    assert np.all(np.abs(emp - S) < 4 * se), (emp, S)
    assert np.all(np.abs(X.mean(axis=0) - res.x) < 4 * np.sqrt(np.diag(S) / B) + 1e-3)


# --------------------------------------------------------------------------- reproducibility
NET = Network(W=[[0.5, -1.0], [1.0, -0.5]], u=[1.0, 0.5], cell_types="EI")


@pytest.mark.parametrize("noise", [Noise(0.2), Noise(0.3, kind="input", tau=0.4)])
@pytest.mark.parametrize("method", ["euler-maruyama", "stochastic-heun"])
def test_reproducible_by_seed_and_independent_of_chunking(noise, method, monkeypatch):
    kw = {"dt": 0.01, "noise": noise, "method": method, "save_every": 25}
    full = simulate_batch(NET, np.zeros((6, 2)), (0.0, 3.0), rng=42, **kw)
    again = simulate_batch(NET, np.zeros((6, 2)), (0.0, 3.0), rng=42, **kw)
    assert np.array_equal(full.x, again.x)
    other = simulate_batch(NET, np.zeros((6, 2)), (0.0, 3.0), rng=43, **kw)
    assert not np.allclose(full.x, other.x)
    kids = np.random.SeedSequence(42).spawn(6)
    head = simulate_batch(NET, np.zeros((2, 2)), (0.0, 3.0), rng=kids[:2], **kw)
    tail = simulate_batch(NET, np.zeros((4, 2)), (0.0, 3.0), rng=kids[2:], **kw)
    assert np.array_equal(np.concatenate([head.x, tail.x]), full.x)
    for k in (0, 4):
        one = simulate(NET, np.zeros(2), (0.0, 3.0), rng=kids[k], **kw)
        assert np.allclose(one.x, full.x[k], rtol=1e-14, atol=1e-15)
    assert np.array_equal(simulate(NET, np.zeros(2), (0.0, 3.0), rng=42, **kw).x, full.x[0])
    monkeypatch.setattr(_extended, "_BLOCK_FLOATS", 7)  # draw a few steps at a time
    small = simulate_batch(NET, np.zeros((6, 2)), (0.0, 3.0), rng=42, **kw)
    assert np.array_equal(small.x, full.x)


def test_noise_free_stochastic_schemes_are_euler_and_heun():
    for sde, ode in (("euler-maruyama", "euler"), ("stochastic-heun", "heun")):
        a = simulate(NET, [0.1, 0.2], (0.0, 2.0), dt=0.05, method=sde)
        b = simulate(NET, [0.1, 0.2], (0.0, 2.0), dt=0.05, method=ode)
        assert np.allclose(a.x, b.x, rtol=1e-14, atol=1e-15)
    z = simulate(NET, [0.1, 0.2], (0.0, 2.0), dt=0.05, noise=Noise(0.0), rng=1)
    assert np.allclose(z.x, simulate(NET, [0.1, 0.2], (0.0, 2.0), dt=0.05, method="euler").x)


def test_noise_is_recorded_and_voltage_form_runs():
    traj = simulate(NET, [0.0, 0.0], (0.0, 1.0), dt=0.01, noise=Noise(0.1), rng=3)
    assert traj.method == "euler-maruyama" and traj.seed == 3
    attrs = traj.to_xarray().attrs
    assert Noise.from_spec(__import__("json").loads(attrs["noise"])).to_spec() == \
        Noise(0.1).to_spec()
    assert attrs["seed"] == "3"
    v = simulate(NET, [0.0, 0.0], (0.0, 1.0), dt=0.01, noise=Noise(0.1, kind="input"),
                 rng=3, form="voltage")
    assert v.status == "success"


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize("call, match", [
    (lambda: Noise(-0.1), "sigma: every entry must be finite and ≥ 0"),
    (lambda: Noise("0.1"), "sigma: expected a number"),
    (lambda: Noise([[0.1]]), "sigma: expected a scalar or shape"),
    (lambda: Noise(0.1, kind="voltage"), "kind: expected 'rate' or 'input'"),
    (lambda: Noise(0.1, tau=0.0), "tau: the correlation time must be"),
    (lambda: Noise(0.1, tau=True), "tau: the correlation time must be"),
    (lambda: Noise.from_spec({"sigma": 1, "x": 2}), "unknown key 'x'"),
    (lambda: simulate(NET, [0, 0], (0, 1), dt=0.1, noise=Noise([0.1, 0.2, 0.3])),
     "sigma has 3 entries, the network has 2"),
    (lambda: simulate(NET, [0, 0], (0, 1), dt=0.1, noise=Noise(0.1), method="rk4"),
     "is deterministic; with noise use 'euler-maruyama'"),
    (lambda: simulate(NET, [0, 0], (0, 1), noise=Noise(0.1)), "dt: the fixed-step method"),
    (lambda: simulate(NET, [0, 0], (0, 1), dt=0.1, noise=Noise(0.1, kind="input")),
     "white noise inside the input"),
    (lambda: simulate(NET, [0, 0], (0, 1), dt=0.1, noise=0.1), "noise: expected an"),
    (lambda: simulate(NET, [0, 0], (0, 1), dt=0.1, noise=Noise(0.1), until_steady=1e-3),
     "never becomes steady"),
    (lambda: simulate(NET, [0, 0], (0, 1), dt=0.1, noise=Noise(0.1), checkpoint="x.npz"),
     "cannot be checkpointed"),
    (lambda: simulate(NET, [0, 0], (0, 1), dt=0.1, noise=Noise(0.1), backend="jax"),
     "noise: not available with backend='jax'"),
    (lambda: simulate(NET, [0, 0], (0, 1), dt=0.1, noise=Noise(0.1), rng="seed"),
     "rng: expected an integer seed"),
    (lambda: simulate(NET, [0, 0], (0, 1), dt=0.1, noise=Noise(0.1), rng=-1),
     "rng: a seed must be"),
    (lambda: simulate_batch(NET, np.zeros((3, 2)), (0, 1), dt=0.1, noise=Noise(0.1),
                            method="euler-maruyama", rng=[1, 2]), "one per member"),
    (lambda: simulate_batch(NET, np.zeros((2, 2)), (0, 1), dt=0.1, noise=Noise(0.1),
                            method="euler-maruyama", backend="jax"), "backend: 'jax'"),
    (lambda: stat_cov(NET, 0.1), "noise: expected an eicircuits.Noise"),
    (lambda: stat_cov(NET, Noise(0.1), x=[5.0, 5.0]), "x: not an equilibrium"),
])
def test_bad_noise_arguments_are_refused_with_a_message(call, match):
    with pytest.raises(ValidationError, match=match):
        call()


def test_covariance_refuses_huge_networks():
    from eicircuits.errors import SizeLimitError
    from eicircuits.noise import COVARIANCE_LIMIT

    n = COVARIANCE_LIMIT // 2 + 1
    net = Network(W=sp.csr_array((n, n)), u=np.ones(n))
    with pytest.raises(SizeLimitError, match="Lyapunov equation"):
        stat_cov(net, Noise(0.1, tau=1.0), x=np.ones(n))


def test_cli_noise_flags_are_reproducible_and_recorded(tmp_path, capsys):
    import json

    from eicircuits.cli import main

    spec = tmp_path / "c.toml"
    spec.write_text('[network]\nW = [[0.5, -1.0], [1.0, -0.5]]\nu = [1.0, 0.5]\n'
                    'cell_types = "EI"\n', encoding="utf-8")
    runs = []
    for k in range(2):
        out = tmp_path / f"o{k}"
        assert main(["simulate", str(spec), "--t-end", "2", "--dt", "0.01", "--noise", "0.1",
                     "--noise-tau", "0.5", "--seed", "5", "--out", str(out), "--quiet"]) == 0
        runs.append(json.loads((out / "simulate.json").read_text()))
    assert runs[0]["final"] == runs[1]["final"]
    assert runs[0]["noise"] == {"sigma": 0.1, "kind": "rate", "tau": 0.5}
    assert runs[0]["seed"] == 5 and runs[0]["method"] == "euler-maruyama"
    direct = simulate(Network(W=[[0.5, -1.0], [1.0, -0.5]], u=[1.0, 0.5], cell_types="EI"),
                      np.zeros(2), (0.0, 2.0), dt=0.01, noise=Noise(0.1, tau=0.5), rng=5)
    assert np.allclose(runs[0]["final"], direct.final, rtol=1e-13)
    capsys.readouterr()
    assert main(["simulate", str(spec), "--seed", "1", "--out", str(tmp_path / "x"),
                 "--quiet"]) == 2
    assert "need --noise SIGMA" in capsys.readouterr().err


def test_white_noise_euler_maruyama_is_the_same_on_the_numba_kernel():
    pytest.importorskip("numba")
    for form, noise in (("rate", Noise([0.1, 0.3])), ("voltage", Noise(0.2, kind="input"))):
        kw = {"dt": 0.01, "noise": noise, "rng": 4, "form": form, "save_every": 50}
        a = simulate(NET, [0.0, 0.0], (0.0, 5.0), backend="numba", **kw)
        b = simulate(NET, [0.0, 0.0], (0.0, 5.0), backend="numpy", **kw)
        assert np.allclose(a.x, b.x, rtol=1e-13, atol=1e-14)
    with pytest.raises(ValidationError, match="backend: 'numba'"):
        simulate(NET, [0.0, 0.0], (0.0, 1.0), dt=0.01, noise=Noise(0.1, tau=1.0),
                 backend="numba")


def test_an_unseeded_run_records_its_seed_and_can_be_repeated():
    a = simulate(NET, [0.0, 0.0], (0.0, 1.0), dt=0.01, noise=Noise(0.2))
    assert isinstance(a.seed, int)
    b = simulate(NET, [0.0, 0.0], (0.0, 1.0), dt=0.01, noise=Noise(0.2), rng=a.seed)
    assert np.array_equal(a.x, b.x)
    c = simulate_batch(NET, np.zeros((2, 2)), (0.0, 1.0), dt=0.01, noise=Noise(0.2),
                       method="euler-maruyama")
    d = simulate_batch(NET, np.zeros((2, 2)), (0.0, 1.0), dt=0.01, noise=Noise(0.2),
                       method="euler-maruyama", rng=c.seed)
    assert isinstance(c.seed, int) and np.array_equal(c.x, d.x)
