"""``simulate(..., dtype=np.float32)``: the fixed-step path in single precision.

Oracle: the same run in float64 (numba and NumPy backends), with a tolerance from a rounding
error estimate on a network whose Euler map is a contraction in the ∞-norm; the float32
logistic against ``scipy.special.expit`` in float32 ulp; divergence, flush and validation.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from eicircuits import Network, Noise, simulate, stimulus
from eicircuits.activations import Logistic, ReLU
from eicircuits.dynamics import _kernels
from eicircuits.errors import ValidationError

needs_numba = pytest.mark.skipif(not _kernels.available(), reason="numba not installed")
BACKENDS = ["numpy", pytest.param("numba", marks=needs_numba)]
U32 = float(np.finfo(np.float32).eps) / 2  # unit roundoff of float32


def contracting_net(n: int = 160, L: float = 0.7, seed: int = 0) -> Network:
    """Dense E–I network with ``max_i Σ_j |W_ij| = L`` and the logistic ``φ(z) = σ(4z)``
    (slope ≤ 1): ``T(x) = Φ(Wx + u)`` is an ∞-norm contraction with constant ``L``."""
    rng = np.random.default_rng(seed)
    ne = n // 2
    W = rng.exponential(1.0, (n, n))
    W[:, ne:] *= -1.0
    W *= L / np.abs(W).sum(axis=1, keepdims=True)
    u = rng.uniform(-0.5, 0.5, n)
    return Network(W=W, u=u, tau=rng.uniform(0.8, 1.2, n), activation=Logistic(),
                   cell_types="E" * ne + "I" * (n - ne))


def rounding_bound(net: Network, x: np.ndarray, dt: float) -> float:
    """∞-norm bound on |x₃₂ − x₆₄| for explicit Euler on :func:`contracting_net`.

    With ``c = dt/τ ≤ 1`` the Euler map ``x ↦ x + c(T(x) − x)`` contracts with factor
    ``ρ = 1 − c_min(1 − L)``, so per-step errors ``e`` add up to at most ``e / (1 − ρ)``. One
    float32 step commits (standard bounds, γ_k ≈ k·u): ≤ 3u·|x| in the update, and ``c`` times
    the error of ``T``: the dot product (≤ (n + 2)u·(Σ|W||x| + |u|), rounding of ``W``, ``u``
    included) through the slope ≤ 1, plus ≤ 8u for the activation (a few ulp of a value ≤ 1).
    """
    n = net.n
    c = dt / net.tau
    X = float(np.max(np.abs(x)))
    S = float(np.max(np.abs(net.W) @ np.abs(x).max(axis=0) + np.abs(net.u)))
    L = float(np.max(np.abs(net.W).sum(axis=1)))
    e = U32 * (3 * X + float(c.max()) * ((n + 2) * S + 8))
    return e / (float(c.min()) * (1 - L))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method", ["euler", "exp-euler", "rk4"])
def test_float32_agrees_with_float64_to_float32_rounding(backend, method):
    net = contracting_net()
    x0 = np.random.default_rng(1).uniform(0.0, 1.0, net.n)
    kw = dict(method=method, dt=0.1, backend=backend, save_every=10)
    a = simulate(net, x0, (0.0, 100.0), **kw)
    b = simulate(net, x0, (0.0, 100.0), dtype=np.float32, **kw)
    assert a.x.dtype == np.float64 and b.x.dtype == np.float32 and b.t.dtype == np.float64
    assert b.success and b.x.shape == a.x.shape
    np.testing.assert_array_equal(a.t, b.t)
    err = float(np.max(np.abs(b.x - a.x)))
    bound = rounding_bound(net, a.x, 0.1)
    assert bound < 1e-4  # the estimate: float32 accuracy, amplified by 1/(c(1 − L))
    assert err <= bound, (err, bound)
    assert err > 0  # really computed in float32 (float64 would agree to ~1e-15)
    assert err > 1e3 * float(np.max(np.abs(simulate(net, x0, (0.0, 100.0), **{
        **kw, "backend": "numpy"}).x - a.x)))


@needs_numba
def test_float32_numba_and_numpy_backends_agree():
    net = contracting_net(n=37)
    x0 = np.linspace(0.0, 1.0, net.n)
    kw = dict(method="heun", dt=0.02, save_every=50, dtype=np.float32)
    a = simulate(net, x0, (0.0, 20.0), backend="numba", **kw)
    b = simulate(net, x0, (0.0, 20.0), backend="numpy", **kw)
    np.testing.assert_allclose(a.x, b.x, rtol=0, atol=rounding_bound(net, a.x, 0.02))


@needs_numba
def test_float32_logistic_kernel_within_a_few_float32_ulp():
    from eicircuits.dynamics._numba_kernels import phi_inplace

    rng = np.random.default_rng(0)
    z = np.concatenate([np.linspace(-40.0, 40.0, 20_001), rng.normal(0.0, 2.0, 20_000),
                        [-np.inf, np.inf, 0.0, -0.0]]).astype(np.float32)
    codes, params = _kernels.activation_codes((Logistic(),))
    got = z.copy()
    phi_inplace(got, codes, params, np.empty(z.size, np.float32))
    assert got.dtype == np.float32
    ref = expit(4.0 * z.astype(np.float64))  # exact to float64, then compared in float32 ulp
    big = ref > 1e-37  # normal float32 range
    ulp = np.spacing(ref[big].astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(got[big] - ref[big]) / ulp) <= 4.0
    assert np.all(np.abs(got[~big] - ref[~big]) <= 2e-38)
    nan = np.array([1.0, np.nan, -2.0], np.float32)
    phi_inplace(nan, codes, params, np.empty(3, np.float32))
    assert np.isnan(nan[1]) and np.isfinite(nan[[0, 2]]).all()


@needs_numba
def test_benchmark_network_float32_over_its_horizon():
    """The 160-neuron Wilson–Cowan network of the peer benchmarks, 100 000 Euler steps: the
    float32 trajectory agrees with the float64 one to 1e-4 of its scale (measured: 2e-8)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        from bench_peer_neurolib import DT, DURATION, N_NODES, wilson_cowan_network
    finally:
        sys.path.pop(0)
    rng = np.random.default_rng(0)
    C = rng.uniform(0.0, 1.0, (N_NODES, N_NODES))
    np.fill_diagonal(C, 0.0)
    C /= C.sum(axis=1, keepdims=True)
    x0 = np.concatenate([0.05 * rng.uniform(0, 1, N_NODES), 0.05 * rng.uniform(0, 1, N_NODES)])
    net = wilson_cowan_network(C)
    kw = dict(method="euler", dt=DT, backend="numba", save_every=100)
    a = simulate(net, x0, (0.0, DURATION), **kw)
    b = simulate(net, x0, (0.0, DURATION), dtype=np.float32, **kw)
    assert b.success and b.x.dtype == np.float32
    scale = float(np.max(np.abs(a.x)))
    assert 0 < float(np.max(np.abs(b.x - a.x))) <= 1e-4 * scale


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("bound", [1e12, 1e300])
def test_float32_divergence_is_detected(backend, bound):
    """A bound above float32's range is clipped to its largest value: the run still stops on
    the last finite state instead of accepting inf."""
    net = Network(W=[[2.0, 0.0], [0.0, 0.5]], u=[1.0, 0.0], activation="linear")
    traj = simulate(net, [1.0, 1.0], (0.0, 1000.0), method="euler", dt=0.5, backend=backend,
                    bound=bound, dtype=np.float32)
    assert traj.status == "diverged" and "neuron 0" in traj.message
    assert traj.x.dtype == np.float32 and np.all(np.isfinite(traj.x))
    assert float(np.max(np.abs(traj.x))) <= min(bound, float(np.finfo(np.float32).max))
    # x_k = 1.5^k (1 + 1) − 1 in exact arithmetic: the last kept state is the last one within
    # the bound, or (bound 1e300) the last whose next step stays finite in float32
    exact = 2.0 * 1.5 ** np.arange(traj.steps + 2) - 1.0
    if bound == 1e12:
        assert exact[traj.steps] <= bound < exact[traj.steps + 1]
    else:
        assert 2 * exact[traj.steps] + 1 > float(np.finfo(np.float32).max)


@needs_numba
def test_float32_silent_neuron_is_flushed_not_subnormal():
    net = Network(W=[[0.0]], u=[-1.0], activation=ReLU())
    traj = simulate(net, [1.0], (0.0, 200.0), method="exp-euler", dt=0.1, backend="numba",
                    dtype=np.float32)
    x = traj.x[:, 0]
    tiny = float(np.finfo(np.float32).tiny)
    assert np.all((x == 0) | (np.abs(x) >= tiny)) and x[-1] == 0
    np.testing.assert_allclose(x[:50], np.exp(-traj.t[:50]), rtol=1e-6)


@pytest.mark.parametrize("kwargs, word", [
    (dict(method="RK45"), "adaptive"),
    (dict(), "adaptive"),
    (dict(method="euler-maruyama", dt=0.1, noise=Noise(0.1), rng=0), "noise"),
    (dict(dt=0.1, u=stimulus.step(1.0, 0.5)), "stimulus"),
])
def test_float32_unsupported_combinations_are_refused(kwargs, word):
    net = contracting_net(n=4)
    with pytest.raises(ValidationError, match=f"dtype:.*{word}"):
        simulate(net, np.zeros(4), (0.0, 1.0), dtype=np.float32, **kwargs)


def test_float32_refused_for_batches_and_delays():
    net = contracting_net(n=4)
    with pytest.raises(ValidationError, match=r"dtype:.*batch"):
        simulate(net, np.zeros((2, 4)), (0.0, 1.0), dt=0.1, dtype=np.float32)
    delayed = Network(W=[[0.0, -0.5], [0.5, 0.0]], u=[0.1, 0.1], delays=0.5)
    with pytest.raises(ValidationError, match=r"dtype:.*delays"):
        simulate(delayed, np.zeros(2), (0.0, 1.0), dt=0.1, dtype=np.float32)


@pytest.mark.parametrize("dtype", [np.int32, "float16", np.complex128, "nonsense"])
def test_bad_dtype_is_refused(dtype):
    with pytest.raises(ValidationError, match=r"dtype: expected np\.float64 or np\.float32"):
        simulate(contracting_net(n=4), np.zeros(4), (0.0, 1.0), dt=0.1, dtype=dtype)


def test_float32_accepts_spellings_and_callable_input():
    net = contracting_net(n=6)
    a = simulate(net, np.zeros(6), (0.0, 2.0), dt=0.1, dtype="float32", backend="numpy",
                 u=lambda t: net.u * (1.0 + 0.1 * np.sin(t)))
    b = simulate(net, np.zeros(6), (0.0, 2.0), dt=0.1, backend="numpy",
                 u=lambda t: net.u * (1.0 + 0.1 * np.sin(t)))
    assert a.x.dtype == np.float32
    np.testing.assert_allclose(a.x, b.x, rtol=0, atol=1e-6)


def test_float32_checkpoint_does_not_resume_a_float64_run(tmp_path):
    net = contracting_net(n=6)
    ck = tmp_path / "run.npz"
    kw = dict(dt=0.1, backend="numpy", checkpoint=ck)
    simulate(net, np.zeros(6), (0.0, 2.0), dtype=np.float32, **kw)
    with pytest.raises(ValidationError, match="different run"):
        simulate(net, np.zeros(6), (0.0, 2.0), resume=ck, **kw)
    again = simulate(net, np.zeros(6), (0.0, 2.0), dtype=np.float32, resume=ck, **kw)
    assert again.x.dtype == np.float32 and again.success
