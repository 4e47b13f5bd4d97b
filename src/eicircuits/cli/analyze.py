"""``eicircuits analyze [SPEC]``: the main job — equilibrium, stability, game and contrast.

Prints a readable report, and writes ``report.json`` (every number), ``analyze.nc`` (the
equilibrium and a trajectory, labelled with xarray) and ``analyze.png`` into the output folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from .._report import Section
from ..network import Network
from ._common import add_spec_argument, load_network, out_dir, stage, write_json

__all__ = ["register", "analyze", "network_section"]


def register(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "analyze",
        help="analyse a circuit: equilibrium, stability certificate, game, contrast",
        description="Analyse a circuit (default: the built-in cortical column) and write a "
        "report, its numbers (JSON, NetCDF) and a figure into --out.",
    )
    add_spec_argument(p, optional=True)
    p.add_argument("--out", default="eicircuits-out", help="output folder (default: %(default)s)")
    p.add_argument("--t-end", type=float, default=None,
                   help="longest trajectory shown; it stops once steady "
                   "(default: 500 × the largest τ)")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(func=_run)
    return p


def network_section(net: Network, label: str) -> Section:
    """Size, cell types, activation and time constants."""
    act = net.uniform_activation
    act_text = repr(act) if act is not None else "per neuron"
    nnz = net.W.nnz if net.is_sparse else int(np.count_nonzero(net.W))
    text = (
        f"source: {label}\n"
        f"neurons: {net.n} ({len(net.e_idx)} E, {len(net.i_idx)} I), synapses: {nnz}\n"
        f"activation: {act_text}\n"
        f"time constants: {np.min(net.tau):g} … {np.max(net.tau):g}"
    )
    data = {
        "source": label,
        "n": net.n,
        "n_e": len(net.e_idx),
        "n_i": len(net.i_idx),
        "synapses": nnz,
        "activation": act.to_spec() if act is not None else "per-neuron",
        "tau_min": float(np.min(net.tau)),
        "tau_max": float(np.max(net.tau)),
    }
    return Section("Network", text, data)


def analyze(net: Network, label: str, out: Path, *, t_end: float | None = None,
            quiet: bool = False) -> dict[str, Any]:
    """Run the whole analysis, write the outputs, and return the report's data."""
    from ..circuits import report_section as circuit_report
    from ..dynamics import simulate
    from ..fixed_points import equilibrium
    from ..fixed_points import report_section as equilibrium_report
    from ..games import report_section as game_report
    from ..stability import report_section as stability_report

    sections: list[Section] = [network_section(net, label)]
    with stage("equilibrium", quiet=quiet):
        eq = equilibrium(net)
        if net.n <= 2000:
            eq = eq.with_stability(net)
    sections.append(equilibrium_report(net, eq))
    with stage("stability certificate", quiet=quiet):
        sections.append(stability_report(net))
    with stage("game", quiet=quiet):
        sections.append(game_report(net, eq.x))
    with stage("circuit analysis", quiet=quiet):
        sections.append(circuit_report(net, eq.x))
    # From rest until steady (‖ẋ‖∞ < 1e-10) or t_end: an independent check of the equilibrium.
    t1 = float(t_end) if t_end is not None else 500.0 * float(np.max(net.tau))
    with stage("trajectory", quiet=quiet):
        traj = simulate(net, np.zeros(net.n), (0.0, t1), t_eval=np.linspace(0.0, t1, 2001),
                        until_steady=1e-10)

    report = {s.title: s.data for s in sections}
    report["Trajectory"] = {
        "status": traj.status,
        "message": traj.message,
        "t_end": float(traj.t[-1]),
        "distance_to_equilibrium": float(np.max(np.abs(traj.x[-1] - eq.x))),
    }
    write_json(out / "report.json", report)
    with stage("writing NetCDF and figure", quiet=quiet):
        _write_netcdf(out / "analyze.nc", eq, traj)
        _write_figure(out / "analyze.png", net, eq, traj)
    text = "\n".join(s.render() for s in sections)
    (out / "report.txt").write_text(text, encoding="utf-8")
    print(text)
    print(
        f"Trajectory from rest: {traj.status}; at t = {traj.t[-1]:g} it is "
        f"{report['Trajectory']['distance_to_equilibrium']:.2e} from the equilibrium.\n"
        f"Wrote {out / 'report.txt'}, {out / 'report.json'}, {out / 'analyze.nc'}, "
        f"{out / 'analyze.png'}"
    )
    return report


def _write_netcdf(path: Path, eq: Any, traj: Any) -> None:
    ds = traj.to_xarray().to_dataset()
    ds["equilibrium"] = ("neuron", np.asarray(eq.x))
    ds.attrs.update({"equilibrium_method": eq.method, "equilibrium_residual": float(eq.residual)})
    ds.to_netcdf(path)


def _write_figure(path: Path, net: Network, eq: Any, traj: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    types = np.array(net.cell_types or ("E",) * net.n)
    colors = np.where(types == "E", "tab:red", "tab:blue")
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
    ax1.bar(np.arange(net.n), eq.x, color=colors)
    ax1.set_xlabel("neuron")
    ax1.set_ylabel("equilibrium rate x*")
    ax1.set_title(f"Equilibrium ({eq.method}, residual {eq.residual:.1e})")
    if net.n <= 30:
        ax1.set_xticks(np.arange(net.n), net.names, rotation=90, fontsize=7)
    for k in range(net.n):
        ax2.plot(traj.t, traj.x[:, k], color=colors[k], lw=0.8, alpha=0.8)
    ax2.set_xlabel("time")
    ax2.set_ylabel("rate")
    ax2.set_title(f"From rest ({traj.status}); red E, blue I")
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _run(args: argparse.Namespace) -> int:
    net, label = load_network(args)
    out = out_dir(args.out, "eicircuits-out")
    analyze(net, label, out, t_end=args.t_end, quiet=args.quiet)
    return 0
