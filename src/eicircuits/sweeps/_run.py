"""Running a sweep: one Dask task per chunk, on a local scheduler or a ``dask.distributed`` cluster.

Every point is computed independently: its network is ``builder(**params, **point)`` (plus
``rng`` when the builder takes one) and each analysis is applied to it. Random numbers come from
one root :class:`numpy.random.SeedSequence`; the point with flat (C-order) index ``k`` of the
full grid (``seed`` last for ensembles) uses ``SeedSequence(root.entropy, spawn_key=root.spawn_key
+ (k,))``, which is ``root.spawn(N)[k]``: results do not depend on chunking, scheduler or number of
workers.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import inspect
import json
import math
import multiprocessing
import os
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from .._validate import fingerprint_callable
from ..errors import EICircuitsWarning, ValidationError
from ..network import Network
from ._analyses import OutputSpec, accepts_rng, resolve_analyses
from ._grid import MAX_POINTS_PER_CHUNK, MAX_POINTS_VECTORIZED, normalize_chunks, parse_grid
from ._store import (
    FORMAT,
    _fixed_width,
    check_compatible,
    chunk_slices,
    coords_checksum,
    create_store,
    describe_chunks,
    open_meta,
    open_sweep,
    variable_attrs,
    verify_store,
    write_chunk,
)

__all__ = ["sweep"]

#: How many leading points are tried to learn the output layout when some of them fail.
PROBE_LIMIT = 100
_LOCAL = {"threads": "threads", "threading": "threads", "processes": "processes",
          "multiprocessing": "processes", "sync": "sync", "synchronous": "sync",
          "single-threaded": "sync"}
_RECORD_SPECS = {"ok": OutputSpec("b", (), ()), "error": OutputSpec("U", (), ())}


@dataclasses.dataclass(frozen=True)
class _Context:
    """Everything a chunk task needs (shipped once per worker)."""

    builder: Callable[..., Any]
    params: dict[str, Any]
    dims: tuple[str, ...]
    coords: tuple[np.ndarray, ...]  # grid parameters only (no seed)
    shape: tuple[int, ...]
    chunks: tuple[int, ...]
    analyses: dict[str, Callable[..., Any]]
    specs: dict[str, OutputSpec] | None
    builder_rng: bool
    analysis_rng: tuple[bool, ...]
    entropy: Any
    spawn_key: tuple[int, ...]
    record: bool
    store: str | None

    def where(self, idx: tuple[int, ...]) -> str:
        text = ", ".join(f"{d}={self.coords[k][idx[k]].item()!r}"
                         for k, d in enumerate(self.dims) if k < len(self.coords))
        if len(self.dims) > len(self.coords):
            text += f" (seed {idx[-1]})"
        return text

    def seed_sequence(self, flat: int, *extra: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.entropy, spawn_key=(*self.spawn_key, flat, *extra))

    def evaluate(self, idx: tuple[int, ...],
                 skip: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The raw outputs of every analysis (but those in ``skip``) at grid point ``idx``."""
        flat = int(np.ravel_multi_index(idx, self.shape))
        kwargs = dict(self.params)
        for k, values in enumerate(self.coords):
            kwargs[self.dims[k]] = values[idx[k]].item()
        if self.builder_rng:
            kwargs["rng"] = np.random.default_rng(self.seed_sequence(flat))
        net = self.builder(**kwargs)
        if not isinstance(net, Network):
            raise ValidationError(
                f"builder: returned {type(net).__name__} at {self.where(idx)}; a sweep's builder "
                "must return an eicircuits.Network"
            )
        out: dict[str, Any] = {}
        for k, (name, fn) in enumerate(self.analyses.items()):
            if name in skip:
                continue
            if self.analysis_rng[k]:
                out[name] = fn(net, rng=np.random.default_rng(self.seed_sequence(flat, k)))
            else:
                out[name] = fn(net)
        return out

    def converted(self, idx: tuple[int, ...], raw: Mapping[str, Any]) -> dict[str, Any]:
        assert self.specs is not None
        where = _Where(self, idx)  # formatted only if a message needs it
        return {name: self.specs[name].convert(name, value, where) for name, value in raw.items()}

    def vectorized_chunk(self, sel: tuple[slice, ...]) -> dict[str, np.ndarray]:
        """Outputs of the analyses that have a vectorised path for this builder, whole chunk.

        An analysis ``fn`` with an attribute ``fn.vectorized(builder, kwargs)`` may return the
        outputs for broadcast keyword arrays at once (or ``None``: not applicable); any failure
        falls back to the per-point path, so results and errors are the same.
        """
        assert self.specs is not None
        if len(self.dims) > len(self.coords) or self.builder_rng:
            return {}
        cshape = tuple(s.stop - s.start for s in sel)
        kwargs = dict(self.params)
        axes = np.meshgrid(*(values[s] for values, s in zip(self.coords, sel, strict=True)),
                           indexing="ij")
        kwargs.update(zip(self.dims, axes, strict=True))
        out = {}
        for k, (name, fn) in enumerate(self.analyses.items()):
            vec = getattr(fn, "vectorized", None)
            spec = self.specs[name]
            if vec is None or self.analysis_rng[k] or spec.shape:
                continue
            try:
                values = vec(self.builder, kwargs)
            except Exception:
                continue
            if values is None:
                continue
            values = np.asarray(values)
            if values.shape != cshape or (spec.kind == "U") != (values.dtype.kind == "U"):
                continue
            out[name] = values if spec.kind == "U" else values.astype(spec.dtype)
        return out


@dataclasses.dataclass(frozen=True)
class _Where:
    ctx: _Context
    idx: tuple[int, ...]

    def __str__(self) -> str:
        return self.ctx.where(self.idx)


def _failure(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _run_chunk(ctx: _Context, index: tuple[int, ...],
               precomputed: Mapping[int, tuple[bool, Any]]) -> tuple[tuple[int, ...], Any]:
    """Compute one chunk; write it to the store (then mark it done) or return its arrays."""
    assert ctx.specs is not None
    limit = _blas_limit()
    sel = chunk_slices(index, ctx.chunks, ctx.shape)
    cshape = tuple(s.stop - s.start for s in sel)
    specs = {**ctx.specs, **(_RECORD_SPECS if ctx.record else {})}
    arrays = {name: np.full(cshape + spec.shape, spec.fill, dtype=spec.dtype)
              for name, spec in specs.items()}
    with limit:
        whole = ctx.vectorized_chunk(sel)
        arrays.update(whole)
        skip = frozenset(whole)
        if ctx.record:
            arrays["ok"][...] = True
        points = np.ndindex(*cshape) if len(skip) < len(ctx.analyses) else ()
        for local in points:
            idx = tuple(s.start + i for s, i in zip(sel, local, strict=True))
            flat = int(np.ravel_multi_index(idx, ctx.shape))
            if flat in precomputed:
                ok, values = precomputed[flat]
                if ok:
                    values = {k: v for k, v in values.items() if k not in skip}
            else:
                try:
                    values = ctx.converted(idx, ctx.evaluate(idx, skip))
                    ok = True
                except Exception as exc:
                    if not ctx.record:
                        exc.add_note(f"(at sweep point {ctx.where(idx)})")
                        raise
                    ok, values = False, _failure(exc)
                hook = _POINT_DONE
                if hook is not None:
                    hook(index)
            if ok:
                for name, value in values.items():
                    arrays[name][local] = value
            else:  # the whole point failed: every output gets its fill value
                for name in ctx.analyses:
                    arrays[name][local] = specs[name].fill
                arrays["ok"][local] = False
                arrays["error"][local] = values
    if ctx.store is not None:
        write_chunk(ctx.store, index, ctx.chunks, ctx.shape, arrays)
        return index, None
    return index, {name: _fixed_width(values) if specs[name].kind == "U" else values
                   for name, values in arrays.items()}


def _blas_limit() -> Any:
    """One BLAS thread inside a worker process (tasks run in parallel already)."""
    import contextlib

    if multiprocessing.parent_process() is not None and \
            threading.current_thread() is threading.main_thread():
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=1)
    return contextlib.nullcontext()


# ---------------------------------------------------------------------------- seeding
def _root_seed(rng: Any) -> np.random.SeedSequence:
    if rng is None:
        return np.random.SeedSequence()
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        seq = getattr(rng.bit_generator, "seed_seq", None)
        if isinstance(seq, np.random.SeedSequence):
            return seq.spawn(1)[0]
        return np.random.SeedSequence(int(rng.integers(0, 2**63)))
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return np.random.SeedSequence(int(rng))
    raise ValidationError(
        f"rng: expected None, an int >= 0, a numpy SeedSequence or Generator, got {rng!r}"
    )


def _entropy_json(entropy: Any) -> Any:
    if isinstance(entropy, (int, np.integer)):
        return str(int(entropy))
    return [str(int(e)) for e in entropy]


def _entropy_text(value: Any) -> str:
    return value if isinstance(value, str) else ",".join(value)


def _entropy_from_json(value: Any) -> Any:
    if isinstance(value, str):
        return int(value)
    return [int(v) for v in value]


# ---------------------------------------------------------------------------- scheduling
def _client_class() -> Any:
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - distributed is a dev/[dask] dependency
        return None
    return Client


def _resolve_scheduler(scheduler: Any) -> tuple[str, Any]:
    """``("local", name)`` or ``("distributed", client_or_address)``."""
    if scheduler is None:
        return "local", "threads"
    Client = _client_class()
    if Client is not None and isinstance(scheduler, Client):
        return "distributed", scheduler
    if isinstance(scheduler, str):
        key = scheduler.strip().lower()
        if key in _LOCAL:
            return "local", _LOCAL[key]
        if "://" in key or (":" in key and key.rsplit(":", 1)[1].isdigit()):
            if Client is None:  # pragma: no cover
                raise ValidationError(
                    f"scheduler: {scheduler!r} is a dask.distributed address, but 'distributed' "
                    "is not installed (pip install 'eicircuits[dask]')"
                )
            return "distributed", scheduler
    raise ValidationError(
        f"scheduler: expected None, one of {sorted(_LOCAL)}, a dask.distributed address such as "
        f"'tcp://127.0.0.1:8786' or a distributed.Client, got {scheduler!r}"
    )


#: Called with a chunk's index after each point a chunk task computes in this process (threads
#: and sync schedulers: the progress bar advances per point, not per chunk); ``None`` in worker
#: processes, whose chunks advance the bar when they finish.
_POINT_DONE: Callable[[tuple[int, ...]], None] | None = None


def _progress_bar(total: int, progress: bool | None) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="point", desc="sweep", file=sys.stderr,
                disable=progress is False or total == 0,
                delay=0.0 if progress else 1.0, leave=False)


class _PointProgress:
    """Advance ``bar`` per point: from the point hook, and by what is left when a chunk ends."""

    def __init__(self, bar: Any, sizes: Mapping[tuple[int, ...], int]):
        self.bar = bar
        self.sizes = dict(sizes)
        self.counted: dict[tuple[int, ...], int] = {}
        self.lock = threading.Lock()

    def point(self, index: tuple[int, ...]) -> None:
        with self.lock:
            index = tuple(int(i) for i in index)
            if self.counted.get(index, 0) < self.sizes.get(index, 0):
                self.counted[index] = self.counted.get(index, 0) + 1
                self.bar.update(1)

    def chunk(self, index: tuple[int, ...]) -> None:
        with self.lock:
            index = tuple(int(i) for i in index)
            left = self.sizes.get(index, 0) - self.counted.get(index, 0)
            self.counted[index] = self.sizes.get(index, 0)
            if left > 0:
                self.bar.update(left)


def _execute(tasks: list[Any], prefix: str, kind: str, target: Any, num_workers: int | None,
             bar: _PointProgress) -> Iterable[tuple[tuple[int, ...], Any]]:
    """Run the chunk tasks; yield ``(index, arrays)`` (all at the end for local schedulers)."""
    if kind == "local":
        import dask
        from dask.callbacks import Callback
        from threadpoolctl import threadpool_limits

        class _Progress(Callback):
            def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, id: Any) -> None:
                if str(key).startswith(prefix):
                    bar.chunk(tuple(int(i) for i in str(key)[len(prefix) + 1:].split("-")))

        kwargs: dict[str, Any] = {"scheduler": target}
        pool = None
        if target != "sync":
            # our own pool, so that a failure waits for the chunks in flight (they finish and
            # are written) instead of leaving them running behind the caller's back
            workers = num_workers or os.cpu_count() or 1
            if target == "threads":
                pool = concurrent.futures.ThreadPoolExecutor(workers)
            else:
                pool = concurrent.futures.ProcessPoolExecutor(
                    workers, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_watch_parent, initargs=(os.getpid(),))
            kwargs.update(pool=pool, num_workers=workers)
        try:
            with _Progress(), threadpool_limits(limits=1 if target == "threads" else None):
                results = dask.compute(*tasks, **kwargs)
        except BaseException as exc:
            if pool is not None and not isinstance(exc, Exception):
                # interrupted (Ctrl-C, SystemExit): stop the workers now, do not wait for them
                _terminate(pool)
                pool = None
            raise
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        yield from results
        return
    from distributed import Client, as_completed

    client = target if isinstance(target, Client) else Client(target)
    try:
        futures = client.compute(tasks)
        try:
            for fut in as_completed(futures):
                result = fut.result()
                bar.chunk(tuple(result[0]))
                yield result
        except BaseException:
            client.cancel(futures)
            raise
    finally:
        if client is not target:
            client.close()


#: Seconds between a process worker's checks that the sweep that started it is still alive.
WATCH_INTERVAL = 0.5


def _watch_parent(parent: int) -> None:
    """Worker initializer: exit as soon as the sweep's process is gone (killed, crashed).

    A killed parent cannot stop its workers; without this they would run their task to the end
    (minutes) and linger.
    """
    def watch() -> None:
        while True:
            time.sleep(WATCH_INTERVAL)
            if os.getppid() != parent:
                os._exit(70)

    threading.Thread(target=watch, name="eicircuits-sweep-watchdog", daemon=True).start()


def _terminate(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """Kill a process pool's workers (``terminate_workers`` from Python 3.14 on)."""
    stop = getattr(pool, "terminate_workers", None)
    if callable(stop):
        stop()
        return
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.terminate()
    for proc in procs:
        with contextlib.suppress(Exception):
            proc.join(5)
            if proc.is_alive():
                proc.kill()


@contextlib.contextmanager
def _store_lock(path: str | None) -> Any:
    """Hold ``<store>.lock`` (an OS file lock, released even if the process is killed)."""
    if path is None:
        yield
        return
    from filelock import FileLock, Timeout

    lock_path = path.rstrip("/\\") + ".lock"
    parent = os.path.dirname(os.path.abspath(lock_path))
    if not os.path.isdir(parent):
        raise ValidationError(f"store: the folder {parent!r} of {path!r} does not exist")
    lock = FileLock(lock_path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise ValidationError(
            f"store: {path!r} is in use by another sweep (its lock {lock_path!r} is held); wait "
            "for that sweep to finish or give another store path"
        ) from None
    try:
        yield
    finally:
        lock.release()


def _code(fn: Any) -> str:
    fp = getattr(fn, "sweep_fingerprint", None)
    return fp if isinstance(fp, str) else fingerprint_callable(fn)


# ---------------------------------------------------------------------------- the entry point
def _check_builder(builder: Any, names: Iterable[str]) -> None:
    if not callable(builder):
        raise ValidationError(
            f"builder: expected a function returning a Network, got {type(builder).__name__}"
        )
    try:
        sig = inspect.signature(builder)
    except (TypeError, ValueError):
        return
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return
    allowed = {n for n, p in sig.parameters.items()
               if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    for name in names:
        if name not in allowed:
            raise ValidationError(
                f"grid: {name!r} is not a keyword parameter of the builder "
                f"{getattr(builder, '__qualname__', builder)!r}; expected some of {sorted(allowed)}"
            )


def _param_json(value: Any) -> Any:
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_param_json(v) for v in value]
    return repr(value)


def _builder_name(builder: Any) -> str:
    module = getattr(builder, "__module__", None) or ""
    name = getattr(builder, "__qualname__", None) or repr(builder)
    return f"{module}.{name}" if module else name


def sweep(builder: Callable[..., Network], grid: Mapping[str, Any] | Iterable[str],
          analyses: Mapping[str, Any] | Iterable[str] | str, *,
          params: Mapping[str, Any] | None = None, seeds: int | None = None,
          rng: int | np.random.SeedSequence | np.random.Generator | None = None,
          store: str | os.PathLike[str] | None = None, chunks: Mapping[str, int] | None = None,
          scheduler: Any = None, num_workers: int | None = None,
          on_error: str = "raise", progress: bool | None = None) -> Any:
    """Evaluate analyses of ``builder(**point)`` over a parameter grid (and random seeds).

    Parameters
    ----------
    builder : callable
        Any function of the grid's keyword parameters returning a :class:`~eicircuits.Network`
        (the builders of :mod:`eicircuits.circuits` work as is). When it has an ``rng``
        parameter it receives a :class:`numpy.random.Generator` seeded for the point.
    grid : mapping or list of str
        ``{name: values}`` (values: numbers or ``"START:STOP:NUM"``) or command-line axes
        ``["w_ee=0:2:101", …]``; see :func:`~eicircuits.sweeps.parse_grid`. One result
        dimension per parameter, in this order.
    analyses : mapping, list of str or str
        ``{name: function of a Network}`` or names of built-ins (:data:`ANALYSES`: regime,
        certified, margin, rates, contrast_gain, winner). Each returns a bool, int, float,
        str or fixed-length array; an array adds dimensions ``<name>_dim0, …`` (``neuron``
        for ``rates``). An analysis with an ``rng`` parameter receives a seeded Generator.
    params : mapping, optional
        Fixed keyword arguments of ``builder`` (the grid overrides nothing in it: a name in
        both is an error).
    seeds : int, optional
        Ensemble size: adds a last dimension ``seed`` (0 … seeds−1); needs a builder with an
        ``rng`` parameter.
    rng : int, SeedSequence, Generator or None
        Root of all random numbers (see the module notes); the same value gives the same
        numbers whatever ``chunks``, ``scheduler`` and ``num_workers``. ``None``: fresh entropy,
        recorded in ``attrs["entropy"]`` (and reused when resuming a store).
    store : path, optional
        A Zarr (format 3) directory. Finished chunks are written as they complete, each with a
        checksum; rerunning the same sweep resumes, skipping finished chunks that pass their
        checksum and recomputing (with a warning naming them) those that do not. A store
        written for a different sweep is refused: other grid, chunking, seeds, parameters,
        builder, analysis code (fingerprinted, so changed code under the same name counts) or
        input files (``builder.sweep_inputs``). A lock file ``<store>.lock`` keeps two sweeps
        from writing one store at once.
    chunks : dict, optional
        Points per chunk along each dimension (missing names get a default: about 64 chunks
        of 32 to 1000 points; up to 10⁵ when every analysis has a vectorised path). A chunk is
        one Dask task, one unit of progress and of resumption.
    scheduler : str or distributed.Client, optional
        ``"threads"`` (default), ``"processes"``, ``"sync"``, a ``dask.distributed`` scheduler
        address (``"tcp://host:8786"``) or a ``distributed.Client``. Workers of a cluster must
        see ``store`` (a shared file system). Process workers are stopped when the sweep is
        interrupted, and exit by themselves within a second when its process is killed.
    num_workers : int, optional
        Workers of the local threaded/process scheduler.
    on_error : {"raise", "record"}
        ``"raise"``: an exception at any point stops the sweep (finished chunks stay in the
        store) and carries a note naming the point. ``"record"``: failed points get fill values
        (``nan``, ``-1``, ``False``, ``""``) and the variables ``ok`` and ``error`` (message).
    progress : bool, optional
        Progress bar on stderr: default shown only for sweeps longer than a second.

    Returns
    -------
    xarray.Dataset
        One variable per analysis over the grid dimensions (``seed`` last); strings as
        fixed-width unicode; an analysis with a ``note`` attribute (say, why values can be NaN)
        gives its variable that attribute. ``attrs`` (strings): ``builder``, ``analyses``,
        ``chunks``, ``entropy`` and ``spawn_key`` of the root seed (pass ``rng=int(entropy)``
        to reproduce a sweep run with ``rng=None``), ``on_error``; ``complete`` (1 or 0).

    Notes
    -----
    An analysis may carry an attribute ``vectorized(builder, kwargs)`` that computes a whole
    chunk at once from broadcast keyword arrays (the grid axes over the chunk, plus ``params``)
    and returns an array of the chunk's shape, or ``None`` when it does not apply to that
    builder. The built-in ``regime`` does this for :func:`eicircuits.circuits.wilson_cowan`.
    Any failure falls back to the per-point path, so results and errors do not change.

    Raises
    ------
    ValidationError
        A bad grid, analysis, chunking, seed or scheduler; an incompatible store; an analysis
        output whose type or shape changes between points.

    Examples
    --------
    >>> import numpy as np
    >>> from eicircuits import Network
    >>> from eicircuits.sweeps import sweep
    >>> def pair(w_ee, w_ei):
    ...     return Network(W=[[w_ee, -w_ei], [1.0, -0.5]], cell_types="EI")
    >>> ds = sweep(pair, {"w_ee": [0.5, 2.0], "w_ei": "0:2:3"},
    ...            {"abscissa": lambda net: float(np.linalg.eigvals(net.W - np.eye(2)).real.max())},
    ...            progress=False)
    >>> ds["abscissa"].dims, ds["abscissa"].shape
    (('w_ee', 'w_ei'), (2, 3))
    """
    coords_map = parse_grid(grid)
    fns = resolve_analyses(analyses)
    params = dict(params or {})
    _check_builder(builder, [*coords_map, *params])
    for name in params:
        if name in coords_map:
            raise ValidationError(
                f"params: {name!r} is also a grid parameter; give it in one place only"
            )
    if on_error not in ("raise", "record"):
        raise ValidationError(f"on_error: expected 'raise' or 'record', got {on_error!r}")
    builder_rng = accepts_rng(builder) and "rng" not in params
    if seeds is not None:
        if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)) or seeds < 1:
            raise ValidationError(f"seeds: expected an integer >= 1 (ensemble size), got {seeds!r}")
        if not builder_rng:
            raise ValidationError(
                f"seeds={seeds}: the builder {_builder_name(builder)!r} has no 'rng' parameter, "
                "so every seed would build the same network; give a builder that takes rng"
            )
    analysis_rng = tuple(accepts_rng(fn) for fn in fns.values())
    random = builder_rng or any(analysis_rng)
    dims = (*coords_map, *(("seed",) if seeds is not None else ()))
    shape = tuple(v.size for v in coords_map.values()) + ((int(seeds),) if seeds else ())
    vectorizable = all(hasattr(fn, "vectorized") for fn in fns.values()) and not random
    chunk_shape = normalize_chunks(chunks, dims, shape, max_points=MAX_POINTS_VECTORIZED
                                   if vectorizable else MAX_POINTS_PER_CHUNK)
    all_coords = {**coords_map, **({"seed": np.arange(int(seeds))} if seeds else {})}

    store_path = None if store is None else os.fspath(store)
    with _store_lock(store_path):
        return _sweep_locked(builder, fns, params, coords_map, all_coords, dims, shape,
                             chunk_shape, seeds, rng, random, builder_rng, analysis_rng,
                             store_path, scheduler, num_workers, on_error, progress)


def _sweep_locked(builder: Any, fns: dict[str, Callable[..., Any]], params: dict[str, Any],
                  coords_map: dict[str, np.ndarray], all_coords: dict[str, np.ndarray],
                  dims: tuple[str, ...], shape: tuple[int, ...], chunk_shape: tuple[int, ...],
                  seeds: int | None, rng: Any, random: bool, builder_rng: bool,
                  analysis_rng: tuple[bool, ...], store_path: str | None, scheduler: Any,
                  num_workers: int | None, on_error: str, progress: bool | None) -> Any:
    """The rest of :func:`sweep`, run while holding the store's lock."""
    old = open_meta(store_path, recreate_partial=True) if store_path is not None else None
    if random:
        if rng is None and old is not None and old.get("seed"):
            entropy = _entropy_from_json(old["seed"]["entropy"])
            spawn_key = tuple(int(k) for k in old["seed"]["spawn_key"])
        else:
            root = _root_seed(rng)
            entropy, spawn_key = root.entropy, tuple(int(k) for k in root.spawn_key)
        seed_meta = {"entropy": _entropy_json(entropy), "spawn_key": list(spawn_key)}
    else:
        _root_seed(rng)  # validate only
        entropy, spawn_key, seed_meta = None, (), None
    meta: dict[str, Any] = {
        "format": FORMAT, "dims": list(dims), "shape": list(shape), "chunks": list(chunk_shape),
        "analyses": list(fns), "seeds": None if seeds is None else int(seeds),
        "seed": seed_meta, "builder": _builder_name(builder),
        "params": {k: _param_json(v) for k, v in sorted(params.items())},
        "on_error": on_error,
        # what makes stored values valid beyond the names: the code behind each name, the
        # content of the files the builder reads, the coordinate values (damage detection)
        "code": {name: _code(fn) for name, fn in fns.items()},
        "builder_code": _code(builder),
        "inputs": dict(getattr(builder, "sweep_inputs", None) or {}),
        "coords_sha256": {d: coords_checksum(v) for d, v in all_coords.items()},
        "notes": {name: str(getattr(fn, "note", "") or "") for name, fn in fns.items()
                  if getattr(fn, "note", "")},
    }
    meta = json.loads(json.dumps(meta))
    kind, target = _resolve_scheduler(scheduler)
    ctx = _Context(builder, params, dims, tuple(coords_map.values()), shape, chunk_shape, fns,
                   None, builder_rng, analysis_rng, entropy, spawn_key, on_error == "record",
                   store_path)

    precomputed: dict[int, tuple[bool, Any]] = {}
    chunk_grid = tuple(-(-s // c) for s, c in zip(shape, chunk_shape, strict=True))
    if old is not None:
        check_compatible(store_path, old, meta, all_coords)
        done, damaged, _ = verify_store(store_path, old)
        if damaged:
            n = len(damaged)
            warnings.warn(
                f"sweep store {store_path!r}: recomputing {n} damaged chunk{'s' * (n > 1)}: "
                f"{describe_chunks(damaged)} (unreadable, deleted or altered: they failed "
                "their checksum)", EICircuitsWarning, stacklevel=3)
    else:
        done = np.zeros(chunk_grid, dtype=bool)
    pending = [idx for idx in np.ndindex(*chunk_grid) if not done[idx]]
    sizes = {idx: math.prod(s.stop - s.start for s in chunk_slices(idx, chunk_shape, shape))
             for idx in pending}
    # the bar counts points (the first is probed before any chunk runs, and a chunk of expensive
    # points would otherwise show nothing until it ends)
    bar = _progress_bar(sum(sizes.values()), progress)
    tracker = _PointProgress(bar, sizes)
    global _POINT_DONE
    outer, _POINT_DONE = _POINT_DONE, tracker.point
    try:
        return _sweep_pending(ctx, old, meta, fns, dims, shape, chunk_shape, all_coords,
                              seed_meta, spawn_key, on_error, store_path, kind, target,
                              num_workers, precomputed, pending, tracker)
    finally:
        _POINT_DONE = outer
        bar.close()


def _sweep_pending(ctx: _Context, old: Any, meta: dict[str, Any], fns: dict[str, Any],
                   dims: tuple[str, ...], shape: tuple[int, ...], chunk_shape: tuple[int, ...],
                   all_coords: dict[str, np.ndarray], seed_meta: Any, spawn_key: Any,
                   on_error: str, store_path: str | None, kind: str, target: Any,
                   num_workers: int | None, precomputed: dict[int, tuple[bool, Any]],
                   pending: list[tuple[int, ...]], tracker: _PointProgress) -> Any:
    """The rest of :func:`sweep`: probe a fresh sweep's layout, create the store, run chunks."""
    if old is not None:
        specs = {name: OutputSpec.from_json(old["outputs"][name]) for name in fns}
    else:
        specs = _probe(ctx, precomputed, tracker)
    ctx = dataclasses.replace(ctx, specs=specs)
    meta["outputs"] = {name: spec.to_json() for name, spec in specs.items()}
    # plain strings only, so that the result also writes to netCDF (ds.to_netcdf)
    attrs = {
        "builder": meta["builder"], "analyses": ",".join(fns),
        "chunks": ",".join(f"{d}={c}" for d, c in zip(dims, chunk_shape, strict=True)),
        "entropy": "" if seed_meta is None else _entropy_text(seed_meta["entropy"]),
        "spawn_key": ",".join(map(str, spawn_key)), "on_error": on_error,
    }
    if store_path is not None and old is None:
        create_store(store_path, meta, all_coords, {**specs, **(_RECORD_SPECS
                                                               if ctx.record else {})}, attrs)

    import dask

    prefix = f"sweep-chunk-{uuid.uuid4().hex[:8]}"
    ctx_d = dask.delayed(ctx, pure=False, traverse=False)
    run = dask.delayed(_run_chunk, pure=False)
    tasks = []
    for idx in pending:
        sel = chunk_slices(idx, chunk_shape, shape)
        lo = int(np.ravel_multi_index(tuple(s.start for s in sel), shape))
        hi = int(np.ravel_multi_index(tuple(s.stop - 1 for s in sel), shape))
        pre = {f: v for f, v in precomputed.items() if lo <= f <= hi
               and _in_chunk(np.unravel_index(f, shape), sel)}
        key = f"{prefix}-{'-'.join(map(str, idx))}"
        tasks.append(run(ctx_d, tuple(int(i) for i in idx), pre, dask_key_name=key))

    results: dict[tuple[int, ...], Any] = {}
    for index, arrays in _execute(tasks, prefix, kind, target, num_workers, tracker):
        if arrays is not None:
            results[tuple(index)] = arrays

    if store_path is not None:
        return open_sweep(store_path)
    return _assemble(ctx, all_coords, results, attrs)


def _in_chunk(idx: tuple[Any, ...], sel: tuple[slice, ...]) -> bool:
    return all(s.start <= int(i) < s.stop for i, s in zip(idx, sel, strict=True))


def _probe(ctx: _Context, precomputed: dict[int, tuple[bool, Any]],
           tracker: _PointProgress | None = None) -> dict[str, OutputSpec]:
    """Evaluate leading points until one succeeds; its outputs fix the layout (kept for reuse)."""
    last: Exception | None = None
    for count, idx in enumerate(np.ndindex(*ctx.shape)):
        if count >= PROBE_LIMIT:
            break
        flat = int(np.ravel_multi_index(idx, ctx.shape))
        try:
            raw = ctx.evaluate(idx)
        except Exception as exc:
            if not ctx.record:
                exc.add_note(f"(at sweep point {ctx.where(idx)})")
                raise
            precomputed[flat] = (False, _failure(exc))
            last = exc
            if tracker is not None:
                tracker.point(tuple(i // c for i, c in zip(idx, ctx.chunks, strict=True)))
            continue
        if tracker is not None:
            tracker.point(tuple(i // c for i, c in zip(idx, ctx.chunks, strict=True)))
        specs = {name: OutputSpec.infer(name, value) for name, value in raw.items()}
        probed = dataclasses.replace(ctx, specs=specs)
        precomputed[flat] = (True, probed.converted(idx, raw))
        return specs
    assert last is not None
    last.add_note(f"(every one of the first {len(precomputed)} sweep points failed; the output "
                  "layout cannot be learnt)")
    raise last


def _assemble(ctx: _Context, coords: Mapping[str, np.ndarray],
              results: Mapping[tuple[int, ...], Mapping[str, np.ndarray]],
              attrs: Mapping[str, Any]) -> Any:
    import xarray as xr

    assert ctx.specs is not None
    specs = {**ctx.specs, **(_RECORD_SPECS if ctx.record else {})}
    notes = {name: str(getattr(fn, "note", "") or "") for name, fn in ctx.analyses.items()}
    data = {}
    for name, spec in specs.items():
        dtype = spec.dtype
        if spec.kind == "U":  # fixed width: the widest string of any chunk
            width = max([1, *(a[name].dtype.itemsize // 4 for a in results.values())])
            dtype = np.dtype(f"<U{width}")
        data[name] = np.full(ctx.shape + spec.shape, spec.fill, dtype=dtype)
    for index, arrays in results.items():
        sel = chunk_slices(index, ctx.chunks, ctx.shape)
        for name, values in arrays.items():
            data[name][sel] = values
    variables = {}
    for name, spec in specs.items():
        variables[name] = xr.Variable((*ctx.dims, *spec.dims), data[name],
                                      attrs=variable_attrs(name, notes))
    ds = xr.Dataset(variables, coords={d: coords[d] for d in ctx.dims},
                    attrs={**attrs, "complete": 1})
    return ds
