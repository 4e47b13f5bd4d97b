"""BLAS thread control for the many small mat-vecs of a simulation.

A time-stepping loop calls one dense mat-vec per step. For small and medium matrices the
synchronisation of a multi-threaded BLAS costs more than the arithmetic, and on a busy machine
it is far worse: here a dense 1000 × 1000 mat-vec once ran 34× slower with OpenBLAS's default
2 threads than with 1. :func:`blas_threads` limits the BLAS thread pool for the duration of a
block (through ``threadpoolctl``), and :func:`auto_blas_threads` says how many threads to use
for a given weight matrix. Sparse SciPy mat-vecs are single-threaded and are not affected.

Examples
--------
>>> import numpy as np
>>> from eicircuits._threads import auto_blas_threads, blas_threads
>>> auto_blas_threads(np.zeros((100, 100)))
1
>>> with blas_threads(1):
...     float(np.ones((3, 3)) @ np.ones(3) @ np.ones(3))
9.0
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import scipy.sparse as sp

from .errors import ValidationError

__all__ = ["DENSE_SINGLE_THREAD_LIMIT", "auto_blas_threads", "blas_threads", "resolve_threads"]

#: Dense matrices with at most this many rows run their mat-vecs on one BLAS thread by default.
DENSE_SINGLE_THREAD_LIMIT = 2048


def auto_blas_threads(W: Any) -> int | None:
    """Recommended BLAS thread count for repeated mat-vecs with ``W``.

    Returns 1 for a dense ``W`` with at most :data:`DENSE_SINGLE_THREAD_LIMIT` rows (one
    mat-vec is too short to amortise thread synchronisation), ``None`` (leave the library's
    default) for larger dense matrices and for sparse ones (SciPy's sparse mat-vec does not use
    BLAS).
    """
    if sp.issparse(W):
        return None
    return 1 if W.shape[0] <= DENSE_SINGLE_THREAD_LIMIT else None


def resolve_threads(threads: Any, W: Any) -> int | None:
    """Validate a ``threads`` argument (``"auto"``, ``None`` or an int ≥ 1) into a limit.

    Raises
    ------
    ValidationError
        ``threads`` is not ``"auto"``, ``None`` or a positive integer.
    """
    if threads is None:
        return None
    if isinstance(threads, str) and threads == "auto":
        return auto_blas_threads(W)
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValidationError(
            f"threads: must be 'auto', None or an integer ≥ 1, got {threads!r}"
        )
    return threads


_CONTROLLER: Any = None


def _controller() -> Any:
    """One ``ThreadpoolController`` for the process (inspecting the loaded libraries costs ~1 ms,
    limiting through a kept controller ~0.04 ms). NumPy's and SciPy's BLAS are loaded first so
    that the controller sees both."""
    global _CONTROLLER
    if _CONTROLLER is None:
        import scipy.linalg  # noqa: F401  (loads SciPy's BLAS/LAPACK before the inspection)
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER


@contextlib.contextmanager
def blas_threads(limit: int | None) -> Iterator[None]:
    """Limit the BLAS thread pools to ``limit`` threads inside the block (``None``: no change)."""
    if limit is None:
        yield
        return
    with _controller().limit(limits=int(limit), user_api="blas"):
        yield
