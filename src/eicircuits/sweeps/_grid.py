"""Sweep grids: parsing, validation and chunking.

A grid maps parameter names (keyword arguments of a builder) to 1-D arrays of values; the
sweep visits their Cartesian product in C order (the last parameter varies fastest). Values
are numbers only: integers stay integers (a builder may need ``n = 50``), everything else is
``float64``.

The command-line syntax of one grid axis is ``NAME=START:STOP:NUM`` (``numpy.linspace(START,
STOP, NUM)``, both ends included) or ``NAME=V1,V2,...`` (a list) or ``NAME=V`` (one value).

Examples
--------
>>> from eicircuits.sweeps import parse_grid
>>> g = parse_grid(["w_ee=0:2:5", "n=10,20"])
>>> g["w_ee"].tolist(), g["n"].tolist()
([0.0, 0.5, 1.0, 1.5, 2.0], [10, 20])
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import ValidationError

__all__ = ["parse_grid", "parse_axis", "normalize_chunks", "RESERVED"]

#: Names a grid parameter may not take: they are dimensions or arguments of the sweep itself.
RESERVED = frozenset({"seed", "rng"})

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Default target number of points per chunk (at most), see :func:`normalize_chunks`.
MAX_POINTS_PER_CHUNK = 1000
#: Largest default chunk when every analysis can classify a whole chunk at once.
MAX_POINTS_VECTORIZED = 100_000
#: Default target number of chunks of a large sweep.
TARGET_CHUNKS = 64
#: Default smallest chunk (points), so that a small sweep is not split into tiny tasks.
MIN_POINTS_PER_CHUNK = 32
#: ... unless that leaves fewer than this many chunks: a small sweep of expensive points (a 2 × 2
#: grid of 5000-neuron networks, a minute each) must still spread over the workers.
MIN_CHUNKS = 16


def _number(text: str, where: str) -> float | int:
    t = text.strip()
    try:
        return int(t)
    except ValueError:
        pass
    try:
        value = float(t)
    except ValueError:
        raise ValidationError(f"{where}: {t!r} is not a number") from None
    if not math.isfinite(value):
        raise ValidationError(f"{where}: every value must be finite, got {t!r}")
    return value


def parse_axis(text: str) -> tuple[str, NDArray[Any]]:
    """Parse one command-line grid axis ``NAME=START:STOP:NUM``, ``NAME=V1,V2,…`` or ``NAME=V``.

    Parameters
    ----------
    text : str
        The axis, e.g. ``"w_ee=0:2:101"`` (101 values from 0 to 2, both included).

    Returns
    -------
    (str, ndarray)
        The parameter name and its values (``int64`` when every value is an integer written
        without a decimal point in a list, otherwise ``float64``; ranges are always float).

    Raises
    ------
    ValidationError
        No ``=``, a bad name, a range that is not three numbers, ``NUM`` not an integer ≥ 1,
        a non-numeric or non-finite value.

    Examples
    --------
    >>> from eicircuits.sweeps import parse_axis
    >>> parse_axis("w_ei=0:4:3")
    ('w_ei', array([0., 2., 4.]))
    """
    if not isinstance(text, str) or "=" not in text:
        raise ValidationError(
            f"grid: expected NAME=START:STOP:NUM or NAME=V1,V2,... , got {text!r}"
        )
    name, _, rhs = text.partition("=")
    name = name.strip()
    where = f"grid {name!r}"
    rhs = rhs.strip()
    if not rhs:
        raise ValidationError(f"{where}: no values after '=' in {text!r}")
    if ":" in rhs:
        parts = rhs.split(":")
        if len(parts) != 3:
            raise ValidationError(
                f"{where}: a range must be START:STOP:NUM (three numbers), got {rhs!r}"
            )
        start = float(_number(parts[0], where))
        stop = float(_number(parts[1], where))
        num = _number(parts[2], where)
        if not isinstance(num, int) or num < 1:
            raise ValidationError(
                f"{where}: NUM in START:STOP:NUM must be an integer >= 1, got {parts[2]!r}"
            )
        return name, np.linspace(start, stop, num)
    values = [_number(v, where) for v in rhs.split(",")]
    return name, _as_values(name, values)


def _as_values(name: str, values: Any) -> NDArray[Any]:
    where = f"grid {name!r}"
    if isinstance(values, str):
        raise ValidationError(
            f"{where}: expected numbers, got the string {values!r}; "
            "use parse_axis for the 'START:STOP:NUM' syntax"
        )
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ValidationError(f"{where}: values must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValidationError(f"{where}: no values (an empty axis makes an empty sweep)")
    if arr.dtype.kind == "b":
        arr = arr.astype(np.int64)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    if arr.dtype.kind != "f":
        try:
            arr = arr.astype(float)
        except (TypeError, ValueError):
            raise ValidationError(
                f"{where}: values must be numbers, got dtype {arr.dtype} ({arr[:3].tolist()!r} …)"
            ) from None
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)][0]
        raise ValidationError(f"{where}: every value must be finite, got {bad}")
    return arr


def parse_grid(grid: Mapping[str, Any] | Iterable[str]) -> dict[str, NDArray[Any]]:
    """Validate a grid: ``{name: values}`` or command-line axes ``["w_ee=0:2:101", …]``.

    Values of a mapping may be array-likes of numbers or axis strings (``"0:2:101"``,
    ``"1,2,3"``). The order of the parameters is the order given; it is the order of the
    dimensions of the result.

    Raises
    ------
    ValidationError
        An empty grid or axis, a duplicate or invalid name, a reserved name (``seed``, ``rng``),
        non-numeric or non-finite values, bad range syntax.

    Examples
    --------
    >>> from eicircuits.sweeps import parse_grid
    >>> {k: v.size for k, v in parse_grid({"w_ee": [0.5, 1.5], "w_ei": "0:4:5"}).items()}
    {'w_ee': 2, 'w_ei': 5}
    """
    items: list[tuple[str, Any]]
    if isinstance(grid, Mapping):
        items = []
        for name, values in grid.items():
            if isinstance(values, str):
                items.append(parse_axis(f"{name}={values}"))
            else:
                items.append((name, values))
    elif isinstance(grid, str):
        items = [parse_axis(grid)]
    else:
        try:
            axes = list(grid)
        except TypeError:
            raise ValidationError(
                f"grid: expected a mapping name -> values or a list of 'NAME=START:STOP:NUM' "
                f"strings, got {type(grid).__name__}"
            ) from None
        items = [parse_axis(a) for a in axes]
    if not items:
        raise ValidationError("grid: no parameters; give at least one, e.g. {'w_ee': [0, 1]}")
    out: dict[str, NDArray[Any]] = {}
    for name, values in items:
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValidationError(
                f"grid: parameter names must be Python identifiers, got {name!r}"
            )
        if name in RESERVED:
            raise ValidationError(
                f"grid: {name!r} is reserved (the 'seed' dimension and the builder's 'rng' are "
                "set by sweep(seeds=..., rng=...)); rename the parameter"
            )
        if name in out:
            raise ValidationError(f"grid: parameter {name!r} is given more than once")
        out[name] = _as_values(name, values)
    return out


def normalize_chunks(chunks: Mapping[str, int] | None, dims: Sequence[str],
                     shape: Sequence[int], *,
                     max_points: int = MAX_POINTS_PER_CHUNK) -> tuple[int, ...]:
    """Points per chunk along each dimension (a missing name gets a default).

    ``max_points`` replaces :data:`MAX_POINTS_PER_CHUNK` (a sweep raises it to
    :data:`MAX_POINTS_VECTORIZED` when every analysis has a vectorised path).

    The default aims at about :data:`TARGET_CHUNKS` chunks of :data:`MIN_POINTS_PER_CHUNK` to
    :data:`MAX_POINTS_PER_CHUNK` points, filling the last (fastest) dimensions first, and at
    least :data:`MIN_CHUNKS` chunks when the grid has that many points (so that a small grid of
    expensive points runs in parallel).

    Raises
    ------
    ValidationError
        An unknown dimension name or a size that is not an integer ≥ 1.

    Examples
    --------
    >>> from eicircuits.sweeps import normalize_chunks
    >>> normalize_chunks(None, ["a", "b"], [101, 101])
    (1, 101)
    >>> normalize_chunks(None, ["a", "b"], [1000, 1000])
    (1, 1000)
    >>> normalize_chunks(None, ["a", "b"], [5, 3])
    (1, 1)
    >>> normalize_chunks(None, ["a", "b"], [40, 20])
    (1, 20)
    >>> normalize_chunks({"a": 10}, ["a", "b"], [101, 101])
    (10, 16)
    """
    chunks = dict(chunks or {})
    for name, size in chunks.items():
        if name not in dims:
            raise ValidationError(
                f"chunks: {name!r} is not a dimension of the sweep; expected some of {list(dims)}"
            )
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValidationError(
                f"chunks[{name!r}]: points per chunk must be an integer >= 1, got {size!r}"
            )
    total = math.prod(shape)
    target = min(max_points,
                 max(MIN_POINTS_PER_CHUNK, math.ceil(total / TARGET_CHUNKS)),
                 max(1, math.ceil(total / MIN_CHUNKS)))
    fixed = math.prod(min(int(chunks[d]), s) for d, s in zip(dims, shape, strict=True)
                      if d in chunks)
    budget = max(1, target // max(fixed, 1))
    out = [0] * len(dims)
    for k in range(len(dims) - 1, -1, -1):
        d, s = dims[k], shape[k]
        if d in chunks:
            out[k] = min(int(chunks[d]), s)
        else:
            out[k] = max(1, min(s, budget))
            budget = max(1, budget // out[k])
    return tuple(out)
