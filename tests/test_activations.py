"""Activations as proximal operators: closed-form g against quadrature, prox against a minimiser."""

from __future__ import annotations

import dataclasses
import math
from typing import ClassVar

import numpy as np
import pytest
from scipy import integrate, optimize

from eicircuits import (
    ClippedReLU,
    EICircuitsWarning,
    Linear,
    Logistic,
    ReLU,
    Softplus,
    Tanh,
    ValidationError,
    check_activation,
)
from eicircuits.activations import Activation, Scaled, activation_from_spec, unit_slope

ALL = [ReLU(), ClippedReLU(2.0), Tanh(), Logistic(), Softplus(), Linear()]
SMOOTH = [Tanh(), Logistic(), Softplus()]


@pytest.mark.parametrize("act", ALL, ids=lambda a: a.name)
def test_builtin_activations_pass_conformance(act: Activation) -> None:
    check_activation(act)


@pytest.mark.parametrize("act", SMOOTH, ids=lambda a: a.name)
def test_g_is_the_integral_of_inverse_minus_identity(act: Activation) -> None:
    # Oracle: numerical quadrature of g'(s) = φ⁻¹(s) − s from a reference point.
    lo, hi = act.value_range
    y0 = 0.5 if hi == 1.0 and lo == 0.0 else (0.0 if lo < 0 else 1.0)
    for y in np.linspace(max(lo, -1) + 0.05, min(hi, 5.0) - 0.05, 9):
        integral, _ = integrate.quad(lambda s: float(act.inverse(s)) - s, y0, y, epsabs=1e-13)
        assert float(act.g(y) - act.g(y0)) == pytest.approx(integral, abs=1e-9)


@pytest.mark.parametrize("act", SMOOTH, ids=lambda a: a.name)
def test_g_is_finite_on_closed_range_and_infinite_outside(act: Activation) -> None:
    lo, hi = act.value_range
    assert np.isfinite(act.g(lo))
    assert np.isinf(act.g(lo - 1e-3))
    if math.isfinite(hi):
        assert np.isfinite(act.g(hi))
        assert np.isinf(act.g(hi + 1e-3))
    # Closed-form boundary values: tanh g(±1) = log 2 − ½, softplus g(0) = π²/6.
    if isinstance(act, Tanh):
        assert float(act.g(1.0)) == pytest.approx(math.log(2) - 0.5, abs=1e-15)
    if isinstance(act, Softplus):
        assert float(act.g(0.0)) == pytest.approx(math.pi**2 / 6, abs=1e-14)


@pytest.mark.parametrize("act", ALL, ids=lambda a: a.name)
@pytest.mark.parametrize("gamma", [0.25, 1.0, 3.0])
def test_prox_minimises_scaled_g_plus_quadratic(act: Activation, gamma: float) -> None:
    lo, hi = act.value_range
    zs = np.linspace(-3.0, 3.0, 13)
    ys = act.prox(zs, gamma)
    for z, y in zip(zs, ys, strict=True):
        res = optimize.minimize_scalar(
            lambda t, z=z: gamma * float(act.g(t)) + 0.5 * (t - z) ** 2,
            bounds=(max(lo, -60.0), min(hi, 60.0)),
            method="bounded",
            options={"xatol": 1e-12},
        )
        assert y == pytest.approx(res.x, abs=1e-6)
    if gamma == 1.0:
        np.testing.assert_allclose(ys, act(zs), rtol=0, atol=1e-15)


def test_prox_rejects_nonpositive_gamma() -> None:
    with pytest.raises(ValidationError, match="gamma must be > 0"):
        Tanh().prox(0.1, 0.0)


def test_closed_forms_of_piecewise_linear_activations() -> None:
    z = np.array([-2.0, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(ReLU()(z), [0.0, 0.0, 0.5, 3.0])
    np.testing.assert_array_equal(ClippedReLU(1.0)(z), [0.0, 0.0, 0.5, 1.0])
    np.testing.assert_array_equal(ClippedReLU(1.0).derivative(z), [0.0, 0.0, 1.0, 0.0])
    np.testing.assert_array_equal(Linear().g(z), 0.0)
    assert ReLU().piecewise_linear and not Tanh().piecewise_linear


@pytest.mark.parametrize("bad", [0.0, -1.0, math.nan, math.inf])
def test_clipped_relu_rejects_bad_r_max(bad: float) -> None:
    with pytest.raises(ValidationError, match="r_max must be a finite number > 0"):
        ClippedReLU(bad)


@dataclasses.dataclass(frozen=True)
class _Steep(Activation):
    """tanh(2z): max slope 2, a user activation outside the contract."""

    slope_bounds: ClassVar[tuple[float, float]] = (0.0, 2.0)
    name: ClassVar[str] = "steep"

    @property
    def value_range(self) -> tuple[float, float]:
        return (-1.0, 1.0)

    def __call__(self, z):  # type: ignore[no-untyped-def]
        return np.tanh(2 * np.asarray(z, dtype=float))

    def derivative(self, z):  # type: ignore[no-untyped-def]
        return 2 * (1 - np.tanh(2 * np.asarray(z, dtype=float)) ** 2)

    def inverse(self, y):  # type: ignore[no-untyped-def]
        return 0.5 * np.arctanh(np.asarray(y, dtype=float))

    def g(self, y):  # type: ignore[no-untyped-def]
        # ∫ (½ atanh(s) − s) ds = ½ g_tanh(y) − ¼ y²
        return 0.5 * Tanh().g(y) - 0.25 * np.asarray(y, dtype=float) ** 2


def test_steep_activation_fails_conformance_and_is_rescaled_out_loud() -> None:
    steep = _Steep()
    with pytest.raises(ValidationError, match="slope_bounds must satisfy"):
        check_activation(steep)
    W = np.array([[0.0, -1.0], [1.0, 0.0]])
    u = np.array([0.3, 0.1])
    with pytest.warns(EICircuitsWarning, match="rescaled"):
        act, W2, u2 = unit_slope(steep, W, u)
    assert isinstance(act, Scaled) and act.max_slope == pytest.approx(1.0)
    np.testing.assert_allclose(W2, 2 * W)
    np.testing.assert_allclose(u2, 2 * u)
    check_activation(act)  # ψ(z) = tanh(z) honours the contract
    z = np.linspace(-2, 2, 5)
    np.testing.assert_allclose(act(2 * z), steep(z))


def test_non_monotone_user_activation_is_refused() -> None:
    @dataclasses.dataclass(frozen=True)
    class Bump(Activation):
        name: ClassVar[str] = "bump"

        def __call__(self, z):  # type: ignore[no-untyped-def]
            return 0.5 * np.sin(np.asarray(z, dtype=float))

        def derivative(self, z):  # type: ignore[no-untyped-def]
            return 0.5 * np.cos(np.asarray(z, dtype=float))

        def inverse(self, y):  # type: ignore[no-untyped-def]
            return np.arcsin(2 * np.asarray(y, dtype=float))

        def g(self, y):  # type: ignore[no-untyped-def]
            return np.zeros_like(np.asarray(y, dtype=float))

    with pytest.raises(ValidationError, match="nondecreasing"):
        check_activation(Bump())


@pytest.mark.parametrize("act", [*ALL, Scaled(Tanh(), 2.0)], ids=lambda a: a.name)
def test_spec_round_trip(act: Activation) -> None:
    assert activation_from_spec(act.to_spec()) == act


def test_activation_from_spec_errors() -> None:
    with pytest.raises(ValidationError, match="unknown name 'sigmoid'"):
        activation_from_spec("sigmoid")
    with pytest.raises(ValidationError, match="bad parameters"):
        activation_from_spec({"name": "relu", "r_max": 1.0})
    with pytest.raises(ValidationError, match="'name' key"):
        activation_from_spec({"r_max": 1.0})
