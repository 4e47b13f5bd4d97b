"""Peer benchmark: an 80-node Wilson–Cowan network, eicircuits vs neurolib's ``WCModel``.

Both integrate 80 E–I nodes (160 neurons) with dense inter-node coupling ``K_gl · Cmat`` onto the
E populations, neurolib's local couplings and time constants, a logistic activation, no delays,
no noise, for 10 s of model time at dt = 0.1 ms (100 000 explicit Euler steps), saving every step.
The same ``Cmat`` and initial state go to both.

neurolib runs in its own virtual environment (its pins differ from ours), in a subprocess:
create it with ``python3 -m venv NEUROLIB_VENV && NEUROLIB_VENV/bin/pip install neurolib`` and
pass ``--neurolib-python NEUROLIB_VENV/bin/python`` (or set ``NEUROLIB_PYTHON``).

The models differ in one respect that this benchmark cannot remove: neurolib's Wilson–Cowan
equation has the refractory factor ``(1 − x)`` in front of the sigmoid,
``τ ẋ = −x + (1 − x) S(a(input − μ))``; eicircuits integrates ``τ ẋ = −x + Φ(Wx + u)`` with
``Φ`` the logistic ``1/(1 + e^{−4z})``, the gain ``a`` and threshold ``μ`` folded into ``W`` and
``u`` (``W = (a/4)·W_wc``, ``u = −(a/4)·μ``). The work per step is the same: one coupling
mat-vec, 160 exponentials and an Euler update. Timings: "cold" is the first call in a fresh
process (neurolib compiles its numba kernel on every new process; ours loads a disk cache,
compiled once per machine), "warm" the best of the following ``--repeat`` calls.

Run by hand::

    python benchmarks/bench_peer_neurolib.py --neurolib-python PATH/TO/venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from eicircuits import Logistic, Network, simulate
from eicircuits.dynamics import _kernels

N_NODES = 80
DT = 0.1  # ms
DURATION = 10_000.0  # ms
# neurolib's WC defaults
P = {"tau_exc": 2.5, "tau_inh": 3.75, "c_excexc": 16.0, "c_excinh": 15.0, "c_inhexc": 12.0,
     "c_inhinh": 3.0, "a_exc": 1.5, "a_inh": 1.5, "mu_exc": 3.0, "mu_inh": 3.0, "K_gl": 0.6}

NEUROLIB_SCRIPT = r"""
import json, sys, time
import numpy as np
from neurolib.models.wc import WCModel

d = np.load(sys.argv[1])
repeat = int(sys.argv[2])
C = d["Cmat"]
m = WCModel(Cmat=C, Dmat=np.zeros_like(C), seed=0)
m.params["duration"] = float(d["duration"])
m.params["dt"] = float(d["dt"])
m.params["sigma_ou"] = 0.0
m.params["K_gl"] = float(d["K_gl"])
m.params["exc_init"] = d["exc0"].reshape(-1, 1)
m.params["inh_init"] = d["inh0"].reshape(-1, 1)
times, cpu = [], []
for _ in range(repeat + 1):
    t, c = time.perf_counter(), time.process_time()
    m.run()
    times.append(time.perf_counter() - t)
    cpu.append(time.process_time() - c)
print(json.dumps({"cold": times[0], "warm": min(times[1:]), "cpu": min(cpu[1:]),
                  "shape": list(m.exc.shape),
                  "exc_final": m.exc[:, -1].tolist()}))
"""


def wilson_cowan_network(C: np.ndarray) -> Network:
    """The 160-neuron network: E nodes 0..79, I nodes 80..159, neurolib's coupling scaled."""
    n = len(C)
    eye = np.eye(n)
    W_ee = P["c_excexc"] * eye + P["K_gl"] * C
    W_ei = -P["c_inhexc"] * eye  # I -> E
    W_ie = P["c_excinh"] * eye  # E -> I
    W_ii = -P["c_inhinh"] * eye
    W = np.block([[W_ee * P["a_exc"], W_ei * P["a_exc"]],
                  [W_ie * P["a_inh"], W_ii * P["a_inh"]]]) / 4.0
    u = np.concatenate([np.full(n, -P["a_exc"] * P["mu_exc"]),
                        np.full(n, -P["a_inh"] * P["mu_inh"])]) / 4.0
    tau = np.concatenate([np.full(n, P["tau_exc"]), np.full(n, P["tau_inh"])])
    return Network(W=W, tau=tau, u=u, activation=Logistic(), cell_types="E" * n + "I" * n)


def run_ours(net: Network, x0: np.ndarray, backend: str,
             threads: int | str | None) -> tuple[float, float]:
    t, c = time.perf_counter(), time.process_time()
    traj = simulate(net, x0, (0.0, DURATION), method="euler", dt=DT, backend=backend,
                    threads=threads)
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    assert traj.status == "success" and traj.x.shape == (100_001, 2 * N_NODES), traj
    return elapsed, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurolib-python", default=os.environ.get("NEUROLIB_PYTHON"),
                    help="python of a virtual environment with neurolib installed")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    C = rng.uniform(0.0, 1.0, (N_NODES, N_NODES))
    np.fill_diagonal(C, 0.0)
    C /= C.sum(axis=1, keepdims=True)  # row-normalised, as structural connectomes usually are
    exc0 = 0.05 * rng.uniform(0, 1, N_NODES)
    inh0 = 0.05 * rng.uniform(0, 1, N_NODES)
    net = wilson_cowan_network(C)
    x0 = np.concatenate([exc0, inh0])

    rows: list[tuple[str, float, float, float]] = []
    backends = (["numba"] if _kernels.available() else []) + ["numpy"]
    for backend in backends:
        for threads in (("auto",) if backend == "numba" else ("auto", None)):
            cold = run_ours(net, x0, backend, threads)[0]
            warm, cpu = (min(v) for v in zip(*(run_ours(net, x0, backend, threads)
                                                 for _ in range(args.repeat)), strict=True))
            label = f"eicircuits euler/{backend}" + (
                "" if backend == "numba" else f", BLAS threads {'1' if threads else 'default'}"
            )
            rows.append((label, cold, warm, cpu))

    peer = None
    if args.neurolib_python:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "wc.npz"
            np.savez(data, Cmat=C, exc0=exc0, inh0=inh0, duration=DURATION, dt=DT,
                     K_gl=P["K_gl"])
            script = Path(tmp) / "run_neurolib.py"
            script.write_text(NEUROLIB_SCRIPT, encoding="utf-8")
            proc = subprocess.run([args.neurolib_python, str(script), str(data),
                                   str(args.repeat)], capture_output=True, text=True,
                                  check=False)
            if proc.returncode != 0:
                print(f"neurolib failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
            else:
                peer = json.loads(proc.stdout.strip().splitlines()[-1])
                rows.append(("neurolib WCModel (numba)", peer["cold"], peer["warm"], peer["cpu"]))
    else:
        print("neurolib: skipped (pass --neurolib-python or set NEUROLIB_PYTHON)")

    print(f"80-node Wilson–Cowan, 160 neurons, {DURATION / 1000:g} s at dt = {DT} ms "
          f"({int(DURATION / DT)} Euler steps, every step saved); best of {args.repeat} warm")
    print(f"{'contender':<48} {'cold s':>8} {'warm s':>8} {'warm CPU s':>10} {'µs/step':>8}")
    for label, cold, warm, cpu in rows:
        print(f"{label:<48} {cold:>8.3f} {warm:>8.3f} {cpu:>10.3f} "
              f"{warm / (DURATION / DT) * 1e6:>8.2f}")
    if peer is not None:
        ours = rows[0]
        print(f"speed-up of {ours[0]} over neurolib: warm {peer['warm'] / ours[2]:.2f}×, "
              f"cold {peer['cold'] / ours[1]:.2f}×, warm CPU time {peer['cpu'] / ours[3]:.2f}×")


if __name__ == "__main__":
    main()
