"""The result of :func:`~eicircuits.simulate`: a trajectory with a status and a message."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._result import Result
from ..network import Network

__all__ = ["Trajectory", "STATUSES", "protocol_attrs"]

FloatArray = NDArray[np.float64]

#: Every status a trajectory can have, with what it means.
STATUSES: dict[str, str] = {
    "success": "integrated over the whole time span",
    "steady": "stopped early: ‖ẋ‖∞ fell below until_steady",
    "diverged": "stopped: a state left the bound or became non-finite (finite part kept)",
    "max_steps": "stopped: max_steps steps were taken before the end of the time span",
    "failed": "the solver could not continue (e.g. step size too small)",
}


def protocol_attrs(u: Any, noise: Any, seed: Any, net: Network) -> dict[str, Any]:
    """NetCDF attributes (strings and numbers) recording the stimulus, noise, seed, delays."""
    import json

    from ..stimulus import Stimulus

    out: dict[str, Any] = {}
    if isinstance(u, Stimulus):
        out["stimulus"] = json.dumps(u.to_spec())
    elif callable(u):
        out["stimulus"] = "callable u(t) (not recorded)"
    if noise is not None:
        out["noise"] = json.dumps(noise.to_spec())
    if seed is not None:
        out["seed"] = str(seed)
    delays = getattr(net, "delays", None)
    if delays is not None:
        out["delays"] = json.dumps(delays.to_spec())
    return out


@dataclasses.dataclass(frozen=True, eq=False)
class Trajectory(Result):
    """A simulated trajectory of a :class:`~eicircuits.Network`.

    Attributes
    ----------
    t : ndarray, shape (T,)
        Times (the same unit as ``net.tau``).
    x : ndarray, shape (T, n)
        States: rates in the rate form, voltages in the voltage form. Always finite. When the
        run stopped early (``steady``, ``diverged``, ``max_steps``, ``failed``) the last row is
        the last valid state, at the time the run stopped.
    status : str
        One of :data:`STATUSES`: ``"success"``, ``"steady"``, ``"diverged"``, ``"max_steps"``,
        ``"failed"``.
    message : str
        What happened, and what to do about it.
    form : str
        ``"rate"`` or ``"voltage"``.
    method : str
        The integration method used (``"auto"`` resolved).
    nfev : int
        Evaluations of the vector field (mat-vecs, for the fixed-step path).
    steps : int
        Time steps taken.
    net : Network
        The simulated network.
    u : ndarray or callable
        The input used: a constant vector or the callable ``u(t)``.
    dt : float or None
        The fixed step, or ``None`` for the adaptive solvers.
    noise : Noise or None
        The noise of a stochastic run.
    seed : int or None
        The integer seed of a stochastic run, when one was given (for the record).

    Examples
    --------
    >>> import math
    >>> from eicircuits import Network, simulate
    >>> net = Network(W=[[0.0]], u=[1.0])
    >>> traj = simulate(net, [0.0], (0.0, 1.0), t_eval=[0.0, 1.0])
    >>> traj.status, round(float(traj.final[0]), 6), round(1 - math.exp(-1), 6)
    ('success', 0.632121, 0.632121)
    """

    t: FloatArray
    x: FloatArray
    status: str
    message: str
    form: str
    method: str
    nfev: int
    steps: int
    net: Network
    u: Any
    dt: float | None = None
    noise: Any = None
    seed: Any = None

    def __post_init__(self) -> None:
        for arr in (self.t, self.x):
            arr.setflags(write=False)

    @property
    def success(self) -> bool:
        """Whether the run ended normally (``"success"`` or ``"steady"``)."""
        return self.status in ("success", "steady")

    @property
    def final(self) -> FloatArray:
        """The last state, shape (n,)."""
        return self.x[-1]

    # Result shape (eicircuits._result): stats, and the network / a callable input left out of
    # to_dict (added for issue 10's one result shape; the dynamics owner may refine it).
    @property
    def stats(self) -> dict[str, Any]:
        """``nfev`` and ``steps``."""
        return {"nfev": int(self.nfev), "steps": int(self.steps)}

    def _fields_for_dict(self) -> dict[str, Any]:
        out = super()._fields_for_dict()
        out.pop("net", None)
        if callable(out.get("u")):
            out["u"] = repr(out["u"])
        return out

    @property
    def n(self) -> int:
        """Number of neurons."""
        return int(self.x.shape[1])

    def _u_at(self, t: FloatArray) -> FloatArray:
        if hasattr(self.u, "sample"):  # a stimulus protocol: vectorised
            return self.u.sample(t, self.n)
        if callable(self.u):
            fn: Callable[[float], Any] = self.u
            return np.array([np.asarray(fn(float(s)), dtype=float) for s in t]).reshape(
                len(t), self.n
            )
        return np.broadcast_to(np.asarray(self.u, dtype=float), (len(t), self.n))

    def rates(self) -> FloatArray:
        """Firing rates, shape (T, n): ``x`` itself, or ``Φ(v)`` for the voltage form."""
        if self.form == "rate":
            return np.array(self.x)
        return self.net.phi(self.x)

    def voltages(self) -> FloatArray:
        """Voltages, shape (T, n): ``v`` itself, or ``W x + u(t)`` for the rate form
        (docs/theory.md §1).

        Raises
        ------
        ValidationError
            A rate-form run of a network with delays: its drive ``Σ_d W_d x(t − d) + u`` needs
            past states that were not saved (simulate ``form="voltage"`` instead).
        """
        if self.form == "voltage":
            return np.array(self.x)
        if getattr(self.net, "delays", None) is not None:
            from ..errors import ValidationError

            raise ValidationError(
                "voltages: with synaptic delays the drive Σ_d W_d x(t − d) + u needs the "
                "delayed past states, not the saved rows; simulate form='voltage' to get "
                "voltages"
            )
        Wx = np.asarray((self.net.W @ self.x.T).T)
        return Wx + self._u_at(self.t)

    def summary(self) -> str:
        """A few readable lines: status, time span, steps, final state range."""
        fin = self.final
        lines = [
            f"status    {self.status}: {self.message}",
            f"method    {self.method} ({self.form} form)"
            + (f", dt = {self.dt:g}" if self.dt is not None else ""),
            f"time      {self.t[0]:g} → {self.t[-1]:g}, {len(self.t)} saved points, "
            f"{self.steps} steps, {self.nfev} evaluations",
            f"final     min {fin.min():.6g}, max {fin.max():.6g}, mean {fin.mean():.6g}",
        ]
        return "\n".join(lines)

    def to_xarray(self) -> Any:
        """The trajectory as an :class:`xarray.DataArray` with dims ``("time", "neuron")``.

        Coordinates: ``time``, ``neuron`` (names), ``cell_type`` (when known) and ``tau`` on
        ``neuron``. Attributes: ``status``, ``message``, ``method``, ``form``, ``nfev``,
        ``steps``, ``dt`` (when fixed-step) and ``network_fingerprint``; ready for
        ``to_netcdf``. The protocol, when there is one: ``stimulus`` (the JSON of
        ``Stimulus.to_spec()``), ``noise`` (JSON), ``seed``, ``delays`` (JSON summary).
        """
        import xarray as xr

        coords: dict[str, Any] = {
            "time": ("time", np.asarray(self.t)),
            "neuron": ("neuron", list(self.net.names)),
            "tau": ("neuron", np.asarray(self.net.tau)),
        }
        if self.net.cell_types is not None:
            coords["cell_type"] = ("neuron", list(self.net.cell_types))
        attrs: dict[str, Any] = {
            "status": self.status,
            "message": self.message,
            "method": self.method,
            "form": self.form,
            "nfev": int(self.nfev),
            "steps": int(self.steps),
            "network_fingerprint": self.net.fingerprint(),
        }
        if self.dt is not None:
            attrs["dt"] = float(self.dt)
        attrs.update(protocol_attrs(self.u, self.noise, self.seed, self.net))
        return xr.DataArray(
            np.asarray(self.x),
            dims=("time", "neuron"),
            coords=coords,
            name="rate" if self.form == "rate" else "voltage",
            attrs=attrs,
        )

    def __repr__(self) -> str:
        return (
            f"Trajectory(status={self.status!r}, method={self.method!r}, form={self.form!r}, "
            f"T={len(self.t)}, n={self.n}, t=[{self.t[0]:g}, {self.t[-1]:g}])"
        )
