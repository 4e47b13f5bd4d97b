"""Gradients of equilibria: implicit function theorem vs central finite differences; JAX vs NumPy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from eicircuits import Network, ReLU, Tanh, equilibrium
from eicircuits.design import equilibrium_grad, stabilize
from eicircuits.errors import ValidationError


def _net(act, seed, n=6):
    rng = np.random.default_rng(seed)
    types = "EEEEII"[:n]
    sign = np.array([1.0 if c == "E" else -1.0 for c in types])
    W = rng.uniform(0, 1, (n, n)) * sign[None, :] * 1.2
    np.fill_diagonal(W, np.where(sign > 0, 0.2, -0.2))
    net = stabilize(Network(W=W, activation=act, cell_types=types), weights=np.ones(n)).network
    return net.with_input(rng.uniform(0.2, 1.5, n))


def _loss(net, c):
    x = equilibrium(net, tol=1e-14).x
    return float(c @ x + 0.5 * x @ x)


@pytest.mark.parametrize("act", [ReLU(), Tanh()], ids=["relu", "tanh"])
def test_gradients_match_central_differences(act):
    net = _net(act, seed=1)
    c = np.linspace(-1, 1, net.n)
    x = equilibrium(net, tol=1e-14).x
    z = net.drive(x)
    if isinstance(act, ReLU):
        assert np.min(np.abs(z)) > 1e-4  # away from kinks (steps of 1e-6 move z by ~1e-5)
    dW, du = equilibrium_grad(net, c + x)
    h = 1e-6
    for i in range(net.n):
        e = np.zeros(net.n)
        e[i] = h
        fd = (_loss(net.with_input(net.u + e), c) - _loss(net.with_input(net.u - e), c)) / (2 * h)
        assert du[i] == pytest.approx(fd, abs=1e-7)
    for i, j in [(0, 1), (2, 4), (5, 0), (3, 3)]:
        E = np.zeros((net.n, net.n))
        E[i, j] = h
        up = Network(W=net.W + E, u=net.u, activation=act)
        dn = Network(W=net.W - E, u=net.u, activation=act)
        fd = (_loss(up, c) - _loss(dn, c)) / (2 * h)
        assert dW[i, j] == pytest.approx(fd, abs=1e-7)


def test_sparse_gradient_matches_dense():
    net = _net(ReLU(), seed=2)
    g = np.arange(net.n, dtype=float)
    dW, du = equilibrium_grad(net, g)
    sp_net = Network(W=sp.csr_array(net.W), u=net.u, cell_types=net.cell_types)
    dWs, dus = equilibrium_grad(sp_net, g)
    np.testing.assert_allclose(dus, du, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dWs.toarray(), np.where(net.W != 0, dW, 0.0), rtol=1e-12,
                               atol=1e-14)


def test_bad_input_names_the_argument():
    net = _net(ReLU(), seed=3)
    with pytest.raises(ValidationError, match="dloss_dx"):
        equilibrium_grad(net, np.ones(3))
    with pytest.raises(ValidationError, match="x"):
        equilibrium_grad(net, np.ones(net.n), x=[np.nan] * net.n)


@pytest.mark.parametrize("act", [ReLU(), Tanh()], ids=["relu", "tanh"])
def test_jax_matches_numpy(act):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    from eicircuits.design import jax_equilibrium

    net = _net(act, seed=4)
    c = np.linspace(-1, 1, net.n)
    eq = jax_equilibrium(act)

    def loss(W, u):
        x = eq(W, u)
        return jnp.dot(jnp.asarray(c), x) + 0.5 * jnp.dot(x, x)

    gW, gu = jax.grad(loss, argnums=(0, 1))(jnp.asarray(net.W), jnp.asarray(net.u))
    x = equilibrium(net).x
    dW, du = equilibrium_grad(net, c + x)
    np.testing.assert_allclose(np.asarray(gu), du, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(gW), dW, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(eq(jnp.asarray(net.W), jnp.asarray(net.u))), x,
                               atol=1e-12)
