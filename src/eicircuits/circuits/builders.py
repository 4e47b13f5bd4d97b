"""Shared argument checks of the circuit builders, and random Dale-law E–I networks.

:func:`random_ei` draws a sparse (or dense) excitatory–inhibitory network whose ``W − I`` is
Lyapunov diagonally stable *by construction*: its weights are scaled so that a Collatz–Wielandt
bound on the Perron root of the Metzler majorant ``M(W)`` equals ``gain < 1`` (docs/theory.md §3,
Fact 8), a certificate that costs a few sparse matrix–vector products.

Examples
--------
>>> from eicircuits.circuits import random_ei
>>> net = random_ei(50, rng=0)
>>> net.n, len(net.e_idx), len(net.i_idx)
(50, 40, 10)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from .._validate import describe as _describe
from ..errors import ValidationError
from ..network import Network

__all__ = ["random_ei", "majorant_bound"]

FloatArray = NDArray[np.float64]

#: ``random_ei`` stores ``W`` sparse (CSR) above this many neurons unless told otherwise.
SPARSE_ABOVE = 1000



def check_real(name: str, value: Any, *, lo: float | None = None, hi: float | None = None,
               lo_open: bool = False, hi_open: bool = False) -> float:
    """``value`` as a finite float in the given interval, else a ValidationError."""
    try:
        x = float(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name}: expected a real number, got {_describe(value)}") from exc
    if not math.isfinite(x):
        raise ValidationError(f"{name}: must be finite, got {x}")
    if lo is not None and (x < lo or (lo_open and x == lo)):
        rule = f"> {lo}" if lo_open else f">= {lo}"
        raise ValidationError(f"{name}: must be {rule}, got {x}")
    if hi is not None and (x > hi or (hi_open and x == hi)):
        rule = f"< {hi}" if hi_open else f"<= {hi}"
        raise ValidationError(f"{name}: must be {rule}, got {x}")
    return x


def check_int(name: str, value: Any, *, lo: int) -> int:
    """``value`` as an int ``>= lo`` (bools and non-integral floats refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValidationError(f"{name}: expected an integer >= {lo}, got {_describe(value)}")
    if value < lo:
        raise ValidationError(f"{name}: must be an integer >= {lo}, got {value}")
    return int(value)


def majorant_bound(W: Any, *, iterations: int = 30) -> tuple[float, FloatArray]:
    """A certified upper bound on the Perron root of the majorant ``M(W) = |W|`` (entrywise).

    Runs a shifted power iteration on ``|W|`` and returns the Collatz–Wielandt bound
    ``ρ(|W|) ≤ max_i (|W| v)_i / v_i``, valid for *any* positive ``v``, with that ``v``. When the
    bound is ``< 1``, ``W − I`` is Lyapunov diagonally stable
    (docs/theory.md §3, Fact 8) and the rate form
    contracts in the ``v``-weighted ℓ∞ norm.

    Parameters
    ----------
    W : array_like or sparse matrix, shape (n, n)
    iterations : int
        Power-iteration steps (the bound is valid after any number; more steps make it tighter).

    Returns
    -------
    bound : float
    v : ndarray, shape (n,), positive

    Examples
    --------
    >>> import numpy as np
    >>> round(majorant_bound(np.array([[0.0, -0.5], [0.5, 0.0]]))[0], 6)
    0.5
    """
    A = abs(sp.csr_array(W)) if sp.issparse(W) else np.abs(np.asarray(W, dtype=float))
    n = A.shape[0]
    v = np.ones(n)
    for _ in range(iterations):
        w = A @ v
        w = w / max(float(w.max()), 1e-300) + 1e-3  # the shift keeps v > 0 (any v > 0 is valid)
        v = w / w.max()
    ratio = (A @ v) / v
    return float(ratio.max()), v


def random_ei(n: int, *, frac_e: float = 0.8, density: float = 0.1, gain: float = 0.9,
              rng: int | np.random.Generator | None = None,
              sparse: bool | None = None, tau: ArrayLike = 1.0, u: ArrayLike | None = None,
              ) -> Network:
    """A random Dale-law E–I network whose ``W − I`` is LDS by construction.

    Each ordered pair ``j → i`` (``i ≠ j``) is a synapse with probability ``density``; its
    magnitude is exponential with mean 1, multiplied by ``frac_e / (1 − frac_e)`` for inhibitory
    ``j`` so that excitation and inhibition balance on average. The sign is the presynaptic
    neuron's (Dale's law). Finally ``W`` is scaled by one positive factor so that the
    Collatz–Wielandt bound of :func:`majorant_bound` on the Perron root of ``|W|`` equals
    ``gain``.

    **How ``gain`` scales.** ``gain`` is an upper bound on ``ρ(|W|)``, the spectral abscissa of
    the Metzler majorant; doubling ``gain`` doubles every weight. With ``gain < 1`` (required),
    ``W − I`` is LDS (docs/theory.md §3, Fact 8), so for every input there is one globally stable
    equilibrium, and with ``τ = 1`` the rate form contracts at rate ``1 − gain`` in the weighted
    ℓ∞ norm of the returned bound's vector.

    Parameters
    ----------
    n : int
        Number of neurons (``≥ 2``); the first ``round(frac_e·n)`` are excitatory.
    frac_e : float
        Fraction of E neurons, strictly between 0 and 1 (at least one of each type).
    density : float
        Connection probability in ``(0, 1]``.
    gain : float
        Bound on the majorant's Perron root, in ``(0, 1)``.
    rng : int, Generator or None
        Seed or generator (``numpy.random.default_rng``); no global random state is used.
    sparse : bool or None
        Store ``W`` as CSR; default: sparse when ``n > 1000``.
    tau, u : float or array_like
        Time constants and input passed to :class:`~eicircuits.Network`.

    Returns
    -------
    Network
        With ``cell_types`` and names ``E0, E1, …, I0, I1, …``.

    Raises
    ------
    ValidationError
        A parameter outside its range.

    Examples
    --------
    >>> from eicircuits.circuits import random_ei
    >>> from eicircuits.circuits.builders import majorant_bound
    >>> net = random_ei(200, density=0.05, gain=0.8, rng=1)
    >>> majorant_bound(net.W)[0] <= 0.8 + 1e-12
    True
    """
    n = check_int("n", n, lo=2)
    frac_e = check_real("frac_e", frac_e, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    density = check_real("density", density, lo=0.0, hi=1.0, lo_open=True)
    gain = check_real("gain", gain, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    n_e = round(frac_e * n)
    if n_e < 1 or n_e > n - 1:
        raise ValidationError(
            f"frac_e: {frac_e} of n = {n} neurons gives {n_e} E and {n - n_e} I neurons; "
            "an E–I network needs at least one of each"
        )
    gen = np.random.default_rng(rng)
    if sparse is None:
        sparse = n > SPARSE_ABOVE
    if sparse:
        # Draw the expected number of synapses as (row, col) pairs; duplicates merge (same sign).
        k = int(gen.binomial(n * (n - 1), density))
        rows = gen.integers(0, n, size=k)
        cols = gen.integers(0, n - 1, size=k)
        cols = cols + (cols >= rows)  # skip the diagonal: no autapses
        vals = gen.exponential(1.0, size=k)
        A = sp.csr_array((vals, (rows, cols)), shape=(n, n))
        A.sum_duplicates()
    else:
        mask = gen.random((n, n)) < density
        np.fill_diagonal(mask, False)
        A = np.where(mask, gen.exponential(1.0, size=(n, n)), 0.0)
    sign = np.ones(n)
    sign[n_e:] = -frac_e / (1.0 - frac_e)
    W = A @ sp.diags_array(sign) if sparse else A * sign[None, :]
    W = sp.csr_array(W) if sparse else W
    bound, _ = majorant_bound(W)
    if bound > 0:
        W = W * (gain / bound)
    names = [f"E{i}" for i in range(n_e)] + [f"I{k}" for k in range(n - n_e)]
    return Network(W=W, tau=tau, u=u, cell_types="E" * n_e + "I" * (n - n_e), names=names)
