"""The optional JAX backend of :func:`~eicircuits.simulate` and
:func:`~eicircuits.simulate_batch`.

Two compiled programs, both stepping the scheme definitions of :mod:`._schemes`:

- a batch (:func:`run_jax`) advances inside one program: :func:`jax.lax.scan` over the saved
  rows, :func:`jax.lax.fori_loop` over the steps between two saved rows, one batched mat-vec
  ``(W @ Xᵀ)ᵀ`` (``W`` dense, or sparse as a :class:`jax.experimental.sparse.BCOO`, never
  densified) per stage. Every step checks each member against the divergence bound; a member
  that leaves it (or becomes non-finite) is frozen at its last valid state and its step,
  neuron and value are recorded, while the others go on. Float64.
- a single run (:func:`run_jax_single`) is one ``lax.scan`` whose outputs are ``x0`` and the
  saved rows, with no per-step bookkeeping (the caller checks the rows afterwards), in float64
  or float32.

Precision: float64 runs happen inside JAX's ``enable_x64`` context manager, so JAX's global
configuration (``jax_enable_x64``) is left as it was; this module imports jax only when the
backend is used, so ``import eicircuits`` never imports jax.

Activations: each built-in activation has a ``jax.numpy`` version in :data:`JAX_ACTIVATIONS`,
keyed by its type (a :class:`~eicircuits.activations.Scaled` wraps its base's). A user-defined
activation has none: :func:`check_supported` raises a :class:`~eicircuits.ValidationError`
that names it and points to ``backend="numpy"``.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

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
from ..errors import ValidationError
from ..network import Network
from ._schemes import SCHEMES
from ._schemes import step as scheme_step

__all__ = ["JAX_ACTIVATIONS", "available", "check_supported", "jax_activation", "run_jax",
           "run_jax_single"]

FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------- activations
def _relu(act: Activation, jnp: Any) -> Callable[[Any], Any]:
    return lambda z: jnp.maximum(z, 0.0)


def _clipped(act: Activation, jnp: Any) -> Callable[[Any], Any]:
    r_max = float(act.r_max)  # type: ignore[attr-defined]
    return lambda z: jnp.clip(z, 0.0, r_max)


def _linear(act: Activation, jnp: Any) -> Callable[[Any], Any]:
    return lambda z: z


def _tanh(act: Activation, jnp: Any) -> Callable[[Any], Any]:
    return jnp.tanh


def _logistic(act: Activation, jnp: Any) -> Callable[[Any], Any]:
    import jax

    return lambda z: jax.nn.sigmoid(4.0 * z)


def _softplus(act: Activation, jnp: Any) -> Callable[[Any], Any]:
    return lambda z: jnp.logaddexp(0.0, z)


def _power_law(act: Activation, jnp: Any) -> Callable[[Any], Any]:
    k, n = float(act.k), float(act.n)  # type: ignore[attr-defined]
    return lambda z: k * jnp.maximum(z, 0.0) ** n


def _scaled(act: Activation, jnp: Any) -> Callable[[Any], Any]:
    base = jax_activation(act.base, jnp)  # type: ignore[attr-defined]
    s = float(act.s)  # type: ignore[attr-defined]
    th = float(act.threshold)  # type: ignore[attr-defined]  # φ((z − θ)/s): gain and threshold
    return lambda z: base((z - th) / s)


#: Activation type -> factory ``f(activation, jax.numpy) -> (z -> φ(z))``.
JAX_ACTIVATIONS: dict[type, Callable[[Activation, Any], Callable[[Any], Any]]] = {
    ReLU: _relu,
    ClippedReLU: _clipped,
    Linear: _linear,
    Tanh: _tanh,
    Logistic: _logistic,
    Softplus: _softplus,
    PowerLaw: _power_law,
    Scaled: _scaled,
}


def _unsupported(act: Activation) -> Activation | None:
    """The activation (``act`` or a base inside it) with no JAX version, or ``None``."""
    if type(act) not in JAX_ACTIVATIONS:
        return act
    if isinstance(act, Scaled):
        return _unsupported(act.base)
    return None


def jax_activation(act: Activation, jnp: Any) -> Callable[[Any], Any]:
    """The ``jax.numpy`` version of a built-in activation.

    Raises
    ------
    ValidationError
        ``act`` (or the base of a ``Scaled``) is not a built-in activation.
    """
    bad = _unsupported(act)
    if bad is not None:
        raise ValidationError(_unsupported_message(bad))
    return JAX_ACTIVATIONS[type(act)](act, jnp)


def _unsupported_message(act: Activation) -> str:
    builtins = ", ".join(t.__name__ for t in JAX_ACTIVATIONS)
    return (
        f"backend: 'jax' has no jax.numpy version of the activation {act!r} (type "
        f"{type(act).__name__}); built-in ones are {builtins}. Use backend='numpy', which "
        "calls any Activation"
    )


def check_supported(net: Network) -> None:
    """Raise a :class:`~eicircuits.ValidationError` if some activation has no JAX version."""
    for act in set(net.activations):
        bad = _unsupported(act)
        if bad is not None:
            raise ValidationError(_unsupported_message(bad))


def require(net: Network) -> None:
    """Raise a :class:`~eicircuits.ValidationError` unless jax is installed and every
    activation of ``net`` has a JAX version (``backend="jax"`` asked for by name)."""
    if not available():
        raise ValidationError(
            "backend: 'jax' needs jax, which is not installed (pip install 'jax[cpu]', or "
            "eicircuits[jax]); use backend='numpy' or 'numba'"
        )
    check_supported(net)


def supported(net: Network) -> bool:
    """Whether every activation of ``net`` has a JAX version."""
    return all(_unsupported(a) is None for a in set(net.activations))


@functools.cache
def available() -> bool:
    """Whether jax is installed (checked without importing it)."""
    return importlib.util.find_spec("jax") is not None


def piecewise_table(stims: list[Any], B: int, n: int, t0: float) -> tuple[Any, ...]:
    """``(t0, ST, SV)``: per member the switching times (B, P; padded with +inf) and the value
    of each piece (B, P + 1, n; piece ``p`` follows the ``p``-th switch) of piecewise-constant
    stimuli (one shared, or one per member)."""
    members = stims if len(stims) > 1 else stims * B
    P = max(1, max(len(s.switching_times) for s in members))
    ST = np.full((B, P), np.inf)
    SV = np.zeros((B, P + 1, n))
    for k, s in enumerate(members):
        st = np.asarray(s.switching_times, dtype=float)
        edges = np.concatenate([[st[0] - 1.0] if st.size else [t0], st])
        nxt = np.concatenate([st, [edges[-1] + 2.0]])
        mids = 0.5 * (edges + nxt)
        vals = s.sample(mids, n)
        ST[k, :st.size] = st
        SV[k, :st.size + 1] = vals
        SV[k, st.size + 1:] = vals[-1]
    return (np.float64(t0), ST, SV)


# --------------------------------------------------------------------------- precision
@contextlib.contextmanager
def x64() -> Iterator[None]:
    """Enable float64 in JAX for the duration of the block (global config untouched)."""
    import jax

    ctx = getattr(jax, "enable_x64", None)
    if ctx is None:  # pragma: no cover - jax < 0.4.36 keeps it in jax.experimental
        from jax.experimental import enable_x64 as ctx
    with ctx(True):
        yield


# --------------------------------------------------------------------------- compiled run
def _phi(acts: tuple[Activation, ...], group: Any, jnp: Any) -> Callable[[Any], Any]:
    """``Φ`` on arrays with neurons on the last axis (``group``: each neuron's activation)."""
    fns = [jax_activation(a, jnp) for a in acts]

    def phi(z: Any) -> Any:
        out = fns[0](z)
        for g in range(1, len(fns)):
            out = jnp.where(group == g, fns[g](z), out)
        return out

    return phi


def _table_value(table: Any, tt: Any, left: bool, jnp: Any) -> Any:
    """Each member's piece (B, n) of its piecewise-constant stimulus at time ``tt`` (``left``:
    the value before a switch at ``tt``)."""
    _, ST, SV = table  # switching times (B, P), +inf padded; piece values (B, P+1, n)
    tol = 1e-9 * jnp.maximum(1.0, jnp.abs(tt))
    cnt = jnp.sum(ST < tt - tol, axis=1) if left else jnp.sum(ST <= tt + tol, axis=1)
    return jnp.take_along_axis(SV, cnt[:, None, None], axis=1)[:, 0, :]


def _network_inputs(net: Network, dtype: np.dtype) -> tuple[tuple[Activation, ...], Any, Any]:
    """``(acts, group, W)`` for the compiled programs: the distinct activations, each neuron's
    index into them (on the device) and ``W`` on the device in ``dtype`` (sparse as a BCOO).

    Arrays go through ``jax.device_put``, not ``jnp.asarray``: each ``jnp.asarray`` is a small
    compiled program of its own (six cost 0.1–0.2 s of a cold run), and a NumPy array handed to
    a jitted function is copied about 3× slower (0.5 s for a 4000 × 4000 ``W``).
    """
    import jax

    groups = net._groups()  # one group, by slice, when every neuron shares the activation
    acts = tuple(a for a, _ in groups)
    group = np.zeros(net.n, dtype=np.int64)
    for g, (_, ix) in enumerate(groups):
        group[ix] = g
    if net.is_sparse:
        from jax.experimental import sparse as jsparse

        W = jsparse.BCOO.from_scipy_sparse(net.W.astype(dtype))  # indices sorted by Network
    else:
        W = jax.device_put(np.asarray(net.W, dtype=dtype))
    return acts, jax.device_put(group), W


@functools.cache
def _compiled_single() -> Any:
    """Build (once) the jitted program of one run (:func:`run_jax_single`); imports jax."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    def run(x0: Any, W: Any, inv_tau: Any, u: Any, group: Any, h: Any, h_last: Any, N: Any,
            table: Any, *, every: int, R: int, method: str, form: str,
            acts: tuple[Activation, ...], stim: bool, uniform: bool) -> Any:
        phi = _phi(acts, group, jnp)
        sch = SCHEMES[method]
        cn = sch.c
        dtype = x0.dtype

        def target(y: Any, tt: Any, left: bool) -> Any:
            uu = _table_value(table, tt, left, jnp)[0].astype(dtype) if stim else u
            return phi(W @ y + uu) if form == "rate" else W @ phi(y) + uu

        full = sch.gains(h, inv_tau, jnp, dtype)  # in float64, then in the state's precision

        def one(s: Any, x: Any) -> Any:
            co, hh = full, h
            if not uniform:  # the last step lands on t1: shortened, with its own gains
                hh = jnp.where(s == N - 1, h_last, h)
                co = sch.gains(hh, inv_tau, jnp, dtype)
            t = (table[0] + s * h) if stim else 0.0
            return scheme_step(sch, x, co, lambda Y, i: target(
                Y, t + float(cn[i]) * hh, bool(cn[i] > 0.5)))

        # the scan emits the state *before* each iteration, R + 1 of them: x0 and every saved
        # row land in one output buffer (a concatenation afterwards copied the whole run,
        # 0.09 s of 0.5 s at 10⁵ rows of 160); the last iteration's work is discarded
        if every == 1:  # every step saved: the rows are every state, checked by the caller
            def body(c: Any, _: Any) -> Any:
                s, x = c
                return (s + 1, one(s, x)), x

            return lax.scan(body, (jnp.zeros((), N.dtype), x0), None, length=R + 1)[1], None

        def tracked(s: Any, c: Any) -> Any:  # a step and the running elementwise max |x|
            x, m = c
            x = one(s, x)
            return x, jnp.maximum(m, jnp.abs(x))  # fused with the step; NaN propagates

        def interval(c: Any, _: Any) -> Any:
            # also emits the largest |x| of the steps up to the next row, so that a state
            # leaving the bound between two saved rows is not missed
            s, x = c
            e = jnp.minimum(s + every, N)
            xe, m = lax.fori_loop(s, e, tracked, (x, jnp.zeros_like(x)))
            return (e, xe), (x, jnp.max(m))

        return lax.scan(interval, (jnp.zeros((), N.dtype), x0), None, length=R + 1)[1]

    return jax.jit(run, static_argnames=("every", "R", "method", "form", "acts", "stim",
                                         "uniform"))


def run_jax_single(
    net: Network, form: str, method: str, x0: FloatArray, u: FloatArray, *, dt: float,
    dt_last: float, N: int, every: int, table: Any = None, dtype: Any = np.float64,
) -> tuple[NDArray[Any], NDArray[Any] | None]:
    """One run on JAX: ``N`` steps from ``x0``; ``x0`` and the states after steps
    ``every, 2·every, …`` below ``N`` and after step ``N``, shape (R + 1, n); and, when
    ``every > 1``, for each row ``k`` the largest ``|x_i|`` over the steps from row ``k`` to
    row ``k + 1`` (shape (R + 1,); NaN if a state was not finite), else ``None``.

    The lean program of a single run: one ``lax.scan`` whose outputs are the saved rows, no
    batch axis, no per-step reduction (a per-step bound check measured 1.6 µs of a 4–5 µs
    step at n = 160 in XLA's CPU code; the running max between rows is elementwise, fused
    with the step), in the state's precision ``dtype`` (float64 or float32; gains computed in
    float64 and rounded once). Nothing is checked here: a diverging run produces inf/NaN,
    which the caller finds (:func:`._fixed_step.run_fixed_jax`).
    """
    check_supported(net)
    import jax

    fn = _compiled_single()
    R = -(-N // every)
    dt_ = np.dtype(dtype)
    with x64():
        acts, group, W = _network_inputs(net, dt_)
        put = jax.device_put
        rows = fn(
            put(np.asarray(x0, dtype=dt_)), W, put(1.0 / net.tau),
            put(np.asarray(u, dtype=dt_)), group, np.float64(dt), np.float64(dt_last),
            np.int64(N), None if table is None else tuple(put(np.asarray(a)) for a in table),
            every=every, R=R, method=method, form=form, acts=acts, stim=table is not None,
            uniform=dt_last == dt,
        )
        rows, peaks = jax.device_get(rows)
        return np.asarray(rows), None if peaks is None else np.asarray(peaks)


@functools.cache
def _compiled() -> Any:
    """Build (once) the jitted whole-run function; imports jax."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    def run(carry: Any, W: Any, inv_tau: Any, U: Any, group: Any, h: Any, h_last: Any,
            bound: Any, N: Any, every: Any, table: Any, *, R: int, method: str, form: str,
            acts: tuple[Activation, ...], sparse: bool, stim: bool) -> Any:
        phi = _phi(acts, group, jnp)

        def matmul(Y: Any) -> Any:
            # W on the left for dense W too: XLA's CPU product with W contracted over its
            # second axis as the right operand (Y @ W.T) measured 66 ms per step against
            # 12.5 ms for this form (one member, n = 4000; the same at 16 members)
            return (W @ Y.T).T

        def u_at(tt: Any, left: bool) -> Any:
            """The input at ``tt``: ``U``, or each member's piece of its stimulus table."""
            return _table_value(table, tt, left, jnp) if stim else U

        def target(Y: Any, tt: Any = 0.0, left: bool = False) -> Any:
            uu = u_at(tt, left)
            if form == "rate":
                return phi(matmul(Y) + uu)
            return matmul(phi(Y)) + uu

        sch = SCHEMES[method]
        cn = sch.c

        def step(X: Any, hh: Any, t: Any) -> Any:
            # stages past the middle of a step see the value before a switch at its end
            return scheme_step(
                sch, X, sch.gains(hh, inv_tau, jnp),
                lambda Y, i: target(Y, t + float(cn[i]) * hh, bool(cn[i] > 0.5)),
            )

        def one(s: Any, c: Any) -> Any:
            X, alive, stop, bad_i, bad_v = c
            last = s == N - 1  # the last step lands on t1 (shortened when dt does not divide)
            t = table[0] + s * h if stim else 0.0
            Xn = step(X, jnp.where(last, h_last, h), t)
            fine = jnp.abs(Xn) <= bound  # False for NaN too
            ok = jnp.all(fine, axis=1)
            newly = alive & ~ok
            i = jnp.argmin(fine, axis=1)  # first neuron out of bounds
            v = jnp.take_along_axis(Xn, i[:, None], axis=1)[:, 0]
            alive_next = alive & ok
            X = jnp.where(alive_next[:, None], Xn, X)
            return (X, alive_next, jnp.where(newly, s, stop), jnp.where(newly, i, bad_i),
                    jnp.where(newly, v, bad_v))

        def interval(j: Any, state: Any) -> Any:
            c, rows = state
            lo = j * every
            c = lax.fori_loop(lo, jnp.minimum(lo + every, N), one, c)
            return c, rows.at[j].set(c[0])

        rows = jnp.zeros((R, *carry[0].shape), dtype=carry[0].dtype)
        return lax.fori_loop(0, R, interval, (carry, rows))

    return jax.jit(run, static_argnames=("R", "method", "form", "acts", "sparse", "stim"))


def run_jax(
    net: Network, form: str, method: str, X0: FloatArray, U: FloatArray, *, dt: float,
    dt_last: float, N: int, every: int, bound: float, table: Any = None,
) -> tuple[FloatArray, FloatArray, NDArray[np.int64], NDArray[np.int64], FloatArray]:
    """Advance the batch ``X0`` (B, n) by ``N`` steps, saving after every ``every`` steps.

    ``table``: ``(t0, ST, SV)`` for piecewise-constant stimuli (see
    :func:`piecewise_table`), which then replace ``U``.

    The first ``N − 1`` steps use ``dt`` and the last ``dt_last`` (as in
    :func:`~eicircuits.simulate`). One compiled program runs the whole span; it is compiled
    again only for a new batch shape, number of saved rows, method, form or activation set.
    Returns ``(rows, X, stop, bad_i, bad_v)``: the states after steps ``every, 2·every, …``
    below ``N`` and after step ``N``, shape (B, R, n); the final states (B, n); per member the
    step at which it diverged (``N`` if it did not), the first neuron out of bounds and its
    value.

    Raises
    ------
    ValidationError
        An activation has no JAX version.
    """
    check_supported(net)
    import jax

    fn = _compiled()
    B = X0.shape[0]
    R = -(-N // every)
    with x64():
        acts, group, W = _network_inputs(net, np.dtype(np.float64))
        put = jax.device_put  # not jnp.asarray (see _network_inputs)
        carry = (put(np.asarray(X0, dtype=float)), put(np.ones(B, dtype=bool)),
                 put(np.full(B, N, dtype=np.int64)), put(np.full(B, -1, dtype=np.int64)),
                 put(np.zeros(B)))
        carry, rows = fn(
            carry, W, put(1.0 / net.tau), put(np.asarray(U, dtype=float)), group,
            np.float64(dt), np.float64(dt_last), np.float64(bound), np.int64(N),
            np.int64(every), None if table is None else tuple(put(np.asarray(a)) for a in table),
            R=R, method=method, form=form, acts=acts, sparse=net.is_sparse,
            stim=table is not None,
        )
        X, _, stop, bad_i, bad_v = jax.device_get(carry)
        rows = np.moveaxis(np.asarray(jax.device_get(rows)), 0, 1)
    return (rows, np.asarray(X, dtype=float), np.asarray(stop, dtype=np.int64),
            np.asarray(bad_i, dtype=np.int64), np.asarray(bad_v, dtype=float))
