"""One contract for every backend × activation × scheme of the fixed-step path.

Each scheme is run by every engine that can run it — the NumPy stepper, the numba kernel, the
batched core of stimulus/noise/delays (single and batch), the NumPy batch and the JAX batch —
and all must give the NumPy stepper's trajectory to rounding. The stochastic schemes without
noise must be explicit Euler and Heun. Oracle for the reference itself: the exact solution of
a linear network (``expm``).
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
