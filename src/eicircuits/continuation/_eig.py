"""Eigenvalues of a rate Jacobian along a branch: the one place continuation computes them.

Kept in one small private function so that the library's single local-stability verdict can
replace it later without touching the continuation algorithms.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from .._limits import STABILITY_LIMIT

#: How many eigenvalues (rightmost first) a branch keeps per point.
N_LEADING = 4


def leading_eigenvalues(jac: Any, k: int = N_LEADING) -> tuple[NDArray[np.complex128], bool]:
    """See :func:`eigen_summary` (without the count)."""
    lead, stable, _ = eigen_summary(jac, k)
    return lead, stable


def eigen_summary(jac: Any, k: int = N_LEADING) -> tuple[NDArray[np.complex128], bool, int]:
    """The ``k`` rightmost eigenvalues of ``jac`` (largest real part first), whether every
    eigenvalue has negative real part, and how many have positive real part (counted among the
    computed ones: all of them when dense).

    Dense LAPACK up to :data:`~eicircuits._limits.STABILITY_LIMIT`, ARPACK (``which="LR"``)
    above. Returns fewer than ``k`` values for smaller matrices; an empty matrix is stable.
    """
    n = jac.shape[0]
    if n == 0:
        return np.zeros(0, dtype=complex), True, 0
    if n <= STABILITY_LIMIT or n <= k + 2:
        dense = jac.toarray() if sp.issparse(jac) else np.asarray(jac, dtype=float)
        eig = np.linalg.eigvals(dense).astype(complex)
    else:
        op = sp.csr_array(jac) if sp.issparse(jac) else jac
        eig = spla.eigs(op, k=min(k + 2, n - 2), which="LR", return_eigenvectors=False,
                        maxiter=max(5000, 20 * n), tol=1e-10, v0=np.ones(n)).astype(complex)
    order = np.lexsort((-eig.imag, -eig.real))
    eig = eig[order]
    return eig[:k], bool(eig[0].real < 0), int(np.sum(eig.real > 0))
