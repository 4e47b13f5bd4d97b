"""Continuation of equilibria and bifurcation diagrams (docs/theory.md §8).

Entry points
------------
continuation   -- branches of equilibria of a one-parameter family, with folds, borders and Hopf
                  points; exact for piecewise-linear networks along an input direction
Continuation   -- the result (``branches``, ``bifurcations``, ``to_xarray``, ``to_netcdf``)
Branch         -- one branch: ``lam``, ``x``, ``stable``, ``eigenvalues``, active sets
Bifurcation    -- one special point: ``kind``, ``lam``, ``x``, ``message``
fold_curve, hopf_curve, Curve -- codimension-one curves in two parameters
region_map     -- the regions of a 2-D parameter map drawn from those curves (fast path)
plot_diagram   -- a bifurcation diagram (stable solid, unstable dashed, folds and Hopf marked)

Methods (``continuation(…, method=…)``)
---------------------------------------
``"piecewise-linear"``
    ReLU / clipped ReLU / linear networks with the input family ``u(λ) = u + λ d``: exact
    parametric pivoting in ``λ`` (each piece is affine; folds where ``det (I − W)_SS`` changes
    sign). Sparse ``W`` stays sparse (one LU plus block updates).
``"arclength"``
    Any activation and any family ``λ ↦ Network`` (weights, time constants, gains): pseudo-
    arclength continuation with a Newton corrector and fold / Hopf / branch-point detection.
``"auto"``
    ``"piecewise-linear"`` when it applies, else ``"arclength"``.

Examples
--------
>>> import numpy as np
>>> from eicircuits import Network, continuation
>>> net = Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[0.0, -4.0], cell_types="EI")
>>> res = continuation(net, direction=[1.0, 0.0], span=(-3.0, 2.0))
>>> [round(b.lam, 12) for b in res.folds]
[-1.333333333333, 0.0]
>>> res.count_at(-1.0)
3
"""

from __future__ import annotations

import math
import sys
import types
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._validate import check_vector
from ..errors import ValidationError
from ..network import Network
from ._result import KINDS, Bifurcation, Branch, Continuation

__all__ = ["continuation", "Continuation", "Branch", "Bifurcation", "KINDS", "METHODS",
           "plot_diagram", "fold_curve", "hopf_curve", "Curve", "region_map"]

#: Continuation methods (see the module docstring).
METHODS = ("auto", "piecewise-linear", "arclength")


def _span(span: Any) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in span)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"span: expected two numbers (start, stop), got {span!r}") from exc
    if not (math.isfinite(a) and math.isfinite(b) and a < b):
        raise ValidationError(f"span: need finite start < stop, got {span!r}")
    return a, b


def _positive(name: str, value: Any, *, integer: bool = False) -> Any:
    if value is None:
        return None
    ok = (isinstance(value, (int, np.integer)) and not isinstance(value, bool)) if integer else (
        isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
        and math.isfinite(value))
    if not ok or value <= 0:
        kind = "an integer" if integer else "a finite number"
        raise ValidationError(f"{name}: must be {kind} > 0, got {value!r}")
    return int(value) if integer else float(value)


def continuation(
    target: Network | Callable[[float], Network],
    *,
    direction: ArrayLike | None = None,
    span: tuple[float, float],
    x0: ArrayLike | None = None,
    max_points: int = 10_000,
    method: str = "auto",
    parameter: str | None = None,
    stability: bool | str = "auto",
    neurons: ArrayLike | None = None,
    borders: bool = True,
    step: float | None = None,
    max_step: float | None = None,
    min_step: float | None = None,
    tol: float = 1e-10,
    refactor: int = 64,
    linear_solver: str = "auto",
) -> Continuation:
    """Branches of equilibria of a one-parameter family and their bifurcations (docs/theory.md §8).

    Parameters
    ----------
    target : Network or callable
        A network, continued along its input ``u(λ) = net.u + λ·direction``; or a callable
        ``λ ↦ Network`` for any parameter (weights, time constants, gains; every network of the
        family must have the same size). A callable whose networks differ only in an input
        that moves affinely with ``λ`` (checked at three points) is turned into an input
        family, so piecewise-linear networks get the exact path.
    direction : array_like, shape (n,)
        The input direction ``d`` (required with a network; not allowed with a callable).
    span : (float, float)
        ``λ`` range ``(start, stop)``, ``start < stop``.
    x0 : array_like, shape (n,) or (k, n), optional
        Start guess(es) at ``λ = start``, each polished to an equilibrium. Default: every
        equilibrium at both ends of the span for small piecewise-linear networks (support
        enumeration, so branches born at a fold inside the span are found), else the
        equilibrium at ``start`` (the unique one under LDS, otherwise the one reached from rest
        for the exact path, or :func:`~eicircuits.equilibrium`'s for the smooth one).
    max_points : int
        Most points (vertices or steps) per branch.
    method : {"auto", "piecewise-linear", "arclength"}
        See the module docstring.
    parameter : str, optional
        Name of ``λ`` for labels (default ``"λ"``).
    stability : bool or "auto"
        ``"auto"``/True: eigenvalues of the rate Jacobian at every piece or point (on the exact
        path ``"auto"`` skips them when an LDS certificate makes every piece stable); False:
        none (``stable`` is None).
    neurons : array_like of int, optional
        Neurons whose rates the branches keep (default all; restrict it for very large
        networks: a branch holds ``points × len(neurons)`` numbers).
    borders : bool
        Exact path: report every change of active set as a ``"border"`` bifurcation.
    step, max_step, min_step : float, optional
        Arclength: first, largest and smallest step (defaults 2 %, 5 % and 1e-9 of the span).
    tol : float
        Arclength: Newton tolerance on ``‖−x + Φ(Wx + u)‖∞`` (relative).
    refactor : int
        Exact path: block updates of the LU factorisation before it is recomputed.
    linear_solver : {"auto", "direct", "iterative"}
        Exact path: sparse/dense LU with block updates, or warm-started BiCGSTAB on the active
        block; ``"auto"`` is iterative for sparse networks above
        :data:`~eicircuits._limits.PIVOT_DIRECT_LIMIT` neurons.

    Returns
    -------
    Continuation
        ``success`` is False (with ``status`` and ``message``) when a branch stopped before the
        end of the span: ``"step_collapse"``, ``"singular"``, ``"branch_point"``,
        ``"degenerate"``, ``"max_points"``, ``"unbounded"``.

    Raises
    ------
    ValidationError
        Bad target, direction, span or options; ``method="piecewise-linear"`` for a smooth
        network or a callable family.
    ConvergenceError
        No equilibrium could be found at the start.

    Examples
    --------
    >>> from eicircuits import Network, Logistic, continuation
    >>> net = Network(W=[[3.0]], activation=Logistic())
    >>> res = continuation(net, direction=[1.0], span=(-3.0, 0.0))
    >>> [round(b.lam, 6) for b in res.folds]
    [-2.151637, -0.848363]
    """
    span_ = _span(span)
    if method not in METHODS:
        raise ValidationError(f"method: expected one of {list(METHODS)}, got {method!r}")
    max_points = _positive("max_points", max_points, integer=True)
    refactor = _positive("refactor", refactor, integer=True)
    for name, val in (("step", step), ("max_step", max_step), ("min_step", min_step),
                      ("tol", tol)):
        _positive(name, val)
    if linear_solver not in ("auto", "direct", "iterative"):
        raise ValidationError(f"linear_solver: expected 'auto', 'direct' or 'iterative', got "
                              f"{linear_solver!r}")
    if stability not in (True, False, "auto"):
        raise ValidationError(f"stability: expected True, False or 'auto', got {stability!r}")
    label = "λ" if parameter is None else str(parameter)
    if isinstance(target, Network):
        if direction is None:
            raise ValidationError("direction: required when target is a Network (the input "
                                  "family u(λ) = net.u + λ·direction); got None")
        d = check_vector("direction", direction, target.n, scalar=False)
        if not np.any(d):
            raise ValidationError("direction: must not be the zero vector")
        n = target.n
    elif callable(target):
        if direction is not None:
            raise ValidationError("direction: only for a Network target; a callable family "
                                  "λ ↦ Network carries its own parameter")
        d = None
        n = None
    else:
        raise ValidationError(f"target: expected an eicircuits.Network or a callable λ ↦ "
                              f"Network, got {type(target).__name__}")
    from ..fixed_points._problem import box_problem

    if d is None and method != "arclength":
        from ._family import input_affine

        found = input_affine(target, span_)
        if found is not None:  # only the input moves, affinely: the exact path applies
            target, d = found
            n = target.n
    exact_ok = d is not None and box_problem(target, target.u) is not None
    if method == "piecewise-linear" and not exact_ok:
        raise ValidationError(
            "method='piecewise-linear' needs a Network with ReLU / ClippedReLU / Linear "
            "activations and an input direction; use method='arclength' for this target")
    if method == "auto":
        method = "piecewise-linear" if exact_ok else "arclength"
    if n is None:
        net0 = target(span_[0])
        if not isinstance(net0, Network):
            raise ValidationError(f"target: the family must return an eicircuits.Network; at "
                                  f"λ = {span_[0]:g} it returned {type(net0).__name__}")
        n = net0.n
    keep = np.arange(n) if neurons is None else np.asarray(neurons, dtype=np.intp).ravel()
    if keep.size == 0 or keep.min() < 0 or keep.max() >= n:
        raise ValidationError(f"neurons: expected indices in [0, {n}), got {neurons!r}")
    if x0 is not None:
        arr = np.asarray(x0, dtype=float)
        if arr.shape[-1:] != (n,) or arr.ndim > 2 or not np.all(np.isfinite(arr)):
            raise ValidationError(f"x0: expected finite shape ({n},) or (k, {n}), got shape "
                                  f"{arr.shape}")
    if method == "piecewise-linear":
        from . import _piecewise

        return _piecewise.run(target, d, span_, x0=x0, max_points=max_points,
                              stability=stability, neurons=keep, refactor=refactor,
                              borders=borders, parameter=label, linear_solver=linear_solver)
    from . import _smooth

    return _smooth.run(target, d, span_, x0=x0, max_points=max_points, step=step,
                       max_step=max_step, min_step=min_step, tol=tol, neurons=keep,
                       parameter=label)


class _CallableModule(types.ModuleType):
    """``eicircuits.continuation`` is both this package and the function: importing the package
    binds the name to the module, so the module forwards calls to :func:`continuation`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Continuation:
        return continuation(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule


def __getattr__(name: str) -> Any:
    if name == "plot_diagram":
        from .plot import plot_diagram

        return plot_diagram
    if name in ("fold_curve", "hopf_curve", "Curve", "region_map"):
        from . import _twoparam

        return getattr(_twoparam, name)
    raise AttributeError(f"module 'eicircuits.continuation' has no attribute {name!r}")
