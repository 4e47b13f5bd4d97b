"""The game section of the command-line reports (``eicircuits game`` and ``analyze``)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._report import Section
from ..network import Network
from ._game import NeuronGame, check_state

__all__ = ["report_section", "neuron_table"]

#: Rows printed in the text table (the data always holds every neuron).
MAX_ROWS = 60


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


def report_section(net: Network, x: ArrayLike, *, tol: float = 1e-9) -> Section:
    """The game at state ``x`` (normally an equilibrium), as a report section.

    Lists every neuron's type, rate, energy, best response and regret; the Nash gap and verdict;
    whether a (weighted) potential exists and why; and the zero-sum share of the game.

    Examples
    --------
    >>> from eicircuits import Network
    >>> from eicircuits.games import report_section
    >>> net = Network(W=[[0.5, -1.0], [1.0, -0.5]], u=[1.0, 0.0], cell_types="EI")
    >>> sec = report_section(net, [6 / 7, 4 / 7])     # the equilibrium
    >>> sec.title, sec.data["is_nash"]
    ('The game', True)
    """
    gm = NeuronGame(net)
    arr = np.asarray(x, dtype=float)
    if arr.shape == (net.n,) and not np.all(np.isfinite(arr)):
        return Section("The game", "The state has non-finite rates (no equilibrium was found), "
                       "so the game was not evaluated.", {"evaluated": False})
    x = check_state(x, net.n)
    rows = neuron_table(net, x)
    gap = gm.nash_gap(x)
    nash = gm.is_nash(x, tol=tol)
    pot = gm.potential()
    dec = gm.decomposition() if net.n <= 2000 else None

    def fmt(v: float | str) -> str:
        return v if isinstance(v, str) else f"{v:.6g}"

    head = (f"{'neuron':>10} {'type':>4} {'rate':>12} {'energy':>12} {'best resp.':>12} "
            f"{'regret':>10}")
    lines = [head, "-" * len(head)]
    for row in rows[:MAX_ROWS]:
        lines.append(
            f"{row['neuron'][:10]:>10} {row['type']:>4} {fmt(row['rate']):>12} "
            f"{fmt(row['energy']):>12} {fmt(row['best_response']):>12} {fmt(row['regret']):>10}"
        )
    if net.n > MAX_ROWS:
        lines.append(f"… {net.n - MAX_ROWS} more neurons (all are in the JSON output)")
    concave = gm.concave_players
    verdict = "a Nash equilibrium" if nash else "NOT a Nash equilibrium"
    lines.append("")
    lines.append(f"Nash gap (sum of regrets): {fmt(_num(gap))} -> this state is {verdict} "
                 f"(tolerance {tol:g} per neuron).")
    if concave.size:
        names = ", ".join(net.names[k] for k in concave[:10])
        more = " …" if concave.size > 10 else ""
        lines.append(f"Concave players (W_ii > 1, energy concave in their own rate): "
                     f"{names}{more}; an equilibrium is only a stationary point for them.")
    label = {"exact": "an exact potential", "weighted": "a weighted potential"}
    lines.append(f"Potential: {'yes, ' + label[pot.kind] if pot.exists and pot.kind else 'none'}"
                 f" -- {pot.reason}.")
    data: dict[str, Any] = {
        "evaluated": True,
        "neurons": rows,
        "nash_gap": _num(gap),
        "is_nash": nash,
        "tolerance": tol,
        "concave_players": [net.names[k] for k in concave],
        "potential": {
            "exists": pot.exists,
            "kind": pot.kind,
            "weights": None if pot.weights is None else pot.weights.tolist(),
            "reason": pot.reason,
            "n_components": pot.n_components,
            "value": _num(pot.value(x)) if pot.exists else None,
        },
    }
    if dec is not None:
        lines.append(f"Zero-sum share ‖skew‖/‖P(I − W)‖ = {dec.skew_fraction:.3g}; "
                     f"saddle function: {dec.reason}.")
        data["decomposition"] = {
            "weights": dec.weights.tolist(),
            "skew_fraction": dec.skew_fraction,
            "saddle_exact": dec.saddle_exact,
            "check_residual": dec.check_residual,
            "convex_concave": dec.convex_concave,
            "reason": dec.reason,
        }
    return Section("The game", "\n".join(lines), data)
