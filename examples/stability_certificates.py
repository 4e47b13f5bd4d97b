"""The stability certificate of every circuit of the reproduction.

certify(net, method='lds'): a diagonal Lyapunov certificate for W - I, or a proof that none
exists; each verdict is re-verified independently of the solver.

Run ``python examples/stability_certificates.py [--quick] [--out DIR]``;
writes ``stability_certificates.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eicircuits.reproduce.figures import stability_certificates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="coarser grids, fewer simulations")
    parser.add_argument("--out", default=".", help="folder for the figure (default: here)")
    args = parser.parse_args()
    fig, numbers = stability_certificates(quick=args.quick)
    path = Path(args.out) / "stability_certificates.png"
    fig.savefig(path, dpi=120)
    for name, c in numbers.items():
        print(f"{name:42s} certified={c['certified']!s:5s} kind={c['kind']} "
              f"margin={c['margin']}")
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
