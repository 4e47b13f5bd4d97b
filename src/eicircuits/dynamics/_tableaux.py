"""Explicit Runge–Kutta schemes as data: Butcher tableaux in exact rational arithmetic.

A tableau ``(A, b, c)`` defines the stages ``k_i = f(t + c_i h, x + h Σ_j A_ij k_j)`` and the
step ``x ← x + h Σ_i b_i k_i``. The entries are kept as :class:`fractions.Fraction`, so the
order conditions (Butcher, *Numerical Methods for ODEs*, 2016, §31) are checked exactly by
:meth:`Tableau.order_conditions`.

Examples
--------
>>> from eicircuits.dynamics._tableaux import TABLEAUX
>>> rk4 = TABLEAUX["rk4"]
>>> rk4.stages, rk4.order, rk4.satisfied_order()
(4, 4, 4)
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

__all__ = ["Tableau", "TABLEAUX", "EULER", "HEUN", "MIDPOINT", "RK4"]


def _fr(rows: list[list[int | str]]) -> tuple[tuple[Fraction, ...], ...]:
    return tuple(tuple(Fraction(v) for v in row) for row in rows)


@dataclasses.dataclass(frozen=True)
class Tableau:
    """An explicit Runge–Kutta scheme.

    Attributes
    ----------
    name : str
        Registry name.
    order : int
        The classical order the scheme is known to have (verified by the tests).
    A : tuple of tuple of Fraction
        Strictly lower-triangular stage matrix, shape (s, s).
    b : tuple of Fraction
        Weights, shape (s,).
    c : tuple of Fraction
        Nodes, shape (s,); ``c_i = Σ_j A_ij``.
    """

    name: str
    order: int
    A: tuple[tuple[Fraction, ...], ...]
    b: tuple[Fraction, ...]
    c: tuple[Fraction, ...]

    @property
    def stages(self) -> int:
        """Number of stages ``s`` (mat-vecs per step)."""
        return len(self.b)

    def arrays(self) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """``(A, b, c)`` as float arrays."""
        A = np.array([[float(v) for v in row] for row in self.A], dtype=float)
        return A, np.array([float(v) for v in self.b]), np.array([float(v) for v in self.c])

    def order_conditions(self) -> dict[int, bool]:
        """Which order conditions hold exactly, grouped by order 1–4.

        Order 1: ``Σ b = 1``; 2: ``b·c = 1/2``; 3: ``b·c² = 1/3``, ``b·Ac = 1/6``;
        4: ``b·c³ = 1/4``, ``b·(c∘Ac) = 1/8``, ``b·Ac² = 1/12``, ``b·A²c = 1/24``.
        """
        s = self.stages
        A, b, c = self.A, self.b, self.c

        def dot(u: list[Fraction] | tuple[Fraction, ...], v: list[Fraction]) -> Fraction:
            return sum((ui * vi for ui, vi in zip(u, v, strict=True)), Fraction(0))

        def Amul(v: list[Fraction]) -> list[Fraction]:
            return [dot(A[i], v) for i in range(s)]

        one = [Fraction(1)] * s
        cl = list(c)
        c2 = [ci * ci for ci in cl]
        c3 = [ci * ci * ci for ci in cl]
        Ac = Amul(cl)
        return {
            1: dot(b, one) == 1,
            2: dot(b, cl) == Fraction(1, 2),
            3: dot(b, c2) == Fraction(1, 3) and dot(b, Ac) == Fraction(1, 6),
            4: (
                dot(b, c3) == Fraction(1, 4)
                and dot(b, [ci * ai for ci, ai in zip(cl, Ac, strict=True)]) == Fraction(1, 8)
                and dot(b, Amul(c2)) == Fraction(1, 12)
                and dot(b, Amul(Ac)) == Fraction(1, 24)
            ),
        }

    def satisfied_order(self) -> int:
        """The largest ``p ≤ 4`` such that every order condition up to ``p`` holds."""
        p = 0
        for k, ok in sorted(self.order_conditions().items()):
            if not ok:
                break
            p = k
        return p

    def is_explicit(self) -> bool:
        """Whether ``A`` is strictly lower triangular."""
        return all(self.A[i][j] == 0 for i in range(self.stages) for j in range(i, self.stages))

    def is_consistent(self) -> bool:
        """Whether the row sums of ``A`` equal ``c``."""
        return all(sum(row, Fraction(0)) == ci for row, ci in zip(self.A, self.c, strict=True))


EULER = Tableau("euler", 1, _fr([[0]]), (Fraction(1),), (Fraction(0),))
HEUN = Tableau(
    "heun", 2, _fr([[0, 0], [1, 0]]), (Fraction(1, 2), Fraction(1, 2)), (Fraction(0), Fraction(1))
)
MIDPOINT = Tableau(
    "midpoint", 2, _fr([[0, 0], ["1/2", 0]]), (Fraction(0), Fraction(1)),
    (Fraction(0), Fraction(1, 2)),
)
RK4 = Tableau(
    "rk4",
    4,
    _fr([[0, 0, 0, 0], ["1/2", 0, 0, 0], [0, "1/2", 0, 0], [0, 0, 1, 0]]),
    (Fraction(1, 6), Fraction(1, 3), Fraction(1, 3), Fraction(1, 6)),
    (Fraction(0), Fraction(1, 2), Fraction(1, 2), Fraction(1)),
)

#: Registry of the explicit Runge–Kutta schemes of the fixed-step path.
TABLEAUX: dict[str, Tableau] = {t.name: t for t in (EULER, HEUN, MIDPOINT, RK4)}
