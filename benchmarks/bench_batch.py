"""Batched simulation speed: a loop of ``simulate`` calls vs ``simulate_batch`` (NumPy, JAX).

A dense E–I network of ``n`` = 200 ReLU neurons (80 % E, 20 % I, Dale signs, spectral radius
of W equal to 0.6, so every run settles), B = 1, 64, 1024 members with random initial states
and inputs, ``steps`` = 10⁴ rk4 steps of dt = 0.01, saving only the first and last states.
Contenders, timed in the same run:

- ``loop``: ``simulate(net, x0_k, ..., u=u_k, method="rk4", dt=dt)`` for each member (the
  one-run fixed-step path, which picks its compiled numba kernel when numba is installed). For
  large B only the first ``--loop-members`` members are timed and the time is scaled by
  ``B / loop_members`` (marked ``*``).
- ``numpy``: ``simulate_batch(..., backend="numpy")`` (4 batched products ``X @ Wᵀ`` per step).
- ``jax``: ``simulate_batch(..., backend="jax")`` on the CPU build of jax, float64, after one
  warm-up call of the same shape (same compiled program); the compile time is shown apart.

Every contender's final states are checked against the loop's (max abs difference printed).
Ratios are ``loop / contender`` (higher is faster). Timings on a shared machine are noisy.

Run by hand::

    python benchmarks/bench_batch.py
    python benchmarks/bench_batch.py --batches 1 64 --steps 2000

One run of the default command (jax 0.10.2 CPU, NumPy 2.4, numba 0.68, 2 shared CPU cores
with other jobs running, load average about 2.8: noisy, single run)::

        B     loop s   numpy s    jax s  jax compile s  loop/numpy  loop/jax  numpy/jax
        1      0.88       0.73     0.48           0.94         1.2       1.8       1.53
       64     22.17*      9.88     5.10           0.93         2.2       4.3       1.94
     1024    331.20*    134.41    97.69           0.63         2.5       3.4       1.38

The loop runs numba's compiled kernel (its B = 1 time includes loading it from the cache);
the batch's gain is the matrix–matrix products. Max |Δ| of the final states against the loop:
about 1e-13 after 10⁴ steps for both backends.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from eicircuits import Network, ReLU, simulate
from eicircuits.dynamics import _jax, simulate_batch


def dense_ei(n: int, *, seed: int = 0) -> Network:
    """Dense random E–I ReLU network, 80 % E, spectral radius of W equal to 0.6."""
    rng = np.random.default_rng(seed)
    n_e = int(0.8 * n)
    W = rng.uniform(0.0, 1.0, (n, n))
    W[:, n_e:] *= -4.0
    W *= 0.6 / np.abs(np.linalg.eigvals(W)).max()
    tau = np.where(np.arange(n) < n_e, 1.0, 0.5)
    return Network(W=W, tau=tau, activation=ReLU(), cell_types="E" * n_e + "I" * (n - n_e))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--batches", type=int, nargs="+", default=[1, 64, 1024])
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--dt", type=float, default=0.01)
    ap.add_argument("--loop-members", type=int, default=8,
                    help="most members timed in the simulate loop (the rest extrapolated)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    net = dense_ei(args.n, seed=args.seed)
    span = (0.0, args.steps * args.dt)
    kw = dict(dt=args.dt, method="rk4", save_every=args.steps)
    have_jax = _jax.available()
    rows = []
    for B in args.batches:
        rng = np.random.default_rng(args.seed + B)
        X0 = rng.uniform(0.0, 1.0, (B, args.n))
        U = rng.uniform(0.5, 1.5, (B, args.n))

        m = min(B, args.loop_members)
        start = time.perf_counter()
        ref = np.array([simulate(net, X0[k], span, u=U[k], **kw).final for k in range(m)])
        t_loop = (time.perf_counter() - start) * B / m

        start = time.perf_counter()
        res = simulate_batch(net, X0, span, u=U, backend="numpy", **kw)
        t_np = time.perf_counter() - start
        err_np = float(np.abs(res.final[:m] - ref).max())

        t_jax = t_compile = err_jax = float("nan")
        if have_jax:
            short = (0.0, 10 * args.dt)
            start = time.perf_counter()  # warm-up: same shapes, so the same compiled program
            simulate_batch(net, X0, short, u=U, backend="jax", dt=args.dt, method="rk4",
                           save_every=10)
            t_compile = time.perf_counter() - start
            start = time.perf_counter()
            res_j = simulate_batch(net, X0, span, u=U, backend="jax", **kw)
            t_jax = time.perf_counter() - start
            err_jax = float(np.abs(res_j.final[:m] - ref).max())
        rows.append((B, m, t_loop, t_np, t_jax, t_compile, err_np, err_jax))

    print(f"n = {args.n} dense E–I ReLU, {args.steps} rk4 steps of dt = {args.dt}; "
          f"jax {'available' if have_jax else 'NOT installed'}")
    head = (f"{'B':>5} {'loop s':>10} {'numpy s':>9} {'jax s':>8} {'jax compile s':>14} "
            f"{'loop/numpy':>11} {'loop/jax':>9} {'numpy/jax':>10} {'max|Δ| np':>10} "
            f"{'max|Δ| jax':>10}")
    print(head)
    print("-" * len(head))
    for B, m, t_loop, t_np, t_jax, t_c, e_np, e_jax in rows:
        mark = "*" if m < B else " "
        print(f"{B:>5} {t_loop:>9.2f}{mark} {t_np:>9.2f} {t_jax:>8.2f} {t_c:>14.2f} "
              f"{t_loop / t_np:>11.1f} {t_loop / t_jax:>9.1f} {t_np / t_jax:>10.2f} "
              f"{e_np:>10.1e} {e_jax:>10.1e}")
    print("* loop time extrapolated from the first --loop-members members")


if __name__ == "__main__":
    main()
