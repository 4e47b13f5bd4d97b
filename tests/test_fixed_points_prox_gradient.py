"""Tests of ``equilibrium(net, method="prox-gradient")``
(docs/theory.md §3, proximal pseudo-gradient).

Oracles: ``method="auto"`` (active-set / Lemke / Newton), the contraction constants recomputed
here from the generalized symmetric eigenproblem ``½(P(I−W) + (I−W)ᵀP)v = λPv`` and the
singular values of ``P^{1/2}(I−W)P^{−1/2}`` (``scipy.linalg``), a map ``T`` written here from
``Activation.prox``, and the closed form of the scalar network ``W = [[w]]``.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
import scipy.linalg as sla

from eicircuits import (
    ClippedReLU,
    Linear,
    Logistic,
    Network,
    ReLU,
    Softplus,
    Tanh,
    ValidationError,
    equilibrium,
)
from eicircuits.circuits import random_ei
from eicircuits.stability import lds

ACTIVATIONS = {
    "relu": ReLU(),
    "clipped": ClippedReLU(0.8),
    "tanh": Tanh(),
    "logistic": Logistic(),
    "softplus": Softplus(),
    "linear": Linear(),
}


def _activation(name: str, n: int):
    if name == "mix":
        cycle = list(ACTIVATIONS.values())
        return [cycle[k % len(cycle)] for k in range(n)]
    return ACTIVATIONS[name]


def _random_lds(n: int, seed: int, act: str, *, strong: bool = False) -> Network:
    """A random Dale-law E–I network with ``‖W‖₂ = 0.7``, so ``P = I`` certifies that
    ``W − I`` is LDS; ``strong`` adds a skew-symmetric E↔I part (``W_EI = −K``,
    ``W_IE = Kᵀ``, ``K ≥ 0``), which leaves ``sym(W − I)`` alone while ``‖W‖`` grows."""
    gen = np.random.default_rng(seed)
    base = random_ei(n, gain=0.7, density=0.4, rng=gen)
    W = np.array(base.W)
    W *= 0.7 / np.linalg.norm(W, 2)
    if strong:
        n_e = base.e_idx.size
        K = gen.uniform(0.5, 1.5, size=(n_e, n - n_e))
        W[:n_e, n_e:] -= K
        W[n_e:, :n_e] += K.T
    u = gen.normal(0.0, 1.0, size=n)
    return Network(W=W, u=u, activation=_activation(act, n), cell_types=base.cell_types)


def _constants(W: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """Independent ``(m, L)`` from the generalized eigenproblem and an SVD."""
    n = W.shape[0]
    M = np.eye(n) - W
    P = np.diag(p)
    m = float(sla.eigh(0.5 * (P @ M + M.T @ P), P, eigvals_only=True)[0])
    d = np.sqrt(p)
    L = float(sla.svdvals(d[:, None] * M / d[None, :])[0])
    return m, L


def _T(net: Network, gamma: float, x: np.ndarray) -> np.ndarray:
    y = x - gamma * ((x - net.W @ x) - net.u)
    return np.array([a.prox(np.array([yi]), gamma)[0] for a, yi in zip(net.activations, y,
                                                                      strict=True)])


def _pnorm(p: np.ndarray, v: np.ndarray) -> float:
    return float(np.sqrt(np.sum(p * v * v)))


# --------------------------------------------------------------------------- agreement
@pytest.mark.parametrize("act", [*ACTIVATIONS, "mix"])
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_auto_for_every_activation(act: str, seed: int) -> None:
    net = _random_lds(8, seed, act, strong=seed == 1)
    pg = equilibrium(net, method="prox-gradient")
    ref = equilibrium(net, method="auto")
    assert ref.converged
    assert pg.converged, pg.message
    assert pg.method == "prox-gradient"
    assert pg.residual <= 1e-10
    np.testing.assert_allclose(pg.x, ref.x, rtol=0, atol=1e-9)
    bound = int(re.search(r"a-priori bound (\d+)", pg.message).group(1))
    assert pg.iterations <= bound


# --------------------------------------------------------------------------- contraction
@pytest.mark.parametrize("act", ["relu", "tanh", "mix"])
@pytest.mark.parametrize("frac", [None, 0.3, 1.9])
def test_measured_contraction_within_claimed_factor(act: str, frac: float | None) -> None:
    net = _random_lds(8, 3, act, strong=True)
    p = lds(net.W - np.eye(net.n), cell_types=net.cell_types).p
    p = p / p.max()
    m, L = _constants(net.W, p)
    assert m > 0
    gamma = m / L**2 if frac is None else frac * m / L**2
    q = np.sqrt(1 - 2 * gamma * m + gamma**2 * L**2)
    opts = {} if frac is None else {"gamma": gamma}
    star = equilibrium(net, method="auto").x
    x0 = np.full(net.n, 3.0)
    first = equilibrium(net, method="prox-gradient", x0=x0, max_iter=0, options=opts)
    assert f"q = {q:.6g}" in first.message
    # the solver's own iterates: ‖x_{k+1} − x*‖_P ≤ q ‖x_k − x*‖_P
    errs = [_pnorm(p, equilibrium(net, method="prox-gradient", x0=x0, max_iter=k,
                                  options=opts).x - star) for k in range(12)]
    for a, b in itertools.pairwise(errs):
        assert b <= q * a * (1 + 1e-9) + 1e-13
    # T itself (written here) on random pairs: ‖T a − T b‖_P ≤ q ‖a − b‖_P
    gen = np.random.default_rng(0)
    for _ in range(50):
        a, b = gen.normal(0, 3, net.n), gen.normal(0, 3, net.n)
        assert _pnorm(p, _T(net, gamma, a) - _T(net, gamma, b)) <= q * _pnorm(p, a - b) * (
            1 + 1e-9)


def test_step_bound_is_sharp_for_a_scalar_network() -> None:
    # W = [[w]]: T is affine with slope 1 − γ(1 − w) while active, so it contracts iff
    # γ < 2/(1 − w) = 2m/L² (m = L = 1 − w): the bound of docs/theory.md §3 is attained.
    net = Network(W=[[-10.0]], u=[5.0], activation=Linear())
    ok = equilibrium(net, method="prox-gradient", options={"gamma": 0.999 * 2 / 11},
                     max_iter=100_000)
    assert ok.converged and abs(ok.x[0] - 5.0 / 11.0) <= 1e-12
    with pytest.raises(ValidationError, match="2m/L²"):
        equilibrium(net, method="prox-gradient", options={"gamma": 2 / 11})


# --------------------------------------------------------------------------- large ‖W‖
@pytest.mark.parametrize("W, u", [
    ([[-10.0]], [1.0]),
    ([[0.5, -10.0], [10.0, -5.0]], [2.0, 1.0]),
])
def test_strong_lds_network_where_plain_iteration_fails(W, u) -> None:
    net = Network(W=W, u=u)
    assert np.linalg.norm(net.W, 2) > 5
    plain = equilibrium(net, method="fixed-point", max_iter=2000)
    assert not plain.converged
    pg = equilibrium(net, method="prox-gradient")
    assert pg.converged and pg.residual <= 1e-10
    np.testing.assert_allclose(pg.x, equilibrium(net).x, rtol=0, atol=1e-9)


def test_user_weights_give_the_same_equilibrium() -> None:
    net = _random_lds(8, 5, "softplus", strong=True)
    ref = equilibrium(net, method="prox-gradient")
    p = lds(net.W - np.eye(net.n), cell_types=net.cell_types).p
    pg = equilibrium(net, method="prox-gradient", options={"weights": 7.0 * p})
    assert pg.converged and "user weights" in pg.message
    assert pg.message.split("; ")[1].split("(")[0] == ref.message.split("; ")[1].split("(")[0]
    np.testing.assert_allclose(pg.x, ref.x, rtol=0, atol=1e-10)
    # P = I certifies it too (‖W_sym‖₂ ≤ 0.7): a different P, the same equilibrium
    pg = equilibrium(net, method="prox-gradient", options={"weights": np.ones(net.n)})
    assert pg.converged
    np.testing.assert_allclose(pg.x, ref.x, rtol=0, atol=1e-9)


# --------------------------------------------------------------------------- refusals
def test_non_lds_network_is_refused() -> None:
    net = Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[1.0, 0.5], cell_types="EI")
    eq = equilibrium(net, method="prox-gradient")
    assert not eq.converged and eq.iterations == 0
    assert "Lyapunov diagonally stable" in eq.message and "method='auto'" in eq.message
    assert np.all(np.isnan(eq.x))


def test_iteration_budget_exhausted() -> None:
    net = _random_lds(10, 2, "relu", strong=True)
    eq = equilibrium(net, method="prox-gradient", max_iter=3)
    assert not eq.converged and eq.iterations == 3
    assert re.search(r"max_iter = 3 .*a-priori bound for tol", eq.message)


@pytest.mark.parametrize("opts, match", [
    ({"gamma": 0.0}, "gamma"),
    ({"gamma": -1.0}, "gamma"),
    ({"gamma": float("nan")}, "gamma"),
    ({"gamma": True}, "gamma"),
    ({"gamma": "0.1"}, "gamma"),
    ({"gamma": 10.0}, r"2m/L²"),
    ({"weights": [1.0, 1.0, 1.0]}, "shape"),
    ({"weights": [1.0, -1.0]}, "> 0"),
    ({"weights": [1.0, np.inf]}, "> 0"),
    ({"weights": [1.0, 1.0]}, "do not certify"),
])
def test_bad_options_raise(opts: dict, match: str) -> None:
    # W − I = [[-1, -10], [0.1, -1]] is LDS (2 × 2: diagonal < 0, det > 0) but not with P = I
    net = Network(W=[[0.0, -10.0], [0.1, 0.0]], u=[1.0, 1.0])
    assert equilibrium(net, method="prox-gradient").converged
    with pytest.raises(ValidationError, match=match):
        equilibrium(net, method="prox-gradient", options=opts)
