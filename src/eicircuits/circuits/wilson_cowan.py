"""The two-population Wilson–Cowan circuit and its regimes, in closed form (docs/theory.md §5).

``τ_E ṙ_E = −r_E + φ(w_EE r_E − w_EI r_I + u_E)``, ``τ_I ṙ_I = −r_I + φ(w_IE r_E − w_II r_I + u_I)``
with all ``w ≥ 0``, so ``W − I = [[w_EE − 1, −w_EI], [w_IE, −1 − w_II]]``; it is LDS exactly when
``w_EE < 1`` (docs/theory.md §3, Fact 5).

For ReLU the state space splits into four linear regions (which of the two drives is positive),
so every equilibrium, its stability and whether trajectories can grow without bound have closed
forms. :func:`wilson_cowan_regime` evaluates them with NumPy broadcasting:

``"lds-stable"``
    ``w_EE < 1``: ``W − I`` is LDS, one globally stable equilibrium for every input and ``τ``.
``"isn-stable"``
    ``w_EE ≥ 1`` (the E population alone would run away) yet every trajectory is bounded and one
    stable equilibrium exists, and it is the only attractor: inhibition stabilises the circuit.
    A stable limit cycle on which the I population is silenced for part of the period can
    surround a stable focus (or an unstable focus beside a stable quiescent state): often with
    ``u_I < 0``, and also with ``u_I > 0`` when I inhibits itself (found by simulation:
    ``w = (2.016, 1.639, 5.766, 2.979)``, ``τ_I = 3.44``, ``u = (1.494, 0.947)``). Bendixson's
    criterion excludes it in closed form when the "E on, I silenced" region has trace ``≤ 0`` or
    misses the quadrant ``r ≥ 0``; otherwise the regime is decided by simulation
    (:func:`wilson_cowan_classify`), and a cycle makes the circuit ``"bistable"``.
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
    two attractors: two stable equilibria (e.g. quiescent and active), a stable equilibrium
    beside runaway growth, or a stable equilibrium beside a stable limit cycle (found by
    simulation).
``"undecided"``
    only where simulation was needed and could not settle it (or was not allowed,
    ``cycles="undecided"``); :func:`wilson_cowan_classify` gives the reason.

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

Classic sigmoid: ``wilson_cowan(..., sigmoid=(a, θ))`` uses ``1/(1 + e^{−a(z − θ)})`` (a logistic
with gain and threshold, ``a ≤ 4`` for slope ≤ 1). The refractory form
``τ ṙ = −r + (1 − r) S(z)`` of Wilson & Cowan (1972) is not of the form ``τ ẋ = −x + Φ(Wx + u)``:
dividing by ``1 + S`` gives ``τ/(1 + S(z)) · ṙ = −r + S(z)/(1 + S(z))``, a state-dependent time
constant. Its equilibria are exactly those of the activation ``S/(1 + S)``, and its Jacobian at an
equilibrium is ``diag(1 + S(z*))`` times that of the framework's network, whose time constants
``τ_i/(1 + S_i)`` at that equilibrium decide local stability; trajectories, cycles and certificates
differ, so ``refractory=True`` is refused with this explanation.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._result import Result
from ..activations import Activation, Logistic, ReLU
from ..errors import ValidationError
from ..network import Network
from .builders import check_real

__all__ = [
    "wilson_cowan",
    "wilson_cowan_regime",
    "wilson_cowan_classify",
    "WCRegime",
    "wilson_cowan_equilibria",
    "paradoxical_response",
    "hopf_ratio",
    "REGIMES",
    "WCEquilibrium",
]

#: The regime labels returned by :func:`wilson_cowan_regime`.
REGIMES = ("lds-stable", "isn-stable", "oscillatory", "runaway", "bistable", "undecided")


def wilson_cowan(w_ee: float, w_ei: float, w_ie: float, w_ii: float, *, tau_e: float = 1.0,
                 tau_i: float = 1.0, u_e: float = 0.0, u_i: float = 0.0,
                 activation: Activation | None = None,
                 sigmoid: tuple[float, float] | None = None,
                 refractory: bool = False) -> Network:
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
    sigmoid : (a, theta), optional
        The classic Wilson–Cowan sigmoid ``S(z) = 1/(1 + e^{−a(z − θ)})``, i.e.
        ``Logistic(gain=a/4, threshold=θ)`` (the built-in logistic has gain 4); its slope is
        ``a/4``, so ``a ≤ 4`` (rescale larger gains with
        :func:`~eicircuits.activations.unit_slope`). Not together with ``activation``.
    refractory : bool
        ``True`` asks for Wilson & Cowan's refractory factor ``τ ṙ = −r + (1 − r) S(z)``, which
        is outside ``τ ẋ = −x + Φ(Wx + u)`` (see the module docstring): refused with the
        explanation.

    Returns
    -------
    Network
        With ``cell_types = ("E", "I")`` and names ``("E", "I")``.

    Raises
    ------
    ValidationError
        A negative or non-finite weight, a time constant ``≤ 0``, a sigmoid with ``a ≤ 0`` or
        ``a > 4``, ``sigmoid`` with ``activation``, ``refractory=True``.

    Examples
    --------
    >>> from eicircuits.circuits import wilson_cowan
    >>> wilson_cowan(0.5, 1.0, 1.0, 0.5, u_e=1.0).W.tolist()
    [[0.5, -1.0], [1.0, -0.5]]
    >>> net = wilson_cowan(12.0, 4.0, 13.0, 11.0, u_e=1.0, sigmoid=(1.3, 4.0))
    >>> net.activation.to_spec()
    {'name': 'logistic', 'gain': 0.325, 'threshold': 4.0}
    """
    if refractory:
        raise ValidationError(
            "refractory: τ ṙ = −r + (1 − r) S(z) is not of the form τ ẋ = −x + Φ(Wx + u) (its "
            "time constant τ/(1 + S(z)) depends on the state). Its equilibria are those of the "
            "activation S/(1 + S), and local stability at an equilibrium is that of the network "
            "with time constants τ_i/(1 + S_i(z*)), but trajectories and certificates differ; "
            "build the network without the refractory factor, or simulate that equation with "
            "scipy.integrate.solve_ivp"
        )
    if sigmoid is not None:
        if activation is not None:
            raise ValidationError("sigmoid: give sigmoid=(a, θ) or activation=, not both")
        try:
            a, theta = (float(v) for v in sigmoid)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                f"sigmoid: expected (a, θ), two numbers, got {sigmoid!r}") from exc
        a = check_real("sigmoid gain a", a, lo=0.0, lo_open=True)
        if a > 4.0:
            raise ValidationError(
                f"sigmoid gain a: slope a/4 must be ≤ 1, got a = {a}; rescale with "
                "eicircuits.activations.unit_slope(Logistic(gain=a/4, threshold=θ), W, u)"
            )
        activation = Logistic(gain=a / 4.0, threshold=check_real("sigmoid threshold θ", theta))
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


def _closed_form(wee: Any, wei: Any, wie: Any, wii: Any, te: Any, ti: Any, ue: Any,
                 ui: Any) -> tuple[NDArray[np.str_], NDArray[np.bool_]]:
    """Closed-form labels and where a limit cycle cannot be excluded (Bendixson, kinks)."""
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
    # ∅ is stable when both drives are negative at rest (with u_E = 0 and w_EE > 1 the E axis
    # is an unstable direction of the kink; u_I = 0 is harmless: I only inhibits itself there)
    quiet = (ue < 0) & (ui <= 0)
    # u = 0: the quiescent state sits on both kinks and the system is positively homogeneous,
    # so its local verdict (exact for two neurons) is global; decided by the one verdict.
    origin = (ue == 0) & (ui == 0) & (wee >= 1)
    origin_stable, origin_undecided = _origin_verdict(origin, wee, wei, wie, wii, te, ti)
    quiet = quiet | origin_stable
    i_only = (ui > 0) & (ue * (1.0 + wii) < wei * ui)  # {I}: always stable (E strictly off)
    # {E} is stable only when w_EE < 1 (then the network is LDS anyway)
    e_only_stable = (wee < 1) & (x_e_only > 0) & (wie * x_e_only + ui < 0)
    n_stable = (full_stable.astype(int) + quiet.astype(int) + i_only.astype(int)
                + e_only_stable.astype(int))
    unbounded = (wee > 1) & ((D <= 0) | ((trace > 0) & (disc >= 0)))
    unbounded |= (wee == 1) & (wei * wie == 0) & (ue > 0)  # E integrates its input
    # integer codes into REGIMES (string arrays are slow to build at 10⁶ entries)
    code = np.where(
        wee < 1, 0,
        np.where(unbounded, np.where(n_stable >= 1, 4, 3),
                 np.where(n_stable >= 2, 4, np.where(n_stable == 1, 1, 2))))
    out = np.asarray(np.array(REGIMES, dtype="<U11")[code])
    # Where a drive sits exactly on a kink (u_E = 0 at rest, E exactly at threshold beside the
    # I-only state) the one-sided pieces do not settle stability: simulate there too.
    kink = (wee >= 1) & (((ue == 0) & (ui < 0)) | ((ui > 0) & (ue * (1 + wii) == wei * ui)))
    # a positively homogeneous system has no isolated limit cycle: nothing to simulate at u = 0
    cycles = _cycle_possible(wee, wei, wie, wii, te, ti, ue, ui) & ~(origin & ~origin_undecided)
    check = ((code == 1) & (cycles | kink)) | origin_undecided
    return out, check


def _origin_verdict(origin: Any, wee: Any, wei: Any, wie: Any, wii: Any, te: Any, ti: Any
                    ) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Where ``origin``: is the quiescent state of the homogeneous circuit stable / undecided?"""
    from ..stability import local_stability

    shape = np.broadcast_shapes(*(np.shape(a) for a in (origin, wee, wei, wie, wii, te, ti)))
    stable = np.zeros(shape, dtype=bool)
    undecided = np.zeros(shape, dtype=bool)
    if not np.any(origin):
        return stable, undecided
    flat = [np.broadcast_to(a, shape).reshape(-1) for a in (wee, wei, wie, wii, te, ti)]
    where = np.flatnonzero(np.broadcast_to(origin, shape).reshape(-1))
    seen: dict[tuple[float, ...], str] = {}
    st, un = stable.reshape(-1), undecided.reshape(-1)
    for k in where:
        key = tuple(float(a[k]) for a in flat)
        if key not in seen:
            a, b, c, d, t_e, t_i = key
            net = Network(W=[[a, -b], [c, -d]], tau=[t_e, t_i])
            seen[key] = local_stability(net, np.zeros(2)).verdict
        st[k] = seen[key] == "stable"
        un[k] = seen[key] == "undecided"
    return st.reshape(shape), un.reshape(shape)


def _cycle_possible(wee: Any, wei: Any, wie: Any, wii: Any, te: Any, ti: Any, ue: Any,
                    ui: Any) -> NDArray[np.bool_]:
    """False where Bendixson's criterion excludes every periodic orbit (vectorised).

    The field is Lipschitz and piecewise linear, so its divergence is, region by region, the
    trace of the region's matrix: ``−1/τ_E − 1/τ_I`` (both off), ``−1/τ_E − (1 + w_II)/τ_I``
    (I only), ``(w_EE − 1)/τ_E − (1 + w_II)/τ_I`` (both on; negative wherever a stable
    all-active state exists) and ``(w_EE − 1)/τ_E − 1/τ_I`` (E on, I silenced). A periodic orbit
    (or a cycle of separatrices) encloses a region over which the divergence integrates to 0
    (Green's theorem), so none exists when the divergence is negative almost everywhere in the
    invariant quadrant ``r ≥ 0``: when the E-only trace is ``≤ 0`` (that region's matrix is
    triangular, no centre), or when the E-only region ``{w_EE r_E − w_EI r_I + u_E > 0,
    w_IE r_E − w_II r_I + u_I < 0}`` misses the quadrant. Its intersection with the quadrant is
    empty exactly when the concave function ``h(r_E) = w_EE r_E + u_E − w_EI max(0,
    (w_IE r_E + u_I)/w_II)`` is ``≤ 0`` on ``r_E ≥ 0`` (checked at 0, at its kink and by its
    slope at infinity; ``w_II = 0`` separately). This function is conservative: True means
    "not excluded", and only then does the regime simulate.
    """
    trace_e = (wee - 1.0) / te - 1.0 / ti
    with np.errstate(divide="ignore", invalid="ignore"):
        # w_II > 0: best r_I for a given r_E is max(0, (w_IE r_E + u_I)/w_II) (just above)
        d = np.where(wii > 0, wii, 1.0)
        h0 = ue - wei * np.maximum(0.0, ui / d)
        rk = np.where(wie > 0, -ui / np.where(wie > 0, wie, 1.0), -1.0)
        hk = np.where(rk > 0, wee * rk + ue, -np.inf)
        slope = wee - wei * wie / d
        some = (h0 > -1e-12) | (hk > -1e-12) | (slope > 0)
        # w_II = 0: the I drive does not depend on r_I; need w_IE r_E + u_I < 0 somewhere
        sup = np.where(wie > 0, -ui / np.where(wie > 0, wie, 1.0), np.inf)
        some0 = (ui < 0) & np.where(np.isinf(sup), (wee > 0) | (ue > 0), wee * sup + ue > -1e-12)
    region = np.where(wii > 0, some, some0)
    return (trace_e > 0) & region


def wilson_cowan_regime(w_ee: ArrayLike, w_ei: ArrayLike, w_ie: ArrayLike, w_ii: ArrayLike, *,
                        tau_e: ArrayLike = 1.0, tau_i: ArrayLike = 1.0, u_e: ArrayLike = 0.0,
                        u_i: ArrayLike = 0.0, activation: Activation | None = None,
                        cycles: str = "simulate") -> np.str_ | NDArray[np.str_]:
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

    A stable limit cycle beside the one stable equilibrium is excluded in closed form by
    Bendixson's criterion when the divergence of the field is negative wherever the flow can
    go (the only region with a positive trace is "E on, I silenced").
    Where it is not excluded (the I population can be silenced on part of a cycle: common
    with ``u_I < 0``, possible with ``u_I > 0`` and self-inhibition ``w_II > 0``) the entry is
    decided by simulation (:func:`wilson_cowan_classify`, about 0.1–1 s each) or, with
    ``cycles="undecided"``, labelled ``"undecided"``. The answer is never ``"isn-stable"`` for
    a circuit with two attractors that the simulation can reach.

    Parameters
    ----------
    w_ee, w_ei, w_ie, w_ii, tau_e, tau_i, u_e, u_i : float or array_like
        As in :func:`wilson_cowan`.
    activation : ReLU or None
        Only ReLU has these closed forms; anything else raises.
    cycles : {"simulate", "undecided"}
        What to do where a limit cycle cannot be excluded in closed form.

    Returns
    -------
    str or ndarray of str

    Raises
    ------
    ValidationError
        Negative weights, ``τ ≤ 0``, non-broadcasting shapes, a non-ReLU activation, an unknown
        ``cycles``.

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
    if cycles not in ("simulate", "undecided"):
        raise ValidationError(f"cycles: expected 'simulate' or 'undecided', got {cycles!r}")
    params = _params(w_ee, w_ei, w_ie, w_ii, tau_e, tau_i, u_e, u_i)
    out, check = _closed_form(*params)
    shape = out.shape
    out = out.reshape(-1).copy()
    flat = [np.asarray(a).reshape(-1) for a in params]
    for i in np.flatnonzero(check.reshape(-1)):
        if cycles == "undecided":
            out[i] = "undecided"
            continue
        out[i] = _decide(*(float(a[i]) for a in flat)).regime
    out = out.reshape(shape)
    return out[()] if out.ndim == 0 else out


@dataclasses.dataclass(frozen=True)
class WCRegime(Result):
    """The regime of one ReLU Wilson–Cowan circuit, with its evidence.

    Attributes
    ----------
    regime : str
        One of :data:`REGIMES`.
    equilibria : list of WCEquilibrium
        Every equilibrium, classified (quiescent and single-population ones included).
    cycle : tuple of float or None
        ``(min r_E, max r_E)`` on a stable limit cycle found by simulation.
    method : str
        ``"closed form"`` or ``"closed form + simulation"``.
    success, status, message, stats
        ``success`` is False only for ``"undecided"``; ``message`` gives the reason.
    """

    regime: str
    equilibria: list[WCEquilibrium]
    cycle: tuple[float, float] | None
    method: str
    success: bool
    status: str
    message: str
    stats: dict[str, Any] = dataclasses.field(default_factory=dict)


def wilson_cowan_classify(w_ee: float, w_ei: float, w_ie: float, w_ii: float, *,
                          tau_e: float = 1.0, tau_i: float = 1.0, u_e: float = 0.0,
                          u_i: float = 0.0, cycles: str = "simulate") -> WCRegime:
    """The regime of one circuit with its equilibria and, where needed, simulated attractors.

    The closed form (:func:`wilson_cowan_regime`) decides every case except one: one stable
    equilibrium, bounded trajectories, and a limit cycle that Bendixson's criterion cannot
    exclude (or a drive exactly on a kink). There the circuit is simulated
    (``scipy.integrate.solve_ivp``, DOP853) from a small perturbation of every equilibrium, from
    rest and from large-amplitude states up to 30× the circuit's scale; a trajectory whose
    distance from every equilibrium neither shrinks nor grows (successive windows within
    0.1 %, with a visible amplitude) is a limit cycle, and the circuit is ``"bistable"``.
    If every start reaches the stable equilibrium the answer is ``"isn-stable"`` (numerical
    evidence from those starts, not a proof); if some start neither settles nor cycles within
    the time budget, ``"undecided"`` with the reason.

    Examples
    --------
    >>> from eicircuits.circuits import wilson_cowan_classify
    >>> r = wilson_cowan_classify(2.0, 3.0, 3.0, 1.0, u_e=-1.0, u_i=-4.0)
    >>> r.regime, [e.kind for e in r.equilibria], r.method
    ('bistable', ['stable node', 'saddle', 'stable focus'], 'closed form')
    """
    if cycles not in ("simulate", "undecided"):
        raise ValidationError(f"cycles: expected 'simulate' or 'undecided', got {cycles!r}")
    params = [float(a) for a in _params(w_ee, w_ei, w_ie, w_ii, tau_e, tau_i, u_e, u_i)]
    out, check = _closed_form(*(np.asarray(p) for p in params))
    label = str(out[()])
    if bool(check[()]):
        if cycles == "undecided":
            eqs = wilson_cowan_equilibria(*params[:4], tau_e=params[4], tau_i=params[5],
                                          u_e=params[6], u_i=params[7])
            return WCRegime("undecided", eqs, None, "closed form", False, "undecided",
                            "one stable equilibrium, and Bendixson's criterion cannot exclude "
                            "a stable limit cycle beside it (the E-on, I-silenced region has a "
                            "positive trace); use cycles='simulate'")
        return _decide(*params)
    eqs = wilson_cowan_equilibria(*params[:4], tau_e=params[4], tau_i=params[5],
                                  u_e=params[6], u_i=params[7])
    return WCRegime(label, eqs, None, "closed form", True, label, _REASONS[label])


_REASONS = {
    "lds-stable": "w_EE < 1: W − I is LDS, one globally stable equilibrium for every input and τ",
    "isn-stable": "w_EE ≥ 1, bounded, one stable equilibrium, and no limit cycle (Bendixson: "
                  "the divergence is negative wherever the flow can go)",
    "oscillatory": "bounded and no stable equilibrium: a limit cycle (Poincaré–Bendixson)",
    "runaway": "some trajectories grow without bound and no equilibrium is stable",
    "bistable": "two attractors in closed form (two stable equilibria, or one beside runaway "
                "growth)",
}


class _PiecewiseFlow:
    """Exact flow of the ReLU Wilson–Cowan pair: linear in each region, events at the kinks.

    In a region (which drives are positive) the system is ``ẋ = A x + c`` with
    ``A = τ⁻¹(Λ W − I)``, ``c = τ⁻¹ Λ u``; ``x(s) = e^{Ms}[x; 1]`` with ``M = [[A, c], [0, 0]]``
    (valid for singular ``A`` too). The flow is sampled on a grid of ``_GRID`` points per
    horizon ``H``; a drive that changes sign between two samples is located to rounding by
    Brent's method on the exact solution and the region switched there. No step-size control
    meets the kinks, so cycles of any amplitude are followed exactly.
    """

    _GRID = 48

    def __init__(self, W: NDArray[np.float64], u: NDArray[np.float64],
                 tau: NDArray[np.float64]) -> None:
        from scipy.linalg import expm

        self.W, self.u = W, u
        self.H = 0.5 * float(np.min(tau))
        self.s = np.linspace(self.H / self._GRID, self.H, self._GRID)
        self.M: dict[tuple[bool, bool], NDArray[np.float64]] = {}
        self.E: dict[tuple[bool, bool], NDArray[np.float64]] = {}
        for region in ((False, False), (True, False), (False, True), (True, True)):
            lam = np.array(region, dtype=float)
            M = np.zeros((3, 3))
            M[:2, :2] = (lam[:, None] * W - np.eye(2)) / tau[:, None]
            M[:2, 2] = lam * u / tau
            self.M[region] = M
            self.E[region] = expm(self.s[:, None, None] * M[None])
        self._expm = expm

    def region(self, x: NDArray[np.float64], sign: NDArray[np.float64]) -> tuple[bool, bool]:
        z = self.W @ x + self.u
        # a drive exactly on its kink counts as on when ``sign`` says it is entering that side
        return (bool(z[0] > 0 or (z[0] == 0 and sign[0] > 0)),
                bool(z[1] > 0 or (z[1] == 0 and sign[1] > 0)))

    def run(self, x: NDArray[np.float64], t: float, t1: float
            ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Flow from ``(t, x)`` to ``t1``; returns ``x(t1)`` and the samples ``(ts, xs)``."""
        from scipy.optimize import brentq

        ts: list[NDArray[np.float64]] = []
        xs: list[NDArray[np.float64]] = []
        sign = np.zeros(2)
        region = self.region(x, sign)
        n_events = 0
        while t < t1 and n_events < 100_000:
            y = np.append(x, 1.0)
            Y = self.E[region] @ y  # (GRID, 3)
            Z = Y[:, :2] @ self.W.T + self.u
            on = np.array(region)
            z0 = self.W @ x + self.u
            # a drive crosses where it leaves its region's sign (strictly, after the start)
            wrong = np.where(on, Z < 0, Z > 0)
            k_stop = int(np.searchsorted(self.s, t1 - t, side="left"))
            k_stop = min(k_stop, self._GRID - 1)
            hit = np.flatnonzero(np.any(wrong[: k_stop + 1], axis=1))
            if hit.size == 0:
                if t1 - t <= self.H:
                    x = (self._expm((t1 - t) * self.M[region]) @ y)[:2]
                    ts.append(t + self.s[: k_stop])
                    xs.append(Y[: k_stop, :2])
                    return x, np.concatenate(ts), np.concatenate(xs)
                ts.append(t + self.s)
                xs.append(Y[:, :2])
                x, t = Y[-1, :2], t + self.H
                continue
            k = int(hit[0])
            j = int(np.flatnonzero(wrong[k])[0])
            a = 0.0 if k == 0 else float(self.s[k - 1])
            b = float(self.s[k])
            M = self.M[region]
            wj, uj = self.W[j], float(self.u[j])

            def drive(s_: float, M: NDArray[np.float64] = M, y: NDArray[np.float64] = y,
                      wj: NDArray[np.float64] = wj, uj: float = uj) -> float:
                return float(wj @ (self._expm(s_ * M) @ y)[:2] + uj)

            za = float(z0[j]) if k == 0 else float(Z[k - 1, j])
            if za == 0.0 or (za > 0) == (float(Z[k, j]) > 0):
                sc = a  # grazing or already on the kink: switch at the sample
            else:
                sc = brentq(drive, a, b, xtol=1e-15, rtol=4 * np.finfo(float).eps)
            if sc >= t1 - t:  # the switch lies beyond the end: stop at t1 in this region
                x = (self._expm((t1 - t) * M) @ y)[:2]
                ts.append(t + self.s[:k])
                xs.append(Y[:k, :2])
                return x, np.concatenate(ts), np.concatenate(xs)
            x = (self._expm(sc * M) @ y)[:2]
            ts.append(t + self.s[:k])
            xs.append(Y[:k, :2])
            t += sc
            n_events += 1
            sign = np.zeros(2)
            sign[j] = -1.0 if region[j] else 1.0
            new = list(region)
            new[j] = not region[j]
            region = (new[0], new[1])
            if sc == a and k == 0 and n_events > 1 and t1 - t > 0:
                # a zero-length segment twice in a row would loop: take one grid step instead
                t += self.s[0]
                x = (self.E[region][0] @ np.append(x, 1.0))[:2]
                region = self.region(x, sign)
        return x, np.concatenate(ts) if ts else np.array([t]), (
            np.concatenate(xs) if xs else x[None, :])


def _decide(wee: float, wei: float, wie: float, wii: float, te: float, ti: float, ue: float,
            ui: float) -> WCRegime:
    """Simulate from many starts: does a stable limit cycle coexist with the equilibrium?"""
    eqs = wilson_cowan_equilibria(wee, wei, wie, wii, tau_e=te, tau_i=ti, u_e=ue, u_i=ui)
    stable = np.array([e.x for e in eqs]).reshape(-1, 2)  # where a run may settle
    W = np.array([[wee, -wei], [wie, -wii]])
    u = np.array([ue, ui])
    tau = np.array([te, ti])
    flow = _PiecewiseFlow(W, u, tau)
    scale = max(1.0, abs(ue), abs(ui), *(float(np.max(np.abs(e.x))) for e in eqs))
    starts = [np.zeros(2)]
    for e in eqs:
        if not e.stable:  # an unstable state spirals out onto a cycle if one surrounds it
            for d in ((1, 0.3), (-1, -0.3), (0.3, -1)):
                starts.append(np.maximum(e.x + 1e-3 * scale * np.array(d), 0.0))
    for r in (0.3, 3.0, 30.0):  # a cycle around a stable focus is reached from outside
        for d in ((1.0, 0.0), (1.0, 1.0), (0.0, 1.0)):
            starts.append(r * scale * np.array(d))
    # a run started exactly on an unstable equilibrium stays there and says nothing
    starts = [x for x in starts
              if all(e.stable or np.max(np.abs(x - e.x)) > 1e-9 * scale for e in eqs)]
    settled_at = np.full(len(starts), -1)
    window = 25.0 * max(te, ti)
    t_max = 4000.0 * max(te, ti)
    n_starts = len(starts)
    state = [(x, 0.0) for x in starts]
    prev = np.full(n_starts, np.inf)
    done = np.zeros(n_starts, dtype=bool)
    t = 0.0
    while True:
        dist = np.zeros(n_starts)
        amp = np.zeros(n_starts)
        for i in np.flatnonzero(~done):
            x, t0 = state[i]
            x, ts, xs = flow.run(x, t0, t0 + window)
            state[i] = (x, t0 + window)
            tail = xs[ts >= t0 + 0.5 * window]
            tail = np.vstack([tail, x]) if tail.size else x[None, :]
            per_eq = np.max(np.abs(tail[:, None, :] - stable[None]), axis=(0, 2))
            dist[i] = float(np.min(per_eq))
            amp[i] = float(np.max(np.ptp(tail, axis=0)))
            if not np.all(np.isfinite(x)):  # pragma: no cover - bounded by the closed form
                return WCRegime("undecided", eqs, None, "closed form + simulation", False,
                                "undecided", "a simulated trajectory overflowed")
            ratio = dist[i] / prev[i] if np.isfinite(prev[i]) and prev[i] > 0 else 0.0
            # a cycle: the distance stops shrinking and the state keeps oscillating on the
            # scale of that distance (a slow node creeps: its window amplitude is tiny)
            if (dist[i] > 1e-7 * scale and abs(ratio - 1.0) < 1e-3 and amp[i] > 1e-5 * scale
                    and amp[i] > 0.05 * dist[i]):
                lo, hi = float(tail[:, 0].min()), float(tail[:, 0].max())
                kinds = ", ".join(f"{e.kind} at ({e.x[0]:.4g}, {e.x[1]:.4g})" for e in eqs)
                return WCRegime("bistable", eqs, (lo, hi), "closed form + simulation", True,
                                "bistable", f"a stable limit cycle (r_E in [{lo:.4g}, {hi:.4g}], "
                                f"found by simulation from start {starts[i].round(6).tolist()}) "
                                f"coexists with the stable equilibrium; equilibria: {kinds}",
                                {"t": t + window, "starts": n_starts})
            if dist[i] <= 1e-7 * scale:
                done[i] = True
                settled_at[i] = int(np.argmin(per_eq))
        prev = np.where(done, prev, dist)
        t += window
        if np.all(done):
            ends = sorted(set(settled_at.tolist()))
            if len(ends) > 1:
                where = "; ".join(f"{eqs[k].kind} at ({eqs[k].x[0]:.4g}, {eqs[k].x[1]:.4g})"
                                  for k in ends)
                return WCRegime("bistable", eqs, None, "closed form + simulation", True,
                                "bistable", f"simulated runs settle at {len(ends)} different "
                                f"equilibria ({where}); an equilibrium on a kink can attract an "
                                "open set without being stable", {"t": t, "starts": n_starts})
            return WCRegime("isn-stable", eqs, None, "closed form + simulation", True,
                            "isn-stable", f"every one of {n_starts} simulated starts (near each "
                            "unstable equilibrium, from rest, and up to 30× the circuit's scale) "
                            "settles at the stable equilibrium: no other attractor found "
                            "(numerical evidence, not a proof)", {"t": t, "starts": n_starts})
        if t >= t_max:
            return WCRegime("undecided", eqs, None, "closed form + simulation", False,
                            "undecided", f"after t = {t:g}, {int(np.sum(~done))} of {n_starts} "
                            "simulated starts neither settle at an equilibrium nor repeat a "
                            "cycle (a very slow spiral near a Hopf point?)",
                            {"t": t, "starts": n_starts})


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
        ``"unstable focus"`` or ``"degenerate"``; for an equilibrium where a silent
        neuron's drive is exactly 0, ``"… (on a kink; …)"``, ``"unstable (on a kink)"`` or
        ``"undecided (on a kink)"`` from the one-sided linearisations.
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
    drive of every neuron off ``S`` is ``≤ 0`` (docs/theory.md §4).

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
        stable, kind = bool(np.all(ev.real < 0)), _kind(ev)
        kinks = [k for k in off if (W.W @ x + u)[k] == 0.0]
        if kinks:  # on a kink the library's one local verdict decides (stability/_local.py)
            from ..stability._local import verdict as _local_verdict

            ls = _local_verdict(W, x, u)
            stable = ls.stable is True
            kind = (f"{kind} (on a kink; stable by the local verdict)" if stable
                    else f"{ls.verdict} (on a kink)")
        out.append(WCEquilibrium(x=x, support="".join("EI"[k] for k in S), eigenvalues=ev,
                                 stable=stable, kind=kind))
    return out
