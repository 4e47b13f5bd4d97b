"""Peer benchmark: the 80-node Wilson–Cowan network of ``bench_peer_neurolib.py``, vs BrainPy.

The same 160-neuron system as there (80 E–I nodes, dense coupling ``K_gl · Cmat`` onto the E
populations, neurolib's local couplings and time constants, logistic activation, no delays, no
noise, 10 s at dt = 0.1 ms: 100 000 explicit Euler steps, every step saved), written for BrainPy
as eicircuits integrates it, ``τ ẋ = −x + Φ(Wx + u)`` with ``Φ(z) = 1/(1 + e^{−4z})`` and the
dense 160 × 160 ``W``, so the final states can be compared. Two BrainPy programs:

* ``brainpy DynamicalSystem``: a ``brainpy.DynamicalSystem`` whose state is a ``bm.Variable``,
  stepped by ``bm.for_loop`` (a ``jax.lax.scan``) inside ``bm.jit``;
* ``jax lax.scan``: the same Euler step as a pure function, ``jax.jit(lax.scan(...))``, the
  lower bound of what a JAX-compiled program of this loop costs.

Both run on the CPU in float64 (``bm.enable_x64()``) and, with ``--float32``, also in float32
(BrainPy's default precision). "cold" is the first call (tracing + XLA compilation + run), "warm"
the best of the following ``--repeat`` calls; each timed call resets the state and ends with the
whole trajectory as a NumPy array on the host. Agreement with eicircuits' trajectory: max |Δx| over
the 160 final states (the network settles on a fixed point within about 100 ms) and over the
transient, every 10th step of the first 200 ms.

BrainPy and neurolib run in subprocesses, each with the python given. BrainPy 2.8.2 installs
into eicircuits' own environment without changing its pins (jax 0.10.2, numpy 2.4.6), so that
python will do; neurolib brings ~35 packages of its own, so give it a separate environment
(``python3 -m venv NEUROLIB_VENV && NEUROLIB_VENV/bin/pip install neurolib``). Run by hand::

    python benchmarks/bench_peer_brainpy.py --brainpy-python PATH/TO/python \
        [--neurolib-python PATH/TO/neurolib-venv/bin/python] [--float32]

Measured, this version (three runs of ``--float32 --repeat 3`` in a row, OMP_NUM_THREADS=1, a
2-core shared VM at load average 1.0–1.2, slower than the one of the earlier figures below;
wall seconds, each cell the three runs; "jax" is ``simulate(..., backend="jax")``, the lean
single-run program: one ``lax.scan`` writing every saved row into one buffer, no per-step
bound check, float32 or float64)::

    eicircuits numba  float64   cold 1.28 1.19 1.31   warm 0.472 0.525 0.505
    eicircuits jax    float64   cold 0.73 0.78 0.74   warm 0.386 0.483 0.425
    eicircuits numba  float32   cold 0.79 0.87 0.92   warm 0.363 0.312 0.316
    eicircuits jax    float32   cold 0.48 0.56 0.49   warm 0.239 0.222 0.234
    BrainPy           float64   cold 0.94 0.83 0.68   warm 0.474 0.454 0.457
    jax lax.scan      float64   cold 0.97 0.59 0.67   warm 0.461 0.443 0.430
    BrainPy           float32   cold 0.54 0.56 0.50   warm 0.260 0.247 0.233
    jax lax.scan      float32   cold 0.43 0.42 0.47   warm 0.233 0.232 0.231
    eicircuits numpy  float64   warm 1.9–2.7 (float32 2.2–2.8)

Verdict: with the JAX single-run path eicircuits is at parity with BrainPy, not reliably
ahead: float32 warm 0.22–0.24 s against 0.23–0.26 s and cold 0.48–0.56 s against 0.50–0.56 s;
float64 warm 0.39–0.48 s against 0.45–0.47 s and cold 0.73–0.78 s against 0.68–0.94 s. Both
run the same XLA loop (a plain ``lax.scan`` is the floor for either); run-to-run noise on this
machine (±10 %) is as large as the differences. The numba kernel is slower here (float32 dense
mat-vec 1.7 µs of a 3.1–3.6 µs step, at the L2 bandwidth floor of ~1.1 µs only in XLA's Eigen
kernel; 8-row blocking, BLAS ``sgemv`` and an axpy layout measured no better), and its cold
start carries numba's one-off registry set-up (0.45 s in a fresh process, before the kernel
loads from the cache). Final states agree with float64 to 2e-8 (float32) and 1.2e-17.

"cold": the first call in a fresh process after importing eicircuits and the backend's
compiler library (numba, or jax with its CPU client started), as BrainPy's script imports jax
and brainpy and builds its model before the clock starts. Import times are not included on
either side (jax ~1 s, numba ~0.25 s).

Earlier measurements (previous version, another VM state), kept for the record::

    eicircuits numba  float64   cold 0.55   warm 0.29
    eicircuits numpy  float64   cold 1.03   warm 0.72
    eicircuits jax    float64   cold 1.28   warm 0.43   (one member of simulate_batch)
    BrainPy           float64   cold 0.49   warm 0.31
    jax lax.scan      float64   cold 0.42   warm 0.31
    BrainPy           float32   cold 0.28   warm 0.16
    jax lax.scan      float32   cold 0.26   warm 0.15
    neurolib (numba)  float64   cold 2.21   warm 1.05
    eicircuits numba  float32   cold 0.49–0.50   warm 0.185–0.194
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_peer_neurolib import (
    DT,
    DURATION,
    N_NODES,
    NEUROLIB_SCRIPT,
    P,
    run_ours,
    wilson_cowan_network,
)

from eicircuits import simulate
from eicircuits.dynamics import _kernels

BRAINPY_SCRIPT = r"""
import json, sys, time
import numpy as np
import jax
import brainpy as bp
import brainpy.math as bm

d = np.load(sys.argv[1])
repeat = int(sys.argv[2])
precision = sys.argv[3]
if precision == "float64":
    bm.enable_x64()
dtype = np.float64 if precision == "float64" else np.float32
W, u, x0 = (d[k].astype(dtype) for k in ("W", "u", "x0"))
dt_tau = (float(d["dt"]) / d["tau"]).astype(dtype)
n_steps = int(d["n_steps"])


class WilsonCowan(bp.DynamicalSystem):
    def __init__(self):
        super().__init__()
        self.W, self.u, self.dt_tau = bm.asarray(W), bm.asarray(u), bm.asarray(dt_tau)
        self.x = bm.Variable(bm.asarray(x0))

    def update(self, i):
        x = self.x.value
        self.x.value = x + self.dt_tau * (-x + bm.sigmoid(4.0 * (self.W @ x + self.u)))
        return self.x.value


model = WilsonCowan()
steps = bm.arange(n_steps)


@bm.jit
def run_brainpy(idx):
    return bm.for_loop(model.update, idx, progress_bar=False)


def brainpy_call():
    model.x.value = bm.asarray(x0)
    xs = run_brainpy(steps)
    return np.concatenate([x0[None], np.asarray(bm.as_jax(xs))])


Wj, uj, dtj = jax.numpy.asarray(W), jax.numpy.asarray(u), jax.numpy.asarray(dt_tau)


def euler_step(x, _):
    x = x + dtj * (-x + jax.nn.sigmoid(4.0 * (Wj @ x + uj)))
    return x, x


@jax.jit
def run_jax(x):
    return jax.lax.scan(euler_step, x, None, length=n_steps)[1]


def jax_call():
    xs = run_jax(jax.numpy.asarray(x0))
    return np.concatenate([x0[None], np.asarray(xs)])


out = {"versions": {"brainpy": bp.__version__, "jax": jax.__version__,
                    "devices": [str(dv) for dv in jax.devices()]}, "rows": []}
for label, call in (("brainpy DynamicalSystem", brainpy_call), ("jax lax.scan", jax_call)):
    times, cpu = [], []
    for _ in range(repeat + 1):
        t, c = time.perf_counter(), time.process_time()
        xs = call()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    out["rows"].append({"label": f"{label} ({precision})", "cold": times[0],
                        "warm": min(times[1:]), "cpu": min(cpu[1:]), "dtype": str(xs.dtype),
                        "shape": list(xs.shape), "x_final": xs[-1].astype(float).tolist(),
                        "x_transient": xs[:2001:10].astype(float).tolist()})
print(json.dumps(out))
"""


OURS_COLD_SCRIPT = r"""
import json, sys, time
import numpy as np
from eicircuits import Network, simulate
from eicircuits.activations import Logistic

d = np.load(sys.argv[1])
net = Network(W=d["W"], u=d["u"], tau=d["tau"], activation=Logistic())
# the compiler library imported (and JAX's CPU client started) before the clock starts, as
# the BrainPy script imports jax and brainpy and builds its model before timing
if sys.argv[2] == "jax":
    import jax
    jax.devices()
elif sys.argv[2] == "numba":
    import numba
t, c = time.perf_counter(), time.process_time()
traj = simulate(net, d["x0"], (0.0, float(d["duration"])), method="euler", dt=float(d["dt"]),
                backend=sys.argv[2], dtype=sys.argv[3])
print(json.dumps({"cold": time.perf_counter() - t, "cpu": time.process_time() - c,
                  "dtype": str(traj.x.dtype), "shape": list(traj.x.shape)}))
"""


def run_ours_dtype(net, x0: np.ndarray, backend: str,
                   dtype: str) -> tuple[float, float, np.ndarray]:
    """eicircuits' fixed-step path at ``dtype``, every step saved (as :func:`run_ours`)."""
    import time

    t, c = time.perf_counter(), time.process_time()
    traj = simulate(net, x0, (0.0, DURATION), method="euler", dt=DT, backend=backend,
                    threads="auto" if backend != "jax" else None, dtype=dtype)
    elapsed, cpu = time.perf_counter() - t, time.process_time() - c
    assert traj.success and traj.x.dtype == np.dtype(dtype), traj
    return elapsed, cpu, traj.x


def run_peer(python: str, script: str, args: list[str]) -> dict | None:
    """Run ``script`` with ``python`` in a subprocess; the last stdout line is JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "peer.py"
        path.write_text(script, encoding="utf-8")
        proc = subprocess.run([python, str(path), *args], capture_output=True, text=True,
                              check=False)
    if proc.returncode != 0:
        print(f"{python} failed:\n{proc.stderr[-3000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--brainpy-python", default=os.environ.get("BRAINPY_PYTHON"),
                    help="python of a virtual environment with brainpy and jax installed")
    ap.add_argument("--neurolib-python", default=os.environ.get("NEUROLIB_PYTHON"),
                    help="python of a virtual environment with neurolib installed")
    ap.add_argument("--float32", action="store_true",
                    help="also run BrainPy (its default precision) and eicircuits "
                         "(simulate(..., dtype=np.float32)) in float32")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    # the network and initial state of bench_peer_neurolib.py
    rng = np.random.default_rng(0)
    C = rng.uniform(0.0, 1.0, (N_NODES, N_NODES))
    np.fill_diagonal(C, 0.0)
    C /= C.sum(axis=1, keepdims=True)
    exc0 = 0.05 * rng.uniform(0, 1, N_NODES)
    inh0 = 0.05 * rng.uniform(0, 1, N_NODES)
    net = wilson_cowan_network(C)
    x0 = np.concatenate([exc0, inh0])
    n_steps = round(DURATION / DT)

    rows: list[tuple[str, float, float, float, float | None, float | None]] = []
    has_jax = importlib.util.find_spec("jax") is not None
    backends = (["numba"] if _kernels.available() else []) + ["numpy"]
    x_ref = x_ref_transient = None
    for backend in backends:
        threads = "auto" if backend == "numba" else None
        cold = run_ours(net, x0, backend, threads)[0]
        warm, cpu = (min(v) for v in zip(*(run_ours(net, x0, backend, threads)
                                             for _ in range(args.repeat)), strict=True))
        xs = simulate(net, x0, (0.0, DURATION), method="euler", dt=DT, backend=backend,
                      threads=threads).x
        if x_ref is None:
            x_ref, x_ref_transient = xs[-1], xs[:2001:10]
        rows.append((f"eicircuits euler/{backend} (float64)", cold, warm, cpu,
                     float(np.max(np.abs(xs[-1] - x_ref))),
                     float(np.max(np.abs(xs[:2001:10] - x_ref_transient)))))

    if args.float32:
        # cold: a fresh process (import, numba's set-up, loading the cached float32 kernel,
        # the run), since this one has already paid numba's one-off costs for float64
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "wc.npz"
            np.savez(data, W=net.W, u=net.u, tau=net.tau, x0=x0, dt=DT, duration=DURATION)
            for backend in backends + (["jax"] if has_jax else []):
                run_peer(sys.executable, OURS_COLD_SCRIPT, [str(data), backend, "float32"])
                fresh = run_peer(sys.executable, OURS_COLD_SCRIPT,
                                 [str(data), backend, "float32"])  # the kernel now cached
                runs = [run_ours_dtype(net, x0, backend, "float32")
                        for _ in range(args.repeat)]
                xs = runs[-1][2]
                rows.append((f"eicircuits euler/{backend} (float32)",
                             fresh["cold"] if fresh else float("nan"),
                             min(r[0] for r in runs), min(r[1] for r in runs),
                             float(np.max(np.abs(xs[-1] - x_ref))),
                             float(np.max(np.abs(xs[:2001:10] - x_ref_transient)))))

    if has_jax:  # simulate(..., backend="jax"): cold in a fresh process, as for float32
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "wc.npz"
            np.savez(data, W=net.W, u=net.u, tau=net.tau, x0=x0, dt=DT, duration=DURATION)
            fresh = run_peer(sys.executable, OURS_COLD_SCRIPT, [str(data), "jax", "float64"])
        runs = [run_ours_dtype(net, x0, "jax", "float64") for _ in range(args.repeat + 1)][1:]
        xs = runs[-1][2]
        rows.insert(len(backends), (
            "eicircuits euler/jax (float64)", fresh["cold"] if fresh else float("nan"),
            min(r[0] for r in runs), min(r[1] for r in runs),
            float(np.max(np.abs(xs[-1] - x_ref))),
            float(np.max(np.abs(xs[:2001:10] - x_ref_transient)))))
    else:
        print("eicircuits jax backend: skipped (jax is not installed)")

    versions = None
    if args.brainpy_python:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "wc.npz"
            np.savez(data, W=net.W, u=net.u, tau=net.tau, x0=x0, dt=DT, n_steps=n_steps)
            for precision in ("float64", "float32") if args.float32 else ("float64",):
                peer = run_peer(args.brainpy_python, BRAINPY_SCRIPT,
                                [str(data), str(args.repeat), precision])
                if peer is None:
                    continue
                versions = peer["versions"]
                for r in peer["rows"]:
                    assert r["shape"] == [n_steps + 1, 2 * N_NODES], r["shape"]
                    rows.append((r["label"], r["cold"], r["warm"], r["cpu"],
                                 float(np.max(np.abs(np.asarray(r["x_final"]) - x_ref))),
                                 float(np.max(np.abs(np.asarray(r["x_transient"])
                                                     - x_ref_transient)))))
    else:
        print("BrainPy: skipped (pass --brainpy-python or set BRAINPY_PYTHON)")

    if args.neurolib_python:
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "wc.npz"
            np.savez(data, Cmat=C, exc0=exc0, inh0=inh0, duration=DURATION, dt=DT,
                     K_gl=P["K_gl"])
            peer = run_peer(args.neurolib_python, NEUROLIB_SCRIPT, [str(data), str(args.repeat)])
            if peer is not None:
                # neurolib's equation has the refractory factor (1 − x): no agreement check
                rows.append(("neurolib WCModel (numba, float64)", peer["cold"], peer["warm"],
                             peer["cpu"], None, None))
    else:
        print("neurolib: skipped (pass --neurolib-python or set NEUROLIB_PYTHON)")

    print(f"80-node Wilson–Cowan, 160 neurons, {DURATION / 1000:g} s at dt = {DT} ms "
          f"({n_steps} Euler steps, every step saved); best of {args.repeat} warm")
    if versions is not None:
        print(f"brainpy {versions['brainpy']}, jax {versions['jax']}, "
              f"devices {', '.join(versions['devices'])}")
    ours = rows[0]
    print(f"{'contender':<42} {'cold s':>8} {'warm s':>8} {'warm CPU s':>10} {'µs/step':>8} "
          f"{'warm/ours':>9} {'|Δx| final':>10} {'|Δx| 0-200ms':>12}")
    for label, cold, warm, cpu, diff, diff_tr in rows:
        print(f"{label:<42} {cold:>8.3f} {warm:>8.3f} {cpu:>10.3f} "
              f"{warm / n_steps * 1e6:>8.2f} {warm / ours[2]:>8.2f}× "
              f"{'n/a' if diff is None else f'{diff:.1e}':>10} "
              f"{'n/a' if diff_tr is None else f'{diff_tr:.1e}':>12}")


if __name__ == "__main__":
    main()
