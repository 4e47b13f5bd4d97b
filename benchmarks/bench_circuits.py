"""Benchmarks of the circuit closed forms against their generic baselines (same run, same machine).

1. Wilson–Cowan regime map: the vectorised closed form over an N × N grid against a Python
   loop of scalar calls (baseline measured on a sample and scaled per point).
2. Shared-inhibition equilibrium: water-filling (sort + cumulative sum) against the generic LCP
   solver ``eicircuits.equilibrium`` on the same motif, for growing ``m``.
3. ``random_ei``: generating a sparse Dale-law network with its majorant certificate, against
   one sparse matrix–vector product of the same matrix (a floor for any O(nnz) work).

Run by hand: ``python benchmarks/bench_circuits.py [--quick]``. Prints a table of times and
ratios to the baseline.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from eicircuits import equilibrium
from eicircuits.circuits import (
    lateral_inhibition,
    random_ei,
    shared_inhibition_equilibrium,
    wilson_cowan_regime,
)


def best(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def regime_map(n: int) -> list[tuple[str, float, float]]:
    wee, ratio = np.meshgrid(np.linspace(0, 7, n), np.linspace(0.1, 5, n))
    t_vec = best(lambda: wilson_cowan_regime(wee, 3.0, 3.0, 1.0, tau_i=ratio, u_e=1.0, u_i=0.5))
    sample = 2000
    flat_w, flat_r = wee.ravel()[:sample], ratio.ravel()[:sample]

    def loop():
        for w, r in zip(flat_w, flat_r, strict=True):
            wilson_cowan_regime(float(w), 3.0, 3.0, 1.0, tau_i=float(r), u_e=1.0, u_i=0.5)

    t_loop = best(loop, repeat=1) * (n * n) / sample
    return [(f"regime map {n}×{n}: vectorised", t_vec, t_loop),
            (f"regime map {n}×{n}: scalar loop (extrapolated)", t_loop, t_loop)]


def water_filling(ms: list[int]) -> list[tuple[str, float, float]]:
    rows = []
    rng = np.random.default_rng(0)
    for m in ms:
        u = rng.uniform(0.5, 1.5, m)
        net = lateral_inhibition(m, a=0.5, b=2.0, c=2.0, d=0.5, u=u)
        t_lcp = best(lambda net=net: equilibrium(net))
        t_wf = best(lambda u=u: shared_inhibition_equilibrium(u, a=0.5, b=2.0, c=2.0, d=0.5))
        x_lcp = equilibrium(net).x
        x_wf = shared_inhibition_equilibrium(u, a=0.5, b=2.0, c=2.0, d=0.5).x
        err = float(np.max(np.abs(x_lcp - x_wf)))
        rows.append((f"shared motif m = {m}: equilibrium() (LCP)", t_lcp, t_lcp))
        rows.append((f"shared motif m = {m}: water-filling (|Δx| = {err:.1e})", t_wf, t_lcp))
    return rows


def random_networks(ns: list[int]) -> list[tuple[str, float, float]]:
    rows = []
    for n in ns:
        density = 50.0 / n
        t_gen = best(lambda n=n, density=density: random_ei(n, density=density, rng=0), repeat=1)
        net = random_ei(n, density=density, rng=0)
        x = np.ones(n)
        t_mv = best(lambda net=net, x=x: net.W @ x)
        rows.append((f"random_ei n = {n} (nnz {net.W.nnz}): one W @ x", t_mv, t_mv))
        rows.append((f"random_ei n = {n}: build + certificate", t_gen, t_mv))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rows = []
    rows += regime_map(300 if args.quick else 1000)
    rows += water_filling([50, 500] if args.quick else [50, 500, 2000])
    rows += random_networks([10_000] if args.quick else [10_000, 200_000])
    width = max(len(r[0]) for r in rows)
    print(f"{'measurement':{width}s}  {'seconds':>10s}  {'÷ baseline':>10s}")
    for name, t, base in rows:
        print(f"{name:{width}s}  {t:10.4g}  {t / base:10.3g}")


if __name__ == "__main__":
    main()
