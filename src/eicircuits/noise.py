"""Noise models and the linear-noise stationary covariance (docs/theory.md §7).

Noise          -- white or Ornstein–Uhlenbeck noise on the rates (``kind="rate"``) or inside the
                  input (``kind="input"``), for :func:`~eicircuits.simulate` (``noise=``)
stationary_covariance -- the Lyapunov equation at a stable equilibrium
StationaryCovariance  -- its result (``cov``, the equilibrium, the drift matrix, a status)

Conventions (time in the unit of ``net.tau``, ``B`` a standard Brownian motion per neuron):

- ``Noise(σ)`` (rate, white): ``τ dx = (−x + Φ(Wx + u)) dt + σ dB``.
- ``Noise(σ, kind="input", tau=τ_η)``: ``τ ẋ = −x + Φ(Wx + u + η)`` with the OU input
  ``τ_η dη = −η dt + σ dB`` (stationary variance ``σ²/(2τ_η)``; as ``τ_η → 0`` it tends to white
  noise of intensity ``σ``). ``η(t0)`` is drawn from its stationary law.
- ``Noise(σ, tau=τ_η)`` (rate, OU): ``τ ẋ = −x + Φ(Wx + u) + η``, the same ``η``.
- White noise *inside* ``Φ`` has no limit as ``dt → 0`` for a nonlinear ``Φ`` (the drift of
  ``Φ(z + σξ/√dt)`` grows without bound), so in the rate form ``kind="input"`` needs ``tau``;
  in the voltage form ``τ v̇ = −v + WΦ(v) + u`` the input enters linearly and both kinds add
  ``σ dB`` (or ``η dt``) to ``τ dv``.

Examples
--------
>>> import numpy as np
>>> from eicircuits import Network, Noise, stationary_covariance
>>> net = Network(W=[[0.0]], u=[1.0], activation="linear")
>>> res = stationary_covariance(net, Noise(0.2))
>>> res.status, round(float(res.cov[0, 0]), 12)  # σ²/(2τ) for dx = (1 − x) dt + σ dB
('stable', 0.02)
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._result import Result
from .errors import SizeLimitError, ValidationError
from .network import Network

__all__ = ["Noise", "NOISE_KINDS", "stationary_covariance", "StationaryCovariance",
           "COVARIANCE_LIMIT"]

FloatArray = NDArray[np.float64]

#: Where the noise enters.
NOISE_KINDS = ("rate", "input")

#: Largest state (n, or 2n with OU noise) for the dense Lyapunov solve.
COVARIANCE_LIMIT = 2_000


@dataclasses.dataclass(frozen=True, eq=False)
class Noise:
    """Additive noise for :func:`~eicircuits.simulate` (see the module docstring).

    Parameters
    ----------
    sigma : float or array_like, shape (n,)
        Noise intensity ``σ ≥ 0``, one number or one per neuron.
    kind : {"rate", "input"}
        Added to the rates' equation, or inside the input of ``Φ``.
    tau : float, optional
        Correlation time ``τ_η > 0`` of Ornstein–Uhlenbeck noise; ``None``: white noise.

    Raises
    ------
    ValidationError
        ``sigma`` negative or non-finite, unknown ``kind``, ``tau ≤ 0``.

    Examples
    --------
    >>> from eicircuits import Noise
    >>> Noise(0.1, kind="input", tau=5.0)
    Noise(sigma=0.1, kind='input', tau=5.0)
    """

    sigma: Any
    kind: str = "rate"
    tau: Any = None

    def __post_init__(self) -> None:
        if isinstance(self.sigma, (str, bytes, bool)):
            raise ValidationError(f"sigma: expected a number ≥ 0 or a vector, got {self.sigma!r}")
        try:
            s = np.array(self.sigma, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                f"sigma: expected a number ≥ 0 or a vector, got {self.sigma!r}"
            ) from exc
        if s.ndim > 1:
            raise ValidationError(f"sigma: expected a scalar or shape (n,), got shape {s.shape}")
        if not np.all(np.isfinite(s)) or np.any(s < 0):
            raise ValidationError(f"sigma: every entry must be finite and ≥ 0, got {self.sigma!r}")
        s.setflags(write=False)
        object.__setattr__(self, "sigma", s)
        if self.kind not in NOISE_KINDS:
            raise ValidationError(f"kind: expected 'rate' or 'input', got {self.kind!r}")
        if self.tau is not None:
            if isinstance(self.tau, bool) or not isinstance(self.tau, numbers.Real) or not (
                math.isfinite(float(self.tau)) and float(self.tau) > 0
            ):
                raise ValidationError(
                    f"tau: the correlation time must be a finite number > 0 (or None for white "
                    f"noise), got {self.tau!r}"
                )
            object.__setattr__(self, "tau", float(self.tau))

    @property
    def white(self) -> bool:
        """Whether the noise is white (no correlation time)."""
        return self.tau is None

    def sigma_vector(self, n: int) -> FloatArray:
        """``σ`` as a vector of length ``n``.

        Raises
        ------
        ValidationError
            ``sigma`` has a length other than ``n``.
        """
        if self.sigma.ndim == 0:
            return np.full(n, float(self.sigma))
        if self.sigma.shape != (n,):
            raise ValidationError(
                f"noise: sigma has {self.sigma.shape[0]} entries, the network has {n} neurons"
            )
        return np.array(self.sigma)

    def check(self, n: int, form: str) -> None:
        """Refuse a noise that does not fit a network of ``n`` neurons in ``form``."""
        self.sigma_vector(n)
        if form == "rate" and self.kind == "input" and self.tau is None:
            raise ValidationError(
                "noise: white noise inside the input, Φ(Wx + u + σξ), has no limit as dt → 0 "
                "for a nonlinear Φ; give a correlation time (Noise(sigma, kind='input', "
                "tau=...)), use kind='rate', or simulate the voltage form"
            )

    def to_spec(self) -> dict[str, Any]:
        """A plain ``dict`` for files (:meth:`from_spec` inverts it)."""
        out: dict[str, Any] = {"sigma": self.sigma.tolist(), "kind": self.kind}
        if self.tau is not None:
            out["tau"] = self.tau
        return out

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> Noise:
        """The noise written by :meth:`to_spec`."""
        if not isinstance(spec, Mapping) or "sigma" not in spec:
            raise ValidationError(f"noise: expected a table with key 'sigma', got {spec!r}")
        unknown = sorted(set(spec) - {"sigma", "kind", "tau"})
        if unknown:
            raise ValidationError(f"noise: unknown key {unknown[0]!r}; expected sigma, kind, tau")
        return cls(spec["sigma"], kind=spec.get("kind", "rate"), tau=spec.get("tau"))

    def __repr__(self) -> str:
        s = self.sigma.tolist()
        return f"Noise(sigma={s!r}, kind={self.kind!r}, tau={self.tau!r})"


@dataclasses.dataclass(frozen=True, eq=False)
class StationaryCovariance(Result):
    """The result of :func:`stationary_covariance`.

    Attributes
    ----------
    cov : ndarray, shape (n, n)
        Stationary covariance of the rates ``x`` around the equilibrium (linearised process).
    x : ndarray, shape (n,)
        The equilibrium.
    drift : ndarray
        The drift matrix ``A`` of the linearised process (``(2n, 2n)`` with OU noise, whose
        state is ``(x, η)``).
    full_cov : ndarray
        The covariance of the whole linearised state (``cov`` itself for white noise).
    success, status, message
        ``"stable"`` (solved), or ``"unstable"`` (the equilibrium is not stable: no
        stationary law; ``cov`` is NaN).
    """

    cov: FloatArray
    x: FloatArray
    drift: FloatArray
    full_cov: FloatArray
    success: bool
    status: str
    message: str


def stationary_covariance(net: Network, noise: Noise, x: ArrayLike | None = None, *,
                          u: ArrayLike | None = None) -> StationaryCovariance:
    """Stationary covariance of the linear-noise approximation at a stable equilibrium.

    Linearising ``τ dx = (−x + Φ(Wx + u)) dt + (noise)`` at ``x*`` gives ``dX = A X dt + G dB``
    with ``J = τ⁻¹(−I + ΛW)``, ``Λ = diag(Φ'(Wx* + u))``; the stationary covariance solves
    ``AΣ + ΣAᵀ + GGᵀ = 0`` (:func:`scipy.linalg.solve_continuous_lyapunov`):

    - white rate noise: ``A = J``, ``G = τ⁻¹ diag(σ)``;
    - white input noise: ``A = J``, ``G = τ⁻¹ Λ diag(σ)`` (the limit ``τ_η → 0`` of OU input
      noise; exact only for the linearised process);
    - OU noise: the state ``(x, η)`` with ``A = [[J, τ⁻¹B], [0, −τ_η⁻¹ I]]`` (``B = I`` for
      rate noise, ``Λ`` for input noise) and ``G = [0; τ_η⁻¹ diag(σ)]``.

    Exact for linear networks; for ReLU networks while no neuron crosses its kink (small noise).

    Parameters
    ----------
    net : Network
        The network (rate form).
    noise : Noise
        The noise.
    x : array_like, shape (n,), optional
        The equilibrium; default :func:`~eicircuits.equilibrium` of ``net``.
    u : array_like, optional
        Constant input overriding ``net.u``.

    Returns
    -------
    StationaryCovariance
        ``cov`` (n, n) with status ``"stable"``, or status ``"unstable"`` and a NaN ``cov`` when
        the drift matrix is not Hurwitz.

    Raises
    ------
    ValidationError
        ``noise`` not a :class:`Noise`, bad ``x`` or ``u``, or ``x`` not an equilibrium
        (residual above ``1e-8``).
    SizeLimitError
        The linearised state is larger than :data:`COVARIANCE_LIMIT`.

    Examples
    --------
    >>> import numpy as np
    >>> from eicircuits import Network, Noise, stationary_covariance
    >>> net = Network(W=[[0.0]], u=[1.0], tau=2.0, activation="linear")
    >>> res = stationary_covariance(net, Noise(1.0, tau=0.5))
    >>> # x low-pass filters the OU input: Var = σ²/(2 (τ + τ_η))
    >>> bool(np.isclose(res.cov[0, 0], 1.0 / (2 * (2.0 + 0.5))))
    True
    """
    import scipy.linalg

    if not isinstance(net, Network):
        raise ValidationError(f"net: expected an eicircuits.Network, got {type(net).__name__}")
    if not isinstance(noise, Noise):
        raise ValidationError(f"noise: expected an eicircuits.Noise, got {noise!r}")
    n = net.n
    sigma = noise.sigma_vector(n)
    size = n if noise.white else 2 * n
    if size > COVARIANCE_LIMIT:
        raise SizeLimitError(
            f"net: the Lyapunov equation of {size} states is solved densely (limit "
            f"{COVARIANCE_LIMIT}); use a smaller network or estimate the covariance from "
            "simulations"
        )
    uu = net.u if u is None else _vector("u", u, n)
    if x is None:
        from .fixed_points import equilibrium

        eq = equilibrium(net, u=uu)
        if not eq.converged:
            raise ValidationError(
                f"x: no equilibrium found to linearise at ({eq.message}); give x explicitly"
            )
        xs = np.asarray(eq.x, dtype=float)
    else:
        xs = _vector("x", x, n)
        res = float(np.max(np.abs(net.phi(net.W @ xs + uu) - xs)))
        if res > 1e-8 * max(1.0, float(np.max(np.abs(xs)))):
            raise ValidationError(
                f"x: not an equilibrium of the network (‖x − Φ(Wx + u)‖∞ = {res:.3g} > 1e-8)"
            )
    W = net.dense_W()
    lam = net.dphi(W @ xs + uu)
    inv_tau = 1.0 / net.tau
    J = inv_tau[:, None] * (lam[:, None] * W - np.eye(n))
    mix = np.eye(n) if noise.kind == "rate" else np.diag(lam)
    if noise.white:
        A = J
        G = inv_tau[:, None] * mix * sigma[None, :]
    else:
        A = np.block([[J, inv_tau[:, None] * mix], [np.zeros((n, n)), -np.eye(n) / noise.tau]])
        G = np.vstack([np.zeros((n, n)), np.diag(sigma / noise.tau)])
    abscissa = float(np.max(np.linalg.eigvals(A).real))
    if not abscissa < 0:
        nan = np.full((n, n), np.nan)
        return StationaryCovariance(
            cov=nan, x=xs, drift=A, full_cov=np.full(A.shape, np.nan), success=False,
            status="unstable",
            message=(f"the equilibrium is not stable (spectral abscissa of the drift "
                     f"{abscissa:.3g} ≥ 0): the linearised process has no stationary law"),
        )
    full = scipy.linalg.solve_continuous_lyapunov(A, -(G @ G.T))
    full = 0.5 * (full + full.T)
    return StationaryCovariance(
        cov=full[:n, :n].copy(), x=xs, drift=A, full_cov=full, success=True, status="stable",
        message=f"solved the Lyapunov equation (spectral abscissa of the drift {abscissa:.3g})",
    )


def _vector(name: str, value: Any, n: int) -> FloatArray:
    from ._validate import check_vector

    return check_vector(name, value, n)
