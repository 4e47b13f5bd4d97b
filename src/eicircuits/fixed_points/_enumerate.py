"""Every equilibrium of a small piecewise-linear network by support enumeration (docs/theory.md §4).

Each neuron is below its linear piece (``x_i = lo_i``), inside it, or above it (``x_i = hi_i``):
``2ⁿ`` (ReLU) or ``3ⁿ`` (clipped ReLU) candidate state vectors. For each one the active neurons
``S`` solve ``(I − A)_SS x_S = b_S + A_{S,S̄} x_S̄``; the candidate is kept when ``x_S`` lies in
the linear piece and every saturated neuron's drive is on the right side of its threshold.
Candidates are pruned first by interval bounds: a state is dropped for neuron ``i`` when the
drive ``(A x + b)_i`` cannot be compatible with it for any ``x`` in the current bounds, and the
bounds are tightened until nothing changes. The surviving systems are solved in batches.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import NDArray

from ..errors import EICircuitsWarning
from ._problem import HIGH, LIN, LOW, BoxProblem

FloatArray = NDArray[np.float64]

_CHUNK = 1 << 15


def allowed_states(prob: BoxProblem, A: FloatArray) -> list[list[int]]:
    """States each neuron can take at an equilibrium, by interval propagation (sound pruning)."""
    n = prob.n
    lo, hi = prob.lo, prob.hi
    xl, xu = lo.copy(), hi.copy()
    diag = np.diag(A).copy()
    off = A - np.diag(diag)
    pos, neg = np.maximum(off, 0.0), np.minimum(off, 0.0)
    allowed = [[LOW, LIN, HIGH] for _ in range(n)]
    for _ in range(2 * n + 2):
        with np.errstate(invalid="ignore"):
            rmin = _dot_inf(pos, xl) + _dot_inf(neg, xu) + prob.b
            rmax = _dot_inf(pos, xu) + _dot_inf(neg, xl) + prob.b
        new_l, new_u = np.empty(n), np.empty(n)
        changed = False
        for j in range(n):
            vals = np.array([rmin[j], rmax[j], lo[j], hi[j]])
            eps = 1e-9 * (1.0 + float(np.abs(vals[np.isfinite(vals)]).sum()))
            states, lows, highs = [], [], []
            if np.isfinite(lo[j]) and diag[j] * lo[j] + rmin[j] <= lo[j] + eps:
                states.append(LOW)
                lows.append(lo[j])
                highs.append(lo[j])
            if np.isfinite(hi[j]) and diag[j] * hi[j] + rmax[j] >= hi[j] - eps:
                states.append(HIGH)
                lows.append(hi[j])
                highs.append(hi[j])
            a = 1.0 - diag[j]
            if a > 0:
                il, iu = rmin[j] / a, rmax[j] / a
            elif a < 0:
                il, iu = rmax[j] / a, rmin[j] / a
            else:
                il, iu = (-np.inf, np.inf) if rmin[j] <= eps and rmax[j] >= -eps else (1, 0)
            il, iu = max(il, lo[j]), min(iu, hi[j])
            if il <= iu + eps:
                states.append(LIN)
                lows.append(il)
                highs.append(iu)
            states.sort()
            if states != allowed[j]:
                changed = True
                allowed[j] = states
            if not states:
                return allowed
            new_l[j], new_u[j] = min(lows), max(highs)
        tighter = (new_l > xl) | (new_u < xu)
        xl, xu = np.maximum(xl, new_l), np.minimum(xu, new_u)
        if not changed and not np.any(tighter):
            break
    return allowed


def _dot_inf(P: FloatArray, v: FloatArray) -> FloatArray:
    """``P @ v`` where ``0 · ±inf`` counts as 0."""
    fin = np.isfinite(v)
    out = P[:, fin] @ v[fin]
    if np.any(~fin):
        inf_part = P[:, ~fin] * v[~fin]
        inf_part[P[:, ~fin] == 0] = 0.0
        out = out + inf_part.sum(axis=1)
    return out


def enumerate_states(prob: BoxProblem, *, tol: float) -> tuple[list[FloatArray], int]:
    """All equilibria ``x`` (deduplicated, unsorted) and the number of state vectors examined."""
    A = prob.dense_A()
    n = prob.n
    allowed = allowed_states(prob, A)
    if any(not s for s in allowed):
        return [], 0
    radix = np.array([len(s) for s in allowed])
    table = np.full((n, 3), -1, dtype=np.int8)
    for j, s in enumerate(allowed):
        table[j, : len(s)] = s
    total = int(np.prod(radix, dtype=object))
    found: list[FloatArray] = []
    n_singular = 0
    for start in range(0, total, _CHUNK):
        idx = np.arange(start, min(total, start + _CHUNK), dtype=np.int64)
        digits = np.empty((idx.size, n), dtype=np.int64)
        rem = idx.copy()
        for j in range(n - 1, -1, -1):
            rem, digits[:, j] = np.divmod(rem, radix[j])
        states = table[np.arange(n), digits]
        xs, bad = _solve_batch(prob, A, states, tol)
        n_singular += bad
        found.extend(xs)
    if n_singular:
        warnings.warn(
            f"equilibria: {n_singular} candidate active set(s) have a singular (I − W)_SS; "
            "equilibria there (a continuum, if any) are not listed",
            EICircuitsWarning,
            stacklevel=3,
        )
    return _dedupe(found, tol), total


def _solve_batch(
    prob: BoxProblem, A: FloatArray, states: NDArray[np.int8], tol: float
) -> tuple[list[FloatArray], int]:
    out: list[FloatArray] = []
    n_bad = 0
    lin = states == LIN
    base = np.where(states == LOW, prob.lo, np.where(states == HIGH, prob.hi, 0.0))
    base = np.where(lin, 0.0, base)
    k_all = lin.sum(axis=1)
    for k in np.unique(k_all):
        rows = np.flatnonzero(k_all == k)
        st, xb = states[rows], base[rows]
        x = xb.copy()
        if k > 0:
            S = np.argsort(~lin[rows], axis=1, kind="stable")[:, :k]
            Mb = -A[S[:, :, None], S[:, None, :]]
            Mb[:, np.arange(k), np.arange(k)] += 1.0
            z_fixed = xb @ A.T + prob.b
            rhs = np.take_along_axis(z_fixed, S, axis=1)
            ok = np.ones(rows.size, dtype=bool)
            try:
                y = np.linalg.solve(Mb, rhs[..., None])[..., 0]
            except np.linalg.LinAlgError:
                y = np.zeros_like(rhs)
                for m in range(rows.size):
                    try:
                        y[m] = np.linalg.solve(Mb[m], rhs[m])
                    except np.linalg.LinAlgError:
                        ok[m] = False
            # A solution 1e12 times larger than the data means a (numerically) singular block.
            with np.errstate(over="ignore", invalid="ignore"):
                big = 1e12 * (1.0 + np.abs(rhs).max(axis=1) + np.abs(Mb).max(axis=(1, 2)))
                ok &= np.isfinite(y).all(axis=1) & (np.abs(y).max(axis=1) < big)
            n_bad += int(np.sum(~ok))
            np.put_along_axis(x, S, y, axis=1)
            st, x = st[ok], x[ok]
        if x.shape[0] == 0:
            continue
        z = x @ A.T + prob.b
        scale = tol * (1.0 + np.abs(x).max(axis=1, initial=0.0))[:, None]
        low, high, linm = st == LOW, st == HIGH, st == LIN
        good = np.all(~low | (z <= prob.lo + scale), axis=1)
        good &= np.all(~high | (z >= prob.hi - scale), axis=1)
        good &= np.all(~linm | ((x >= prob.lo - scale) & (x <= prob.hi + scale)), axis=1)
        for xi in x[good]:
            xi = np.clip(xi, prob.lo, prob.hi)
            out.append(xi)
    return out, n_bad


def _dedupe(xs: list[FloatArray], tol: float) -> list[FloatArray]:
    kept: list[FloatArray] = []
    for x in xs:
        if not any(np.max(np.abs(x - y)) <= tol * (1.0 + np.max(np.abs(y))) for y in kept):
            kept.append(x)
    return kept
