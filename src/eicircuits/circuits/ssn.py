"""The stabilised supralinear network (SSN) of two populations, and its ISN transition
(docs/theory.md §9).

``τ_E ṙ_E = −r_E + k[W_EE r_E − W_EI r_I + u_E]₊ⁿ``, ``τ_I ṙ_I = −r_I + k[W_IE r_E − W_II r_I +
u_I]₊ⁿ`` (rates in Hz, inputs and drives in mV, weights in mV·s, ``τ`` in ms) with the parameters
of Rubin, Van Hooser & Miller (2015), *The stabilized supralinear network: a unifying circuit
motif underlying multi-input integration in sensory cortex*, Neuron 85:402–417 (their
two-population model; the same ``W`` and ``τ`` appear in the two-population SSN of Hennequin et
al. 2018, Neuron 98:846–860): ``k = 0.04``, ``n = 2``, ``W_EE = 1.25``, ``W_EI = 0.65``,
``W_IE = 1.2``, ``W_II = 0.5``, ``τ_E = 20 ms``, ``τ_I = 10 ms`` (:data:`RVM2015`); ``W_XY`` is
the weight from ``Y`` onto ``X``.

The activation's slope ``φ'(z) = k n z^{n−1}`` grows with the drive, so the effective E→E gain
``W_EE φ'(z_E*)`` grows with the input: weak inputs see a stable E subnetwork (a non-ISN, where
more input to I raises I's rate), strong inputs an unstable one held by inhibition (an ISN, where
it lowers it: the paradoxical response). :func:`ssn_isn_transition` finds the input where
``W_EE φ'(z_E*) = 1``; there ``∂r_I*/∂u_I = λ_I (1 − W_EE λ_E)/det(I − ΛW)`` changes sign.

No certificate is claimed for these networks: :class:`~eicircuits.PowerLaw` is not a proximal
operator of a convex ``g``, so LDS and contraction certificates do not apply (they refuse);
stability is local, from the eigenvalues of ``τ⁻¹(−I + ΛW)`` at the equilibrium
(:func:`eicircuits.local_stability`).

Examples
--------
>>> from eicircuits.circuits import ssn, ssn_isn_transition
>>> net = ssn(u_e=20.0)
>>> net.activation
PowerLaw(k=0.04, n=2.0)
>>> tr = ssn_isn_transition()
>>> round(tr.c, 6), round(float(tr.x[0]), 9)
(7.842506, 4.0)
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

from .._result import Result
from ..activations import PowerLaw
from ..errors import ValidationError
from ..fixed_points import equilibrium
from ..network import Network
from .analysis import sensitivity
from .builders import check_real

__all__ = ["ssn", "ssn_isn_transition", "ISNTransition", "RVM2015"]

FloatArray = NDArray[np.float64]

#: The two-population SSN of Rubin, Van Hooser & Miller (2015): ``W_XY`` from Y onto X.
RVM2015: dict[str, float] = {
    "k": 0.04, "n": 2.0, "w_ee": 1.25, "w_ei": 0.65, "w_ie": 1.2, "w_ii": 0.5,
    "tau_e": 20.0, "tau_i": 10.0,
}


def ssn(*, u_e: float = 0.0, u_i: float | None = None, k: float = RVM2015["k"],
        n: float = RVM2015["n"], w_ee: float = RVM2015["w_ee"], w_ei: float = RVM2015["w_ei"],
        w_ie: float = RVM2015["w_ie"], w_ii: float = RVM2015["w_ii"],
        tau_e: float = RVM2015["tau_e"], tau_i: float = RVM2015["tau_i"]) -> Network:
    """The two-population SSN (neurons ``"E"``, ``"I"``) with the published parameters.

    Parameters
    ----------
    u_e, u_i : float
        Inputs (mV); ``u_i`` defaults to ``u_e`` (the same input ``c`` to both populations).
    k, n : float
        Power law ``k[z]₊ⁿ`` (``k > 0``, ``n ≥ 1``).
    w_ee, w_ei, w_ie, w_ii : float
        Weight magnitudes ``≥ 0`` (mV·s); ``W = [[w_ee, −w_ei], [w_ie, −w_ii]]``.
    tau_e, tau_i : float
        Time constants (ms), ``> 0``.

    Returns
    -------
    Network
        With ``cell_types = ("E", "I")`` and a :class:`~eicircuits.PowerLaw` activation.

    Raises
    ------
    ValidationError
        A negative or non-finite weight, ``τ ≤ 0``, ``k ≤ 0`` or ``n < 1``.

    Examples
    --------
    >>> from eicircuits.circuits import ssn
    >>> ssn(u_e=2.0).W.tolist(), ssn().tau.tolist()
    ([[1.25, -0.65], [1.2, -0.5]], [20.0, 10.0])
    """
    w = [check_real(name, v, lo=0.0) for name, v in
         (("w_ee", w_ee), ("w_ei", w_ei), ("w_ie", w_ie), ("w_ii", w_ii))]
    te = check_real("tau_e", tau_e, lo=0.0, lo_open=True)
    ti = check_real("tau_i", tau_i, lo=0.0, lo_open=True)
    ue = check_real("u_e", u_e)
    ui = ue if u_i is None else check_real("u_i", u_i)
    act = PowerLaw(check_real("k", k, lo=0.0, lo_open=True), check_real("n", n, lo=1.0))
    W = np.array([[w[0], -w[1]], [w[2], -w[3]]])
    return Network(W=W, tau=[te, ti], u=[ue, ui], activation=act, cell_types="EI",
                   names=("E", "I"))


@dataclasses.dataclass(frozen=True)
class ISNTransition(Result):
    """Where an SSN becomes inhibition-stabilised along an input direction.

    Attributes
    ----------
    c : float
        The input scale ``c*``: input ``u = c* · direction`` gives ``W_EE φ'(z_E*) = 1``.
    x : ndarray, shape (2,)
        The equilibrium rates there.
    z : ndarray, shape (2,)
        The drives ``W x + u`` there.
    direction : ndarray, shape (2,)
        The input direction.
    paradoxical : tuple of float
        ``∂r_I*/∂u_I`` just below and just above ``c*`` (positive, then negative).
    success, status, message, stats
        As every result (``status`` ``"found"`` or ``"not-found"``).
    """

    c: float
    x: FloatArray
    z: FloatArray
    direction: FloatArray
    paradoxical: tuple[float, float]
    success: bool
    status: str
    message: str
    stats: dict[str, Any] = dataclasses.field(default_factory=dict)


def _branch(net: Network, u: FloatArray) -> FloatArray:
    eq = equilibrium(net, u=u, method="continuation")
    if not eq.converged:
        raise ValidationError(f"input {u.tolist()}: no equilibrium on the branch from rest "
                              f"({eq.message})")
    return np.asarray(eq.x)


def ssn_isn_transition(net: Network | None = None, *, direction: ArrayLike = (1.0, 1.0),
                       c_max: float = 1e3, xtol: float = 1e-12) -> ISNTransition:
    """The input at which a two-population E–I network becomes an ISN: ``W_EE φ'(z_E*) = 1``.

    Follows the equilibrium branch from rest along ``u = c · direction`` (continuation in the
    input, :func:`eicircuits.equilibrium` with ``method="continuation"``), brackets the first
    ``c > 0`` where the E population's effective self-gain ``W_EE φ'(z_E*(c))`` reaches 1 on a
    geometric grid, and refines it with Brent's method. Below ``c*`` more input to I raises its
    rate; above, it lowers it (the paradoxical response, reported as ``paradoxical``).

    Parameters
    ----------
    net : Network, optional
        A two-neuron E–I network (neuron 0 excitatory); default :func:`ssn` (Rubin et al. 2015).
        Its own input is ignored.
    direction : array_like, shape (2,)
        Input direction, ``≥ 0`` and not zero (default: the same input to both).
    c_max : float
        Largest input scale searched.
    xtol : float
        Absolute tolerance on ``c*``.

    Returns
    -------
    ISNTransition
        ``success=False`` (status ``"not-found"``) when the gain stays below 1 up to
        ``c_max`` or starts above 1.

    Raises
    ------
    ValidationError
        Not a 2-neuron network with cell types ``("E", "I")``, a bad ``direction``, an input
        where the branch from rest cannot be followed (a fold).

    Examples
    --------
    >>> from eicircuits.circuits import ssn_isn_transition
    >>> tr = ssn_isn_transition()
    >>> tr.success, tr.paradoxical[0] > 0 > tr.paradoxical[1]
    (True, True)
    """
    net = ssn() if net is None else net
    if not isinstance(net, Network) or net.n != 2 or net.cell_types != ("E", "I"):
        raise ValidationError("net: expected a two-neuron network with cell_types ('E', 'I'), "
                              f"got {net!r}")
    d = np.asarray(direction, dtype=float)
    if d.shape != (2,) or not np.all(np.isfinite(d)) or np.any(d < 0) or not np.any(d > 0):
        raise ValidationError(f"direction: expected two finite numbers ≥ 0, not both 0, got "
                              f"{direction!r}")
    c_max = check_real("c_max", c_max, lo=0.0, lo_open=True)
    w_ee = float(net.dense_W()[0, 0])
    act_e = net.activations[0]
    evals = 0

    def gain(c: float) -> float:
        nonlocal evals
        evals += 1
        x = _branch(net, c * d)
        return float(w_ee * act_e.derivative(net.drive(x, c * d)[0]) - 1.0)

    g0 = gain(0.0)
    empty = np.full(2, math.nan)
    if g0 >= 0:
        return ISNTransition(0.0, empty, empty, d, (math.nan, math.nan), False, "not-found",
                             f"W_EE φ'(z_E*) = {g0 + 1:.6g} ≥ 1 already at rest: the network is "
                             "an ISN (or E unstable) for every input on this branch",
                             {"evaluations": evals})
    grid = np.concatenate([[0.0], np.geomspace(min(1e-3, c_max), c_max, 120)])
    lo = 0.0
    for c in grid[1:]:
        if gain(float(c)) >= 0:
            break
        lo = float(c)
    else:
        return ISNTransition(math.nan, empty, empty, d, (math.nan, math.nan), False,
                             "not-found", f"W_EE φ'(z_E*) stays below 1 for inputs up to "
                             f"c_max = {c_max:g} along {d.tolist()}: no ISN transition found; "
                             "raise c_max", {"evaluations": evals})
    c_star = float(optimize.brentq(gain, lo, float(c), xtol=xtol, rtol=4 * np.finfo(float).eps))
    x = _branch(net, c_star * d)
    z = net.drive(x, c_star * d)
    h = 1e-3 * max(c_star, 1.0)
    below = float(sensitivity(net, _branch(net, (c_star - h) * d), (c_star - h) * d)[1, 1])
    above = float(sensitivity(net, _branch(net, (c_star + h) * d), (c_star + h) * d)[1, 1])
    return ISNTransition(c_star, x, z, d, (below, above), True, "found",
                         f"W_EE φ'(z_E*) = 1 at input {c_star:.9g} × {d.tolist()} (rates "
                         f"r_E = {x[0]:.6g}, r_I = {x[1]:.6g}); ∂r_I*/∂u_I changes sign there "
                         f"({below:.3g} below, {above:.3g} above: paradoxical above)",
                         {"evaluations": evals})
