"""Benchmark: exact branch following vs a grid of equilibrium solves (issue 12, "Benchmarks").

1. Piecewise-linear (ReLU) random E–I networks from :func:`eicircuits.circuits.random_ei`
   (Dale signs, ``W − I`` LDS by construction, sparse CSR, ``k`` synapses per neuron) along a
   random input direction, ``u(λ) = u₀ + λ d``, ``λ ∈ [−1, 1]``. ``continuation`` follows the
   (single-valued, LDS) branch exactly by pivoting; we report pivots, pivots per second and
   wall time. The comparison is a grid of :func:`eicircuits.equilibrium` solves with as many
   λ values as the path has vertices (the resolution at which the grid would see every change
   of active set), each warm-started from the previous solution; it is timed on ``--grid-sample``
   consecutive grid points and extrapolated (said so in the output). The grid's solutions are
   compared with the exact path at the same λ.
2. Smooth: a 100-neuron tanh network (dense, random weights with self-excitation so that the
   branch folds) continued by pseudo-arclength; against ``equilibrium`` (globalised Newton,
   warm-started) on a λ grid with as many points as the continuation has.

Run by hand: ``python benchmarks/bench_continuation.py [--sizes 1000 10000] [--k 10]``.

Measured on this project's shared 2-core machine, one BLAS thread, ``--grid-sample 30``, with
other jobs running (load average 3–4; absolute times are inflated, the ratios compare within
one run):

* n = 10³ (10 050 synapses): exact path 0.54 s, 513 pivots (954 pivots/s; sparse LU with block
  updates, 8 factorisations); a grid of warm-started ``equilibrium`` solves at the same
  resolution ≈ 8.1 s (15×); grid vs path max |Δx| = 5.6e-16.
* n = 10⁴ (100 327 synapses): exact path 40 s, 4976 pivots (125 pivots/s; warm-started
  BiCGSTAB on the active block, since its sparse LU fills to 8·10⁶ entries); the grid ≈ 123 s
  (24.7 ms per warm-started solve, 3×); grid vs path max |Δx| = 1.4e-13.
* smooth, n = 100 (tanh, dense): 195 points with 2 folds in 1.55 s; the grid of 195
  warm-started Newton solves 0.35 s, 1.30 s with the eigenvalues at every point (continuation
  1.2× that, and it also gives the folds and the unstable middle branch).

Under heavier load (average 8–9) the same run gave 170 and 24 pivots/s (8× and 4× the grid).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from eicircuits import Network, Tanh, continuation, equilibrium
from eicircuits.circuits import random_ei


def bench_piecewise(n: int, k: int, grid_sample: int, seed: int) -> None:
    net = random_ei(n, density=k / n, gain=0.9, rng=seed, sparse=True)
    rng = np.random.default_rng(seed + 1)
    u0, d = rng.normal(0.0, 1.0, n), rng.normal(0.0, 1.0, n)
    net = net.with_input(u0)
    keep = np.arange(min(n, 20))
    t0 = time.perf_counter()
    res = continuation(net, direction=d, span=(-1.0, 1.0), neurons=keep, borders=False,
                       max_points=10 * n)
    t_path = time.perf_counter() - t0
    br = res.branches[0]
    pivots = res.stats["pivots"]
    print(f"n = {n}, {net.W.nnz} synapses (k = {k}): exact path {t_path:.2f} s, {pivots} pivots "
          f"({pivots / t_path:.0f} pivots/s), {br.m} vertices, {br.stats['factorizations']} "
          f"LU factorisations; status {res.status}; single-valued: {res.single_valued}")
    grid = np.linspace(-1.0, 1.0, br.m)
    x = equilibrium(net, u=u0 + grid[0] * d).x
    start = br.m // 2
    sample = grid[start:start + grid_sample]
    err = 0.0
    t0 = time.perf_counter()
    for lam in sample:
        eq = equilibrium(net, u=u0 + lam * d, x0=x)
        x = eq.x
    t_grid = time.perf_counter() - t0
    for lam in sample[:: max(1, sample.size // 5)]:
        eq = equilibrium(net, u=u0 + lam * d, x0=x)
        err = max(err, float(np.max(np.abs(eq.x[keep] - res.points_at(lam)[0]))))
    per = t_grid / sample.size
    print(f"  grid of equilibrium() at the same resolution ({br.m} points): {per * 1e3:.1f} ms "
          f"per warm-started solve (timed on {sample.size}), about {per * br.m:.1f} s in all "
          f"= {per * br.m / t_path:.0f}× the exact path; grid vs path max |Δx| = {err:.1e}")


def bench_smooth(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    W = rng.normal(0.0, 0.5 / np.sqrt(n), size=(n, n))
    W[0, 0] = 1.8  # one self-exciting neuron: a fold pair
    net = Network(W=W, u=rng.normal(0.0, 0.2, n), activation=Tanh())
    d = np.zeros(n)
    d[0] = 1.0
    d += rng.normal(0.0, 0.1, n)
    t0 = time.perf_counter()
    res = continuation(net, direction=d, span=(-2.0, 2.0), max_step=0.05)
    t_cont = time.perf_counter() - t0
    br = res.branches[0]
    print(f"smooth n = {n}: pseudo-arclength {t_cont:.2f} s, {br.m} points, "
          f"{br.stats['newton_iterations']} Newton iterations, {len(res.folds)} folds at "
          f"λ = {[round(f.lam, 6) for f in res.folds]}; status {res.status}")
    grid = np.linspace(-2.0, 2.0, br.m)
    x = equilibrium(net, u=net.u + grid[0] * d).x
    t0 = time.perf_counter()
    failures = 0
    for lam in grid:
        eq = equilibrium(net, u=net.u + lam * d, x0=x)
        failures += not eq.converged
        x = eq.x
    t_grid = time.perf_counter() - t0
    t0 = time.perf_counter()
    for lam in grid:  # what the grid costs with the same stability information per point
        np.linalg.eigvals(net.with_input(net.u + lam * d).rate_jacobian(x))
    t_eig = time.perf_counter() - t0
    print(f"  grid of {grid.size} warm-started equilibrium() calls: {t_grid:.2f} s, "
          f"{t_grid + t_eig:.2f} s with the eigenvalues at every point; the continuation "
          f"takes {t_cont / (t_grid + t_eig):.1f}× that and also gives the folds (located to "
          f"1e-13 in arclength) and the unstable middle branch, which the grid cannot reach "
          f"(it follows one branch and jumps at a fold); {failures} grid solves failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--k", type=int, default=10, help="synapses per neuron")
    parser.add_argument("--grid-sample", type=int, default=50)
    parser.add_argument("--smooth-n", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with threadpool_limits(1):
        for n in args.sizes:
            bench_piecewise(n, args.k, args.grid_sample, args.seed)
        bench_smooth(args.smooth_n, args.seed)


if __name__ == "__main__":
    main()
