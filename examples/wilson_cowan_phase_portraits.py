"""Phase portraits of the worked ISN example W = [[2, -3], [3, -1]] (THEORY §5).

u = (1, 1/2) has one stable equilibrium (1/14, 5/14); u = (-1, -4) has three: (0, 0) stable,
(1, 0) a saddle and (10/7, 1/7) a stable focus. Nullclines, trajectories and equilibria.

Run ``python examples/wilson_cowan_phase_portraits.py [--quick] [--out DIR]``;
writes ``wilson_cowan_phase_portraits.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eicircuits.reproduce.figures import wilson_cowan_phase_portraits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="coarser grids, fewer simulations")
    parser.add_argument("--out", default=".", help="folder for the figure (default: here)")
    args = parser.parse_args()
    fig, numbers = wilson_cowan_phase_portraits(quick=args.quick)
    path = Path(args.out) / "wilson_cowan_phase_portraits.png"
    fig.savefig(path, dpi=120)
    for case in ("unique", "bistable"):
        for e in numbers[case]["equilibria"]:
            print(f"u = {numbers[case]['u']}: x* = {e['x']}, stable = {e['stable']}, "
                  f"Nash = {e['nash']}")
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
