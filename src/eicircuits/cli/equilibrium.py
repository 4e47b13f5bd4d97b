"""``eicircuits equilibrium [SPEC]``: one equilibrium exactly, or every equilibrium (``--all``)."""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from ._common import add_force_argument, add_spec_argument, check_out_file, load_network, write_json

__all__ = ["register"]


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "equilibrium",
        help="find the equilibrium of a circuit (or all of them with --all)",
        description="Solve x = Φ(Wx + u) exactly (LCP for ReLU, box LCP for clipped ReLU, "
        "globalised Newton for smooth activations).",
    )
    add_spec_argument(p, optional=True)
    p.add_argument("--method", default="auto", help="solver (default: %(default)s)")
    p.add_argument("--all", action="store_true",
                   help="every equilibrium by support enumeration (small networks), "
                   "with local stability")
    p.add_argument("--out", default=None,
                   help="write the result(s) as JSON to this file (every rate)")
    add_force_argument(p)
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
    """One summary line: method, residual, active count, E/I means, stability.

    The rates themselves go to ``--out`` (all of them), not to the terminal.
    """
    x = np.asarray(eq.x, dtype=float)
    n_active = int(np.asarray(eq.active).size)
    head = f"{eq.method}: residual {eq.residual:.3e}, {n_active} of {net.n} active"
    if net.cell_types is not None and n_active:
        is_e = np.isin(eq.active, net.e_idx)
        head += f" ({int(is_e.sum())} E, {int((~is_e).sum())} I)"
    if np.all(np.isfinite(x)):
        if net.cell_types is not None:
            means = [f"{kind} {float(np.mean(x[idx])):.4g}" for kind, idx in
                     (("E", net.e_idx), ("I", net.i_idx)) if idx.size]
            head += "; mean rate " + ", ".join(means)
        else:
            head += f"; mean rate {float(np.mean(x)):.4g}, max {float(np.max(x)):.4g}"
        if net.n <= 4:
            head += " [" + ", ".join(f"{nm}={v:.6g}" for nm, v in
                                     zip(net.names, x, strict=True)) + "]"
    if getattr(eq, "eigenvalues", None) is None and getattr(eq, "stable", None) is None:
        head += "; local stability not computed (too large for dense eigenvalues)"
    else:
        head += {True: "; locally stable", False: "; locally UNSTABLE",
                 None: "; local stability undecided"}[eq.stable]
    if not eq.converged:
        head += f" — NOT CONVERGED: {eq.message}"
    return head


def _run(args: argparse.Namespace) -> int:
    from ..errors import SizeLimitError, ValidationError
    from ..fixed_points import equilibria, equilibrium

    net, label = load_network(args)
    out = check_out_file(args.out, args) if args.out else None  # before any computation
    if args.all:
        try:
            found = equilibria(net)
        except SizeLimitError as exc:  # the library's advice (max_n=, equilibrium()) is Python
            raise SizeLimitError(
                f"--all: support enumeration on n = {net.n} neurons is too large (the work "
                "grows like 2ⁿ or 3ⁿ); drop --all to get one equilibrium, with its local "
                "stability"
            ) from exc
        except ValidationError as exc:  # not piecewise-linear: no enumeration at all
            raise ValidationError(
                "--all: support enumeration needs piecewise-linear activations (ReLU, "
                "ClippedReLU, Linear); this network has "
                f"{sorted({type(a).__name__ for a in net.activations})}; "
                "drop --all to get one equilibrium (Newton), or run `eicircuits simulate` "
                "from several --x0 to look for others"
            ) from exc
        print(f"{label}: {len(found)} equilibri{'um' if len(found) == 1 else 'a'}")
        for k, eq in enumerate(found):
            print(f"[{k}] " + _describe(net, eq))
        data: Any = [_record(eq) for eq in found]
        status = 0
    else:
        eq = equilibrium(net, method=args.method).with_stability()  # sparse above the limit
        print(f"{label}: " + _describe(net, eq))
        data = _record(eq)
        status = 0 if eq.converged else 1
    if out is not None:
        write_json(out, data)
        print(f"wrote {args.out} (every rate)")
    elif net.n > 4:
        print("(pass --out FILE for every rate)")
    return status
