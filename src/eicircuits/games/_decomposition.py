"""Potential and zero-sum parts of the game; the E–I saddle function
(docs/theory.md §2, competition).

With ``P = diag(p) > 0`` split ``M = P(I − W)`` into its symmetric part ``(M + Mᵀ)/2`` (the
potential, "cooperative" part of the game) and its skew part ``(M − Mᵀ)/2`` (the zero-sum part).

When the E–I coupling is **weighted-reciprocal** — ``P_E W_EE`` and ``P_I W_II`` symmetric and
``P_E |W_EI| = |W_IE|ᵀ P_I`` — the symmetric part is block diagonal, the skew part is the E–I
coupling, and the network is a proximal gradient descent–ascent flow on the saddle function

    L(x_E, x_I) = ½ x_Eᵀ M_EE x_E − (P u)_Eᵀ x_E + Σ_E p_i g_i(x_i)
                − ½ x_Iᵀ M_II x_I + (P u)_Iᵀ x_I − Σ_I p_i g_i(x_i) + x_Eᵀ M_EI x_I,

which the E neurons minimise and the I neurons maximise: ``∇_E L = (P F)_E`` and
``∇_I L = −(P F)_I`` for the pseudo-gradient ``F(x) = (I − W)x − u``. The inhibitory rates act
as Lagrange multipliers on excitatory activity. The decomposition reports whether this is exact
and checks the gradient identity numerically. Without cell types every neuron is treated as a
minimiser, and ``L`` is then the (weighted) potential when one exists.

Examples
--------
>>> import numpy as np
>>> from eicircuits import Network
>>> from eicircuits.games import decomposition
>>> net = Network(W=[[0.5, -2.0], [1.0, -0.5]], u=[1.0, 0.0], cell_types="EI")
>>> dec = decomposition(net)
>>> dec.saddle_exact, dec.weights.tolist()
(True, [1.0, 2.0])
>>> dec.check_residual < 1e-12
True
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from ..errors import ValidationError
from ..network import Network
from ._potential import symmetrizing_weights

__all__ = ["Decomposition", "decomposition"]

FloatArray = NDArray[np.float64]

#: Largest n for which convexity of the saddle function is decided by eigenvalues.
_EIG_LIMIT = 2000


def _dense(A: Any) -> FloatArray:
    return A.toarray() if sp.issparse(A) else np.asarray(A)


@dataclasses.dataclass(frozen=True, eq=False)
class Decomposition:
    """Symmetric and skew parts of ``P(I − W)`` and the E–I saddle function.

    Attributes
    ----------
    weights : ndarray
        The diagonal ``p`` of ``P``.
    matrix : ndarray or sparse
        ``M = P(I − W)``.
    symmetric, skew : ndarray or sparse
        ``(M + Mᵀ)/2`` and ``(M − Mᵀ)/2``.
    skew_fraction : float
        ``‖skew‖_F / ‖M‖_F``: 0 for a potential game, larger the more zero-sum the game is.
    signs : ndarray
        ``+1`` for the minimising players (E, or every neuron without cell types), ``−1`` for
        the maximising ones (I).
    saddle_exact : bool
        Whether ``σ ∇L = P F`` holds exactly (within ``rtol``): the weighted-reciprocal case.
    check_residual : float
        ``max |σ ∇L(x) − P F(x)| / (1 + max |P F(x)|)`` over a few random points (``seed``).
    convex_concave : bool or None
        Whether ``L`` is convex in ``x_E`` and concave in ``x_I`` (``M_EE``, ``M_II`` positive
        semidefinite); ``None`` when not decided (``n`` above 2000).
    reason : str
        What was found, in words.
    """

    weights: FloatArray
    matrix: Any
    symmetric: Any
    skew: Any
    skew_fraction: float
    signs: FloatArray
    saddle_exact: bool
    check_residual: float
    convex_concave: bool | None
    reason: str
    net: Network = dataclasses.field(repr=False)

    def saddle_gradient(self, x: ArrayLike) -> FloatArray:
        """Gradient of the smooth part of ``L`` (``∂L/∂x_i`` for every neuron)."""
        from ._game import check_state

        x = check_state(x, self.net.n)
        pu = self.weights * self.net.u
        sig = self.signs
        e = sig > 0
        # Block formula: L's quadratic part is ½ xᵀ Q x with Q = [[sym M_EE, M_EI], [M_EIᵀ,
        # −sym M_II]], and its linear part is −σ ⊙ (P u).
        M, Ms = self.matrix, self.symmetric
        xe = np.where(e, x, 0.0)
        xi = np.where(e, 0.0, x)
        grad_e = Ms @ xe + M @ xi - pu
        grad_i = -(Ms @ xi) + M.T @ xe + pu
        return np.where(e, grad_e, grad_i)

    def saddle_value(self, x: ArrayLike) -> float:
        """``L(x)``, including the ``g`` terms.

        Raises
        ------
        ValidationError
            Some rate lies outside its activation's range (``L`` would be ``±inf``).
        """
        from ._game import check_state

        x = check_state(x, self.net.n)
        gx = self.net.g(x)
        if np.any(np.isinf(gx)):
            k = int(np.flatnonzero(np.isinf(gx))[0])
            raise ValidationError(
                f"saddle_value: x[{k}] = {x[k]} lies outside the range of neuron {k}'s activation"
            )
        sig = self.signs
        e = sig > 0
        xe = np.where(e, x, 0.0)
        xi = np.where(e, 0.0, x)
        Ms, M = self.symmetric, self.matrix
        quad = 0.5 * xe @ (Ms @ xe) - 0.5 * xi @ (Ms @ xi) + xe @ (M @ xi)
        lin = -np.sum(sig * self.weights * self.net.u * x)
        return float(quad + lin + np.sum(sig * self.weights * gx))


def decomposition(net: Network, P: ArrayLike | None = None, *, rtol: float = 1e-10,
                  seed: int = 0) -> Decomposition:
    """Split the game into potential and zero-sum parts; the E–I saddle function.

    Parameters
    ----------
    net : Network
    P : array_like, shape (n,) or (n, n) diagonal, optional
        Positive weights. Default: weights making the E–I coupling reciprocal when they exist
        (found along a spanning forest of ``J W``, ``J = diag(±1)`` for E/I rows), else the
        potential's weights, else ``1``.
    rtol : float
        Relative tolerance for "exact".
    seed : int
        Seed of the random points where the gradient identity is checked.

    Returns
    -------
    Decomposition

    Raises
    ------
    ValidationError
        ``P`` not positive, finite, diagonal, of length ``n``.
    """
    n = net.n
    signs = np.ones(n)
    if net.cell_types is not None:
        signs[net.i_idx] = -1.0
    W = net.W
    notes: list[str] = []
    if P is None:
        JW = (sp.diags_array(signs) @ W).tocsr() if sp.issparse(W) else signs[:, None] * W
        found = symmetrizing_weights(JW, rtol=rtol).d
        if found is None:
            found = symmetrizing_weights(W, rtol=rtol).d
        if found is None:
            notes.append("no weights make the coupling reciprocal; P = I was used")
            p = np.ones(n)
        else:
            p = found
    else:
        p = _check_weights(P, n)
    if sp.issparse(W):
        M = (sp.diags_array(p) @ (sp.eye_array(n, format="csr") - W)).tocsr()
        norm = float(sp.linalg.norm(M))
    else:
        M = p[:, None] * (np.eye(n) - W)
        norm = float(np.linalg.norm(M))
    sym = (M + M.T) / 2
    skew = (M - M.T) / 2
    skew_norm = float(sp.linalg.norm(skew)) if sp.issparse(skew) else float(np.linalg.norm(skew))
    frac = skew_norm / norm if norm > 0 else 0.0
    # Exactness: the symmetric part has no E–I block, the skew part only E–I blocks.
    same = np.equal.outer(signs, signs)
    S_d, K_d = (_dense(sym), _dense(skew)) if n <= _EIG_LIMIT else (None, None)
    if S_d is not None and K_d is not None:
        defect = max(np.max(np.abs(S_d[~same]), initial=0.0), np.max(np.abs(K_d[same]),
                                                                      initial=0.0))
    else:
        defect = _sparse_defect(sp.csr_array(sym), sp.csr_array(skew), signs)
    scale = max(float(np.max(np.abs(_dense(M)))) if not sp.issparse(M) else
                float(np.max(np.abs(M.data), initial=0.0)), 1e-300)
    exact = defect <= rtol * scale
    convex = None
    if S_d is not None:
        e = signs > 0
        ok = True
        for blk in (S_d[np.ix_(e, e)], S_d[np.ix_(~e, ~e)]):
            if blk.size:
                ok &= bool(np.linalg.eigvalsh(blk)[0] >= -1e-12 * scale)
        convex = ok
    dec = Decomposition(p, M, sym, skew, frac, signs, bool(exact), math.nan, convex, "", net)
    rng = np.random.default_rng(seed)
    pts = rng.standard_normal((3, n))
    res = 0.0
    for x in pts:
        pf = p * (x - net.drive(x))
        res = max(res, float(np.max(np.abs(signs * dec.saddle_gradient(x) - pf)))
                  / (1.0 + float(np.max(np.abs(pf)))))
    typed = net.cell_types is not None and np.any(signs < 0) and np.any(signs > 0)
    if exact and typed:
        what = ("exact: the E–I coupling is weighted-reciprocal, so the network is a proximal "
                "gradient descent–ascent flow on L (E neurons minimise, I neurons maximise)")
        if convex:
            what += "; L is convex in x_E and concave in x_I"
        elif convex is False:
            what += "; but L is not convex–concave (some M_EE or M_II block is indefinite)"
    elif exact:
        what = ("exact: P(I − W) is symmetric, L is a (weighted) potential that every neuron "
                "minimises")
    else:
        what = (f"not exact: P(I − W) has symmetric E–I or skew E–E / I–I parts of size "
                f"{defect:.3g}; the gradient identity fails by {res:.3g} (relative)")
    if net.cell_types is None:
        notes.append("no cell types: every neuron is treated as a minimiser")
    reason = "; ".join([what, *notes])
    return dataclasses.replace(dec, check_residual=res, reason=reason)


def _sparse_defect(sym: sp.csr_array, skew: sp.csr_array, signs: FloatArray) -> float:
    worst = 0.0
    for A, want_same in ((sym, False), (skew, True)):
        C = A.tocoo()
        same = signs[C.row] == signs[C.col]
        # sym: the E–I entries must vanish; skew: the E–E and I–I entries must vanish.
        bad = C.data[same] if want_same else C.data[~same]
        worst = max(worst, float(np.max(np.abs(bad), initial=0.0)))
    return worst


def _check_weights(P: ArrayLike, n: int) -> FloatArray:
    arr = np.asarray(P, dtype=float)
    if arr.ndim == 2:
        if arr.shape != (n, n) or np.any(arr - np.diag(np.diag(arr))):
            raise ValidationError(f"P: expected a diagonal {n} × {n} matrix or {n} weights, "
                                  f"got shape {arr.shape}")
        arr = np.diag(arr).copy()
    if arr.shape != (n,):
        raise ValidationError(f"P: expected {n} positive weights, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        k = int(np.flatnonzero(~(np.isfinite(arr) & (arr > 0)))[0])
        raise ValidationError(f"P: every weight must be finite and > 0; P[{k}] = {arr[k]}")
    return arr
