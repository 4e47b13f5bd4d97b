"""Regime map of the ReLU Wilson–Cowan circuit over (w_EE, tau_I/tau_E).

Closed forms (eicircuits.circuits.wilson_cowan_regime), the LDS boundary w_EE = 1 and the Hopf
curve tau_I/tau_E = (1 + w_II)/(w_EE - 1); random points are confirmed by simulation.

Run ``python examples/wilson_cowan_regime_map.py [--quick] [--out DIR]``;
writes ``wilson_cowan_regime_map.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eicircuits.reproduce.figures import wilson_cowan_regime_map


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="coarser grids, fewer simulations")
    parser.add_argument("--out", default=".", help="folder for the figure (default: here)")
    args = parser.parse_args()
    fig, numbers = wilson_cowan_regime_map(quick=args.quick)
    path = Path(args.out) / "wilson_cowan_regime_map.png"
    fig.savefig(path, dpi=120)
    for name, frac in numbers["fractions"].items():
        print(f"{name:12s} {frac:6.1%}")
    print(f"{numbers['agreeing']}/{numbers['simulated_points']} points confirmed by simulation")
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
