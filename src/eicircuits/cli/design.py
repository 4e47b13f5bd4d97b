"""``eicircuits design SPEC --out DIR``: design a certified circuit from a TOML list of targets.

The design file::

    [design]
    cell_types = "EEI"                 # Dale's law, one letter per neuron
    activation = "relu"                # or { name = "clipped_relu", r_max = 1.0 }
    margin = 1e-3                      # optional: LMI margin, silence_margin, max_weight,
    max_weight = 5.0                   #   max_self, objective, solver, tau, names
    mask = [[true, true, true], ...]   # optional (n × n), false forbids a synapse

    [[target]]                         # for input u the network must rest at x
    u = [1.0, 0.5, 0.0]
    x = [0.8, 0.0, 0.3]

writes ``DIR/network.toml`` (a ``[network]`` specification that every other subcommand reads),
``DIR/certificate.json`` (so ``eicircuits verify DIR/certificate.json DIR/network.toml``
re-checks it independently) and ``DIR/design.json``. Exit status 0 when a certified design
reproduces every target, 1 when not (the message says why).
"""

from __future__ import annotations

import argparse
import math
import sys
import tomllib
from pathlib import Path
from typing import Any

__all__ = ["register", "network_toml"]

_DESIGN_KEYS = {"cell_types", "activation", "margin", "silence_margin", "max_weight", "max_self",
                "objective", "solver", "tau", "names", "mask", "tol"}


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``design`` subcommand."""
    p = subparsers.add_parser(
        "design",
        help="design Dale-signed weights with prescribed equilibria, certified stable",
        description="Design a circuit from target equilibria (docs/theory.md §6): one semidefinite "
                    "program; writes the network spec and its certificate. Exit status 0 "
                    "when feasible, 1 when not.",
    )
    p.add_argument("spec", help="design file (TOML) with [design] and [[target]] tables")
    p.add_argument("--out", metavar="DIR", default="design-out", help="output folder")
    p.add_argument("--solver", default=None, help="cvxpy SDP solver (CLARABEL, CVXOPT, SCS)")
    from ._common import add_force_argument

    add_force_argument(p)
    p.set_defaults(func=_design)
    return p


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        f = float(v)
        if not math.isfinite(f):
            raise ValueError(f"cannot write non-finite number {f} to TOML")
        return repr(f)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_fmt(x)}" for k, x in v.items()) + " }"
    if isinstance(v, (list, tuple)):
        if v and isinstance(v[0], (list, tuple)):
            return "[\n" + ",\n".join("  " + _fmt(r) for r in v) + ",\n]"
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def network_toml(net: Any, header: str = "") -> str:
    """A ``[network]`` specification of ``net`` whose weights read back bit for bit."""
    from ..design._result import network_dict

    d = network_dict(net)
    lines = [f"# {line}" for line in header.splitlines()] + ["[network]"]
    for key in ("cell_types", "activation", "tau", "names", "u", "W"):
        if key in d:
            lines.append(f"{key} = {_fmt(d[key])}")
    return "\n".join(lines) + "\n"


def _read(path: str) -> tuple[list[tuple[Any, Any]], dict[str, Any]]:
    from ..activations import activation_from_spec
    from ..errors import SpecError

    p = Path(path)
    if not p.is_file():
        raise SpecError(f"{path}: design file not found")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from exc
    table = data.get("design")
    if not isinstance(table, dict):
        raise SpecError(f"{path}: missing [design] table (with at least cell_types)")
    unknown = set(table) - _DESIGN_KEYS
    if unknown:
        raise SpecError(f"{path}: [design]: unknown keys {sorted(unknown)}; expected some of "
                        f"{sorted(_DESIGN_KEYS)}")
    targets = data.get("target")
    if not isinstance(targets, list) or not targets:
        raise SpecError(f"{path}: expected at least one [[target]] table with u and x")
    pairs = []
    for k, t in enumerate(targets):
        if not isinstance(t, dict) or set(t) != {"u", "x"}:
            raise SpecError(f"{path}: [[target]] {k}: expected exactly the keys u and x, got "
                            f"{sorted(t) if isinstance(t, dict) else t!r}")
        pairs.append((t["u"], t["x"]))
    kw = dict(table)
    if "activation" in kw:
        try:
            kw["activation"] = activation_from_spec(kw["activation"])
        except Exception as exc:  # a SpecError naming the key, whatever the parser raised
            raise SpecError(f"{path}: [design].activation: {exc}") from exc
    return pairs, kw


def _design(args: argparse.Namespace) -> int:
    from ..design import synthesize
    from ._common import out_dir, write_json

    pairs, kw = _read(args.spec)
    if args.solver:
        kw["solver"] = args.solver
    out = out_dir(args.out, "design-out", ("design.json", "network.toml", "certificate.json"),
                  args)
    d = synthesize(pairs, **kw)
    write_json(out / "design.json", d.to_dict())
    print(f"{'FEASIBLE' if d.feasible else 'NOT FEASIBLE'} ({d.status}): {d.message}")
    if d.network is not None:
        (out / "network.toml").write_text(
            network_toml(d.network, f"designed by `eicircuits design {args.spec}`\n"
                                    f"largest target error {d.residual:.3g}"), encoding="utf-8")
        d.certificate.save(out / "certificate.json")
        print(f"network written to {out / 'network.toml'}; certificate to "
              f"{out / 'certificate.json'} (check: eicircuits verify "
              f"{out / 'certificate.json'} {out / 'network.toml'})", file=sys.stderr)
    return 0 if d.feasible else 1
