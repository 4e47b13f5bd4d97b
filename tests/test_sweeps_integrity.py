"""Sweep stores that cannot lie: checksums per chunk, missing points read as missing, code and
input fingerprints, a lock, workers that die with their sweep, and a kill-and-corrupt fault test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from eicircuits import Network, ValidationError
from eicircuits.errors import EICircuitsWarning
from eicircuits.sweeps import open_sweep, sweep
from eicircuits.sweeps._store import read_done


def pair(w_ee: float, w_ei: float) -> Network:
    return Network(W=[[w_ee, -w_ei], [1.0, -0.5]], cell_types="EI")


def abscissa(net: Network) -> float:
    return float(np.linalg.eigvals(net.dense_W() - np.eye(net.n)).real.max())


def n_unstable(net: Network) -> int:
    return int((np.linalg.eigvals(net.dense_W() - np.eye(net.n)).real > 0).sum())


def stable(net: Network) -> bool:
    return abscissa(net) < 0


def label(net: Network) -> str:
    return "stable" if stable(net) else "unstable"


GRID = {"w_ee": np.linspace(0.0, 2.0, 9), "w_ei": [0.5, 1.5, 3.0]}
CHUNKS = {"w_ee": 2, "w_ei": 3}  # 5 chunks of ≤ 6 points
ANALYSES = {"a": abscissa, "k": n_unstable, "s": stable, "l": label}


def _chunk_file(store: Path, name: str, i: int) -> Path:
    return store / name / "c" / str(i) / "0"


# ---------------------------------------------------------------- checksums
def test_a_corrupted_or_deleted_chunk_is_detected_on_open_and_recomputed_on_resume(tmp_path):
    store = tmp_path / "s.zarr"
    ref = sweep(pair, GRID, ANALYSES, chunks=CHUNKS, progress=False)
    sweep(pair, GRID, ANALYSES, chunks=CHUNKS, store=store, progress=False)
    f = _chunk_file(store, "a", 1)
    raw = bytearray(f.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    f.write_bytes(bytes(raw))
    _chunk_file(store, "k", 3).unlink()
    with pytest.warns(EICircuitsWarning, match=r"chunks \(1, 0\), \(3, 0\).*damaged"):
        opened = open_sweep(store)
    assert opened.attrs["complete"] == 0
    assert np.isnan(opened["a"].values[2:4]).all() and np.isnan(opened["k"].values[6:8]).all()
    np.testing.assert_array_equal(opened["a"].values[:2], ref["a"].values[:2])
    # today: the deleted chunk of 'k' read back as zeros and the corrupt one as garbage/error
    with pytest.warns(EICircuitsWarning, match=r"recomputing 2 damaged chunks: \(1, 0\), \(3, 0\)"):
        again = sweep(pair, GRID, ANALYSES, chunks=CHUNKS, store=store, progress=False)
    xr.testing.assert_identical(again, ref)


def test_a_corrupted_completion_flag_means_recompute(tmp_path):
    store = tmp_path / "s.zarr"
    ref = sweep(pair, GRID, {"a": abscissa}, chunks=CHUNKS, progress=False)
    sweep(pair, GRID, {"a": abscissa}, chunks=CHUNKS, store=store, progress=False)
    (store / "_sweep" / "done" / "c" / "2" / "0").write_bytes(b"\x00garbage")
    with pytest.warns(EICircuitsWarning, match=r"\(2, 0\)"):
        again = sweep(pair, GRID, {"a": abscissa}, chunks=CHUNKS, store=store, progress=False)
    xr.testing.assert_identical(again, ref)
    assert read_done(store).all()


# ---------------------------------------------------------------- missing points are missing
def test_unfinished_points_of_integer_and_boolean_analyses_read_as_missing(tmp_path):
    store = tmp_path / "s.zarr"
    calls = []

    def fails_late(net: Network) -> int:
        calls.append(1)
        if float(net.W[0, 0]) == 0.25 and float(net.W[0, 1]) == -3.0:
            raise RuntimeError("stop")
        return n_unstable(net)

    with pytest.raises(RuntimeError, match="stop"):
        sweep(pair, GRID, {"k": fails_late, "s": stable}, chunks=CHUNKS, store=store,
              scheduler="sync", progress=False)
    ds = open_sweep(store)
    assert ds.attrs["complete"] == 0
    rows = np.repeat(read_done(store)[:, 0], [2, 2, 2, 2, 1])
    assert rows.any() and not rows[0]  # the chunk of w_ee = 0, 0.25 never finished
    # unfinished points are missing, not 0 / False (today: 0 and False, like real values)
    assert ds["k"].dtype.kind == "f" and ds["s"].dtype.kind == "f"
    assert ds["k"].attrs["kind"] == "int" and ds["s"].attrs["kind"] == "bool"
    assert np.isnan(ds["k"].values[~rows]).all() and np.isnan(ds["s"].values[~rows]).all()
    assert ds.attrs["missing_points"] == 3 * int((~rows).sum())
    ref = sweep(pair, GRID, {"k": n_unstable, "s": stable}, chunks=CHUNKS, progress=False)
    np.testing.assert_array_equal(ds["k"].values[rows], ref["k"].values[rows])
    np.testing.assert_array_equal(ds["s"].values[rows], ref["s"].values[rows])
    lazy = open_sweep(store, load=False)
    np.testing.assert_array_equal(lazy["k"].values, ds["k"].values)
    # finished, the variables keep their types
    full = sweep(pair, GRID, {"k": fails_late, "s": stable}, chunks=CHUNKS, store=tmp_path / "b",
                 on_error="record", progress=False)
    assert full["k"].dtype.kind == "i" and full["s"].dtype.kind == "b"


# ---------------------------------------------------------------- fingerprints
def test_changed_analysis_code_under_the_same_name_is_refused(tmp_path):
    store = tmp_path / "s.zarr"

    def define(body: str):  # the same function name and module, another body
        ns = {"np": np}
        exec(f"def metric(net):\n    return {body}\n", ns)
        return ns["metric"]

    first = "float(np.linalg.eigvals(net.dense_W()).real.max())"
    sweep(pair, GRID, {"a": define(first)}, chunks=CHUNKS, store=store, progress=False)
    sweep(pair, GRID, {"a": define(first)}, chunks=CHUNKS, store=store, progress=False)
    with pytest.raises(ValidationError, match=r"the code of analysis 'a' has changed"):
        sweep(pair, GRID, {"a": define("float(np.linalg.eigvals(net.dense_W()).real.min())")},
              chunks=CHUNKS, store=store, progress=False)


def test_same_code_with_another_captured_value_is_refused(tmp_path):
    store = tmp_path / "s.zarr"

    def shifted(c: float):
        return lambda net: abscissa(net) + c

    sweep(pair, GRID, {"a": shifted(1.0)}, chunks=CHUNKS, store=store, progress=False)
    sweep(pair, GRID, {"a": shifted(1.0)}, chunks=CHUNKS, store=store, progress=False)
    with pytest.raises(ValidationError, match=r"the code of analysis 'a' has changed"):
        sweep(pair, GRID, {"a": shifted(2.0)}, chunks=CHUNKS, store=store, progress=False)


def test_changed_spec_file_content_is_not_resumed(tmp_path, monkeypatch, capsys):
    from eicircuits import cli

    monkeypatch.setattr(cli, "COMMANDS", {"sweep": "sweep"})
    np.save(tmp_path / "w.npy", np.array([[0.5, -1.0], [1.0, -0.5]]))
    spec = tmp_path / "n.toml"
    spec.write_text('[network]\nW = "w.npy"\ncell_types = "EI"\ntau = [1.0, 1.0]\n')
    store = tmp_path / "m.zarr"
    argv = ["sweep", str(spec), "--grid", "u=0,1", "--analysis", "regime", "--out",
            str(store), "--quiet"]
    assert cli.main(argv) == 0
    assert cli.main(argv) == 0  # unchanged: resumes (nothing to do)
    np.save(tmp_path / "w.npy", np.array([[0.5, -2.0], [1.0, -0.5]]))
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "different sweep" in err and "w.npy" in err


# ---------------------------------------------------------------- lock
def test_a_store_in_use_is_refused(tmp_path):
    from filelock import FileLock

    store = tmp_path / "s.zarr"
    with FileLock(str(store) + ".lock"):
        script = textwrap.dedent(f"""
            import numpy as np
            from eicircuits import Network
            from eicircuits.sweeps import sweep
            def pair(w_ee, w_ei):
                return Network(W=[[w_ee, -w_ei], [1.0, -0.5]])
            try:
                sweep(pair, {{"w_ee": [0.0, 1.0], "w_ei": [1.0]}},
                      {{"a": lambda net: 1.0}}, store={str(store)!r}, progress=False)
            except ValueError as exc:
                print("REFUSED", exc)
        """)
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                             timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert "REFUSED" in out.stdout and "in use by another sweep" in out.stdout, out.stderr
    assert not store.exists()


# ---------------------------------------------------------------- kill and corrupt
_FAULT_SCRIPT = """
import sys, time
import numpy as np
from eicircuits import Network
from eicircuits.sweeps import sweep

def pair(w_ee, w_ei):
    return Network(W=[[w_ee, -w_ei], [1.0, -0.5]], cell_types="EI")

def slow(net):
    time.sleep(0.01)
    return float(np.linalg.eigvals(net.dense_W() - np.eye(2)).real.max())

def count(net):
    return int((np.linalg.eigvals(net.dense_W() - np.eye(2)).real > 0).sum())

def lab(net):
    return "up" if slow(net) > 0 else "down"

if __name__ == "__main__":  # process workers are spawned: they import this file
    ds = sweep(pair, {"w_ee": np.linspace(0, 2, 12), "w_ei": np.linspace(0, 3, 10)},
               {"a": slow, "k": count, "l": lab}, chunks={"w_ee": 1, "w_ei": 10},
               store=sys.argv[1], scheduler=sys.argv[2], num_workers=2, progress=False)
    print("DONE", ds.attrs["complete"])
"""


def _corrupt(store: Path, rng: np.random.Generator) -> None:
    # every chunk file: analyses, coordinates, completion flags and checksums
    files = sorted(p for p in store.rglob("*") if p.is_file() and "c" in
                   p.relative_to(store).parts)
    for f in (rng.choice(files, size=min(3, len(files)), replace=False) if files else []):
        action = rng.integers(3)
        if action == 0:
            f.unlink()
        elif action == 1:
            raw = bytearray(f.read_bytes())
            if raw:
                k = int(rng.integers(len(raw)))
                raw[k] ^= int(rng.integers(1, 256))
            f.write_bytes(bytes(raw))
        else:
            f.write_bytes(f.read_bytes()[: max(0, f.stat().st_size // 2)])


def _fault_run(tmp_path: Path, rounds: int, seed: int, scheduler: str) -> None:
    rng = np.random.default_rng(seed)
    script = tmp_path / "fault.py"
    script.write_text(_FAULT_SCRIPT)
    store = tmp_path / "f.zarr"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    ns: dict = {"__name__": "fault"}
    exec(_FAULT_SCRIPT, ns)  # the same functions, in this process: the reference
    ref = sweep(ns["pair"], {"w_ee": np.linspace(0, 2, 12), "w_ei": np.linspace(0, 3, 10)},
                {"a": ns["slow"], "k": ns["count"], "l": ns["lab"]},
                chunks={"w_ee": 1, "w_ei": 10}, num_workers=2, progress=False)
    for _ in range(rounds):
        proc = subprocess.Popen([sys.executable, str(script), str(store), scheduler], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30  # start counting once the sweep has begun
        while not store.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(float(rng.uniform(0.0, 1.5)))
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        if store.exists():
            _corrupt(store, rng)
    final = subprocess.run([sys.executable, "-W", "ignore", str(script), str(store), scheduler],
                           env=env, capture_output=True, text=True, timeout=300)
    if "DONE 1" not in final.stdout:
        # the only other acceptable outcome: a refusal that names the damage
        assert "damaged" in final.stderr or "not a Zarr sweep store" in final.stderr, \
            final.stderr
        return
    ds = open_sweep(store)  # verified again: a warning here (filterwarnings=error) fails
    xr.testing.assert_identical(ds.drop_attrs(), ref.drop_attrs())


def test_killed_and_corrupted_sweeps_end_equal_to_an_uninterrupted_run(tmp_path):
    _fault_run(tmp_path, rounds=2, seed=1, scheduler="threads")


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(4))
def test_killed_and_corrupted_sweeps_many_rounds(tmp_path, seed):
    _fault_run(tmp_path, rounds=5, seed=seed, scheduler="processes" if seed % 2 else "threads")


# ---------------------------------------------------------------- no orphaned workers
_WORKER_SCRIPT = """
import numpy as np
from eicircuits.sweeps import sweep
from slowmod import pair, slow  # a module, so that the spawned workers can import them

if __name__ == "__main__":
    sweep(pair, {"w": np.arange(8.0)}, {"a": slow}, chunks={"w": 1},
          scheduler="processes", num_workers=2, progress=False)
"""

_SLOWMOD = """
import multiprocessing, os, time
from pathlib import Path
from eicircuits import Network

def pair(w):
    return Network(W=[[w]])

def slow(net):
    if multiprocessing.parent_process() is None:
        return 0.0  # the layout probe, in the sweep's own process
    Path(os.environ["PIDDIR"], str(os.getpid())).touch()
    time.sleep(60)
    return 0.0
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return True


@pytest.mark.parametrize("sig", [signal.SIGKILL,
                                 pytest.param(signal.SIGINT, marks=pytest.mark.slow)])
def test_killing_a_processes_sweep_leaves_no_workers(tmp_path, sig):
    (tmp_path / "slowmod.py").write_text(_SLOWMOD)
    piddir = tmp_path / "pids"
    piddir.mkdir()
    script = tmp_path / "w.py"
    script.write_text(_WORKER_SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PIDDIR": str(piddir),
           "PYTHONPATH": str(tmp_path) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 90
    while len(list(piddir.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    pids = [int(p.name) for p in piddir.iterdir()]
    assert len(pids) >= 2, proc.communicate(timeout=5)
    proc.send_signal(sig)
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    alive = [p for p in pids if _alive(p)]
    for p in alive:  # clean up what we started, then fail
        os.kill(p, signal.SIGKILL)
    assert not alive, f"workers {alive} outlived their sweep"


# ---------------------------------------------------------------- certify's verified path
def test_builtin_certified_is_certify_itself_and_rate_says_why_it_is_nan(tmp_path):
    from eicircuits.circuits import wilson_cowan
    from eicircuits.stability import certify

    wc = {"w_ie": 1.0, "w_ii": 0.5, "tau_i": 2.0}  # unequal τ: LDS proves, no rate stated
    grid = {"w_ee": [0.3, 0.8, 1.5], "w_ei": [1.0]}
    ds = sweep(wilson_cowan, grid, ["certified", "kind", "rate", "margin"], params=wc,
               store=tmp_path / "c.zarr", progress=False)
    for i, w in enumerate(grid["w_ee"]):
        cert = certify(wilson_cowan(w, 1.0, **wc))
        assert bool(ds["certified"].values[i, 0]) == cert.certified
        assert ds["kind"].values[i, 0] == cert.kind
        r = ds["rate"].values[i, 0]
        assert np.isnan(r) if cert.rate is None else r == cert.rate
    assert np.isnan(ds["rate"].values).sum() == 2  # LDS (w_ee = 0.8) and none (1.5)
    assert "NaN where the network is proven stable without a rate" in ds["rate"].attrs["note"]
    mem = sweep(wilson_cowan, grid, ["rate"], params=wc, progress=False)
    assert mem["rate"].attrs["note"] == ds["rate"].attrs["note"]


# ---------------------------------------------------------------- simulate(resume=...) too
def test_simulate_resume_refuses_another_callable_input(tmp_path):
    # a checkpoint identifies its input by the values u(t) returns, not only "a callable"
    from eicircuits import simulate

    net = Network(W=[[0.5, -1.0], [1.0, -0.5]], cell_types="EI")
    ck = tmp_path / "ck.npz"
    kw = {"method": "rk4", "dt": 0.01}

    def u_sin(t: float) -> np.ndarray:
        return np.array([1.0 + 0.3 * np.sin(t), 0.0])

    part = simulate(net, np.zeros(2), (0.0, 5.0), u=u_sin, **kw, max_steps=100, checkpoint=ck)
    assert part.status == "max_steps"
    with pytest.raises(ValidationError, match="written for a different run"):
        simulate(net, np.zeros(2), (0.0, 5.0), u=lambda t: np.array([1.0 + 0.3 * np.cos(t),
                                                                      0.0]),
                 **kw, checkpoint=ck, resume=True)
    # the same input (another callable returning the same values) continues
    full = simulate(net, np.zeros(2), (0.0, 5.0), u=u_sin, **kw)
    rest = simulate(net, np.zeros(2), (0.0, 5.0), u=lambda t: u_sin(t), **kw, checkpoint=ck,
                    resume=True)
    np.testing.assert_array_equal(rest.x, full.x)
