"""Compiled (numba) inner loop of the fixed-step path; optional.

One kernel advances the state by ``k`` steps of any scheme of :mod:`._schemes` (it runs the
gains of :meth:`~._schemes.Scheme.gain_arrays`, noise increments included), for the rate or the
voltage form, with a dense or CSR weight matrix and the
built-in activations (coded as integers, see :data:`ACTIVATION_CODES`). Each step writes the new
state into a buffer and checks it against the divergence bound before accepting it, so a run
that blows up stops with the last finite state. Rows are saved inside the loop (at the step
indices in ``save_steps``), so no Python runs between steps. States smaller than ``1e-250`` in
magnitude are set to 0 (a silent neuron decays geometrically and would otherwise reach subnormal
numbers, whose arithmetic is about 100× slower); the NumPy backend does not do this.

numba is optional: :func:`available` says whether it can be imported. Compiled code is cached on
disk (``cache=True``), so only the first run on a machine pays the compilation (a few seconds).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..activations import (
    Activation,
    ClippedReLU,
    Linear,
    Logistic,
    PowerLaw,
    ReLU,
    Scaled,
    Softplus,
    Tanh,
)

__all__ = ["ACTIVATION_CODES", "activation_codes", "available", "get_kernel"]

#: Activation class -> integer code understood by the kernel.
ACTIVATION_CODES: dict[type, int] = {
    ReLU: 0,
    ClippedReLU: 1,
    Linear: 2,
    Tanh: 3,
    Logistic: 4,
    Softplus: 5,
    PowerLaw: 6,
}


@functools.cache
def available() -> bool:
    """Whether numba can be imported."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def _code(a: Activation) -> tuple[int, tuple[float, float, float, float]] | None:
    """``(code, (p0, p1, s, θ))``: the kernel computes ``φ_code((z − θ)/s; p0, p1)``."""
    s, th = 1.0, 0.0
    while isinstance(a, Scaled):  # gain and threshold: ψ(z) = φ((z − θ)/s)
        th, s = th + s * float(a.threshold), s * float(a.s)
        a = a.base
    code = ACTIVATION_CODES.get(type(a))
    if code is None:
        return None
    p0 = float(a.r_max) if isinstance(a, ClippedReLU) else (  # type: ignore[attr-defined]
        float(a.k) if isinstance(a, PowerLaw) else 0.0)
    p1 = float(a.n) if isinstance(a, PowerLaw) else 0.0
    return code, (p0, p1, s, th)


def activation_codes(acts: tuple[Activation, ...]) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-neuron ``(code, parameters)`` arrays, or ``None`` if some activation is not built in.

    ``parameters`` has shape (n, 4): ``(p0, p1, s, θ)`` with ``p0`` the clip ``r_max`` or the
    power law's ``k``, ``p1`` its exponent, and ``s``, ``θ`` the input scale and threshold of a
    :class:`~eicircuits.activations.Scaled` (gain and threshold; 1 and 0 otherwise).
    """
    # one entry per distinct object (by identity: a network of 10⁵ neurons usually shares one
    # activation, and hashing each per neuron cost 0.24 s per simulate call)
    first = dict.fromkeys(map(id, acts))
    if len(first) == 1:
        entry = _code(acts[0]) if acts else None
        if entry is None:
            return None
        return (np.full(len(acts), entry[0], dtype=np.int64),
                np.tile(np.asarray(entry[1], dtype=float), (len(acts), 1)))
    cache: dict[Activation, tuple[int, tuple[float, float, float, float]] | None] = {}
    codes = np.empty(len(acts), dtype=np.int64)
    params = np.zeros((len(acts), 4), dtype=float)
    for i, a in enumerate(acts):
        if a not in cache:
            cache[a] = _code(a)
        entry = cache[a]
        if entry is None:
            return None
        codes[i], params[i] = entry[0], entry[1]
    return codes, params


@functools.cache
def get_kernel() -> Any:
    """Compile (or load from the on-disk cache) and return the kernel ``advance``."""
    from ._numba_kernels import advance

    return advance
