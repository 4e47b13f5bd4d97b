"""Contrast compounding in a cortical column: how deep until a single winner.

The default column (5 channels, inputs 1 % apart) and two-channel columns, whose winner appears
at depth ceil(log(1/C0)/log(1 + 2r)), measured and predicted; every layer LDS-certified.

Run ``python examples/column_contrast_depth.py [--quick] [--out DIR]``;
writes ``column_contrast_depth.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eicircuits.reproduce.figures import column_contrast_depth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="coarser grids, fewer simulations")
    parser.add_argument("--out", default=".", help="folder for the figure (default: here)")
    args = parser.parse_args()
    fig, numbers = column_contrast_depth(quick=args.quick)
    path = Path(args.out) / "column_contrast_depth.png"
    fig.savefig(path, dpi=120)
    d = numbers["default_column"]
    print(f"default column: contrast per layer {d['layer_contrasts']}, winner {d['winner']}")
    t = numbers["two_channel"]
    for diff, p, m in zip(t["difference"], t["predicted_depth"], t["measured_depth"],
                          strict=True):
        print(f"difference {diff:7.2%}: predicted depth {p}, measured {m}")
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
