"""Exact rational arithmetic on float matrices (every float is a dyadic rational).

A float array is turned into an integer array (Python ``int`` objects) times a common power of
two, so products, sums and Bareiss elimination are exact. Used by certificate verification
for ``n ≤ 60``: a certificate is then a proof, not a solver's opinion.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["to_integer", "is_positive_definite_exact", "leading_minors_exact"]


def to_integer(a: Any) -> tuple[np.ndarray, int]:
    """``a = M / 2**e`` exactly, ``M`` an object array of Python ints; returns ``(M, e)``."""
    arr = np.asarray(a, dtype=float)
    ratios = [x.as_integer_ratio() for x in arr.ravel().tolist()]
    den = max((d for _, d in ratios), default=1)
    e = den.bit_length() - 1
    out = np.empty(arr.size, dtype=object)
    out[:] = [num * (den // d) for num, d in ratios]
    return out.reshape(arr.shape), e


def leading_minors_exact(M: np.ndarray) -> list[int]:
    """Leading principal minors of an integer (object) matrix by Bareiss elimination.

    Fraction-free: every intermediate value is an exact integer minor, so the result is exact.
    Stops at the first zero pivot (the remaining minors are then not computed).
    """
    A = np.array(M, dtype=object, copy=True)
    n = A.shape[0]
    minors: list[int] = []
    prev = 1
    for k in range(n):
        piv = A[k, k]
        minors.append(int(piv))
        if piv == 0 or k == n - 1:
            break
        sub = A[k + 1 :, k + 1 :] * piv - np.outer(A[k + 1 :, k], A[k, k + 1 :])
        A[k + 1 :, k + 1 :] = sub // prev
        prev = piv
    return minors


def is_positive_definite_exact(S: Any) -> bool:
    """Exact Sylvester test: a symmetric float matrix is positive definite.

    Examples
    --------
    >>> is_positive_definite_exact([[2.0, 1.0], [1.0, 2.0]])
    True
    >>> is_positive_definite_exact([[1.0, 1.0], [1.0, 1.0]])
    False
    """
    M, _ = to_integer(S)
    n = M.shape[0]
    if np.any(M != M.T):
        return False
    minors = leading_minors_exact(M)
    return len(minors) == n and all(m > 0 for m in minors)


def fraction(x: float) -> Fraction:
    """The exact rational value of a float."""
    return Fraction(x)
