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


def check_vector(name: str, value: Any, n: int, *, default: float = 0.0, context: str = "",
                 scalar: bool = True, what: str = "entry") -> NDArray[np.float64]:
    """A length-``n`` vector of finite reals (a scalar is broadcast when ``scalar``), copied.

    ``context`` is appended to the shape message (e.g. ``" to match W"``); ``what`` names the
    entries in the finiteness message (e.g. ``"rate"``).
    """
    if value is None:
        value = default
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name}: expected numbers, got {describe(value)}") from exc
    if arr.ndim == 0 and scalar:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        expected = f"a scalar or shape ({n},)" if scalar else f"shape ({n},)"
        raise ValidationError(
            f"{name}: expected {expected}{context}, got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        k = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValidationError(f"{name}: every {what} must be finite; {name}[{k}] = {arr[k]}")
    return arr
