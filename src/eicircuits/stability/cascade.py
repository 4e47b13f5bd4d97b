"""Cascades: LDS certificates composed over a block-triangular network (docs/theory.md §3, §5).

The strongly connected components of the synaptic graph, ordered by depth (longest path from
the sources), put ``W`` in block lower-triangular form. If every diagonal block ``W_bb − I`` is
LDS with weights ``P_b`` (``max = 1``) and margin ``m_b`` (``P_b A_bb + A_bbᵀ P_b ⪯ −2 m_b I``),
the weights ``ε^{ℓ_b} P_b`` (``ℓ_b`` the depth of block ``b``) certify the whole network for
small ``ε``. Congruence with ``D^{-½}``, ``D = diag(ε^{ℓ_b})``, turns ``PA + AᵀP`` into a matrix
whose off-diagonal blocks are ``ε^{(ℓ_b − ℓ_c)/2} P_b W_bc``; it is negative definite when the
``B × B`` comparison matrix ``T`` (``T_bb = 2 m_b``, ``T_bc = −ε^{(ℓ_b − ℓ_c)/2} ‖P_b W_bc‖₂``,
symmetrised) is positive definite. ``ε = 4^{-k}`` keeps every number a dyadic rational.

Examples
--------
>>> import numpy as np
>>> W = np.array([[0.5, -1.0, 0.0, 0.0], [1.0, -0.5, 0.0, 0.0],
...               [2.0, 0.0, 0.5, -1.0], [0.0, 0.0, 1.0, -0.5]])
>>> blocks, levels = block_structure(W)
>>> [b.tolist() for b in blocks], levels.tolist()
([[0, 1], [2, 3]], [0, 1])
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components

from ..network import Network

__all__ = ["block_structure", "cascade_weights", "verify_cascade"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

#: Largest number of blocks for which the comparison matrix gets a dense eigenvalue test.
_EIG_BLOCKS = 2000
#: Smallest weight scale allowed (ε^depth); below it the cascade is refused.
_TINY = 1e-200


def block_structure(W: Any) -> tuple[list[IntArray], IntArray]:
    """Strongly connected components of ``W`` (edge ``j → i`` when ``W[i, j] ≠ 0``) and depths.

    Returns the blocks sorted by ``(depth, smallest index)`` and the depth of each block.
    """
    G = sp.csr_array(W)
    G = sp.csr_array((np.ones_like(G.data), G.indices, G.indptr), shape=G.shape)
    nb, labels = connected_components(G.T, directed=True, connection="strong")
    # condensation edges: block(j) -> block(i) for W[i, j] != 0
    coo = G.tocoo()
    src, dst = labels[coo.col], labels[coo.row]
    keep = src != dst
    edges = set(zip(src[keep].tolist(), dst[keep].tolist(), strict=True))
    succ: dict[int, list[int]] = {}
    indeg = np.zeros(nb, dtype=int)
    for a, b in edges:
        succ.setdefault(a, []).append(b)
        indeg[b] += 1
    depth = np.zeros(nb, dtype=np.intp)
    stack = [b for b in range(nb) if indeg[b] == 0]
    while stack:
        a = stack.pop()
        for b in succ.get(a, []):
            depth[b] = max(depth[b], depth[a] + 1)
            indeg[b] -= 1
            if indeg[b] == 0:
                stack.append(b)
    members = [np.flatnonzero(labels == b) for b in range(nb)]
    order = sorted(range(nb), key=lambda b: (int(depth[b]), int(members[b][0])))
    return [members[b] for b in order], np.array([depth[b] for b in order], dtype=np.intp)


def _sub(W: Any, rows: IntArray, cols: IntArray) -> Any:
    if sp.issparse(W):
        return W[rows][:, cols]
    return W[np.ix_(rows, cols)]


def _block_margin(W_bb: Any, p: FloatArray) -> float:
    k = W_bb.shape[0]
    if sp.issparse(W_bb) and k > 2000:
        A = (W_bb - sp.eye_array(k, format="csr")).tocsr()
        from ._lds import lds_margin

        return lds_margin(A, p) * float(np.mean(p))  # −λ_max / 2, not scale-free
    A = (W_bb.toarray() if sp.issparse(W_bb) else W_bb) - np.eye(k)
    S = p[:, None] * A
    return -float(np.linalg.eigvalsh(S + S.T)[-1]) / 2


def _norm2(M: Any) -> float:
    if sp.issparse(M):
        if M.nnz == 0:
            return 0.0
        if min(M.shape) <= 500:
            return float(np.linalg.norm(M.toarray(), 2))
        # ‖M‖₂ ≤ √(‖M‖₁ ‖M‖∞): a rigorous, cheap upper bound for large blocks
        return float(np.sqrt(spla.norm(M, 1) * spla.norm(M, np.inf)))
    if not np.any(M):
        return 0.0
    return float(np.linalg.norm(M, 2))


def _couplings(W: Any, blocks: list[IntArray], levels: IntArray,
               phat: list[FloatArray]) -> dict[tuple[int, int], float]:
    """``‖P_b W_bc‖₂`` for every pair of blocks ``b ≠ c`` with a synapse between them.

    Only the pairs that occur among the nonzeros of ``W`` are visited (``O(nnz)`` plus one norm
    per coupled pair), so a file declaring one block per neuron costs no more than ``W``.
    """
    n = W.shape[0]
    label = np.empty(n, dtype=np.intp)
    local = np.empty(n, dtype=np.intp)
    p_all = np.empty(n)
    for b, idx in enumerate(blocks):
        label[idx] = b
        local[idx] = np.arange(idx.size)
        p_all[idx] = phat[b]
    coo = sp.coo_array(W)
    keep = (label[coo.row] != label[coo.col]) & (coo.data != 0)
    rows, cols, vals = coo.row[keep], coo.col[keep], coo.data[keep]
    if rows.size == 0:
        return {}
    lb, lc = label[rows], label[cols]
    order = np.lexsort((lc, lb))
    rows, cols, vals, lb, lc = rows[order], cols[order], vals[order], lb[order], lc[order]
    cut = np.flatnonzero((np.diff(lb) != 0) | (np.diff(lc) != 0)) + 1
    out: dict[tuple[int, int], float] = {}
    for seg_r, seg_c, seg_v in zip(np.split(rows, cut), np.split(cols, cut), np.split(vals, cut),
                                   strict=True):
        b, c = int(label[seg_r[0]]), int(label[seg_c[0]])
        PM = sp.coo_array((p_all[seg_r] * seg_v, (local[seg_r], local[seg_c])),
                          shape=(blocks[b].size, blocks[c].size)).tocsr()
        out[(b, c)] = _norm2(PM)
    return out


def _comparison_ok(margins: FloatArray, coup: dict[tuple[int, int], float],
                   levels: IntArray, eps: float) -> tuple[bool, float]:
    B = len(margins)
    T = np.diag(2.0 * margins)
    for (b, c), nrm in coup.items():
        f = eps ** ((levels[b] - levels[c]) / 2.0)
        T[b, c] -= f * nrm
        T[c, b] -= f * nrm
    if B == 1:
        return bool(T[0, 0] > 0), float(T[0, 0])
    # many blocks: strict diagonal dominance (sufficient, O(B²) memory but no O(B³) solve)
    low = float(np.min(np.diag(T) - (np.sum(np.abs(T), axis=1) - np.abs(np.diag(T)))))
    if low > 0 or B > _EIG_BLOCKS:
        return low > 0, low
    lam = float(np.linalg.eigvalsh(T)[0])
    return lam > 0, lam


def cascade_weights(net: Network, block_lds: Callable[[Any, IntArray], Any]
                    ) -> tuple[FloatArray | None, dict[str, Any], str]:
    """Compose per-block LDS weights into weights for the whole network.

    ``block_lds(W_bb, idx)`` returns an :class:`~eicircuits.stability.LDSResult` for a
    diagonal block. Returns ``(p, data, message)``; ``p`` is ``None`` when some block is not
    certified, a coupling goes upstream, or no ``ε`` works.
    """
    W = net.W
    blocks, levels = block_structure(W)
    phat: list[FloatArray] = []
    margins = []
    cache: dict[str, Any] = {}
    for b, idx in enumerate(blocks):
        Wb = _sub(W, idx, idx)
        dense = Wb.toarray() if sp.issparse(Wb) else np.asarray(Wb)
        key = hashlib.sha256(np.ascontiguousarray(dense).tobytes()).hexdigest()
        res = cache.get(key)
        if res is None:
            res = block_lds(Wb, idx)
            cache[key] = res
        if not res.is_lds:
            return None, {}, (f"block {b} (neurons {idx[:5].tolist()}{'…' if idx.size > 5 else ''})"
                              f" is not certified LDS: {res.message}")
        phat.append(np.asarray(res.p, dtype=float))
        margins.append(_block_margin(Wb, phat[-1]))
    margins_arr = np.array(margins)
    coup = _couplings(W, blocks, levels, phat)
    for (b, c) in coup:
        if levels[b] <= levels[c]:  # pragma: no cover - impossible by construction of levels
            return None, {}, "block structure is not triangular"
    eps = 1.0
    depth = int(levels.max()) if levels.size else 0
    for k in range(1, 200):
        eps = 4.0 ** (-k)
        if eps**depth < _TINY:
            return None, {}, f"no ε ≥ {eps:.3g} composes the blocks (depth {depth})"
        ok, lam = _comparison_ok(margins_arr, coup, levels, eps)
        if ok:
            break
    else:  # pragma: no cover
        return None, {}, "no ε composes the blocks"
    p = np.empty(net.n)
    for b, idx in enumerate(blocks):
        p[idx] = phat[b] * eps ** int(levels[b])
    data = {
        "blocks": [idx.tolist() for idx in blocks],
        "levels": levels.tolist(),
        "eps": eps,
        "block_margins": margins_arr.tolist(),
    }
    return p, data, (f"{len(blocks)} blocks in {depth + 1} levels composed with ε = {eps:.3g} "
                     f"(comparison matrix λ_min = {lam:.3g})")


def verify_cascade(net: Network, p: FloatArray, data: dict[str, Any]) -> tuple[bool, str]:
    """Re-check a cascade certificate from ``W``, the weights and the block structure."""
    n = net.n
    raw_blocks, raw_levels, eps = data["blocks"], data["levels"], data["eps"]
    if (not isinstance(raw_blocks, list) or not isinstance(raw_levels, list)
            or len(raw_blocks) > n or len(raw_levels) != len(raw_blocks)
            or not all(isinstance(b, list) and b and all(isinstance(i, int)
                                                          and not isinstance(i, bool)
                                                          for i in b) for b in raw_blocks)
            or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < n
                       for v in raw_levels)):
        return False, ("cascade data: need a list of at most n nonempty blocks of neuron "
                       "indices and one integer level 0 ≤ ℓ < n per block")
    blocks = [np.asarray(b, dtype=np.intp) for b in raw_blocks]
    levels = np.asarray(raw_levels, dtype=np.intp)
    if isinstance(eps, bool) or not isinstance(eps, (int, float)) or not (0 < eps < 1):
        return False, "cascade data: need 0 < ε < 1"
    eps = float(eps)
    if levels.size and eps ** int(levels.max()) < _TINY:
        return False, f"cascade data: ε^depth below {_TINY:g}"
    allidx = np.concatenate(blocks) if blocks else np.array([], dtype=np.intp)
    if allidx.size != n or not np.array_equal(np.sort(allidx), np.arange(n)):
        return False, "cascade data: the blocks must partition the neurons"
    if np.any(p <= 0) or not np.all(np.isfinite(p)):
        return False, "every weight must be > 0"
    label = np.empty(n, dtype=np.intp)
    for b, idx in enumerate(blocks):
        label[idx] = b
    coo = sp.coo_array(net.W)
    lb, lc = label[coo.row], label[coo.col]
    bad = (lb != lc) & (levels[lb] <= levels[lc])
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        return False, (f"W[{coo.row[k]}, {coo.col[k]}] couples block {lc[k]} to block {lb[k]} "
                       "against the cascade order")
    phat = [p[idx] / eps ** int(levels[b]) for b, idx in enumerate(blocks)]
    margins = np.array([_block_margin(_sub(net.W, idx, idx), phat[b])
                        for b, idx in enumerate(blocks)])
    if np.any(margins <= 0):
        b = int(np.argmin(margins))
        return False, f"block {b}: P_b(W_bb − I) + (W_bb − I)ᵀP_b is not negative definite"
    coup = _couplings(net.W, blocks, levels, phat)
    ok, lam = _comparison_ok(margins, coup, levels, eps)
    if not ok:
        return False, f"the block comparison matrix is not positive definite (λ_min = {lam:.3g})"
    return True, (f"every block LDS (smallest margin {margins.min():.4g}) and the {len(blocks)} × "
                  f"{len(blocks)} comparison matrix is positive definite (λ_min = {lam:.4g})")
