"""Fixed-step simulation speed vs a bare ``scipy.sparse`` mat-vec loop of the same length.

Random sparse E–I ReLU networks (80 % E, 20 % I, Dale signs, every row's absolute weights summing
to 0.9 so that the Metzler majorant has spectral radius < 1 and W − I is LDS,
docs/theory.md §3 Fact 8),
N = 10³, 10⁴, 10⁵ neurons with ``k`` synapses per row (10 % density up to N = 10⁴; 100 per row,
10⁷ synapses, at N = 10⁵). The baseline is the loop

    x = x + dt/τ * (−x + max(W @ x + u, 0))

and the contender ``simulate(net, x0, (0, steps·dt), method="euler", dt=dt)`` saving only the
first and last states (also ``exp-euler``, and ``rk4`` per mat-vec). Both are timed in the same
run, interleaved, best of ``--repeat``; the table shows steps per second and time ratios
(ours / bare).
Goal (issue 2): within 1.5× of the bare loop at N = 10⁵.

Run by hand::

    python benchmarks/bench_simulate.py            # all sizes
    python benchmarks/bench_simulate.py --sizes 1000 10000 --repeat 3
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp

from eicircuits import Network, ReLU, simulate
from eicircuits.dynamics import _kernels

#: N -> (synapses per row, steps)
CASES = {1_000: (100, 2000), 10_000: (1000, 100), 100_000: (100, 100)}


def random_ei(n: int, k: int, *, seed: int = 0) -> Network:
    """Random sparse E–I ReLU network with ``k`` synapses per row; rows of |W| sum to 0.9."""
    rng = np.random.default_rng(seed)
    n_e = int(0.8 * n)
    indptr = np.arange(0, n * k + 1, k, dtype=np.int64)
    indices = np.empty(n * k, dtype=np.int32)
    for i in range(n):  # k distinct presynaptic partners per row, no self-synapse
        row = rng.choice(n - 1, size=k, replace=False)
        row[row >= i] += 1
        indices[i * k:(i + 1) * k] = np.sort(row)
    mag = rng.uniform(0.5, 1.5, n * k)
    mag *= 0.9 / np.add.reduceat(mag, indptr[:-1]).repeat(k)
    data = np.where(indices < n_e, mag, -mag)
    W = sp.csr_array((data, indices, indptr.astype(np.int32)), shape=(n, n))
    tau = np.where(np.arange(n) < n_e, 1.0, 0.5)
    u = rng.uniform(0.5, 1.5, n)
    return Network(W=W, tau=tau, u=u, activation=ReLU(), cell_types="E" * n_e + "I" * (n - n_e))


def bare_loop(net: Network, x0: np.ndarray, dt: float, steps: int) -> np.ndarray:
    W, u, dt_tau = net.W, net.u, dt / net.tau
    x = x0.copy()
    for _ in range(steps):
        x = x + dt_tau * (-x + np.maximum(W @ x + u, 0))
    return x


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=sorted(CASES))
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--no-threads", action="store_true", help="skip the BLAS-threads table")
    args = ap.parse_args()
    dt = 0.01
    backends = ["numpy"] + (["numba"] if _kernels.available() else [])
    print(f"numba available: {_kernels.available()}; dt = {dt}; best of {args.repeat}")
    header = (f"{'N':>7} {'synapses':>9} {'steps':>6} {'contender':>22} {'steps/s':>10} "
              f"{'bare steps/s':>12} {'time ratio':>10} {'max |Δx|':>9}")
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        k, steps = CASES.get(n, (max(1, n // 10), 100))
        net = random_ei(n, k)
        x0 = np.random.default_rng(1).uniform(0, 1, n)
        for method in ("euler", "exp-euler", "rk4"):
            for backend in backends:
                def ours(method=method, backend=backend, net=net, x0=x0, steps=steps):
                    return simulate(net, x0, (0.0, steps * dt), method=method, dt=dt,
                                    save_every=steps, backend=backend)

                def bare(net=net, x0=x0, steps=steps):
                    return bare_loop(net, x0, dt, steps)

                if backend == "numba":
                    ours()  # compile or load the cached kernel outside the timing
                # interleave the two so that a busy machine slows both alike
                t_bare, t_ours = [], []
                for _ in range(args.repeat):
                    tb, x_bare = best(bare, 1)
                    to, traj = best(ours, 1)
                    t_bare.append(tb)
                    t_ours.append(to)
                assert traj.status == "success", traj.message
                stages = 4 if method == "rk4" else 1
                ratio = min(t_ours) / (min(t_bare) * stages)
                diff = (f"{np.max(np.abs(traj.final - x_bare)):.1e}" if method == "euler"
                        else "—")
                label = f"{method}/{backend}" + (" per mat-vec" if stages > 1 else "")
                print(f"{n:>7} {net.W.nnz:>9} {steps:>6} {label:>22} "
                      f"{steps / min(t_ours):>10.1f} {steps / min(t_bare):>12.1f} "
                      f"{ratio:>10.2f} {diff:>9}", flush=True)
    print("time ratio = our time / bare-loop time for the same number of mat-vecs "
          "(≤ 1.5 is the goal at N = 10⁵; < 1 is faster than the bare loop)")
    if not args.no_threads:
        blas_thread_table(args.repeat)


def blas_thread_table(repeat: int) -> None:
    """Dense W, NumPy backend: one BLAS thread (threads="auto") vs the library default."""
    print("\nDense W, NumPy backend, euler: BLAS threads 1 (threads='auto') vs default (None)")
    print(f"{'N':>6} {'steps':>6} {'1 thread s':>11} {'default s':>10} {'default / 1':>12}")
    for n, steps in ((160, 5000), (1000, 1000), (2000, 300)):
        net = random_ei(n, n // 10)
        net = net.replace(W=net.W.toarray())
        x0 = np.random.default_rng(1).uniform(0, 1, n)
        t = {"auto": [], None: []}
        for _ in range(repeat):
            for threads in ("auto", None):
                t[threads].append(best(lambda threads=threads, net=net, x0=x0, steps=steps:
                                       simulate(net, x0, (0.0, steps * 0.01), method="euler",
                                                dt=0.01, save_every=steps, backend="numpy",
                                                threads=threads), 1)[0])
        one, dflt = min(t["auto"]), min(t[None])
        print(f"{n:>6} {steps:>6} {one:>11.3f} {dflt:>10.3f} {dflt / one:>12.2f}")


if __name__ == "__main__":
    main()
