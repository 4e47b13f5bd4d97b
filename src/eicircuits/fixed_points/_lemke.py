"""Lemke's complementary pivoting method: an exact, finite fallback for dense LCPs.

Solves ``w = M z + q``, ``w ≥ 0``, ``z ≥ 0``, ``wᵀz = 0`` (Cottle, Pang & Stone 1992, §4.4) with
the covering vector ``d = 1`` and a lexicographic ratio test, so it cannot cycle on degenerate
problems. It runs in floating point (NumPy tableau) or, with ``exact=True``, in exact rational
arithmetic (:class:`fractions.Fraction`), which makes it an independent oracle for small
integer-weight problems. Lemke's method finds a solution whenever ``M`` is a P-matrix; when it
ends on a secondary ray the LCP may have no solution (or ``M`` is outside the classes for which
the method is guaranteed), and that is reported, never a wrong answer.

A network's equilibrium problem ``x = clip(Ax + b, lo, hi)`` is first written as a standard LCP:
unbounded ("linear") neurons are eliminated by a Schur complement, and every neuron with two
finite bounds gets a second complementary variable (the size grows to ``n + #boxed``).
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import ValidationError

__all__ = ["LCPResult", "lemke", "box_to_lcp"]

FloatArray = NDArray[np.float64]


@dataclasses.dataclass(frozen=True, eq=False)
class LCPResult:
    """Outcome of :func:`lemke`.

    Attributes
    ----------
    z, w : ndarray
        The solution and ``w = M z + q`` (object arrays of ``Fraction`` when exact). Only
        meaningful when ``status == "solved"``.
    status : str
        ``"solved"``, ``"ray"`` (secondary ray: no solution found) or ``"max_pivots"``.
    pivots : int
        Number of pivots.
    message : str
        What happened and what to do.
    """

    z: NDArray[Any]
    w: NDArray[Any]
    status: str
    pivots: int
    message: str

    @property
    def solved(self) -> bool:
        return self.status == "solved"


def lemke(
    M: ArrayLike,
    q: ArrayLike,
    *,
    exact: bool = False,
    max_pivots: int | None = None,
    tol: float = 1e-11,
    covering: ArrayLike | None = None,
) -> LCPResult:
    """Solve the LCP ``w = M z + q ≥ 0``, ``z ≥ 0``, ``zᵀw = 0`` by Lemke's method.

    Parameters
    ----------
    M : array_like, shape (n, n)
        The matrix (integers or ``Fraction`` for ``exact=True``).
    q : array_like, shape (n,)
        The vector.
    exact : bool
        Pivot in exact rational arithmetic (``Fraction``); slow, for small problems.
    max_pivots : int, optional
        Pivot budget (default ``50 (n + 1)``).
    tol : float
        Pivot tolerance in floating point (ignored when exact).
    covering : array_like, shape (n,), optional
        The covering vector ``d ≥ 0`` of the artificial variable (default all ones); rows with
        ``d_i = 0`` need ``q_i ≥ 0``. For a box problem written by :func:`box_to_lcp`, ones on
        the first ``n`` rows and zeros on the upper-bound rows keep every iterate inside the
        box, which makes the method complete there (see :func:`box_to_lcp`).

    Returns
    -------
    LCPResult

    Raises
    ------
    ValidationError
        Shapes do not match, non-finite entries, or a covering vector that is negative or zero
        on a row with ``q_i < 0``.

    Examples
    --------
    The worked ISN example of docs/theory.md §5 (``M = I − W``, ``q = −u``), exactly:

    >>> from fractions import Fraction
    >>> from eicircuits.fixed_points import lemke
    >>> res = lemke([[-1, 3], [-3, 2]], [-1, Fraction(-1, 2)], exact=True)
    >>> res.status, [str(v) for v in res.z]
    ('solved', ['1/14', '5/14'])
    """
    if exact:
        Mx = np.array([[Fraction(v) for v in row] for row in np.asarray(M, dtype=object)],
                      dtype=object)
        qx = np.array([Fraction(v) for v in np.asarray(q, dtype=object).ravel()], dtype=object)
        zero: Any = Fraction(0)
        eps: Any = Fraction(0)
    else:
        Mx = np.asarray(M, dtype=float)
        qx = np.asarray(q, dtype=float).ravel()
        if not (np.all(np.isfinite(Mx)) and np.all(np.isfinite(qx))):
            raise ValidationError("lemke: M and q must be finite")
        zero, eps = 0.0, tol
    if Mx.ndim != 2 or Mx.shape[0] != Mx.shape[1] or qx.shape != (Mx.shape[0],):
        raise ValidationError(
            f"lemke: M must be square (n × n) and q of length n, got M {Mx.shape}, q {qx.shape}"
        )
    n = Mx.shape[0]
    budget = 50 * (n + 1) if max_pivots is None else int(max_pivots)
    if covering is None:
        dvec = np.array([zero + 1] * n, dtype=Mx.dtype)
    else:
        dvec = np.array([(Fraction(v) if exact else float(v))
                         for v in np.asarray(covering, dtype=object).ravel()], dtype=Mx.dtype)
        if dvec.shape != (n,) or any(v < zero for v in dvec) or any(
                dvec[i] == zero and qx[i] < zero for i in range(n)):
            raise ValidationError(
                "lemke: covering must have n entries ≥ 0, positive wherever q_i < 0"
            )
    if all(v >= zero for v in qx):
        z = np.array([zero] * n, dtype=Mx.dtype)
        return LCPResult(z, Mx @ z + qx, "solved", 0, "q ≥ 0: z = 0 solves the LCP")

    # Tableau rows: w − M z − d z0 = q; columns w (0..n−1), z (n..2n−1), z0 (2n), rhs (2n+1).
    if exact:
        eye = np.array([[Fraction(int(i == j)) for j in range(n)] for i in range(n)],
                       dtype=object)
    else:
        eye = np.eye(n)
    T = np.hstack([eye, -Mx, -dvec.reshape(n, 1), qx.reshape(n, 1)])
    basis = list(range(n))
    Z0 = 2 * n

    def pivot(r: int, c: int) -> None:
        T[r] = T[r] / T[r, c]
        col = T[:, c].copy()
        col[r] = zero
        T[:] = T - np.outer(col, T[r])
        basis[r] = c

    r = min((i for i in range(n) if dvec[i] > zero), key=lambda i: (qx[i] / dvec[i], i))
    pivot(r, Z0)
    leaving = r  # w_r left the basis
    entering = n + leaving
    pivots = 1
    while pivots < budget:
        col = T[:, entering]
        rows = [i for i in range(n) if col[i] > eps]
        if not rows:
            return LCPResult(
                _extract(T, basis, n, zero), qx.copy(), "ray", pivots,
                "Lemke's method ended on a secondary ray: the LCP has no solution for this "
                "input, or its matrix is outside the classes Lemke's method is sure to solve "
                "(check is_p_matrix / try another method)",
            )
        r = _lexmin(T, rows, col, basis, Z0, n)
        var_out = basis[r]
        pivot(r, entering)
        pivots += 1
        if var_out == Z0:
            z = _extract(T, basis, n, zero)
            return LCPResult(z, Mx @ z + qx, "solved", pivots, "solved by Lemke's method")
        entering = var_out + n if var_out < n else var_out - n
    return LCPResult(
        _extract(T, basis, n, zero), qx.copy(), "max_pivots", pivots,
        f"Lemke's method stopped after max_pivots = {budget} pivots; raise max_pivots",
    )


def _lexmin(T: NDArray[Any], rows: list[int], col: NDArray[Any], basis: list[int], Z0: int,
            n: int) -> int:
    """Lexicographic minimum ratio row (rhs first, then the columns of B⁻¹)."""
    ratios = {i: T[i, -1] / col[i] for i in rows}
    best = min(ratios.values())
    scale = 1e-9 * (1.0 + abs(float(best))) if T.dtype != object else 0
    ties = [i for i in rows if ratios[i] - best <= scale]
    if len(ties) > 1:
        for i in ties:
            if basis[i] == Z0:
                return i
        for j in range(n):
            vals = {i: T[i, j] / col[i] for i in ties}
            low = min(vals.values())
            sc = 1e-9 * (1.0 + abs(float(low))) if T.dtype != object else 0
            ties = [i for i in ties if vals[i] - low <= sc]
            if len(ties) == 1:
                break
    return ties[0]


def _extract(T: NDArray[Any], basis: list[int], n: int, zero: Any) -> NDArray[Any]:
    z = np.array([zero] * n, dtype=T.dtype)
    for r, v in enumerate(basis):
        if n <= v < 2 * n:
            z[v - n] = T[r, -1]
    return z


def box_to_lcp(
    M: NDArray[Any], b: NDArray[Any], lo: FloatArray, hi: FloatArray
) -> tuple[NDArray[Any], NDArray[Any], Any]:
    """Write ``x ∈ [lo, hi]`` with ``Mx − b`` in the normal cone as a standard LCP.

    Every bound must be finite on at least one side (eliminate free neurons first). Returns
    ``(Mbar, qbar, back)`` with ``back(z)`` mapping an LCP solution to ``x``. Works for float
    and ``Fraction`` (object) arrays. The first ``n`` rows belong to the variables, the last
    ``#boxed`` rows (``hi − x ≥ 0``) to the upper bounds of the boxed ones.

    **Completeness on boxes.** Run :func:`lemke` with the covering vector ``d = (1, …, 1, 0, …,
    0)`` (zeros on the upper-bound rows): every iterate then keeps ``x`` in its box. When every
    variable is boxed (clipped ReLU), a ray of the augmented problem has a constant ``x``; a
    growing upper-bound multiplier would force ``x_i = lo_i = hi_i``, so the only ray is the
    primary one, and the lexicographic path cannot return to it: the method ends at a solution
    (which exists by Brouwer). With ones everywhere ``x`` may leave its box along the path and
    secondary rays occur (``W = [[0.625, 1.75, 3, 0.875], …]`` of the test-suite).
    """
    n = M.shape[0]
    has_lo, has_hi = np.isfinite(lo), np.isfinite(hi)
    if np.any(~has_lo & ~has_hi):
        raise ValidationError("box_to_lcp: every variable needs a finite bound")
    sign = np.where(has_lo, 1, -1)
    exact = M.dtype == object
    num = Fraction if exact else float
    base = np.array([num(lo[i] if has_lo[i] else hi[i]) for i in range(n)],
                    dtype=object if exact else float)
    boxed = np.flatnonzero(has_lo & has_hi)
    k = boxed.size
    D = sign.astype(M.dtype) if M.dtype != object else np.array([Fraction(int(s)) for s in sign],
                                                                   dtype=object)
    top = D[:, None] * M * D[None, :]
    qtop = D * (M @ base - b)
    if k == 0:
        Mbar, qbar = top, qtop
    else:
        P = np.zeros((n, k), dtype=M.dtype)
        if M.dtype == object:
            P[:] = Fraction(0)
        for m, i in enumerate(boxed):
            P[i, m] = 1
        Zk = np.zeros((k, k), dtype=M.dtype)
        if M.dtype == object:
            Zk[:] = Fraction(0)
        Mbar = np.block([[top, P], [-P.T, Zk]])
        width = np.array([num(hi[i]) - num(lo[i]) for i in boxed], dtype=M.dtype)
        qbar = np.concatenate([qtop, width])

    def back(z: NDArray[Any]) -> NDArray[Any]:
        return base + D * z[:n]

    return Mbar, qbar, back
