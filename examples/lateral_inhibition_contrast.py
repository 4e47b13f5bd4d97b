"""Lateral inhibition: contrast gain and the transition to winner-take-all.

Shared inhibition (m = 5, b = c = 2, d = 0.5, inputs 1.00 ... 1.08): gains 3.7, 6.3, 14.3 and 26
(two silenced) at a = 0, 0.5, 0.8, 0.95. Local inhibition: differential gain
1/(1 - a - bc/(1 + d)) and winner-take-all once a + bc/(1 + d) >= 1.

Run ``python examples/lateral_inhibition_contrast.py [--quick] [--out DIR]``;
writes ``lateral_inhibition_contrast.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eicircuits.reproduce.figures import lateral_inhibition_contrast


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="coarser grids, fewer simulations")
    parser.add_argument("--out", default=".", help="folder for the figure (default: here)")
    args = parser.parse_args()
    fig, numbers = lateral_inhibition_contrast(quick=args.quick)
    path = Path(args.out) / "lateral_inhibition_contrast.png"
    fig.savefig(path, dpi=120)
    for a, p in numbers["shared"]["theory_points"].items():
        print(f"a = {a}: contrast gain {p['measured']:.3f} (THEORY {p['theory']}), "
              f"{p['active']} active")
    loc = numbers["local"]
    print(f"single winner from a + bc/(1+d) = "
          f"{loc['first_single_winner_at_a_plus_bc_over_1_plus_d']}")
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
