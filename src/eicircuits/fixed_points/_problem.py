"""The equilibrium problem of a piecewise-linear network in box (mixed LCP) form.

Every supported piecewise-linear activation is ``φ(z) = clip(c·z + o, lo, hi)``: ReLU
(``c = 1``, ``[0, ∞)``), clipped ReLU (``[0, r_max]``), linear (``(−∞, ∞)``) and
:class:`~eicircuits.activations.Scaled` versions of these (slope ``c = 1/s``, offset
``o = −cθ`` for a threshold ``θ``). Scaling row ``i`` of ``W`` and ``u_i`` by ``c_i`` gives
the normal form used by every exact solver here::

    x = clip(A x + b, lo, hi),   A = diag(c) W,  b = c·u + o,

the box-constrained linear complementarity problem with matrix ``M = I − A`` and pseudo-gradient
``F(x) = M x − b`` (docs/theory.md §2, §4).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..activations import Activation, ClippedReLU, Linear, ReLU, Scaled
from ..network import Network

FloatArray = NDArray[np.float64]

#: Neuron states in a partition: at the lower bound, in the linear piece, at the upper bound.
LOW, LIN, HIGH = 0, 1, 2


def clip_form(act: Activation) -> tuple[float, float, float, float] | None:
    """``(c, lo, hi, o)`` with ``act(z) = clip(c z + o, lo, hi)``, or ``None`` if not of that form.

    ``o`` is nonzero for a :class:`~eicircuits.activations.Scaled` activation with a threshold
    ``θ`` (``φ((z − θ)/s)``: ``o = −cθ``).
    """
    if isinstance(act, ReLU):
        return 1.0, 0.0, math.inf, 0.0
    if isinstance(act, ClippedReLU):
        return 1.0, 0.0, act.r_max, 0.0
    if isinstance(act, Linear):
        return 1.0, -math.inf, math.inf, 0.0
    if isinstance(act, Scaled):
        inner = clip_form(act.base)
        if inner is None:
            return None
        c, lo, hi, o = inner
        theta = float(getattr(act, "threshold", 0.0))
        return c / act.s, lo, hi, o - c * theta / act.s
    return None


@dataclasses.dataclass(frozen=True, eq=False)
class BoxProblem:
    """``x = clip(A x + b, lo, hi)`` with ``A`` dense or CSR (see the module docstring)."""

    A: Any
    b: FloatArray
    lo: FloatArray
    hi: FloatArray

    @property
    def n(self) -> int:
        return int(self.b.shape[0])

    @property
    def sparse(self) -> bool:
        return sp.issparse(self.A)

    def drive(self, x: FloatArray) -> FloatArray:
        return self.A @ x + self.b

    def project(self, z: FloatArray) -> FloatArray:
        return np.clip(z, self.lo, self.hi)

    def partition(self, z: FloatArray) -> NDArray[np.int8]:
        """State of every neuron for drive ``z`` (ties at a bound count as saturated)."""
        state = np.full(self.n, LIN, dtype=np.int8)
        state[z <= self.lo] = LOW
        state[z >= self.hi] = HIGH
        return state

    def dense_A(self) -> FloatArray:
        return self.A.toarray() if self.sparse else self.A

    def M_dense(self) -> FloatArray:
        """``I − A`` as a dense array."""
        return np.eye(self.n) - self.dense_A()


def box_problem(net: Network, u: FloatArray) -> BoxProblem | None:
    """The normal form of ``net`` with input ``u``, or ``None`` if an activation is not a clip."""
    forms = {}
    for act in set(net.activations):
        form = clip_form(act)
        if form is None:
            return None
        forms[act] = form
    table = np.array([forms[a] for a in net.activations], dtype=float).reshape(net.n, 4)
    c, lo, hi, o = table[:, 0], table[:, 1].copy(), table[:, 2].copy(), table[:, 3]
    if np.all(c == 1.0):
        A = net.W
        b = np.array(u, dtype=float) + o
    else:
        A = sp.csr_array(sp.diags_array(c) @ net.W) if net.is_sparse else c[:, None] * net.W
        b = c * u + o
    return BoxProblem(A=A, b=b, lo=lo, hi=hi)
