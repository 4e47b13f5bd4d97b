"""One contract for every backend × activation × scheme of the fixed-step path.

Each scheme is run by every engine that can run it — the NumPy stepper, the numba kernel, the
batched core of stimulus/noise/delays (single and batch), the NumPy batch and the JAX batch —
and all must give the NumPy stepper's trajectory to rounding. The stochastic schemes without
noise must be explicit Euler and Heun. Oracle for the reference itself: the exact solution of
a linear network (``expm``); for the one step every backend runs (:mod:`._schemes`), each
scheme's textbook formula written out by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.linalg import expm

from eicircuits import Network, simulate, simulate_batch, stimulus
from eicircuits.activations import (
    ClippedReLU,
    Linear,
    Logistic,
    PowerLaw,
    ReLU,
    Softplus,
    Tanh,
)
from eicircuits.dynamics import _jax, _kernels

SCHEMES = ["euler", "exp-euler", "heun", "midpoint", "rk4"]
ACTIVATIONS = {
    "relu": ReLU(),
    "clipped": ClippedReLU(1.2),
    "linear": Linear(),
    "tanh": Tanh(),
    "logistic": Logistic(),
    "softplus": Softplus(),
    "gain-threshold": Logistic(gain=0.5, threshold=0.3),
    "power-law": PowerLaw(0.3, 2.0),
    "mixed": (ReLU(), Tanh(), ClippedReLU(2.0), Logistic(gain=0.8, threshold=-0.2)),
}
JAX_RK4 = ("gain-threshold", "power-law", "mixed", "softplus")
W = np.array([[0.2, -0.5, 0.1, -0.2], [0.4, -0.1, 0.2, -0.3],
              [0.3, -0.4, 0.0, -0.1], [0.1, -0.2, 0.3, 0.0]])
U = np.array([0.6, 0.4, 0.5, 0.3])
X0 = np.array([[0.1, 0.0, 0.3, 0.2], [0.5, 0.2, 0.0, 0.1]])
KW = {"dt": 0.05, "save_every": 20}
SPAN = (0.0, 4.0)


def _net(act) -> Network:
    return Network(W=W, u=U, activation=act, cell_types="EIEI")


@pytest.mark.parametrize("form", ["rate", "voltage"])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("method", SCHEMES)
def test_every_engine_gives_the_numpy_trajectory(method, name, form):
    net = _net(ACTIVATIONS[name])
    ref = [simulate(net, x, SPAN, method=method, backend="numpy", form=form, **KW).x
           for x in X0]
    runs = {
        "core": [simulate(net, x, SPAN, method=method, form=form, u=stimulus.constant(U),
                          **KW).x for x in X0],
        "batch-numpy": simulate_batch(net, X0, SPAN, method=method, form=form,
                                      backend="numpy", **KW).x,
        "batch-core": simulate_batch(net, X0, SPAN, method=method, form=form,
                                     u=stimulus.constant(U), **KW).x,
    }
    if _kernels.available():
        runs["numba"] = [simulate(net, x, SPAN, method=method, backend="numba", form=form,
                                  **KW).x for x in X0]
        runs["batch-numba"] = simulate_batch(net, X0, SPAN, method=method, form=form,
                                             backend="numba", **KW).x
    # JAX compiles once per scheme and activation set (about a second each): every scheme
    # with ReLU, every other activation kind with rk4
    jax_cases = name == "relu" or (method == "rk4" and name in JAX_RK4)
    if _jax.available() and form == "rate" and jax_cases:
        runs["jax"] = simulate_batch(net, X0, SPAN, method=method, backend="jax", **KW).x
    for engine, x in runs.items():
        assert np.allclose(np.asarray(x), ref, rtol=1e-12, atol=1e-13), engine


@pytest.mark.parametrize("sde, ode", [("euler-maruyama", "euler"), ("stochastic-heun", "heun")])
def test_stochastic_schemes_without_noise_are_euler_and_heun(sde, ode):
    net = _net(ACTIVATIONS["mixed"])
    a = simulate_batch(net, X0, SPAN, method=sde, **KW).x
    b = simulate_batch(net, X0, SPAN, method=ode, backend="numpy", **KW).x
    assert np.allclose(a, b, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("method, order", [("euler", 1), ("exp-euler", 1), ("heun", 2),
                                           ("midpoint", 2), ("rk4", 4)])
def test_reference_converges_to_the_exact_linear_solution(method, order):
    net = _net(Linear())
    A = (W - np.eye(4))
    xs = np.linalg.solve(-A, U)

    def exact(x0):
        return xs + expm(A * 4.0) @ (x0 - xs)

    errs = [np.max(np.abs(simulate(net, X0[1], SPAN, method=method, dt=dt,
                                   backend="numpy").final - exact(X0[1])))
            for dt in (0.1, 0.05)]
    assert abs(np.log2(errs[0] / errs[1]) - order) < 0.25


def test_simulate_takes_a_batch_as_the_leading_axis_of_x0():
    from eicircuits import ValidationError

    net = _net(ACTIVATIONS["mixed"])
    res = simulate(net, X0, SPAN, method="rk4", **KW)
    alias = simulate_batch(net, X0, SPAN, method="rk4", backend="numpy", **KW)
    assert type(res).__name__ == "BatchTrajectory" and np.array_equal(res.x, alias.x)
    auto = simulate(net, X0, SPAN, **KW)
    assert auto.method == "exp-euler"
    with pytest.raises(ValidationError, match="dt: a batch of initial states"):
        simulate(net, X0, SPAN)
    with pytest.raises(ValidationError, match="until_steady: not available for a batch"):
        simulate(net, X0, SPAN, until_steady=1e-6, **KW)
    with pytest.raises(ValidationError, match="method: a batch runs a fixed-step method"):
        simulate(net, X0, SPAN, method="RK45", **KW)


# --------------------------------------------------------------------------- one definition
def test_every_fixed_step_method_is_one_scheme_definition():
    from eicircuits.dynamics import METHODS
    from eicircuits.dynamics._schemes import FIXED_METHODS, SCHEMES, SDE_METHODS

    fixed = {m for m, kind in METHODS.items() if kind == "fixed"}
    assert fixed == set(SCHEMES) == set(FIXED_METHODS) | set(SDE_METHODS)
    for name, sch in SCHEMES.items():
        assert sch.tableau.satisfied_order() >= sch.order, name
        assert sch.stochastic == (name in SDE_METHODS)


def _by_hand(name, X, T, h, tau, inc):
    """Each scheme's step written out by hand from its textbook formula (the oracle)."""
    F = lambda Y: (T(Y) - Y) / tau  # noqa: E731
    if name in ("euler", "euler-maruyama"):
        return X + h * F(X) + (inc if name == "euler-maruyama" else 0.0)
    if name == "exp-euler":
        return T(X) + (X - T(X)) * np.exp(-h / tau)
    if name == "heun":
        k1 = F(X)
        return X + h / 2 * (k1 + F(X + h * k1))
    if name == "stochastic-heun":
        k1 = F(X)
        pred = X + h * k1 + inc
        return X + h / 2 * (k1 + F(pred)) + inc
    if name == "midpoint":
        return X + h * F(X + h / 2 * F(X))
    k1 = F(X)
    k2 = F(X + h / 2 * k1)
    k3 = F(X + h / 2 * k2)
    k4 = F(X + h * k3)
    return X + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


@pytest.mark.parametrize("name", ["euler", "exp-euler", "heun", "midpoint", "rk4",
                                  "euler-maruyama", "stochastic-heun"])
def test_the_one_step_is_each_schemes_textbook_formula_on_numpy_and_jax(name):
    from eicircuits.dynamics._schemes import SCHEMES, step

    rng = np.random.default_rng(3)
    B, n, h = 3, 5, 0.07
    Wm = rng.normal(size=(n, n)) * 0.4
    u = rng.normal(size=n)
    tau = rng.uniform(0.5, 2.0, size=n)
    X = rng.normal(size=(B, n))
    inc = rng.normal(size=(B, n)) * 0.1
    sch = SCHEMES[name]
    noise = inc if sch.stochastic else None
    expect = _by_hand(name, X, lambda Y: np.tanh(Y @ Wm.T + u), h, tau,
                      inc if sch.stochastic else 0.0)
    got = step(sch, X, sch.gains(h, 1.0 / tau), lambda Y, i: np.tanh(Y @ Wm.T + u),
               inc=noise)
    assert np.allclose(got, expect, rtol=1e-14, atol=1e-15)
    assert not np.shares_memory(got, X)
    inplace = X.copy()
    step(sch, inplace, sch.gains(h, 1.0 / tau), lambda Y, i: np.tanh(Y @ Wm.T + u),
         inc=noise, out=inplace)
    assert np.array_equal(inplace, got)
    if _jax.available():
        import jax
        import jax.numpy as jnp

        with _jax.x64():
            fn = jax.jit(lambda X, inc: step(
                sch, X, sch.gains(h, jnp.asarray(1.0 / tau), jnp),
                lambda Y, i: jnp.tanh(Y @ jnp.asarray(Wm).T + jnp.asarray(u)),
                inc=inc if sch.stochastic else None))
            viajax = np.asarray(fn(jnp.asarray(X), jnp.asarray(inc)))
        assert np.allclose(viajax, expect, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("name", ["euler", "exp-euler", "heun", "midpoint", "rk4",
                                  "euler-maruyama", "stochastic-heun"])
def test_numba_runs_the_same_gains(name):
    """The numba kernel's loop against the one NumPy step, for every scheme (noise included:
    the kernel takes the increments of the stochastic ones)."""
    if not _kernels.available():
        pytest.skip("numba is not installed")
    from eicircuits.dynamics._schemes import SCHEMES, step

    rng = np.random.default_rng(4)
    n, h, k = 6, 0.05, 7
    Wm = rng.normal(size=(n, n)) * 0.4
    u = rng.normal(size=n)
    tau = rng.uniform(0.5, 2.0, size=n)
    x = rng.normal(size=n)
    sch = SCHEMES[name]
    inc = rng.normal(size=(k, n)) * 0.1 if sch.stochastic else np.zeros((0, n))
    ref = x.copy()
    for j in range(k):
        ref = step(sch, ref, sch.gains(h, 1.0 / tau), lambda Y, i: np.tanh(Wm @ Y + u),
                   inc=inc[j] if sch.stochastic else None)
    codes = _kernels.activation_codes((Tanh(),) * n)
    mat = (True, Wm.copy(), np.zeros(1, np.uint32), np.zeros(1, np.uint32), np.zeros(1))
    s = sch.stages
    buffers = (np.empty(n), np.empty(n), np.empty(n), np.empty((s, n)))
    steps = np.arange(1, k + 1)
    out = np.empty((k, n))
    got = x.copy()
    done, r, bad = _kernels.get_kernel()(
        got, 0, k, (0, u, mat, codes), (*sch.gain_arrays(h, 1.0 / tau), inc), buffers,
        (steps, out, 0), 1e12, 1e-250)
    assert (done, r, bad) == (k, k, -1)
    assert np.allclose(got, ref, rtol=1e-13, atol=1e-14) and np.array_equal(out[-1], got)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("shape", [(4,), (3, 4)])
def test_numpy_activation_table_is_the_activations_own_definition(name, shape):
    """The NumPy backend's in-place kernels (single runs, batches, the extended core) give
    ``net.phi`` exactly, on a state or a batch of states, in float64 and float32."""
    from eicircuits.dynamics._fixed_step import _inplace_activation

    net = _net(ACTIVATIONS[name])
    z = np.random.default_rng(5).normal(scale=2.0, size=shape)
    f = _inplace_activation(net)
    expect = np.stack([net.phi(row) for row in np.atleast_2d(z)]).reshape(shape)
    buf = z.copy()
    assert f(buf) is buf and np.allclose(buf, expect, rtol=1e-15, atol=1e-16)
    buf32 = z.astype(np.float32)
    assert f(buf32).dtype == np.float32
    assert np.allclose(buf32, expect, rtol=2e-6, atol=1e-7)


def test_a_subclass_that_overrides_call_is_run_by_its_own_definition():
    from eicircuits.dynamics._fixed_step import _inplace_activation

    net = _net(Halved())
    z = np.array([-1.0, 0.5, 2.0, 0.0])
    assert np.array_equal(_inplace_activation(net)(z.copy()), [0.0, 0.25, 1.0, 0.0])
    assert _kernels.activation_codes(net.activations) is None  # no numba kernel either


def test_simulate_and_simulate_batch_take_the_same_backends():
    from eicircuits import ValidationError
    from eicircuits.dynamics._batch import BATCH_BACKENDS
    from eicircuits.dynamics._fixed_step import BACKENDS

    assert BACKENDS == BATCH_BACKENDS == ("auto", "numpy", "numba", "jax")
    net = _net(ACTIVATIONS["logistic"])
    ref = simulate(net, X0[0], SPAN, method="rk4", backend="numpy", **KW)
    if _jax.available():
        one = simulate(net, X0[0], SPAN, method="rk4", backend="jax", **KW)
        assert type(one).__name__ == "Trajectory" and one.success
        assert np.allclose(one.x, ref.x, rtol=1e-12, atol=1e-13)
        assert np.array_equal(one.t, ref.t)
        steps = stimulus.step(1.0, 0.3) + U
        a = simulate(net, X0[0], SPAN, u=steps, backend="jax", method="heun", **KW)
        b = simulate(net, X0[0], SPAN, u=steps, backend="numpy", method="heun", **KW)
        assert np.allclose(a.x, b.x, rtol=1e-12, atol=1e-13)
        for kw, name in ((dict(until_steady=1e-6), "until_steady"),
                         (dict(t_eval=[0.0, 1.0], save_every=None), "t_eval"),
                         (dict(max_steps=10), "max_steps"),
                         (dict(u=lambda t: U), "u"),
                         (dict(u=stimulus.sine(0.5, 0.1) + U), "u")):
            with pytest.raises(ValidationError, match=f"{name}: not available with "
                                                      "backend='jax'"):
                simulate(net, X0[0], SPAN, backend="jax", **{**KW, **kw})
    if _kernels.available():
        res = simulate(net, X0, SPAN, method="rk4", backend="numba", **KW)
        assert res.backend == "numba" and np.allclose(res.x[0], ref.x, rtol=1e-12, atol=1e-13)
        with pytest.raises(ValidationError, match="backend: 'numba' runs constant inputs"):
            simulate_batch(net, X0, SPAN, u=stimulus.constant(U), backend="numba", **KW)
        mixed = Network(W=W, u=U, activation=(ReLU(), Tanh(), Halved(), ReLU()),
                        cell_types="EIEI")
        with pytest.raises(ValidationError, match="backend: 'numba' cannot be used here"):
            simulate_batch(mixed, X0, SPAN, backend="numba", **KW)


class Halved(ReLU):
    """A user activation (not built in): max(z, 0)/2."""

    def __call__(self, z):
        return 0.5 * np.maximum(np.asarray(z, dtype=float), 0.0)


def test_a_member_that_diverges_in_the_numba_batch_stops_like_in_numpy():
    if not _kernels.available():
        pytest.skip("numba is not installed")
    net = Network(W=[[1.5, -0.1], [0.2, -0.1]], u=[1.0, 0.0], activation=ReLU(),
                  cell_types="EI")
    X0b = np.array([[0.0, 0.0], [1.0, 0.0]])
    kw = dict(method="euler", dt=0.1, save_every=7, bound=50.0)
    a = simulate_batch(net, X0b, (0.0, 40.0), backend="numba", **kw)
    b = simulate_batch(net, X0b, (0.0, 40.0), backend="numpy", **kw)
    assert a.status.tolist() == b.status.tolist() == ["diverged", "diverged"]
    assert np.array_equal(a.steps, b.steps) and np.allclose(a.x, b.x, rtol=1e-12)
    assert a.messages == b.messages


@pytest.mark.parametrize("method", SCHEMES)
def test_a_single_run_on_jax_matches_numpy_in_both_precisions(method):
    if not _jax.available():
        pytest.skip("jax is not installed")
    net = _net(ACTIVATIONS["mixed"])
    for form, every in (("rate", 7), ("voltage", None)):
        kw = dict(method=method, form=form, dt=0.03, save_every=every)  # 0.03 ∤ 4
        ref = simulate(net, X0[1], SPAN, backend="numpy", **kw)
        got = simulate(net, X0[1], SPAN, backend="jax", **kw)
        assert got.success and np.array_equal(got.t, ref.t) and got.steps == ref.steps
        assert np.allclose(got.x, ref.x, rtol=1e-12, atol=1e-13)
        f32 = simulate(net, X0[1], SPAN, backend="jax", dtype=np.float32, **kw)
        ref32 = simulate(net, X0[1], SPAN, backend="numpy", dtype=np.float32, **kw)
        assert f32.x.dtype == np.float32 and np.allclose(f32.x, ref32.x, rtol=1e-5, atol=1e-6)
        assert np.allclose(f32.x, ref.x, rtol=1e-5, atol=1e-6)


def test_a_single_run_on_jax_that_diverges_stops_like_numba():
    if not _jax.available():
        pytest.skip("jax is not installed")
    net = Network(W=[[1.5, -0.1], [0.2, -0.1]], u=[1.0, 0.0], activation=ReLU(),
                  cell_types="EI")
    for every, dtype in ((7, np.float64), (None, np.float64), (5, np.float32)):
        kw = dict(method="rk4", dt=0.1, save_every=every, bound=50.0, dtype=dtype)
        a = simulate(net, [0.5, 0.0], (0.0, 40.0), backend="jax", **kw)
        b = simulate(net, [0.5, 0.0], (0.0, 40.0), backend="numpy", **kw)
        assert a.status == b.status == "diverged" and a.steps == b.steps
        assert np.array_equal(a.t, b.t) and np.allclose(a.x, b.x, rtol=1e-5)
        assert a.message == b.message and np.all(np.abs(a.x) <= 50.0)


@pytest.mark.parametrize("backend", ["numpy", "numba", "jax"])
def test_a_state_that_leaves_the_bound_between_saved_rows_is_caught(backend):
    """x₁ = −5 t e^{−t} peaks at 5/e ≈ 1.84 near t = 1 and is back to 1.35 at t = 2: with rows
    only every 2 time units every saved state is within bound = 1.5, yet the run left it."""
    if backend == "numba" and not _kernels.available():
        pytest.skip("numba is not installed")
    if backend == "jax" and not _jax.available():
        pytest.skip("jax is not installed")
    net = Network(W=[[0.0, -5.0], [0.0, 0.0]], u=[0.0, 0.0], activation=Linear(),
                  cell_types="EI")
    for dtype in (np.float64, np.float32):
        tr = simulate(net, [0.0, 1.0], (0.0, 20.0), method="rk4", dt=0.01, save_every=200,
                      bound=1.5, backend=backend, dtype=dtype)
        assert tr.status == "diverged" and tr.steps == 48, (backend, dtype, tr.message)
        assert np.all(np.abs(tr.x) <= 1.5) and "neuron 0" in tr.message


def test_a_checkpoint_of_the_earlier_arithmetic_is_not_resumed(tmp_path):
    """Version-1 checkpoints were written by steps that round differently: resuming one would
    not reproduce the uninterrupted run, so it is refused like a checkpoint of another run."""
    from eicircuits import ValidationError

    net = _net(ACTIVATIONS["logistic"])
    ck = tmp_path / "run.npz"
    kw = dict(method="rk4", dt=0.01, checkpoint=ck, backend="numpy")
    simulate(net, X0[0], SPAN, max_steps=100, **kw)
    with np.load(ck) as data:
        fields = {k: data[k] for k in data.files}
    assert int(fields["version"]) == 2
    again = simulate(net, X0[0], SPAN, resume=True, **kw)
    assert np.array_equal(again.x, simulate(net, X0[0], SPAN, method="rk4", dt=0.01,
                                            backend="numpy").x)
    fields["version"] = np.array(1)
    np.savez(ck, **fields)
    with pytest.raises(ValidationError, match="was written for a different run"):
        simulate(net, X0[0], SPAN, resume=True, **kw)
