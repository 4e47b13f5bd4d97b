"""The game at one state, as a result: :class:`GameSummary` and :func:`game_summary`.

:func:`eicircuits.analyze` and ``eicircuits game`` compute the summary here; the text, JSON and
Markdown renderings live in :mod:`eicircuits.report`. :func:`report_section` is kept for code
written against the earlier per-package report sections.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._result import Result
from ..network import Network
from ._game import NeuronGame, check_state

__all__ = ["GameSummary", "game_summary", "report_section", "neuron_table"]


def _num(v: float) -> float | str:
    """JSON-safe number: infinities become the strings ``"inf"`` / ``"-inf"``."""
    v = float(v)
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def neuron_table(net: Network, x: ArrayLike) -> list[dict[str, Any]]:
    """One row per neuron at state ``x``: name, type, rate, energy, best response, regret."""
    gm = NeuronGame(net)
    x = check_state(x, net.n)
    e = gm.energies(x)
    br, emin = gm._respond(x)
    r = gm.regret(x)
    types = net.cell_types or ("-",) * net.n
    return [
        {
            "neuron": net.names[k],
            "type": types[k],
            "rate": float(x[k]),
            "self_coupling": float(net.diag[k]),
            "energy": _num(e[k]),
            "best_response": _num(br[k]),
            "min_energy": _num(emin[k]),
            "regret": _num(r[k]),
        }
        for k in range(net.n)
    ]


@dataclasses.dataclass(frozen=True)
class GameSummary(Result):
    """The neurons' game at one state (normally an equilibrium).

    Attributes
    ----------
    evaluated : bool
        False when the state had non-finite rates (no equilibrium): nothing else is filled.
    neurons : list of dict
        One row per neuron: ``neuron``, ``type``, ``rate``, ``self_coupling``, ``energy``,
        ``best_response``, ``min_energy``, ``regret`` (``"inf"`` for an unbounded energy).
    nash_gap : float or str
        Sum of regrets.
    is_nash : bool
        Every regret ``≤ tolerance``.
    tolerance : float
        Regret tolerance per neuron.
    concave_players : list of str
        Neurons with ``W_ii > 1`` (energy concave in their own rate).
    potential : dict
        ``exists``, ``kind``, ``weights``, ``reason``, ``n_components``, ``value``.
    decomposition : dict or None
        Zero-sum share and saddle-function check of ``P(I − W)`` (``None`` above
        :data:`eicircuits._limits.DENSE_EIG_LIMIT` neurons).
    success, status, message
        ``success`` is ``evaluated``.
    """

    evaluated: bool
    neurons: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    nash_gap: float | str | None = None
    is_nash: bool | None = None
    tolerance: float = 1e-9
    concave_players: list[str] = dataclasses.field(default_factory=list)
    potential: dict[str, Any] | None = None
    decomposition: dict[str, Any] | None = None
    status: str = "evaluated"
    message: str = ""

    @property
    def success(self) -> bool:
        return self.evaluated


def game_summary(net: Network, x: ArrayLike, *, tol: float = 1e-9) -> GameSummary:
    """The game at state ``x``: every neuron's regret, the Nash verdict, potential, zero-sum share.

    Parameters
    ----------
    net : Network
    x : array_like, shape (n,)
        The state; non-finite rates (no equilibrium found) give ``evaluated=False``.
    tol : float
        Regret tolerance per neuron for the Nash verdict.

    Raises
    ------
    ValidationError
        ``x`` of the wrong shape.

    Examples
    --------
    >>> from eicircuits import Network
    >>> from eicircuits.games import game_summary
    >>> net = Network(W=[[0.5, -1.0], [1.0, -0.5]], u=[1.0, 0.0], cell_types="EI")
    >>> s = game_summary(net, [6 / 7, 4 / 7])     # the equilibrium
    >>> s.is_nash, s.potential["exists"]
    (True, False)
    """
    from .._limits import DENSE_EIG_LIMIT

    arr = np.asarray(x, dtype=float)
    if arr.shape == (net.n,) and not np.all(np.isfinite(arr)):
        return GameSummary(False, tolerance=tol, status="not_evaluated",
                           message="The state has non-finite rates (no equilibrium was found), "
                           "so the game was not evaluated.")
    gm = NeuronGame(net)
    x = check_state(x, net.n)
    rows = neuron_table(net, x)
    gap = gm.nash_gap(x)
    nash = bool(gm.is_nash(x, tol=tol))
    pot = gm.potential()
    dec = gm.decomposition() if net.n <= DENSE_EIG_LIMIT else None
    potential = {
        "exists": pot.exists,
        "kind": pot.kind,
        "weights": None if pot.weights is None else pot.weights.tolist(),
        "reason": pot.reason,
        "n_components": pot.n_components,
        "value": _num(pot.value(x)) if pot.exists else None,
    }
    decomposition = None if dec is None else {
        "weights": dec.weights.tolist(),
        "skew_fraction": float(dec.skew_fraction),
        "saddle_exact": bool(dec.saddle_exact),
        "check_residual": float(dec.check_residual),
        "convex_concave": dec.convex_concave,
        "reason": dec.reason,
    }
    verdict = "a Nash equilibrium" if nash else "not a Nash equilibrium"
    return GameSummary(True, rows, _num(gap), nash, tol,
                       [net.names[k] for k in gm.concave_players], potential, decomposition,
                       message=f"this state is {verdict} (tolerance {tol:g} per neuron)")


def report_section(net: Network, x: ArrayLike, *, tol: float = 1e-9) -> Any:
    """The game at state ``x`` as a titled text-and-data section (earlier report interface).

    Prefer :func:`game_summary` and :func:`eicircuits.report.game_text`.

    Examples
    --------
    >>> from eicircuits import Network
    >>> from eicircuits.games import report_section
    >>> net = Network(W=[[0.5, -1.0], [1.0, -0.5]], u=[1.0, 0.0], cell_types="EI")
    >>> sec = report_section(net, [6 / 7, 4 / 7])     # the equilibrium
    >>> sec.title, sec.data["is_nash"]
    ('The game', True)
    """
    from ..report import Section, game_text

    summary = game_summary(net, x, tol=tol)
    data = ({"evaluated": False} if not summary.evaluated else
            {k: v for k, v in dataclasses.asdict(summary).items()
             if k not in ("status", "message") and not (k == "decomposition" and v is None)})
    return Section("The game", game_text(summary, n=net.n), data)
