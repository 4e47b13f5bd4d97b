"""Compiled (numba) inner loop of the fixed-step path; optional.

One kernel advances the state by ``k`` steps of explicit Euler, exponential Euler or any explicit
Runge–Kutta tableau, for the rate or the voltage form, with a dense or CSR weight matrix and the
built-in activations (coded as integers, see :data:`ACTIVATION_CODES`). Each step writes the new
state into a buffer and checks it against the divergence bound before accepting it, so a run
that blows up stops with the last finite state. Rows are saved inside the loop (at the step
indices in ``save_steps``), so no Python runs between steps.

numba is optional: :func:`available` says whether it can be imported. Compiled code is cached on
disk (``cache=True``), so only the first run on a machine pays the compilation (a few seconds).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..activations import Activation, ClippedReLU, Linear, Logistic, ReLU, Softplus, Tanh

__all__ = ["ACTIVATION_CODES", "activation_codes", "available", "get_kernel"]

#: Activation class -> integer code understood by the kernel.
ACTIVATION_CODES: dict[type, int] = {
    ReLU: 0,
    ClippedReLU: 1,
    Linear: 2,
    Tanh: 3,
    Logistic: 4,
    Softplus: 5,
}

#: Scheme codes of the kernel.
SCHEME_EULER, SCHEME_EXP_EULER, SCHEME_RK = 0, 1, 2


@functools.cache
def available() -> bool:
    """Whether numba can be imported."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def activation_codes(acts: tuple[Activation, ...]) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-neuron ``(code, parameter)`` arrays, or ``None`` if some activation is not built in."""
    codes = np.empty(len(acts), dtype=np.int64)
    params = np.zeros(len(acts), dtype=float)
    cache: dict[Activation, tuple[int, float]] = {}
    for i, a in enumerate(acts):
        if a not in cache:
            code = ACTIVATION_CODES.get(type(a))
            if code is None:
                return None
            cache[a] = (code, float(a.r_max) if isinstance(a, ClippedReLU) else 0.0)
        codes[i], params[i] = cache[a]
    return codes, params


@functools.cache
def get_kernel() -> Any:
    """Compile (or load from the cache) and return the kernel ``advance``."""
    import numba

    jit = numba.njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})

    @jit
    def phi_inplace(z, codes, params):  # type: ignore[no-untyped-def]
        for i in range(z.shape[0]):
            c = codes[i]
            v = z[i]
            if c == 0:
                z[i] = v if v > 0.0 else 0.0
            elif c == 1:
                r = params[i]
                z[i] = 0.0 if v < 0.0 else (r if v > r else v)
            elif c == 3:
                z[i] = np.tanh(v)
            elif c == 4:
                z[i] = 1.0 / (1.0 + np.exp(-4.0 * v))
            elif c == 5:
                z[i] = (v if v > 0.0 else 0.0) + np.log1p(np.exp(-abs(v)))

    @jit
    def matvec_add(x, out, u, dense, Wd, indptr, indices, data):  # type: ignore[no-untyped-def]
        n = x.shape[0]
        if dense:
            for i in range(n):
                s = 0.0
                for j in range(n):
                    s += Wd[i, j] * x[j]
                out[i] = s + u[i]
        else:
            for i in range(n):
                s = 0.0
                for p in range(indptr[i], indptr[i + 1]):
                    s += data[p] * x[indices[p]]
                out[i] = s + u[i]

    @jit
    def target(x, out, P, form, u, dense, Wd, indptr, indices, data, codes, params):  # type: ignore[no-untyped-def]
        if form == 0:
            matvec_add(x, out, u, dense, Wd, indptr, indices, data)
            phi_inplace(out, codes, params)
        else:
            P[:] = x
            phi_inplace(P, codes, params)
            matvec_add(P, out, u, dense, Wd, indptr, indices, data)

    @jit
    def advance(x, s0, k, scheme, coef, dt, A, b, T, P, Y, K, form, u, dense, Wd, indptr,  # type: ignore[no-untyped-def]
                indices, data, codes, params, bound, save_steps, out, r):
        n = x.shape[0]
        nsave = save_steps.shape[0]
        stages = b.shape[0]
        for j in range(k):
            bad = -1
            if scheme == 0:
                # explicit Euler: coef = dt/τ
                target(x, T, P, form, u, dense, Wd, indptr, indices, data, codes, params)
                for i in range(n):
                    v = x[i] + coef[i] * (T[i] - x[i])
                    T[i] = v
                    if bad < 0 and not (abs(v) <= bound):
                        bad = i
            elif scheme == 1:
                # exponential Euler: coef = exp(−dt/τ)
                target(x, T, P, form, u, dense, Wd, indptr, indices, data, codes, params)
                for i in range(n):
                    v = T[i] + (x[i] - T[i]) * coef[i]
                    T[i] = v
                    if bad < 0 and not (abs(v) <= bound):
                        bad = i
            else:
                # explicit Runge–Kutta: coef = 1/τ
                for st in range(stages):
                    Y[:] = x
                    for q in range(st):
                        a = A[st, q]
                        if a != 0.0:
                            for i in range(n):
                                Y[i] += dt * a * K[q, i]
                    target(Y, T, P, form, u, dense, Wd, indptr, indices, data, codes, params)
                    for i in range(n):
                        K[st, i] = (T[i] - Y[i]) * coef[i]
                for i in range(n):
                    acc = 0.0
                    for st in range(stages):
                        acc += b[st] * K[st, i]
                    v = x[i] + dt * acc
                    T[i] = v
                    if bad < 0 and not (abs(v) <= bound):
                        bad = i
            if bad >= 0:
                return j, r, bad
            x[:] = T
            s = s0 + j + 1
            while r < nsave and save_steps[r] == s:
                out[r, :] = x
                r += 1
        return k, r, -1

    return advance
