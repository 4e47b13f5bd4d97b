"""Continuation of the worked inhibition-stabilised example (THEORY §5, §8).

W = [[2, -3], [3, -1]] with ReLU: along u_E (u_I = -4) the exact piecewise-linear branch folds
at u_E = -4/3 and 0 (three equilibria in between); along tau_I the equilibrium stays at
(1/14, 5/14) while a complex pair crosses the imaginary axis at tau_I/tau_E = 2; continued in
(w_EE, tau_I/tau_E) the Hopf point traces (1 + w_II)/(w_EE - 1).

Run ``python examples/continuation_wilson_cowan.py [--quick] [--out DIR]``;
writes ``continuation_wilson_cowan.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from eicircuits.reproduce.diagrams import continuation_wilson_cowan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="coarser grids, fewer checks")
    parser.add_argument("--out", default=".", help="folder for the figure (default: here)")
    args = parser.parse_args()
    fig, numbers = continuation_wilson_cowan(quick=args.quick)
    path = Path(args.out) / "continuation_wilson_cowan.png"
    fig.savefig(path, dpi=120)
    print(f"folds at u_E = {numbers['folds_measured']} (exact: -4/3, 0)")
    print(f"Hopf at tau_I/tau_E = {numbers['hopf_measured']:.12g} (closed form 2), "
          f"omega = {numbers['hopf_omega']:.6g}")
    print(f"Hopf curve: {numbers['hopf_curve_points']} points, max error "
          f"{numbers['hopf_curve_max_error']:.1e} against (1 + w_II)/(w_EE - 1)")
    print(f"figure: {path}")


if __name__ == "__main__":
    main()
