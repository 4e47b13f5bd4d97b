"""Benchmarks of eicircuits.sweeps (run by hand; CI does not run them).

1. Ensemble of random E–I networks (n = 50): certificate + equilibrium per network
   (built-in analyses ``certified`` and ``rates``), on a ``dask.distributed`` LocalCluster of 1
   and 2 worker processes (started and warmed up before timing); parallel efficiency
   = t1 / (2 · t2). Also the local process scheduler (timing includes starting its processes).
   Baseline: a plain Python loop in this process.
   With ``--networks`` below 10⁴ the 10⁴ time is extrapolated linearly (said in the table).
2. Wilson–Cowan regime map, 10⁶ points (1000 × 1000): the vectorised closed form
   (``wilson_cowan_regime`` on the whole grid, NumPy; chunked through ``dask.array``; and
   ``sweep``'s built-in ``regime``, which takes the vectorised path per chunk) against per-point
   evaluation (``sweep`` with the ``regime`` analysis, and a plain loop), the
   latter timed on a subsample and extrapolated to 10⁶ points (said in the table).

Usage::

    python benchmarks/bench_sweeps.py [--networks 1000] [--subsample 2000] [--repeat 1]

Timings on a shared machine are noisy; each number is one run.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from eicircuits.circuits import random_ei, wilson_cowan, wilson_cowan_regime
from eicircuits.sweeps import certified, rates, regime, sweep

WC = {"w_ie": 3.0, "w_ii": 1.0, "u_e": 1.0, "u_i": 0.5}


REPEAT = 1


def _timed(fn, *args, **kwargs):
    """Best of ``REPEAT`` runs (the machine is shared: the minimum is the least disturbed)."""
    best, out = float("inf"), None
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return best, out


def ensemble(n_networks: int) -> list[tuple[str, float, str]]:
    rows = []
    grid = {"n": [50]}
    params = {"density": 0.2, "gain": 0.9, "u": 1.0}
    seeds = n_networks
    scale = 10_000 / n_networks

    def loop():
        children = np.random.SeedSequence(0).spawn(seeds)
        out = []
        for child in children:
            net = random_ei(50, rng=np.random.default_rng(child), **params)
            out.append((certified(net), rates(net)))
        return out

    t_loop, ref = _timed(loop)
    rows.append(("plain loop, this process", t_loop, "baseline"))

    def check(ds):
        return all(bool(ds["certified"].values[0, k]) == ref[k][0]
                   and np.array_equal(ds["rates"].values[0, k], ref[k][1]) for k in range(seeds))

    from distributed import LocalCluster

    times = {}
    chunks = {"seed": max(1, seeds // 32)}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            # warm-up (imports on the workers), not timed
            sweep(random_ei, grid, ["certified", "rates"], params=params, seeds=2 * workers,
                  rng=1, scheduler=cluster.scheduler_address, chunks={"seed": 1},
                  progress=False)
            t, ds = _timed(sweep, random_ei, grid, ["certified", "rates"], params=params,
                           seeds=seeds, rng=0, scheduler=cluster.scheduler_address,
                           chunks=chunks, progress=False)
        times[workers] = t
        rows.append((f"sweep, LocalCluster, {workers} worker process(es)", t,
                     f"ratio to loop {t / t_loop:.2f}; same numbers as the loop: {check(ds)}"))
    eff = times[1] / (2 * times[2])
    rows.append(("parallel efficiency t1/(2·t2)", eff, ""))
    for workers in (1, 2):
        t, ds = _timed(sweep, random_ei, grid, ["certified", "rates"], params=params,
                       seeds=seeds, rng=0, scheduler="processes", num_workers=workers,
                       chunks=chunks, progress=False)
        rows.append((f"sweep, local processes, {workers} worker(s)", t,
                     f"includes starting the processes; same numbers: {check(ds)}"))
    if scale != 1:
        for workers in (1, 2):
            rows.append((f"extrapolated to 10^4 networks, LocalCluster, {workers} worker(s)",
                         times[workers] * scale, f"linear from {n_networks}"))
    return rows


def regime_map(subsample: int) -> list[tuple[str, float, str]]:
    rows = []
    w_ee = np.linspace(0.0, 3.0, 1000)
    w_ei = np.linspace(0.0, 5.0, 1000)
    a, b = np.meshgrid(w_ee, w_ei, indexing="ij")
    t_vec, labels = _timed(wilson_cowan_regime, a, b, **WC)
    rows.append(("vectorised closed form, NumPy, 10^6 points", t_vec, "baseline"))

    import dask.array as da

    A = da.from_array(a, chunks=(250, 1000))
    B = da.from_array(b, chunks=(250, 1000))

    def chunked():
        return da.map_blocks(lambda x, y: wilson_cowan_regime(x, y, **WC), A, B,
                             dtype="<U11").compute(scheduler="threads", num_workers=2)

    t_dask, labels_dask = _timed(chunked)
    rows.append(("vectorised, dask.array 4 chunks, 2 threads", t_dask,
                 f"ratio {t_dask / t_vec:.2f}; equal: {np.array_equal(labels, labels_dask)}"))

    t_sw, ds_full = _timed(sweep, wilson_cowan, {"w_ee": w_ee, "w_ei": w_ei}, ["regime"],
                           params=WC, chunks={"w_ee": 50, "w_ei": 1000}, num_workers=2,
                           progress=False)
    rows.append(("sweep, regime built-in (vectorised per chunk), 20 chunks", t_sw,
                 f"ratio {t_sw / t_vec:.2f}; equal: "
                 f"{np.array_equal(ds_full['regime'].values, labels)}"))
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        t_st, _ = _timed(sweep, wilson_cowan, {"w_ee": w_ee, "w_ei": w_ei}, ["regime"],
                         params=WC, chunks={"w_ee": 50, "w_ei": 1000}, num_workers=2,
                         progress=False, store=os.path.join(tmp, "map.zarr"))
    rows.append(("same, written to a Zarr store and read back", t_st,
                 f"ratio {t_st / t_vec:.2f}"))

    # per point, on a subsample (rows spread over the grid), extrapolated to 10^6
    cols = 100
    nrows = max(1, subsample // cols)
    sub_ee = w_ee[:: max(1, 1000 // nrows)][:nrows]
    sub_ei = w_ei[:: 1000 // cols][:cols]
    k = sub_ee.size * sub_ei.size

    def loop():
        return np.array([[regime(wilson_cowan(x, y, **WC)) for y in sub_ei] for x in sub_ee])

    def per_point(net):  # hides the vectorised path: one network and one closed form per point
        return regime(net)

    t_loop, lab_loop = _timed(loop)
    t_sweep, ds = _timed(sweep, wilson_cowan, {"w_ee": sub_ee, "w_ei": sub_ei},
                         {"regime": per_point}, params=WC, num_workers=2, progress=False)
    exact = wilson_cowan_regime(*np.meshgrid(sub_ee, sub_ei, indexing="ij"), **WC)
    same = np.array_equal(lab_loop, exact) and np.array_equal(ds["regime"].values, exact)
    scale = 1e6 / k
    for name, t in (("per point, plain loop", t_loop), ("per point, sweep, 2 threads", t_sweep)):
        rows.append((f"{name}, extrapolated to 10^6", t * scale,
                     f"measured {t:.2f} s on {k} points; ratio to vectorised "
                     f"{t * scale / t_vec:.0f}×; equal to closed form: {same}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", type=int, default=1000)
    parser.add_argument("--subsample", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs")
    args = parser.parse_args()
    global REPEAT
    REPEAT = max(1, args.repeat)
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}, "
          f"best of {REPEAT} run(s)")
    for title, rows in (
        (f"Ensemble of random E-I networks (n = 50), {args.networks} networks",
         ensemble(args.networks)),
        ("Wilson-Cowan regime map, 1000 x 1000", regime_map(args.subsample)),
    ):
        print(f"\n{title}")
        print(f"{'case':58s} {'value':>10s}  note")
        for name, value, note in rows:
            unit = "" if "efficiency" in name else " s"
            print(f"{name:58s} {value:10.3f}{unit}  {note}")


if __name__ == "__main__":
    main()
