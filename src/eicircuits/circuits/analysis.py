"""What circuits compute: contrast, contrast gain, differential gain, winners (docs/theory.md §5).

Contrast of a vector ``y`` of E rates: ``C(y) = (max y − min y)/(max y + min y)``. The contrast
gain of a circuit at input ``u`` is ``C(x*_E)/C(u_E)``; for a column the output is the last
layer's E neurons and the input the first layer's. The linear response at an equilibrium is
exact for piecewise-linear activations: ``dx = (I − Λ W)⁻¹ Λ du`` with
``Λ = diag(Φ'(W x* + u))``.

**"The" response is the state reached from rest.** A multistable circuit (a winner-take-all
with many equilibria, most of them unstable) has no single equilibrium; every analysis here that
speaks of "the" response (:func:`response`, :func:`solve_equilibrium`, :func:`contrast_gain`,
:func:`differential_gain`) uses the equilibrium a run from rest ``x = 0`` settles in,
``equilibrium(net, from_state=0)``: simulated until its active set settles, then solved exactly,
with its local stability checked (an unstable point is never returned).

Examples
--------
>>> import numpy as np
>>> from eicircuits.circuits import contrast, winner
>>> round(float(contrast([1.0, 1.08])), 6)
0.038462
>>> winner([0.0, 0.3, 0.0]), winner([0.1, 0.3, 0.0])
(1, None)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._report import Section
from ..errors import ConvergenceError, ValidationError
from ..network import Network
from .column import layer_groups

__all__ = [
    "contrast",
    "contrast_gain",
    "differential_gain",
    "winner",
    "layer_contrasts",
    "sensitivity",
    "response",
    "solve_equilibrium",
    "report_section",
]

FloatArray = NDArray[np.float64]


def contrast(y: ArrayLike) -> Any:
    """``C(y) = (max y − min y)/(max y + min y)`` along the last axis.

    Parameters
    ----------
    y : array_like
        Rates (last axis: neurons). Needs ``max y + min y > 0``.

    Returns
    -------
    float or ndarray
        In ``[0, 1]`` for nonnegative ``y``; ``1`` once the weakest neuron is silent.

    Raises
    ------
    ValidationError
        Empty or non-finite ``y``, or ``max y + min y ≤ 0`` (contrast undefined).

    Examples
    --------
    >>> float(contrast([0.0, 2.0])), float(contrast([[1.0, 3.0], [2.0, 2.0]])[0])
    (1.0, 0.5)
    """
    arr = np.asarray(y, dtype=float)
    if arr.ndim == 0 or arr.shape[-1] == 0:
        raise ValidationError(f"y: contrast needs at least one rate, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValidationError("y: every rate must be finite")
    hi = arr.max(axis=-1)
    lo = arr.min(axis=-1)
    s = hi + lo
    if np.any(s <= 0):
        raise ValidationError(
            f"y: contrast (max − min)/(max + min) is undefined when max y + min y ≤ 0; got "
            f"max + min = {float(np.min(s))}"
        )
    out = (hi - lo) / s
    return out[()] if np.ndim(out) == 0 else out


def winner(x: ArrayLike, net: Network | None = None, *, tol: float = 1e-9) -> int | None:
    """The index of the single active E neuron, or ``None``.

    Parameters
    ----------
    x : array_like
        Without ``net``: E rates, and the answer indexes ``x``. With ``net``: a full state, the
        E neurons considered are the last layer's of a column (all E neurons otherwise), and the
        answer is a network index.
    net : Network, optional
    tol : float
        A rate counts as active when ``> tol·max(1, max |x|)``.

    Examples
    --------
    >>> from eicircuits.circuits import cortical_column
    >>> net = cortical_column(2, 2, f=1.0)
    >>> winner([1.0, 0.0, 0.5, 0.9, 0.0, 0.4], net)
    3
    """
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 1 or arr.size == 0:
        raise ValidationError(f"x: expected a non-empty vector of rates, got shape {arr.shape}")
    if net is not None:
        if arr.shape != (net.n,):
            raise ValidationError(f"x: expected shape ({net.n},) to match the network, "
                                  f"got {arr.shape}")
        idx = layer_groups(net)[-1]
    else:
        idx = np.arange(arr.size)
    y = arr[idx]
    thr = tol * max(1.0, float(np.max(np.abs(y))))
    active = np.flatnonzero(y > thr)
    return int(idx[active[0]]) if active.size == 1 else None


def response(net: Network, u: ArrayLike | None = None) -> Any:
    """The response of ``net`` to ``u``: the equilibrium a run from rest settles in.

    ``equilibrium(net, u=u, from_state=0)`` (see the module docstring): in a multistable
    circuit the state the network actually reaches from ``x = 0``, not whichever equilibrium a
    solver finds first. Its ``stability`` verdict is filled in (never unstable; ``stable`` is
    ``None`` when undecided, and the message says why).

    Returns
    -------
    Equilibrium

    Raises
    ------
    ConvergenceError
        When the run from rest does not settle (oscillation, divergence); the message says so.

    Examples
    --------
    >>> import numpy as np
    >>> from eicircuits.circuits import lateral_inhibition
    >>> net = lateral_inhibition(4, a=0, b=2, c=2, d=0.5, wiring="local", u=[1, 1.1, 1.2, 1.3])
    >>> eq = response(net)
    >>> eq.x[:4].round(3).tolist(), eq.stable
    ([0.0, 0.0, 0.0, 1.3], True)
    """
    from ..fixed_points import equilibrium

    uu = net.u if u is None else _inputs(net, u)
    eq = equilibrium(net, u=uu, from_state=np.zeros(net.n))
    if not eq.converged:
        raise ConvergenceError(f"the run from rest did not settle: {eq.message}")
    return eq


def solve_equilibrium(net: Network, u: ArrayLike | None = None) -> FloatArray:
    """The rates ``x*`` of :func:`response`: the equilibrium reached from rest (at input ``u``).

    Raises
    ------
    ConvergenceError
        When the run from rest does not settle (its message is passed on).

    Examples
    --------
    >>> from eicircuits.circuits import wilson_cowan
    >>> solve_equilibrium(wilson_cowan(2, 3, 3, 1), [1.0, 0.5]) * 14
    array([1., 5.])
    """
    return np.asarray(response(net, u).x, dtype=float)


def _inputs(net: Network, u: ArrayLike | None) -> FloatArray:
    if u is None:
        return net.u
    uu = np.asarray(u, dtype=float)
    if uu.shape != (net.n,):
        raise ValidationError(f"u: expected shape ({net.n},) to match the network, "
                              f"got {uu.shape}")
    return uu


def layer_contrasts(net: Network, x: ArrayLike) -> FloatArray:
    """The contrast of the E rates of every layer (one value for a network that is not a column).

    Raises
    ------
    ValidationError
        Wrong shape, or a layer whose E rates are all zero (contrast undefined).

    Examples
    --------
    >>> from eicircuits.circuits import cortical_column
    >>> net = cortical_column(2, 2, f=1.0)
    >>> layer_contrasts(net, [1.0, 3.0, 0.5, 0.0, 2.0, 0.1]).tolist()
    [0.5, 1.0]
    """
    arr = np.asarray(x, dtype=float)
    if arr.shape != (net.n,):
        raise ValidationError(f"x: expected shape ({net.n},) to match the network, "
                              f"got {arr.shape}")
    out = []
    for ell, idx in enumerate(layer_groups(net)):
        try:
            out.append(float(contrast(arr[idx])))
        except ValidationError as exc:
            raise ValidationError(f"layer {ell}: {exc}") from exc
    return np.array(out)


def contrast_gain(net: Network, u: ArrayLike | None = None) -> float:
    """``C(x*_E)/C(u_E)``: how much the circuit sharpens input differences.

    ``x*`` is the response, the state reached from rest (:func:`response`). For a column (names
    ``L{ℓ}.E{i}``) the output is the last layer's E rates and the input the first layer's E
    inputs; otherwise both are the E neurons.

    Parameters
    ----------
    net : Network
        With cell types.
    u : array_like, shape (n,), optional
        Full input vector (default ``net.u``).

    Raises
    ------
    ValidationError
        No cell types, or a contrast that is undefined.
    ConvergenceError
        The run from rest does not settle.

    Examples
    --------
    >>> from eicircuits.circuits import lateral_inhibition
    >>> net = lateral_inhibition(5, a=0.0, b=2, c=2, d=0.5, u=[1.0, 1.02, 1.04, 1.06, 1.08])
    >>> round(contrast_gain(net), 4)
    3.6667
    """
    if net.cell_types is None:
        raise ValidationError("net: contrast gain needs cell types (which neurons are E)")
    uu = _inputs(net, u)
    groups = layer_groups(net)
    c_in = float(contrast(uu[groups[0]]))
    if c_in == 0:
        raise ValidationError("u: the E inputs are all equal (contrast 0); the gain is undefined")
    x = solve_equilibrium(net, uu)
    return float(contrast(x[groups[-1]])) / c_in


def sensitivity(net: Network, x: ArrayLike, u: ArrayLike | None = None) -> FloatArray:
    """The exact linear response ``∂x*/∂u = (I − Λ W)⁻¹ Λ`` at the equilibrium ``x``.

    ``Λ = diag(Φ'(W x + u))``; for ReLU this is the active set, and the formula is exact on the
    whole region where the active set does not change (a one-sided derivative at a kink).

    Raises
    ------
    ValidationError
        When ``I − Λ W`` is singular (no isolated equilibrium).

    Examples
    --------
    >>> from eicircuits.circuits import wilson_cowan
    >>> net = wilson_cowan(2, 3, 3, 1, u_e=1.0, u_i=0.5)
    >>> S = sensitivity(net, [1 / 14, 5 / 14])
    >>> round(float(S[1, 1]) * 7, 9)
    -1.0
    """
    uu = _inputs(net, u)
    lam = net.dphi(net.drive(np.asarray(x, dtype=float), uu))
    W = net.dense_W()
    A = np.eye(net.n) - lam[:, None] * W
    try:
        return np.linalg.solve(A, np.diag(lam))
    except np.linalg.LinAlgError as exc:
        raise ValidationError(
            "x: I − ΛW is singular at this equilibrium; the response is not defined"
        ) from exc


def differential_gain(net: Network, u: ArrayLike | None = None, *, i: int | None = None,
                      j: int | None = None) -> float:
    """``∂(x_i − x_j)/∂(u_i − u_j)`` at the response: how differences pass through.

    At the state reached from rest (:func:`response`). Computed exactly from :func:`sensitivity`
    with the input change ``δu_i = +½``, ``δu_j = −½``. Defaults: ``i``, ``j`` the (first
    layer's) E neurons with the largest and the smallest input. For the shared motif with
    everything active it is ``1/(1 − a)``; for the local wiring ``1/(1 − a − bc/(1 + d))``
    (docs/theory.md §5).

    Raises
    ------
    ValidationError
        Indices out of range or equal, no E neurons.

    Examples
    --------
    >>> from eicircuits.circuits import lateral_inhibition
    >>> net = lateral_inhibition(3, a=0.5, b=1, c=1, d=0, u=[1.0, 1.1, 1.2])
    >>> round(differential_gain(net), 9)
    2.0
    """
    uu = _inputs(net, u)
    if i is None or j is None:
        if net.cell_types is None:
            raise ValidationError("net: give i and j, or a network with cell types")
        g = layer_groups(net)[0]
        i = int(g[np.argmax(uu[g])]) if i is None else i
        j = int(g[np.argmin(uu[g])]) if j is None else j
    for name, k in (("i", i), ("j", j)):
        if not 0 <= int(k) < net.n:
            raise ValidationError(f"{name}: must be a neuron index in [0, {net.n}), got {k}")
    if i == j:
        raise ValidationError(f"i, j: must differ, got i = j = {i}")
    x = solve_equilibrium(net, uu)
    S = sensitivity(net, x, uu)
    du = np.zeros(net.n)
    du[i], du[j] = 0.5, -0.5
    dx = S @ du
    return float(dx[i] - dx[j])


def report_section(net: Network, x: ArrayLike) -> Section:
    """The "Contrast" section of ``eicircuits analyze``: contrast per layer and the winner.

    Examples
    --------
    >>> from eicircuits.circuits import cortical_column
    >>> net = cortical_column(2, 2, f=1.0, u=[1.0, 1.1])
    >>> sec = report_section(net, [1.0, 1.2, 0.1, 0.9, 1.5, 0.2])
    >>> [round(c, 6) for c in sec.data["contrast"]], sec.data["winner"]
    ([0.090909, 0.25], None)
    """
    arr = np.asarray(x, dtype=float)
    groups = layer_groups(net)
    lines = []
    values: list[float | None] = []
    active: list[int] = []
    c_in: float | None = None
    if net.cell_types is not None:
        try:
            c_in = float(contrast(net.u[groups[0]]))
        except ValidationError:
            c_in = None
        lines.append(f"input contrast (first-layer E inputs): "
                     f"{'undefined' if c_in is None else f'{c_in:.4g}'}")
    for ell, idx in enumerate(groups):
        try:
            c = float(contrast(arr[idx]))
        except ValidationError:
            c = None
        values.append(c)
        y = arr[idx]
        k = int(np.sum(y > 1e-9 * max(1.0, float(np.max(np.abs(y)))))) if y.size else 0
        active.append(k)
        label = f"layer {ell}" if len(groups) > 1 else "E neurons"
        shown = "undefined (all silent)" if c is None else f"{c:.4g}"
        lines.append(f"{label}: contrast {shown}, {k} of {y.size} E neurons active")
    w = winner(arr, net)
    lines.append(f"single winner: {net.names[w] if w is not None else 'none'}")
    gain = None
    if c_in and values[-1] is not None:
        gain = values[-1] / c_in
        lines.append(f"contrast gain (output/input): {gain:.4g}")
    data = {"layers": len(groups), "contrast": values, "active": active, "input_contrast": c_in,
            "contrast_gain": gain, "winner": None if w is None else net.names[w]}
    wc = wilson_cowan_summary(net)
    if wc is not None:
        data["wilson_cowan"] = wc
        lines.append(wilson_cowan_text(wc))
    return Section("Contrast", "\n".join(lines), data)


def wilson_cowan_text(wc: dict[str, Any]) -> str:
    """One report line from :func:`wilson_cowan_summary`'s dictionary."""
    return (f"two-population E–I circuit (Wilson–Cowan): regime {wc['regime']}; "
            f"paradoxical response ∂r_I*/∂u_I = {wc['paradoxical_response']:.4g}"
            + (" (negative: inhibition-stabilised)" if wc["paradoxical_response"] < 0 else "")
            + ("" if wc["hopf_ratio"] is None
               else f"; Hopf point τ_I/τ_E = {wc['hopf_ratio']:.4g}"))


def wilson_cowan_summary(net: Network) -> dict[str, Any] | None:
    """Regime and paradoxical response when ``net`` is a ReLU E–I pair (else ``None``)."""
    from ..activations import ReLU
    from .wilson_cowan import hopf_ratio, paradoxical_response, wilson_cowan_regime

    if net.n != 2 or net.cell_types != ("E", "I") or not isinstance(net.uniform_activation,
                                                                      ReLU):
        return None
    W = net.dense_W()
    w = dict(w_ee=W[0, 0], w_ei=-W[0, 1], w_ie=W[1, 0], w_ii=-W[1, 1])
    try:
        slope = float(paradoxical_response(**w))
    except ValidationError:
        return None
    regime = str(wilson_cowan_regime(**w, tau_e=net.tau[0], tau_i=net.tau[1], u_e=net.u[0],
                                     u_i=net.u[1]))
    ratio = float(hopf_ratio(w["w_ee"], w["w_ii"]))
    return {"regime": regime, "paradoxical_response": slope,
            "hopf_ratio": ratio if np.isfinite(ratio) else None}

