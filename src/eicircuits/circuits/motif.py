"""The E–I lateral-inhibition motif and its closed forms (docs/theory.md §5).

``m`` excitatory neurons (self-excitation ``a``, inputs ``u``) compete through inhibition:

shared wiring (G)
    one inhibitory neuron driven by every E neuron with weight ``b/m``, inhibiting every E neuron
    with weight ``c``, self-inhibition ``d``. With the I neuron active every E neuron sees the same
    threshold ``θ`` and ``x_i* = [u_i − θ]₊/(1 − a)`` where ``θ = r Σ_j [u_j − θ]₊ + c u_I/(1 + d)``
    and ``r = (b/m)·c/((1 − a)(1 + d))``: water-filling, :func:`shared_inhibition_equilibrium`.
    LDS exactly when ``a < 1``, for any inhibition strength.
local wiring (L)
    one inhibitory neuron per E neuron: ``I_k`` is driven by ``E_k`` with weight ``b`` and inhibits
    every other ``E_j`` (all of them, or those with ``|j − k| ≤ radius``) with weight ``c``;
    self-inhibition ``d``. All-active differential gain ``1/(1 − a − bc/(1 + d))``
    (:func:`local_differential_gain`); once ``a + bc/(1 + d) ≥ 1`` the circuit makes a
    winner-take-all decision.

Examples
--------
>>> import numpy as np
>>> from eicircuits.circuits import lateral_inhibition, shared_inhibition_equilibrium
>>> u = [1.00, 1.02, 1.04, 1.06, 1.08]
>>> net = lateral_inhibition(5, a=0.5, b=2, c=2, d=0.5, u=u)
>>> net.names
('E0', 'E1', 'E2', 'E3', 'E4', 'I0')
>>> wf = shared_inhibition_equilibrium(u, a=0.5, b=2, c=2, d=0.5)
>>> wf.n_active, round(wf.theta, 5)
(5, 0.87579)
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validate import check_vector
from ..activations import Activation, ReLU
from ..errors import ValidationError
from ..network import Network
from .builders import check_int, check_real

__all__ = [
    "lateral_inhibition",
    "motif_blocks",
    "shared_inhibition_equilibrium",
    "WaterFilling",
    "motif_r",
    "local_differential_gain",
    "WIRINGS",
]

WIRINGS = ("shared", "local")


def motif_blocks(m: int, *, a: float, b: float, c: float, d: float, wiring: str = "shared",
                 radius: int | None = None) -> tuple[NDArray[np.float64], str]:
    """The motif's weight matrix (E neurons first) and its cell-type string; validates inputs."""
    m = check_int("m", m, lo=1)
    a = check_real("a", a, lo=0.0)
    b = check_real("b", b, lo=0.0)
    c = check_real("c", c, lo=0.0)
    d = check_real("d", d, lo=0.0)
    if wiring not in WIRINGS:
        raise ValidationError(f"wiring: must be one of {WIRINGS}, got {wiring!r}")
    if wiring == "shared":
        if radius is not None:
            raise ValidationError(
                f"radius: only the 'local' wiring has a radius, got radius={radius!r} with "
                "wiring='shared'"
            )
        W = np.zeros((m + 1, m + 1))
        W[np.arange(m), np.arange(m)] = a
        W[m, :m] = b / m
        W[:m, m] = -c
        W[m, m] = -d
        return W, "E" * m + "I"
    if radius is not None:
        radius = check_int("radius", radius, lo=1)
    W = np.zeros((2 * m, 2 * m))
    W[np.arange(m), np.arange(m)] = a
    W[m + np.arange(m), np.arange(m)] = b
    W[m + np.arange(m), m + np.arange(m)] = -d
    j, k = np.meshgrid(np.arange(m), np.arange(m), indexing="ij")
    reach = j != k
    if radius is not None:
        reach &= np.abs(j - k) <= radius
    W[:m, m:] = np.where(reach, -c, 0.0)
    return W, "E" * m + "I" * m


def lateral_inhibition(m: int, *, a: float, b: float, c: float, d: float,
                       wiring: str = "shared", radius: int | None = None,
                       u: ArrayLike | None = None, u_i: ArrayLike = 0.0, tau_e: float = 1.0,
                       tau_i: float = 1.0, activation: Activation | None = None) -> Network:
    """The E–I lateral-inhibition motif: ``m`` E neurons first, then the I neuron(s).

    Parameters
    ----------
    m : int
        Number of E neurons (``≥ 1``).
    a, b, c, d : float
        E self-excitation, E→I, I→E and I self-inhibition magnitudes (all ``≥ 0``). With the
        shared wiring the E→I weight is ``b/m``.
    wiring : {"shared", "local"}
        One shared I neuron (G), or one I neuron per E neuron (L).
    radius : int, optional
        Local wiring only: ``I_k`` inhibits ``E_j`` for ``0 < |j − k| ≤ radius`` (default: every
        ``j ≠ k``). Distances along a line, not a ring.
    u : float or array_like, shape (m,), optional
        Inputs of the E neurons (default 0).
    u_i : float or array_like
        Input of the I neuron(s).
    tau_e, tau_i : float
        Time constants (``> 0``).
    activation : Activation, optional
        Default ReLU.

    Returns
    -------
    Network
        Names ``E0 … E{m−1}`` then ``I0 …``.

    Raises
    ------
    ValidationError
        A negative weight, an unknown wiring, a radius with the shared wiring, wrong lengths.

    Examples
    --------
    >>> from eicircuits.circuits import lateral_inhibition
    >>> net = lateral_inhibition(3, a=0.2, b=1.0, c=0.5, d=0.0, wiring="local", radius=1)
    >>> net.W[:3, 3:].tolist()
    [[0.0, -0.5, 0.0], [-0.5, 0.0, -0.5], [0.0, -0.5, 0.0]]
    """
    W, types = motif_blocks(m, a=a, b=b, c=c, d=d, wiring=wiring, radius=radius)
    m = int(m)
    n_i = len(types) - m
    te = check_real("tau_e", tau_e, lo=0.0, lo_open=True)
    ti = check_real("tau_i", tau_i, lo=0.0, lo_open=True)
    uu = np.concatenate([check_vector("u", u, m), check_vector("u_i", u_i, n_i)])
    names = [f"E{i}" for i in range(m)] + [f"I{k}" for k in range(n_i)]
    return Network(W=W, tau=[te] * m + [ti] * n_i, u=uu,
                   activation=ReLU() if activation is None else activation,
                   cell_types=types, names=names)


def motif_r(m: int, *, a: float, b: float, c: float, d: float) -> float:
    """``r = (b/m)·c/((1 − a)(1 + d))``: the loop gain of the shared motif per active neuron.

    Examples
    --------
    >>> round(motif_r(5, a=0.0, b=2, c=2, d=0.5), 6)
    0.533333
    """
    m = check_int("m", m, lo=1)
    a = check_real("a", a, lo=0.0, hi=1.0, hi_open=True)
    return (check_real("b", b, lo=0.0) / m) * check_real("c", c, lo=0.0) / (
        (1.0 - a) * (1.0 + check_real("d", d, lo=0.0)))


@dataclasses.dataclass(frozen=True)
class WaterFilling:
    """The closed-form equilibrium of the shared motif.

    Attributes
    ----------
    x : ndarray, shape (m + 1,)
        The equilibrium (E rates then the I rate), network order.
    theta : float
        The common inhibitory threshold ``θ = c·x_I``.
    active : ndarray of bool, shape (m,)
        Which E neurons are active (``u_i > θ``).
    r : float
        :func:`motif_r`.
    """

    x: NDArray[np.float64]
    theta: float
    active: NDArray[np.bool_]
    r: float

    @property
    def n_active(self) -> int:
        """Number of active E neurons ``k``."""
        return int(self.active.sum())


def shared_inhibition_equilibrium(u: ArrayLike, *, a: float, b: float, c: float, d: float,
                                  u_i: float = 0.0) -> WaterFilling:
    """The unique equilibrium of the shared motif (ReLU, ``a < 1``) by water-filling.

    Solves ``θ = r Σ_j [u_j − θ]₊ + c u_I/(1 + d)`` (the right side decreases in ``θ``, so the
    root is unique): sort the inputs, and for ``k`` active neurons ``θ_k = (r U_k + c u_I/(1 + d))
    /(1 + k r)`` with ``U_k`` the sum of the ``k`` largest inputs; keep the ``k`` whose
    ``θ_k`` lies between the ``k``-th and ``(k+1)``-th largest input. When that ``θ`` would be
    ``≤ 0`` the I neuron is silent and ``θ = 0``. Then ``x_i = [u_i − θ]₊/(1 − a)`` and
    ``x_I = θ/c`` (or, with ``c = 0``, from its own drive).

    Raises
    ------
    ValidationError
        ``a ≥ 1`` (no unique equilibrium: multistable winner-take-all), negative weights.

    Examples
    --------
    >>> wf = shared_inhibition_equilibrium([1.0, 1.02, 1.04, 1.06, 1.08], a=0.95, b=2, c=2, d=0.5)
    >>> wf.active.tolist()
    [False, False, True, True, True]
    """
    uu = np.asarray(check_vector("u", u, np.size(u)), dtype=float)
    m = uu.size
    if m == 0:
        raise ValidationError("u: the motif needs at least one E input, got an empty vector")
    a = check_real("a", a, lo=0.0, hi=1.0, hi_open=True)
    for name, v in (("b", b), ("c", c), ("d", d)):
        check_real(name, v, lo=0.0)
    ui = check_real("u_i", u_i)
    r = motif_r(m, a=a, b=b, c=c, d=d)
    offset = c * ui / (1.0 + d)
    order = np.argsort(-uu, kind="stable")
    srt = uu[order]
    cums = np.cumsum(srt)
    theta = None
    for k in range(1, m + 1):
        t = (r * cums[k - 1] + offset) / (1.0 + k * r)
        nxt = srt[k] if k < m else -np.inf
        if srt[k - 1] > t >= nxt:
            theta = t
            break
    if theta is None:  # every input is below its threshold: no E neuron active
        theta = offset
    x_i_drive = (b / m) * np.sum(np.maximum(uu - max(theta, 0.0), 0.0)) / (1.0 - a) + ui
    if theta <= 0.0 and x_i_drive <= 0.0:
        theta = 0.0
        xI = 0.0
    elif c > 0:
        xI = theta / c
    else:
        xI = max(x_i_drive, 0.0) / (1.0 + d)
    x = np.concatenate([np.maximum(uu - theta, 0.0) / (1.0 - a), [xI]])
    return WaterFilling(x=x, theta=float(theta), active=uu > theta, r=float(r))


def local_differential_gain(a: float, b: float, c: float, d: float) -> float:
    """All-active differential gain ``1/(1 − a − bc/(1 + d))`` of the local (L) wiring.

    Raises
    ------
    ValidationError
        When ``a + bc/(1 + d) ≥ 1``: the all-active state is lost (winner-take-all) and there is
        no finite differential gain.

    Examples
    --------
    >>> local_differential_gain(0.2, 1.0, 0.5, 1.0)
    1.8181818181818181
    """
    a, b, c, d = (check_real(k, v, lo=0.0) for k, v in (("a", a), ("b", b), ("c", c), ("d", d)))
    k = a + b * c / (1.0 + d)
    if k >= 1.0:
        raise ValidationError(
            f"a + bc/(1 + d) = {k:.6g} >= 1: the all-active state of the local wiring is lost "
            "(winner-take-all); the differential gain is not finite"
        )
    return 1.0 / (1.0 - k)
