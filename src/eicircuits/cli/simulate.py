"""``eicircuits simulate [SPEC]``: integrate a circuit and write the trajectory as NetCDF.

Prints a short summary (status, method, time span, final rates) and writes
``simulate.nc`` (``Trajectory.to_xarray()``: dims ``time``, ``neuron``; coordinates neuron
names, cell types and time constants; the status and method as attributes) into ``--out``.
Exit status 0 when the run succeeded or reached a steady state, 1 when it diverged, failed or
hit ``--max-steps`` (the partial trajectory is still written), 2 on bad input.

Time-varying input: a ``[stimulus]`` table in SPEC (see :mod:`eicircuits.stimulus`), or
``--stimulus`` with a JSON table or a ``.json``/``.toml`` file holding one (it replaces the
spec's). Noise: ``--noise SIGMA`` (``--noise-kind``, ``--noise-tau``, ``--seed``) runs
Euler–Maruyama (``--method stochastic-heun`` for Heun) and needs ``--dt``. The protocol is
recorded in ``simulate.json`` and in the NetCDF attributes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ValidationError
from ._common import add_force_argument, add_spec_argument, out_dir, stage, write_json

__all__ = ["register"]


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "simulate",
        help="simulate a circuit and write the trajectory (NetCDF)",
        description="Simulate the circuit of SPEC from t = 0 to --t-end and write "
        "simulate.nc (xarray/NetCDF) and simulate.json (status, settings) into --out.",
    )
    add_spec_argument(p, optional=True)
    p.add_argument("--t-end", type=float, default=None,
                   help="end time, in the unit of tau (default: 30 × the largest tau)")
    p.add_argument("--dt", type=float, default=None,
                   help="fixed step; selects the fast fixed-step path (default: adaptive RK45)")
    p.add_argument("--method", default="auto",
                   help="'auto', RK45, DOP853, LSODA, BDF, Radau, RK23, euler, exp-euler, heun, "
                   "midpoint, rk4, euler-maruyama or stochastic-heun (default: %(default)s)")
    p.add_argument("--form", default="rate", choices=("rate", "voltage"),
                   help="rate or voltage form (default: %(default)s)")
    p.add_argument("--x0", type=float, nargs="+", default=None, metavar="X",
                   help="initial state: one value for every neuron or n values (default: 0)")
    p.add_argument("--until-steady", type=float, default=None, metavar="TOL",
                   help="stop when ‖ẋ‖∞ < TOL")
    p.add_argument("--save-every", type=int, default=None, metavar="K",
                   help="fixed-step: save every K-th step (and the last); without it every "
                   "step is saved: t_end/dt rows × n neurons × 8 bytes (a warning names a K "
                   "when that is large)")
    p.add_argument("--max-steps", type=int, default=None, help="most time steps to take")
    p.add_argument("--backend", default="auto", choices=("auto", "numpy", "numba", "jax"),
                   help="fixed-step engine (default: %(default)s)")
    p.add_argument("--checkpoint", default=None, metavar="FILE",
                   help="fixed-step: write a checkpoint (.npz) every minute and at the end")
    p.add_argument("--resume", action="store_true",
                   help="fixed-step: continue from --checkpoint if it exists")
    p.add_argument("--stimulus", default=None, metavar="TABLE",
                   help="input protocol: a JSON table such as '{\"kind\": \"step\", "
                   "\"t_on\": 5, \"amplitude\": 1}' or a .json/.toml file holding one "
                   "(replaces the spec's [stimulus]; it is the whole input, not added to u)")
    p.add_argument("--noise", type=float, default=None, metavar="SIGMA",
                   help="noise intensity σ (needs --dt): τ dx = (…) dt + σ dB")
    p.add_argument("--noise-kind", default="rate", choices=("rate", "input"),
                   help="noise on the rates or inside the input (default: %(default)s)")
    p.add_argument("--noise-tau", type=float, default=None, metavar="TAU",
                   help="correlation time of Ornstein–Uhlenbeck noise (default: white)")
    p.add_argument("--seed", type=int, default=None, help="seed of the noise (default: random)")
    p.add_argument("--out", default="eicircuits-out", help="output folder (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    add_force_argument(p)
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


def _stimulus(args: argparse.Namespace, table: Any) -> Any:
    from ..stimulus import from_spec

    if args.stimulus is not None:
        text = args.stimulus
        path = Path(text)
        try:
            if text.lstrip().startswith("{"):
                table = json.loads(text)
            elif path.suffix == ".toml" and path.is_file():
                data = tomllib.loads(path.read_text(encoding="utf-8"))
                table = data.get("stimulus", data)
            elif path.is_file():
                table = json.loads(path.read_text(encoding="utf-8"))
            else:
                raise ValidationError(
                    f"--stimulus: expected a JSON table or an existing .json/.toml file, got "
                    f"{text!r}"
                )
        except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ValidationError(f"--stimulus: cannot parse {text!r}: {exc}") from exc
    if table is None:
        return None
    try:
        return from_spec(table)
    except ValidationError as exc:
        raise ValidationError(f"--stimulus: {exc}") from exc


def _check_settings(args: argparse.Namespace, t_end: float) -> None:
    """The time settings the command line gives, checked before anything is printed."""
    if not (np.isfinite(t_end) and t_end > 0):
        raise ValidationError(f"--t-end: expected a finite end time > 0 (runs start at t = 0), "
                              f"got {t_end:g}")
    if args.dt is not None and not (np.isfinite(args.dt) and 0 < args.dt <= t_end):
        raise ValidationError(f"dt: must be a finite number > 0 (the --dt step, at most "
                              f"--t-end = {t_end:g}), got {args.dt:g}")
    if (args.noise is not None and args.noise_kind == "input" and args.noise_tau is None
            and args.form == "rate"):
        raise ValidationError(
            "--noise-kind input: white noise inside Φ(Wx + u + σξ) has no limit as dt → 0 for "
            "a nonlinear Φ; give --noise-tau TAU (Ornstein–Uhlenbeck), or --form voltage, or "
            "--noise-kind rate"
        )
    if args.save_every is not None and args.save_every < 1:
        raise ValidationError(f"--save-every: expected a whole number of steps ≥ 1, "
                              f"got {args.save_every}")


def saved_bytes(t_end: float, dt: float, n: int, save_every: int | None = None) -> int:
    """Estimated size of a fixed-step trajectory's saved states (float64), in bytes.

    Examples
    --------
    >>> saved_bytes(100.0, 0.01, 5000) / 1e6  # every one of 10 000 steps: 400 MB
    400.04
    >>> saved_bytes(100.0, 0.01, 5000, save_every=100) / 1e6
    4.04
    """
    steps = int(np.ceil(t_end / dt - 1e-9))
    rows = steps // (save_every or 1) + 1 + (1 if save_every and steps % save_every else 0)
    return rows * n * 8


def _size(nbytes: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:.3g} {unit}"
    return f"{nbytes} bytes"


def _warn_size(args: argparse.Namespace, t_end: float, n: int) -> None:
    """On stderr: the saved trajectory would be large, and the ``--save-every`` that fixes it."""
    from .._limits import SIMULATE_WARN_BYTES

    if args.dt is None:  # adaptive: the solver chooses the steps (it saves few for smooth runs)
        return
    size = saved_bytes(t_end, args.dt, n, args.save_every)
    if size <= SIMULATE_WARN_BYTES:
        return
    k = int(np.ceil(size / (SIMULATE_WARN_BYTES / 10)))
    print(f"eicircuits simulate: warning: simulate.nc will hold {_size(size)} "
          f"({size // (8 * n)} saved rows × {n} neurons, dt = {args.dt:g}); pass "
          f"--save-every {k} for {_size(saved_bytes(t_end, args.dt, n, k))}"
          + (" or a larger --save-every" if args.save_every else ""),
          file=sys.stderr, flush=True)


def _more_summary(net: Any, traj: Any, stim: Any, noise: Any) -> list[str]:
    """E/I means, whether the run settled (final ‖ẋ‖∞), and a note on negative noisy rates."""
    rates = np.asarray(traj.rates())
    final = rates[-1]
    lines = []
    if net.cell_types is not None:
        means = [f"{kind} {float(np.mean(final[idx])):.6g}" for kind, idx in
                 (("E", net.e_idx), ("I", net.i_idx)) if idx.size]
        lines.append("mean rate " + ", ".join(means) + " (final)")
    if not net.has_delays and np.all(np.isfinite(final)):
        u_end = None if stim is None else np.asarray(
            stim.sample(np.array([traj.t[-1]]), net.n), dtype=float)[0]
        speed = float(np.max(np.abs(net.rate_field(final, u_end))))
        if noise is not None:
            verdict = "(the drift only; noise keeps a noisy run moving)"
        else:
            verdict = ("settled (< 1e-6)" if speed < 1e-6
                       else "NOT settled: still moving at the end (a longer --t-end?)")
        lines.append(f"settling  final ‖ẋ‖∞ = {speed:.3g} {verdict}")
    if noise is not None and noise.kind == "rate" and float(np.min(rates)) < 0:
        lines.append(f"note      rate noise is added to x outside Φ, so rates went below 0 "
                     f"(min {float(np.min(rates)):.3g}); --noise-kind input with --noise-tau "
                     "keeps them in Φ's range")
    return lines


def _run(args: argparse.Namespace) -> int:
    from ..dynamics import simulate
    from ..noise import Noise
    from ..spec import DEFAULT_SOURCE, read_spec

    spec = read_spec(args.spec)
    net, label = spec.network(), (args.spec or DEFAULT_SOURCE)
    t_end = args.t_end if args.t_end is not None else 30.0 * float(np.max(net.tau))
    _check_settings(args, t_end)  # before anything is printed
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
    stim = _stimulus(args, getattr(spec, "stimulus", None))
    if stim is not None:
        kwargs["u"] = stim
    noise = None
    if args.noise is not None:
        noise = Noise(args.noise, kind=args.noise_kind, tau=args.noise_tau)
        kwargs["noise"] = noise
        kwargs["rng"] = args.seed
    elif args.noise_tau is not None or args.seed is not None or args.noise_kind != "rate":
        raise ValidationError("--noise-kind/--noise-tau/--seed: need --noise SIGMA")
    folder = out_dir(args.out, "eicircuits-out", ("simulate.nc", "simulate.json"), args)
    _warn_size(args, t_end, net.n)
    with stage(f"simulating {label} to t = {t_end:g}", quiet=args.quiet):
        traj = simulate(net, _x0(args.x0, net.n), (0.0, t_end), **kwargs)
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
        "stimulus": None if stim is None else stim.to_spec(),
        "noise": None if noise is None else noise.to_spec(),
        "seed": traj.seed,
    })
    print(f"eicircuits simulate: {label} ({net.n} neurons)")
    print(traj.summary())
    for line in _more_summary(net, traj, stim, noise):
        print(line)
    print(f"wrote {nc_path} and {folder / 'simulate.json'}")
    if not traj.success:
        print(f"eicircuits simulate: {traj.status}: {traj.message}", file=sys.stderr)
        return 1
    return 0
