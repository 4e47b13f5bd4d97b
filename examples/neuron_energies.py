"""Each neuron's own energy at the equilibrium: LDS circuit versus ISN.

In the ISN the E neuron (W_EE = 2 > 1) is a concave player: its energy is unbounded below and
its rate is a stationary point, not a best response.

Run ``python examples/neuron_energies.py [--quick] [--out DIR]``;
writes ``neuron_energies.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eicircuits.reproduce.figures import neuron_energies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="coarser grids, fewer simulations")
    parser.add_argument("--out", default=".", help="folder for the figure (default: here)")
    args = parser.parse_args()
    fig, numbers = neuron_energies(quick=args.quick)
    path = Path(args.out) / "neuron_energies.png"
    fig.savefig(path, dpi=120)
    for name in ("lds", "isn"):
        c = numbers[name]
        print(f"{name}: x* = {c['x']}, Nash = {c['nash']}, regrets = {c['regret']}")
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
