"""Winner-take-all by local lateral inhibition, followed in the inhibition strength (THEORY §5).

Three E neurons with inputs (1, 1.1, 1.25), each with its own I neuron that inhibits the other
E neurons with weight c. As a + bc/(1 + d) crosses 1 the all-active state is gone and
single-winner states appear in fold pairs; every branch is checked against support enumeration.

Run ``python examples/continuation_winner_take_all.py [--quick] [--out DIR]``;
writes ``continuation_winner_take_all.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eicircuits.reproduce.diagrams import continuation_winner_take_all


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="coarser grids, fewer checks")
    parser.add_argument("--out", default=".", help="folder for the figure (default: here)")
    args = parser.parse_args()
    fig, numbers = continuation_winner_take_all(quick=args.quick)
    path = Path(args.out) / "continuation_winner_take_all.png"
    fig.savefig(path, dpi=120)
    print(f"threshold c* = {numbers['c_star']:.4g}; folds at c = {numbers['folds']}")
    print(f"{numbers['grid_counts_agree']}/{numbers['grid_points']} grid values: "
          "number of equilibria on the branches = support enumeration")
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
