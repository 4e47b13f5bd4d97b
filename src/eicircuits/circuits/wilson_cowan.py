"""The two-population Wilson–Cowan circuit and its regimes, in closed form (THEORY §5).

``τ_E ṙ_E = −r_E + φ(w_EE r_E − w_EI r_I + u_E)``, ``τ_I ṙ_I = −r_I + φ(w_IE r_E − w_II r_I + u_I)``
with all ``w ≥ 0``, so ``W − I = [[w_EE − 1, −w_EI], [w_IE, −1 − w_II]]``; it is LDS exactly when
``w_EE < 1`` (THEORY §3, Fact 5).

For ReLU the state space splits into four linear regions (which of the two drives is positive),
so every equilibrium, its stability and whether trajectories can grow without bound have closed
forms. :func:`wilson_cowan_regime` evaluates them with NumPy broadcasting:

``"lds-stable"``
    ``w_EE < 1``: ``W − I`` is LDS, one globally stable equilibrium for every input and ``τ``.
``"isn-stable"``
    ``w_EE ≥ 1`` (the E population alone would run away) yet every trajectory is bounded and one
    stable equilibrium exists: inhibition stabilises the circuit. Caveat, found by simulation:
    with ``u_I < 0`` a stable limit cycle on which the I population is silenced for part of the
    period can surround the stable focus (about 1 % of random cases with ``u_I < 0``; none seen
    with ``u_I ≥ 0``); the closed form does not detect it.
``"oscillatory"``
    bounded, and no equilibrium is stable (the active state is an unstable focus): a limit
    cycle (Poincaré–Bendixson). With ReLU the cycle is bounded: when E is silenced both rates
    decay, so no saturation is needed. Its amplitude grows without limit as the eigenvalues
    become real (the runaway boundary): e.g. ``w_EE = 4.3``, ``τ_I/τ_E = 1.88`` (rest as in the
    regime map of the reproduction) cycles with rates up to about ``10⁷``.
``"runaway"``
    some trajectories grow without bound (the all-active linear system has a real eigenvalue
    ``0 < λ ≤ (w_EE − 1)/τ_E``, whose eigenvector lies in the positive quadrant: ``det ≤ 0``, or
    ``trace > 0`` with real eigenvalues) and no equilibrium is stable.
``"bistable"``
    two attractors: two stable equilibria (e.g. quiescent and active), or a stable equilibrium
    beside runaway growth.

Examples
--------
>>> from eicircuits.circuits import wilson_cowan, wilson_cowan_regime, paradoxical_response
>>> net = wilson_cowan(2.0, 3.0, 3.0, 1.0, u_e=1.0, u_i=0.5)
>>> net.names
('E', 'I')
>>> str(wilson_cowan_regime(2.0, 3.0, 3.0, 1.0, u_e=1.0, u_i=0.5))
'isn-stable'
>>> str(wilson_cowan_regime(2.0, 3.0, 3.0, 1.0, u_e=1.0, u_i=0.5, tau_i=3.0))
'oscillatory'
>>> float(paradoxical_response(2.0, 3.0, 3.0, 1.0)) * 7
-1.0
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..activations import Activation, ReLU
from ..errors import ValidationError
from ..network import Network
from .builders import check_real

__all__ = [
    "wilson_cowan",
    "wilson_cowan_regime",
    "wilson_cowan_equilibria",
    "paradoxical_response",
    "hopf_ratio",
    "REGIMES",
    "WCEquilibrium",
]

#: The regime labels returned by :func:`wilson_cowan_regime`.
REGIMES = ("lds-stable", "isn-stable", "oscillatory", "runaway", "bistable")


def wilson_cowan(w_ee: float, w_ei: float, w_ie: float, w_ii: float, *, tau_e: float = 1.0,
                 tau_i: float = 1.0, u_e: float = 0.0, u_i: float = 0.0,
                 activation: Activation | None = None) -> Network:
    """The two-population Wilson–Cowan network (neurons ``"E"`` then ``"I"``).

    Parameters
    ----------
    w_ee, w_ei, w_ie, w_ii : float
        Synaptic magnitudes, all ``≥ 0``: E→E, I→E, E→I, I→I;
        ``W = [[w_ee, −w_ei], [w_ie, −w_ii]]``.
    tau_e, tau_i : float
        Time constants, ``> 0``.
    u_e, u_i : float
        Constant inputs.
    activation : Activation, optional
        Default :class:`~eicircuits.ReLU`.

    Returns
    -------
    Network
        With ``cell_types = ("E", "I")`` and names ``("E", "I")``.

    Raises
    ------
    ValidationError
        A negative or non-finite weight, a time constant ``≤ 0``.

    Examples
    --------
    >>> from eicircuits.circuits import wilson_cowan
    >>> wilson_cowan(0.5, 1.0, 1.0, 0.5, u_e=1.0).W.tolist()
    [[0.5, -1.0], [1.0, -0.5]]
    """
    w = [check_real(k, v, lo=0.0) for k, v in
         (("w_ee", w_ee), ("w_ei", w_ei), ("w_ie", w_ie), ("w_ii", w_ii))]
    te = check_real("tau_e", tau_e, lo=0.0, lo_open=True)
    ti = check_real("tau_i", tau_i, lo=0.0, lo_open=True)
    ue, ui = check_real("u_e", u_e), check_real("u_i", u_i)
    W = np.array([[w[0], -w[1]], [w[2], -w[3]]])
    return Network(W=W, tau=[te, ti], u=[ue, ui],
                   activation=ReLU() if activation is None else activation,
                   cell_types="EI", names=("E", "I"))


def _params(w_ee: Any, w_ei: Any, w_ie: Any, w_ii: Any, tau_e: Any, tau_i: Any, u_e: Any,
            u_i: Any) -> list[NDArray[np.float64]]:
    names = ("w_ee", "w_ei", "w_ie", "w_ii", "tau_e", "tau_i", "u_e", "u_i")
    arrs = []
    for name, v in zip(names, (w_ee, w_ei, w_ie, w_ii, tau_e, tau_i, u_e, u_i), strict=True):
        try:
            a = np.asarray(v, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"{name}: expected numbers, got {v!r}") from exc
        if not np.all(np.isfinite(a)):
            raise ValidationError(f"{name}: every value must be finite")
        if name.startswith("w_") and np.any(a < 0):
            raise ValidationError(f"{name}: weights are magnitudes and must be >= 0, "
                                  f"got {float(a[a < 0].flat[0])}")
        if name.startswith("tau") and np.any(a <= 0):
            raise ValidationError(f"{name}: time constants must be > 0, "
                                  f"got {float(a[a <= 0].flat[0])}")
        arrs.append(a)
    try:
        return list(np.broadcast_arrays(*arrs))
    except ValueError as exc:
        shapes = ", ".join(f"{n}: {a.shape}" for n, a in zip(names, arrs, strict=True))
        raise ValidationError(f"parameters: shapes do not broadcast ({shapes})") from exc


def _check_relu(activation: Activation | None) -> None:
    if activation is not None and not isinstance(activation, ReLU):
        raise ValidationError(
            f"activation: the closed-form regimes are derived for ReLU, got {activation!r}; "
            "classify other activations with eicircuits.equilibria and simulation"
        )


def wilson_cowan_regime(w_ee: ArrayLike, w_ei: ArrayLike, w_ie: ArrayLike, w_ii: ArrayLike, *,
                        tau_e: ArrayLike = 1.0, tau_i: ArrayLike = 1.0, u_e: ArrayLike = 0.0,
                        u_i: ArrayLike = 0.0, activation: Activation | None = None,
                        ) -> np.str_ | NDArray[np.str_]:
    """The dynamical regime of a ReLU Wilson–Cowan circuit, from closed forms (vectorised).

    All parameters broadcast against each other (scalars in, a string out; arrays in, an array
    of strings out). The labels are described in the module docstring and in :data:`REGIMES`.

    The four candidate equilibria (supports ∅, {E}, {I}, {E, I}) and their stability are
    explicit; boundedness follows from the positively homogeneous system (inputs dropped): a
    trajectory can grow without bound exactly when the all-active matrix
    ``τ⁻¹(W − I)`` has a real eigenvalue in ``(0, (w_EE − 1)/τ_E]`` (its eigenvector is then
    positive and keeps both drives positive). In the all-active region
    ``det = ((1 − w_EE)(1 + w_II) + w_EI w_IE)/(τ_E τ_I)`` and
    ``trace = (w_EE − 1)/τ_E − (1 + w_II)/τ_I``; the Hopf point is :func:`hopf_ratio`.

    Parameters
    ----------
    w_ee, w_ei, w_ie, w_ii, tau_e, tau_i, u_e, u_i : float or array_like
        As in :func:`wilson_cowan`.
    activation : ReLU or None
        Only ReLU has these closed forms; anything else raises.

    Returns
    -------
    str or ndarray of str

    Raises
    ------
    ValidationError
        Negative weights, ``τ ≤ 0``, non-broadcasting shapes, a non-ReLU activation.

    Examples
    --------
    >>> import numpy as np
    >>> wilson_cowan_regime(np.array([0.5, 2.0, 2.0, 7.0]), 3.0, 3.0, 1.0, u_e=1.0, u_i=0.5,
    ...                     tau_i=np.array([1.0, 1.0, 3.0, 1.0])).tolist()
    ['lds-stable', 'isn-stable', 'oscillatory', 'runaway']
    >>> str(wilson_cowan_regime(2.0, 3.0, 3.0, 1.0, u_e=-1.0, u_i=-4.0))
    'bistable'
    """
    _check_relu(activation)
    wee, wei, wie, wii, te, ti, ue, ui = _params(w_ee, w_ei, w_ie, w_ii, tau_e, tau_i, u_e, u_i)
    D = (1.0 - wee) * (1.0 + wii) + wei * wie  # det(I − W)
    lam_e = (wee - 1.0) / te
    lam_i = (1.0 + wii) / ti
    trace = lam_e - lam_i
    det = D / (te * ti)
    disc = trace**2 - 4.0 * det
    with np.errstate(divide="ignore", invalid="ignore"):
        # all-active equilibrium (I − W) x = u
        xe = np.where(D != 0, ((1.0 + wii) * ue - wei * ui) / D, np.nan)
        xi = np.where(D != 0, (wie * ue + (1.0 - wee) * ui) / D, np.nan)
        x_e_only = np.where(wee != 1.0, ue / (1.0 - wee), np.nan)
    full = (xe > 0) & (xi > 0)
    full_stable = full & (det > 0) & (trace < 0)
    quiet = (ue <= 0) & (ui <= 0)  # ∅: always stable when it exists
    i_only = (ui > 0) & (ue * (1.0 + wii) <= wei * ui)  # {I}: always stable
    # {E} is stable only when w_EE < 1 (then the network is LDS anyway)
    e_only_stable = (wee < 1) & (x_e_only > 0) & (wie * x_e_only + ui <= 0)
    n_stable = (full_stable.astype(int) + quiet.astype(int) + i_only.astype(int)
                + e_only_stable.astype(int))
    unbounded = (wee > 1) & ((D <= 0) | ((trace > 0) & (disc >= 0)))
    unbounded |= (wee == 1) & (wei * wie == 0) & (ue > 0)  # E integrates its input
    out = np.where(
        wee < 1, "lds-stable",
        np.where(unbounded, np.where(n_stable >= 1, "bistable", "runaway"),
                 np.where(n_stable >= 2, "bistable",
                          np.where(n_stable == 1, "isn-stable", "oscillatory"))))
    out = out.astype("<U11")
    return out[()] if out.ndim == 0 else out


def paradoxical_response(w_ee: ArrayLike, w_ei: ArrayLike, w_ie: ArrayLike,
                         w_ii: ArrayLike) -> Any:
    """``∂r_I*/∂u_I = (1 − w_EE)/((1 − w_EE)(1 + w_II) + w_EI w_IE)`` in the all-active region.

    Negative (more input to the I population lowers its rate: the paradoxical effect of
    Tsodyks et al. 1997) exactly when ``w_EE > 1`` and the determinant is positive, i.e. in the
    inhibition-stabilised regime. Vectorised; ``inf``/``nan`` never appear silently: a zero
    determinant raises.

    Raises
    ------
    ValidationError
        Negative weights, or ``det(I − W) = 0`` (no isolated all-active equilibrium).

    Examples
    --------
    >>> from fractions import Fraction
    >>> Fraction(float(paradoxical_response(2, 3, 3, 1))).limit_denominator(100)
    Fraction(-1, 7)
    """
    wee, wei, wie, wii, *_ = _params(w_ee, w_ei, w_ie, w_ii, 1.0, 1.0, 0.0, 0.0)
    D = (1.0 - wee) * (1.0 + wii) + wei * wie
    if np.any(D == 0):
        raise ValidationError("parameters: det(I − W) = (1 − w_ee)(1 + w_ii) + w_ei·w_ie is 0; "
                              "the all-active equilibrium is not isolated")
    out = (1.0 - wee) / D
    return out[()] if out.ndim == 0 else out


def hopf_ratio(w_ee: ArrayLike, w_ii: ArrayLike) -> Any:
    """The Hopf point ``τ_I/τ_E = (1 + w_II)/(w_EE − 1)`` of the active ISN state.

    Faster inhibition (smaller ratio) is stable. ``inf`` when ``w_EE ≤ 1`` (the trace is then
    negative for every ratio: no Hopf point).

    Examples
    --------
    >>> float(hopf_ratio(2.0, 1.0))
    2.0
    """
    wee, _, _, wii, *_ = _params(w_ee, 0.0, 0.0, w_ii, 1.0, 1.0, 0.0, 0.0)
    with np.errstate(divide="ignore"):
        out = np.where(wee > 1, (1.0 + wii) / np.where(wee > 1, wee - 1.0, 1.0), np.inf)
    return out[()] if out.ndim == 0 else out


@dataclasses.dataclass(frozen=True)
class WCEquilibrium:
    """One equilibrium of a ReLU Wilson–Cowan circuit (closed form).

    Attributes
    ----------
    x : ndarray, shape (2,)
        ``(r_E, r_I)``.
    support : str
        ``""``, ``"E"``, ``"I"`` or ``"EI"``: the neurons with positive drive.
    eigenvalues : ndarray, shape (2,)
        Of the rate-form Jacobian ``τ⁻¹(−I + Λ_S W)``.
    stable : bool
        All eigenvalues with negative real part.
    kind : str
        ``"stable node"``, ``"stable focus"``, ``"saddle"``, ``"unstable node"``,
        ``"unstable focus"`` or ``"degenerate"``.
    """

    x: NDArray[np.float64]
    support: str
    eigenvalues: NDArray[np.complex128]
    stable: bool
    kind: str


def _kind(ev: NDArray[np.complex128]) -> str:
    re = ev.real
    if np.any(np.abs(re) < 1e-14):
        return "degenerate"
    if re[0] * re[1] < 0:
        return "saddle"
    shape = "focus" if np.any(np.abs(ev.imag) > 1e-14) else "node"
    return ("stable " if np.all(re < 0) else "unstable ") + shape


def wilson_cowan_equilibria(w_ee: float, w_ei: float, w_ie: float, w_ii: float, *,
                            tau_e: float = 1.0, tau_i: float = 1.0, u_e: float = 0.0,
                            u_i: float = 0.0) -> list[WCEquilibrium]:
    """Every equilibrium of a ReLU Wilson–Cowan circuit, by its four supports (scalars).

    For each support ``S`` solve ``(I − W)_SS x_S = u_S`` and keep it when ``x_S > 0`` and the
    drive of every neuron off ``S`` is ``≤ 0`` (THEORY §4).

    Examples
    --------
    >>> eqs = wilson_cowan_equilibria(2, 3, 3, 1, u_e=-1, u_i=-4)
    >>> [(e.support, e.kind) for e in eqs]
    [('', 'stable node'), ('E', 'saddle'), ('EI', 'stable focus')]
    >>> [round(float(v) * 7, 9) for v in eqs[2].x]
    [10.0, 1.0]
    """
    W = wilson_cowan(w_ee, w_ei, w_ie, w_ii, tau_e=tau_e, tau_i=tau_i, u_e=u_e, u_i=u_i)
    A = np.eye(2) - W.W
    u = W.u
    out = []
    for S in ((), (0,), (1,), (0, 1)):
        idx = list(S)
        x = np.zeros(2)
        if idx:
            sub = A[np.ix_(idx, idx)]
            if abs(np.linalg.det(sub)) < 1e-14:
                continue
            x[idx] = np.linalg.solve(sub, u[idx])
            if np.any(x[idx] <= 0):
                continue
        off = [k for k in (0, 1) if k not in S]
        if off and np.any((W.W @ x + u)[off] > 0):
            continue
        lam = np.zeros(2)
        lam[idx] = 1.0
        J = (lam[:, None] * W.W - np.eye(2)) / W.tau[:, None]
        ev = np.linalg.eigvals(J).astype(complex)
        out.append(WCEquilibrium(x=x, support="".join("EI"[k] for k in S), eigenvalues=ev,
                                 stable=bool(np.all(ev.real < 0)), kind=_kind(ev)))
    return out
