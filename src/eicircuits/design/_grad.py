"""Gradients of equilibria by the implicit function theorem (docs/theory.md §6).

Where ``φ`` is differentiable at ``z* = W x* + u`` and ``Λ = diag(φ'(z*))``,
``dx* = (I − ΛW)⁻¹ Λ (dW x* + du)``. For a loss ``L(x*)`` with ``g = ∂L/∂x*`` one adjoint solve
``(I − ΛW)ᵀ a = g`` gives ``∂L/∂u = Λ a`` and ``∂L/∂W = (Λ a) x*ᵀ``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import ArrayLike, NDArray

from .._validate import check_vector, describe
from ..errors import ConvergenceError, SolverError, ValidationError
from ..network import Network

__all__ = ["equilibrium_grad"]

FloatArray = NDArray[np.float64]


def equilibrium_grad(net: Network, dloss_dx: ArrayLike, x: ArrayLike | None = None
                     ) -> tuple[Any, FloatArray]:
    """Gradient of a loss of the equilibrium with respect to ``W`` and ``u``.

    Parameters
    ----------
    net : Network
        Dense or sparse ``W``; the input is ``net.u``.
    dloss_dx : array_like, shape (n,)
        ``∂L/∂x*``.
    x : array_like, shape (n,), optional
        The equilibrium ``x*`` (default: :func:`eicircuits.equilibrium`). At a kink of a ReLU
        the one-sided derivative ``φ'`` of the activation is used.

    Returns
    -------
    dW : ndarray (n, n), or sparse with the pattern of ``W`` when ``W`` is sparse
        ``∂L/∂W`` (for sparse ``W``: the gradient on the existing synapses).
    du : ndarray, shape (n,)
        ``∂L/∂u``.

    Raises
    ------
    ValidationError
        Wrong shapes or non-finite numbers.
    ConvergenceError
        No equilibrium found when ``x`` is not given.
    SolverError
        ``I − ΛW`` is singular (not possible when ``W − I`` is LDS).

    Examples
    --------
    >>> from eicircuits import Network
    >>> from eicircuits.design import equilibrium_grad
    >>> net = Network(W=[[0.5]], u=[1.0])            # x* = u / (1 − w) = 2
    >>> dW, du = equilibrium_grad(net, [1.0])
    >>> float(du[0]), float(dW[0, 0])                 # 1/(1 − w), x*/(1 − w)
    (2.0, 4.0)
    """
    if not isinstance(net, Network):
        raise ValidationError(f"equilibrium_grad: net must be a Network, got {describe(net)}")
    n = net.n
    g = check_vector("dloss_dx", dloss_dx, n, scalar=False)
    if x is None:
        from ..fixed_points import equilibrium

        eq = equilibrium(net)
        if not eq.converged:
            raise ConvergenceError(f"equilibrium_grad: no equilibrium found: {eq.message}")
        xs = eq.x
    else:
        xs = check_vector("x", x, n, scalar=False)
    z = net.drive(xs)
    lam = net.dphi(z)
    if net.is_sparse:
        M = (sp.eye_array(n, format="csc") - sp.diags_array(lam) @ net.W).T.tocsc()
        try:
            a = spla.spsolve(M, g)
        except RuntimeError as exc:  # pragma: no cover (singular factor)
            raise SolverError(f"equilibrium_grad: I − ΛW is singular: {exc}") from exc
        if not np.all(np.isfinite(a)):
            raise SolverError("equilibrium_grad: I − ΛW is singular (is W − I LDS?)")
        b = lam * a
        W = net.W.tocoo()
        dW = sp.csr_array((b[W.row] * xs[W.col], (W.row, W.col)), shape=(n, n))
        return dW, b
    M = np.eye(n) - lam[:, None] * net.W
    try:
        a = np.linalg.solve(M.T, g)
    except np.linalg.LinAlgError as exc:
        raise SolverError("equilibrium_grad: I − ΛW is singular (is W − I LDS?)") from exc
    b = lam * a
    return np.outer(b, xs), b
