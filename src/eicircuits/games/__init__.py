"""The game behind a firing-rate network (docs/theory.md §2).

Each neuron is a player that picks its own rate to minimise its own energy
``E_i(x_i; x_−i) = ½(1 − W_ii)x_i² − x_i(Σ_{j≠i} W_ij x_j + u_i) + g_i(x_i)``; the network's
equilibria are the game's stationary points, and its Nash equilibria when every ``W_ii ≤ 1``.

game, NeuronGame     -- energies, pseudo-gradient, best responses, regret, Nash gap
PotentialResult      -- exact / weighted potential (``NeuronGame.potential()``)
decomposition, Decomposition -- symmetric and skew parts of ``P(I − W)``, saddle function
best_response_flow, best_response_rounds -- best-response dynamics (continuous; Jacobi,
                        Gauss–Seidel)
game_summary, GameSummary -- the game at one state (regrets, Nash verdict, potential,
                        zero-sum share), as used by ``eicircuits analyze``
report_section       -- the same as a titled text section (earlier interface)
plots                -- figures (imported on demand: ``eicircuits.games.plots``)

Examples
--------
>>> import numpy as np
>>> from eicircuits import Network
>>> from eicircuits.games import game
>>> gm = game(Network(W=[[0.0, 0.5], [0.5, 0.0]], u=[1.0, 1.0]))
>>> gm.potential().kind
'exact'
"""

from __future__ import annotations

from ._decomposition import Decomposition, decomposition
from ._dynamics import (
    BestResponsePath,
    BestResponseRounds,
    best_response_flow,
    best_response_rounds,
)
from ._game import NeuronGame, game
from ._potential import PotentialResult, find_potential
from ._report import GameSummary, game_summary, report_section

__all__ = [
    "game",
    "NeuronGame",
    "PotentialResult",
    "find_potential",
    "decomposition",
    "Decomposition",
    "best_response_flow",
    "best_response_rounds",
    "BestResponsePath",
    "BestResponseRounds",
    "report_section",
    "game_summary",
    "GameSummary",
]
