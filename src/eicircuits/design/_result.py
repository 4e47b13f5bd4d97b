"""Result objects of :mod:`eicircuits.design`: :class:`Design` and :class:`Robustness`."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from .._result import Result
from ..errors import SolverError
from ..network import Network

__all__ = ["Design", "Robustness", "network_dict"]

FloatArray = NDArray[np.float64]


def network_dict(net: Network) -> dict[str, Any]:
    """The ``[network]`` table of a specification file for ``net`` (dense ``W``)."""
    acts = net.activations
    act: Any = acts[0].to_spec() if net.uniform_activation is not None else [
        a.to_spec() for a in acts]
    if isinstance(act, dict) and set(act) == {"name"}:
        act = act["name"]
    out: dict[str, Any] = {
        "W": net.dense_W().tolist(),
        "tau": net.tau.tolist() if not net.equal_tau else float(net.tau[0]),
        "u": net.u.tolist(),
        "activation": act,
    }
    if net.cell_types is not None:
        out["cell_types"] = "".join(net.cell_types)
    out["names"] = list(net.names)
    return out


@dataclasses.dataclass(frozen=True, eq=False)
class Design(Result):
    """A designed, fitted or stabilised network with its certificate, or why there is none.

    Attributes
    ----------
    success : bool
        The network exists, its certificate verifies and (for :func:`synthesize`) every target
        is reproduced within the tolerance. Alias: ``feasible``.
    status : str
        ``"optimal"``, ``"infeasible"``, ``"inaccurate"``, ``"not_certified"``, ``"unchanged"``,
        ``"scaled"``, ``"fitted"``, ``"failed"``.
    message : str
        What was found; on failure why, and what to try.
    network : Network or None
        The Dale-signed network (``None`` when the problem is infeasible).
    certificate : Certificate or None
        A verified LDS certificate of ``network`` whose ``weights`` are the design's ``p``.
    residual : float
        Largest ``|x*(u_k) − x_k|`` over the targets (or data), with ``x*`` recomputed by
        :func:`eicircuits.equilibrium` on the returned network; ``inf`` without a network.
    weights : ndarray or None
        ``p``, the diagonal Lyapunov weights (``max p = 1``).
    stats : dict
        Solver, seconds, sizes and method-specific numbers.
    """

    success: bool
    status: str
    message: str
    network: Network | None = None
    certificate: Any = None
    residual: float = math.inf
    weights: FloatArray | None = None
    stats: dict[str, Any] = dataclasses.field(default_factory=dict)

    failure_error: ClassVar[type] = SolverError

    @property
    def feasible(self) -> bool:
        """Alias of ``success``."""
        return bool(self.success)

    def _fields_for_dict(self) -> dict[str, Any]:
        return {
            "feasible": self.success,
            "status": self.status,
            "message": self.message,
            "residual": self.residual,
            "weights": self.weights,
            "network": None if self.network is None else network_dict(self.network),
            "certificate": None if self.certificate is None else self.certificate.to_dict(),
            "stats": self.stats,
        }


@dataclasses.dataclass(frozen=True, eq=False)
class Robustness(Result):
    """Certified robustness numbers of an LDS network (docs/theory.md §6).

    Attributes
    ----------
    success : bool
        Whether ``W − I`` is LDS with the weights used (else every number is ``nan``).
    status, message : str
    input_lipschitz : float
        ``2 max p / λ``: ``‖x*(u) − x*(u')‖₂ ≤ input_lipschitz · ‖u − u'‖₂`` for all inputs.
    relative_radius : float
        ``ρ = λ / ‖P|C| + |C|ᵀP‖₂`` (``C`` the off-diagonal part of ``W``): every
        perturbation with ``|ΔW_ij| < ρ |W_ij|`` (``i ≠ j``) keeps ``W − I`` LDS with the same
        ``P`` (``inf`` when there are no couplings).
    margin : float
        ``λ / (2 mean p)``, the certificate's scale-free margin.
    lam : float
        ``λ = −λ_max(P(W − I) + (W − I)ᵀP)``.
    weights : ndarray or None
        ``p``.
    """

    success: bool
    status: str
    message: str
    input_lipschitz: float = math.nan
    relative_radius: float = math.nan
    margin: float = math.nan
    lam: float = math.nan
    weights: FloatArray | None = None
    stats: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def certified(self) -> bool:
        """Alias of ``success``."""
        return bool(self.success)
