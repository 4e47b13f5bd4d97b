"""Benchmark: exact equilibrium vs simulating to steady state (issue 2, "Benchmarks").

Random sparse E–I ReLU networks: 80 % excitatory, 20 % inhibitory, Dale signs, inhibitory
weights 4× the excitatory ones (balanced on average), each neuron receiving ``k`` synapses drawn
at random (10 % density at N = 10³, 10⁴; at N = 10⁵ the issue's "10⁷ synapses", i.e. 100 per
row, since 10 % density would be 10⁹ synapses). Weights are scaled so that the bulk spectral
radius of ``W`` (circular law, ``√(k E[w²])``) is ``RHO`` < 1, so ``W − I`` is stable; the
largest real part of the spectrum is measured (``scipy.sparse.linalg.eigs``) and printed.

For each size, in the same run on the same machine:

* ``equilibrium(net)`` (globalised active-set Newton; GMRES on the active submatrix), and
* ``scipy.integrate.RK45`` (the solver behind ``solve_ivp(method="RK45")``) stepped from
  ``x = 0`` until ``‖ẋ‖∞ < 1e-8`` (read from the solver's own last derivative, so the stopping
  test costs nothing extra). With the default tolerances (rtol 1e-3) RK45 never gets there: its
  step size sits at the stability limit and the solution chatters at ``‖ẋ‖∞ ≈ 1e-4`` (seen
  here at N = 10³ for 4000 steps); rtol 1e-5, 1e-6, 1e-7 stall at 3e-6, 4e-7, 3e-8. We use
  rtol = 1e-8, atol = 1e-10, the loosest power of ten that reaches the target.

Run by hand: ``python benchmarks/bench_equilibrium.py [--sizes 1000 10000 100000]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.integrate import RK45
from threadpoolctl import threadpool_limits

from eicircuits import Network, equilibrium

RHO = 0.8
STEADY = 1e-8
RTOL, ATOL = 1e-8, 1e-10


def random_ei_sparse(n: int, k: int, seed: int) -> tuple[sp.csr_array, str, np.ndarray]:
    """Dale-sign sparse E–I weights with ``k`` inputs per neuron, bulk radius ``RHO``."""
    rng = np.random.default_rng(seed)
    n_e = int(0.8 * n)
    rows = np.repeat(np.arange(n, dtype=np.int64), k)
    cols = rng.integers(0, n, size=n * k)
    mag = rng.random(n * k)
    sign = np.where(cols < n_e, 1.0, -4.0)
    vals = mag * sign
    second_moment = np.mean(vals**2)
    vals *= RHO / np.sqrt(k * second_moment)
    W = sp.csr_array((vals, (rows, cols)), shape=(n, n))
    W.sum_duplicates()
    u = rng.normal(1.0, 1.0, size=n)
    return W, "E" * n_e + "I" * (n - n_e), u


def simulate_to_steady(net: Network) -> tuple[float, np.ndarray, int, int]:
    W, u = net.W, net.u

    def f(t: float, x: np.ndarray) -> np.ndarray:
        return np.maximum(W @ x + u, 0.0) - x

    t0 = time.perf_counter()
    solver = RK45(f, 0.0, np.zeros(net.n), t_bound=1e9, rtol=RTOL, atol=ATOL)
    steps = 0
    while np.max(np.abs(solver.f)) >= STEADY:
        msg = solver.step()
        steps += 1
        if solver.status != "running":
            raise RuntimeError(f"RK45 stopped: {msg}")
    return time.perf_counter() - t0, solver.y.copy(), steps, solver.nfev


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"bulk spectral radius of W: {RHO}; RK45 (rtol {RTOL:g}, atol {ATOL:g}) stops at "
          f"‖ẋ‖∞ < {STEADY:g}; BLAS limited to 1 thread")
    header = (f"{'N':>7} {'synapses':>10} {'abscissa':>9} {'active':>7} | {'eq s':>7} "
              f"{'eq resid':>9} {'it':>3} | {'RK45 s':>8} {'steps':>6} {'nfev':>6} "
              f"{'sim resid':>9} {'max|Δx|':>8} | {'speed-up':>8}")
    print(header)
    print("-" * len(header))
    for n in args.sizes:
        k = int(0.1 * n) if n <= 10_000 else 100
        W, types, u = random_ei_sparse(n, k, args.seed)
        net = Network(W=W, u=u, cell_types=types)
        abscissa = float(spla.eigs(W, k=1, which="LR", return_eigenvectors=False,
                                   tol=1e-6)[0].real) if n <= 10_000 else float("nan")
        with threadpool_limits(1):
            t0 = time.perf_counter()
            eq = equilibrium(net)
            t_eq = time.perf_counter() - t0
            t_sim, x_sim, steps, nfev = simulate_to_steady(net)
        sim_res = float(np.max(np.abs(x_sim - np.maximum(W @ x_sim + u, 0.0))))
        print(f"{n:>7} {W.nnz:>10} {abscissa:>9.3f} {eq.active.size / n:>7.1%} | "
              f"{t_eq:>7.3f} {eq.residual:>9.1e} {eq.iterations:>3} | {t_sim:>8.2f} "
              f"{steps:>6} {nfev:>6} {sim_res:>9.1e} {np.max(np.abs(eq.x - x_sim)):>8.1e} | "
              f"{t_sim / t_eq:>7.1f}×", flush=True)
        if not eq.converged:
            print(f"   equilibrium did not converge: {eq.message}")


if __name__ == "__main__":
    main()
