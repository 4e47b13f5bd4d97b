"""The Zarr (format 3) store of a sweep: layout, per-chunk writes, completion, resume checks.

Layout of ``store`` (readable by ``xarray.open_zarr(store, consolidated=False)``):

- one coordinate array per grid parameter (and ``seed`` for ensembles);
- one array per analysis output, chunked exactly like the sweep, so every sweep chunk is its
  own set of Zarr chunks and concurrent workers never write to the same file; strings use the
  Zarr v3 ``string`` (variable-length UTF-8) data type;
- with ``on_error="record"``: ``ok`` (bool) and ``error`` (message, ``""`` where ok);
- ``_sweep/done``: one bool per sweep chunk, set only after that chunk's data are written, so an
  interrupted sweep loses at most the chunks in flight;
- root attribute ``eicircuits_sweep``: a JSON description of the sweep (dimensions, chunking,
  analyses and their output layout, seeding), written last when the store is created. A rerun
  compares it (and the coordinate values) with the new request and refuses a different sweep.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ValidationError
from ._analyses import OutputSpec

__all__ = ["META_KEY", "create_store", "open_meta", "check_compatible", "write_chunk",
           "read_done", "open_sweep"]

META_KEY = "eicircuits_sweep"
FORMAT = 1


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
    for d in dims:
        values = np.asarray(coords[d])
        arr = root.create_array(d, shape=values.shape, chunks=values.shape, dtype=values.dtype,
                                dimension_names=(d,))
        arr[...] = values
    for name, spec in specs.items():
        root.create_array(name, shape=shape + spec.shape, chunks=chunks + spec.shape,
                          dtype=_zarr_dtype(spec.kind), fill_value=_fill(spec.kind),
                          dimension_names=(*dims, *spec.dims),
                          attributes={"analysis": name})
    grid = tuple(-(-s // c) for s, c in zip(shape, chunks, strict=True))
    sub = root.create_group("_sweep")
    sub.create_array("done", shape=grid, chunks=(1,) * len(grid), dtype="bool",
                     fill_value=False)
    root.attrs.update({**attrs, META_KEY: json.dumps(dict(meta), sort_keys=True)})


def open_meta(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The sweep description of an existing store, ``None`` when ``path`` does not exist.

    Raises
    ------
    ValidationError
        ``path`` exists but is not (or not completely) an eicircuits sweep store.
    """
    import zarr

    p = Path(path)
    if not p.exists():
        return None
    try:
        root = zarr.open_group(str(p), mode="r")
        raw = root.attrs.get(META_KEY)
    except Exception as exc:  # any failure to read means "not our store"
        raise ValidationError(
            f"store: {str(path)!r} exists and is not a Zarr sweep store ({exc}); "
            "give a new path or delete it"
        ) from exc
    if raw is None:
        raise ValidationError(
            f"store: {str(path)!r} exists but holds no eicircuits sweep (its creation may have "
            "been interrupted); give a new path or delete it"
        )
    return json.loads(raw)


def _describe_axis(values: np.ndarray) -> str:
    v = np.asarray(values)
    if v.size == 0:
        return "no values"
    return f"{v.size} values from {v.flat[0]:g} to {v.flat[-1]:g}"


def check_compatible(path: str | os.PathLike[str], old: Mapping[str, Any],
                     new: Mapping[str, Any], coords: Mapping[str, np.ndarray]) -> None:
    """Refuse to resume into a store written for a different sweep (a clear message why).

    Compares dimensions, coordinate values, chunking, analyses and their layout, seeds, the
    random seed, the builder, its fixed parameters and the error policy.

    Raises
    ------
    ValidationError
        Naming the first difference.
    """
    import zarr

    where = f"store {str(path)!r} was written for a different sweep"
    fix = "; give another store path, or delete the store to start again"
    if old.get("format") != FORMAT:
        raise ValidationError(f"{where}: store format {old.get('format')} != {FORMAT}{fix}")
    if list(old["dims"]) != list(new["dims"]):
        raise ValidationError(
            f"{where}: its dimensions are {list(old['dims'])}, this sweep's are "
            f"{list(new['dims'])}{fix}"
        )
    root = zarr.open_group(str(path), mode="r")
    for d in new["dims"]:
        stored = np.asarray(root[d][...])
        here = np.asarray(coords[d])
        if stored.shape != here.shape or not np.array_equal(stored, here):
            raise ValidationError(
                f"{where}: grid parameter {d!r} has {_describe_axis(stored)} there and "
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


def chunk_slices(index: Sequence[int], chunks: Sequence[int],
                 shape: Sequence[int]) -> tuple[slice, ...]:
    """The slices of chunk ``index`` (one index per dimension)."""
    return tuple(slice(i * c, min((i + 1) * c, s))
                 for i, c, s in zip(index, chunks, shape, strict=True))


def write_chunk(path: str, index: Sequence[int], chunks: Sequence[int], shape: Sequence[int],
                data: Mapping[str, np.ndarray]) -> None:
    """Write one finished chunk, then mark it done (in that order)."""
    import zarr

    root = zarr.open_group(path, mode="r+")
    sel = chunk_slices(index, chunks, shape)
    for name, values in data.items():
        root[name][sel] = values
    root["_sweep/done"][tuple(index)] = True


def read_done(path: str | os.PathLike[str]) -> np.ndarray:
    """The completion mask over the chunk grid."""
    import zarr

    return np.asarray(zarr.open_group(str(path), mode="r")["_sweep/done"][...], dtype=bool)


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


def open_sweep(path: str | os.PathLike[str], *, load: bool = True) -> Any:
    """Open a sweep store as an ``xarray.Dataset``.

    Strings come back as NumPy fixed-width unicode (``<U…``). Points of chunks that are not done
    hold the store's fill values; ``ds.attrs["complete"]`` is 1 when every chunk is done, else 0.

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
        ``path`` is not a sweep store.

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

    meta = open_meta(path)
    if meta is None:
        raise ValidationError(f"store: {str(path)!r} does not exist")
    ds = xr.open_zarr(str(path), consolidated=False)
    order = [*meta["analyses"], *(["ok", "error"] if meta.get("on_error") == "record" else [])]
    ds = ds[[name for name in order if name in ds.data_vars]]
    done = read_done(path)
    ds.attrs.pop(META_KEY, None)
    ds.attrs["complete"] = int(done.all())
    if load:
        ds = ds.load()
        for name in list(ds.data_vars) + list(ds.coords):
            var = ds[name]
            if var.dtype.kind in "OT":
                ds[name] = var.copy(data=_fixed_width(var.values))
    return ds
