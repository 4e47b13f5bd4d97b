"""Each neuron as a player minimising its own energy (docs/theory.md §2).

Neuron ``i`` picks its rate ``y`` to minimise

    E_i(y ; x_−i) = ½ (1 − W_ii) y² − y s_i + g_i(y),   s_i = Σ_{j≠i} W_ij x_j + u_i,

where ``g_i`` is the convex regulariser of its activation (``φ_i = prox_{g_i}``, ``+inf`` outside
the activation's closed range). With ``a_i = 1 − W_ii``:

- ``a_i > 0`` (``W_ii < 1``): ``E_i`` is strongly convex in ``y``; the best response is
  ``prox_{g_i/a_i}(s_i / a_i)``, exact.
- ``a_i ≤ 0`` (``W_ii ≥ 1``): the player is *concave* (or linear) in its own rate. Its energy's
  stationary points are the rates ``y = φ_i(W_ii y + s_i)`` (a one-neuron equilibrium with the
  others frozen); the infimum over the closed range is attained at one of them or at an end of
  the range, or is ``−inf`` (the energy is unbounded below; regret ``+inf``).

Examples
--------
>>> import numpy as np
>>> from eicircuits import Network, game
>>> gm = game(Network(W=[[0.0, 0.5], [0.5, 0.0]], u=[1.0, 1.0]))
>>> x = np.array([2.0, 2.0])           # the equilibrium: x = [Wx + u]₊
>>> gm.best_response(x)
array([2., 2.])
>>> float(gm.nash_gap(x)), gm.is_nash(x)
(0.0, True)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy import optimize

from .._validate import check_vector
from ..activations import Activation, ClippedReLU, Linear, ReLU, Softplus
from ..errors import ValidationError
from ..network import Network

if TYPE_CHECKING:
    from ._decomposition import Decomposition
    from ._potential import PotentialResult

__all__ = ["NeuronGame", "game", "check_state"]

FloatArray = NDArray[np.float64]

#: Points of the scan that brackets the stationary points of a concave player's energy.
_SCAN_POINTS = 4001


def check_state(x: ArrayLike, n: int, name: str = "x") -> FloatArray:
    """Validate a state vector: shape ``(n,)``, finite entries; return it as floats."""
    return check_vector(name, x, n, scalar=False, context=" to match the network", what="rate")


def _player_energy(act: Activation, a: FloatArray, s: FloatArray, y: FloatArray) -> FloatArray:
    """``½ a y² − s y + g(y)`` elementwise (``+inf`` outside the range, no ``nan``)."""
    y = np.asarray(y, dtype=float)
    gy = act.g(y)
    with np.errstate(invalid="ignore", over="ignore"):
        smooth = 0.5 * a * y * y - s * y
    return np.where(np.isinf(gy), np.inf, smooth + gy)


def _concave_player(act: Activation, w_self: float, s: float) -> tuple[float, float]:
    """Best response and infimum of ``E(y) = ½(1 − w) y² − s y + g(y)`` for ``w ≥ 1``.

    Returns ``(y_best, inf_E)``. When the infimum is not attained (``−inf``, or a finite limit
    approached as ``y → ±∞``) ``y_best`` is ``±inf``, the direction the player would run away in.
    Ties between minimisers are broken towards the smallest rate.
    """
    a = 1.0 - w_self
    lo, hi = act.value_range

    def h(y: float) -> float:
        return float(_player_energy(act, np.float64(a), np.float64(s), np.float64(y)))

    if isinstance(act, (ReLU, Linear)):
        if a < 0:
            return math.inf, -math.inf
        # a == 0: the energy is −s y on the range.
        if s > 0:
            return math.inf, -math.inf
        if s < 0 and isinstance(act, Linear):
            return -math.inf, -math.inf
        return 0.0, 0.0
    if isinstance(act, ClippedReLU):
        top = h(act.r_max)
        return (act.r_max, top) if top < 0.0 else (0.0, 0.0)
    if isinstance(act, Softplus):
        # g(y) = Li₂(e^{−y}) decreases to 0 as y → ∞, g'(y) = log(1 − e^{−y}).
        if a < 0 or s > 0:
            return math.inf, -math.inf
        if s == 0:
            return math.inf, 0.0
        y = -math.log(-math.expm1(s))
        return y, h(y)
    return _generic_concave(act, w_self, s, lo, hi, h)


def _generic_concave(act: Activation, w_self: float, s: float, lo: float, hi: float,
                     h: Any) -> tuple[float, float]:
    """Concave player with a general activation: range ends plus stationary points.

    Stationary points ``y = φ(z)`` solve ``q(z) = z − w φ(z) − s = 0`` (``q(z)`` has the sign of
    ``E'(φ(z))``); they lie in ``z ∈ [s + w·lo, s + w·hi]``, which is scanned and refined with
    Brent's method. An infinite end of the range is probed along ``y = ±2^k``: a strictly
    decreasing energy that passes ``−1e15`` is reported as unbounded below.
    """
    cands: list[tuple[float, float]] = []
    for end, sign in ((lo, -1.0), (hi, 1.0)):
        if math.isfinite(end):
            cands.append((h(end), end))
            continue
        ys = sign * np.exp2(np.arange(0, 480, 4, dtype=float))
        with np.errstate(over="ignore", invalid="ignore"):
            vals = np.array([h(float(y)) for y in ys])
        ok = np.isfinite(vals)
        vals, ys = vals[ok], ys[ok]
        if vals.size >= 2 and vals[-1] < -1e15 and np.all(np.diff(vals[-8:]) < 0):
            return sign * math.inf, -math.inf
        k = int(np.argmin(vals))
        cands.append((float(vals[k]), float(ys[k])))
    z_lo = s + w_self * lo if math.isfinite(lo) else s - 1e6
    z_hi = s + w_self * hi if math.isfinite(hi) else s + 1e6
    z_lo, z_hi = z_lo - 1.0, z_hi + 1.0

    def q(z: float) -> float:
        return float(z - w_self * act(np.float64(z)) - s)

    zs = np.linspace(z_lo, z_hi, _SCAN_POINTS)
    qs = zs - w_self * act(zs) - s
    for k in range(zs.size - 1):
        if qs[k] == 0.0:
            root = float(zs[k])
        elif qs[k] < 0.0 < qs[k + 1]:
            root = optimize.brentq(q, zs[k], zs[k + 1], xtol=1e-15, rtol=4 * np.finfo(float).eps)
        else:
            continue
        y = float(act(np.float64(root)))
        cands.append((h(y), y))
    ys = act(zs)
    vals = _player_energy(act, np.float64(1.0 - w_self), np.float64(s), ys)
    k = int(np.argmin(vals))
    cands.append((float(vals[k]), float(ys[k])))
    best = min(v for v, _ in cands)
    y_best = min(y for v, y in cands if v == best)
    return y_best, best


class NeuronGame:
    """The game played by the neurons of a firing-rate network (docs/theory.md §2).

    Built by :func:`game` (or :meth:`Network.game`). Players are neurons; player ``i`` chooses
    its rate ``x_i`` to minimise ``E_i(x_i ; x_−i)``. Every method takes a full state ``x`` of
    shape ``(n,)``.

    Parameters
    ----------
    net : Network
        The network.

    Examples
    --------
    >>> import numpy as np
    >>> from eicircuits import Network, game
    >>> gm = game(Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[1.0, 0.5]))
    >>> x = np.array([1 / 14, 5 / 14])    # the (unique) equilibrium of this ISN
    >>> float(gm.regret(x)[0])             # the E neuron's energy is unbounded below
    inf
    >>> gm.is_nash(x)
    False
    """

    def __init__(self, net: Network) -> None:
        if not isinstance(net, Network):
            raise ValidationError(f"game: expected a Network, got {type(net).__name__}")
        self._net = net
        self._diag = net.diag
        self._a = 1.0 - self._diag

    @property
    def net(self) -> Network:
        """The network whose game this is."""
        return self._net

    @property
    def n(self) -> int:
        """Number of players (neurons)."""
        return self._net.n

    @property
    def concave_players(self) -> NDArray[np.intp]:
        """Neurons with ``W_ii > 1``, whose energy is strictly concave in their own rate."""
        return np.flatnonzero(self._diag > 1.0)

    def _index(self, i: int | str) -> int:
        if isinstance(i, str):
            if i not in self._net.names:
                raise ValidationError(f"neuron: unknown name {i!r}; names are {self._net.names}")
            return self._net.names.index(i)
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
            raise ValidationError(f"neuron: expected an index or a name, got {i!r}")
        if not -self.n <= int(i) < self.n:
            raise ValidationError(f"neuron: index must be in [0, {self.n}), got {i}")
        return int(i) % self.n

    def others_input(self, x: ArrayLike) -> FloatArray:
        """``s_i = Σ_{j≠i} W_ij x_j + u_i`` for every neuron: what the others make it feel."""
        x = check_state(x, self.n)
        return self._net.drive(x) - self._diag * x

    # ------------------------------------------------------------------ energies
    def energy(self, i: int | str, x: ArrayLike, y: ArrayLike | None = None) -> FloatArray:
        """Neuron ``i``'s energy ``E_i(y ; x_−i)``; ``y`` defaults to its own rate ``x_i``.

        ``y`` may be an array of candidate rates (the others stay frozen at ``x_−i``). Returns
        ``+inf`` where ``y`` lies outside the activation's closed range.

        Examples
        --------
        >>> from eicircuits import Network, game
        >>> gm = game(Network(W=[[0.5, 1.0], [1.0, 0.0]], u=[0.0, 0.0]))
        >>> float(gm.energy(0, [2.0, 1.0]))    # ½·0.5·4 − 2·1
        -1.0
        >>> float(gm.energy(0, [2.0, 1.0], y=-1.0))
        inf
        """
        k = self._index(i)
        x = check_state(x, self.n)
        s = self.others_input(x)[k]
        yy = x[k] if y is None else np.asarray(y, dtype=float)
        return _player_energy(self._net.activations[k], self._a[k], s, yy)

    def energies(self, x: ArrayLike) -> FloatArray:
        """Every neuron's energy at its own rate, ``(E_i(x_i ; x_−i))_i``."""
        x = check_state(x, self.n)
        s = self.others_input(x)
        gx = self._net.g(x)
        return np.where(np.isinf(gx), np.inf, 0.5 * self._a * x * x - s * x + gx)

    def pseudo_gradient(self, x: ArrayLike) -> FloatArray:
        """``F(x) = (I − W) x − u``: each player's partial derivative of its smooth part."""
        x = check_state(x, self.n)
        return x - self._net.drive(x)

    # ------------------------------------------------------------------ best responses
    def _flat_input(self, x: FloatArray, s: FloatArray, idx: NDArray[np.intp]) -> FloatArray:
        """``s`` with rounding-level values set to 0 for players with ``W_ii = 1`` exactly.

        Such a player's energy is ``−s y + g(y)``: whether it is bounded depends on the sign of
        ``s``, which at an equilibrium is 0 in exact arithmetic. ``|s_i| ≤ 4 n ε (Σ_{j≠i}
        |W_ij x_j| + |u_i|)`` (the rounding bound of the sum) therefore counts as 0.
        """
        out = s[idx].copy()
        flat = self._a[idx] == 0
        if np.any(flat):
            W = self._net.W
            absW = abs(W)
            scale = absW @ np.abs(x) - np.abs(self._diag) * np.abs(x) + np.abs(self._net.u)
            tol = 4 * self.n * np.finfo(float).eps * scale[idx]
            out[flat & (np.abs(out) <= tol)] = 0.0
        return out

    def _respond(self, x: FloatArray) -> tuple[FloatArray, FloatArray]:
        s = self.others_input(x)
        br = np.empty(self.n)
        emin = np.empty(self.n)
        for act, ix in self._net._groups():
            idx = np.arange(self.n)[ix]
            conv = self._a[idx] > 0
            if np.any(conv):
                c = idx[conv]
                y = act.prox(s[c] / self._a[c], 1.0 / self._a[c])
                br[c] = y
                emin[c] = _player_energy(act, self._a[c], s[c], y)
            rest = idx[~conv]
            for k, sk in zip(rest, self._flat_input(x, s, rest), strict=True):
                br[k], emin[k] = _concave_player(act, float(self._diag[k]), float(sk))
        return br, emin

    def _respond_one(self, k: int, x: FloatArray) -> float:
        """Best response of neuron ``k`` alone (used by Gauss–Seidel rounds)."""
        W = self._net.W
        if sp.issparse(W):
            lo, hi = W.indptr[k], W.indptr[k + 1]
            row_x = float(W.data[lo:hi] @ x[W.indices[lo:hi]])
        else:
            row_x = float(W[k] @ x)
        s = row_x - self._diag[k] * x[k] + self._net.u[k]
        act = self._net.activations[k]
        if self._a[k] > 0:
            return float(act.prox(np.float64(s / self._a[k]), np.float64(1.0 / self._a[k])))
        sk = self._flat_input(x, np.where(np.arange(self.n) == k, s, 0.0), np.array([k]))[0]
        return _concave_player(act, float(self._diag[k]), float(sk))[0]

    def best_response(self, x: ArrayLike) -> FloatArray:
        """Every player's best response to the others' rates, ``argmin_y E_i(y ; x_−i)``.

        Exact: ``prox_{g_i/(1 − W_ii)}(s_i/(1 − W_ii))`` when ``W_ii < 1``; for ``W_ii ≥ 1`` the
        minimiser over the closed range (ties go to the smaller rate). A player whose infimum
        is not attained (unbounded below, or approached only as its rate grows without bound)
        gets ``±inf``: the direction it would run away in.
        """
        x = check_state(x, self.n)
        return self._respond(x)[0]

    def min_energies(self, x: ArrayLike) -> FloatArray:
        """``inf_y E_i(y ; x_−i)`` for every player (``−inf`` when unbounded below)."""
        x = check_state(x, self.n)
        return self._respond(x)[1]

    def regret(self, x: ArrayLike) -> FloatArray:
        """``E_i(x_i ; x_−i) − inf_y E_i(y ; x_−i)`` per neuron (``+inf`` if unbounded below).

        Rounding can make the difference a few ulps negative; it is clipped at 0.
        """
        x = check_state(x, self.n)
        e = self.energies(x)
        emin = self._respond(x)[1]
        with np.errstate(invalid="ignore"):
            r = np.where(np.isneginf(emin) | np.isinf(e), np.inf, e - emin)
        return np.maximum(r, 0.0)

    def nash_gap(self, x: ArrayLike) -> float:
        """The sum of the regrets (``+inf`` when some player's energy is unbounded below)."""
        return float(np.sum(self.regret(x)))

    def is_nash(self, x: ArrayLike, tol: float = 1e-9) -> bool:
        """Whether no neuron can lower its energy by more than ``tol`` on its own.

        ``tol`` is absolute on each regret, scaled by ``1 + |E_i|`` against rounding.
        """
        if not (isinstance(tol, (int, float)) and math.isfinite(tol) and tol >= 0):
            raise ValidationError(f"is_nash: tol must be a finite number ≥ 0, got {tol!r}")
        r = self.regret(x)
        e = self.energies(x)
        return bool(np.all(r <= tol * (1.0 + np.abs(np.where(np.isfinite(e), e, 0.0)))))

    # ------------------------------------------------------------------ structure
    def potential(self, *, rtol: float = 1e-10) -> PotentialResult:
        """Whether the game has an exact or weighted potential (see :func:`find_potential`)."""
        from ._potential import find_potential

        return find_potential(self._net, rtol=rtol)

    def decomposition(self, P: ArrayLike | None = None, *, rtol: float = 1e-10) -> Decomposition:
        """Symmetric (potential) and skew (zero-sum) parts of ``P(I − W)``; see
        :func:`eicircuits.games.decomposition`."""
        from ._decomposition import decomposition

        return decomposition(self._net, P, rtol=rtol)

    def __repr__(self) -> str:
        return f"NeuronGame({self._net!r})"


def game(net: Network) -> NeuronGame:
    """The game behind a firing-rate network: per-neuron energies, Nash gap, potentials.

    Parameters
    ----------
    net : Network
        The network; neuron ``i`` minimises
        ``E_i(x_i; x_−i) = ½(1 − W_ii)x_i² − x_i(Σ_{j≠i} W_ij x_j + u_i) + g_i(x_i)``.

    Returns
    -------
    NeuronGame

    Raises
    ------
    ValidationError
        ``net`` is not a :class:`~eicircuits.Network`.

    Examples
    --------
    >>> from eicircuits import Network, game
    >>> game(Network(W=[[0.0, 1.0], [1.0, 0.0]])).potential().kind
    'exact'
    """
    return NeuronGame(net)
