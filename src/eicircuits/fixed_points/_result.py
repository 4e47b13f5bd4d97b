"""The :class:`Equilibrium` result object and local stability of an equilibrium."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from ..errors import ConvergenceError, SizeLimitError
from ..network import Network
from ._problem import box_problem, clip_form

__all__ = ["Equilibrium", "STABILITY_LIMIT", "kink_neurons"]

FloatArray = NDArray[np.float64]

#: Largest ``n`` for which :meth:`Equilibrium.with_stability` computes the dense spectrum.
STABILITY_LIMIT = 4000

#: At most this many neurons at a kink are resolved side by side (``2**k`` linearisations).
_MAX_KINKS = 10


@dataclasses.dataclass(frozen=True, eq=False)
class Equilibrium:
    """An equilibrium ``x* = Φ(W x* + u)`` of the rate form, or a report that none was found.

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
        Whether ``x`` is an equilibrium to the requested tolerance.
    iterations : int
        Iterations (Newton steps, pivots, or supports examined) the method used.
    method : str
        The method that produced ``x``.
    message : str
        What happened, and what to do about a failure.
    stable : bool or None
        Local exponential stability for the network's time constants: every eigenvalue of the
        rate Jacobian ``τ⁻¹(−I + diag(Φ'(W x + u)) W)`` has negative real part. ``None`` when
        not computed, or when a ReLU neuron sits exactly at its kink and the one-sided
        linearisations disagree (the message then says so).
    eigenvalues : ndarray or None
        Eigenvalues of that Jacobian, largest real part first (``None`` when not computed).

    Examples
    --------
    >>> from eicircuits import Network, equilibrium
    >>> eq = equilibrium(Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[1.0, 0.5]))
    >>> eq.converged, eq.x.round(6).tolist()
    (True, [0.071429, 0.357143])
    >>> eq.raise_if_failed() is eq
    True
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

    def with_stability(self, net: Network, *, limit: int = STABILITY_LIMIT) -> Equilibrium:
        """A copy with ``stable`` and ``eigenvalues`` filled from the rate Jacobian at ``x``.

        Uses the time constants and the input of ``net`` (pass ``net.with_input(u)`` for
        another input). At a ReLU / clipped ReLU kink (drive exactly at a threshold) every
        one-sided linearisation is checked: ``stable`` is True (False) only when all of them are
        Hurwitz (all are not); otherwise ``None``. The message says so in every case: at a kink
        the common verdict of the pieces is strong evidence, not a proof (a continuous
        piecewise-linear system with Hurwitz pieces can be unstable for ``n ≥ 3``).

        Raises
        ------
        SizeLimitError
            ``net.n > limit`` (dense eigenvalues would be too costly).

        Examples
        --------
        >>> from eicircuits import Network, equilibrium
        >>> net = Network(W=[[0.0, -3.0, 0.0], [0.0, 0.0, -3.0], [-3.0, 0.0, 0.0]], u=1.0)
        >>> eq = equilibrium(net).with_stability(net)
        >>> eq.stable, round(float(eq.eigenvalues[0].real), 6)
        (False, 0.5)
        """
        if net.n > limit:
            raise SizeLimitError(
                f"with_stability: n = {net.n} exceeds limit = {limit} for dense eigenvalues; "
                "pass a larger limit or use eicircuits.stability for large networks"
            )
        z = net.drive(self.x)
        W = net.dense_W()
        d = net.dphi(z)
        jac = (d[:, None] * W - np.eye(net.n)) / net.tau[:, None]
        eig = _sorted_eigs(jac)
        stable: bool | None = bool(eig[0].real < 0)
        message = self.message
        kinks = kink_neurons(net, self.x)
        if kinks.size:
            verdicts = set()
            for k_idx, sides in _one_sided(net, z, kinks):
                dd = d.copy()
                dd[k_idx] = sides
                j = (dd[:, None] * W - np.eye(net.n)) / net.tau[:, None]
                verdicts.add(bool(_sorted_eigs(j)[0].real < 0))
            names = ", ".join(str(int(k)) for k in kinks[:8]) + (" …" if kinks.size > 8 else "")
            if kinks.size > _MAX_KINKS:
                stable = None
                note = (f"{kinks.size} neurons sit exactly at a kink, too many to resolve every "
                        "one-sided linearisation: local stability is not decided (simulate it)")
            elif len(verdicts) == 1:
                stable = verdicts.pop()
                note = (
                    f"neuron(s) {names} sit exactly at a kink; every one-sided linearisation is "
                    + ("Hurwitz" if stable else "unstable")
                    + " (linearisation verdict, not a proof at a kink)"
                )
            else:
                stable = None
                note = (
                    f"neuron(s) {names} sit exactly at a kink and the one-sided linearisations "
                    "disagree: local stability is not decided by linearisation (simulate it)"
                )
            message = f"{message}; {note}" if message else note
        return dataclasses.replace(self, stable=stable, eigenvalues=eig, message=message)


def _sorted_eigs(jac: FloatArray) -> NDArray[np.complex128]:
    eig = np.linalg.eigvals(jac).astype(complex)
    order = np.lexsort((eig.imag, -eig.real))
    return eig[order]


def kink_neurons(net: Network, x: FloatArray, *, rtol: float = 1e-9) -> NDArray[np.intp]:
    """Neurons of a piecewise-linear network whose drive lies at a threshold (within ``rtol``)."""
    prob = box_problem(net, net.u)
    if prob is None:
        return np.array([], dtype=np.intp)
    z = prob.drive(np.asarray(x, dtype=float))
    scale = rtol * (1.0 + np.abs(z))
    at = (np.abs(z - prob.lo) <= scale) | (np.abs(z - prob.hi) <= scale)
    return np.flatnonzero(at)


def _one_sided(
    net: Network, z: FloatArray, kinks: NDArray[np.intp]
) -> Iterator[tuple[NDArray[np.intp], FloatArray]]:
    """Every choice of slope (0 or the linear piece's slope ``c``) for the neurons at a kink."""
    if kinks.size > _MAX_KINKS:
        return
    slope = np.array([(clip_form(net.activations[int(i)]) or (1.0,))[0] for i in kinks])
    for combo in itertools.product((False, True), repeat=kinks.size):
        yield kinks, np.where(np.array(combo, dtype=bool), slope, 0.0)
