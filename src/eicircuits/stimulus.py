"""Stimulus protocols: time-varying inputs ``u(t)`` as data (docs/theory.md §7).

A stimulus is an immutable object that knows its value at any time, its **switching times**
(where it jumps or has a kink) and how to write itself as a plain ``dict`` (``to_spec()``, the
``[stimulus]`` table of a specification file). Build one with

constant(u)                               -- a constant input
step(t_on, amplitude)                     -- 0 before ``t_on``, ``amplitude`` from ``t_on`` on
pulse(t_on, t_off, amplitude)             -- ``amplitude`` on ``[t_on, t_off)``, 0 elsewhere
ramp(t_start, t_end, amplitude)           -- linear rise from 0 to ``amplitude``, then held
sine(freq, amplitude, phase)              -- ``amplitude·sin(2π·freq·t + phase)``
from_array(t, values, kind)               -- samples, interpolated (``"linear"``) or held

and combine them with ``+``, ``-`` and scaling by a number (or a per-neuron vector). Every
builder takes ``neurons=`` (the indices it acts on; default: all) and ``n=`` (the network size,
needed only to evaluate a stimulus restricted to ``neurons`` outside :func:`~eicircuits.simulate`,
which supplies it). Times are in the unit of ``net.tau``; values are jumps are right-continuous
(the new value holds from the switching time on).

:func:`~eicircuits.simulate` and :func:`~eicircuits.simulate_batch` accept a stimulus as ``u=``
(``simulate_batch`` also a list, one per member). Adaptive solvers integrate piecewise between
the switching times, so no step straddles a discontinuity; fixed-step methods evaluate the
stimulus on their grid (vectorised, once per block of steps): put switching times on the grid
``t0 + k·dt`` to keep their order.

Examples
--------
>>> from eicircuits import stimulus
>>> s = stimulus.step(1.0, 2.0) + 0.5 * stimulus.pulse(2.0, 3.0, [1.0, -1.0])
>>> s.switching_times
(1.0, 2.0, 3.0)
>>> s([0.0, 1.0, 2.5]).tolist()
[[0.0, 0.0], [2.0, 2.0], [2.5, 1.5]]
>>> stimulus.from_spec(s.to_spec()) == s
True
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .errors import ValidationError

__all__ = [
    "Stimulus", "Constant", "Step", "Pulse", "Ramp", "Sine", "FromArray", "Sum", "Scaled",
    "constant", "step", "pulse", "ramp", "sine", "from_array", "from_spec", "KINDS",
]

FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------- validation
def _time(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValidationError(f"{name}: expected a finite time (a number), got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValidationError(f"{name}: must be finite, got {value!r}")
    return v


def _ordered(first: str, a: float, second: str, b: float) -> None:
    """Refuse unless ``b > a`` (e.g. a pulse's ``t_off`` after its ``t_on``)."""
    if not b > a:
        raise ValidationError(
            f"{second}: need {second} > {first}, got {first} = {a:g}, {second} = {b:g}"
        )


def _amplitude(name: str, value: Any) -> FloatArray:
    if isinstance(value, (str, bytes)) or isinstance(value, bool):
        raise ValidationError(f"{name}: expected a number or a vector of numbers, got {value!r}")
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"{name}: expected a number or a vector of numbers, got {value!r}"
        ) from exc
    if arr.ndim > 1:
        raise ValidationError(f"{name}: expected a scalar or a 1-D vector, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValidationError(f"{name}: every entry must be finite, got {value!r}")
    arr.setflags(write=False)
    return arr


def _neurons(value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = [value]
    try:
        idx = tuple(int(i) for i in value)
        ok = all(
            isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in value
        )
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"neurons: expected neuron indices (a list of integers ≥ 0), got {value!r}"
        ) from exc
    if not ok or not idx or min(idx) < 0 or len(set(idx)) != len(idx):
        raise ValidationError(
            f"neurons: expected distinct neuron indices ≥ 0 (at least one), got {value!r}"
        )
    return idx


def _size(n: Any) -> int | None:
    if n is None:
        return None
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValidationError(f"n: expected the number of neurons (an integer ≥ 1), got {n!r}")
    return int(n)


def _times_array(t: Any) -> tuple[FloatArray, bool]:
    try:
        arr = np.asarray(t, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"t: expected a time or an array of times, got {t!r}") from exc
    if arr.ndim > 1:
        raise ValidationError(f"t: expected a time or a 1-D array of times, got shape {arr.shape}")
    return np.atleast_1d(arr), arr.ndim == 0


# --------------------------------------------------------------------------- base class
class Stimulus:
    """A time-varying input ``u(t)``; subclasses are frozen dataclasses.

    Call it, ``stim(t)``, for the value at ``t`` (shape (n,)) or at an array of times (shape
    (T, n)); a stimulus acting on all neurons with scalar amplitudes and no known ``n`` returns
    shape () or (T,) instead, which broadcasts against any network.
    """

    #: Number of neurons, when the stimulus knows it.
    n: int | None

    # subclasses implement ``_profile`` (time course, (T,) or (T, m)) and ``_spread``
    def _eval(self, t: FloatArray, n: int, left: bool) -> FloatArray:  # pragma: no cover
        raise NotImplementedError

    @property
    def switching_times(self) -> tuple[float, ...]:
        """Sorted times where the stimulus jumps or has a kink."""
        return ()

    @property
    def size(self) -> int | None:
        """The number of neurons the stimulus needs (``None``: any)."""
        return self.n

    @property
    def piecewise_constant(self) -> bool:
        """Whether the value is constant between consecutive switching times."""
        return False

    def sample(self, t: ArrayLike, n: int, *, left: bool = False) -> FloatArray:
        """Values at the times ``t`` for a network of ``n`` neurons, shape (T, n).

        ``left=True`` takes the left limit at switching times (used by the adaptive solvers at
        the right end of each piece).

        Raises
        ------
        ValidationError
            ``n`` does not match the stimulus, or a neuron index is ``≥ n``.
        """
        times, _ = _times_array(t)
        n = int(n)
        self._check_size(n)
        return self._eval(times, n, left)

    def _check_size(self, n: int) -> None:
        need = self.size
        if need is not None and need != n:
            raise ValidationError(
                f"u: the stimulus is for {need} neurons, the network has {n}: {self!r}"
            )
        top = self._max_neuron()
        if top is not None and top >= n:
            raise ValidationError(
                f"neurons: index {top} is out of range for a network of {n} neurons"
            )

    def _max_neuron(self) -> int | None:
        return None

    def __call__(self, t: ArrayLike) -> FloatArray:
        times, scalar = _times_array(t)
        n = self.size
        if n is None:
            if self._max_neuron() is not None:
                raise ValidationError(
                    "n: this stimulus acts on some neurons only and does not know the network "
                    "size; build it with n=... or call stim.sample(t, n)"
                )
            vals = self._eval(times, 1, False)[:, 0]
            return vals[0] if scalar else vals
        vals = self.sample(times, n)
        return vals[0] if scalar else vals

    def to_spec(self) -> dict[str, Any]:  # pragma: no cover - every subclass overrides it
        """A plain ``dict`` (TOML/JSON-ready) that :func:`from_spec` turns back into ``self``."""
        raise NotImplementedError

    # ------------------------------------------------------------------ algebra
    def __add__(self, other: Any) -> Stimulus:
        other_s = other if isinstance(other, Stimulus) else constant(other)
        terms: list[Stimulus] = []
        for s in (self, other_s):
            terms.extend(s.terms if isinstance(s, Sum) else (s,))
        return Sum(tuple(terms))

    def __radd__(self, other: Any) -> Stimulus:
        return constant(other) + self

    def __mul__(self, factor: Any) -> Stimulus:
        if isinstance(factor, Stimulus):
            return NotImplemented
        return Scaled(self, factor)

    __rmul__ = __mul__

    def __neg__(self) -> Stimulus:
        return Scaled(self, -1.0)

    def __sub__(self, other: Any) -> Stimulus:
        other_s = other if isinstance(other, Stimulus) else constant(other)
        return self + (-other_s)

    def __rsub__(self, other: Any) -> Stimulus:
        return constant(other) + (-self)


def _spread(amp: FloatArray, neurons: tuple[int, ...] | None, n: int) -> FloatArray:
    """The (n,) vector of an amplitude placed on ``neurons`` (all neurons when ``None``)."""
    if neurons is None:
        return np.broadcast_to(amp, (n,)).astype(float)
    out = np.zeros(n)
    out[list(neurons)] = amp
    return out


def _eq_arrays(a: Any, b: Any) -> bool:
    return bool(np.shape(a) == np.shape(b) and np.array_equal(a, b))


class _Localised(Stimulus):
    """Common part of the elementary stimuli: an amplitude placed on some neurons."""

    amplitude: FloatArray
    neurons: tuple[int, ...] | None
    n: int | None

    def _setup(self, name: str = "amplitude") -> None:
        amp = _amplitude(name, self.amplitude)
        neurons = _neurons(self.neurons)
        n = _size(self.n)
        if neurons is not None and amp.ndim == 1 and amp.shape[0] != len(neurons):
            raise ValidationError(
                f"{name}: expected a scalar or one value per listed neuron ({len(neurons)}), "
                f"got shape {amp.shape}"
            )
        if neurons is None and amp.ndim == 1:
            if n is not None and amp.shape[0] != n:
                raise ValidationError(
                    f"{name}: expected a scalar or shape ({n},) to match n = {n}, got shape "
                    f"{amp.shape}"
                )
            n = int(amp.shape[0])
        if neurons is not None and n is not None and max(neurons) >= n:
            raise ValidationError(
                f"neurons: index {max(neurons)} is out of range for n = {n} neurons"
            )
        object.__setattr__(self, "amplitude", amp)
        object.__setattr__(self, "neurons", neurons)
        object.__setattr__(self, "n", n)

    def _max_neuron(self) -> int | None:
        return None if self.neurons is None else max(self.neurons)

    def _vector(self, n: int) -> FloatArray:
        return _spread(self.amplitude, self.neurons, n)

    def _common_spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"amplitude": self.amplitude.tolist()}
        if self.neurons is not None:
            out["neurons"] = list(self.neurons)
        if self.n is not None and (self.neurons is not None or self.amplitude.ndim == 0):
            out["n"] = self.n
        return out

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(
            _eq_arrays(getattr(self, f.name), getattr(other, f.name))
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
        )

    __hash__ = None  # type: ignore[assignment]


# --------------------------------------------------------------------------- elementary kinds
@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Constant(_Localised):
    """A constant input (see :func:`constant`)."""

    amplitude: Any
    neurons: Any = None
    n: Any = None

    def __post_init__(self) -> None:
        self._setup("u")

    @property
    def piecewise_constant(self) -> bool:
        return True

    def _eval(self, t: FloatArray, n: int, left: bool) -> FloatArray:
        return np.broadcast_to(self._vector(n), (len(t), n)).copy()

    def to_spec(self) -> dict[str, Any]:
        return {"kind": "constant", **self._common_spec()}

    def __repr__(self) -> str:
        return f"constant({self.amplitude.tolist()!r})"


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Step(_Localised):
    """``amplitude`` from ``t_on`` on, 0 before (see :func:`step`)."""

    t_on: Any
    amplitude: Any
    neurons: Any = None
    n: Any = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "t_on", _time("t_on", self.t_on))
        self._setup()

    @property
    def switching_times(self) -> tuple[float, ...]:
        return (self.t_on,)

    @property
    def piecewise_constant(self) -> bool:
        return True

    def _eval(self, t: FloatArray, n: int, left: bool) -> FloatArray:
        on = t > self.t_on if left else t >= self.t_on
        return on[:, None] * self._vector(n)[None, :]

    def to_spec(self) -> dict[str, Any]:
        return {"kind": "step", "t_on": self.t_on, **self._common_spec()}

    def __repr__(self) -> str:
        return f"step(t_on={self.t_on:g}, amplitude={self.amplitude.tolist()!r})"


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Pulse(_Localised):
    """``amplitude`` on ``[t_on, t_off)``, 0 elsewhere (see :func:`pulse`)."""

    t_on: Any
    t_off: Any
    amplitude: Any
    neurons: Any = None
    n: Any = None

    def __post_init__(self) -> None:
        t_on, t_off = _time("t_on", self.t_on), _time("t_off", self.t_off)
        _ordered("t_on", t_on, "t_off", t_off)
        object.__setattr__(self, "t_on", t_on)
        object.__setattr__(self, "t_off", t_off)
        self._setup()

    @property
    def switching_times(self) -> tuple[float, ...]:
        return (self.t_on, self.t_off)

    @property
    def piecewise_constant(self) -> bool:
        return True

    def _eval(self, t: FloatArray, n: int, left: bool) -> FloatArray:
        if left:
            on = (t > self.t_on) & (t <= self.t_off)
        else:
            on = (t >= self.t_on) & (t < self.t_off)
        return on[:, None] * self._vector(n)[None, :]

    def to_spec(self) -> dict[str, Any]:
        return {"kind": "pulse", "t_on": self.t_on, "t_off": self.t_off, **self._common_spec()}

    def __repr__(self) -> str:
        return (f"pulse(t_on={self.t_on:g}, t_off={self.t_off:g}, "
                f"amplitude={self.amplitude.tolist()!r})")


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Ramp(_Localised):
    """0 before ``t_start``, linear up to ``amplitude`` at ``t_end``, then held (:func:`ramp`)."""

    t_start: Any
    t_end: Any
    amplitude: Any
    neurons: Any = None
    n: Any = None

    def __post_init__(self) -> None:
        a, b = _time("t_start", self.t_start), _time("t_end", self.t_end)
        _ordered("t_start", a, "t_end", b)
        object.__setattr__(self, "t_start", a)
        object.__setattr__(self, "t_end", b)
        self._setup()

    @property
    def switching_times(self) -> tuple[float, ...]:
        return (self.t_start, self.t_end)

    def _eval(self, t: FloatArray, n: int, left: bool) -> FloatArray:
        frac = np.clip((t - self.t_start) / (self.t_end - self.t_start), 0.0, 1.0)
        return frac[:, None] * self._vector(n)[None, :]

    def to_spec(self) -> dict[str, Any]:
        return {"kind": "ramp", "t_start": self.t_start, "t_end": self.t_end,
                **self._common_spec()}

    def __repr__(self) -> str:
        return (f"ramp(t_start={self.t_start:g}, t_end={self.t_end:g}, "
                f"amplitude={self.amplitude.tolist()!r})")


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Sine(_Localised):
    """``amplitude·sin(2π·freq·t + phase)``, optionally only on ``[t_on, t_off)`` (:func:`sine`)."""

    freq: Any
    amplitude: Any
    phase: Any = 0.0
    t_on: Any = None
    t_off: Any = None
    neurons: Any = None
    n: Any = None

    def __post_init__(self) -> None:
        f = _time("freq", self.freq)
        if f < 0:
            raise ValidationError(
                f"freq: expected a frequency ≥ 0 (cycles per unit time), got {f:g}"
            )
        object.__setattr__(self, "freq", f)
        object.__setattr__(self, "phase", _time("phase", self.phase))
        t_on = None if self.t_on is None else _time("t_on", self.t_on)
        t_off = None if self.t_off is None else _time("t_off", self.t_off)
        if t_on is not None and t_off is not None:
            _ordered("t_on", t_on, "t_off", t_off)
        object.__setattr__(self, "t_on", t_on)
        object.__setattr__(self, "t_off", t_off)
        self._setup()

    @property
    def switching_times(self) -> tuple[float, ...]:
        return tuple(v for v in (self.t_on, self.t_off) if v is not None)

    def _eval(self, t: FloatArray, n: int, left: bool) -> FloatArray:
        wave = np.sin(2.0 * math.pi * self.freq * t + self.phase)
        on = np.ones(len(t), dtype=bool)
        if self.t_on is not None:
            on &= (t > self.t_on) if left else (t >= self.t_on)
        if self.t_off is not None:
            on &= (t <= self.t_off) if left else (t < self.t_off)
        return (wave * on)[:, None] * self._vector(n)[None, :]

    def to_spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "sine", "freq": self.freq, "phase": self.phase}
        if self.t_on is not None:
            out["t_on"] = self.t_on
        if self.t_off is not None:
            out["t_off"] = self.t_off
        return {**out, **self._common_spec()}

    def __repr__(self) -> str:
        return (f"sine(freq={self.freq:g}, amplitude={self.amplitude.tolist()!r}, "
                f"phase={self.phase:g})")


#: Interpolation kinds of :func:`from_array`.
KINDS = ("linear", "hold")


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class FromArray(_Localised):
    """Samples ``values`` at times ``t``, interpolated or held (see :func:`from_array`)."""

    t: Any
    values: Any
    kind: str = "linear"
    neurons: Any = None
    n: Any = None

    def __post_init__(self) -> None:
        try:
            ts = np.array(self.t, dtype=float)
            vals = np.array(self.values, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                f"values: expected numeric arrays t (T,) and values (T,) or (T, m), got t = "
                f"{self.t!r}, values = {self.values!r}"
            ) from exc
        if ts.ndim != 1 or ts.size < 1 or not np.all(np.isfinite(ts)):
            raise ValidationError(f"t: expected a non-empty 1-D array of finite times, got {ts!r}")
        if ts.size > 1 and not np.all(np.diff(ts) > 0):
            k = int(np.flatnonzero(np.diff(ts) <= 0)[0])
            raise ValidationError(
                f"t: times must increase strictly; t[{k}] = {ts[k]:g}, t[{k + 1}] = {ts[k + 1]:g}"
            )
        if vals.ndim not in (1, 2) or vals.shape[0] != ts.size:
            raise ValidationError(
                f"values: expected shape ({ts.size},) or ({ts.size}, m), one row per time, got "
                f"shape {vals.shape}"
            )
        if not np.all(np.isfinite(vals)):
            raise ValidationError("values: every entry must be finite")
        if self.kind not in KINDS:
            raise ValidationError(f"kind: expected 'linear' or 'hold', got {self.kind!r}")
        ts.setflags(write=False)
        vals.setflags(write=False)
        object.__setattr__(self, "t", ts)
        object.__setattr__(self, "values", vals)
        # the amplitude check of _setup validates the width of the value rows
        object.__setattr__(self, "amplitude", vals[0])
        self._setup("values")
        object.__setattr__(self, "amplitude", None)

    @property
    def switching_times(self) -> tuple[float, ...]:
        return tuple(float(v) for v in self.t)

    @property
    def piecewise_constant(self) -> bool:
        return self.kind == "hold"

    def _profile(self, t: FloatArray, left: bool) -> FloatArray:
        ts, vals = self.t, self.values
        if self.kind == "hold":
            k = np.searchsorted(ts, t, side="left" if left else "right") - 1
            return vals[np.clip(k, 0, len(ts) - 1)]
        if len(ts) == 1:
            return np.broadcast_to(vals[0], (len(t), *vals.shape[1:])).copy()
        k = np.clip(np.searchsorted(ts, t, side="right") - 1, 0, len(ts) - 2)
        w = np.clip((t - ts[k]) / (ts[k + 1] - ts[k]), 0.0, 1.0)
        if vals.ndim == 2:
            w = w[:, None]
        return vals[k] * (1.0 - w) + vals[k + 1] * w

    def _eval(self, t: FloatArray, n: int, left: bool) -> FloatArray:
        prof = self._profile(t, left)
        if prof.ndim == 1:
            prof = prof[:, None]
        if self.neurons is None:
            return np.broadcast_to(prof, (len(t), n)).copy()
        out = np.zeros((len(t), n))
        out[:, list(self.neurons)] = prof
        return out

    def _vector(self, n: int) -> FloatArray:  # pragma: no cover - not used by this kind
        raise NotImplementedError

    def to_spec(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "array", "t": self.t.tolist(),
                               "values": self.values.tolist(), "interpolation": self.kind}
        if self.neurons is not None:
            out["neurons"] = list(self.neurons)
        if self.n is not None and (self.neurons is not None or self.values.ndim == 1):
            out["n"] = self.n
        return out

    def __repr__(self) -> str:
        return (f"from_array(t=[{self.t[0]:g} … {self.t[-1]:g}] ({len(self.t)} samples), "
                f"kind={self.kind!r})")


# --------------------------------------------------------------------------- composites
def _common_size(parts: Sequence[Stimulus]) -> int | None:
    sizes = {p.size for p in parts if p.size is not None}
    if len(sizes) > 1:
        raise ValidationError(
            f"u: cannot add stimuli for different numbers of neurons {sorted(sizes)}"
        )
    return sizes.pop() if sizes else None


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Sum(Stimulus):
    """The sum of several stimuli (build it with ``+``)."""

    terms: tuple[Stimulus, ...]

    def __post_init__(self) -> None:
        if not self.terms or not all(isinstance(s, Stimulus) for s in self.terms):
            raise ValidationError(f"terms: expected one or more stimuli, got {self.terms!r}")
        object.__setattr__(self, "terms", tuple(self.terms))
        object.__setattr__(self, "n", _common_size(self.terms))

    @property
    def switching_times(self) -> tuple[float, ...]:
        return tuple(sorted({t for s in self.terms for t in s.switching_times}))

    @property
    def piecewise_constant(self) -> bool:
        return all(t.piecewise_constant for t in self.terms)

    def _max_neuron(self) -> int | None:
        tops = [m for s in self.terms if (m := s._max_neuron()) is not None]
        return max(tops) if tops else None

    def _eval(self, t: FloatArray, n: int, left: bool) -> FloatArray:
        out = self.terms[0]._eval(t, n, left)
        for s in self.terms[1:]:
            out = out + s._eval(t, n, left)
        return out

    def to_spec(self) -> dict[str, Any]:
        return {"kind": "sum", "terms": [s.to_spec() for s in self.terms]}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sum):
            return NotImplemented
        return len(self.terms) == len(other.terms) and all(
            a == b for a, b in zip(self.terms, other.terms, strict=True)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return " + ".join(repr(s) for s in self.terms)


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class Scaled(Stimulus):
    """``factor · stimulus`` (a number or a per-neuron vector; build it with ``*``)."""

    stimulus: Stimulus
    factor: Any

    def __post_init__(self) -> None:
        if not isinstance(self.stimulus, Stimulus):
            raise ValidationError(f"stimulus: expected a Stimulus, got {self.stimulus!r}")
        f = _amplitude("factor", self.factor)
        object.__setattr__(self, "factor", f)
        n = self.stimulus.size
        if f.ndim == 1:
            if n is not None and n != f.shape[0]:
                raise ValidationError(
                    f"factor: expected a scalar or shape ({n},), got shape {f.shape}"
                )
            n = int(f.shape[0])
        object.__setattr__(self, "n", n)

    @property
    def switching_times(self) -> tuple[float, ...]:
        return self.stimulus.switching_times

    @property
    def piecewise_constant(self) -> bool:
        return self.stimulus.piecewise_constant

    def _max_neuron(self) -> int | None:
        return self.stimulus._max_neuron()

    def _eval(self, t: FloatArray, n: int, left: bool) -> FloatArray:
        return self.stimulus._eval(t, n, left) * self.factor

    def to_spec(self) -> dict[str, Any]:
        return {"kind": "scaled", "factor": self.factor.tolist(),
                "stimulus": self.stimulus.to_spec()}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scaled):
            return NotImplemented
        return self.stimulus == other.stimulus and _eq_arrays(self.factor, other.factor)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{self.factor.tolist()!r} * ({self.stimulus!r})"


# --------------------------------------------------------------------------- builders
def constant(u: ArrayLike, *, neurons: Sequence[int] | None = None, n: int | None = None
             ) -> Constant:
    """A constant input ``u`` (a number, or one value per neuron or per listed neuron).

    Examples
    --------
    >>> from eicircuits import stimulus
    >>> stimulus.constant([1.0, 2.0])(0.0).tolist()
    [1.0, 2.0]
    """
    return Constant(u, neurons, n)


def step(t_on: float, amplitude: ArrayLike, *, neurons: Sequence[int] | None = None,
         n: int | None = None) -> Step:
    """0 before ``t_on`` and ``amplitude`` from ``t_on`` on (right-continuous).

    Parameters
    ----------
    t_on : float
        Switching time (unit of ``net.tau``).
    amplitude : float or array_like
        A number, one value per neuron, or one per index in ``neurons``.
    neurons : sequence of int, optional
        The neurons it acts on (default: all).
    n : int, optional
        Network size (only needed to call a ``neurons``-restricted stimulus by itself).

    Examples
    --------
    >>> from eicircuits import stimulus
    >>> stimulus.step(1.0, 3.0, neurons=[1], n=2)([0.5, 1.0]).tolist()
    [[0.0, 0.0], [0.0, 3.0]]
    """
    return Step(t_on, amplitude, neurons, n)


def pulse(t_on: float, t_off: float, amplitude: ArrayLike, *,
          neurons: Sequence[int] | None = None, n: int | None = None) -> Pulse:
    """``amplitude`` on ``[t_on, t_off)`` and 0 elsewhere.

    Examples
    --------
    >>> from eicircuits import stimulus
    >>> stimulus.pulse(1.0, 2.0, 5.0)([0.0, 1.0, 2.0]).tolist()
    [0.0, 5.0, 0.0]
    """
    return Pulse(t_on, t_off, amplitude, neurons, n)


def ramp(t_start: float, t_end: float, amplitude: ArrayLike, *,
         neurons: Sequence[int] | None = None, n: int | None = None) -> Ramp:
    """0 until ``t_start``, rising linearly to ``amplitude`` at ``t_end``, then held.

    Examples
    --------
    >>> from eicircuits import stimulus
    >>> stimulus.ramp(0.0, 2.0, 4.0)([-1.0, 1.0, 3.0]).tolist()
    [0.0, 2.0, 4.0]
    """
    return Ramp(t_start, t_end, amplitude, neurons, n)


def sine(freq: float, amplitude: ArrayLike, phase: float = 0.0, *,
         t_on: float | None = None, t_off: float | None = None,
         neurons: Sequence[int] | None = None, n: int | None = None) -> Sine:
    """``amplitude · sin(2π · freq · t + phase)``, on ``[t_on, t_off)`` when given.

    ``freq`` is in cycles per unit of time (the unit of ``net.tau``), ``phase`` in radians.

    Examples
    --------
    >>> from eicircuits import stimulus
    >>> s = stimulus.sine(0.25, 2.0)
    >>> [round(float(v), 12) for v in s([0.0, 1.0, 2.0])]
    [0.0, 2.0, 0.0]
    """
    return Sine(freq, amplitude, phase, t_on, t_off, neurons, n)


def from_array(t: ArrayLike, values: ArrayLike, kind: str = "linear", *,
               neurons: Sequence[int] | None = None, n: int | None = None) -> FromArray:
    """An input sampled at times ``t``: linearly interpolated or held (zero-order hold).

    Parameters
    ----------
    t : array_like, shape (T,)
        Strictly increasing sample times.
    values : array_like, shape (T,) or (T, m)
        One row per time: a number for every (listed) neuron, or one value per neuron.
    kind : {"linear", "hold"}
        ``"linear"``: linear interpolation between samples; ``"hold"``: each sample holds until
        the next one. Before ``t[0]`` and after ``t[-1]`` the first and last samples hold.

    Examples
    --------
    >>> from eicircuits import stimulus
    >>> s = stimulus.from_array([0.0, 1.0, 2.0], [0.0, 2.0, 1.0])
    >>> s([0.5, 1.5, 9.0]).tolist()
    [1.0, 1.5, 1.0]
    >>> stimulus.from_array([0.0, 1.0], [3.0, 5.0], kind="hold")([0.5, 1.0]).tolist()
    [3.0, 5.0]
    """
    return FromArray(t, values, kind, neurons, n)


_FIELDS: dict[str, tuple[type, tuple[str, ...], tuple[str, ...]]] = {
    "constant": (Constant, ("amplitude",), ("neurons", "n")),
    "step": (Step, ("t_on", "amplitude"), ("neurons", "n")),
    "pulse": (Pulse, ("t_on", "t_off", "amplitude"), ("neurons", "n")),
    "ramp": (Ramp, ("t_start", "t_end", "amplitude"), ("neurons", "n")),
    "sine": (Sine, ("freq", "amplitude"), ("phase", "t_on", "t_off", "neurons", "n")),
    "array": (FromArray, ("t", "values"), ("interpolation", "neurons", "n")),
}


def from_spec(spec: Mapping[str, Any]) -> Stimulus:
    """The stimulus written by :meth:`Stimulus.to_spec` (or a ``[stimulus]`` table).

    A table with ``kind`` is one stimulus; a table with only ``terms`` (a list of tables) is
    their sum. Keys are those of the builders (``kind = "array"`` takes ``t``, ``values`` and
    ``interpolation``).

    Raises
    ------
    ValidationError
        Unknown ``kind`` or key, a missing key, or a bad value.

    Examples
    --------
    >>> from eicircuits import stimulus
    >>> stimulus.from_spec({"kind": "step", "t_on": 1.0, "amplitude": 2.0})
    step(t_on=1, amplitude=2.0)
    """
    if not isinstance(spec, Mapping):
        raise ValidationError(f"stimulus: expected a table (dict), got {spec!r}")
    kind = spec.get("kind", "sum" if "terms" in spec else None)
    if kind == "sum":
        _check_keys(spec, "sum", ("terms",), ("kind",))
        terms = spec["terms"]
        if isinstance(terms, Mapping) or not isinstance(terms, Sequence) or not terms:
            raise ValidationError("stimulus.terms: expected a non-empty list of stimulus tables")
        return Sum(tuple(from_spec(s) for s in terms))
    if kind == "scaled":
        _check_keys(spec, "scaled", ("factor", "stimulus"), ("kind",))
        return Scaled(from_spec(spec["stimulus"]), spec["factor"])
    if kind not in _FIELDS:
        raise ValidationError(
            f"stimulus.kind: expected one of {sorted([*_FIELDS, 'sum', 'scaled'])}, got {kind!r}"
        )
    cls, required, optional = _FIELDS[kind]
    _check_keys(spec, kind, required, (*optional, "kind"))
    kwargs = {k: spec[k] for k in (*required, *optional) if k in spec}
    if kind == "array":
        return from_array(kwargs.pop("t"), kwargs.pop("values"),
                          kwargs.pop("interpolation", "linear"), **kwargs)
    return cls(**kwargs)


def _check_keys(spec: Mapping[str, Any], kind: str, required: Sequence[str],
                optional: Sequence[str]) -> None:
    missing = [k for k in required if k not in spec]
    if missing:
        raise ValidationError(f"stimulus ({kind}): missing key {missing[0]!r}")
    unknown = sorted(set(spec) - set(required) - set(optional))
    if unknown:
        raise ValidationError(
            f"stimulus ({kind}): unknown key {unknown[0]!r}; expected "
            f"{sorted([*required, *optional])}"
        )
