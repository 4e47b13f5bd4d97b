"""A validated initial-value problem shared by the adaptive and the fixed-step paths."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..network import Network

__all__ = ["Problem", "divergence_message", "success_message"]

FloatArray = NDArray[np.float64]


@dataclasses.dataclass(frozen=True, eq=False)
class Problem:
    """``τ ẋ = −x + T(x, t)`` with ``T = Φ(Wx + u(t))`` (rate) or ``W Φ(x) + u(t)`` (voltage)."""

    net: Network
    form: str
    x0: FloatArray
    t0: float
    t1: float
    u: FloatArray | Callable[[float], Any]
    bound: float

    @property
    def n(self) -> int:
        return self.net.n

    @property
    def time_dependent(self) -> bool:
        return callable(self.u)

    def u_at(self, t: float) -> FloatArray:
        """The input at time ``t`` (checked: shape (n,), finite)."""
        if not callable(self.u):
            return self.u
        if hasattr(self.u, "sample"):  # a stimulus protocol (validated against n already)
            return self.u.sample(np.array([t]), self.n)[0]
        val = np.asarray(self.u(t), dtype=float)
        if val.shape != (self.n,) or not np.all(np.isfinite(val)):
            from ..errors import ValidationError

            raise ValidationError(
                f"u: u(t) must return a finite vector of shape ({self.n},); at t = {t!r} it "
                f"returned shape {val.shape}"
                + ("" if val.shape != (self.n,) else " with a non-finite entry")
            )
        return val

    def target(self, t: float, x: FloatArray) -> FloatArray:
        """``T(x, t)``, so that ``ẋ = (T − x)/τ``."""
        net = self.net
        if self.form == "rate":
            return net.phi(net.W @ x + self.u_at(t))
        return net.W @ net.phi(x) + self.u_at(t)

    def field(self, t: float, x: FloatArray) -> FloatArray:
        """``ẋ = τ⁻¹(−x + T(x, t))``."""
        return (self.target(t, x) - x) / self.net.tau

    def jacobian(self, t: float, x: FloatArray) -> Any:
        """The Jacobian of :meth:`field` (sparse when ``W`` is)."""
        if self.form == "rate":
            return self.net.rate_jacobian(x, self.u_at(t))
        return self.net.voltage_jacobian(x)

    def first_bad(self, x: FloatArray) -> int:
        """Index of the first entry that is non-finite or beyond the bound, or ``-1``."""
        bad = ~(np.abs(x) <= self.bound)
        if not bad.any():
            return -1
        return int(np.flatnonzero(bad)[0])


def success_message(t1: float, steps: int, dt: float) -> str:
    """The message of a fixed-step run that reached ``t1`` (every backend says the same)."""
    return f"integrated to t = {t1:g} in {steps} steps of dt = {dt:g}"


def divergence_message(prob: Problem, t: float, i: int, value: float, last_t: float) -> str:
    """Say when and where the state left the bound, and suggest why."""
    net = prob.net
    kind = ""
    if net.cell_types is not None:
        kind = f", type {net.cell_types[i]}"
    what = "became non-finite" if not np.isfinite(value) else f"reached {value:.6g}"
    return (
        f"diverged: neuron {i} ({net.names[i]!r}{kind}) {what} (bound on |x|: {prob.bound:g}) "
        f"at t ≈ {t:.6g}; the trajectory is kept up to t = {last_t:.6g}. Runaway activity "
        "usually means W − I is not stable on the active neurons (too much recurrent "
        "excitation, e.g. a self-coupling W_ii > 1 not held back by inhibition); check "
        "eicircuits.certify(net) or the equilibria's local stability, or reduce the step dt "
        "if a fixed-step method was used."
    )
