"""Cortical columns: stacked lateral-inhibition motifs that compound contrast (docs/theory.md §5).

Layer ``ℓ``'s E neurons drive layer ``ℓ + 1``'s one-to-one with weight ``f > 0`` (optionally
layer ``ℓ + 1`` feeds back onto layer ``ℓ`` with weight ``feedback ≥ 0``). With feedforward
only, ``W`` is block lower triangular and LDS whenever every layer is (cascade Fact). Because the
shared motif is positively homogeneous (``u_I = 0``), the contrast that reaches layer ``ℓ + 1``
is the contrast layer ``ℓ`` produced: for two channels with both active it is multiplied by
``1 + 2r`` per layer, so a single winner appears at depth :func:`winner_depth`.

Examples
--------
>>> from eicircuits.circuits import cortical_column, motif_r, winner_depth
>>> net = cortical_column(2, 2, f=1.0, a=0.5, b=2, c=2, d=0.5, u=[1.0, 1.01])
>>> net.names
('L0.E0', 'L0.E1', 'L0.I0', 'L1.E0', 'L1.E1', 'L1.I0')
>>> int(winner_depth(0.01 / 2.01, motif_r(2, a=0.5, b=2, c=2, d=0.5)))
3
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validate import check_vector
from ..activations import Activation, ReLU
from ..errors import ValidationError
from ..network import Network
from .builders import check_int, check_real
from .motif import motif_blocks, shared_inhibition_equilibrium

__all__ = ["cortical_column", "winner_depth", "layered_winner_depth", "layer_groups",
           "DEFAULT_COLUMN"]

#: The built-in default circuit of ``eicircuits analyze``: four layers of the shared motif,
#: five channels whose inputs differ by 1 %; every layer is LDS (``a < 1``) and each layer
#: raises the contrast until one winner remains.
DEFAULT_COLUMN: dict[str, Any] = dict(
    layers=4, m=5, f=1.0, a=0.5, b=2.0, c=2.0, d=0.5, wiring="shared",
    u=[1.00, 1.01, 1.02, 1.03, 1.04],
)

_NAME = re.compile(r"^L(\d+)\.([EI])(\d+)$")


def cortical_column(layers: int, m: int, *, f: float, feedback: float = 0.0,
                    u: ArrayLike | None = None, a: float = 0.5, b: float = 2.0, c: float = 2.0,
                    d: float = 0.5, wiring: str = "shared", radius: int | None = None,
                    u_i: ArrayLike = 0.0, tau_e: float = 1.0, tau_i: float = 1.0,
                    activation: Activation | None = None) -> Network:
    """A column of ``layers`` lateral-inhibition motifs with ``m`` channels each.

    Parameters
    ----------
    layers : int
        Number of layers (``≥ 1``), counted from 0.
    m : int
        Channels (E neurons) per layer.
    f : float
        Feedforward weight ``> 0`` from ``L{ℓ}.E{i}`` to ``L{ℓ+1}.E{i}``.
    feedback : float
        Feedback weight ``≥ 0`` from ``L{ℓ+1}.E{i}`` to ``L{ℓ}.E{i}`` (0: none).
    u : float or array_like, shape (m,), optional
        Inputs of the first layer's E neurons (default 0).
    a, b, c, d, wiring, radius, u_i, tau_e, tau_i, activation
        The motif parameters of :func:`~eicircuits.circuits.lateral_inhibition`, the same for
        every layer (``u_i`` drives every layer's I neurons).

    Returns
    -------
    Network
        Neurons ordered layer by layer, each layer as the motif orders it, named
        ``L{ℓ}.E{i}`` and ``L{ℓ}.I{k}``.

    Raises
    ------
    ValidationError
        ``f ≤ 0``, ``feedback < 0``, ``layers < 1`` or an invalid motif parameter.

    Examples
    --------
    >>> net = cortical_column(3, 2, f=0.5, a=0.0, b=1.0, c=1.0, d=0.0)
    >>> float(net.W[3, 0]), float(net.W[6, 3]), net.n
    (0.5, 0.5, 9)
    """
    layers = check_int("layers", layers, lo=1)
    f = check_real("f", f, lo=0.0, lo_open=True)
    feedback = check_real("feedback", feedback, lo=0.0)
    block, types = motif_blocks(m, a=a, b=b, c=c, d=d, wiring=wiring, radius=radius)
    m = int(m)
    k = block.shape[0]
    n_i = k - m
    n = layers * k
    W = np.zeros((n, n))
    for ell in range(layers):
        s = ell * k
        W[s:s + k, s:s + k] = block
        if ell + 1 < layers:
            t = s + k
            W[t + np.arange(m), s + np.arange(m)] = f
            W[s + np.arange(m), t + np.arange(m)] = feedback
    te = check_real("tau_e", tau_e, lo=0.0, lo_open=True)
    ti = check_real("tau_i", tau_i, lo=0.0, lo_open=True)
    u0 = check_vector("u", u, m)
    ui = check_vector("u_i", u_i, n_i)
    uu = np.concatenate([np.concatenate([u0 if ell == 0 else np.zeros(m), ui])
                         for ell in range(layers)])
    names: list[str] = []
    for ell in range(layers):
        names += [f"L{ell}.E{i}" for i in range(m)] + [f"L{ell}.I{j}" for j in range(n_i)]
    return Network(W=W, tau=([te] * m + [ti] * n_i) * layers, u=uu,
                   activation=ReLU() if activation is None else activation,
                   cell_types=types * layers, names=names)


def layer_groups(net: Network) -> list[NDArray[np.intp]]:
    """The E-neuron indices of every layer of a column (names ``L{ℓ}.E{i}``).

    A network whose names are not of that form is one layer: its E neurons (all neurons when it
    has no cell types).

    Examples
    --------
    >>> net = cortical_column(2, 2, f=1.0)
    >>> [g.tolist() for g in layer_groups(net)]
    [[0, 1], [3, 4]]
    """
    groups: dict[int, list[int]] = {}
    for k, name in enumerate(net.names):
        hit = _NAME.match(name)
        if hit is None:
            groups = {}
            break
        if hit.group(2) == "E":
            groups.setdefault(int(hit.group(1)), []).append(k)
    if groups:
        return [np.array(groups[ell], dtype=np.intp) for ell in sorted(groups)]
    if net.cell_types is None:
        return [np.arange(net.n, dtype=np.intp)]
    return [net.e_idx]


def winner_depth(c0: ArrayLike, r: ArrayLike) -> Any:
    """Predicted depth ``⌈log(1/C₀)/log(1 + 2r)⌉`` at which a two-channel column has one winner.

    Two channels, shared motif with loop gain ``r`` (:func:`~eicircuits.circuits.motif.motif_r`
    with ``m = 2``): while both are active every layer multiplies the contrast by ``1 + 2r``, so
    after ``ℓ`` layers it is ``min(1, (1 + 2r)^ℓ C₀)``; the weaker channel is silenced at the
    first ``ℓ`` with ``(1 + 2r)^ℓ C₀ ≥ 1``. Vectorised; returns integers (``0`` when ``C₀ = 1``).

    Raises
    ------
    ValidationError
        ``C₀`` outside ``(0, 1]`` or ``r ≤ 0``.

    Examples
    --------
    >>> int(winner_depth(0.01, 1.0))
    5
    """
    c = np.asarray(c0, dtype=float)
    rr = np.asarray(r, dtype=float)
    if np.any(~np.isfinite(c)) or np.any((c <= 0) | (c > 1)):
        raise ValidationError(f"c0: the input contrast must lie in (0, 1], got {c0!r}")
    if np.any(~np.isfinite(rr)) or np.any(rr <= 0):
        raise ValidationError(f"r: the loop gain must be > 0, got {r!r}")
    depth = np.ceil(np.log(1.0 / c) / np.log1p(2.0 * rr) - 1e-12).astype(int)
    depth = np.maximum(depth, 0)
    return depth[()] if depth.ndim == 0 else depth


def layered_winner_depth(u: ArrayLike, *, a: float, b: float, c: float, d: float,
                         f: float = 1.0, max_layers: int = 1000) -> int | None:
    """Depth of the first single winner of a feedforward shared-motif column, any ``m``.

    Iterates the water-filling closed form layer by layer (layer ``ℓ + 1`` sees ``f`` times the
    E rates of layer ``ℓ``), so it needs no network and no solver; for two channels it equals
    :func:`winner_depth`. ``0`` when the input already has a single positive entry; ``None``
    when no single winner appears within ``max_layers`` (e.g. tied largest inputs).

    Raises
    ------
    ValidationError
        Invalid motif parameters (``a ≥ 1`` included: the closed form needs uniqueness).

    Examples
    --------
    >>> layered_winner_depth([1.00, 1.01, 1.02, 1.03, 1.04], a=0.5, b=2, c=2, d=0.5)
    4
    """
    x = check_vector("u", u, np.size(u))
    check_real("f", f, lo=0.0, lo_open=True)
    max_layers = check_int("max_layers", max_layers, lo=1)
    for depth in range(max_layers + 1):
        if np.sum(x > 0) == 1:
            return depth
        if depth == max_layers:
            break
        x = f * shared_inhibition_equilibrium(x, a=a, b=b, c=c, d=d).x[:-1]
    return None
