"""The main job as one call: :func:`analyze` a circuit and get an :class:`Analysis`.

An analysis holds the typed results of every part — the network's description, the
equilibrium (with its local stability), the global stability certificate and its independent
verification, the neurons' game at the equilibrium, what the circuit computes (contrast per
layer, the winner) and a trajectory from rest that checks the equilibrium. It renders nothing:
the writers of :mod:`eicircuits.report` turn it into text, JSON, Markdown, NetCDF and a figure,
and ``eicircuits analyze`` is argument parsing plus those writers.

Examples
--------
>>> from eicircuits import analyze
>>> from eicircuits.circuits import wilson_cowan
>>> res = analyze(wilson_cowan(0.5, 1.0, 1.0, 0.5, u_e=1.0, u_i=0.5))
>>> res.success, res.certificate.certified, res.trajectory.status
(True, True, 'steady')
>>> sorted(res.to_dict())[:4]
['contrast', 'equilibrium', 'game', 'included']
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any

import numpy as np

from ._result import Result, jsonable
from .errors import SizeLimitError, ValidationError
from .network import Network

__all__ = [
    "PARTS",
    "Analysis",
    "NetworkSummary",
    "ContrastSummary",
    "TrajectorySummary",
    "analyze",
    "network_summary",
    "contrast_summary",
    "is_layered",
]

#: The parts :func:`analyze` can compute (the equilibrium is always computed).
PARTS = ("equilibrium", "stability", "game", "contrast", "trajectory")


@dataclasses.dataclass(frozen=True)
class NetworkSummary(Result):
    """Size, cell types, activation and time constants of the analysed network."""

    source: str
    n: int
    n_e: int
    n_i: int
    synapses: int
    activation: Any
    tau_min: float
    tau_max: float
    success: bool = True
    status: str = "described"
    message: str = ""


def network_summary(net: Network, source: str = "<python>") -> NetworkSummary:
    """Describe ``net`` (``source`` says where it came from, e.g. a spec file).

    Examples
    --------
    >>> from eicircuits import Network
    >>> network_summary(Network(W=[[0.5, -1.0], [1.0, -0.5]], cell_types="EI")).synapses
    4
    """
    act = net.uniform_activation
    nnz = int(net.W.nnz) if net.is_sparse else int(np.count_nonzero(net.W))
    return NetworkSummary(
        source, net.n, len(net.e_idx), len(net.i_idx), nnz,
        act.to_spec() if act is not None else "per-neuron",
        float(np.min(net.tau)), float(np.max(net.tau)))


@dataclasses.dataclass(frozen=True)
class ContrastSummary(Result):
    """What the circuit computes at its equilibrium: contrast per layer and the winner.

    Attributes
    ----------
    input_contrast : float or None
        Contrast of the first layer's E inputs (``None`` without cell types, when undefined, or
        for a flat network: see ``layered``).
    contrast : list of float or None
        Contrast ``(max − min)/(max + min)`` of each layer's E rates (``None``: all silent).
    active : list of int
        Active E neurons per layer.
    layer_neurons : list of list of int
        The E neurons of each layer (indices).
    contrast_gain : float or None
        Output contrast over input contrast (``None`` for a flat network).
    winner : str or None
        The single active E neuron of the last layer, if there is one.
    wilson_cowan : dict or None
        For a ReLU E–I pair: regime, paradoxical response ``∂r_I*/∂u_I`` and Hopf ratio.
    layered : bool
        Whether the E neurons are channels of a layered circuit: a column (names
        ``L{ℓ}.E{i}``), or one layer in which the E neurons excite only themselves and compete
        through inhibition (:func:`~eicircuits.circuits.lateral_inhibition`). A flat network
        (e.g. :func:`~eicircuits.circuits.random_ei`) has no input → output contrast: only the
        contrast across its E neurons is reported.
    """

    input_contrast: float | None
    contrast: list[float | None]
    active: list[int]
    layer_neurons: list[list[int]]
    contrast_gain: float | None
    winner: str | None
    wilson_cowan: dict[str, Any] | None = None
    layered: bool = False
    evaluated: bool = True
    status: str = "evaluated"
    message: str = ""

    @property
    def success(self) -> bool:
        return self.evaluated

    @property
    def layers(self) -> int:
        """Number of layers (1 for a circuit that is not a column)."""
        return len(self.layer_neurons)


def contrast_summary(net: Network, x: Any) -> ContrastSummary:
    """Contrast per layer, active E neurons and the single winner at the state ``x``.

    Examples
    --------
    >>> from eicircuits.circuits import cortical_column
    >>> net = cortical_column(2, 2, f=1.0, u=[1.0, 1.1])
    >>> s = contrast_summary(net, [1.0, 1.2, 0.1, 0.9, 1.5, 0.2])
    >>> [round(c, 6) for c in s.contrast], s.winner, s.layers, s.layered
    ([0.090909, 0.25], None, 2, True)
    """
    from .circuits import contrast, layer_groups, winner
    from .circuits.analysis import wilson_cowan_summary

    arr = np.asarray(x, dtype=float)
    groups = [np.asarray(g, dtype=np.intp) for g in layer_groups(net)]
    layered = is_layered(net)
    if not np.all(np.isfinite(arr)):
        return ContrastSummary(None, [], [], [g.tolist() for g in groups], None, None,
                               layered=layered, evaluated=False, status="not_evaluated",
                               message="no equilibrium was found, so nothing was measured")

    def safe_contrast(y: Any) -> float | None:
        try:
            return float(contrast(y))
        except ValidationError:
            return None

    c_in = (safe_contrast(net.u[groups[0]]) if net.cell_types is not None and layered
            else None)
    values, active = [], []
    for idx in groups:
        y = arr[idx]
        values.append(safe_contrast(y))
        scale = max(1.0, float(np.max(np.abs(y)))) if y.size else 1.0
        active.append(int(np.sum(y > 1e-9 * scale)))
    w = winner(arr, net)
    gain = values[-1] / c_in if c_in and values and values[-1] is not None else None
    return ContrastSummary(c_in, values, active, [g.tolist() for g in groups], gain,
                           None if w is None else net.names[w], wilson_cowan_summary(net),
                           layered=layered)


def is_layered(net: Network) -> bool:
    """Whether ``net``'s E neurons are channels of a layered circuit (see
    :class:`ContrastSummary`): a column, by its names ``L{ℓ}.E{i}``, or one layer of at least two
    E neurons with cell types and no E → E synapse between different E neurons (they interact
    only through inhibition, as in :func:`~eicircuits.circuits.lateral_inhibition`).

    Examples
    --------
    >>> from eicircuits.circuits import lateral_inhibition, random_ei
    >>> is_layered(lateral_inhibition(3, a=0.2, b=1.0, c=0.5, d=0.0))
    True
    >>> is_layered(random_ei(50, rng=0))
    False
    """
    import scipy.sparse as sp

    from .circuits.column import _NAME

    if net.n and all(_NAME.match(name) for name in net.names):
        return True
    e = net.e_idx
    if net.cell_types is None or e.size < 2:
        return False
    W = net.W
    block = W[e][:, e] if net.is_sparse else np.asarray(W)[np.ix_(e, e)]
    block = sp.coo_array(block)
    return not bool(np.any((block.row != block.col) & (block.data != 0)))


@dataclasses.dataclass(frozen=True)
class TrajectorySummary(Result):
    """The run from rest that checks the equilibrium independently.

    ``distance_to_equilibrium`` is ``max |x(t_end) − x*|``; ``success`` means the run became
    steady (``‖ẋ‖∞ < steady_tol``) at the equilibrium. The full run is ``trajectory`` (left out
    of :meth:`to_dict`; the NetCDF file holds it).
    """

    status: str
    message: str
    t_end: float
    distance_to_equilibrium: float
    steady_tol: float
    trajectory: Any = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def success(self) -> bool:
        return self.status == "steady"

    def _fields_for_dict(self) -> dict[str, Any]:
        out = super()._fields_for_dict()
        out.pop("trajectory", None)
        return out


@dataclasses.dataclass(frozen=True)
class Analysis(Result):
    """Everything :func:`analyze` found about one network.

    Attributes
    ----------
    network : Network
        The analysed network (left out of :meth:`to_dict`; see ``summary``).
    summary : NetworkSummary
    equilibrium : Equilibrium
        With local stability where the size allows it.
    certificate : Certificate or None
        The global stability certificate (or the reason there is none).
    verification : Verification or None
        The certificate re-verified independently.
    game : GameSummary or None
    contrast : ContrastSummary or None
    trajectory : TrajectorySummary or None
    response : Equilibrium or None
        When the solver's equilibrium is unstable and the run from rest settles elsewhere: the
        equilibrium reached from rest (solved exactly from the run's end). The game and the
        contrast are then evaluated there, and ``message`` says so.
    included : tuple of str
        The parts that were asked for.
    stats : dict
        Seconds per part.
    success, status, message
        ``success``: the equilibrium converged and every included part that can fail did not
        (a certificate that is refused is an answer, not a failure).
    """

    network: Network = dataclasses.field(repr=False)
    summary: NetworkSummary
    equilibrium: Any
    certificate: Any = None
    verification: Any = None
    game: Any = None
    contrast: ContrastSummary | None = None
    trajectory: TrajectorySummary | None = None
    response: Any = None
    included: tuple[str, ...] = PARTS
    stats: dict[str, Any] = dataclasses.field(default_factory=dict)
    success: bool = True
    status: str = "analysed"
    message: str = ""

    def _fields_for_dict(self) -> dict[str, Any]:
        eq = self.equilibrium
        out: dict[str, Any] = {"network": self.summary, "equilibrium": _equilibrium_dict(eq)}
        if self.certificate is not None:
            cert = self.certificate.to_dict()
            if self.network.n > 50:  # the weights are in the NetCDF file
                cert = {k: v for k, v in cert.items() if k not in ("weights", "refutation")}
            ver = self.verification
            cert["verification"] = None if ver is None else {
                "valid": bool(ver.valid), "exact": bool(ver.exact), "method": ver.method,
                "message": ver.message}
            out["stability"] = cert
        for key in ("game", "contrast", "trajectory"):
            part = getattr(self, key)
            if part is not None:
                out[key] = part.to_dict()
        if self.response is not None:
            out["response"] = _equilibrium_dict(self.response)
        out.update(included=list(self.included), stats=self.stats, success=self.success,
                   status=self.status, message=self.message)
        return out


def _equilibrium_dict(eq: Any) -> dict[str, Any]:
    """The equilibrium's fields for JSON (works with or without ``Equilibrium.to_dict``)."""
    keys = ("x", "residual", "active", "converged", "iterations", "method", "message",
            "stable", "eigenvalues")
    out = {k: getattr(eq, k) for k in keys if hasattr(eq, k)}
    eig = out.pop("eigenvalues", None)
    if eig is not None and len(eig):
        lead = complex(np.asarray(eig)[0])
        out["leading_eigenvalue"] = [lead.real, lead.imag]
    out["n_active"] = int(np.asarray(eq.active).size)
    return jsonable(out)


def _with_stability(eq: Any, net: Network) -> Any:
    """``eq`` with its local stability, or unchanged when the size does not allow it."""
    try:
        return eq.with_stability(net)
    except SizeLimitError:
        return eq


def _check_include(include: Iterable[str] | str) -> tuple[str, ...]:
    items = (include,) if isinstance(include, str) else tuple(include)
    bad = [p for p in items if p not in PARTS]
    if bad or not all(isinstance(p, str) for p in items):
        raise ValidationError(f"include: expected names from {list(PARTS)}, got {list(items)!r}")
    return tuple(p for p in PARTS if p in items or p == "equilibrium")


def analyze(net: Network, *, include: Iterable[str] | str = PARTS, source: str = "<python>",
            t_end: float | None = None, steady_tol: float = 1e-9, tol: float = 1e-9,
            time_limit: float = 30.0,
            progress: Callable[[str], AbstractContextManager[Any]] | None = None) -> Analysis:
    """Analyse a circuit: equilibrium, stability certificate, game, contrast, trajectory.

    Parameters
    ----------
    net : Network
    include : iterable of str
        Parts to compute, from :data:`PARTS` (default: all). The equilibrium is always computed.
    source : str
        Where the network came from (a spec file, …), recorded in the summary.
    t_end : float, optional
        Longest run from rest (default ``500 × max τ``); it stops once ``‖ẋ‖∞ < steady_tol``.
    steady_tol : float
        Steady-state threshold of the run from rest.
    tol : float
        Regret tolerance per neuron for the game's Nash verdict.
    time_limit : float
        Seconds allowed to the certificate search.
    progress : callable, optional
        ``progress(label)`` returns a context manager entered around each part (the command
        line shows progress with it).

    Returns
    -------
    Analysis

    Raises
    ------
    ValidationError
        ``net`` is not a :class:`~eicircuits.Network`, or unknown names in ``include``.

    Examples
    --------
    >>> from eicircuits import Network, analyze
    >>> net = Network(W=[[0.5, -1.0], [1.0, -0.5]], u=[1.0, 0.0], cell_types="EI")
    >>> res = analyze(net, include=("game",))
    >>> res.equilibrium.x.round(6).tolist(), res.game.is_nash, res.certificate is None
    ([0.857143, 0.571429], True, True)
    """
    from .fixed_points import equilibrium

    if not isinstance(net, Network):
        raise ValidationError(f"net: expected an eicircuits.Network, got {type(net).__name__}")
    parts = _check_include(include)
    stage = progress or (lambda _label: contextlib.nullcontext())
    stats: dict[str, Any] = {}

    def timed(label: str) -> Any:
        @contextlib.contextmanager
        def cm() -> Any:
            t0 = time.perf_counter()
            with stage(label):
                yield
            stats[f"{label.replace(' ', '_')}_seconds"] = time.perf_counter() - t0
        return cm()

    with timed("equilibrium"):
        eq = _with_stability(equilibrium(net), net)
    found = bool(eq.converged) and bool(np.all(np.isfinite(eq.x)))
    # the parts that evaluate the equilibrium see NaN rates when none was found
    x_eq = np.asarray(eq.x, dtype=float) if found else np.full(net.n, np.nan)
    cert = ver = game = contrast = traj = None
    if "stability" in parts:
        from .stability import certify

        with timed("stability certificate"):
            cert = certify(net, time_limit=time_limit)
            ver = cert.verify()
    if "trajectory" in parts:
        with timed("trajectory"):
            traj = _run_from_rest(net, x_eq, t_end, steady_tol)
    response = None
    if (found and eq.stable is False and traj is not None and traj.success
            and traj.distance_to_equilibrium > 1e-6):
        # A multistable circuit: the solver's equilibrium is unstable, and the circuit settles
        # elsewhere from rest. "The" response is where it settles: solve exactly from there.
        with timed("response from rest"):
            reached = equilibrium(net, x0=np.asarray(traj.trajectory.x[-1], dtype=float))
            if reached.converged:
                response = _with_stability(reached, net)
                x_eq = np.asarray(response.x, dtype=float)
    if "game" in parts:
        from .games import game_summary

        with timed("game"):
            game = game_summary(net, x_eq, tol=tol)
    if "contrast" in parts:
        with timed("contrast"):
            contrast = contrast_summary(net, x_eq)
    problems = []
    if not eq.converged:
        problems.append(f"the equilibrium solver did not converge ({eq.message})")
    if ver is not None and not ver.valid:
        problems.append(f"the certificate did not verify ({ver.message})")
    notes = []
    if traj is not None and found and not traj.success:
        if eq.stable is False:  # a finding about the circuit, not a failure of the analysis
            how = "diverged" if traj.status == "diverged" else "had not settled"
            notes.append(f"the circuit does not settle from rest: its equilibrium is unstable "
                         f"and the run {how} by t = {traj.t_end:g} (oscillation or runaway; "
                         "see the trajectory)")
        else:
            problems.append(f"the run from rest did not settle ({traj.message}); a longer "
                            "t_end (--t-end on the command line) may let it")
    if response is not None:
        notes.append("the equilibrium the solver found is unstable; the run from rest settles in "
                     "another one (the response), where the game and the contrast are evaluated")
    elif traj is not None and found and traj.success and traj.distance_to_equilibrium > 1e-6:
        notes.append(f"the run from rest settled {traj.distance_to_equilibrium:.2e} away from "
                     "the equilibrium reported here: the circuit has another attractor")
    return Analysis(net, network_summary(net, source), eq, cert, ver, game, contrast, traj,
                    response, parts, stats, success=not problems,
                    status="analysed" if not problems else "incomplete",
                    message="; ".join(problems + notes) or "every part completed")


def _run_from_rest(net: Network, x_eq: Any, t_end: float | None,
                   steady_tol: float) -> TrajectorySummary:
    from .dynamics import simulate

    t1 = float(t_end) if t_end is not None else 500.0 * float(np.max(net.tau))
    if not (np.isfinite(t1) and t1 > 0):
        raise ValidationError(f"t_end: expected a finite number > 0, got {t_end!r}")
    # Tight tolerances: the adaptive solver resolves ‖ẋ‖∞ only to about rtol·|x|/τ.
    tr = simulate(net, np.zeros(net.n), (0.0, t1), t_eval=np.linspace(0.0, t1, 2001),
                  until_steady=steady_tol, rtol=1e-10, atol=1e-12)
    dist = float(np.max(np.abs(tr.x[-1] - x_eq))) if np.all(np.isfinite(x_eq)) else float("nan")
    return TrajectorySummary(str(tr.status), tr.message, float(tr.t[-1]), dist, steady_tol, tr)
