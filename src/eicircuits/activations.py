"""Activation functions as proximal operators (THEORY §1).

Every activation here is a nondecreasing scalar map with slopes in ``[0, 1]``. Exactly these
maps are proximal operators ``φ = prox_g`` of a proper closed convex ``g``
(``g(y) = ∫ (φ⁻¹(s) − s) ds`` on the range of ``φ``, ``+∞`` outside), and that ``g`` is the
"cost of firing" each neuron pays in the game of :mod:`eicircuits.game`.

Built-in activations: :class:`ReLU`, :class:`ClippedReLU`, :class:`Tanh`, :class:`Logistic`
(gain 4 so that its slope is at most 1), :class:`Softplus` and :class:`Linear`. A user activation
subclasses :class:`Activation`, implements ``__call__``, ``derivative``, ``inverse`` and ``g``
and is checked with :func:`check_activation`. One with maximal slope ``s > 1`` is brought back
to the contract by :func:`unit_slope`, which says out loud what it did.

Examples
--------
>>> import numpy as np
>>> from eicircuits import ReLU, Tanh
>>> ReLU()(np.array([-1.0, 2.0]))
array([0., 2.])
>>> float(Tanh().prox(0.3, 1.0)) == float(np.tanh(0.3))
True
"""

from __future__ import annotations

import abc
import dataclasses
import math
import warnings
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from .errors import EICircuitsWarning, ValidationError

__all__ = [
    "Activation",
    "ReLU",
    "ClippedReLU",
    "Tanh",
    "Logistic",
    "Softplus",
    "Linear",
    "Scaled",
    "check_activation",
    "unit_slope",
    "activation_from_spec",
]

FloatArray = NDArray[np.float64]


def _asfloat(z: ArrayLike) -> FloatArray:
    return np.asarray(z, dtype=float)


class Activation(abc.ABC):
    """Base class of activations ``φ`` (nondecreasing, slopes in ``[lo, hi] ⊆ [0, 1]``).

    Subclasses are frozen dataclasses (hashable, comparable by value) and implement:

    ``__call__(z)``
        ``φ(z)``, elementwise.
    ``derivative(z)``
        ``φ'(z)`` (a one-sided value at kinks).
    ``inverse(y)``
        ``φ⁻¹(y)`` on the interior of the range (any element of the preimage for
        piecewise-linear maps).
    ``g(y)``
        The convex regulariser, ``+inf`` outside the closed range.

    and set the class attributes ``slope_bounds`` and ``value_range``. ``prox`` has a generic
    implementation (safeguarded Newton on the optimality condition
    ``γ(φ⁻¹(y) − y) + y = z``); piecewise-linear activations override it in closed form.
    """

    #: Smallest and largest slope of ``φ``.
    slope_bounds: ClassVar[tuple[float, float]] = (0.0, 1.0)
    #: True when ``φ`` is piecewise linear (the equilibrium problem is then an LCP).
    piecewise_linear: ClassVar[bool] = False
    #: Short name used in specification files and reports.
    name: ClassVar[str] = "activation"

    @property
    def value_range(self) -> tuple[float, float]:
        """Closed hull of the range of ``φ``: ``(inf φ, sup φ)``."""
        return (-math.inf, math.inf)

    @property
    def max_slope(self) -> float:
        """The Lipschitz constant of ``φ``."""
        return float(self.slope_bounds[1])

    @abc.abstractmethod
    def __call__(self, z: ArrayLike) -> FloatArray:
        """Evaluate ``φ(z)`` elementwise."""

    @abc.abstractmethod
    def derivative(self, z: ArrayLike) -> FloatArray:
        """Evaluate ``φ'(z)`` elementwise."""

    @abc.abstractmethod
    def inverse(self, y: ArrayLike) -> FloatArray:
        """Evaluate ``φ⁻¹(y)`` on the interior of the range."""

    @abc.abstractmethod
    def g(self, y: ArrayLike) -> FloatArray:
        """The convex regulariser ``g`` with ``φ = prox_g``; ``+inf`` outside the range."""

    def in_range(self, y: ArrayLike) -> NDArray[np.bool_]:
        """Whether ``y`` lies in the closed range of ``φ`` (where ``g`` is finite)."""
        lo, hi = self.value_range
        y = _asfloat(y)
        return (y >= lo) & (y <= hi)

    def prox(self, z: ArrayLike, gamma: ArrayLike = 1.0) -> FloatArray:
        """``prox_{γ g}(z) = argmin_y γ g(y) + ½ (y − z)²``, elementwise.

        ``gamma = 1`` gives ``φ(z)``. For ``γ ≠ 1`` the generic implementation solves
        ``γ(φ⁻¹(y) − y) + y = z`` by bisection-safeguarded Newton on the range of ``φ``.
        """
        z = _asfloat(z)
        gamma = np.broadcast_to(_asfloat(gamma), z.shape)
        if np.any(gamma <= 0):
            raise ValidationError(f"prox: gamma must be > 0, got {gamma!r}")
        if np.all(gamma == 1.0):
            return self(z)
        return _generic_prox(self, z, gamma)

    def to_spec(self) -> dict[str, Any]:
        """A plain dict that :func:`activation_from_spec` turns back into this activation."""
        spec: dict[str, Any] = {"name": self.name}
        if dataclasses.is_dataclass(self):
            spec.update(dataclasses.asdict(self))
        return spec


def _generic_prox(act: Activation, z: FloatArray, gamma: FloatArray) -> FloatArray:
    """Solve ``h(y) = γ(φ⁻¹(y) − y) + y − z = 0`` on the range of ``φ``.

    ``h`` is increasing (``φ⁻¹`` has slope ≥ 1), so a bracket plus safeguarded Newton
    converges to machine precision.
    """
    lo, hi = act.value_range

    def h(y: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return gamma * (act.inverse(y) - y) + y - z

    def end(bound: float, sign: float) -> FloatArray:
        if math.isfinite(bound):
            return np.full(z.shape, bound)
        e = np.full(z.shape, sign * (np.abs(z).max(initial=0.0) + 1.0))
        for _ in range(2000):
            bad = sign * h(e) <= 0
            if not np.any(bad):
                break
            e = np.where(bad, 2.0 * e, e)
        return e

    a, b = end(lo, -1.0), end(hi, 1.0)
    y = np.clip(act(z), a, b)
    y = np.where((y <= a) | (y >= b), 0.5 * (a + b), y)
    for _ in range(300):
        hy = h(y)
        a = np.where(hy < 0, y, a)
        b = np.where(hy > 0, y, b)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            dh = gamma * (1.0 / act.derivative(act.inverse(y)) - 1.0) + 1.0
            newton = y - hy / dh
        # A Newton step that stays put is convergence, not a reason to bisect away.
        ok = np.isfinite(newton) & (((newton > a) & (newton < b)) | (newton == y))
        y_new = np.where(hy == 0, y, np.where(ok, newton, 0.5 * (a + b)))
        done = np.all(np.abs(y_new - y) <= 4 * np.finfo(float).eps * (1.0 + np.abs(y)))
        y = y_new
        if done:
            break
    return y


@dataclasses.dataclass(frozen=True)
class ReLU(Activation):
    """Rectified linear unit ``[z]₊``: the prox of the indicator of ``[0, ∞)``.

    Examples
    --------
    >>> from eicircuits import ReLU
    >>> float(ReLU().g(-1.0)), float(ReLU().g(2.0))
    (inf, 0.0)
    """

    piecewise_linear: ClassVar[bool] = True
    name: ClassVar[str] = "relu"

    @property
    def value_range(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def __call__(self, z: ArrayLike) -> FloatArray:
        return np.maximum(_asfloat(z), 0.0)

    def derivative(self, z: ArrayLike) -> FloatArray:
        return (_asfloat(z) > 0).astype(float)

    def inverse(self, y: ArrayLike) -> FloatArray:
        return _asfloat(y).copy()

    def g(self, y: ArrayLike) -> FloatArray:
        y = _asfloat(y)
        return np.where(y >= 0, 0.0, np.inf)

    def prox(self, z: ArrayLike, gamma: ArrayLike = 1.0) -> FloatArray:
        return np.maximum(_asfloat(z), 0.0) + 0.0 * _asfloat(gamma)


@dataclasses.dataclass(frozen=True)
class ClippedReLU(Activation):
    """Clipped ReLU ``min(max(z, 0), r_max)``: the prox of the indicator of ``[0, r_max]``.

    Parameters
    ----------
    r_max : float
        Saturation rate, ``> 0``.
    """

    r_max: float = 1.0
    piecewise_linear: ClassVar[bool] = True
    name: ClassVar[str] = "clipped_relu"

    def __post_init__(self) -> None:
        ok = isinstance(self.r_max, (int, float)) and math.isfinite(self.r_max)
        if not (ok and self.r_max > 0):
            raise ValidationError(
                f"ClippedReLU: r_max must be a finite number > 0, got {self.r_max!r}"
            )
        object.__setattr__(self, "r_max", float(self.r_max))

    @property
    def value_range(self) -> tuple[float, float]:
        return (0.0, self.r_max)

    def __call__(self, z: ArrayLike) -> FloatArray:
        return np.clip(_asfloat(z), 0.0, self.r_max)

    def derivative(self, z: ArrayLike) -> FloatArray:
        z = _asfloat(z)
        return ((z > 0) & (z < self.r_max)).astype(float)

    def inverse(self, y: ArrayLike) -> FloatArray:
        return _asfloat(y).copy()

    def g(self, y: ArrayLike) -> FloatArray:
        y = _asfloat(y)
        return np.where((y >= 0) & (y <= self.r_max), 0.0, np.inf)

    def prox(self, z: ArrayLike, gamma: ArrayLike = 1.0) -> FloatArray:
        return np.clip(_asfloat(z), 0.0, self.r_max) + 0.0 * _asfloat(gamma)


@dataclasses.dataclass(frozen=True)
class Linear(Activation):
    """The identity ``φ(z) = z`` (``g = 0``): the network is linear."""

    slope_bounds: ClassVar[tuple[float, float]] = (1.0, 1.0)
    piecewise_linear: ClassVar[bool] = True
    name: ClassVar[str] = "linear"

    def __call__(self, z: ArrayLike) -> FloatArray:
        return _asfloat(z).copy()

    def derivative(self, z: ArrayLike) -> FloatArray:
        return np.ones_like(_asfloat(z))

    def inverse(self, y: ArrayLike) -> FloatArray:
        return _asfloat(y).copy()

    def g(self, y: ArrayLike) -> FloatArray:
        return np.zeros_like(_asfloat(y))

    def prox(self, z: ArrayLike, gamma: ArrayLike = 1.0) -> FloatArray:
        return _asfloat(z).copy() + 0.0 * _asfloat(gamma)


@dataclasses.dataclass(frozen=True)
class Tanh(Activation):
    """Hyperbolic tangent; ``g(y) = ½[(1+y)log(1+y) + (1−y)log(1−y)] − ½y²`` on ``[−1, 1]``."""

    name: ClassVar[str] = "tanh"

    @property
    def value_range(self) -> tuple[float, float]:
        return (-1.0, 1.0)

    def __call__(self, z: ArrayLike) -> FloatArray:
        return np.tanh(_asfloat(z))

    def derivative(self, z: ArrayLike) -> FloatArray:
        t = np.tanh(_asfloat(z))
        return 1.0 - t * t

    def inverse(self, y: ArrayLike) -> FloatArray:
        return np.arctanh(_asfloat(y))

    def g(self, y: ArrayLike) -> FloatArray:
        y = _asfloat(y)
        inside = np.abs(y) <= 1.0
        yc = np.clip(y, -1.0, 1.0)
        val = 0.5 * (special.xlogy(1 + yc, 1 + yc) + special.xlogy(1 - yc, 1 - yc)) - 0.5 * yc * yc
        return np.where(inside, val, np.inf)


@dataclasses.dataclass(frozen=True)
class Logistic(Activation):
    """Logistic ``1/(1 + e^{−4z})`` (gain 4, slope ≤ 1) with range ``(0, 1)``.

    ``g(y) = ¼[y log y + (1−y) log(1−y)] − ½y²`` on ``[0, 1]``.
    """

    name: ClassVar[str] = "logistic"

    @property
    def value_range(self) -> tuple[float, float]:
        return (0.0, 1.0)

    def __call__(self, z: ArrayLike) -> FloatArray:
        return special.expit(4.0 * _asfloat(z))

    def derivative(self, z: ArrayLike) -> FloatArray:
        s = special.expit(4.0 * _asfloat(z))
        return 4.0 * s * (1.0 - s)

    def inverse(self, y: ArrayLike) -> FloatArray:
        return 0.25 * special.logit(_asfloat(y))

    def g(self, y: ArrayLike) -> FloatArray:
        y = _asfloat(y)
        inside = (y >= 0) & (y <= 1)
        yc = np.clip(y, 0.0, 1.0)
        val = 0.25 * (special.xlogy(yc, yc) + special.xlogy(1 - yc, 1 - yc)) - 0.5 * yc * yc
        return np.where(inside, val, np.inf)


@dataclasses.dataclass(frozen=True)
class Softplus(Activation):
    """Softplus ``log(1 + e^z)`` with range ``(0, ∞)``; ``g(y) = Li₂(e^{−y})`` for ``y ≥ 0``."""

    name: ClassVar[str] = "softplus"

    @property
    def value_range(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def __call__(self, z: ArrayLike) -> FloatArray:
        return np.logaddexp(0.0, _asfloat(z))

    def derivative(self, z: ArrayLike) -> FloatArray:
        return special.expit(_asfloat(z))

    def inverse(self, y: ArrayLike) -> FloatArray:
        y = _asfloat(y)
        with np.errstate(divide="ignore", invalid="ignore"):
            return y + np.log(-np.expm1(-y))

    def g(self, y: ArrayLike) -> FloatArray:
        y = _asfloat(y)
        inside = y >= 0
        yc = np.maximum(y, 0.0)
        # Li₂(w) = spence(1 − w) in SciPy's convention.
        val = special.spence(-np.expm1(-yc))
        return np.where(inside, val, np.inf)


@dataclasses.dataclass(frozen=True)
class Scaled(Activation):
    """``ψ(z) = φ(z / s)``: a steep activation ``φ`` (max slope ``s``) brought to slope ≤ 1.

    Built by :func:`unit_slope`; users rarely construct it directly.
    """

    base: Activation
    s: float
    name: ClassVar[str] = "scaled"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.s) and self.s > 0):
            raise ValidationError(f"Scaled: s must be a finite number > 0, got {self.s!r}")

    @property
    def piecewise_linear(self) -> bool:  # type: ignore[override]
        return self.base.piecewise_linear

    @property
    def slope_bounds(self) -> tuple[float, float]:  # type: ignore[override]
        lo, hi = self.base.slope_bounds
        return (lo / self.s, hi / self.s)

    @property
    def value_range(self) -> tuple[float, float]:
        return self.base.value_range

    def __call__(self, z: ArrayLike) -> FloatArray:
        return self.base(_asfloat(z) / self.s)

    def derivative(self, z: ArrayLike) -> FloatArray:
        return self.base.derivative(_asfloat(z) / self.s) / self.s

    def inverse(self, y: ArrayLike) -> FloatArray:
        return self.s * self.base.inverse(y)

    def g(self, y: ArrayLike) -> FloatArray:
        # g_ψ(y) = ∫ (s φ⁻¹(t) − t) dt = s g_φ(y) + (s − 1) y²/2.
        y = _asfloat(y)
        return self.s * self.base.g(y) + 0.5 * (self.s - 1.0) * y * y

    def to_spec(self) -> dict[str, Any]:
        return {"name": self.name, "base": self.base.to_spec(), "s": self.s}


def unit_slope(activation: Activation, W: Any, u: ArrayLike) -> tuple[Activation, Any, FloatArray]:
    """Rescale a steep activation (max slope ``s > 1``) to the unit-slope contract.

    ``x = φ(Wx + u)`` is rewritten as ``x = ψ(sWx + su)`` with ``ψ(z) = φ(z/s)``; a
    :class:`~eicircuits.errors.EICircuitsWarning` says so. Activations with slope ≤ 1 are
    returned unchanged.

    Returns
    -------
    (activation, W, u)
        The activation with slope ≤ 1 and the rescaled weights and input.
    """
    s = activation.max_slope
    if not math.isfinite(s) or s <= 0:
        raise ValidationError(
            f"activation {activation!r}: max slope must be finite and > 0, got {s}"
        )
    if s <= 1.0:
        return activation, W, _asfloat(u)
    warnings.warn(
        f"activation {activation!r} has max slope {s:g} > 1: rescaled to ψ(z) = φ(z/{s:g}) with "
        f"W → {s:g}·W and u → {s:g}·u (same rates, same equilibria)",
        EICircuitsWarning,
        stacklevel=2,
    )
    return Scaled(activation, s), W * s, _asfloat(u) * s


_BUILTIN: dict[str, type[Activation]] = {
    cls.name: cls for cls in (ReLU, ClippedReLU, Tanh, Logistic, Softplus, Linear)
}


def activation_from_spec(spec: str | dict[str, Any] | Activation) -> Activation:
    """Build an activation from a name (``"relu"``) or a table (``{"name": "tanh"}``).

    Raises
    ------
    ValidationError
        Unknown name or parameters.
    """
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict) or "name" not in spec:
        raise ValidationError(
            f"activation: expected a name or a table with a 'name' key, got {spec!r}"
        )
    params = dict(spec)
    name = str(params.pop("name")).lower()
    if name == "scaled":
        return Scaled(activation_from_spec(params["base"]), float(params["s"]))
    if name not in _BUILTIN:
        raise ValidationError(
            f"activation: unknown name {name!r}; expected one of {sorted(_BUILTIN)}"
        )
    try:
        return _BUILTIN[name](**params)
    except TypeError as exc:
        raise ValidationError(f"activation {name!r}: bad parameters {params!r} ({exc})") from exc


def check_activation(act: Activation, *, z: ArrayLike | None = None, atol: float = 1e-7) -> None:
    """Check that a (user) activation honours the contract; raise ``ValidationError`` if not.

    Checks, on a grid of pre-activations ``z``: finite values, monotonicity, slopes within
    ``slope_bounds ⊆ [0, 1]``, ``derivative`` against finite differences, ``inverse`` on the
    interior of the range, and the prox property: ``φ(z)`` minimises ``g(y) + ½(y − z)²``
    against nearby candidates ``y``.

    Examples
    --------
    >>> from eicircuits import Softplus, check_activation
    >>> check_activation(Softplus())
    """
    zz = np.linspace(-6.0, 6.0, 2401) if z is None else np.sort(_asfloat(z).ravel())
    name = type(act).__name__
    lo_s, hi_s = act.slope_bounds
    if not (0.0 <= lo_s <= hi_s <= 1.0):
        raise ValidationError(
            f"{name}: slope_bounds must satisfy 0 ≤ lo ≤ hi ≤ 1, got {act.slope_bounds}; "
            "use unit_slope() for steeper activations"
        )
    y = act(zz)
    if not np.all(np.isfinite(y)):
        raise ValidationError(f"{name}: φ(z) is not finite on the test grid")
    if np.any(np.diff(y) < -atol):
        raise ValidationError(f"{name}: φ must be nondecreasing")
    d = act.derivative(zz)
    if np.any(d < lo_s - atol) or np.any(d > hi_s + atol):
        raise ValidationError(f"{name}: derivative outside slope_bounds {act.slope_bounds}")
    h = 1e-6
    fd = (act(zz + h) - act(zz - h)) / (2 * h)
    smooth = np.abs(act.derivative(zz + 2 * h) - act.derivative(zz - 2 * h)) < 1e-3
    if np.any(np.abs(fd - d)[smooth] > 1e-4):
        raise ValidationError(f"{name}: derivative disagrees with finite differences of φ")
    lo, hi = act.value_range
    interior = (y > lo + 1e-9) & (y < hi - 1e-9) & (d > 1e-6)
    if np.any(interior):
        back = act(act.inverse(y[interior]))
        if np.any(np.abs(back - y[interior]) > 1e-6):
            raise ValidationError(f"{name}: φ(φ⁻¹(y)) ≠ y on the interior of the range")
    # Prox property: φ(z) minimises g(y) + ½(y − z)².
    zs = zz[:: max(1, zz.size // 200)]
    ys = act(zs)
    obj = act.g(ys) + 0.5 * (ys - zs) ** 2
    if not np.all(np.isfinite(obj)):
        raise ValidationError(f"{name}: g(φ(z)) must be finite")
    for delta in (1e-3, -1e-3, 1e-1, -1e-1):
        yc = ys + delta
        objc = act.g(yc) + 0.5 * (yc - zs) ** 2
        if np.any(objc < obj - atol):
            raise ValidationError(
                f"{name}: φ is not prox_g: g(y) + ½(y − z)² is lower at φ(z) {delta:+g}"
            )
