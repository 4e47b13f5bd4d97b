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
    """The ``k`` rightmost eigenvalues of ``jac`` (largest real part first) and whether all of
    them (hence every eigenvalue) have negative real part.

    Dense LAPACK up to :data:`~eicircuits._limits.STABILITY_LIMIT`, ARPACK (``which="LR"``)
    above. Returns fewer than ``k`` values for smaller matrices; an empty matrix is stable.
    """
    n = jac.shape[0]
    if n == 0:
        return np.zeros(0, dtype=complex), True
    if n <= STABILITY_LIMIT or n <= k + 2:
        dense = jac.toarray() if sp.issparse(jac) else np.asarray(jac, dtype=float)
        eig = np.linalg.eigvals(dense).astype(complex)
    else:
        op = sp.csr_array(jac) if sp.issparse(jac) else jac
        eig = spla.eigs(op, k=min(k + 2, n - 2), which="LR", return_eigenvectors=False,
                        maxiter=max(5000, 20 * n), tol=1e-10, v0=np.ones(n)).astype(complex)
    order = np.lexsort((-eig.imag, -eig.real))
    eig = eig[order]
    return eig[:k], bool(eig[0].real < 0)
