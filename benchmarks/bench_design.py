"""Benchmarks for certified design (issue 9): synthesis, solvers, fitting, the first-order method.

Run by hand::

    .venv/bin/python benchmarks/bench_design.py            # default tables (several minutes)
    .venv/bin/python benchmarks/bench_design.py --quick    # smaller sizes, a smoke test
    .venv/bin/python benchmarks/bench_design.py --full     # adds the slow SDP sizes (n = 100)

Tables:

1. SDP solvers through cvxpy (Clarabel, CVXOPT, SCS) on the same design program: time, solver
   status and the recomputed target residual.
2. ``synthesize`` (SDP) and ``synthesize_first_order`` vs n and the number of targets K:
   seconds, recomputed residual, certificate verified.
3. ``fit`` vs plain least squares (no Dale's law, no stability) on held-out inputs, over random
   hidden networks and noise levels; how often the plain fit is not even stable; and the joint
   program vs alternating W/P steps.
4. The first-order method at n = 1000.

Targets come from a hidden random Dale network made LDS (P = I) by ``stabilize``; every result
is re-verified (``Certificate.verify``) and every target recomputed by ``equilibrium``.
"""

from __future__ import annotations

import argparse
import functools
import time

import numpy as np

from eicircuits import Network, ReLU, equilibrium, spectral_abscissa
from eicircuits.design import fit, stabilize, synthesize, synthesize_first_order


def hidden_network(n: int, seed: int) -> Network:
    rng = np.random.default_rng(seed)
    types = "E" * (n - n // 3) + "I" * (n // 3)
    sign = np.array([1.0 if c == "E" else -1.0 for c in types])
    W = rng.uniform(0, 1, (n, n)) * sign[None, :] * (rng.random((n, n)) < 0.6) * 3 / np.sqrt(n)
    np.fill_diagonal(W, np.where(sign > 0, 0.3, -0.3))
    return stabilize(Network(W=W, cell_types=types), weights=np.ones(n), eta=0.2).network


def targets_of(net: Network, K: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    U = np.random.default_rng(seed).normal(0.5, 1.0, (K, net.n))
    return U, np.array([equilibrium(net, u=u).x for u in U])


def _row(*cells: object) -> None:
    print(" | ".join(f"{c:>10}" if not isinstance(c, str) else f"{c:<10}" for c in cells),
          flush=True)


def solvers(sizes: list[tuple[int, int]]) -> None:
    print("\n1. SDP solvers on the design program (seconds in the solver / total)")
    _row("n", "K", "solver", "status", "solve s", "total s", "residual")
    for n, K in sizes:
        net = hidden_network(n, seed=1)
        U, X = targets_of(net, K, seed=2)
        for solver in ("CLARABEL", "CVXOPT", "SCS"):
            t0 = time.perf_counter()
            d = synthesize(list(zip(U, X, strict=True)), cell_types=net.cell_types,
                           solver=solver, method="sdp")
            total = time.perf_counter() - t0
            _row(n, K, solver, d.status, f"{d.stats['solver_seconds']:.2f}", f"{total:.2f}",
                 f"{d.residual:.1e}")


def synthesis(grid: list[tuple[int, int]], sdp_max: int) -> None:
    print("\n2. synthesize (SDP, Clarabel) and synthesize_first_order vs n and K")
    _row("n", "K", "method", "status", "seconds", "residual", "verified")
    for n, K in grid:
        net = hidden_network(n, seed=3)
        U, X = targets_of(net, K, seed=4)
        pairs = list(zip(U, X, strict=True))
        runs = [("first-order", synthesize_first_order)]
        if n <= sdp_max:
            runs.insert(0, ("sdp", functools.partial(synthesize, method="sdp")))
        for name, fn in runs:
            t0 = time.perf_counter()
            d = fn(pairs, cell_types=net.cell_types)
            sec = time.perf_counter() - t0
            ok = bool(d.certificate.verify()) if d.certificate is not None else False
            _row(n, K, name, d.status, f"{sec:.2f}", f"{d.residual:.1e}", str(ok))


def least_squares(U: np.ndarray, X: np.ndarray) -> np.ndarray:
    n = U.shape[1]
    W = np.zeros((n, n))
    for i in range(n):
        act = X[:, i] > 0
        W[i] = np.linalg.lstsq(X[act], X[act, i] - U[act, i], rcond=None)[0]
    return W


def fitting(n: int, trials: int, sigmas: list[float]) -> None:
    print(f"\n3. fit (certified) vs plain least squares, n = {n}, 40 training and 40 held-out "
          f"inputs, {trials} hidden networks per noise level")
    _row("sigma", "method", "rms held", "max held", "unstable", "no eq.")
    for sigma in sigmas:
        res: dict[str, list[float]] = {"joint": [], "alternating": [], "lstsq": []}
        worst: dict[str, list[float]] = {k: [] for k in res}
        unstable = no_eq = 0
        for trial in range(trials):
            net = hidden_network(n, seed=100 + trial)
            U, X = targets_of(net, 80, seed=200 + trial)
            rng = np.random.default_rng(300 + trial)
            noisy = X[:40] + sigma * rng.normal(size=X[:40].shape)
            for method in ("joint", "alternating"):
                d = fit(U[:40], noisy, cell_types=net.cell_types, method=method,
                        silent_below=3 * sigma)
                assert d.feasible and d.certificate.verify()
                pred = np.array([equilibrium(d.network, u=u).x for u in U[40:]])
                res[method].append(float(np.sqrt(np.mean((pred - X[40:]) ** 2))))
                worst[method].append(float(np.max(np.abs(pred - X[40:]))))
            Wls = least_squares(U[:40], np.maximum(noisy, 0.0))
            if spectral_abscissa(Wls - np.eye(n)) >= 0:
                unstable += 1
            eqs = [equilibrium(Network(W=Wls), u=u, method="lemke") for u in U[40:]]
            if all(e.converged for e in eqs):
                pred = np.array([e.x for e in eqs])
                res["lstsq"].append(float(np.sqrt(np.mean((pred - X[40:]) ** 2))))
                worst["lstsq"].append(float(np.max(np.abs(pred - X[40:]))))
            else:
                no_eq += 1
        for method in res:
            vals = res[method]
            rms = f"{np.median(vals):.2e}" if vals else "—"
            mx = f"{np.median(worst[method]):.2e}" if vals else "—"
            extra = (f"{unstable}/{trials}", f"{no_eq}/{trials}") if method == "lstsq" else (
                "0", "0")
            _row(f"{sigma:g}", method, rms, mx, *extra)


def large(n: int, K: int) -> None:
    print(f"\n4. first-order design at n = {n}, K = {K}")
    net = hidden_network(n, seed=5)
    U, X = targets_of(net, K, seed=6)
    t0 = time.perf_counter()
    d = synthesize_first_order(list(zip(U, X, strict=True)), cell_types=net.cell_types,
                               max_iter=1000)
    sec = time.perf_counter() - t0
    ver = d.certificate.verify() if d.certificate is not None else None
    print(f"n = {n}, K = {K}: {d.status} in {sec:.1f} s, {d.stats['iterations']} rounds, "
          f"residual {d.residual:.1e}, s = {d.stats['s']:.4f}, verified: "
          f"{ver.valid if ver else False} ({ver.method if ver else '-'})")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--full", action="store_true", help="add the slow SDP sizes")
    args = ap.parse_args()
    _ = ReLU  # the default activation of every design here
    if args.quick:
        solvers([(10, 10)])
        synthesis([(10, 10), (30, 20)], sdp_max=30)
        fitting(6, 2, [0.01])
        large(200, 20)
    else:
        solvers([(10, 10), (30, 20)] + ([(50, 20)] if args.full else []))
        synthesis([(10, 10), (10, 50), (50, 10), (50, 40), (100, 10), (100, 50), (100, 80),
                   (200, 50), (200, 100)] + ([(50, 50)] if args.full else []),
                  sdp_max=100 if args.full else 50)
        fitting(10, 10, [0.01, 0.05])
        large(1000, 50)
