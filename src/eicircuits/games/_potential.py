"""Exact and weighted potentials of the neurons' game (docs/theory.md §2, potential games).

A positive diagonal ``D = diag(d)`` with ``d_i W_ij = d_j W_ji`` for all ``i ≠ j`` makes
``P_D(x) = ½ xᵀD(I − W)x − uᵀDx + Σ d_i g_i(x_i)`` a weighted potential: changing one rate
changes ``P_D`` by ``d_i`` times the change of that neuron's own energy. Such ``D`` exists iff
``W_ij`` and ``W_ji`` are zero together or share a sign and every cycle of the coupling graph has
``W_ij W_jk … W_li = W_ji W_kj … W_il``. It is built along a spanning forest (breadth first from
the lowest-numbered neuron of each connected component) and checked on every other synapse,
each of which closes one cycle of the forest.

Neurons that are not coupled to each other (several connected components) can be weighted
independently: ``d`` is normalised to 1 at the first neuron of *each* component (so ``d[0] = 1``),
and any positive rescaling of a component's weights is also a weighted potential.

Examples
--------
>>> from eicircuits import Network, game
>>> res = game(Network(W=[[0.0, 2.0], [1.0, 0.0]])).potential()
>>> res.kind, res.weights.tolist()
('weighted', [1.0, 2.0])
>>> res = game(Network(W=[[0.0, -1.0], [1.0, 0.0]], cell_types="EI")).potential()
>>> res.exists, res.reason.split(":")[0]
(False, 'no weighted potential')
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse import csgraph

from ..errors import ValidationError
from ..network import Network

__all__ = ["PotentialResult", "find_potential", "symmetrizing_weights"]

FloatArray = NDArray[np.float64]


@dataclasses.dataclass(frozen=True)
class _Weights:
    """Outcome of the spanning-forest construction for a signed matrix."""

    d: FloatArray | None
    n_components: int
    pair: tuple[int, int] | None  # offending pair (sign / zero pattern)
    cycle: list[int] | None  # offending cycle (closing edge first)


def _offdiag_csr(W: Any) -> sp.csr_array:
    """The off-diagonal part of ``W`` as canonical CSR (sorted indices, no stored zeros)."""
    C = sp.coo_array(W)
    keep = (C.row != C.col) & (C.data != 0)
    A = sp.csr_array((C.data[keep].astype(float), (C.row[keep], C.col[keep])), shape=C.shape)
    A.sum_duplicates()
    A.eliminate_zeros()
    A.sort_indices()
    return A


def symmetrizing_weights(W: Any, *, rtol: float = 1e-10) -> _Weights:
    """Find ``d > 0`` with ``d_i W_ij = d_j W_ji`` (``i ≠ j``), or the pair / cycle that forbids it.

    Works on dense or sparse ``W`` with sparse operations only (``O(nnz)`` apart from the
    transposition), so it scales to large sparse networks.
    """
    n = int(W.shape[0])
    A = _offdiag_csr(W)
    AT = _offdiag_csr(A.T)
    n_comp, labels = csgraph.connected_components(A, directed=False)
    # Zero together or one sign: sign(W_ij) = sign(W_ji) for every pair.
    S = (A.sign() - AT.sign()).tocsr()
    S.eliminate_zeros()
    if S.nnz:
        S.sort_indices()
        i = int(np.searchsorted(S.indptr, 0, side="right") - 1)
        return _Weights(None, n_comp, (i, int(S.indices[0])), None)
    # Same pattern, canonical storage: A.data[k] = W_ij and AT.data[k] = W_ji are aligned.
    r = np.repeat(np.arange(n, dtype=np.intp), np.diff(A.indptr))
    c = A.indices.astype(np.intp)
    v, v_back = A.data, AT.data
    # Spanning forest: a virtual root n linked to the first neuron of every component.
    firsts = np.unique(labels, return_index=True)[1].astype(np.intp)
    rows = np.concatenate([r, np.full(firsts.size, n), firsts])
    cols = np.concatenate([c, firsts, np.full(firsts.size, n)])
    aug = sp.csr_array((np.ones(rows.size), (rows, cols)), shape=(n + 1, n + 1))
    bfs, pred = csgraph.breadth_first_order(aug, n, directed=True, return_predecessors=True)
    bfs = bfs[1:]
    parent = pred[bfs]
    is_child = parent != n
    ratio = np.ones(bfs.size)
    # Tree edges p → j: W_pj / W_jp, looked up in the (row-major sorted) entry keys.
    keys = r.astype(np.int64) * n + c
    pos = np.searchsorted(keys, parent[is_child].astype(np.int64) * n + bfs[is_child])
    ratio[is_child] = v[pos] / v_back[pos]
    d = np.ones(n)
    for j, p, q in zip(bfs.tolist(), parent.tolist(), ratio.tolist(), strict=True):
        if p != n:
            d[j] = d[p] * q
    lhs, rhs = d[r] * v, d[c] * v_back
    fail = np.flatnonzero(np.abs(lhs - rhs) > rtol * np.maximum(np.abs(lhs), np.abs(rhs)))
    if fail.size:
        i, j = int(r[fail[0]]), int(c[fail[0]])
        return _Weights(None, n_comp, None, _fundamental_cycle(pred, n, i, j))
    return _Weights(d, n_comp, None, None)


def _fundamental_cycle(pred: NDArray[np.intp], root: int, i: int, j: int) -> list[int]:
    """The cycle closed by the non-tree edge ``i → j``: ``[i, j, …, i]`` through the forest."""

    def up(k: int) -> list[int]:
        path = [k]
        while pred[path[-1]] != root:
            path.append(int(pred[path[-1]]))
        return path

    pi, pj = up(i), up(j)
    common = set(pi) & set(pj)
    lca = next(k for k in pi if k in common)
    to_lca_i = pi[: pi.index(lca) + 1]
    to_lca_j = pj[: pj.index(lca)]
    # i → j → … → lca → … → i
    return [i, *to_lca_j, *reversed(to_lca_i)]


def _label(net: Network, k: int) -> str:
    t = f", {net.cell_types[k]}" if net.cell_types is not None else ""
    return f"{k} ({net.names[k]!r}{t})"


@dataclasses.dataclass(frozen=True, eq=False)
class PotentialResult:
    """Whether the neurons' game has an exact or a weighted potential.

    Attributes
    ----------
    exists : bool
        A (weighted) potential exists.
    kind : {"exact", "weighted"} or None
        ``"exact"`` when ``W`` is symmetric (``d = 1``).
    weights : ndarray or None
        The diagonal ``d`` of ``D``, normalised to 1 at the first neuron of each connected
        component (so ``d[0] = 1``).
    reason : str
        One sentence: why a potential exists, or the pair or cycle of neurons that forbids one.
    n_components : int
        Connected components of the coupling graph (each can be rescaled independently).
    """

    exists: bool
    kind: str | None
    weights: FloatArray | None
    reason: str
    n_components: int
    net: Network = dataclasses.field(repr=False)

    def _require(self) -> FloatArray:
        if self.weights is None:
            raise ValidationError(f"potential: this game has none ({self.reason})")
        return self.weights

    def value(self, x: ArrayLike) -> float:
        """``P_D(x) = ½ xᵀD(I − W)x − uᵀDx + Σ d_i g_i(x_i)`` (``+inf`` outside the box).

        Raises
        ------
        ValidationError
            No potential exists, or ``x`` has the wrong shape.
        """
        from ._game import check_state

        d = self._require()
        x = check_state(x, self.net.n)
        gx = self.net.g(x)
        if np.any(np.isinf(gx)):
            return math.inf
        return float(np.sum(d * (0.5 * x * (x - self.net.W @ x) - self.net.u * x + gx)))

    def gradient(self, x: ArrayLike) -> FloatArray:
        """Gradient of the smooth part of ``P_D``: ``D F(x) = D((I − W)x − u)``."""
        from ._game import check_state

        d = self._require()
        x = check_state(x, self.net.n)
        return d * (x - self.net.drive(x))

    def voltage_value(self, v: ArrayLike) -> float:
        """Hopfield's energy of the voltage form, ``P_D(Φ(v))``.

        Along ``τ v̇ = −v + WΦ(v) + u`` it changes at the rate ``−Σ d_i τ_i φ_i'(v_i) v̇_i²``
        (``∂_i P_D(x) = d_i(φ_i⁻¹(x_i) − (Wx + u)_i)`` at ``x = Φ(v)``), so it never increases,
        for any ``τ``.
        """
        from ._game import check_state

        v = check_state(v, self.net.n, "v")
        return self.value(self.net.phi(v))


def find_potential(net: Network, *, rtol: float = 1e-10) -> PotentialResult:
    """Detect an exact or weighted potential of the game of ``net`` (docs/theory.md §2).

    Parameters
    ----------
    net : Network
    rtol : float
        Relative tolerance of the test ``d_i W_ij = d_j W_ji``.

    Returns
    -------
    PotentialResult

    Raises
    ------
    ValidationError
        ``rtol`` is not a finite number in ``[0, 1)``.
    """
    if not (isinstance(rtol, (int, float)) and math.isfinite(rtol) and 0 <= rtol < 1):
        raise ValidationError(f"potential: rtol must be a finite number in [0, 1), got {rtol!r}")
    res = symmetrizing_weights(net.W, rtol=rtol)
    comps = res.n_components
    if res.pair is not None:
        i, j = res.pair
        wij, wji = float(net.W[i, j]), float(net.W[j, i])
        why = "one of them is zero" if wij == 0 or wji == 0 else "they have opposite signs"
        dale = ""
        types = net.cell_types
        if types is not None and types[i] != types[j]:
            dale = (" (under Dale's law an E–I pair always has opposite signs or a one-way "
                    "synapse, so E–I networks are never potential games)")
        reason = (
            f"no weighted potential: neurons {_label(net, i)} and {_label(net, j)} have "
            f"W[{i}, {j}] = {wij:g} and W[{j}, {i}] = {wji:g}; {why}, but d_i W_ij = d_j W_ji "
            f"needs them zero together or of one sign{dale}"
        )
        return PotentialResult(False, None, None, reason, comps, net)
    if res.cycle is not None:
        cyc = res.cycle
        fwd = math.prod(float(net.W[cyc[k], cyc[k + 1]]) for k in range(len(cyc) - 1))
        bwd = math.prod(float(net.W[cyc[k + 1], cyc[k]]) for k in range(len(cyc) - 1))
        path = " → ".join(str(k) for k in cyc)
        reason = (
            f"no weighted potential: the cycle of neurons {path} breaks the cycle condition: "
            f"the product of W along it is {fwd:g} but against it {bwd:g}"
        )
        return PotentialResult(False, None, None, reason, comps, net)
    d = np.ones(net.n) if res.d is None else res.d
    multi = ""
    if comps > 1:
        multi = (f"; the coupling graph has {comps} connected components, each normalised to "
                 "d = 1 at its first neuron (each may be rescaled independently)")
    if np.all(np.abs(d - 1.0) <= 10 * rtol):
        d = np.ones(net.n)
        reason = ("W is symmetric: P(x) = ½ xᵀ(I − W)x − uᵀx + Σ g_i(x_i) is an exact potential "
                  f"(Hopfield's energy){multi}")
        return PotentialResult(True, "exact", d, reason, comps, net)
    reason = (f"D(I − W) is symmetric for D = diag(d) with d = {_short(d)}: P_D is a weighted "
              f"potential{multi}")
    return PotentialResult(True, "weighted", d, reason, comps, net)


def _short(d: FloatArray, k: int = 6) -> str:
    head = ", ".join(f"{x:.6g}" for x in d[:k])
    return f"({head}{', …' if d.size > k else ''})"
