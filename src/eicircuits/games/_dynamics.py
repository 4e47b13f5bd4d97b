"""Best-response dynamics of the neurons' game, to compare with the firing-rate dynamics.

- Continuous: ``τ ẋ = BR(x) − x``. When every ``W_ii = 0`` the best response is ``Φ(Wx + u)``
  and this *is* the rate form of the network; with self-coupling ``0 < W_ii < 1`` the two flows
  differ but have the same rest points.
- Discrete rounds: Jacobi (every neuron responds to the previous round at once) and
  Gauss–Seidel (neurons respond one after the other to the latest rates).

Examples
--------
>>> import numpy as np
>>> from eicircuits import Network
>>> from eicircuits.games import best_response_rounds
>>> net = Network(W=[[0.0, -0.5], [-0.5, 0.0]], u=[1.0, 1.0])
>>> res = best_response_rounds(net, np.zeros(2), scheme="gauss-seidel")
>>> res.converged, np.round(res.x, 6).tolist()
(True, [0.666667, 0.666667])
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import solve_ivp

from ..errors import ValidationError
from ..network import Network
from ._game import NeuronGame, check_state

__all__ = ["BestResponsePath", "BestResponseRounds", "best_response_flow", "best_response_rounds"]

FloatArray = NDArray[np.float64]

_SCHEMES = ("jacobi", "gauss-seidel")


def _as_game(net: Network | NeuronGame) -> NeuronGame:
    if isinstance(net, NeuronGame):
        return net
    if isinstance(net, Network):
        return NeuronGame(net)
    raise ValidationError(f"expected a Network or a NeuronGame, got {type(net).__name__}")


@dataclasses.dataclass(frozen=True)
class BestResponsePath:
    """A trajectory of continuous best-response dynamics.

    Attributes
    ----------
    t : ndarray, shape (m,)
    x : ndarray, shape (m, n)
        Rates at the times ``t``.
    status : int
        0 success; -1 the integrator failed (see ``message``).
    message : str
    """

    t: FloatArray
    x: FloatArray
    status: int
    message: str

    @property
    def success(self) -> bool:
        """Whether the integration reached the final time."""
        return self.status == 0


@dataclasses.dataclass(frozen=True)
class BestResponseRounds:
    """Discrete best-response rounds.

    Attributes
    ----------
    x : ndarray, shape (n,)
        The last state.
    history : ndarray, shape (nit + 1, n)
        The state before the first round and after every round.
    nit : int
        Rounds played.
    converged : bool
        The last round moved no rate by more than ``tol · (1 + max |x|)``.
    status : int
        0 converged; 1 round limit reached; 2 some best response is infinite (a player whose
        energy is unbounded below, ``W_ii ≥ 1``).
    message : str
        What happened and what to try.
    """

    x: FloatArray
    history: FloatArray
    nit: int
    converged: bool
    status: int
    message: str


def best_response_flow(net: Network | NeuronGame, x0: ArrayLike, t_span: tuple[float, float],
                       *, t_eval: ArrayLike | None = None, method: str = "RK45",
                       rtol: float = 1e-8, atol: float = 1e-10) -> BestResponsePath:
    """Integrate continuous best-response dynamics ``τ ẋ = BR(x) − x``.

    Parameters
    ----------
    net : Network or NeuronGame
    x0 : array_like, shape (n,)
        Initial rates.
    t_span : (t0, t1)
        Time interval (same unit as ``τ``), ``t1 > t0``.
    t_eval : array_like, optional
        Output times (default: the integrator's steps).
    method, rtol, atol
        Passed to :func:`scipy.integrate.solve_ivp`.

    Returns
    -------
    BestResponsePath

    Raises
    ------
    ValidationError
        Some ``W_ii ≥ 1`` (the best response is then not a continuous single-valued map, and
        may be infinite), bad ``x0`` or ``t_span``.

    Examples
    --------
    >>> from eicircuits import Network
    >>> import numpy as np
    >>> from eicircuits.games import best_response_flow
    >>> net = Network(W=[[0.0, 0.5], [0.5, 0.0]], u=[1.0, 1.0])
    >>> path = best_response_flow(net, [0.0, 0.0], (0.0, 30.0))
    >>> path.success, np.round(path.x[-1], 5).tolist()
    (True, [2.0, 2.0])
    """
    gm = _as_game(net)
    x0 = check_state(x0, gm.n, "x0")
    bad = np.flatnonzero(gm.net.diag >= 1.0)
    if bad.size:
        k = int(bad[0])
        raise ValidationError(
            f"best_response_flow: needs W_ii < 1 for every neuron (a continuous best response); "
            f"W[{k}, {k}] = {gm.net.diag[k]}; use best_response_rounds for such networks"
        )
    try:
        t0, t1 = (float(t) for t in t_span)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"t_span: expected (t0, t1), got {t_span!r}") from exc
    if not (math.isfinite(t0) and math.isfinite(t1) and t1 > t0):
        raise ValidationError(f"t_span: needs finite t0 < t1, got ({t0}, {t1})")
    tau = gm.net.tau

    def rhs(_t: float, x: FloatArray) -> FloatArray:
        return (gm._respond(x)[0] - x) / tau

    sol = solve_ivp(rhs, (t0, t1), x0, method=method, t_eval=t_eval, rtol=rtol, atol=atol)
    status = 0 if sol.status == 0 else -1
    return BestResponsePath(sol.t, sol.y.T, status, str(sol.message))


def best_response_rounds(net: Network | NeuronGame, x0: ArrayLike, *, scheme: str = "jacobi",
                         max_rounds: int = 1000, tol: float = 1e-12,
                         order: ArrayLike | None = None) -> BestResponseRounds:
    """Play discrete best-response rounds from ``x0``.

    Parameters
    ----------
    net : Network or NeuronGame
    x0 : array_like, shape (n,)
    scheme : {"jacobi", "gauss-seidel"}
        Jacobi: ``x ← BR(x)``. Gauss–Seidel: neurons respond one after the other (in ``order``,
        default ``0, …, n − 1``) to the latest rates.
    max_rounds : int
        Round limit (``≥ 1``).
    tol : float
        Convergence when a round moves no rate by more than ``tol · (1 + max |x|)``.
    order : array_like of int, optional
        A permutation of ``range(n)`` (Gauss–Seidel only).

    Returns
    -------
    BestResponseRounds
        Never raises on non-convergence: read ``converged``, ``status`` and ``message``.

    Raises
    ------
    ValidationError
        Unknown ``scheme``, bad ``x0``, ``max_rounds``, ``tol`` or ``order``.
    """
    gm = _as_game(net)
    x = check_state(x0, gm.n, "x0").copy()
    if scheme not in _SCHEMES:
        raise ValidationError(f"scheme: expected one of {_SCHEMES}, got {scheme!r}")
    if isinstance(max_rounds, bool) or not isinstance(max_rounds, (int, np.integer)) \
            or max_rounds < 1:
        raise ValidationError(f"max_rounds: expected an integer ≥ 1, got {max_rounds!r}")
    if not (isinstance(tol, (int, float)) and math.isfinite(tol) and tol >= 0):
        raise ValidationError(f"tol: expected a finite number ≥ 0, got {tol!r}")
    perm = np.arange(gm.n)
    if order is not None:
        perm = np.asarray(order)
        if perm.shape != (gm.n,) or not np.array_equal(np.sort(perm), np.arange(gm.n)):
            raise ValidationError(f"order: expected a permutation of range({gm.n}), got {order!r}")
    history = [x.copy()]
    status, message, converged = 1, "", False
    for _ in range(int(max_rounds)):
        prev = x.copy()
        if scheme == "jacobi":
            x = gm._respond(x)[0]
        else:
            for k in perm:
                x[k] = gm._respond_one(int(k), x)
                if not math.isfinite(x[k]):
                    break
        if not np.all(np.isfinite(x)):
            k = int(np.flatnonzero(~np.isfinite(x))[0])
            status = 2
            message = (f"neuron {k} has no finite best response (its energy has no minimiser; "
                       f"W[{k}, {k}] = {gm.net.diag[k]}): best response {x[k]}")
            x = prev
            break
        history.append(x.copy())
        step = float(np.max(np.abs(x - prev)))
        if step <= tol * (1.0 + float(np.max(np.abs(x)))):
            status, converged = 0, True
            message = f"converged after {len(history) - 1} rounds"
            break
    else:
        message = (f"no convergence within {max_rounds} rounds (last change "
                   f"{float(np.max(np.abs(history[-1] - history[-2]))):.3g}); best-response play "
                   f"need not converge (e.g. E–I cycles); try scheme='gauss-seidel' or more rounds")
    return BestResponseRounds(x, np.array(history), len(history) - 1, converged, status, message)
