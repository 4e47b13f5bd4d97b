"""Sweeps: results against a plain Python loop, seeding, schedulers, bad input.

These tests use small builders and analyses defined here (NumPy oracles), so the machinery is
tested independently of the other analysis modules; tests/test_sweeps_builtins.py covers the
built-in analyses.
"""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eicircuits import Network, ValidationError
from eicircuits.sweeps import normalize_chunks, parse_axis, parse_grid, resolve_analyses, sweep
from eicircuits.sweeps._grid import MAX_POINTS_PER_CHUNK


# ---------------------------------------------------------------------------- small oracles
def pair(w_ee: float, w_ei: float, u_e: float = 1.0) -> Network:
    """A two-neuron E–I network."""
    return Network(W=[[w_ee, -w_ei], [1.0, -0.5]], u=[u_e, 0.0], cell_types="EI")


def abscissa(net: Network) -> float:
    return float(np.linalg.eigvals(net.dense_W() - np.eye(net.n)).real.max())


def label(net: Network) -> str:
    return "stable" if abscissa(net) < 0 else "unstable"


def n_unstable(net: Network) -> int:
    return int(np.sum(np.linalg.eigvals(net.dense_W() - np.eye(net.n)).real >= 0))


def hurwitz(net: Network) -> bool:
    return abscissa(net) < 0


def diag(net: Network) -> np.ndarray:
    return np.diag(net.dense_W()).copy()


ANALYSES = {"abscissa": abscissa, "label": label, "n_unstable": n_unstable,
            "hurwitz": hurwitz, "diag": diag}


def random_net(n: int, scale: float, rng: np.random.Generator) -> Network:
    """A random 'Dale' network: first half E, second half I."""
    A = rng.exponential(scale, size=(n, n))
    signs = np.where(np.arange(n) < n // 2, 1.0, -1.0)
    return Network(W=A * signs, cell_types=["E" if s > 0 else "I" for s in signs])


def total_weight(net: Network) -> float:
    return float(np.abs(net.dense_W()).sum())


# ---------------------------------------------------------------------------- the loop oracle
def test_sweep_equals_plain_loop():
    grid = {"w_ee": np.linspace(0.0, 2.0, 7), "w_ei": [0.0, 1.0, 2.5, 4.0]}
    ds = sweep(pair, grid, ANALYSES, params={"u_e": 0.5}, progress=False)
    assert ds["abscissa"].dims == ("w_ee", "w_ei")
    assert ds["diag"].dims == ("w_ee", "w_ei", "diag_dim0")
    assert ds["label"].dtype.kind == "U"
    assert ds["n_unstable"].dtype == np.int64 and ds["hurwitz"].dtype == bool
    np.testing.assert_array_equal(ds["w_ee"].values, grid["w_ee"])
    for i, a in enumerate(grid["w_ee"]):
        for j, b in enumerate(grid["w_ei"]):
            net = pair(float(a), float(b), u_e=0.5)
            assert ds["abscissa"].values[i, j] == abscissa(net)
            assert ds["label"].values[i, j] == label(net)
            assert ds["n_unstable"].values[i, j] == n_unstable(net)
            assert ds["hurwitz"].values[i, j] == hurwitz(net)
            np.testing.assert_array_equal(ds["diag"].values[i, j], diag(net))
    # an independent closed form: the 2 × 2 trace/determinant criterion
    a, b = np.meshgrid(grid["w_ee"], grid["w_ei"], indexing="ij")
    tr, det = (a - 1.0) - 1.5, (a - 1.0) * (-1.5) + b
    np.testing.assert_array_equal(ds["hurwitz"].values, (tr < 0) & (det > 0))


def test_grid_order_is_dimension_order_and_int_values_stay_int():
    seen = []

    def builder(w_ee: float, w_ei: int) -> Network:
        seen.append((w_ee, w_ei))
        assert isinstance(w_ei, int) and isinstance(w_ee, float)
        return pair(w_ee, w_ei)

    ds = sweep(builder, ["w_ei=1,2,3", "w_ee=0:1:2"], {"a": abscissa}, scheduler="sync",
               chunks={"w_ei": 3, "w_ee": 2}, progress=False)  # one chunk: C order inside it
    assert ds["a"].dims == ("w_ei", "w_ee")
    assert ds["w_ei"].dtype == np.int64
    assert seen == [(0.0, 1), (1.0, 1), (0.0, 2), (1.0, 2), (0.0, 3), (1.0, 3)]


def test_each_point_is_computed_once_including_the_probe():
    calls = []
    lock = threading.Lock()

    def counted(net: Network) -> float:
        with lock:
            calls.append(float(net.W[0, 0]))
        return abscissa(net)

    sweep(pair, {"w_ee": np.linspace(0, 1, 10), "w_ei": [1.0, 2.0, 3.0]}, {"a": counted},
          chunks={"w_ee": 3}, progress=False)
    assert len(calls) == 30


# ---------------------------------------------------------------------------- seeding
def ensemble_builder(n: int, scale: float, rng: np.random.Generator) -> Network:
    return random_net(n, scale, rng)


def test_ensemble_seeds_follow_seed_sequence_spawn():
    ds = sweep(ensemble_builder, {"n": [3, 4], "scale": [0.5, 1.0]}, {"total": total_weight},
               seeds=5, rng=123, progress=False)
    assert ds["total"].dims == ("n", "scale", "seed")
    np.testing.assert_array_equal(ds["seed"].values, np.arange(5))
    children = np.random.SeedSequence(123).spawn(2 * 2 * 5)
    for flat, (i, j, s) in enumerate(itertools.product(range(2), range(2), range(5))):
        net = random_net(int(ds["n"][i]), float(ds["scale"][j]),
                         np.random.default_rng(children[flat]))
        assert ds["total"].values[i, j, s] == total_weight(net)
    # different seeds give different networks
    assert np.unique(ds["total"].values).size == ds["total"].size


@pytest.mark.parametrize("chunks, scheduler, workers", [
    ({"seed": 1}, "sync", None),
    ({"n": 1, "scale": 1, "seed": 3}, "threads", 2),
    ({"seed": 7}, "threads", 1),
])
def test_same_seed_same_numbers_whatever_chunks_and_workers(chunks, scheduler, workers):
    kwargs = dict(seeds=7, rng=np.random.SeedSequence(99), progress=False)
    grid = {"n": [3, 5], "scale": [0.5, 1.0, 2.0]}
    ref = sweep(ensemble_builder, grid, {"total": total_weight}, **kwargs)
    other = sweep(ensemble_builder, grid, {"total": total_weight}, chunks=chunks,
                  scheduler=scheduler, num_workers=workers, **kwargs)
    np.testing.assert_array_equal(ref["total"].values, other["total"].values)
    assert ref.attrs["entropy"] == other.attrs["entropy"] == "99"


def test_generator_rng_is_consumed_deterministically_and_none_is_recorded():
    grid = {"n": [3], "scale": [1.0]}
    a = sweep(ensemble_builder, grid, {"t": total_weight}, seeds=3,
              rng=np.random.default_rng(5), progress=False)
    b = sweep(ensemble_builder, grid, {"t": total_weight}, seeds=3,
              rng=np.random.default_rng(5), progress=False)
    np.testing.assert_array_equal(a["t"].values, b["t"].values)
    fresh = sweep(ensemble_builder, grid, {"t": total_weight}, seeds=3, progress=False)
    entropy = int(fresh.attrs["entropy"])
    again = sweep(ensemble_builder, grid, {"t": total_weight}, seeds=3, rng=entropy,
                  progress=False)
    np.testing.assert_array_equal(fresh["t"].values, again["t"].values)


def test_analysis_with_rng_gets_its_own_stream():
    def noisy(net: Network, rng: np.random.Generator) -> float:
        return float(rng.random())

    ds = sweep(pair, {"w_ee": [0.0, 1.0], "w_ei": [1.0]}, {"r": noisy, "s": noisy}, rng=7,
               progress=False)
    root = np.random.SeedSequence(7)
    for flat in range(2):
        for k, name in enumerate(["r", "s"]):
            ss = np.random.SeedSequence(root.entropy, spawn_key=(flat, k))
            assert ds[name].values.ravel()[flat] == np.random.default_rng(ss).random()
    assert ds["r"].values[0, 0] != ds["s"].values[0, 0]


# ---------------------------------------------------------------------------- distributed
def test_local_cluster_gives_the_same_numbers_as_the_default_scheduler():
    distributed = pytest.importorskip("distributed")
    grid = {"n": [3, 4], "scale": [0.5, 1.5]}
    ref = sweep(ensemble_builder, grid, {"t": total_weight, "a": abscissa}, seeds=4, rng=11,
                progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        by_address = sweep(ensemble_builder, grid, {"t": total_weight, "a": abscissa}, seeds=4,
                           rng=11, scheduler=cluster.scheduler_address, chunks={"seed": 1},
                           progress=False)
        with distributed.Client(cluster) as client:
            by_client = sweep(ensemble_builder, grid, {"t": total_weight, "a": abscissa},
                              seeds=4, rng=11, scheduler=client, progress=False)
    for ds in (by_address, by_client):
        np.testing.assert_array_equal(ds["t"].values, ref["t"].values)
        np.testing.assert_array_equal(ds["a"].values, ref["a"].values)


# ---------------------------------------------------------------------------- errors at points
def test_on_error_raise_names_the_point():
    def picky(net: Network) -> float:
        if net.W[0, 0] == 1.0:
            raise ArithmeticError("no good")
        return 0.0

    with pytest.raises(ArithmeticError, match="no good") as info:
        sweep(pair, {"w_ee": [0.0, 1.0], "w_ei": [2.0]}, {"p": picky}, scheduler="sync",
              progress=False)
    assert any("w_ee=1.0, w_ei=2.0" in note for note in info.value.__notes__)


def test_on_error_record_keeps_going_and_says_where():
    def picky(net: Network) -> float:
        if net.W[0, 0] in (0.0, 1.0):
            raise ArithmeticError(f"bad w_ee {net.W[0, 0]}")
        return float(net.W[0, 0])

    ds = sweep(pair, {"w_ee": [0.0, 0.5, 1.0, 1.5], "w_ei": [2.0]},
               {"p": picky, "l": label, "k": n_unstable}, on_error="record", progress=False)
    np.testing.assert_array_equal(ds["ok"].values[:, 0], [False, True, False, True])
    assert ds["error"].values[0, 0] == "ArithmeticError: bad w_ee 0.0"
    assert ds["error"].values[1, 0] == ""
    assert np.isnan(ds["p"].values[0, 0]) and ds["p"].values[1, 0] == 0.5
    assert ds["l"].values[2, 0] == "" and ds["k"].values[2, 0] == -1


def test_analysis_output_must_keep_its_type_and_shape():
    def shapeshifter(net: Network) -> np.ndarray:
        return np.zeros(2 if net.W[0, 0] < 1 else 3)

    with pytest.raises(ValidationError, match=r"returned shape \(3,\) at w_ee=1.5.*\(2,\)"):
        sweep(pair, {"w_ee": [0.0, 1.5], "w_ei": [1.0]}, {"s": shapeshifter}, progress=False)

    def typeshifter(net: Network) -> object:
        return 1.0 if net.W[0, 0] < 1 else "one"

    with pytest.raises(ValidationError, match=r"returned a str at w_ee=1\.5.*a float"):
        sweep(pair, {"w_ee": [0.0, 1.5], "w_ei": [1.0]}, {"t": typeshifter}, progress=False)

    def widening(net: Network) -> object:
        return True if net.W[0, 0] < 1 else 2.5

    with pytest.raises(ValidationError, match=r"returned a float at w_ee=1\.5.*a bool"):
        sweep(pair, {"w_ee": [0.0, 1.5], "w_ei": [1.0]}, {"t": widening}, progress=False)


def test_ints_are_accepted_where_the_first_point_gave_a_float():
    ds = sweep(pair, {"w_ee": [0.5, 1.0]}, {"v": lambda net: 1.5 if net.W[0, 0] < 1 else 2},
               params={"w_ei": 1.0}, progress=False)
    assert ds["v"].values.tolist() == [1.5, 2.0]


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("grid, match", [
    ({}, "no parameters"),
    ([], "no parameters"),
    ({"w_ee": []}, r"grid 'w_ee': no values"),
    ({"w_ee": ["a", "b"]}, r"grid 'w_ee': values must be numbers"),
    ({"w_ee": [0.0, np.nan]}, r"grid 'w_ee': every value must be finite"),
    ({"w_ee": [[0.0, 1.0]]}, r"grid 'w_ee': values must be 1-D"),
    (["w_ee=0:1:3", "w_ee=1,2"], "'w_ee' is given more than once"),
    (["w_ee=0:1"], r"range must be START:STOP:NUM \(three numbers\)"),
    (["w_ee=0:1:2.5"], "NUM in START:STOP:NUM must be an integer >= 1"),
    (["w_ee=0:1:0"], "NUM in START:STOP:NUM must be an integer >= 1"),
    (["w_ee=0:x:3"], "'x' is not a number"),
    (["w_ee=1,two"], "'two' is not a number"),
    (["w_ee=inf"], "every value must be finite"),
    (["w_ee"], "expected NAME=START:STOP:NUM"),
    (["w_ee="], "no values after '='"),
    (["2x=1"], "must be Python identifiers"),
    ({"seed": [1, 2]}, "'seed' is reserved"),
    ({"w_ee": "0:2"}, "range must be START:STOP:NUM"),
    (3, "expected a mapping name -> values"),
])
def test_bad_grids_are_refused(grid, match):
    with pytest.raises(ValidationError, match=match):
        sweep(pair, grid, {"a": abscissa}, progress=False)


def test_parse_axis_and_grid():
    assert parse_axis("w=0:2:3")[1].tolist() == [0.0, 1.0, 2.0]
    name, values = parse_axis(" n = 10, 20 ")
    assert name == "n" and values.dtype == np.int64 and values.tolist() == [10, 20]
    assert parse_axis("x=1e-1,2")[1].dtype == np.float64
    assert parse_axis("x=-1")[1].tolist() == [-1]
    assert list(parse_grid("a=1,2")) == ["a"]


@pytest.mark.parametrize("kwargs, match", [
    ({"analyses": {"a": "no_such"}}, "unknown analysis 'no_such'; built-in ones are"),
    ({"analyses": ["no_such"]}, "unknown analysis 'no_such'"),
    ({"analyses": {}}, "analyses: none given"),
    ({"analyses": {"a": 3}}, r"analyses\['a'\]: expected a function of a Network"),
    ({"analyses": {"ok": abscissa}}, "'ok' is a reserved name"),
    ({"analyses": {"a b": abscissa}}, "names must be identifiers"),
    ({"chunks": {"w_xx": 2}}, "chunks: 'w_xx' is not a dimension"),
    ({"chunks": {"w_ee": 0}}, r"chunks\['w_ee'\]: points per chunk must be an integer >= 1"),
    ({"chunks": {"w_ee": 1.5}}, "must be an integer >= 1"),
    ({"seeds": 3}, "has no 'rng' parameter, so every seed would build the same network"),
    ({"scheduler": "fast"}, "scheduler: expected None, one of"),
    ({"on_error": "ignore"}, "on_error: expected 'raise' or 'record'"),
    ({"rng": -1}, "rng: expected None, an int >= 0"),
    ({"rng": 1.5}, "rng: expected None, an int >= 0"),
    ({"params": {"w_ee": 1.0}}, "'w_ee' is also a grid parameter"),
    ({"params": {"w_xx": 1.0}}, "'w_xx' is not a keyword parameter of the builder"),
])
def test_bad_arguments_are_refused(kwargs, match):
    kwargs = {"analyses": {"a": abscissa}, **kwargs}
    analyses = kwargs.pop("analyses")
    with pytest.raises(ValidationError, match=match):
        sweep(pair, {"w_ee": [0.0, 1.0], "w_ei": [1.0]}, analyses, progress=False, **kwargs)


def test_bad_builders_and_outputs_are_refused():
    with pytest.raises(ValidationError, match="'w_zz' is not a keyword parameter of the builder"):
        sweep(pair, {"w_zz": [1.0]}, {"a": abscissa}, progress=False)
    with pytest.raises(ValidationError, match="builder: expected a function"):
        sweep(3, {"w_ee": [1.0]}, {"a": abscissa}, progress=False)
    with pytest.raises(ValidationError, match=r"builder: returned ndarray at w=1\.0"):
        sweep(lambda w: np.eye(2), {"w": [1.0]}, {"a": abscissa}, progress=False)
    with pytest.raises(ValidationError, match="analysis 'none': returned None"):
        sweep(pair, {"w_ee": [1.0], "w_ei": [1.0]}, {"none": lambda net: None}, progress=False)
    with pytest.raises(ValidationError, match="analysis 'c': returned complex"):
        sweep(pair, {"w_ee": [1.0], "w_ei": [1.0]}, {"c": lambda net: 1j}, progress=False)
    with pytest.raises(ValidationError, match="seeds: expected an integer >= 1"):
        sweep(ensemble_builder, {"n": [3], "scale": [1.0]}, {"t": total_weight}, seeds=0,
              progress=False)


def test_resolve_analyses_accepts_names_mappings_and_one_string():
    assert list(resolve_analyses("regime")) == ["regime"]
    assert list(resolve_analyses({"x": "margin", "y": abscissa})) == ["x", "y"]
    with pytest.raises(ValidationError, match="'margin' is given more than once"):
        resolve_analyses(["margin", "margin"])
    with pytest.raises(ValidationError, match="expected a mapping name -> function"):
        resolve_analyses(3)


# ---------------------------------------------------------------------------- chunking rules
@given(st.lists(st.integers(1, 60), min_size=1, max_size=4),
       st.dictionaries(st.sampled_from(["d0", "d1", "d2", "d3"]), st.integers(1, 10)))
def test_normalize_chunks_stays_within_the_grid(shape, fixed):
    dims = [f"d{k}" for k in range(len(shape))]
    fixed = {k: v for k, v in fixed.items() if k in dims}
    chunks = normalize_chunks(fixed, dims, shape)
    assert len(chunks) == len(shape)
    for d, c, s in zip(dims, chunks, shape, strict=True):
        assert 1 <= c <= s
        if d in fixed:
            assert c == min(fixed[d], s)
    if not fixed:
        assert np.prod(chunks) <= max(MAX_POINTS_PER_CHUNK, 1)


def test_progress_bar_is_shown_on_request(capsys):
    sweep(pair, {"w_ee": [0.0, 1.0], "w_ei": [1.0]}, {"a": abscissa}, chunks={"w_ee": 1},
          progress=True)
    assert "sweep" in capsys.readouterr().err
    sweep(pair, {"w_ee": [0.0, 1.0], "w_ei": [1.0]}, {"a": abscissa}, progress=False)
    assert capsys.readouterr().err == ""


@given(st.integers(1, 6), st.integers(1, 5), st.integers(1, 7), st.integers(1, 6),
       st.sampled_from(["sync", "threads"]))
def test_any_chunking_equals_the_loop(n_a, n_b, c_a, c_b, scheduler):
    grid = {"w_ee": np.linspace(0.0, 2.0, n_a), "w_ei": np.linspace(0.5, 3.0, n_b)}
    ds = sweep(pair, grid, {"a": abscissa, "l": label, "d": diag},
               chunks={"w_ee": c_a, "w_ei": c_b}, scheduler=scheduler, progress=False)
    for i, a in enumerate(grid["w_ee"]):
        for j, b in enumerate(grid["w_ei"]):
            net = pair(float(a), float(b))
            assert ds["a"].values[i, j] == abscissa(net)
            assert ds["l"].values[i, j] == label(net)
            np.testing.assert_array_equal(ds["d"].values[i, j], diag(net))


def test_result_writes_to_netcdf(tmp_path):
    import xarray as xr

    ds = sweep(ensemble_builder, {"n": [3], "scale": [0.5, 1.0]},
               {"t": total_weight, "l": label, "h": hurwitz}, seeds=2, rng=3, progress=False)
    assert ds.attrs["analyses"] == "t,l,h" and ds.attrs["chunks"] == "n=1,scale=1,seed=1"  # MIN_CHUNKS
    ds.to_netcdf(tmp_path / "s.nc", engine="scipy")
    back = xr.open_dataset(tmp_path / "s.nc", engine="scipy").load()
    np.testing.assert_array_equal(back["t"].values, ds["t"].values)
    assert back["l"].values.tolist() == ds["l"].values.tolist()
    assert back.attrs["entropy"] == "3"
