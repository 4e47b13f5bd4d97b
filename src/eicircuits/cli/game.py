"""``eicircuits game [SPEC] [--out DIR]``: the neurons' game at the circuit's equilibrium.

Prints one row per neuron — type, rate, energy, best response, regret — the Nash gap, and
whether a (weighted) potential exists (and if not, the pair or cycle of neurons that forbids
one). With ``--out DIR`` also writes ``game.json`` and figures: ``energies.png`` (the own energy
of the first E and first I neuron, others frozen at the equilibrium) and, for two-neuron
circuits with a potential, ``potential.png``; for up to 500 neurons ``regret.png``, every
neuron's regret along the rate-form trajectory from rest (``x = 0``).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from ._common import add_force_argument, add_spec_argument, load_network, out_dir, stage, write_json

__all__ = ["register"]

#: Files ``--out`` may receive.
OUTPUT_FILES = ("game.json", "energies.png", "potential.png", "regret.png")

#: Largest network whose regret along a simulated trajectory is drawn (``regret.png``).
REGRET_MAX_N = 500


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "game",
        help="the neurons' game at the equilibrium: energies, best responses, regrets, potential",
        description="Each neuron minimises its own energy E_i(x_i; x_-i). At the circuit's "
        "equilibrium, print every neuron's type, rate, energy, best response and regret, the "
        "Nash gap, and whether the game has an exact or weighted potential.",
    )
    add_spec_argument(p, optional=True)
    p.add_argument("--out", default=None, metavar="DIR",
                   help="also write game.json and figures into this folder")
    p.add_argument("--tol", type=float, default=1e-9,
                   help="regret tolerance per neuron for the Nash verdict (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    add_force_argument(p)
    p.set_defaults(func=_run)
    return p


def _pick_neurons(net: Any) -> list[int]:
    if net.cell_types is None:
        return list(range(min(2, net.n)))
    picks = [int(ix[0]) for ix in (net.e_idx, net.i_idx) if ix.size]
    return picks


def _write_figures(net: Any, x: np.ndarray, folder: Any, pot_exists: bool) -> list[str]:
    from matplotlib.figure import Figure

    from ..dynamics import simulate
    from ..games.plots import plot_energy, plot_potential, plot_regret

    written = []
    picks = _pick_neurons(net)
    fig = Figure(figsize=(5.0 * len(picks), 3.6), layout="constrained")
    for k, i in enumerate(picks):
        plot_energy(net, i, x, ax=fig.add_subplot(1, len(picks), k + 1))
    fig.savefig(folder / "energies.png", dpi=110)
    written.append("energies.png")
    if net.n == 2 and pot_exists:
        hi = [a.value_range[1] for a in net.activations]
        top = [h if np.isfinite(h) else 2.0 * max(1.0, float(x[k])) for k, h in enumerate(hi)]
        starts = [[0.0, top[1]], [top[0], 0.0], [top[0], top[1]], [0.5 * top[0], 0.0]]
        plot_potential(net, starts=starts, t_max=20.0 * float(np.max(net.tau))).savefig(
            folder / "potential.png", dpi=110)
        written.append("potential.png")
    if net.n <= REGRET_MAX_N:
        t1 = 20.0 * float(np.max(net.tau))
        traj = simulate(net, np.zeros(net.n), (0.0, t1), t_eval=np.linspace(0.0, t1, 201))
        plot_regret(net, traj).savefig(folder / "regret.png", dpi=110)
        written.append("regret.png")
    return written


def _run(args: argparse.Namespace) -> int:
    from ..fixed_points import equilibrium
    from ..games import game_summary
    from ..report import game_text

    net, label = load_network(args)
    # checked before any computation: writable, and no earlier output overwritten silently
    folder = out_dir(args.out, "game", OUTPUT_FILES, args) if args.out else None
    with stage("equilibrium", quiet=args.quiet):
        eq = equilibrium(net)
    with stage("game", quiet=args.quiet):
        summary = game_summary(net, eq.x, tol=args.tol)
    head = f"{label}: {net.n} neurons, equilibrium by {eq.method} (residual {eq.residual:.3e})"
    if not eq.converged:
        head += f"\nWARNING: the equilibrium solver did not converge: {eq.message}"
    print(head)
    print(f"The game\n--------\n{game_text(summary, n=net.n)}\n")
    if folder is not None:
        data = {"source": label, "equilibrium": {"x": np.asarray(eq.x).tolist(),
                                                 "residual": float(eq.residual),
                                                 "converged": bool(eq.converged),
                                                 "method": eq.method},
                **summary.to_dict()}
        write_json(folder / "game.json", data)
        if summary.evaluated:
            with stage("figures", quiet=args.quiet):
                figs = _write_figures(net, np.asarray(eq.x), folder,
                                      bool(summary.potential["exists"]))
        else:
            figs = []
        print(f"wrote {folder / 'game.json'}"
              + "".join(f", {folder / f}" for f in figs))
    return 0 if eq.converged else 1
