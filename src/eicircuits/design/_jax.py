"""A ``jax.custom_vjp`` equilibrium map ``(W, u) ↦ x*`` for training with ``jax.grad``.

The forward pass solves for the equilibrium with :func:`eicircuits.equilibrium` (exact for
piecewise-linear activations) through ``jax.pure_callback``; the backward pass is the implicit
function theorem
(docs/theory.md §6) written in JAX: one solve with ``(I − ΛW)ᵀ``. jax is imported only
when :func:`jax_equilibrium` is called (the ``[jax]`` extra). Work in float64
(``jax.config.update("jax_enable_x64", True)``): the map refuses float32 arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..activations import Activation, ClippedReLU, Linear, Logistic, ReLU, Softplus, Tanh
from ..errors import SolverError, ValidationError

__all__ = ["jax_equilibrium"]


def _jax_dphi(act: Activation) -> Callable[[Any], Any]:
    import jax.numpy as jnp

    if isinstance(act, ReLU):
        return lambda z: (z > 0).astype(z.dtype)
    if isinstance(act, ClippedReLU):
        r = act.r_max
        return lambda z: ((z > 0) & (z < r)).astype(z.dtype)
    if isinstance(act, Linear):
        return lambda z: jnp.ones_like(z)
    if isinstance(act, Tanh):
        return lambda z: 1.0 - jnp.tanh(z) ** 2
    if isinstance(act, Logistic):
        return lambda z: 4.0 * jnp.exp(-4.0 * z) / (1.0 + jnp.exp(-4.0 * z)) ** 2
    if isinstance(act, Softplus):
        return lambda z: 1.0 / (1.0 + jnp.exp(-z))
    raise ValidationError(
        f"activation: jax_equilibrium supports ReLU, ClippedReLU, Linear, Tanh, Logistic and "
        f"Softplus, got {act!r}")


def jax_equilibrium(activation: Activation | None = None, *, tau: Any = 1.0
                    ) -> Callable[[Any, Any], Any]:
    """A differentiable JAX function ``eq(W, u) -> x*`` (``custom_vjp``).

    Parameters
    ----------
    activation : Activation, optional
        Shared by all neurons; default :class:`~eicircuits.ReLU`.
    tau : float
        Time constants (do not change the equilibrium; kept for the forward solve).

    Returns
    -------
    callable
        ``eq(W, u)`` with ``W`` of shape ``(n, n)`` and ``u`` of shape ``(n,)`` (float64);
        ``jax.grad`` of any loss of ``eq(W, u)`` uses one adjoint linear solve.

    Raises
    ------
    ValidationError
        An activation without a JAX derivative, or float32 inputs.
    SolverError
        The forward equilibrium solve fails (the callback raises inside JAX).

    Examples
    --------
    >>> import jax
    >>> jax.config.update("jax_enable_x64", True)
    >>> import jax.numpy as jnp
    >>> from eicircuits.design import jax_equilibrium
    >>> eq = jax_equilibrium()
    >>> W, u = jnp.array([[0.5]]), jnp.array([1.0])
    >>> float(eq(W, u)[0]), float(jax.grad(lambda u: eq(W, u).sum())(u)[0])
    (2.0, 2.0)
    """
    import jax
    import jax.numpy as jnp

    from ..fixed_points import equilibrium
    from ..network import Network

    act = ReLU() if activation is None else activation
    if not isinstance(act, Activation):
        raise ValidationError(f"activation: expected an Activation, got {act!r}")
    dphi = _jax_dphi(act)

    def _solve_np(W: Any, u: Any) -> np.ndarray:
        net = Network(W=np.asarray(W, dtype=float), u=np.asarray(u, dtype=float),
                      activation=act, tau=tau)
        eq = equilibrium(net)
        if not eq.converged:
            raise SolverError(f"jax_equilibrium: no equilibrium found: {eq.message}")
        return eq.x

    def _forward(W: Any, u: Any) -> Any:
        if W.dtype != jnp.float64 or u.dtype != jnp.float64:
            raise ValidationError(
                f"jax_equilibrium: W and u must be float64 (enable jax_enable_x64), got "
                f"{W.dtype} and {u.dtype}")
        shape = jax.ShapeDtypeStruct(u.shape, jnp.float64)
        return jax.pure_callback(_solve_np, shape, W, u)

    @jax.custom_vjp
    def eq(W: Any, u: Any) -> Any:
        return _forward(W, u)

    def fwd(W: Any, u: Any) -> tuple[Any, tuple[Any, Any, Any]]:
        x = _forward(W, u)
        return x, (W, u, x)

    def bwd(res: tuple[Any, Any, Any], g: Any) -> tuple[Any, Any]:
        W, u, x = res
        lam = dphi(W @ x + u)
        M = jnp.eye(W.shape[0]) - lam[:, None] * W
        a = jnp.linalg.solve(M.T, g)
        b = lam * a
        return jnp.outer(b, x), b

    eq.defvjp(fwd, bwd)
    return eq
