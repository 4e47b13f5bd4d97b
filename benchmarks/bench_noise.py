"""Cost of noise, delays and stimulus protocols per step, against the deterministic step.

A random sparse E–I ReLU network (``circuits.random_ei``, N = 10⁴ neurons, density 1 %: 10⁶
synapses, int64 indices as the builder returns them) is run for ``--steps`` steps of
``dt = 0.01`` by :func:`eicircuits.simulate`, saving only the last state:

- ``euler`` on the NumPy backend, and on the numba backend (the deterministic references);
- ``euler-maruyama`` with white rate noise (random numbers included; NumPy core and numba
  kernel), and with OU input noise;
- ``euler`` on a step + sine stimulus protocol (sampled on the grid in blocks);
- ``euler`` with delays (E synapses 2, I synapses 1 time unit: two mat-vecs of half size) and
  ``rk4`` with and without those delays.

Goals (issue 11): noise within 1.5× of the deterministic step, delays within 2× of the
undelayed step. Timings are best of ``--repeat`` (interleaved), in ms per step.

``--sweep`` instead times a batch sweep of stimulus protocols: 10³ members of a dense
160-neuron E–I network, each with its own pulse amplitude, 10 time units of ``rk4`` with
``dt = 0.01``, on the NumPy and the JAX backends (JAX cold, then warm).

Run by hand::

    python benchmarks/bench_noise.py                 # 2000 steps
    python benchmarks/bench_noise.py --steps 100000  # the issue's 10⁵ Euler–Maruyama steps
    python benchmarks/bench_noise.py --sweep
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from eicircuits import Noise, simulate, stimulus
from eicircuits.circuits import random_ei


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--density", type=float, default=0.01)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sweep", action="store_true", help="time the stimulus sweep instead")
    args = ap.parse_args()
    if args.sweep:
        sweep()
        return

    net = random_ei(args.n, density=args.density, rng=0, sparse=True)
    n_e = len(net.e_idx)
    delayed = net.replace(delays={"E": 2.0, "I": 1.0})
    x0 = np.zeros(net.n)
    dt, steps = 0.01, args.steps
    span = (0.0, steps * dt)
    stim = stimulus.constant(net.u) + stimulus.step(5.0, 0.2, neurons=range(n_e),
                                                    n=net.n) + stimulus.sine(0.5, 0.1)
    cases = {
        "euler numpy": lambda: simulate(net, x0, span, dt=dt, method="euler",
                                        backend="numpy", save_every=steps),
        "euler numba": lambda: simulate(net, x0, span, dt=dt, method="euler",
                                        backend="numba", save_every=steps),
        "EM white rate noise": lambda: simulate(net, x0, span, dt=dt, noise=Noise(0.1),
                                                rng=1, save_every=steps),
        "EM white, numba": lambda: simulate(net, x0, span, dt=dt, noise=Noise(0.1), rng=1,
                                            backend="numba", save_every=steps),
        "EM OU input noise": lambda: simulate(net, x0, span, dt=dt,
                                              noise=Noise(0.1, kind="input", tau=1.0),
                                              rng=1, save_every=steps),
        "euler stimulus": lambda: simulate(net, x0, span, dt=dt, method="euler", u=stim,
                                           save_every=steps),
        "euler delays": lambda: simulate(delayed, x0, span, dt=dt, method="euler",
                                         save_every=steps),
        "rk4 numpy": lambda: simulate(net, x0, span, dt=dt, method="rk4", backend="numpy",
                                      save_every=steps),
        "rk4 delays": lambda: simulate(delayed, x0, span, dt=dt, method="rk4",
                                       save_every=steps),
    }
    cases["euler numba"]()  # compile (or load the cache) outside the timing
    best = dict.fromkeys(cases, np.inf)
    for _ in range(args.repeat):
        for name, fn in cases.items():
            t = time.perf_counter()
            traj = fn()
            best[name] = min(best[name], time.perf_counter() - t)
            assert traj.status == "success", (name, traj.message)
    ref = best["euler numpy"]
    print(f"N = {net.n}, {net.W.nnz} synapses, {steps} steps of dt = {dt} "
          f"(index dtype {net.W.indices.dtype})")
    print(f"{'case':24s} {'ms/step':>9s} {'× euler numpy':>14s}")
    for name, sec in best.items():
        print(f"{name:24s} {1e3 * sec / steps:9.3f} {sec / ref:14.2f}")
    print(f"rk4 delays / rk4 numpy: {best['rk4 delays'] / best['rk4 numpy']:.2f}")
    print(f"EM white numpy / euler numpy: "
          f"{best['EM white rate noise'] / best['euler numpy']:.2f}")
    print(f"EM white numba / euler numba: {best['EM white, numba'] / best['euler numba']:.2f}")


def sweep(B: int = 1000) -> None:
    from eicircuits import simulate_batch

    net = random_ei(160, density=0.5, rng=0, sparse=False)
    stims = [stimulus.constant(net.u) + stimulus.pulse(2.0, 4.0, a, neurons=range(40), n=160)
             for a in np.linspace(0.0, 2.0, B)]
    X0 = np.zeros((B, net.n))
    out = {}
    for label, backend in (("numpy", "numpy"), ("jax cold", "jax"), ("jax warm", "jax")):
        t = time.perf_counter()
        out[label] = simulate_batch(net, X0, (0.0, 10.0), dt=0.01, method="rk4", u=stims,
                                    backend=backend, save_every=100)
        print(f"{label:9s} {time.perf_counter() - t:7.2f} s")
    print(f"max |numpy − jax| = {np.max(np.abs(out['numpy'].x - out['jax warm'].x)):.2g}")


if __name__ == "__main__":
    main()
