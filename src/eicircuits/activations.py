"""Activation functions as proximal operators (docs/theory.md §1).

Every activation here is a nondecreasing scalar map with slopes in ``[0, 1]``. Exactly these
maps are proximal operators ``φ = prox_g`` of a proper closed convex ``g``
(``g(y) = ∫ (φ⁻¹(s) − s) ds`` on the range of ``φ``, ``+∞`` outside), and that ``g`` is the
"cost of firing" each neuron pays in the game of :mod:`eicircuits.game`.

Built-in activations: :class:`ReLU`, :class:`ClippedReLU`, :class:`Tanh`, :class:`Logistic`
(gain 4 so that its slope is at most 1), :class:`Softplus` and :class:`Linear`. A user activation
subclasses :class:`Activation`, implements ``__call__``, ``derivative``, ``inverse`` and ``g``
and is checked with :func:`check_activation`; a :class:`~eicircuits.Network` built with it
samples it first and refuses it when its declared slope bounds or monotonicity are false
(:func:`check_slopes`). One with maximal slope ``s > 1`` is brought back to the contract by
:func:`unit_slope`, which says out loud what it did.

Gains and thresholds: every activation takes ``gain`` and ``threshold`` keywords,
``Logistic(gain=0.3, threshold=3.0)`` is ``z ↦ φ(0.3 (z − 3))``, a :class:`Scaled` activation;
the slope contract applies to the product (``gain × max slope ≤ 1``). Specification tables say
``{name = "logistic", gain = 0.3, threshold = 3.0}``.

Beyond slope one: :class:`PowerLaw` ``k [z]₊ⁿ`` (the supralinear activation of the SSN, THEORY
§9) declares itself ``supralinear``; a network accepts it, but it is not a proximal operator of
a convex ``g``, so the game, LDS certificates and contraction do not apply to it (they refuse).

Examples
--------
>>> import numpy as np
>>> from eicircuits import ReLU, Tanh
>>> ReLU()(np.array([-1.0, 2.0]))
array([0., 2.])
>>> float(Tanh().prox(0.3, 1.0)) == float(np.tanh(0.3))
True
>>> from eicircuits import Logistic
>>> act = Logistic(gain=0.25, threshold=2.0)
>>> act.to_spec()
{'name': 'logistic', 'gain': 0.25, 'threshold': 2.0}
>>> float(act(2.0)), act.max_slope
(0.5, 0.25)
"""

from __future__ import annotations

import abc
import dataclasses
import functools
import inspect
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
    "PowerLaw",
    "check_activation",
    "check_slopes",
    "unit_slope",
    "activation_from_spec",
]

FloatArray = NDArray[np.float64]


def _asfloat(z: ArrayLike) -> FloatArray:
    return np.asarray(z, dtype=float)


def _real(name: str, value: Any, *, positive: bool = False) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not math.isfinite(float(value)) or (positive and not float(value) > 0):
        rule = "a finite number > 0" if positive else "a finite number"
        raise ValidationError(f"{name}: must be {rule}, got {value!r}")
    return float(value)


@functools.cache
def _own_parameters(cls: type) -> frozenset[str]:
    try:
        return frozenset(inspect.signature(cls).parameters)
    except (TypeError, ValueError):  # pragma: no cover - exotic classes
        return frozenset()


class _ActivationMeta(abc.ABCMeta):
    """Gives every activation class the keywords ``gain`` and ``threshold``.

    ``Cls(..., gain=g, threshold=θ)`` builds ``Cls(...)`` and returns ``z ↦ φ(g (z − θ))`` as a
    :class:`Scaled` activation (``Cls(...)`` itself when ``g = 1`` and ``θ = 0``). A class whose
    own constructor takes a parameter of that name keeps it.
    """

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        own = _own_parameters(cls)
        gain = kwargs.pop("gain", None) if "gain" not in own else None
        threshold = kwargs.pop("threshold", None) if "threshold" not in own else None
        if cls is Scaled and gain is not None:  # Scaled(base, gain=g): s = 1/g
            if len(args) > 1 or "s" in kwargs:
                raise ValidationError("Scaled: give the scale s or the gain, not both")
            kwargs["s"] = 1.0 / _real("gain", gain, positive=True)
            gain = None
        act = super().__call__(*args, **kwargs)
        if gain is None and threshold is None:
            return act
        return act.with_gain(1.0 if gain is None else gain,
                             0.0 if threshold is None else threshold)


class Activation(abc.ABC, metaclass=_ActivationMeta):
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

    and set the class attributes ``slope_bounds`` and ``value_range`` (and ``breakpoints``, the
    kinks, if any). ``prox`` has a generic implementation (safeguarded Newton on the optimality
    condition ``γ(φ⁻¹(y) − y) + y = z``); piecewise-linear activations override it in closed
    form.

    Every activation class also takes the keywords ``gain`` and ``threshold``
    (``φ(gain·(z − threshold))``, a :class:`Scaled` activation; see :meth:`with_gain`).

    The declared ``slope_bounds`` are a promise that the library checks: a network built with a
    user activation samples it (:func:`check_slopes`) and refuses it when the promise is false.
    """

    #: Smallest and largest slope of ``φ``.
    slope_bounds: ClassVar[tuple[float, float]] = (0.0, 1.0)
    #: True when ``φ`` is piecewise linear (the equilibrium problem is then an LCP).
    piecewise_linear: ClassVar[bool] = False
    #: True for activations that are deliberately steeper than slope 1 (e.g. :class:`PowerLaw`):
    #: a network accepts them, analyses that need slopes ≤ 1 refuse them (docs/theory.md §9).
    supralinear: ClassVar[bool] = False
    #: Short name used in specification files and reports.
    name: ClassVar[str] = "activation"

    @property
    def breakpoints(self) -> tuple[float, ...]:
        """The kinks of ``φ`` (where its slope jumps); sampled densely by :func:`check_slopes`."""
        return ()

    def with_gain(self, gain: float = 1.0, threshold: float = 0.0) -> Activation:
        """``z ↦ φ(gain·(z − threshold))`` (this activation itself when ``gain = 1, θ = 0``).

        The slopes are multiplied by ``gain``: the network contract ``slope ≤ 1`` applies to the
        product. Nested gains are flattened into one :class:`Scaled`.

        Examples
        --------
        >>> from eicircuits import ReLU
        >>> ReLU().with_gain(0.5, 2.0)
        Scaled(base=ReLU(), s=2.0, threshold=2.0)
        >>> float(ReLU().with_gain(0.5, 2.0)(4.0))
        1.0
        """
        g = _real("gain", gain, positive=True)
        th = _real("threshold", threshold)
        if g == 1.0 and th == 0.0:
            return self
        return Scaled(self, 1.0 / g, th)

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
        if self.max_slope > 1.0:
            raise ValidationError(
                f"prox: {self!r} has max slope {self.max_slope:g} > 1, so its g is not convex "
                "and prox_{γg} with γ ≠ 1 is not defined "
                "(docs/theory.md §9); analyses built on the "
                "proximal reading (the game, prox-gradient) need slopes ≤ 1"
            )
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

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return (0.0,)

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

    @property
    def breakpoints(self) -> tuple[float, ...]:
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
    """``ψ(z) = φ((z − θ)/s) = φ(gain·(z − θ))``: an activation with a gain and a threshold.

    What ``Activation(..., gain=, threshold=)``, :meth:`Activation.with_gain` and
    :func:`unit_slope` build; slopes are those of ``φ`` times ``gain = 1/s``.

    Parameters
    ----------
    base : Activation
        ``φ``.
    s : float
        Input scale ``1/gain``, ``> 0`` (``Scaled(base, gain=g)`` sets ``s = 1/g``).
    threshold : float
        Input threshold ``θ``.

    Examples
    --------
    >>> from eicircuits.activations import Logistic, Scaled
    >>> act = Scaled(Logistic(), gain=0.25, threshold=1.0)
    >>> act == Logistic(gain=0.25, threshold=1.0), act.slope_bounds
    (True, (0.0, 0.25))
    """

    base: Activation
    s: float = 1.0
    threshold: float = 0.0
    name: ClassVar[str] = "scaled"

    def __post_init__(self) -> None:
        if not isinstance(self.base, Activation):
            raise ValidationError(f"Scaled: base must be an Activation, got {self.base!r}")
        object.__setattr__(self, "s", _real("Scaled: s", self.s, positive=True))
        object.__setattr__(self, "threshold", _real("Scaled: threshold", self.threshold))

    @property
    def gain(self) -> float:
        """``1/s``."""
        return 1.0 / self.s

    @property
    def piecewise_linear(self) -> bool:  # type: ignore[override]
        return self.base.piecewise_linear

    @property
    def supralinear(self) -> bool:  # type: ignore[override]
        return self.base.supralinear

    @property
    def slope_bounds(self) -> tuple[float, float]:  # type: ignore[override]
        lo, hi = self.base.slope_bounds
        return (lo / self.s, hi / self.s)

    @property
    def value_range(self) -> tuple[float, float]:
        return self.base.value_range

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return tuple(self.s * b + self.threshold for b in self.base.breakpoints)

    def _inner(self, z: ArrayLike) -> FloatArray:
        z = _asfloat(z)
        return (z - self.threshold) / self.s if self.threshold else z / self.s

    def __call__(self, z: ArrayLike) -> FloatArray:
        return self.base(self._inner(z))

    def derivative(self, z: ArrayLike) -> FloatArray:
        return self.base.derivative(self._inner(z)) / self.s

    def inverse(self, y: ArrayLike) -> FloatArray:
        return self.s * self.base.inverse(y) + self.threshold

    def g(self, y: ArrayLike) -> FloatArray:
        # g_ψ(y) = ∫ (s φ⁻¹(t) + θ − t) dt = s g_φ(y) + (s − 1) y²/2 + θ y.
        y = _asfloat(y)
        return self.s * self.base.g(y) + 0.5 * (self.s - 1.0) * y * y + self.threshold * y

    def with_gain(self, gain: float = 1.0, threshold: float = 0.0) -> Activation:
        # φ((g(z − θ) − θ₀)/s₀) = φ((z − θ − θ₀/g)/(s₀/g)): one Scaled, not a nest.
        g = _real("gain", gain, positive=True)
        th = _real("threshold", threshold)
        if g == 1.0 and th == 0.0:
            return self
        return Scaled(self.base, self.s / g, th + self.threshold / g)

    def to_spec(self) -> dict[str, Any]:
        if self.s == 1.0 and not self.threshold:  # the identity wrapper: keep it explicit
            return {"name": self.name, "base": self.base.to_spec(), "s": 1.0}
        spec = self.base.to_spec()
        if 1.0 / (1.0 / self.s) == self.s:  # the gain round-trips exactly
            spec["gain"] = 1.0 / self.s
        else:
            spec["s"] = self.s
        if self.threshold:
            spec["threshold"] = self.threshold
        return spec


@dataclasses.dataclass(frozen=True)
class PowerLaw(Activation):
    """Supralinear power law ``φ(z) = k [z]₊ⁿ`` (the SSN's activation, docs/theory.md §9).

    For ``n > 1`` its slope ``k n z^{n−1}`` is unbounded: a :class:`~eicircuits.Network` accepts
    it (``supralinear``), and equilibria (``equilibrium(net, method="continuation")``), local
    stability and simulation work, but it is not the proximal operator of a convex ``g``
    (``g(y) = n/(n+1) k^{−1/n} y^{1+1/n} − y²/2`` is concave at high rates), so the game, LDS
    certificates and contraction do not apply globally and refuse it.

    Parameters
    ----------
    k : float
        Scale, ``> 0`` (in Rubin, Van Hooser & Miller 2015, ``k = 0.04``).
    n : float
        Power, ``≥ 1`` (``n = 2`` in the SSN literature).

    Examples
    --------
    >>> from eicircuits import PowerLaw
    >>> act = PowerLaw(0.04, 2.0)
    >>> float(act(10.0)), float(act.derivative(10.0)), act.slope_bounds
    (4.0, 0.8, (0.0, inf))
    """

    k: float = 1.0
    n: float = 2.0
    name: ClassVar[str] = "power_law"

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", _real("PowerLaw: k", self.k, positive=True))
        n = _real("PowerLaw: n", self.n)
        if n < 1.0:
            raise ValidationError(
                f"PowerLaw: n must be ≥ 1 (n < 1 has infinite slope at 0), got {self.n!r}"
            )
        object.__setattr__(self, "n", n)

    @property
    def slope_bounds(self) -> tuple[float, float]:  # type: ignore[override]
        return (0.0, self.k if self.n == 1.0 else math.inf)

    @property
    def supralinear(self) -> bool:  # type: ignore[override]
        return self.max_slope > 1.0

    @property
    def piecewise_linear(self) -> bool:  # type: ignore[override]
        return False

    @property
    def value_range(self) -> tuple[float, float]:
        return (0.0, math.inf)

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return (0.0,)

    def __call__(self, z: ArrayLike) -> FloatArray:
        return self.k * np.maximum(_asfloat(z), 0.0) ** self.n

    def derivative(self, z: ArrayLike) -> FloatArray:
        zp = np.maximum(_asfloat(z), 0.0)
        if self.n == 1.0:
            return self.k * (zp > 0)
        return self.k * self.n * zp ** (self.n - 1.0)

    def inverse(self, y: ArrayLike) -> FloatArray:
        return (np.maximum(_asfloat(y), 0.0) / self.k) ** (1.0 / self.n)

    def g(self, y: ArrayLike) -> FloatArray:
        y = _asfloat(y)
        yc = np.maximum(y, 0.0)
        p = 1.0 + 1.0 / self.n
        val = self.k ** (-1.0 / self.n) * yc**p / p - 0.5 * yc * yc
        return np.where(y >= 0, val, np.inf)


def unit_slope(activation: Activation, W: Any, u: ArrayLike) -> tuple[Activation, Any, FloatArray]:
    """Rescale a steep activation (max slope ``s > 1``) to the unit-slope contract.

    ``x = φ(Wx + u)`` is rewritten as ``x = ψ(sWx + su)`` with ``ψ(z) = φ(z/s)``; a
    :class:`~eicircuits.errors.EICircuitsWarning` says so. Activations with slope ≤ 1 are
    returned unchanged. A gain and threshold (``φ(g(z − θ))``) are rescaled with it.

    Returns
    -------
    (activation, W, u)
        The activation with slope ≤ 1 and the rescaled weights and input.

    Raises
    ------
    ValidationError
        An unbounded slope (:class:`PowerLaw`, ``n > 1``): no rescaling helps; such a network
        is used as it is (docs/theory.md §9).

    Examples
    --------
    >>> import warnings
    >>> from eicircuits.activations import Tanh, unit_slope
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     act, W, u = unit_slope(Tanh(gain=2.0, threshold=0.5), [[1.0]], [0.25])
    >>> act, W.tolist(), u.tolist()
    (Scaled(base=Tanh(), s=1.0, threshold=1.0), [[2.0]], [0.5])
    """
    s = activation.max_slope
    if math.isinf(s) and activation.supralinear:
        raise ValidationError(
            f"activation {activation!r} has unbounded slope (supralinear): no rescaling brings "
            "it to slope ≤ 1. Use it as it is: Network accepts it, and equilibria "
            "(method='continuation'), local stability and simulate work; certificates and the "
            "game do not apply (docs/theory.md §9)"
        )
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
    if isinstance(activation, Scaled):  # φ((z/s − θ)/s₀) = φ((z − sθ)/(s s₀))
        scaled = Scaled(activation.base, activation.s * s, activation.threshold * s)
    else:
        scaled = Scaled(activation, s)
    W = W if hasattr(W, "shape") else np.asarray(W, dtype=float)  # lists: no repetition by *
    return scaled, W * s, _asfloat(u) * s


_BUILTIN: dict[str, type[Activation]] = {
    cls.name: cls for cls in (ReLU, ClippedReLU, Tanh, Logistic, Softplus, Linear, PowerLaw)
}
_BUILTIN["powerlaw"] = PowerLaw


def activation_from_spec(spec: str | dict[str, Any] | Activation) -> Activation:
    """Build an activation from a name (``"relu"``) or a table (``{"name": "tanh"}``).

    A table may add ``gain`` (or the scale ``s = 1/gain``) and ``threshold``:
    ``{"name": "logistic", "gain": 0.25, "threshold": 1.0}`` is ``z ↦ φ(0.25 (z − 1))``.

    Raises
    ------
    ValidationError
        Unknown name or parameters.

    Examples
    --------
    >>> from eicircuits.activations import activation_from_spec
    >>> activation_from_spec({"name": "power_law", "k": 0.04, "n": 2})
    PowerLaw(k=0.04, n=2.0)
    >>> activation_from_spec({"name": "relu", "threshold": 1.0})
    Scaled(base=ReLU(), s=1.0, threshold=1.0)
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
    if name == "scaled":  # the explicit form {name = "scaled", base = {...}, s = ...}
        if "base" not in params:
            raise ValidationError(f"activation 'scaled': needs a 'base' table, got {spec!r}")
        base = activation_from_spec(params.pop("base"))
        return _with_affine(base, params, name)
    if name not in _BUILTIN:
        raise ValidationError(
            f"activation: unknown name {name!r}; expected one of {sorted(_BUILTIN)}"
        )
    affine = {k: params.pop(k) for k in ("gain", "s", "threshold") if k in params}
    try:
        base = _BUILTIN[name](**params)
    except TypeError as exc:
        raise ValidationError(f"activation {name!r}: bad parameters {params!r} ({exc})") from exc
    return _with_affine(base, affine, name)


def _with_affine(base: Activation, params: dict[str, Any], name: str) -> Activation:
    unknown = sorted(set(params) - {"gain", "s", "threshold"})
    if unknown:
        raise ValidationError(f"activation {name!r}: bad parameters {unknown}")
    if "gain" in params and "s" in params:
        raise ValidationError(f"activation {name!r}: give 'gain' or 's' (= 1/gain), not both")
    threshold = params.get("threshold", 0.0)
    if "s" in params:
        s = _real(f"activation {name!r}: s", params["s"], positive=True)
        if isinstance(base, Scaled):
            return Scaled(base.base, base.s * s, base.threshold * s + _real("threshold", threshold))
        return Scaled(base, s, threshold)
    return base.with_gain(params.get("gain", 1.0), threshold)


# --------------------------------------------------------------------------- sampled checks
_TRUSTED: tuple[type[Activation], ...] = (ReLU, ClippedReLU, Tanh, Logistic, Softplus, Linear,
                                         PowerLaw)
_CHECKED: dict[Any, None] = {}
_CHECKED_MAX = 4096


def _trusted(act: Activation) -> bool:
    if isinstance(act, Scaled):
        return _trusted(act.base)
    return type(act) in _TRUSTED


def _sample_grid(act: Activation) -> FloatArray:
    """Pre-activations where a declared contract is checked: a fine grid on ``[−20, 20]``,
    logarithmic tails to ``±10⁶`` and dense clusters at the declared ``breakpoints``."""
    parts = [np.linspace(-20.0, 20.0, 4001), np.logspace(-6, 6, 121), -np.logspace(-6, 6, 121)]
    offsets = np.concatenate([-np.logspace(-7, -1, 13), [0.0], np.logspace(-7, -1, 13)])
    for b in act.breakpoints:
        if math.isfinite(b):
            parts.append(b + offsets)
    return np.unique(np.concatenate(parts))


def _secants(act: Activation, z: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    try:
        with np.errstate(all="ignore"):
            y = _asfloat(act(z))
    except Exception as exc:  # a user's φ: say what failed instead of a traceback inside it
        raise ValidationError(
            f"{type(act).__name__}: φ could not be evaluated on an array of {z.size} samples "
            f"({type(exc).__name__}: {exc}); activations must accept NumPy arrays"
        ) from exc
    if y.shape != z.shape:
        raise ValidationError(
            f"{type(act).__name__}: φ(z) must have the shape of z, got {y.shape} for {z.shape}"
        )
    bad = ~np.isfinite(y)
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        raise ValidationError(
            f"{type(act).__name__}: φ({z[k]:g}) = {y[k]} is not finite (measured)"
        )
    dz = np.diff(z)
    slope = np.diff(y) / dz
    # Rounding of φ can move a secant by about eps·|φ|/dz; measured violations must exceed it.
    tol = 1e-7 + 64 * np.finfo(float).eps * (np.abs(y[:-1]) + np.abs(y[1:])) / dz
    return y, slope, tol


def check_slopes(act: Activation, *, where: str = "activation") -> None:
    """Check an activation's declared slope bounds and monotonicity; raise if they are false.

    The declared ``slope_bounds = (lo, hi)`` must satisfy ``0 ≤ lo ≤ hi ≤ 1``, or ``hi > 1`` for
    an activation that declares itself ``supralinear``. For a user (non-built-in) activation
    the promise is then measured: secant slopes ``(φ(b) − φ(a))/(b − a)`` on a fine grid
    (refined where the slope is largest or jumps, and at the declared ``breakpoints``) and the
    declared ``derivative`` must lie in ``[lo, hi]`` (a secant slope is a slope somewhere, by
    the mean value theorem, so a violation measured this way is real). Built-in activations
    are trusted; a checked activation is remembered (one check per instance).

    Raises
    ------
    ValidationError
        With the measured violation: where, the value and the declared bound.

    Examples
    --------
    >>> import dataclasses, numpy as np
    >>> from eicircuits.activations import Tanh, check_slopes
    >>> @dataclasses.dataclass(frozen=True)
    ... class Steep(Tanh):  # claims the slopes of tanh but is tanh(2z)
    ...     def __call__(self, z):
    ...         return np.tanh(2 * np.asarray(z, dtype=float))
    >>> check_slopes(Steep())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    eicircuits.errors.ValidationError: activation Steep(): declares slopes in [0, 1] but ...
    """
    if not isinstance(act, Activation):
        raise ValidationError(f"{where}: expected an Activation, got {act!r}")
    lo, hi = (float(v) for v in act.slope_bounds)
    if not (0.0 <= lo <= hi) or math.isnan(hi):
        raise ValidationError(
            f"{where} {act!r}: slopes must lie in [0, 1], got {act.slope_bounds} "
            "(0 ≤ lo ≤ hi is required)"
        )
    if hi > 1.0 and not act.supralinear:
        raise ValidationError(
            f"{where} {act!r}: slopes must lie in [0, 1], got {act.slope_bounds}; rescale a "
            "steep activation with eicircuits.activations.unit_slope (or declare "
            "supralinear = True for an activation meant to be steeper, docs/theory.md §9)"
        )
    if _trusted(act):
        return
    try:
        key: Any = (type(act), act)
        if key in _CHECKED:
            return
    except TypeError:  # unhashable user activation: checked every time (it is cheap)
        key = None
    _measure(act, lo, hi, where)
    if key is not None and len(_CHECKED) < _CHECKED_MAX:
        _CHECKED[key] = None


def _measure(act: Activation, lo: float, hi: float, where: str) -> None:
    z = _sample_grid(act)
    y, slope, tol = _secants(act, z)
    # Refine the 32 steepest intervals and those where the secant slope jumps (kinks).
    jump = np.abs(np.diff(slope, prepend=slope[0])) > 1e-3 * max(1.0, min(hi, 1e6))
    order = np.argsort(slope)
    pick = np.unique(np.concatenate([order[-32:], order[:8], np.flatnonzero(jump)[:256]]))
    fine = [np.linspace(z[k], z[k + 1], 33) for k in pick]
    if fine:
        z = np.unique(np.concatenate([z, *fine]))
        y, slope, tol = _secants(act, z)
    name = f"{where} {act!r}"
    rule = f"declares slopes in [{lo:g}, {hi:g}]"
    k = int(np.argmin(slope + tol))
    if slope[k] < -tol[k]:
        raise ValidationError(
            f"{name}: is not nondecreasing: φ({z[k + 1]:.6g}) = {y[k + 1]:.6g} < "
            f"φ({z[k]:.6g}) = {y[k]:.6g} (measured); activations must be monotone "
            "(docs/theory.md §1)"
        )
    if slope[k] < lo - tol[k] * (1.0 + lo):
        raise ValidationError(
            f"{name}: {rule} but its measured slope between z = {z[k]:.6g} and "
            f"z = {z[k + 1]:.6g} is {slope[k]:.6g} < {lo:g} (secant of φ)"
        )
    k = int(np.argmax(slope - tol * (1.0 + min(hi, 1e6))))
    if math.isfinite(hi) and slope[k] > hi + tol[k] * (1.0 + hi):
        raise ValidationError(
            f"{name}: {rule} but its measured slope between z = {z[k]:.6g} and "
            f"z = {z[k + 1]:.6g} is {slope[k]:.6g} > {hi:g} (secant of φ); declare the true "
            "bounds (then rescale with eicircuits.activations.unit_slope) or fix the function"
        )
    try:
        with np.errstate(all="ignore"):
            d = _asfloat(act.derivative(z))
    except Exception as exc:
        raise ValidationError(
            f"{name}: derivative could not be evaluated on an array of samples "
            f"({type(exc).__name__}: {exc})"
        ) from exc
    if d.shape != z.shape:
        raise ValidationError(f"{name}: derivative(z) must have the shape of z, got {d.shape}")
    bad = ~np.isfinite(d) | (d < lo - 1e-7 * (1.0 + lo))
    if math.isfinite(hi):
        bad |= d > hi + 1e-7 * (1.0 + hi)
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        raise ValidationError(
            f"{name}: {rule} but derivative({z[k]:.6g}) = {d[k]:.6g} (its own derivative "
            "breaks the declared bounds)"
        )


def check_activation(act: Activation, *, z: ArrayLike | None = None, atol: float = 1e-7) -> None:
    """Check that an activation honours the proximal contract; raise ``ValidationError`` if not.

    First :func:`check_slopes` (declared bounds ``⊆ [0, 1]``, measured on samples, with the
    measured violation in the message), then, on a grid of pre-activations ``z``: finite values,
    monotonicity, slopes within ``slope_bounds``, ``derivative`` against finite differences,
    ``inverse`` on the interior of the range, and the prox property: ``φ(z)`` minimises
    ``g(y) + ½(y − z)²`` against nearby candidates ``y``. Supralinear activations
    (:class:`PowerLaw`) are refused: they are not proximal operators of a convex ``g``.

    Examples
    --------
    >>> from eicircuits import Softplus, check_activation
    >>> check_activation(Softplus())
    """
    name = type(act).__name__
    if not isinstance(act, Activation):
        raise ValidationError(f"activation: expected an Activation, got {act!r}")
    lo_s, hi_s = act.slope_bounds
    if not (0.0 <= lo_s <= hi_s <= 1.0):
        extra = (" (supralinear: not the proximal operator of a convex g, so certificates, "
                 "the game and contraction do not apply, docs/theory.md §9)" if act.supralinear
                 else "; use unit_slope() for steeper activations")
        raise ValidationError(
            f"{name}: slope_bounds must satisfy 0 ≤ lo ≤ hi ≤ 1, got {act.slope_bounds}{extra}"
        )
    _measure(act, float(lo_s), float(hi_s), "activation")
    zz = np.linspace(-6.0, 6.0, 2401) if z is None else np.sort(_asfloat(z).ravel())
    y = act(zz)
    if not np.all(np.isfinite(y)):
        raise ValidationError(f"{name}: φ(z) is not finite on the test grid")
    if np.any(np.diff(y) < -atol):
        raise ValidationError(f"{name}: φ must be nondecreasing")
    d = act.derivative(zz)
    if np.any(d < lo_s - atol) or np.any(d > hi_s + atol):
        k = int(np.flatnonzero((d < lo_s - atol) | (d > hi_s + atol))[0])
        raise ValidationError(f"{name}: derivative({zz[k]:.6g}) = {d[k]:.6g} outside "
                              f"slope_bounds {act.slope_bounds}")
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
