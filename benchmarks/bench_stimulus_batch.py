"""Batch sweeps of stimulus protocols: 10³ members, each its own pulse protocol, NumPy vs JAX.

A dense E–I network of ``n`` = 200 ReLU neurons (80 % E, 20 % I, spectral radius of W 0.6),
B members, member ``k`` driven by ``u + pulse(t_on_k, t_off_k, a_k)`` on the E population
(onsets, offsets and amplitudes drawn per member: a different switching schedule for each),
``steps`` rk4 steps of dt = 0.01 from rest, saving every 100th step. Contenders:

- ``numpy``: ``simulate_batch(..., u=[...], backend="numpy")`` (the batched core of stimuli,
  noise and delays: the protocols sampled a block of steps at a time);
- ``jax``: ``simulate_batch(..., u=[...], backend="jax")`` (per-member tables of switching
  times and piece values inside the compiled loop), warm (the compile time shown apart).

The saved trajectories of both are compared (max |Δx|). ``bench_noise.py --sweep`` times the
easier sweep in which members differ only in amplitude (one shared switching schedule). Run by
hand::

    python benchmarks/bench_stimulus_batch.py [--batch 1000] [--steps 2000]

One run of the default command (2 shared cores, OMP_NUM_THREADS=1, jax 0.10.2 CPU, float64)::

    B = 1000, n = 200, 2000 rk4 steps, saved every 100
    numpy   194.8 s
    jax      19.6 s   (compile 4.0 s)   numpy/jax 10.0×   max |Δx| 4.4e-15

The NumPy core re-samples each member's protocol a block of steps at a time (1000 different
switching schedules: most blocks contain some member's switch); the JAX loop looks each
member's piece up in its table inside the compiled step. A smaller run (B = 100, 500 steps):
numpy 1.6 s, jax 0.9 s (compile 3.0 s).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from eicircuits import Network, simulate_batch, stimulus
from eicircuits.activations import ReLU


def network(n: int, rng: np.random.Generator) -> Network:
    ne = int(0.8 * n)
    W = np.abs(rng.normal(size=(n, n)))
    W[:, ne:] *= -ne / (n - ne)
    W *= 0.6 / np.max(np.abs(np.linalg.eigvals(W)))
    return Network(W=W, u=np.full(n, 0.2), activation=ReLU(), cell_types="E" * ne + "I" * (n - ne))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    net = network(args.n, rng)
    ne = int(0.8 * args.n)
    dt = 0.01
    span = (0.0, args.steps * dt)
    on = rng.uniform(0.1, 0.4, args.batch) * span[1]
    off = on + rng.uniform(0.1, 0.4, args.batch) * span[1]
    amp = rng.uniform(0.0, 1.0, args.batch)
    protocols = [stimulus.constant(net.u) + stimulus.pulse(a, b, c, neurons=np.arange(ne))
                 for a, b, c in zip(on, off, amp, strict=True)]
    x0 = np.zeros((args.batch, args.n))
    kw = dict(method="rk4", dt=dt, save_every=100)
    times: dict[str, float] = {}
    results = {}
    for backend in ("numpy", "jax"):
        if backend == "jax":
            t = time.perf_counter()
            simulate_batch(net, x0, span, u=protocols, backend="jax", **kw)
            compile_s = time.perf_counter() - t
        t = time.perf_counter()
        results[backend] = simulate_batch(net, x0, span, u=protocols, backend=backend, **kw)
        times[backend] = time.perf_counter() - t
        assert results[backend].ok, results[backend].message
    diff = float(np.max(np.abs(results["numpy"].x - results["jax"].x)))
    print(f"B = {args.batch}, n = {args.n}, {args.steps} rk4 steps, saved every 100")
    print(f"numpy  {times['numpy']:6.1f} s")
    print(f"jax    {times['jax']:6.1f} s   (compile {compile_s - times['jax']:.1f} s)   "
          f"numpy/jax {times['numpy'] / times['jax']:.1f}×   max |Δx| {diff:.1e}")


if __name__ == "__main__":
    main()
