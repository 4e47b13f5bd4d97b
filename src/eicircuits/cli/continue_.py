"""``eicircuits continue SPEC --param NAME=START:STOP [--direction …] --out DIR``.

Follows every branch of equilibria of the circuit as one parameter moves (exactly for ReLU
circuits along an input; by pseudo-arclength otherwise) and writes ``branches.nc`` (NetCDF),
``continuation.json`` and ``diagram.png`` (stable solid, unstable dashed, folds and Hopf
points marked) into ``DIR``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from ._common import add_force_argument, add_spec_argument, out_dir, stage, write_json

__all__ = ["register"]


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "continue",
        help="bifurcation diagram: follow the equilibria as one parameter moves",
        description="Continue the equilibria of a circuit in one parameter. NAME is a builder "
        "parameter of the spec (case-insensitive: u_E is u_e), u_<neuron> (that neuron's "
        "input), tau_<neuron>, or any label when --direction gives the input direction. ReLU "
        "circuits along an input are followed exactly (folds and borders); anything else by "
        "pseudo-arclength (folds, Hopf points).",
    )
    add_spec_argument(p, optional=False)
    p.add_argument("--param", required=True, metavar="NAME=START:STOP",
                   help="the parameter and its range, e.g. u_E=-2:2")
    p.add_argument("--direction", default=None, metavar="D1,D2,...",
                   help="input direction d: continue u + λ·d (comma-separated, one per neuron)")
    p.add_argument("--method", default="auto", choices=("auto", "piecewise-linear", "arclength"),
                   help="continuation method (default: %(default)s)")
    p.add_argument("--neuron", default=None,
                   help="neuron drawn on the diagram's y axis (name or index; default the first)")
    p.add_argument("--max-points", type=int, default=10_000,
                   help="most points per branch (default: %(default)s)")
    p.add_argument("--out", default="eicircuits-continue", metavar="DIR",
                   help="output folder (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    add_force_argument(p)
    p.set_defaults(func=_run)
    return p


def _direction(text: str | None) -> Any:
    from ..errors import ValidationError

    if text is None:
        return None
    try:
        return np.array([float(v) for v in text.split(",")])
    except ValueError:
        raise ValidationError(f"--direction: expected comma-separated numbers, got {text!r}"
                              ) from None


def _run(args: argparse.Namespace) -> int:
    from ..continuation import continuation, plot_diagram
    from ..continuation._family import family_from_spec, parse_param
    from ..spec import read_spec

    name, span = parse_param(args.param)
    spec = read_spec(args.spec)
    target, d, label = family_from_spec(spec, name, _direction(args.direction), span=span)
    folder = out_dir(args.out, "eicircuits-continue",
                     ("branches.nc", "continuation.json", "diagram.png"), args)
    with stage(f"continuing in {label} over [{span[0]:g}, {span[1]:g}]", quiet=args.quiet):
        res = continuation(target, direction=d, span=span, method=args.method,
                           parameter=label, max_points=args.max_points)
    if not res.branches:
        print(f"eicircuits continue: no equilibrium branch in [{span[0]:g}, {span[1]:g}]: "
              f"{res.message}", file=sys.stderr)
        return 1
    res.to_netcdf(folder / "branches.nc")
    write_json(folder / "continuation.json", res.to_dict())
    neuron: Any = args.neuron
    if neuron is not None and neuron.isdigit():
        neuron = int(neuron)
    fig, _ = plot_diagram(res, neuron=neuron)
    fig.savefig(folder / "diagram.png", dpi=130)
    print(res.summary())
    print(f"written: {folder / 'branches.nc'}, {folder / 'continuation.json'}, "
          f"{folder / 'diagram.png'}")
    return 0 if res.success else 1
