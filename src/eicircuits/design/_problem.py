"""Validation of design inputs and the linear form of target equilibria (docs/theory.md §6).

A target ``(u, x)`` says ``x = Φ(W x + u)``. Per neuron ``i`` this is, with ``Y = P W``:

* ``x_i`` inside the range of ``φ_i`` (or on a linear piece):
  ``(Y x)_i = p_i (φ_i⁻¹(x_i) − u_i)`` (an equality);
* ``x_i`` at the lower end of a piecewise-linear ``φ_i`` (a silent ReLU neuron):
  ``(Y x)_i + p_i u_i ≤ p_i (z_lo − δ)``, ``z_lo`` the lower kink;
* ``x_i`` at the upper end (a saturated clipped neuron): ``(Y x)_i + p_i u_i ≥ p_i (z_hi + δ)``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validate import describe
from ..activations import Activation, ReLU
from ..errors import ValidationError

__all__ = ["Targets", "build_targets", "check_cell_types", "check_mask", "check_activations",
           "check_positive", "sign_pattern", "diagnose"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: A target rate within this (relative) distance of a kink counts as at the kink.
KINK_TOL = 1e-12


def check_cell_types(cell_types: Any) -> tuple[str, ...]:
    """Cell types as a tuple of ``"E"``/``"I"`` (a string like ``"EEI"`` or a sequence)."""
    if cell_types is None:
        raise ValidationError("cell_types: required (a string of E/I letters or a sequence)")
    if isinstance(cell_types, str):
        types = tuple(cell_types.upper())
    else:
        try:
            types = tuple(str(t).upper() for t in cell_types)
        except TypeError as exc:
            raise ValidationError(
                f"cell_types: expected a string of E/I letters or a sequence, got "
                f"{describe(cell_types)}") from exc
    if not types:
        raise ValidationError("cell_types: at least one neuron is needed, got none")
    bad = [k for k, t in enumerate(types) if t not in ("E", "I")]
    if bad:
        raise ValidationError(
            f"cell_types: every entry must be 'E' or 'I'; cell_types[{bad[0]}] = "
            f"{types[bad[0]]!r}")
    return types


def check_activations(activation: Any, n: int) -> tuple[Activation, ...]:
    """One activation per neuron (a single :class:`Activation` is shared)."""
    if activation is None:
        activation = ReLU()
    if isinstance(activation, Activation):
        return (activation,) * n
    try:
        acts = tuple(activation)
    except TypeError as exc:
        raise ValidationError(
            f"activation: expected an Activation or a sequence of {n}, got "
            f"{describe(activation)}") from exc
    if len(acts) != n or not all(isinstance(a, Activation) for a in acts):
        raise ValidationError(
            f"activation: expected an Activation or a sequence of {n} Activations, got "
            f"{describe(activation)}")
    for a in acts:
        if a.max_slope > 1.0:
            raise ValidationError(
                f"activation: slopes must be ≤ 1 for a certificate; {a!r} has maximal slope "
                f"{a.max_slope:g} (rescale W and u, docs/theory.md §1)")
    return acts


def check_mask(mask: Any, n: int) -> BoolArray:
    """The allowed-synapse pattern ``(n, n)`` (``None``: all allowed)."""
    if mask is None:
        return np.ones((n, n), dtype=bool)
    arr = np.asarray(mask)
    if arr.shape != (n, n):
        raise ValidationError(f"mask: expected a boolean array of shape ({n}, {n}), got "
                              f"{describe(arr)}")
    if arr.dtype != bool:
        if not np.all(np.isin(arr, (0, 1))):
            raise ValidationError(f"mask: entries must be True/False (or 0/1), got "
                                  f"{describe(arr)}")
        arr = arr.astype(bool)
    return arr.copy()


def check_positive(name: str, value: Any, *, allow_none: bool = True,
                   strict: bool = True) -> float | None:
    """A finite number ``> 0`` (``≥ 0`` when not ``strict``), or ``None``."""
    if value is None and allow_none:
        return None
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    v = float(value) if ok else math.nan
    if not (math.isfinite(v) and (v > 0 if strict else v >= 0)):
        rule = "> 0" if strict else "≥ 0"
        raise ValidationError(f"{name}: must be a finite number {rule}, got {describe(value)}")
    return v


def sign_pattern(types: Sequence[str]) -> FloatArray:
    """``+1`` for the columns of E neurons, ``−1`` for I (shape ``(n,)``)."""
    return np.array([1.0 if t == "E" else -1.0 for t in types])


@dataclasses.dataclass(frozen=True)
class Targets:
    """Targets in linear form: ``X``, ``U`` ``(n, K)``; per entry its kind and right-hand side.

    ``eq[i, k]``: equality ``(W x_k)_i = rhs[i, k]``; ``lo[i, k]``: ``(W x_k)_i ≤ rhs[i, k]``;
    ``hi[i, k]``: ``(W x_k)_i ≥ rhs[i, k]`` (before the silence margin, which the caller adds).
    """

    U: FloatArray
    X: FloatArray
    eq: BoolArray
    lo: BoolArray
    hi: BoolArray
    rhs: FloatArray

    @property
    def n(self) -> int:
        return int(self.X.shape[0])

    @property
    def K(self) -> int:
        return int(self.X.shape[1])


def _as_matrix(name: str, value: Any) -> FloatArray:
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name}: expected numbers, got {describe(value)}") from exc
    return arr


def build_targets(U: Any, X: Any, acts: Sequence[Activation], *, name: str = "targets",
                  clip_data: bool = False) -> Targets:
    """Classify every target entry (see the module docstring); validate shapes and ranges.

    ``U`` and ``X`` are ``(K, n)``. With ``clip_data`` (noisy measurements for :func:`fit`)
    rates outside the range are moved onto it instead of refused.
    """
    n = len(acts)
    U = _as_matrix(name, U)
    X = _as_matrix(name, X)
    for arr, what in ((U, "inputs u"), (X, "rates x")):
        if arr.ndim != 2 or arr.shape[1] != n or arr.shape[0] == 0:
            raise ValidationError(f"{name}: {what} must have shape (K, {n}) with K ≥ 1 to match "
                                  f"cell_types, got shape {arr.shape}")
        if not np.all(np.isfinite(arr)):
            k, i = (int(v) for v in np.argwhere(~np.isfinite(arr))[0])
            raise ValidationError(f"{name}: every {what} entry must be finite; target {k}, "
                                  f"neuron {i} is {arr[k, i]}")
    if U.shape != X.shape:
        raise ValidationError(f"{name}: inputs and rates must have the same shape, got "
                              f"{U.shape} and {X.shape}")
    U, X = U.T.copy(), X.T.copy()
    K = X.shape[1]
    eq = np.zeros((n, K), dtype=bool)
    lo = np.zeros_like(eq)
    hi = np.zeros_like(eq)
    rhs = np.zeros((n, K))
    for i, act in enumerate(acts):
        a, b = act.value_range
        x = X[i]
        scale = KINK_TOL * max(1.0, float(np.max(np.abs(x))))
        if clip_data:
            x = np.clip(x, a, b)
            if not act.piecewise_linear:
                width = (b - a) if math.isfinite(b - a) else 1.0
                x = np.clip(x, a + 1e-6 * width if math.isfinite(a) else x,
                            b - 1e-6 * width if math.isfinite(b) else x)
            X[i] = x
        out = (x < a - scale) | (x > b + scale)
        if np.any(out):
            k = int(np.flatnonzero(out)[0])
            raise ValidationError(
                f"{name}: target {k} asks neuron {i} for rate {x[k]:g}, outside the range "
                f"[{a:g}, {b:g}] of its activation {act!r}")
        at_lo = np.isfinite(a) & (x <= a + scale)
        at_hi = np.isfinite(b) & (x >= b - scale)
        if not act.piecewise_linear and np.any(at_lo | at_hi):
            k = int(np.flatnonzero(at_lo | at_hi)[0])
            raise ValidationError(
                f"{name}: target {k} asks neuron {i} for rate {x[k]:g}, an end of the range of "
                f"{act!r}, which no finite drive reaches; use a value strictly inside")
        inner = ~(at_lo | at_hi)
        eq[i] = inner
        lo[i] = at_lo
        hi[i] = at_hi
        if np.any(inner):
            rhs[i, inner] = act.inverse(x[inner]) - U[i, inner]
        if np.any(at_lo):
            X[i, at_lo] = a
            rhs[i, at_lo] = float(act.inverse(np.array(a))) - U[i, at_lo]
        if np.any(at_hi):
            X[i, at_hi] = b
            rhs[i, at_hi] = float(act.inverse(np.array(b))) - U[i, at_hi]
    return Targets(U=U, X=X, eq=eq, lo=lo, hi=hi, rhs=rhs)


def diagnose(t: Targets, sign: FloatArray, mask: BoolArray, delta: float,
             *, mask_given: bool) -> list[str]:
    """Conflicts found without a solver: equal inputs with different rates; a neuron whose
    target needs a drive of a sign that no allowed (Dale-signed) synapse can supply.

    Raises
    ------
    ValidationError
        The ``mask`` removes every synapse that could supply a needed nonzero drive (for
        instance the self-coupling ``mask[i, i]`` of a neuron that only hears itself).
    """
    notes: list[str] = []
    K = t.K
    scale = 1e-9 * max(1.0, float(np.max(np.abs(t.X))), float(np.max(np.abs(t.U))))
    for k in range(K):
        for m in range(k + 1, K):
            if (np.max(np.abs(t.U[:, k] - t.U[:, m])) <= scale
                    and np.max(np.abs(t.X[:, k] - t.X[:, m])) > scale):
                notes.append(f"targets {k} and {m} have the same input but different rates: an "
                             "LDS network has exactly one equilibrium per input "
                             "(docs/theory.md §3)")
    # possible signs of (W x_k)_i: each term W_ij x_kj has sign sign_j · sign(x_kj)
    term = sign[None, :, None] * np.sign(t.X)[None, :, :]  # (1, n, K) -> broadcast over rows
    for i in range(t.n):
        for k in range(K):
            need_lo = t.rhs[i, k] - (delta if t.lo[i, k] else 0.0)
            need_hi = t.rhs[i, k] + (delta if t.hi[i, k] else 0.0)
            allowed = term[0, mask[i], k]
            full = term[0, :, k]
            can_pos = bool(np.any(allowed > 0))
            can_neg = bool(np.any(allowed < 0))
            if t.eq[i, k] and abs(t.rhs[i, k]) > scale and not (can_pos or can_neg):
                if mask_given and np.any(full != 0):
                    where = (f" including its self-coupling mask[{i}, {i}]"
                             if full[i] != 0 and not mask[i, i] else "")
                    raise ValidationError(
                        f"mask: neuron {i} needs a drive (W x)_{i} = {t.rhs[i, k]:.4g} in target "
                        f"{k}, but the mask forbids every synapse from its active presynaptic "
                        f"neurons{where}; allow at least one of them")
                notes.append(f"target {k}: neuron {i} needs drive (W x)_{i} = {t.rhs[i, k]:.4g} "
                             "but every presynaptic rate is zero")
                continue
            if (t.eq[i, k] or t.lo[i, k]) and need_lo < -scale and not can_neg:
                notes.append(f"target {k}: neuron {i} needs net inhibition (W x)_{i} "
                             f"{'=' if t.eq[i, k] else '≤'} {need_lo:.4g}, but no allowed "
                             "inhibitory presynaptic neuron is active (Dale's law and the mask)")
            if (t.eq[i, k] or t.hi[i, k]) and need_hi > scale and not can_pos:
                notes.append(f"target {k}: neuron {i} needs net excitation (W x)_{i} "
                             f"{'=' if t.eq[i, k] else '≥'} {need_hi:.4g}, but no allowed "
                             "excitatory presynaptic neuron is active (Dale's law and the mask)")
    return notes
