"""Analyses run at every point of a sweep, and the layout of their outputs.

An analysis is a function of a :class:`~eicircuits.Network` returning a number (bool, int or
float), a string, or a fixed-length array of numbers. The built-in ones (:data:`ANALYSES`)
import the modules they rely on only when first called; the ones that share an expensive
computation (``certified``, ``margin``, ``rate`` and ``kind`` share one
:func:`~eicircuits.certify` call; ``rates`` and ``winner`` share one
:func:`~eicircuits.equilibrium` call) cache it per network.
"""

from __future__ import annotations

import dataclasses
import inspect
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from ..errors import ConvergenceError, ValidationError
from ..network import Network

__all__ = [
    "ANALYSES",
    "OutputSpec",
    "certified",
    "contrast_gain",
    "kind",
    "margin",
    "rate",
    "rates",
    "regime",
    "resolve_analyses",
    "winner",
]

# ---------------------------------------------------------------------------- per-network cache
_CACHE: weakref.WeakKeyDictionary[Network, dict[str, Any]] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()


def _cached(net: Network, key: str, compute: Callable[[], Any]) -> Any:
    with _CACHE_LOCK:
        entry = _CACHE.setdefault(net, {})
        if key in entry:
            return entry[key]
    value = compute()
    with _CACHE_LOCK:
        _CACHE.setdefault(net, {})[key] = value
    return value


def _sweep_certify(net: Network) -> Any:
    """:func:`eicircuits.certify` itself (``method="auto"``): the same verified path, so a sweep
    never states what ``certify`` would not (a certificate counts as certified only after its
    independent check has confirmed it)."""
    from ..stability import certify

    return certify(net)


def _certificate(net: Network) -> Any:
    return _cached(net, "certify", lambda: _sweep_certify(net))


def _equilibrium(net: Network) -> Any:
    from ..fixed_points import equilibrium

    eq = _cached(net, "equilibrium", lambda: equilibrium(net))
    if not eq.converged:
        raise ConvergenceError(f"equilibrium did not converge: {eq.message}")
    return eq


# ---------------------------------------------------------------------------- built-in analyses
def regime(net: Network) -> str:
    """Wilson–Cowan regime of a two-population E–I network (docs/theory.md §5, closed forms).

    One of ``"lds-stable"``, ``"isn-stable"``, ``"oscillatory"``, ``"runaway"``,
    ``"bistable"``, from :func:`eicircuits.circuits.wilson_cowan_regime` with the weights, time
    constants and inputs read off the network (neuron 0 is E, neuron 1 is I; ReLU only).
    In a sweep of :func:`eicircuits.circuits.wilson_cowan` itself, each chunk is classified in
    one vectorised call (the same closed form, the same labels, hundreds of times faster).

    Raises
    ------
    ValidationError
        A network that is not a two-neuron E–I circuit, or not ReLU.

    Examples
    --------
    >>> from eicircuits.circuits import wilson_cowan
    >>> from eicircuits.sweeps import regime
    >>> regime(wilson_cowan(2.0, 3.0, 3.0, 1.0, u_e=1.0, u_i=0.5))
    'isn-stable'
    """
    from ..circuits import wilson_cowan_regime

    if net.n != 2 or net.cell_types != ("E", "I"):
        raise ValidationError(
            "regime: needs a two-population Wilson–Cowan network with cell types ('E', 'I'), "
            f"got n = {net.n} with cell_types {net.cell_types}"
        )
    W = net.dense_W()
    label = wilson_cowan_regime(
        W[0, 0], -W[0, 1], W[1, 0], -W[1, 1], tau_e=net.tau[0], tau_i=net.tau[1],
        u_e=net.u[0], u_i=net.u[1], activation=net.uniform_activation,
    )
    return str(label)


_WC_KEYS = frozenset({"w_ee", "w_ei", "w_ie", "w_ii", "tau_e", "tau_i", "u_e", "u_i",
                      "activation"})


def _regime_vectorized(builder: Any, kwargs: Mapping[str, Any]) -> Any:
    """``regime`` of a whole chunk of a ``wilson_cowan`` sweep in one closed-form call."""
    from ..activations import activation_from_spec
    from ..circuits import wilson_cowan, wilson_cowan_regime

    if getattr(builder, "sweep_target", builder) is not wilson_cowan or set(kwargs) - _WC_KEYS:
        return None
    kw = dict(kwargs)
    if isinstance(kw.get("activation"), (str, dict)):
        kw["activation"] = activation_from_spec(kw["activation"])
    return wilson_cowan_regime(**kw)


regime.vectorized = _regime_vectorized  # type: ignore[attr-defined]


def certified(net: Network) -> bool:
    """Whether a certificate of :func:`eicircuits.certify` proves the network stable
    (docs/theory.md §3).

    The certificate is ``certify(net)`` (``method="auto"``), verified exactly as ``certify``
    verifies it.

    Examples
    --------
    >>> from eicircuits.circuits import wilson_cowan
    >>> from eicircuits.sweeps import certified
    >>> certified(wilson_cowan(0.5, 1.0, 1.0, 0.5)), certified(wilson_cowan(2.0, 3.0, 3.0, 1.0))
    (True, False)
    """
    return bool(_certificate(net).certified)


#: Seconds allowed to the LDS search of :func:`margin` for a network whose certificate states
#: a rate instead of a margin (the ascent at n = 5000 took about 75 s to its optimum).
MARGIN_TIME_LIMIT = 10.0


def margin(net: Network, *, time_limit: float | None = MARGIN_TIME_LIMIT) -> float:
    """The LDS margin behind the certificate (as :func:`eicircuits.stability.lds` defines it).

    The margin of :func:`eicircuits.certify`'s certificate when it states one; when the
    certificate is of a kind that states a rate instead (contraction), ``W − I`` is LDS as well
    (docs/theory.md §3) and the margin comes from :func:`eicircuits.stability.lds`, run for at
    most ``time_limit`` seconds, and is reported only once the weights it found pass the same
    independent verification as ``certify``'s (possibly a smaller, provable margin). ``nan``
    when the network is not certified (there is no margin to report; see ``certified``) or
    when no verified margin was found in time (see ``margin.note``).

    Parameters
    ----------
    net : Network
    time_limit : float or None
        Seconds for the LDS search of a contraction-certified network (``None``: no limit).
        Pass another value with ``functools.partial(margin, time_limit=...)`` in a sweep.

    Examples
    --------
    >>> from eicircuits.circuits import wilson_cowan
    >>> from eicircuits.sweeps import margin
    >>> margin(wilson_cowan(0.5, 1.0, 1.0, 0.5)) > 0
    True
    >>> margin(wilson_cowan(2.0, 3.0, 3.0, 1.0))
    nan
    """
    if time_limit is not None and (isinstance(time_limit, bool) or not time_limit > 0):
        raise ValidationError(f"time_limit: expected seconds > 0 or None, got {time_limit!r}")
    cert = _certificate(net)
    if not cert.certified:
        return float("nan")
    if cert.margin is not None:
        return float(cert.margin)
    if (cert.data or {}).get("lds_margin") is not None:  # auto's ℓ2 contraction keeps it
        return float(cert.data["lds_margin"])

    def compute() -> Any:
        import scipy.sparse as sp

        from ..stability import lds
        from ..stability._certify import _checked, _from_lds

        A = net.W - (sp.identity(net.n, format="csr") if net.is_sparse else np.eye(net.n))
        res = lds(A, cell_types=net.cell_types, time_limit=time_limit)
        # the same check certify applies: a certificate, verified (or a smaller margin that is)
        return _checked(net, _from_lds(net, res))

    checked = _cached(net, f"lds-margin:{time_limit}", compute)
    if checked is None or not checked.certified or checked.margin is None:
        return float("nan")
    return float(checked.margin)


def rate(net: Network) -> float:
    """The contraction rate stated by :func:`eicircuits.certify`'s certificate (``nan``: none).

    Examples
    --------
    >>> from eicircuits.circuits import random_ei
    >>> from eicircuits.sweeps import rate
    >>> 0 < rate(random_ei(20, gain=0.5, rng=0)) <= 1
    True
    """
    value = _certificate(net).rate
    return float("nan") if value is None else float(value)


#: Why values can be missing, kept with a sweep's data (the variable's ``note`` attribute).
margin.note = (  # type: ignore[attr-defined]
    "NaN where certify(net) proves nothing (no certificate, so no margin), or where its "
    "certificate states a rate (contraction) and no LDS margin passed independent verification "
    f"within the time limit (default {MARGIN_TIME_LIMIT:g} s)"
)
rate.note = (  # type: ignore[attr-defined]
    "contraction rate stated by certify(net); only contraction certificates state one "
    "(l-infinity contraction for any tau, weighted l2 contraction for n <= 10 with equal tau), "
    "so NaN where the network is proven stable without a rate (LDS, cascade: e.g. unequal tau) "
    "or not proven stable at all"
)


def kind(net: Network) -> str:
    """The kind of :func:`eicircuits.certify`'s certificate (``"none"`` when refused).

    Examples
    --------
    >>> from eicircuits.circuits import random_ei
    >>> from eicircuits.sweeps import kind
    >>> kind(random_ei(20, gain=0.5, rng=0))
    'contraction-linf'
    """
    return str(_certificate(net).kind)


def rates(net: Network) -> np.ndarray:
    """The equilibrium rates ``x*`` of :func:`eicircuits.equilibrium` (one per neuron).

    Raises
    ------
    ConvergenceError
        When the equilibrium solver does not converge (its message is kept).

    Examples
    --------
    >>> from eicircuits.circuits import wilson_cowan
    >>> from eicircuits.sweeps import rates
    >>> rates(wilson_cowan(2.0, 3.0, 3.0, 1.0, u_e=1.0, u_i=0.5)).round(6).tolist()
    [0.071429, 0.357143]
    """
    return np.asarray(_equilibrium(net).x, dtype=float)


def contrast_gain(net: Network) -> float:
    """The contrast gain ``C(x*_E)/C(u_E)`` of the network for its own input (docs/theory.md §5).

    Uses :func:`eicircuits.circuits.contrast_gain` with ``u = net.u``: ``x*`` is the response,
    the state reached from rest (:func:`eicircuits.circuits.response`).

    Examples
    --------
    >>> from eicircuits.circuits import lateral_inhibition
    >>> from eicircuits.sweeps import contrast_gain
    >>> net = lateral_inhibition(5, a=0.0, b=2.0, c=2.0, d=0.5, u=[1.0, 1.02, 1.04, 1.06, 1.08])
    >>> round(contrast_gain(net), 1)
    3.7
    """
    from ..circuits import contrast_gain as _contrast_gain

    return float(_contrast_gain(net, net.u))


def _response(net: Network) -> Any:
    # issue 10: "the" response of a multistable circuit is the state reached from rest
    from ..circuits import response

    return _cached(net, "response", lambda: response(net))


def winner(net: Network) -> int:
    """Index of the single active E neuron in the response, or ``-1`` when there is none.

    Uses :func:`eicircuits.circuits.winner` on the response, the state a run from rest settles
    in (:func:`eicircuits.circuits.response`: ``equilibrium(net, from_state=0)``, never an
    unstable equilibrium of a multistable circuit). For a cortical column: the last layer's E
    neurons; the index is the network's. ``None`` is stored as ``-1`` so that the output is an
    integer.

    Examples
    --------
    >>> from eicircuits.circuits import lateral_inhibition
    >>> from eicircuits.sweeps import winner
    >>> winner(lateral_inhibition(3, a=0.0, b=2.0, c=2.0, d=0.5, u=[1.0, 3.0, 1.0]))
    1
    """
    from ..circuits import winner as _winner

    w = _winner(_response(net).x, net)
    return -1 if w is None else int(w)


#: Built-in analyses by name.
ANALYSES: dict[str, Callable[[Network], Any]] = {
    "regime": regime,
    "certified": certified,
    "margin": margin,
    "rate": rate,
    "kind": kind,
    "rates": rates,
    "contrast_gain": contrast_gain,
    "winner": winner,
}

#: Names of extra dimensions of array-valued built-ins.
_EXTRA_DIMS: dict[str, tuple[str, ...]] = {"rates": ("neuron",)}


# ---------------------------------------------------------------------------- output layout
@dataclasses.dataclass(frozen=True)
class OutputSpec:
    """The layout of one analysis output: dtype kind, fixed shape and names of extra dims.

    ``kind`` is ``"b"`` (bool), ``"i"`` (int64), ``"f"`` (float64) or ``"U"`` (string).
    """

    kind: str
    shape: tuple[int, ...]
    dims: tuple[str, ...]

    @property
    def dtype(self) -> np.dtype[Any]:
        """The NumPy dtype of an in-memory result (strings: object until the end)."""
        return np.dtype({"b": bool, "i": np.int64, "f": np.float64, "U": object}[self.kind])

    @property
    def fill(self) -> Any:
        """The value stored where the analysis failed (with ``on_error='record'``)."""
        return {"b": False, "i": -1, "f": np.nan, "U": ""}[self.kind]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "shape": list(self.shape), "dims": list(self.dims)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OutputSpec:
        return cls(str(data["kind"]), tuple(int(s) for s in data["shape"]),
                   tuple(str(d) for d in data["dims"]))

    @classmethod
    def infer(cls, name: str, value: Any) -> OutputSpec:
        """The layout of ``value`` returned by analysis ``name``."""
        kind, shape = _kind_and_shape(name, value)
        dims = _EXTRA_DIMS.get(name, tuple(f"{name}_dim{k}" for k in range(len(shape))))
        if len(dims) != len(shape):
            dims = tuple(f"{name}_dim{k}" for k in range(len(shape)))
        return cls(kind, shape, dims)

    def convert(self, name: str, value: Any, where: Any) -> Any:
        """``value`` checked against this layout (raises naming the analysis and point)."""
        if not self.shape and type(value) in _FAST.get(self.kind, ()):
            return value
        kind, shape = _kind_and_shape(name, value)
        if shape != self.shape:
            raise ValidationError(
                f"analysis {name!r}: returned shape {shape} at {where}, but {self.shape} at the "
                "first point; an analysis must return the same fixed shape everywhere"
            )
        order = "bif"
        if kind != self.kind and not (kind in order and self.kind in order
                                      and order.index(kind) < order.index(self.kind)):
            names = {"b": "bool", "i": "int", "f": "float", "U": "str"}
            raise ValidationError(
                f"analysis {name!r}: returned a {names[kind]} at {where}, but a "
                f"{names[self.kind]} at the first point; return one type everywhere "
                f"(e.g. {names[self.kind]}(...))"
            )
        if self.kind == "U":
            return str(value)
        arr = np.asarray(value).astype(self.dtype)
        return arr if self.shape else arr[()]


#: Python scalar types stored as they are under each kind (the common case, no NumPy round trip).
_FAST: dict[str, tuple[type, ...]] = {"b": (bool,), "i": (int,), "f": (float, int), "U": (str,)}


def _kind_and_shape(name: str, value: Any) -> tuple[str, tuple[int, ...]]:
    if isinstance(value, (str, np.str_)):
        return "U", ()
    if value is None:
        raise ValidationError(
            f"analysis {name!r}: returned None; return a number, a string or a fixed-length "
            "array (e.g. -1 or nan for 'no value')"
        )
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"analysis {name!r}: returned {type(value).__name__}, not a number, string or array"
        ) from exc
    kind = arr.dtype.kind
    if kind == "u":
        kind = "i"
    if kind not in "bif":
        raise ValidationError(
            f"analysis {name!r}: returned {type(value).__name__} with dtype {arr.dtype}; "
            "expected bool, int, float, str or a fixed-length array of numbers"
        )
    return kind, tuple(int(s) for s in arr.shape)


# ---------------------------------------------------------------------------- resolution
def resolve_analyses(analyses: Mapping[str, Any] | Iterable[str] | str,
                     ) -> dict[str, Callable[..., Any]]:
    """Analyses as ``{name: callable}``; strings name built-ins (:data:`ANALYSES`).

    Raises
    ------
    ValidationError
        No analyses, an unknown built-in name, a value that is not callable, a name that is
        not an identifier or that is reserved.

    Examples
    --------
    >>> from eicircuits.sweeps import resolve_analyses
    >>> list(resolve_analyses(["regime", "certified"]))
    ['regime', 'certified']
    """
    from ._grid import RESERVED

    if isinstance(analyses, str):
        analyses = [analyses]
    if isinstance(analyses, Mapping):
        items = list(analyses.items())
    else:
        try:
            items = [(a, a) for a in analyses]
        except TypeError:
            raise ValidationError(
                "analyses: expected a mapping name -> function, or built-in names, "
                f"got {type(analyses).__name__}"
            ) from None
    if not items:
        raise ValidationError(
            f"analyses: none given; name at least one, e.g. one of {sorted(ANALYSES)}"
        )
    out: dict[str, Callable[..., Any]] = {}
    for name, fn in items:
        if not isinstance(name, str) or not name.isidentifier():
            raise ValidationError(f"analyses: names must be identifiers, got {name!r}")
        if name in RESERVED or name in ("ok", "error"):
            raise ValidationError(f"analyses: {name!r} is a reserved name; rename the analysis")
        if name in out:
            raise ValidationError(f"analyses: {name!r} is given more than once")
        if isinstance(fn, str):
            if fn not in ANALYSES:
                raise ValidationError(
                    f"analyses: unknown analysis {fn!r}; built-in ones are {sorted(ANALYSES)}, "
                    "or pass a function of a Network"
                )
            fn = ANALYSES[fn]
        if not callable(fn):
            raise ValidationError(
                f"analyses[{name!r}]: expected a function of a Network, got {type(fn).__name__}"
            )
        out[name] = fn
    return out


def accepts_rng(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` has a parameter named ``rng``."""
    try:
        return "rng" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
