"""Benchmark of the game layer on large sparse networks.

For sparse random networks (about 20 synapses per neuron) of growing size it times, best of
``--repeat`` runs:

- ``rate_field``: one evaluation of ``τ⁻¹(−x + Φ(Wx + u))`` — the baseline every ratio is
  measured against (the cost of one step of the dynamics);
- ``best_response`` and ``regret`` (all players at once, self-coupling ``W_ii = 0.3``; ReLU:
  closed form, tanh: the prox of ``g/(1 − W_ii)`` by safeguarded Newton);
- ``potential``: weighted-potential detection along a spanning forest, on a D-symmetrisable
  network (the whole forest is built and every synapse checked) and on a Dale E–I network
  (rejected at the first E–I pair);
- the naive alternatives at the smallest size: a Python loop over neurons of one-player best
  responses, and per-neuron numerical minimisation of ``E_i`` (SciPy ``minimize_scalar``).

Run by hand::

    python benchmarks/bench_games.py [--sizes 1000 10000 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
from scipy import optimize

from eicircuits import Network, ReLU, Tanh, game


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def random_sparse(n: int, rng: np.random.Generator, *, symmetrisable: bool) -> sp.csr_array:
    k = 20
    rows = np.repeat(np.arange(n), k // 2)
    cols = rng.integers(0, n, rows.size)
    keep = rows != cols
    rows, cols = rows[keep], cols[keep]
    vals = rng.normal(0, 0.5 / np.sqrt(k), rows.size)
    A = sp.coo_array((vals, (rows, cols)), shape=(n, n)).tocsr()
    A = (A + sp.diags_array(np.full(n, 0.15))).tocsr()  # W_ii ≠ 0: tanh needs a real prox
    if symmetrisable:
        S = (A + A.T).tocsr()
        d = rng.uniform(0.5, 2.0, n)
        return (sp.diags_array(1.0 / d) @ S).tocsr()
    W = (abs(A) + abs(A.T)).tocsr()
    n_e = int(0.8 * n)
    sign = np.where(np.arange(n) < n_e, 1.0, -3.0)
    return (W @ sp.diags_array(sign)).tocsr()


def measure(n: int, rng: np.random.Generator, repeat: int, smallest: bool
            ) -> list[tuple[int, str, float, float]]:
    """All measurements at one size."""
    rows: list[tuple[int, str, float, float]] = []
    Wsym = random_sparse(n, rng, symmetrisable=True)
    Wei = random_sparse(n, rng, symmetrisable=False)
    u = rng.normal(0, 1, n)
    relu = Network(W=Wsym, u=u, activation=ReLU())
    tanh = Network(W=Wsym, u=u, activation=Tanh())
    ei = Network(W=Wei, u=u, cell_types="E" * int(0.8 * n) + "I" * (n - int(0.8 * n)))
    x = rng.uniform(0, 0.9, n)
    base = best_of(lambda net=relu: net.rate_field(x), repeat)
    rows.append((n, "rate_field (baseline)", base, 1.0))
    g_relu, g_tanh = game(relu), game(tanh)
    cases: list[tuple[str, Callable[[], object]]] = [
        ("best_response, ReLU", lambda g=g_relu: g.best_response(x)),
        ("regret, ReLU", lambda g=g_relu: g.regret(x)),
        ("best_response, tanh", lambda g=g_tanh: g.best_response(x)),
        ("regret, tanh", lambda g=g_tanh: g.regret(x)),
        ("potential, symmetrisable", lambda net=relu: game(net).potential()),
        ("potential, Dale E–I (rejected)", lambda net=ei: game(net).potential()),
    ]
    for label, fn in cases:
        t = best_of(fn, repeat)
        rows.append((n, label, t, t / base))
    res = game(relu).potential()
    assert res.exists, res.reason
    assert not game(ei).potential().exists
    if smallest:
        def loop(g=g_relu, x=x) -> None:
            for k in range(n):
                g._respond_one(k, x)

        t = best_of(loop, 1)
        rows.append((n, "naive: Python loop of one-player BRs", t, t / base))
        Wd = Wsym.toarray()
        s = Wd @ x - Wd.diagonal() * x + u
        a = 1.0 - Wd.diagonal()

        def scalar(s=s, a=a) -> None:
            for k in range(n):
                optimize.minimize_scalar(lambda y, k=k: 0.5 * a[k] * y * y - s[k] * y,
                                         bounds=(0.0, 1e3), method="bounded")

        t = best_of(scalar, 1)
        rows.append((n, "naive: minimize_scalar per neuron", t, t / base))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    rows: list[tuple[int, str, float, float]] = []
    for n in args.sizes:
        rows += measure(n, rng, args.repeat, n == min(args.sizes))
    print(f"{'n':>8}  {'measurement':<38} {'time [ms]':>11} {'× rate_field':>13}")
    for n, label, t, r in rows:
        print(f"{n:>8}  {label:<38} {1e3 * t:>11.3f} {r:>13.1f}")


if __name__ == "__main__":
    main()
