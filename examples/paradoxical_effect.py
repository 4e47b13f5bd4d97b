"""The paradoxical response of the I population (Tsodyks et al. 1997).

More input to I lowers its rate in the inhibition-stabilised regime: slope
(1 - w_EE)/((1 - w_EE)(1 + w_II) + w_EI w_IE), -1/7 for the worked example.

Run ``python examples/paradoxical_effect.py [--quick] [--out DIR]``;
writes ``paradoxical_effect.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eicircuits.reproduce.figures import paradoxical_effect


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="coarser grids, fewer simulations")
    parser.add_argument("--out", default=".", help="folder for the figure (default: here)")
    args = parser.parse_args()
    fig, numbers = paradoxical_effect(quick=args.quick)
    path = Path(args.out) / "paradoxical_effect.png"
    fig.savefig(path, dpi=120)
    for name in ("lds", "isn"):
        c = numbers[name]
        print(f"{name}: d r_I*/d u_I measured {c['slope_measured']:.6f}, "
              f"predicted {c['slope_predicted']:.6f}")
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
