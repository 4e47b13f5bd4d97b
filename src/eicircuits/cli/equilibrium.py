"""``eicircuits equilibrium SPEC``: one equilibrium exactly, or every equilibrium (``--all``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from ._common import add_spec_argument, load_network, write_json

__all__ = ["register"]


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "equilibrium",
        help="find the equilibrium of a circuit (or all of them with --all)",
        description="Solve x = Φ(Wx + u) exactly (LCP for ReLU, box LCP for clipped ReLU, "
        "globalised Newton for smooth activations).",
    )
    add_spec_argument(p, optional=False)
    p.add_argument("--method", default="auto", help="solver (default: %(default)s)")
    p.add_argument("--all", action="store_true",
                   help="every equilibrium by support enumeration (small networks), "
                   "with local stability")
    p.add_argument("--out", default=None, help="write the result(s) as JSON to this file")
    p.set_defaults(func=_run)
    return p


def _record(eq: Any) -> dict[str, Any]:
    return {
        "x": np.asarray(eq.x).tolist(),
        "residual": float(eq.residual),
        "active": np.asarray(eq.active).tolist(),
        "converged": bool(eq.converged),
        "method": eq.method,
        "iterations": int(eq.iterations),
        "message": eq.message,
        "stable": None if eq.stable is None else bool(eq.stable),
        "eigenvalues": None if eq.eigenvalues is None else
        [[float(z.real), float(z.imag)] for z in np.asarray(eq.eigenvalues)],
    }


def _describe(net: Any, eq: Any) -> str:
    head = f"{eq.method}: residual {eq.residual:.3e}, {len(eq.active)} active"
    if eq.stable is not None:
        head += ", locally " + ("stable" if eq.stable else "unstable")
    if not eq.converged:
        head += f" — NOT CONVERGED: {eq.message}"
    rates = ", ".join(f"{name}={x:.6g}" for name, x in
                      zip(net.names[:20], eq.x[:20], strict=False))
    more = " …" if net.n > 20 else ""
    return f"{head}\n  {rates}{more}"


def _run(args: argparse.Namespace) -> int:
    from ..fixed_points import equilibria, equilibrium

    net, label = load_network(args)
    if args.all:
        found = equilibria(net)
        print(f"{label}: {len(found)} equilibri{'um' if len(found) == 1 else 'a'}")
        for k, eq in enumerate(found):
            print(f"[{k}] " + _describe(net, eq))
        data: Any = [_record(eq) for eq in found]
        status = 0
    else:
        eq = equilibrium(net, method=args.method)
        if net.n <= 2000:
            eq = eq.with_stability(net)
        print(f"{label}: " + _describe(net, eq))
        data = _record(eq)
        status = 0 if eq.converged else 1
    if args.out:
        write_json(Path(args.out), data)
        print(f"wrote {args.out}")
    return status
