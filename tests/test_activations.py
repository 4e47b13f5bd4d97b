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
    Network,
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


# ---------------------------------------------------------------- gains and thresholds
GAINED = [Logistic(gain=0.25, threshold=3.0), ReLU(threshold=-1.0), Tanh(gain=0.5),
          ClippedReLU(2.0, gain=0.75, threshold=0.5), Softplus(gain=0.9, threshold=2.0)]


@pytest.mark.parametrize("act", GAINED, ids=repr)
def test_gain_and_threshold_are_phi_of_g_times_z_minus_theta(act: Scaled) -> None:
    base, g, th = act.base, act.gain, act.threshold
    z = np.linspace(-8.0, 8.0, 321)
    np.testing.assert_allclose(act(z), base(g * (z - th)), rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(act.derivative(z), g * base.derivative(g * (z - th)), rtol=1e-14)
    assert act.slope_bounds == pytest.approx((g * base.slope_bounds[0], g * base.slope_bounds[1]))
    check_activation(act)  # the proximal contract, with g_ψ = s g_φ + (s − 1)y²/2 + θ y
    assert activation_from_spec(act.to_spec()) == act


def test_g_of_a_thresholded_activation_against_quadrature() -> None:
    act = Logistic(gain=0.5, threshold=1.5)
    for y in (0.1, 0.4, 0.8, 0.95):
        integral, _ = integrate.quad(lambda s: float(act.inverse(s)) - s, 0.5, y, epsabs=1e-13)
        assert float(act.g(y) - act.g(0.5)) == pytest.approx(integral, abs=1e-9)


def test_spec_tables_with_gain_and_threshold() -> None:
    act = activation_from_spec({"name": "logistic", "gain": 0.25, "threshold": 1})
    assert act == Logistic(gain=0.25, threshold=1.0)
    assert act.to_spec() == {"name": "logistic", "gain": 0.25, "threshold": 1.0}
    assert activation_from_spec({"name": "tanh", "gain": 1.0}) == Tanh()
    assert activation_from_spec({"name": "relu", "s": 2.0}) == Scaled(ReLU(), 2.0)
    old_style = {"name": "scaled", "base": {"name": "tanh"}, "s": 2.0}
    assert activation_from_spec(old_style) == Scaled(Tanh(), 2.0)
    with pytest.raises(ValidationError, match="gain: must be a finite number > 0"):
        activation_from_spec({"name": "relu", "gain": -1.0})
    with pytest.raises(ValidationError, match="not both"):
        activation_from_spec({"name": "relu", "gain": 2.0, "s": 0.5})
    with pytest.raises(ValidationError, match="threshold: must be a finite number"):
        Logistic(threshold=float("nan"))
    with pytest.raises(ValidationError, match="not both"):
        Scaled(ReLU(), 2.0, gain=0.5)


def test_nested_gains_flatten_and_steep_gains_are_refused_by_network() -> None:
    act = ReLU(gain=0.5, threshold=1.0).with_gain(0.5, 2.0)
    z = np.linspace(-10, 20, 61)
    np.testing.assert_allclose(act(z), np.maximum(0.5 * (0.5 * (z - 2.0) - 1.0), 0.0))
    assert act == Scaled(ReLU(), 4.0, 4.0)
    steep = Logistic(gain=2.0, threshold=1.0)
    assert steep.max_slope == 2.0
    with pytest.raises(ValidationError, match=r"slopes must lie in \[0, 1\].*unit_slope"):
        Network([[0.0]], activation=steep)
    with pytest.warns(EICircuitsWarning, match="rescaled"):
        act2, W2, u2 = unit_slope(steep, np.array([[0.5]]), np.array([0.25]))
    # Same equilibrium map: φ(g(W x + u − θ)) = ψ(2W x + 2u) for every x.
    for x in (-1.0, 0.0, 0.3, 2.0):
        assert float(act2(W2[0, 0] * x + u2[0])) == pytest.approx(
            float(steep(0.5 * x + 0.25)), abs=1e-15)
    assert act2.max_slope == pytest.approx(1.0)
    Network(W2, u=u2, activation=act2)


def test_thresholded_relu_equilibrium_and_simulation_agree() -> None:
    from eicircuits import equilibrium, simulate

    W = np.array([[0.5, -1.0], [1.0, -0.5]])
    net = Network(W, u=[2.0, 1.0], activation=ReLU(gain=0.8, threshold=0.5), cell_types="EI")
    eq = equilibrium(net)
    assert eq.converged, eq.message
    x = eq.x
    np.testing.assert_allclose(x, np.maximum(0.8 * (W @ x + net.u - 0.5), 0), atol=1e-12)
    ref = integrate.solve_ivp(lambda t, y: -y + np.maximum(0.8 * (W @ y + net.u - 0.5), 0),
                              (0, 60), [0.0, 0.0], rtol=1e-11, atol=1e-12, method="DOP853")
    np.testing.assert_allclose(ref.y[:, -1], x, atol=1e-8)
    tr = simulate(net, [0.0, 0.0], (0, 60), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(np.asarray(tr.x)[-1], ref.y[:, -1], atol=1e-8)


# ---------------------------------------------------------------- declared slopes are measured
@dataclasses.dataclass(frozen=True)
class _Liar(Activation):
    """Declares slopes in [0, 1] but is 2·[z]₊ clipped at 1 (slope 2 on (0, ½))."""

    name: ClassVar[str] = "liar"

    def __call__(self, z):  # type: ignore[no-untyped-def]
        return np.clip(2.0 * np.asarray(z, dtype=float), 0.0, 1.0)

    def derivative(self, z):  # type: ignore[no-untyped-def]
        return np.zeros_like(np.asarray(z, dtype=float))  # lies too, but is never trusted

    def inverse(self, y):  # type: ignore[no-untyped-def]
        return 0.5 * np.asarray(y, dtype=float)

    def g(self, y):  # type: ignore[no-untyped-def]
        return np.zeros_like(np.asarray(y, dtype=float))


@dataclasses.dataclass(frozen=True)
class _Sine(Activation):
    name: ClassVar[str] = "sine"

    def __call__(self, z):  # type: ignore[no-untyped-def]
        return np.sin(np.asarray(z, dtype=float))

    def derivative(self, z):  # type: ignore[no-untyped-def]
        return np.cos(np.asarray(z, dtype=float))

    def inverse(self, y):  # type: ignore[no-untyped-def]
        return np.arcsin(np.asarray(y, dtype=float))

    def g(self, y):  # type: ignore[no-untyped-def]
        return np.zeros_like(np.asarray(y, dtype=float))


@dataclasses.dataclass(frozen=True)
class _NarrowSpike(Activation):
    """Slope 1 everywhere except slope 3 on a 0.004-wide interval at its declared kink."""

    name: ClassVar[str] = "spike"

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return (0.3,)

    def __call__(self, z):  # type: ignore[no-untyped-def]
        z = np.asarray(z, dtype=float)
        return z + 2.0 * np.clip(z - 0.3, 0.0, 0.004)

    def derivative(self, z):  # type: ignore[no-untyped-def]
        return np.ones_like(np.asarray(z, dtype=float))

    def inverse(self, y):  # type: ignore[no-untyped-def]
        return np.asarray(y, dtype=float)

    def g(self, y):  # type: ignore[no-untyped-def]
        return np.zeros_like(np.asarray(y, dtype=float))


def test_network_refuses_a_user_activation_whose_slope_bound_is_false() -> None:
    from eicircuits.activations import check_slopes

    with pytest.raises(ValidationError, match=r"activation\[0\] _Liar\(\): declares slopes in "
                       r"\[0, 1\] but its measured slope between z = .* is 2 > 1"):
        Network([[0.0, -1.0], [1.0, 0.0]], activation=_Liar())
    with pytest.raises(ValidationError, match=r"is 3 > 1"):
        check_slopes(_NarrowSpike())
    # The oracle for the measured number: the secant of the true function over (0, ½).
    assert (float(_Liar()(0.5)) - float(_Liar()(0.0))) / 0.5 == 2.0
    with pytest.raises(ValidationError, match=r"declares slopes in \[0, 1\] but its measured"):
        check_activation(_Liar())


def test_network_refuses_a_non_monotone_user_activation() -> None:
    with pytest.raises(ValidationError, match=r"_Sine\(\): is not nondecreasing: φ\(.*\) = .* < "
                       r"φ\(.*\) = .* \(measured\)"):
        Network([[0.0]], activation=_Sine())
    with pytest.raises(ValidationError, match=r"activation\[1\] _Sine"):
        Network(np.zeros((2, 2)), activation=[ReLU(), _Sine()])


def test_honest_user_activation_is_accepted_once_and_cached() -> None:
    from eicircuits import activations as mod

    @dataclasses.dataclass(frozen=True)
    class Soft(Activation):  # ½ tanh: slopes in [0, ½], declared as such
        slope_bounds: ClassVar[tuple[float, float]] = (0.0, 0.5)

        def __call__(self, z):  # type: ignore[no-untyped-def]
            return 0.5 * np.tanh(np.asarray(z, dtype=float))

        def derivative(self, z):  # type: ignore[no-untyped-def]
            return 0.5 / np.cosh(np.asarray(z, dtype=float)) ** 2

        def inverse(self, y):  # type: ignore[no-untyped-def]
            return np.arctanh(2 * np.asarray(y, dtype=float))

        def g(self, y):  # type: ignore[no-untyped-def]
            return np.zeros_like(np.asarray(y, dtype=float))

    act = Soft()
    Network([[0.0]], activation=act)
    assert (Soft, act) in mod._CHECKED
    assert (ReLU, ReLU()) not in mod._CHECKED  # built-ins are trusted, never sampled
    Network([[0.0]], activation=act)  # second network: no new check (cache hit)


def test_spec_files_take_gain_and_threshold() -> None:
    import tomllib

    from eicircuits.spec import spec_from_dict

    text = ('[network]\nW = [[0.5, -1.0], [1.0, -0.5]]\n'
            'activation = { name = "logistic", gain = 0.25, threshold = 1 }\n')
    net = spec_from_dict(tomllib.loads(text)).network()
    assert net.activation == Logistic(gain=0.25, threshold=1.0)
    text = ('[builder]\nname = "wilson_cowan"\nw_ee = 12.0\nw_ei = 4.0\nw_ie = 13.0\n'
            'w_ii = 11.0\nsigmoid = [1.3, 4.0]\n')
    net = spec_from_dict(tomllib.loads(text)).network()
    assert net.activation.to_spec() == {"name": "logistic", "gain": 0.325, "threshold": 4.0}


def test_user_activation_that_rejects_arrays_is_refused_by_name() -> None:
    @dataclasses.dataclass(frozen=True)
    class Scalar(Activation):
        def __call__(self, z):  # type: ignore[no-untyped-def]
            return math.tanh(z)  # scalars only

        def derivative(self, z):  # type: ignore[no-untyped-def]
            return 1 - math.tanh(z) ** 2

        def inverse(self, y):  # type: ignore[no-untyped-def]
            return math.atanh(y)

        def g(self, y):  # type: ignore[no-untyped-def]
            return 0.0

    with pytest.raises(ValidationError, match=r"Scalar: φ could not be evaluated on an array.*"
                       r"must accept NumPy arrays"):
        Network([[0.0]], activation=Scalar())
