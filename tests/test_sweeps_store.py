"""Sweep stores: chunks written as they finish, resume after a crash, refusal of other sweeps."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
import xarray as xr
import zarr

from eicircuits import Network, ValidationError
from eicircuits.sweeps import open_sweep, sweep
from eicircuits.sweeps._store import META_KEY, read_done


def pair(w_ee: float, w_ei: float) -> Network:
    return Network(W=[[w_ee, -w_ei], [1.0, -0.5]], cell_types="EI")


def ens(n: int, rng: np.random.Generator) -> Network:
    A = rng.exponential(1.0, size=(n, n))
    return Network(W=A * np.where(np.arange(n) < n // 2, 1.0, -1.0))


def abscissa(net: Network) -> float:
    return float(np.linalg.eigvals(net.dense_W() - np.eye(net.n)).real.max())


def label(net: Network) -> str:
    return "stable" if abscissa(net) < 0 else "unstable"


def spectrum(net: Network) -> np.ndarray:
    return np.sort(np.linalg.eigvals(net.dense_W()).real)


GRID = {"w_ee": np.linspace(0.0, 2.0, 9), "w_ei": [0.5, 1.5, 3.0]}
CHUNKS = {"w_ee": 2, "w_ei": 3}  # 5 chunks of ≤ 6 points


class Counter:
    """An analysis that counts its calls and can fail (once) on given points."""

    def __init__(self, fail_at=(), exc=RuntimeError):
        self.calls = 0
        self.fail_at = set(fail_at)
        self.exc = exc
        self.lock = threading.Lock()

    def __call__(self, net: Network) -> float:
        key = (float(net.W[0, 0]), float(-net.W[0, 1]))
        with self.lock:
            self.calls += 1
            fail = key in self.fail_at
            self.fail_at.discard(key)
        if fail:
            raise self.exc(f"simulated crash at {key}")
        return abscissa(net)


def test_store_round_trips_and_equals_the_in_memory_result(tmp_path):
    store = tmp_path / "map.zarr"
    analyses = {"a": abscissa, "l": label, "s": spectrum}
    mem = sweep(pair, GRID, analyses, chunks=CHUNKS, progress=False)
    disk = sweep(pair, GRID, analyses, chunks=CHUNKS, store=store, progress=False)
    xr.testing.assert_identical(mem, disk)
    assert disk["l"].dtype.kind == "U"
    assert read_done(store).all() and read_done(store).shape == (5, 1)
    # plain xarray reads it; the strings are Zarr v3 'string' (no unstable fixed-width dtype)
    raw = xr.open_zarr(store, consolidated=False)
    assert [str(v) for v in raw["l"].values.ravel()] == mem["l"].values.ravel().tolist()
    np.testing.assert_array_equal(raw["s"].values, mem["s"].values)
    group = zarr.open_group(str(store), mode="r")
    assert group["a"].chunks == (2, 3) and group["s"].chunks == (2, 3, 2)
    meta = json.loads(group.attrs[META_KEY])
    assert meta["outputs"]["s"] == {"kind": "f", "shape": [2], "dims": ["s_dim0"]}


@pytest.mark.parametrize("exc", [RuntimeError, KeyboardInterrupt])
def test_resume_after_a_crash_recomputes_only_the_missing_chunks(tmp_path, exc):
    store = tmp_path / "crash.zarr"
    # the chunk holding w_ee = 1.0 (chunk 2) fails at its second point, (1.0, 1.5)
    counter = Counter(fail_at={(1.0, 1.5)}, exc=exc)
    with pytest.raises(exc, match="simulated crash"):
        sweep(pair, GRID, {"a": counter}, chunks=CHUNKS, store=store, scheduler="sync",
              progress=False)
    done = read_done(store)[:, 0]
    chunk_points = np.array([6, 6, 6, 6, 3])
    assert not done[2]
    points_done = int(chunk_points[done].sum())
    probe = 0 if done[0] else 1  # the first point is computed up front to learn the layout
    assert counter.calls == points_done + 2 + probe
    partial = open_sweep(store)
    assert partial.attrs["complete"] == 0
    rows_done = np.repeat(done, [2, 2, 2, 2, 1])
    assert not np.isnan(partial["a"].values[rows_done]).any()
    assert np.isnan(partial["a"].values[~rows_done]).all()
    counter.calls = 0
    ds = sweep(pair, GRID, {"a": counter}, chunks=CHUNKS, store=store, progress=False)
    assert counter.calls == 9 * 3 - points_done
    assert ds.attrs["complete"] == 1
    ref = sweep(pair, GRID, {"a": abscissa}, chunks=CHUNKS, progress=False)
    np.testing.assert_array_equal(ds["a"].values, ref["a"].values)
    # a third run computes nothing
    counter.calls = 0
    again = sweep(pair, GRID, {"a": counter}, chunks=CHUNKS, store=store, progress=False)
    assert counter.calls == 0
    xr.testing.assert_identical(again, ds)


def test_resume_with_threads_counts_only_missing_points(tmp_path):
    store = tmp_path / "threads.zarr"
    counter = Counter(fail_at={(2.0, 3.0)})
    with pytest.raises(RuntimeError):
        sweep(pair, GRID, {"a": counter}, chunks=CHUNKS, store=store, num_workers=2,
              progress=False)
    done = read_done(store)
    assert not done.all()
    chunk_points = np.array([6, 6, 6, 6, 3])
    missing = int(chunk_points[~done[:, 0]].sum())
    counter.calls = 0
    sweep(pair, GRID, {"a": counter}, chunks=CHUNKS, store=store, num_workers=2, progress=False)
    assert counter.calls == missing


def test_resume_reuses_the_recorded_entropy(tmp_path):
    store = tmp_path / "ens.zarr"
    calls = Counter(fail_at={(0.0, 0.0)})  # never matches: only counts

    def total(net: Network) -> float:
        calls(pair(0.5, 0.5))
        return float(np.abs(net.dense_W()).sum())

    first = sweep(ens, {"n": [2, 3]}, {"t": total}, seeds=4, chunks={"seed": 2}, store=store,
                  progress=False)
    # rng=None twice: the second run resumes with the stored root seed (nothing recomputed)
    calls.calls = 0
    second = sweep(ens, {"n": [2, 3]}, {"t": total}, seeds=4, chunks={"seed": 2}, store=store,
                   progress=False)
    assert calls.calls == 0
    xr.testing.assert_identical(first, second)
    with pytest.raises(ValidationError, match=r"the random seed .* differ"):
        sweep(ens, {"n": [2, 3]}, {"t": total}, seeds=4, chunks={"seed": 2}, store=store,
              rng=12345, progress=False)


@pytest.mark.parametrize("change, match", [
    ({"grid": {"w_ee": np.linspace(0.0, 2.0, 5), "w_ei": [0.5, 1.5, 3.0]}},
     r"grid parameter 'w_ee' has 9 values from 0 to 2 there and 5 values from 0 to 2 here"),
    ({"grid": {"w_ee": np.linspace(0.0, 1.0, 9), "w_ei": [0.5, 1.5, 3.0]}},
     "grid parameter 'w_ee' has 9 values from 0 to 2 there and 9 values from 0 to 1 here"),
    ({"grid": {"w_ei": [0.5, 1.5, 3.0], "w_ee": np.linspace(0.0, 2.0, 9)}},
     r"its dimensions are \['w_ee', 'w_ei'\], this sweep's are \['w_ei', 'w_ee'\]"),
    ({"chunks": {"w_ee": 3}}, r"the chunks \(points per chunk\) differ: \[2, 3\] there"),
    ({"analyses": {"b": abscissa}}, r"the analyses differ: \['a'\] there, \['b'\] here"),
    ({"on_error": "record"}, "the on_error policy differ"),
])
def test_a_store_for_a_different_sweep_is_refused(tmp_path, change, match):
    store = tmp_path / "s.zarr"
    sweep(pair, GRID, {"a": abscissa}, chunks=CHUNKS, store=store, progress=False)
    kwargs = {"grid": GRID, "analyses": {"a": abscissa}, "chunks": CHUNKS, **change}
    with pytest.raises(ValidationError, match=match + ".*another store path"):
        sweep(pair, kwargs.pop("grid"), kwargs.pop("analyses"), store=store, progress=False,
              **kwargs)
    # the store is untouched
    assert read_done(store).all()


def test_a_directory_that_is_not_a_sweep_store_is_refused(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "notes.txt").write_text("hello")
    with pytest.raises(ValidationError, match="is not a Zarr sweep store"):
        sweep(pair, GRID, {"a": abscissa}, store=plain, progress=False)
    half = tmp_path / "half.zarr"
    zarr.open_group(str(half), mode="w", zarr_format=3).attrs["owner"] = "someone else"
    with pytest.raises(ValidationError, match="holds no eicircuits sweep"):
        sweep(pair, GRID, {"a": abscissa}, store=half, progress=False)
    with pytest.raises(ValidationError, match="does not exist"):
        open_sweep(tmp_path / "nothing.zarr")
    # an empty group (or folder) holds nothing to lose: a sweep is created in it
    empty = tmp_path / "empty.zarr"
    zarr.open_group(str(empty), mode="w", zarr_format=3)
    assert sweep(pair, GRID, {"a": abscissa}, store=empty, progress=False).attrs["complete"]


def test_record_mode_store_keeps_messages(tmp_path):
    store = tmp_path / "rec.zarr"
    counter = Counter(fail_at={(0.25, 0.5), (2.0, 3.0)})
    ds = sweep(pair, GRID, {"a": counter, "l": label}, chunks=CHUNKS, store=store,
               on_error="record", progress=False)
    assert int((~ds["ok"]).sum()) == 2
    assert ds["error"].sel(w_ee=0.25, w_ei=0.5).item() == \
        "RuntimeError: simulated crash at (0.25, 0.5)"
    assert ds["l"].sel(w_ee=0.25, w_ei=0.5).item() == ""
    assert np.isnan(ds["a"].sel(w_ee=2.0, w_ei=3.0).item())
    assert list(ds.data_vars) == ["a", "l", "ok", "error"]


def test_distributed_run_writes_the_same_store(tmp_path):
    distributed = pytest.importorskip("distributed")
    ref = sweep(ens, {"n": [2, 3, 4]}, {"a": abscissa}, seeds=3, rng=5, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        ds = sweep(ens, {"n": [2, 3, 4]}, {"a": abscissa}, seeds=3, rng=5,
                   scheduler=cluster.scheduler_address, store=tmp_path / "d.zarr",
                   chunks={"n": 1, "seed": 1}, progress=False)
    np.testing.assert_array_equal(ds["a"].values, ref["a"].values)
    assert read_done(tmp_path / "d.zarr").shape == (3, 3)


def test_changed_fixed_parameters_or_builder_are_refused(tmp_path):
    store = tmp_path / "p.zarr"

    def pair_u(w_ee: float, w_ei: float, u_e: float = 0.0) -> Network:
        return Network(W=[[w_ee, -w_ei], [1.0, -0.5]], u=[u_e, 0.0], cell_types="EI")

    sweep(pair_u, GRID, {"a": abscissa}, params={"u_e": 1.0}, store=store, progress=False)
    with pytest.raises(ValidationError, match=r"the fixed builder parameters differ: "
                                              r"\{'u_e': 1.0\} there, \{'u_e': 2.0\} here"):
        sweep(pair_u, GRID, {"a": abscissa}, params={"u_e": 2.0}, store=store, progress=False)
    with pytest.raises(ValidationError, match="the builder differ"):
        sweep(pair, GRID, {"a": abscissa}, store=store, progress=False)


def test_open_sweep_lazily(tmp_path):
    store = tmp_path / "lazy.zarr"
    sweep(pair, GRID, {"a": abscissa, "l": label}, chunks=CHUNKS, store=store, progress=False)
    lazy = open_sweep(store, load=False)
    assert lazy["a"].chunks is not None  # Dask-backed
    eager = open_sweep(store)
    np.testing.assert_array_equal(lazy["a"].values, eager["a"].values)
    assert [str(v) for v in lazy["l"].values.ravel()] == eager["l"].values.ravel().tolist()
