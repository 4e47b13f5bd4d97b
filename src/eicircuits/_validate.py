"""Argument checks shared by the model and the builders (one wording for every message)."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .errors import ValidationError

__all__ = ["describe", "check_vector"]


def describe(value: Any) -> str:
    """A short description of a value for error messages: shape and dtype for arrays."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    if sp.issparse(value):
        return f"sparse matrix of shape {value.shape}"
    return f"{value!r} of type {type(value).__name__}"


def check_vector(name: str, value: Any, n: int, *, default: float = 0.0,
                 context: str = "") -> NDArray[np.float64]:
    """A scalar (broadcast) or a length-``n`` vector of finite reals, as a new float array.

    ``context`` is appended to the shape message (e.g. ``" to match W"``).
    """
    if value is None:
        value = default
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name}: expected numbers, got {describe(value)}") from exc
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValidationError(
            f"{name}: expected a scalar or shape ({n},){context}, got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        k = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValidationError(f"{name}: every entry must be finite; {name}[{k}] = {arr[k]}")
    return arr
