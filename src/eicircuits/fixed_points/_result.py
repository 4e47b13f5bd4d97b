"""The :class:`Equilibrium` result object: an equilibrium that remembers its problem."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._limits import STABILITY_LIMIT
from .._result import Result
from ..errors import ConvergenceError, ValidationError
from ..network import Network
from ._problem import box_problem

__all__ = ["Equilibrium", "STABILITY_LIMIT", "kink_neurons"]

FloatArray = NDArray[np.float64]


@dataclasses.dataclass(frozen=True, eq=False)
class Equilibrium(Result):
    """An equilibrium ``x* = Φ(W x* + u)`` of the rate form, or a report that none was found.

    It remembers the problem it was solved for: the input ``u``, the fingerprint of ``W``
    (:meth:`Network.fingerprint`) and the network itself, so :meth:`with_stability` needs no
    argument.

    Attributes
    ----------
    x : ndarray, shape (n,)
        The rates. When ``converged`` is False this is the last iterate: do not use it as an
        equilibrium.
    residual : float
        ``‖x − Φ(W x + u)‖∞``.
    active : ndarray of int
        Neurons whose drive ``(W x + u)_i`` lies where ``φ_i' > 0`` (the linear, unsaturated
        piece of a ReLU / clipped ReLU; every neuron with a smooth strictly increasing ``φ``).
    converged : bool
        Whether ``x`` is an equilibrium to the requested tolerance (alias: ``success``).
    iterations : int
        Iterations (Newton steps, pivots, supports examined) the method used.
    method : str
        The method that produced ``x``.
    message : str
        What happened (with ``method="auto"``: every method tried), and what to do about a
        failure.
    stable : bool or None
        The local-stability verdict for the network's time constants (``True`` stable,
        ``False`` unstable, ``None`` undecided or not computed); see ``stability``.
    eigenvalues : ndarray or None
        Eigenvalues of the rate Jacobian ``τ⁻¹(−I + diag(Φ'(W x + u)) W)``, largest real part
        first (for large networks the rightmost few), ``None`` when not computed.
    u : ndarray or None
        The input the equilibrium was solved for.
    fingerprint : str or None
        :meth:`Network.fingerprint` of the weights it was solved for.
    stability : LocalStability or None
        The full verdict of :func:`eicircuits.stability.local_stability`, with its reason.
    stats : dict
        ``iterations``, ``residual`` and, for ``method="auto"``, ``methods_tried``.

    Examples
    --------
    >>> from eicircuits import Network, equilibrium
    >>> eq = equilibrium(Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[1.0, 0.5]))
    >>> eq.converged, eq.x.round(6).tolist(), eq.u.tolist()
    (True, [0.071429, 0.357143], [1.0, 0.5])
    >>> eq.raise_if_failed() is eq
    True
    >>> eq.with_stability().stability.verdict
    'stable'
    """

    x: FloatArray
    residual: float
    active: NDArray[np.intp]
    converged: bool
    iterations: int
    method: str
    message: str
    stable: bool | None = None
    eigenvalues: NDArray[np.complex128] | None = None
    u: FloatArray | None = None
    stability: Any = None
    stats: dict[str, Any] = dataclasses.field(default_factory=dict)
    _net: Network | None = dataclasses.field(default=None, repr=False)
    _fingerprint: str | None = dataclasses.field(default=None, repr=False)

    @property
    def fingerprint(self) -> str | None:
        """:meth:`Network.fingerprint` of the weights it was solved for (computed on demand)."""
        if self._fingerprint is None and self._net is not None:
            object.__setattr__(self, "_fingerprint", self._net.fingerprint())
        return self._fingerprint

    # ---------------------------------------------------------------- result shape
    @property
    def success(self) -> bool:
        """Alias of ``converged``."""
        return bool(self.converged)

    @property
    def status(self) -> str:
        """``"converged"`` or ``"failed"``."""
        return "converged" if self.converged else "failed"

    def raise_if_failed(self) -> Equilibrium:
        """Return ``self`` if converged, else raise :class:`~eicircuits.errors.ConvergenceError`.

        Raises
        ------
        ConvergenceError
            With the method's message.
        """
        if not self.converged:
            raise ConvergenceError(
                f"equilibrium ({self.method}) failed: {self.message} "
                f"(residual {self.residual:.3g} after {self.iterations} iterations)"
            )
        return self

    # ---------------------------------------------------------------- stability
    def with_stability(self, net: Network | None = None, *,
                       limit: int = STABILITY_LIMIT) -> Equilibrium:
        """A copy with ``stable``, ``eigenvalues`` and ``stability`` filled in.

        The verdict is :func:`eicircuits.stability.local_stability` at ``x`` for the input the
        equilibrium was solved for (``self.u``): stable, unstable or undecided, with its reason
        appended to ``message``. At kinks the activations' actual one-sided slopes are used.

        Parameters
        ----------
        net : Network, optional
            Default: the network the equilibrium was solved for. Another network with the same
            weights (fingerprint) may be passed to use its time constants.
        limit : int
            Largest ``n`` for dense eigenvalues; above it ARPACK computes the rightmost ones.

        Raises
        ------
        ValidationError
            ``net`` has other weights than the equilibrium was solved for, or no network is
            known (an ``Equilibrium`` built by hand without one).

        Examples
        --------
        >>> from eicircuits import Network, equilibrium
        >>> net = Network(W=[[0.0, -3.0, 0.0], [0.0, 0.0, -3.0], [-3.0, 0.0, 0.0]], u=1.0)
        >>> eq = equilibrium(net).with_stability()
        >>> eq.stable, round(float(eq.eigenvalues[0].real), 6)
        (False, 0.5)
        """
        from ..stability._local import LocalStability, verdict

        if net is None:
            net = self._net
            if net is None:
                raise ValidationError(
                    "with_stability: this Equilibrium does not know its network; pass net"
                )
        elif not isinstance(net, Network):
            raise ValidationError(f"net: expected a Network, got {type(net).__name__}")
        elif (self._net is not None and net.W is not self._net.W
              and net.fingerprint() != self.fingerprint):
            raise ValidationError(
                "net: its weights (fingerprint "
                f"{net.fingerprint()[:12]}…) are not those this equilibrium was solved for "
                f"({self.fingerprint[:12]}…); solve it again with equilibrium(net)"
            )
        if self.x.shape != (net.n,):
            raise ValidationError(f"net: has n = {net.n} neurons, the equilibrium {self.x.size}")
        u = net.u if self.u is None else self.u
        if not self.converged:
            nan = float("nan")
            ls = LocalStability(
                "undecided", "not an equilibrium (the solver did not converge): nothing to "
                "classify", nan, np.array([], dtype=complex), np.zeros(net.n, dtype=bool),
                np.array([], dtype=np.intp), "none")
        else:
            ls = verdict(net, np.asarray(self.x, dtype=float), u, dense_limit=int(limit))
        note = f"local stability: {ls}"
        message = f"{self.message}; {note}" if self.message else note
        eig = ls.eigenvalues if ls.eigenvalues.size else None
        return dataclasses.replace(self, stable=ls.stable, eigenvalues=eig, stability=ls,
                                   message=message)

    def _fields_for_dict(self) -> dict[str, Any]:
        out = super()._fields_for_dict()
        out["fingerprint"] = self.fingerprint
        out["stats"] = dict(self.stats)
        return out


def kink_neurons(net: Network, x: FloatArray, *, rtol: float = 1e-9,
                 u: FloatArray | None = None) -> NDArray[np.intp]:
    """Neurons of a piecewise-linear network whose drive lies at a threshold (within ``rtol``).

    ``u`` is the input (default ``net.u``).
    """
    prob = box_problem(net, net.u if u is None else np.asarray(u, dtype=float))
    if prob is None:
        return np.array([], dtype=np.intp)
    z = prob.drive(np.asarray(x, dtype=float))
    scale = rtol * (1.0 + np.abs(z))
    at = (np.abs(z - prob.lo) <= scale) | (np.abs(z - prob.hi) <= scale)
    return np.flatnonzero(at)
