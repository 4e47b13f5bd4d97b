"""The Zarr (format 3) store of a sweep: layout, per-chunk writes, completion, resume checks.

Layout of ``store`` (readable by ``xarray.open_zarr(store, consolidated=False)``):

- one coordinate array per grid parameter (and ``seed`` for ensembles);
- one array per analysis output, chunked exactly like the sweep, so every sweep chunk is its
  own set of Zarr chunks and concurrent workers never write to the same file; strings use the
  Zarr v3 ``string`` (variable-length UTF-8) data type;
- with ``on_error="record"``: ``ok`` (bool) and ``error`` (message, ``""`` where ok);
- ``_sweep/checksum``: one SHA-256 per sweep chunk over that chunk's values of every variable,
  written after the data and before the completion flag;
- ``_sweep/done``: one bool per sweep chunk, set only after that chunk's data and checksum are
  written, so an interrupted sweep loses at most the chunks in flight;
- root attribute ``eicircuits_sweep``: a JSON description of the sweep (dimensions, chunking,
  analyses, their output layout and code fingerprints, the checksums of the coordinates and of
  the input files, seeding), written last when the store is created. A rerun compares it with
  the new request and refuses a different sweep.

Every open and every resume verifies each finished chunk against its checksum: a chunk that is
unreadable, deleted or altered is reported (:class:`~eicircuits.errors.EICircuitsWarning`
naming it) and recomputed on resume; on open its points read as missing. Points that are not
(validly) finished read as missing whatever the analysis type: ``nan`` for numbers (integer and
boolean variables then come back as ``float64``), ``""`` for strings.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import EICircuitsWarning, ValidationError
from ._analyses import OutputSpec

__all__ = ["META_KEY", "create_store", "open_meta", "check_compatible", "write_chunk",
           "read_done", "verify_store", "chunk_checksum", "coords_checksum", "open_sweep"]

META_KEY = "eicircuits_sweep"
#: Set first when a store is created and removed when its description is written: a store that
#: still carries it was left half-created by an interrupted sweep (and may be recreated).
CREATING_KEY = "eicircuits_sweep_creating"
FORMAT = 2


def _canonical_bytes(values: Any) -> bytes:
    arr = np.asarray(values)
    if arr.dtype.kind in "OUTS":
        parts = [str(v).encode("utf-8") for v in arr.ravel()]
        return b"".join(len(x).to_bytes(8, "little") + x for x in parts)
    if arr.dtype.kind == "b":
        return np.ascontiguousarray(arr, dtype=np.uint8).tobytes()
    if arr.dtype.kind in "iu":
        return np.ascontiguousarray(arr, dtype="<i8").tobytes()
    f = np.ascontiguousarray(arr, dtype="<f8")
    return np.where(np.isnan(f), np.nan, f).astype("<f8").tobytes()


def chunk_checksum(data: Mapping[str, Any]) -> str:
    """SHA-256 of one chunk's values (every variable, by name), independent of storage dtypes."""
    h = hashlib.sha256()
    for name in sorted(data):
        arr = np.asarray(data[name])
        h.update(f"{name}:{arr.shape};".encode())
        h.update(_canonical_bytes(arr))
    return h.hexdigest()


def coords_checksum(values: Any) -> str:
    """SHA-256 of one coordinate array (its dtype kind, shape and values)."""
    arr = np.asarray(values)
    h = hashlib.sha256(f"{arr.dtype.kind}{arr.shape}".encode())
    h.update(_canonical_bytes(arr))
    return h.hexdigest()


def _zarr_dtype(kind: str) -> Any:
    return {"b": "bool", "i": "int64", "f": "float64", "U": str}[kind]


def _fill(kind: str) -> Any:
    return {"b": False, "i": 0, "f": np.nan, "U": ""}[kind]


def create_store(path: str | os.PathLike[str], meta: Mapping[str, Any],
                 coords: Mapping[str, np.ndarray], specs: Mapping[str, OutputSpec],
                 attrs: Mapping[str, Any]) -> None:
    """Create the layout of a new sweep store (arrays empty, nothing done)."""
    import zarr

    dims = list(meta["dims"])
    shape = tuple(meta["shape"])
    chunks = tuple(meta["chunks"])
    root = zarr.open_group(str(path), mode="w", zarr_format=3)
    root.attrs[CREATING_KEY] = "1"
    notes = dict(meta.get("notes") or {})
    for d in dims:
        values = np.asarray(coords[d])
        arr = root.create_array(d, shape=values.shape, chunks=values.shape, dtype=values.dtype,
                                dimension_names=(d,))
        arr[...] = values
    for name, spec in specs.items():
        root.create_array(name, shape=shape + spec.shape, chunks=chunks + spec.shape,
                          dtype=_zarr_dtype(spec.kind), fill_value=_fill(spec.kind),
                          dimension_names=(*dims, *spec.dims),
                          attributes=variable_attrs(name, notes))
    grid = tuple(-(-s // c) for s, c in zip(shape, chunks, strict=True))
    sub = root.create_group("_sweep")
    sub.create_array("checksum", shape=grid, chunks=(1,) * len(grid), dtype=str,
                     fill_value="")
    sub.create_array("done", shape=grid, chunks=(1,) * len(grid), dtype="bool",
                     fill_value=False)
    root.attrs.update({**attrs, META_KEY: json.dumps(dict(meta), sort_keys=True)})
    del root.attrs[CREATING_KEY]


def variable_attrs(name: str, notes: Mapping[str, str]) -> dict[str, str]:
    """The attributes of an analysis variable: its name and, when it has one, its note."""
    out = {"analysis": name}
    if notes.get(name):
        out["note"] = str(notes[name])
    return out


def open_meta(path: str | os.PathLike[str], *,
              recreate_partial: bool = False) -> dict[str, Any] | None:
    """The sweep description of an existing store, ``None`` when ``path`` does not exist.

    With ``recreate_partial`` (the caller holds the store's lock), a store whose creation was
    interrupted also gives ``None``: it holds nothing and is created again.

    Raises
    ------
    ValidationError
        ``path`` exists but is not (or not completely) an eicircuits sweep store.
    """
    import zarr

    p = Path(path)
    if not p.exists():
        return None
    if recreate_partial and p.is_dir() and not any(p.iterdir()):
        return None  # an empty folder (a creation interrupted at its first step)
    try:
        root = zarr.open_group(str(p), mode="r")
        raw = root.attrs.get(META_KEY)
        creating = root.attrs.get(CREATING_KEY)
        if raw is None and recreate_partial and not dict(root.attrs) and \
                not list(root.keys()):
            creating = "empty"  # an empty group holds nothing to lose
    except Exception as exc:  # any failure to read means "not our store"
        raise ValidationError(
            f"store: {str(path)!r} exists and is not a Zarr sweep store, or its metadata are "
            f"damaged ({exc}); give a new path or delete it"
        ) from exc
    if raw is None and creating is not None and recreate_partial:
        return None
    if raw is None:
        raise ValidationError(
            f"store: {str(path)!r} exists but holds no eicircuits sweep (its creation may have "
            "been interrupted); give a new path or delete it"
        )
    try:
        return json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"store: {str(path)!r}: its sweep description is damaged ({exc}); give a new path "
            "or delete it"
        ) from exc


def _describe_axis(values: np.ndarray) -> str:
    v = np.asarray(values)
    if v.size == 0:
        return "no values"
    return f"{v.size} values from {v.flat[0]:g} to {v.flat[-1]:g}"


def check_compatible(path: str | os.PathLike[str], old: Mapping[str, Any],
                     new: Mapping[str, Any], coords: Mapping[str, np.ndarray]) -> None:
    """Refuse to resume into a store written for a different sweep (a clear message why).

    Compares dimensions, coordinate values, chunking, analyses, their layout and code
    fingerprints, seeds, the random seed, the builder (name and code), its fixed parameters, the
    content of its input files and the error policy. A coordinate array whose stored values no
    longer match its recorded checksum while the request's values do is rewritten (with a
    warning): it was damaged, not changed.

    Raises
    ------
    ValidationError
        Naming the first difference.
    """
    import zarr

    where = f"store {str(path)!r} was written for a different sweep"
    fix = ("; give another store path, or delete the store to start again "
           "(`eicircuits sweep --force` deletes it)")
    if old.get("format") != FORMAT:
        raise ValidationError(f"{where}: store format {old.get('format')} != {FORMAT}{fix}")
    if list(old["dims"]) != list(new["dims"]):
        raise ValidationError(
            f"{where}: its dimensions are {list(old['dims'])}, this sweep's are "
            f"{list(new['dims'])}{fix}"
        )
    root = zarr.open_group(str(path), mode="r")
    recorded = old.get("coords_sha256") or {}
    for d in new["dims"]:
        here = np.asarray(coords[d])
        try:
            stored = np.asarray(root[d][...])
        except Exception:  # unreadable: damaged
            stored = None
        same = recorded.get(d) == coords_checksum(here)
        if stored is not None and stored.shape == here.shape and np.array_equal(stored, here):
            if same:
                continue
        if same:  # the request matches the recorded checksum: the stored copy was damaged
            arr = zarr.open_group(str(path), mode="r+")[d]
            arr[...] = here
            warnings.warn(f"sweep store {str(path)!r}: the coordinate array {d!r} was damaged; "
                          "rewritten from the grid (it matches the recorded checksum)",
                          EICircuitsWarning, stacklevel=3)
            continue
        there = "unreadable values" if stored is None else _describe_axis(stored)
        raise ValidationError(
            f"{where}: grid parameter {d!r} has {there} there and "
            f"{_describe_axis(here)} here{fix}"
        )
    checks = (
        ("chunks", "chunks (points per chunk)"),
        ("analyses", "analyses"),
        ("seeds", "number of seeds"),
        ("seed", "random seed (entropy, spawn key)"),
        ("builder", "builder"),
        ("params", "fixed builder parameters"),
        ("on_error", "on_error policy"),
    )
    for key, label in checks:
        if old.get(key) != new.get(key):
            raise ValidationError(
                f"{where}: the {label} differ: {old.get(key)!r} there, {new.get(key)!r} here{fix}"
            )
    old_code, new_code = old.get("code") or {}, new.get("code") or {}
    for name in new["analyses"]:
        if old_code.get(name) != new_code.get(name):
            raise ValidationError(
                f"{where}: the code of analysis {name!r} has changed since the store was "
                f"written (fingerprint {str(old_code.get(name))[:12]} there, "
                f"{str(new_code.get(name))[:12]} here); its stored values would not be what "
                f"the code computes now{fix}"
            )
    if old.get("builder_code") != new.get("builder_code"):
        raise ValidationError(
            f"{where}: the code of the builder {new.get('builder')!r} has changed since the "
            f"store was written{fix}"
        )
    old_in, new_in = old.get("inputs") or {}, new.get("inputs") or {}
    for name in sorted(set(old_in) | set(new_in)):
        if old_in.get(name) != new_in.get(name):
            what = ("is new" if name not in old_in else "is no longer read"
                    if name not in new_in else "has changed")
            raise ValidationError(
                f"{where}: the content of the input file {name!r} {what} since the store was "
                f"written{fix}"
            )


def chunk_slices(index: Sequence[int], chunks: Sequence[int],
                 shape: Sequence[int]) -> tuple[slice, ...]:
    """The slices of chunk ``index`` (one index per dimension)."""
    return tuple(slice(i * c, min((i + 1) * c, s))
                 for i, c, s in zip(index, chunks, shape, strict=True))


def write_chunk(path: str, index: Sequence[int], chunks: Sequence[int], shape: Sequence[int],
                data: Mapping[str, np.ndarray]) -> None:
    """Write one finished chunk, then its checksum, then mark it done (in that order)."""
    import zarr

    root = zarr.open_group(path, mode="r+")
    sel = chunk_slices(index, chunks, shape)
    for name, values in data.items():
        root[name][sel] = values
    root["_sweep/checksum"][tuple(index)] = chunk_checksum(data)
    root["_sweep/done"][tuple(index)] = True


def _read_robust(arr: Any, grid: Sequence[int], chunks: Sequence[int], shape: Sequence[int],
                 fill: Any, dtype: Any) -> tuple[np.ndarray, set[tuple[int, ...]]]:
    """All of ``arr`` and the sweep chunks that could not be read (they hold ``fill``)."""
    try:
        return np.asarray(arr[...]), set()
    except Exception:  # some chunk is unreadable: read chunk by chunk
        pass
    out = np.full(tuple(arr.shape), fill, dtype=dtype)
    bad: set[tuple[int, ...]] = set()
    for index in np.ndindex(*grid):
        sel = chunk_slices(index, chunks, shape)
        try:
            out[sel] = np.asarray(arr[sel])
        except Exception:
            bad.add(tuple(int(i) for i in index))
    return out, bad


def read_done(path: str | os.PathLike[str]) -> np.ndarray:
    """The completion mask over the chunk grid (an unreadable flag reads as not done)."""
    import zarr

    arr = zarr.open_group(str(path), mode="r")["_sweep/done"]
    grid = tuple(arr.shape)
    done, _ = _read_robust(arr, grid, (1,) * len(grid), grid, False, bool)
    return done.astype(bool)


def _store_names(meta: Mapping[str, Any]) -> list[str]:
    return [*meta["analyses"], *(["ok", "error"] if meta.get("on_error") == "record" else [])]


def verify_store(path: str | os.PathLike[str], meta: Mapping[str, Any], *,
                 collect: bool = False) -> tuple[np.ndarray, list[tuple[int, ...]],
                                                 dict[str, np.ndarray]]:
    """Check every finished chunk against its checksum.

    Returns
    -------
    good : ndarray of bool over the chunk grid
        Chunks that are done and whose values match their checksum.
    damaged : list of chunk indices
        Chunks marked done (or whose flag is unreadable) that fail the check: unreadable,
        deleted or altered data, a missing or altered checksum.
    arrays : dict
        With ``collect``, every variable's values as read (damaged chunks as read or fill).
    """
    import zarr

    root = zarr.open_group(str(path), mode="r")
    shape = tuple(meta["shape"])
    chunks = tuple(meta["chunks"])
    grid = tuple(-(-s // c) for s, c in zip(shape, chunks, strict=True))
    ones = (1,) * len(grid)
    done, bad_flags = _read_robust(root["_sweep/done"], grid, ones, grid, False, bool)
    sums, bad_sums = _read_robust(root["_sweep/checksum"], grid, ones, grid, "", object)
    done = done.astype(bool)
    outputs = {name: OutputSpec.from_json(spec) for name, spec in meta["outputs"].items()}
    specs = {**outputs, "ok": OutputSpec("b", (), ()), "error": OutputSpec("U", (), ())}
    arrays: dict[str, np.ndarray] = {}
    unreadable: set[tuple[int, ...]] = set(bad_flags) | set(bad_sums)
    for name in _store_names(meta):
        spec = specs[name]
        full_chunks = chunks + spec.shape
        full_shape = shape + spec.shape
        values, bad = _read_robust(root[name], grid + (1,) * len(spec.shape), full_chunks,
                                   full_shape, spec.fill if spec.kind != "U" else "",
                                   spec.dtype)
        unreadable |= {b[:len(grid)] for b in bad}
        arrays[name] = values
    good = np.zeros(grid, dtype=bool)
    damaged: list[tuple[int, ...]] = []
    for index in np.ndindex(*grid):
        idx = tuple(int(i) for i in index)
        if idx in bad_flags:
            damaged.append(idx)
            continue
        if not done[idx]:
            continue
        if idx in unreadable:
            damaged.append(idx)
            continue
        sel = chunk_slices(idx, chunks, shape)
        data = {name: arrays[name][sel] for name in arrays}
        if str(sums[idx]) == chunk_checksum(data):
            good[idx] = True
        else:
            damaged.append(idx)
    return good, damaged, (arrays if collect else {})


def describe_chunks(chunks: Sequence[tuple[int, ...]], limit: int = 10) -> str:
    """``(1, 0), (3, 0)`` (the first ``limit``, then how many more)."""
    text = ", ".join(str(tuple(c)) for c in chunks[:limit])
    if len(chunks) > limit:
        text += f" and {len(chunks) - limit} more"
    return text


def point_mask(good: np.ndarray, chunks: Sequence[int], shape: Sequence[int]) -> np.ndarray:
    """Chunk-level ``good`` expanded to one bool per grid point."""
    out = np.zeros(tuple(shape), dtype=bool)
    for index in zip(*np.nonzero(good), strict=True):
        out[chunk_slices(index, chunks, shape)] = True
    return out


def _fixed_width(values: np.ndarray) -> np.ndarray:
    """Strings (object or NumPy ``StringDType``) as fixed-width ``<U…`` (at least ``<U1``)."""
    if values.dtype.kind == "U":
        return values
    if values.dtype.kind == "O":
        return values.astype(str) if values.size else values.astype("<U1")
    if values.dtype.kind == "T":
        width = int(np.strings.str_len(values).max()) if values.size else 1
        return values.astype(f"<U{max(width, 1)}")
    return values


def _masked(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """``values`` with the points that are not ``valid`` read as missing (nan or "")."""
    extra = values.ndim - valid.ndim
    mask = valid.reshape(valid.shape + (1,) * extra)
    if values.dtype.kind in "OUT":
        return np.where(mask, values, "").astype(values.dtype)
    return np.where(mask, values.astype(np.float64), np.nan)


def open_sweep(path: str | os.PathLike[str], *, load: bool = True) -> Any:
    """Open a sweep store as an ``xarray.Dataset``, verifying every chunk against its checksum.

    Strings come back as NumPy fixed-width unicode (``<U…``). Points of chunks that are not
    done, or that fail their checksum, read as missing: ``nan`` (integer and boolean variables
    then come back as ``float64``, with the attribute ``kind`` = ``"int"`` or ``"bool"``) or
    ``""`` for strings. ``ds.attrs["complete"]`` is 1 when
    every chunk is done and intact, else 0 (and ``attrs["missing_points"]`` counts them).

    Parameters
    ----------
    path : str or path
        The Zarr store written by :func:`~eicircuits.sweeps.sweep`.
    load : bool
        Load into memory (default); ``False`` keeps the Dask-backed lazy arrays (strings are
        then left in NumPy's variable-width ``StringDType``).

    Raises
    ------
    ValidationError
        ``path`` is not a sweep store; a coordinate array is damaged; ``load=False`` on a store
        with damaged chunks (rerun the sweep to recompute them, or load it).

    Warns
    -----
    EICircuitsWarning
        Naming the chunks that fail their checksum.

    Examples
    --------
    >>> import tempfile, os
    >>> from eicircuits import Network
    >>> from eicircuits.sweeps import sweep, open_sweep
    >>> store = os.path.join(tempfile.mkdtemp(), "s.zarr")
    >>> _ = sweep(lambda w: Network(W=[[w]]), {"w": [0.0, 0.5]},
    ...           {"w00": lambda net: float(net.W[0, 0])}, store=store, progress=False)
    >>> open_sweep(store)["w00"].values.tolist()
    [0.0, 0.5]
    """
    import xarray as xr
    import zarr

    meta = open_meta(path)
    if meta is None:
        raise ValidationError(f"store: {str(path)!r} does not exist")
    if meta.get("format") != FORMAT:
        raise ValidationError(
            f"store {str(path)!r} has format {meta.get('format')}, this eicircuits reads "
            f"format {FORMAT} (with per-chunk checksums); rerun the sweep into a new store"
        )
    root = zarr.open_group(str(path), mode="r")
    for d, sha in (meta.get("coords_sha256") or {}).items():
        try:
            ok = coords_checksum(root[d][...]) == sha
        except Exception:
            ok = False
        if not ok:
            raise ValidationError(
                f"store {str(path)!r} is damaged: its coordinate array {d!r} does not match "
                "its recorded checksum; rerun the sweep (it rewrites the coordinates) or "
                "delete the store"
            )
    shape, chunks = tuple(meta["shape"]), tuple(meta["chunks"])
    good, damaged, arrays = verify_store(path, meta, collect=load)
    if damaged:
        warnings.warn(
            f"sweep store {str(path)!r}: chunks {describe_chunks(damaged)} are damaged "
            "(unreadable, deleted or altered: they fail their checksum); their points read as "
            "missing; rerun the sweep to recompute them",
            EICircuitsWarning, stacklevel=2,
        )
        if not load:
            raise ValidationError(
                f"store {str(path)!r} has damaged chunks {describe_chunks(damaged)}; rerun the "
                "sweep to recompute them, or open it with load=True to read the rest"
            )
    ds = xr.open_zarr(str(path), consolidated=False)
    ds = ds[[name for name in _store_names(meta) if name in ds.data_vars]]
    ds.attrs.pop(META_KEY, None)
    ds.attrs.pop(CREATING_KEY, None)
    complete = bool(good.all())
    ds.attrs["complete"] = int(complete)
    valid = point_mask(good, chunks, shape) if not complete else None
    if valid is not None:
        ds.attrs["missing_points"] = int(valid.size - valid.sum())
    if damaged:
        ds.attrs["damaged_chunks"] = describe_chunks(damaged, limit=len(damaged))
    if load:
        ds = ds.load() if not arrays else ds
        for name in list(ds.data_vars):
            values = arrays[name] if arrays else np.asarray(ds[name].values)
            kind = values.dtype.kind
            if valid is not None:
                values = _masked(values, valid)
            if values.dtype.kind in "OT":
                values = _fixed_width(values)
            ds[name] = ds[name].copy(data=values)
            if kind in "bi" and valid is not None:  # masked to float: say what it was
                ds[name].attrs["kind"] = "bool" if kind == "b" else "int"
        for name in list(ds.coords):
            var = ds[name].load()
            ds[name] = var.copy(data=_fixed_width(var.values)) if var.dtype.kind in "OT" else var
    elif valid is not None:
        mask = xr.DataArray(valid, dims=tuple(meta["dims"]))
        for name in list(ds.data_vars):
            kind = ds[name].dtype.kind
            if kind in "OT":
                ds[name] = ds[name].where(mask, "")
            else:
                ds[name] = ds[name].astype(np.float64).where(mask)
                if kind in "bi":
                    ds[name].attrs["kind"] = "bool" if kind == "b" else "int"
    return ds
