"""Two-parameter maps: fold and Hopf curves by codimension-one continuation, and region maps.

A fold (Hopf) point of the family ``(λ, μ) ↦ Network`` is continued in both parameters by
pseudo-arclength on ``y = (x, λ, μ)`` with the ``n + 1`` equations

    F(x, λ, μ) = −x + Φ(W x + u) = 0,     g(x, λ, μ) = 0,

where ``g`` is a minimally augmented test function (Govaerts, *Numerical Methods for
Bifurcations of Dynamical Equilibria*, 2000): the last component of the solution of
``[[A, b], [cᵀ, 0]] (v, g) = (0, 1)``, which vanishes exactly when ``A`` is singular. For a fold
``A = F_x``; for a Hopf point ``A = 2J ⊙ I``, the bialternate product of the rate Jacobian
``J = τ⁻¹(−I + ΛW)`` whose eigenvalues are the sums ``μ_i + μ_j`` (``i < j``), singular when a
pair ``±iω`` is on the imaginary axis (and at a neutral saddle ``±κ``, which the curve reports).
The bordering vectors ``b, c`` are refreshed from the singular vectors at every accepted point.
Derivatives are central differences (small ``n``).

:func:`region_map` is the fast path for a 2-D map: one one-parameter continuation per row gives
the exact boundaries (folds, Hopf points) and the number of (stable) equilibria between them,
instead of one solve per grid point.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._result import Result
from ..errors import ValidationError
from ..network import Network
from ._smooth import Options, Tracer

__all__ = ["Curve", "fold_curve", "hopf_curve", "region_map", "bialternate"]

FloatArray = NDArray[np.float64]


def bialternate(A: FloatArray) -> FloatArray:
    """``2A ⊙ I``: its eigenvalues are ``α_i + α_j`` (``i < j``) for the eigenvalues ``α`` of
    ``A`` (Kuznetsov, *Elements of Applied Bifurcation Theory*, §10.2).

    Examples
    --------
    >>> import numpy as np
    >>> A = np.diag([1.0, 2.0, 5.0])
    >>> sorted(np.linalg.eigvals(bialternate(A)).real.round(12).tolist())
    [3.0, 6.0, 7.0]
    """
    n = A.shape[0]
    pairs = [(p, q) for p in range(1, n) for q in range(p)]
    m = len(pairs)
    B = np.zeros((m, m))
    for i, (p, q) in enumerate(pairs):
        for j, (r, s) in enumerate(pairs):
            if r == q:
                B[i, j] = -A[p, s]
            elif r != p and s == q:
                B[i, j] = A[p, r]
            elif r == p and s == q:
                B[i, j] = A[p, p] + A[q, q]
            elif r == p and s != q:
                B[i, j] = A[q, s]
            elif s == p:
                B[i, j] = -A[q, r]
    return B


@dataclasses.dataclass(frozen=True, eq=False)
class Curve(Result):
    """A fold or Hopf curve in the ``(λ, μ)`` plane.

    Attributes
    ----------
    kind : str
        ``"fold"`` or ``"hopf"``.
    lam, mu : ndarray, shape (m,)
        The two parameters along the curve (ordered along it).
    x : ndarray, shape (m, n)
        The equilibrium at each point.
    omega : ndarray, shape (m,)
        Hopf curves: the frequency ``ω`` (NaN where the pair is real: a neutral saddle, not a
        Hopf point). Fold curves: zeros.
    success, status, message, stats
    """

    kind: str
    lam: FloatArray
    mu: FloatArray
    x: FloatArray
    omega: FloatArray
    success: bool
    status: str
    message: str
    stats: dict[str, Any] = dataclasses.field(default_factory=dict)


def _jac_fd(fun: Callable[[FloatArray], FloatArray], y: FloatArray) -> FloatArray:
    f0 = fun(y)
    J = np.empty((f0.size, y.size))
    for k in range(y.size):
        h = 1e-7 * (1.0 + abs(y[k]))
        e = np.zeros(y.size)
        e[k] = h
        J[:, k] = (fun(y + e) - fun(y - e)) / (2.0 * h)
    return J


class _Augmented:
    """``G(x, λ, μ) = (F, g)`` with a bordered test function of the matrix ``A(x, λ, μ)``."""

    def __init__(self, family: Callable[[float, float], Network], kind: str) -> None:
        self.family = family
        self.kind = kind
        self.b: FloatArray | None = None
        self.c: FloatArray | None = None

    def net(self, lam: float, mu: float) -> Network:
        net = self.family(float(lam), float(mu))
        if not isinstance(net, Network):
            raise ValidationError(f"family: must return an eicircuits.Network for (λ, μ); got "
                                  f"{type(net).__name__}")
        return net

    def matrix(self, y: FloatArray) -> FloatArray:
        x, lam, mu = y[:-2], y[-2], y[-1]
        net = self.net(lam, mu)
        W = net.dense_W()
        d = net.dphi(W @ x + net.u)
        Fx = d[:, None] * W - np.eye(net.n)
        if self.kind == "fold":
            return Fx
        return bialternate(Fx / net.tau[:, None])

    def refresh(self, y: FloatArray) -> None:
        U, _, Vt = np.linalg.svd(self.matrix(y))
        self.b, self.c = U[:, -1], Vt[-1]

    def g(self, y: FloatArray) -> float:
        A = self.matrix(y)
        m = A.shape[0]
        K = np.zeros((m + 1, m + 1))
        K[:m, :m] = A
        K[:m, m] = self.b
        K[m, :m] = self.c
        rhs = np.zeros(m + 1)
        rhs[m] = 1.0
        return float(np.linalg.solve(K, rhs)[m])

    def G(self, y: FloatArray) -> FloatArray:
        x, lam, mu = y[:-2], y[-2], y[-1]
        net = self.net(lam, mu)
        F = net.phi(net.W @ x + net.u) - x
        return np.append(F, self.g(y))

    def DG(self, y: FloatArray) -> FloatArray:
        return _jac_fd(self.G, y)


def _omega(aug: _Augmented, y: FloatArray) -> float:
    net = aug.net(y[-2], y[-1])
    ev = np.linalg.eigvals(net.rate_jacobian(y[:-2]))
    j = int(np.argmin(np.abs(ev.real)))
    scale = 1.0 + float(np.max(np.abs(ev)))
    return float(abs(ev[j].imag)) if abs(ev[j].imag) > 1e-7 * scale else math.nan


def _curve(kind: str, family: Callable[[float, float], Network], x: ArrayLike, lam: float,
           mu: float, mu_span: tuple[float, float], *, max_points: int,
           max_step: float | None) -> Curve:
    t0 = time.perf_counter()
    lo, hi = (float(v) for v in mu_span)
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi and lo <= mu <= hi):
        raise ValidationError(f"mu_span: need finite start < stop around mu = {mu}, got "
                              f"{mu_span!r}")
    aug = _Augmented(family, kind)
    y0 = np.concatenate([np.asarray(x, dtype=float), [float(lam), float(mu)]])
    aug.refresh(y0)
    width = hi - lo
    opts = Options(h0=0.01 * width, h_min=1e-9 * width,
                   h_max=max_step if max_step is not None else 0.03 * width, tol=1e-11,
                   max_points=max_points)
    tr = Tracer(aug.G, aug.DG, opts)
    e = np.zeros(y0.size)
    e[-1] = 1.0
    y = tr.correct(y0, np.eye(y0.size)[-1], float(mu))
    if y is None:
        return Curve(kind, np.zeros(0), np.zeros(0), np.zeros((0, y0.size - 2)), np.zeros(0),
                     False, "bad_start", f"the start is not a {kind} point: the corrector at "
                     f"μ = {mu} failed ({tr.last_failure})")
    halves, statuses = [], []
    for sign in (1.0, -1.0):
        pts = [y.copy()]
        aug.refresh(y)
        t = tr.tangent(y, sign * e)
        h = opts.h0
        status, msg = "span_end", ""
        cur = y.copy()
        while True:
            if len(pts) >= max_points:
                status, msg = "max_points", f"stopped after max_points = {max_points}"
                break
            new = tr.step(cur, t, h)
            t_new = None
            if new is not None:
                try:
                    t_new = tr.tangent(new, t)
                except np.linalg.LinAlgError:
                    new = None
            if new is None or t_new @ t < 0.95:
                h *= 0.5
                if h < opts.h_min:
                    status = "step_collapse"
                    msg = (f"step size collapsed at (λ, μ) = ({cur[-2]:.6g}, {cur[-1]:.6g}) "
                           f"({tr.last_failure})")
                    break
                continue
            if not lo <= new[-1] <= hi:
                target = hi if new[-1] > hi else lo
                guess = cur + (target - cur[-1]) / (new[-1] - cur[-1]) * (new - cur)
                end = tr.correct(guess, np.eye(y.size)[-1], target)
                pts.append(end if end is not None else guess)
                break
            pts.append(new)
            aug.refresh(new)
            cur, t = new, t_new
            h = min(opts.h_max, 1.5 * h)
        halves.append(pts)
        statuses.append((status, msg))
    Y = np.array(halves[1][::-1] + halves[0][1:])
    omega = (np.array([_omega(aug, yy) for yy in Y]) if kind == "hopf" else np.zeros(len(Y)))
    bad = [(s, m) for s, m in statuses if s != "span_end"]
    message = (f"{kind} curve traced over μ in [{lo:g}, {hi:g}] through ({lam:.6g}, {mu:.6g}), "
               f"{len(Y)} points")
    if kind == "hopf" and np.any(np.isnan(omega)):
        message += "; where omega is NaN the pair is real (a neutral saddle, not a Hopf point)"
    if bad:
        message += f"; stopped: {bad[0][1]}"
    return Curve(kind=kind, lam=Y[:, -2], mu=Y[:, -1], x=Y[:, :-2], omega=omega,
                 success=not bad, status=bad[0][0] if bad else "completed", message=message,
                 stats={"points": len(Y), "newton_iterations": tr.newton_iterations,
                        "seconds": time.perf_counter() - t0})


def fold_curve(family: Callable[[float, float], Network], x: ArrayLike, lam: float, mu: float,
               mu_span: tuple[float, float], *, max_points: int = 2000,
               max_step: float | None = None) -> Curve:
    """Continue a fold point ``(x, λ)`` of ``family(·, μ)`` in both parameters.

    Parameters
    ----------
    family : callable ``(λ, μ) ↦ Network``
        Smooth in both parameters (smooth activations; a ReLU fold sits at a kink, where the
        test function is not smooth: use :func:`region_map`).
    x, lam, mu
        A fold point, e.g. ``b.x, b.lam`` of a ``Bifurcation`` of kind ``"fold"`` found at ``μ``.
    mu_span : (float, float)
        Range of the second parameter; the curve is traced both ways to its ends.

    Returns
    -------
    Curve

    Examples
    --------
    >>> import numpy as np
    >>> from eicircuits import Logistic, Network
    >>> fam = lambda lam, w: Network(W=[[w]], u=[lam], activation=Logistic())
    >>> c = fold_curve(fam, [0.0917517], -0.8483630, 3.0, (2.0, 4.0))
    >>> bool(np.allclose(c.x[:, 0] * (1 - c.x[:, 0]), 1 / (4 * c.mu), atol=1e-9))
    True
    """
    return _curve("fold", family, x, lam, mu, mu_span, max_points=max_points, max_step=max_step)


def hopf_curve(family: Callable[[float, float], Network], x: ArrayLike, lam: float, mu: float,
               mu_span: tuple[float, float], *, max_points: int = 2000,
               max_step: float | None = None) -> Curve:
    """Continue a Hopf point ``(x, λ)`` of ``family(·, μ)`` in both parameters (time
    constants count: the rate Jacobian includes ``τ``). See :func:`fold_curve`.

    Examples
    --------
    >>> import numpy as np
    >>> from eicircuits.circuits import wilson_cowan
    >>> fam = lambda tau_i, w_ee: wilson_cowan(w_ee, 3.0, 3.0, 1.0, tau_i=tau_i, u_e=1.0,
    ...                                        u_i=0.5)
    >>> c = hopf_curve(fam, [1 / 14, 5 / 14], 2.0, 2.0, (1.8, 2.5))
    >>> bool(np.allclose(c.lam, 2.0 / (c.mu - 1.0), atol=1e-8))
    True
    """
    return _curve("hopf", family, x, lam, mu, mu_span, max_points=max_points, max_step=max_step)


def region_map(family: Callable[[float, float], Network], lam_span: tuple[float, float],
               mu_values: ArrayLike, *, lam_points: int = 201, parameter: str = "λ",
               second: str = "μ", **options: Any) -> Any:
    """A 2-D map of the number of equilibria and of stable equilibria, one continuation per row.

    For each ``μ`` the branches in ``λ`` give the boundaries exactly (folds change the count,
    Hopf points and folds the stability) and the labels between them, so a row costs one
    continuation instead of ``lam_points`` solves. ``family(λ, μ)`` may return a network whose
    input moves affinely with ``λ`` (then ReLU circuits get the exact path).

    Returns
    -------
    xarray.Dataset
        ``n_equilibria`` and ``n_stable`` over ``(μ, λ)``, ``success`` per row, and the fold
        and Hopf positions per row (``folds``, ``hopf``; NaN-padded).

    Examples
    --------
    >>> from eicircuits.circuits import wilson_cowan
    >>> fam = lambda ue, wee: wilson_cowan(wee, 3.0, 3.0, 1.0, u_e=ue, u_i=-4.0)
    >>> ds = region_map(fam, (-3.0, 2.0), [2.0], lam_points=11)
    >>> ds["n_equilibria"].values.tolist()  # at λ = 0, a fold, two of the three have merged
    [[1, 1, 1, 1, 3, 3, 2, 1, 1, 1, 1]]
    """
    import xarray as xr

    from ..fixed_points._problem import box_problem
    from . import continuation

    lam_grid = np.linspace(*lam_span, lam_points)
    mus = np.asarray(mu_values, dtype=float).ravel()
    count = np.zeros((mus.size, lam_grid.size), dtype=int)
    stable = np.zeros_like(count)
    ok = np.zeros(mus.size, dtype=bool)
    folds: list[list[float]] = []
    hopf: list[list[float]] = []
    for i, mu in enumerate(mus):
        a, b = family(lam_span[0], mu), family(lam_span[1], mu)
        d = (b.u - a.u) / (lam_span[1] - lam_span[0])
        same = (a.activation == b.activation and np.array_equal(a.tau, b.tau)
                and not a.is_sparse and not b.is_sparse and np.array_equal(a.W, b.W))
        if same and box_problem(a, a.u) is not None and np.any(d):
            res = continuation(a.with_input(a.u - lam_span[0] * d), direction=d, span=lam_span,
                               parameter=parameter, **options)
        else:
            res = continuation(lambda lam, mu=mu: family(lam, mu), span=lam_span,
                               parameter=parameter, **options)
        ok[i] = res.success
        folds.append([f.lam for f in res.folds])
        hopf.append([h.lam for h in res.hopf])
        for j, lam in enumerate(lam_grid):
            count[i, j] = res.count_at(lam)
            stable[i, j] = _stable_at(res, lam)
    width = max([1] + [len(f) for f in folds] + [len(h) for h in hopf])

    def pad(rows: list[list[float]]) -> FloatArray:
        out = np.full((len(rows), width), np.nan)
        for k, r in enumerate(rows):
            out[k, :len(r)] = r
        return out

    return xr.Dataset(
        {"n_equilibria": ((second, parameter), count), "n_stable": ((second, parameter), stable),
         "success": (second, ok), "folds": ((second, "k"), pad(folds)),
         "hopf": ((second, "k"), pad(hopf))},
        coords={second: mus, parameter: lam_grid})


def _stable_at(res: Any, lam: float) -> int:
    total = 0
    for br in res.branches:
        if br.segment_stable is None:
            continue
        for j in range(br.m - 1):
            a, b = br.lam[j], br.lam[j + 1]
            if a != b and min(a, b) <= lam <= max(a, b) and not (lam == b and j + 1 < br.m - 1):
                total += int(br.segment_stable[j])
    return total
