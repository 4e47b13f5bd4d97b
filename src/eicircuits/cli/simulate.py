"""``eicircuits simulate SPEC``: integrate a circuit and write the trajectory as NetCDF.

Prints a short summary (status, method, time span, final rates) and writes
``simulate.nc`` (``Trajectory.to_xarray()``: dims ``time``, ``neuron``; coordinates neuron
names, cell types and time constants; the status and method as attributes) into ``--out``.
Exit status 0 when the run succeeded or reached a steady state, 1 when it diverged, failed or
hit ``--max-steps`` (the partial trajectory is still written), 2 on bad input.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np

from ..errors import ValidationError
from ._common import add_spec_argument, load_network, out_dir, stage, write_json

__all__ = ["register"]


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "simulate",
        help="simulate a circuit and write the trajectory (NetCDF)",
        description="Simulate the circuit of SPEC from t = 0 to --t-end and write "
        "simulate.nc (xarray/NetCDF) and simulate.json (status, settings) into --out.",
    )
    add_spec_argument(p, optional=False)
    p.add_argument("--t-end", type=float, default=None,
                   help="end time, in the unit of tau (default: 30 × the largest tau)")
    p.add_argument("--dt", type=float, default=None,
                   help="fixed step; selects the fast fixed-step path (default: adaptive RK45)")
    p.add_argument("--method", default="auto",
                   help="'auto', RK45, DOP853, LSODA, BDF, Radau, RK23, euler, exp-euler, heun, "
                   "midpoint or rk4 (default: %(default)s)")
    p.add_argument("--form", default="rate", choices=("rate", "voltage"),
                   help="rate or voltage form (default: %(default)s)")
    p.add_argument("--x0", type=float, nargs="+", default=None, metavar="X",
                   help="initial state: one value for every neuron or n values (default: 0)")
    p.add_argument("--until-steady", type=float, default=None, metavar="TOL",
                   help="stop when ‖ẋ‖∞ < TOL")
    p.add_argument("--save-every", type=int, default=None, metavar="K",
                   help="fixed-step: save every K-th step")
    p.add_argument("--max-steps", type=int, default=None, help="most time steps to take")
    p.add_argument("--backend", default="auto", choices=("auto", "numpy", "numba"),
                   help="fixed-step engine (default: %(default)s)")
    p.add_argument("--checkpoint", default=None, metavar="FILE",
                   help="fixed-step: write a checkpoint (.npz) every minute and at the end")
    p.add_argument("--resume", action="store_true",
                   help="fixed-step: continue from --checkpoint if it exists")
    p.add_argument("--out", default="eicircuits-out", help="output folder (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=_run)
    return p


def _x0(values: list[float] | None, n: int) -> np.ndarray:
    if values is None:
        return np.zeros(n)
    if len(values) == 1:
        return np.full(n, values[0])
    if len(values) != n:
        raise ValidationError(f"--x0: expected 1 or {n} values (one per neuron), got {len(values)}")
    return np.array(values, dtype=float)


def _run(args: argparse.Namespace) -> int:
    from ..dynamics import simulate

    net, label = load_network(args)
    t_end = args.t_end if args.t_end is not None else 30.0 * float(np.max(net.tau))
    kwargs: dict[str, Any] = {
        "method": args.method,
        "dt": args.dt,
        "form": args.form,
        "until_steady": args.until_steady,
        "save_every": args.save_every,
    }
    if args.dt is not None:
        kwargs["backend"] = args.backend
    if args.checkpoint is not None:
        kwargs["checkpoint"] = args.checkpoint
        kwargs["resume"] = bool(args.resume)
    elif args.resume:
        raise ValidationError("--resume: needs --checkpoint FILE")
    if args.max_steps is not None:
        kwargs["max_steps"] = args.max_steps
    with stage(f"simulating {label} to t = {t_end:g}", quiet=args.quiet):
        traj = simulate(net, _x0(args.x0, net.n), (0.0, t_end), **kwargs)
    folder = out_dir(args.out, "eicircuits-out")
    nc_path = folder / "simulate.nc"
    traj.to_xarray().to_netcdf(nc_path)
    write_json(folder / "simulate.json", {
        "source": label,
        "status": traj.status,
        "message": traj.message,
        "method": traj.method,
        "form": traj.form,
        "dt": traj.dt,
        "t_end": t_end,
        "steps": traj.steps,
        "nfev": traj.nfev,
        "saved_points": len(traj.t),
        "final": traj.final,
    })
    print(f"eicircuits simulate: {label} ({net.n} neurons)")
    print(traj.summary())
    print(f"wrote {nc_path} and {folder / 'simulate.json'}")
    if not traj.success:
        print(f"eicircuits simulate: {traj.status}: {traj.message}", file=sys.stderr)
        return 1
    return 0
