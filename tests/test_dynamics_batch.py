"""Tests of eicircuits.dynamics.simulate_batch against independent oracles.

Oracles: each member against its own ``simulate(..., method=same, dt=same)`` (the one-run
fixed-step path); the JAX backend against the NumPy one (float64, every method and every
built-in activation, dense and sparse W); the closed form ``x* + e^{At}(x0 − x*)``
(``scipy.linalg.expm``) for a linear network; a scalar runaway ``ẋ = −x + [2x + u]₊`` whose
members with ``u > 0`` blow up and the others decay.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from typing import ClassVar

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.linalg import expm

from eicircuits import (
    Linear,
    Logistic,
    Network,
    ReLU,
    SizeLimitError,
    Softplus,
    Tanh,
    ValidationError,
    simulate,
)
from eicircuits.activations import Activation, ClippedReLU, Scaled
from eicircuits.dynamics import BatchTrajectory, Trajectory, _batch, _jax, simulate_batch

METHODS = ["euler", "exp-euler", "heun", "midpoint", "rk4"]
BUILTIN = [ReLU(), ClippedReLU(0.7), Linear(), Tanh(), Logistic(), Softplus(),
           Scaled(Tanh(), 2.0)]


# --------------------------------------------------------------------------- helpers
def ei_net(n_e: int, n_i: int, *, seed: int, act=None, sparse: bool = False,
           density: float = 1.0) -> Network:
    """A random E–I network with Dale signs and spectral radius of W equal to 0.6."""
    rng = np.random.default_rng(seed)
    n = n_e + n_i
    W = rng.uniform(0.0, 1.0, (n, n)) * (rng.uniform(size=(n, n)) < density)
    W[:, n_e:] *= -1.5
    W *= 0.6 / max(abs(np.linalg.eigvals(W)).max(), 1e-12)
    return Network(W=sp.csr_array(W) if sparse else W, tau=rng.uniform(0.5, 2.0, n),
                   u=rng.uniform(0.2, 1.0, n), activation=act if act is not None else ReLU(),
                   cell_types="E" * n_e + "I" * n_i)


def mixed_net(*, seed: int, sparse: bool = False) -> Network:
    """Seven neurons, one per built-in activation (plus a scaled one), sparse-ish W."""
    base = ei_net(5, 2, seed=seed, density=0.6)
    return base.replace(W=sp.csr_array(base.W) if sparse else base.W, activation=BUILTIN)


def batch_inputs(net: Network, B: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.0, 2.0, (B, net.n)), rng.uniform(-0.5, 1.5, (B, net.n))


@dataclasses.dataclass(frozen=True)
class Cubic(Activation):
    """A user activation (not built in): ``z − z³/3`` clipped to slope ≥ 0 near 0."""

    slope_bounds: ClassVar[tuple[float, float]] = (0.0, 1.0)

    def __call__(self, z):
        z = np.clip(np.asarray(z, dtype=float), -1.0, 1.0)
        return z - z**3 / 3.0

    def derivative(self, z):
        z = np.asarray(z, dtype=float)
        return np.where(np.abs(z) < 1.0, 1.0 - z**2, 0.0)

    def inverse(self, y):  # pragma: no cover - not used here
        raise NotImplementedError

    def g(self, y):  # pragma: no cover - not used here
        raise NotImplementedError


needs_jax = pytest.mark.skipif(not _jax.available(), reason="jax is not installed")


# --------------------------------------------------------------------------- numpy vs simulate
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("form", ["rate", "voltage"])
@pytest.mark.parametrize("sparse", [False, True])
def test_numpy_batch_matches_simulate_per_member(method, form, sparse):
    net = mixed_net(seed=1, sparse=sparse)
    X0, U = batch_inputs(net, 4, seed=2)
    # 2.005 / 0.01 is not whole: the last step is shortened, as in simulate
    span, dt = (0.0, 2.005), 0.01
    res = simulate_batch(net, X0, span, dt=dt, u=U, method=method, form=form, save_every=7,
                         backend="numpy")
    assert isinstance(res, BatchTrajectory)
    assert res.backend == "numpy" and res.status.tolist() == ["success"] * 4
    for k in range(4):
        ref = simulate(net, X0[k], span, u=U[k], method=method, dt=dt, form=form, save_every=7)
        np.testing.assert_array_equal(res.t, ref.t)
        np.testing.assert_allclose(res.x[k], ref.x, rtol=0, atol=1e-12)
        got = res.member(k)
        assert isinstance(got, Trajectory)
        assert (got.status, got.steps, got.nfev, got.method, got.dt) == (
            ref.status, ref.steps, ref.nfev, ref.method, ref.dt)
        assert got.message == ref.message


def test_shared_x0_or_shared_u_broadcast():
    net = ei_net(3, 2, seed=3)
    X0, U = batch_inputs(net, 3, seed=4)
    shared_x0 = simulate_batch(net, X0[0], (0, 1), dt=0.05, u=U, backend="numpy")
    shared_u = simulate_batch(net, X0, (0, 1), dt=0.05, u=U[1], backend="numpy")
    default_u = simulate_batch(net, X0, (0, 1), dt=0.05, backend="numpy")
    assert shared_x0.x.shape == shared_u.x.shape == default_u.x.shape == (3, 21, 5)
    for k in range(3):
        a = simulate(net, X0[0], (0, 1), u=U[k], method="rk4", dt=0.05)
        b = simulate(net, X0[k], (0, 1), u=U[1], method="rk4", dt=0.05)
        c = simulate(net, X0[k], (0, 1), method="rk4", dt=0.05)
        np.testing.assert_allclose(shared_x0.x[k], a.x, rtol=0, atol=1e-12)
        np.testing.assert_allclose(shared_u.x[k], b.x, rtol=0, atol=1e-12)
        np.testing.assert_allclose(default_u.x[k], c.x, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(default_u.u, np.broadcast_to(net.u, (3, 5)))
    scalar = simulate_batch(net, X0, (0, 1), dt=0.05, u=0.3, backend="numpy")
    np.testing.assert_array_equal(scalar.u, np.full((3, 5), 0.3))


def test_user_activation_runs_on_numpy():
    net = ei_net(2, 1, seed=5, act=Cubic())
    X0, U = batch_inputs(net, 2, seed=6)
    res = simulate_batch(net, X0, (0, 1), dt=0.02, u=U, method="heun", backend="auto")
    assert res.backend == "numpy"
    for k in range(2):
        ref = simulate(net, X0[k], (0, 1), u=U[k], method="heun", dt=0.02)
        np.testing.assert_allclose(res.x[k], ref.x, rtol=0, atol=1e-12)


# --------------------------------------------------------------------------- closed form
@pytest.mark.parametrize("backend", ["numpy", pytest.param("jax", marks=needs_jax)])
def test_linear_network_matches_expm(backend):
    rng = np.random.default_rng(7)
    n, B = 4, 3
    W = rng.normal(0, 0.3, (n, n))
    tau = rng.uniform(0.5, 1.5, n)
    net = Network(W=W, tau=tau, activation=Linear())
    X0, U = rng.normal(size=(B, n)), rng.normal(size=(B, n))
    A = (W - np.eye(n)) / tau[:, None]
    assert np.linalg.eigvals(A).real.max() < 0
    res = simulate_batch(net, X0, (0.0, 3.0), dt=0.01, u=U, method="rk4", save_every=50,
                         backend=backend)
    assert res.backend == backend
    for k in range(B):
        xs = np.linalg.solve(np.eye(n) - W, U[k])
        exact = np.array([xs + expm(A * t) @ (X0[k] - xs) for t in res.t])
        np.testing.assert_allclose(res.x[k], exact, rtol=0, atol=1e-9)  # rk4: O(dt⁴)


# --------------------------------------------------------------------------- divergence
def runaway() -> tuple[Network, np.ndarray, np.ndarray]:
    """``ẋ = −x + [2x + u]₊``: x = 0 stays for u ≤ 0; x grows like e^t for u > 0."""
    net = Network(W=[[2.0]], u=[0.0])
    return net, np.zeros((4, 1)), np.array([[-1.0], [5.0], [-0.2], [0.0]])


@pytest.mark.parametrize("backend", ["numpy", pytest.param("jax", marks=needs_jax)])
def test_only_the_diverging_member_is_flagged(backend):
    net, X0, U = runaway()
    res = simulate_batch(net, X0, (0.0, 30.0), dt=0.01, u=U, method="rk4", bound=1e6,
                         save_every=100, backend=backend)
    assert res.status.tolist() == ["success", "diverged", "success", "success"]
    assert np.all(np.isfinite(res.x))
    assert "diverged: neuron 0" in res.messages[1] and "bound on |x|: 1e+06" in res.messages[1]
    assert res.messages[0].startswith("integrated to t = 30")
    np.testing.assert_array_equal(res.x[[0, 2, 3]], 0.0)
    # x(t) = 5(e^t − 1) reaches 1e6 at t = ln(2e5 + 1) ≈ 12.21
    t_hit = np.log(1e6 / 5.0 + 1.0)
    assert t_hit - 0.011 < res.t_stop[1] < t_hit
    assert res.steps[1] < 3000 and res.steps[0] == 3000
    after = res.t > res.t_stop[1]
    assert after.any()
    np.testing.assert_array_equal(res.x[1, after], np.broadcast_to(res.x[1, -1], (after.sum(), 1)))
    assert abs(res.x[1, -1, 0]) <= 1e6
    ref = simulate(net, X0[1], (0.0, 30.0), u=U[1], method="rk4", dt=0.01, bound=1e6,
                   save_every=100)
    got = res.member(1)
    assert (got.status, got.steps) == (ref.status, ref.steps) == ("diverged", res.steps[1])
    np.testing.assert_allclose(got.t, ref.t, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got.x, ref.x, rtol=1e-12, atol=0)
    assert got.message == ref.message
    assert "1 diverged" in res.summary() and "member 1" in res.summary()


@pytest.mark.parametrize("backend", ["numpy", pytest.param("jax", marks=needs_jax)])
def test_all_members_diverging_keep_finite_rows(backend):
    net, X0, _ = runaway()
    res = simulate_batch(net, X0, (0.0, 1000.0), dt=0.1, u=np.ones((4, 1)), method="euler",
                         bound=1e3, save_every=10, backend=backend)
    assert res.status.tolist() == ["diverged"] * 4
    assert np.all(np.isfinite(res.x)) and np.all(np.abs(res.x) <= 1e3)
    # x_{k+1} = x_k + 0.1(x_k + 1) = 1.1 x_k + 0.1 from 0: x_k = 1.1^k − 1 > 1e3 first at k = 73
    assert res.steps.tolist() == [72] * 4
    np.testing.assert_allclose(res.x[:, -1, 0], 1.1**72 - 1, rtol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", pytest.param("jax", marks=needs_jax)])
def test_overflow_to_inf_is_caught_not_saved(backend):
    # ẋ = −x + 1e150 x: one Euler step multiplies x by ~1e148, so x overflows within 3 steps
    net = Network(W=[[1e150]], activation=Linear())
    res = simulate_batch(net, [[0.0], [1.0]], (0.0, 1.0), dt=0.01, method="euler",
                         bound=1e308, backend=backend)
    assert res.status.tolist() == ["success", "diverged"]
    assert "became non-finite" in res.messages[1]
    assert np.all(np.isfinite(res.x)) and res.steps[1] == 2
    np.testing.assert_array_equal(res.x[0], 0.0)


# --------------------------------------------------------------------------- jax vs numpy
JAX_CASES = [(m, sparse, "rate") for m in METHODS for sparse in (False, True)]
JAX_CASES += [("rk4", False, "voltage"), ("exp-euler", True, "voltage")]


@needs_jax
@pytest.mark.parametrize(("method", "sparse", "form"), JAX_CASES)
def test_jax_matches_numpy_every_method_and_activation(method, sparse, form):
    # one neuron per built-in activation (mixed_net), so every jax.numpy version is compared
    net = mixed_net(seed=8, sparse=sparse)
    X0, U = batch_inputs(net, 5, seed=9)
    X0, U = 3.0 * X0 - 1.5, 4.0 * U - 2.0  # reach the saturating and negative parts of each one
    kw = dict(dt=0.01, u=U, method=method, form=form, save_every=9)
    ref = simulate_batch(net, X0, (0.0, 1.005), backend="numpy", **kw)
    res = simulate_batch(net, X0, (0.0, 1.005), backend="jax", **kw)
    assert res.backend == "jax"
    np.testing.assert_array_equal(res.t, ref.t)
    np.testing.assert_array_equal(res.saved_steps, ref.saved_steps)
    np.testing.assert_allclose(res.x, ref.x, rtol=0, atol=1e-12)
    assert res.status.tolist() == ref.status.tolist() == ["success"] * 5
    # the activations really were exercised on both sides of their kinks
    Z = ref.x if form == "voltage" else (
        np.einsum("ij,btj->bti", net.dense_W(), ref.x) + U[:, None, :])
    assert (Z < -0.5).any(axis=(0, 1)).all() and (Z > 1.0).any(axis=(0, 1)).all()


@needs_jax
def test_jax_leaves_global_config_and_auto_picks_it_for_large_batches(monkeypatch):
    import jax

    before = bool(jax.config.jax_enable_x64)
    net = ei_net(40, 10, seed=12)
    X0, U = batch_inputs(net, 64, seed=13)
    work = 160 * 4 * 64 * (50 * 50 + 50)  # steps × stages × B × (synapses + n) ≈ 1.04e8
    monkeypatch.setattr(_batch, "JAX_MIN_WORK", work)
    res = simulate_batch(net, X0, (0.0, 1.6), dt=0.01, u=U, save_every=40)
    assert res.backend == "jax" and res.x.dtype == np.float64
    assert bool(jax.config.jax_enable_x64) == before
    short = simulate_batch(net, X0, (0.0, 1.59), dt=0.01, u=U, save_every=40)
    assert short.backend == "numpy"  # one step less: below the work threshold
    small = simulate_batch(net, X0[:63], (0.0, 1.6), dt=0.01, u=U[:63], save_every=40)
    assert small.backend == "numpy"  # below JAX_MIN_BATCH
    np.testing.assert_allclose(res.x[:63], small.x, rtol=0, atol=1e-12)
    user = simulate_batch(net.replace(activation=Cubic()), X0, (0.0, 1.6), dt=0.01, u=U,
                          save_every=40)
    assert user.backend == "numpy"


@needs_jax
def test_jax_rejects_user_activation():
    net = ei_net(2, 1, seed=14, act=Cubic())
    with pytest.raises(ValidationError, match=r"Cubic\(\).*backend='numpy'"):
        simulate_batch(net, np.zeros(3), (0, 1), dt=0.1, backend="jax")
    nested = net.replace(activation=Scaled(Cubic(), 2.0))
    with pytest.raises(ValidationError, match=r"activation Cubic\(\)"):
        simulate_batch(nested, np.zeros(3), (0, 1), dt=0.1, backend="jax")


def test_jax_missing_is_a_clear_error_and_auto_falls_back(monkeypatch):
    monkeypatch.setattr(_jax, "available", lambda: False)
    monkeypatch.setattr(_batch, "JAX_MIN_WORK", 1.0)
    net = ei_net(40, 10, seed=15)
    X0, U = batch_inputs(net, 64, seed=16)
    with pytest.raises(ValidationError, match=r"jax.*not installed.*backend='numpy'"):
        simulate_batch(net, X0, (0, 1), dt=0.1, u=U, backend="jax")
    res = simulate_batch(net, X0, (0.0, 1.6), dt=0.01, u=U, save_every=160)
    assert res.backend == "numpy"


def test_importing_eicircuits_does_not_import_jax():
    code = ("import sys, numpy as np, eicircuits; from eicircuits.dynamics import simulate_batch;"
            "simulate_batch(eicircuits.Network(W=[[0.5]]), np.zeros(1), (0, 1), dt=0.1, "
            "backend='numpy'); print('jax' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- results
def test_to_xarray_and_member_indexing():
    pytest.importorskip("xarray")
    net, X0, U = runaway()
    net = net.replace(names=["e"], cell_types="E")
    res = simulate_batch(net, X0, (0.0, 20.0), dt=0.05, u=U, bound=1e4, save_every=40,
                         backend="numpy")
    da = res.to_xarray()
    assert da.dims == ("batch", "time", "neuron")
    assert da.shape == (4, len(res.t), 1)
    assert da["status"].values.tolist() == ["success", "diverged", "success", "success"]
    assert da["neuron"].values.tolist() == ["e"] and da["cell_type"].values.tolist() == ["E"]
    np.testing.assert_array_equal(da["u"].values, U)
    assert da.attrs["method"] == "rk4" and da.attrs["dt"] == 0.05
    assert res.member(-3).status == "diverged"
    with pytest.raises(ValidationError, match=r"member index in \[-4, 4\)"):
        res.member(4)
    assert "B=4, diverged=1" in repr(res)
    with pytest.raises(ValueError, match="read-only"):
        res.x[0, 0, 0] = 1.0


# --------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(x0=np.zeros((2, 4))), r"x0: expected shape \(3,\).*\(B, 3\).*got shape \(2, 4\)"),
        (dict(x0=np.zeros((2, 2, 3))), r"x0: expected shape .*got shape \(2, 2, 3\)"),
        (dict(x0=np.zeros((0, 3))), r"x0: .*B ≥ 1.*got shape \(0, 3\)"),
        (dict(x0=[[0.0, np.nan, 0.0]]), r"x0: every entry must be finite; x0\[0, 1\] = nan"),
        (dict(u=[[0.0, 1.0, np.inf]]), r"u: every entry must be finite; u\[0, 2\] = inf"),
        (dict(x0=np.zeros((2, 3)), u=np.zeros((3, 3))), r"batch sizes differ: x0 has 2 rows"),
        (dict(dt=0.0), r"dt: must be a finite number > 0, got 0.0"),
        (dict(dt=-0.1), r"dt: must be a finite number > 0, got -0.1"),
        (dict(dt=None), r"dt: expected a number > 0, got None"),
        (dict(t_span=(1.0, 1.0)), r"t_span: need t1 > t0"),
        (dict(method="RK45"), r"method: unknown fixed-step method 'RK45'.*eicircuits.simulate"),
        (dict(method="rk5"), r"method: unknown fixed-step method 'rk5'; expected one of"),
        (dict(backend="torch"), r"backend: expected one of \('auto', 'numpy', 'numba', 'jax'\)"),
        (dict(form="hopfield"), r"form: expected 'rate' or 'voltage'"),
        (dict(save_every=0), r"save_every: expected an integer ≥ 1, got 0"),
        (dict(bound=-1.0), r"bound: must be a finite number > 0"),
        (dict(threads="many"), r"threads"),
        (dict(net="not a network"), r"net: expected an eicircuits.Network, got str"),
    ],
)
def test_bad_inputs_raise(kwargs, match):
    args = dict(net=ei_net(2, 1, seed=17), x0=np.zeros((2, 3)), t_span=(0.0, 1.0), dt=0.1,
                backend="numpy")
    args.update(kwargs)
    net, x0, t_span = args.pop("net"), args.pop("x0"), args.pop("t_span")
    with pytest.raises(ValidationError, match=match):
        simulate_batch(net, x0, t_span, **args)


def test_output_size_limit(monkeypatch):
    monkeypatch.setattr(_batch, "MAX_OUTPUT_BYTES", 100)
    with pytest.raises(SizeLimitError, match=r"save_every: saving 11 rows of 2 members"):
        simulate_batch(ei_net(2, 1, seed=18), np.zeros((2, 3)), (0, 1), dt=0.1,
                       backend="numpy")
