"""Pseudo-arclength continuation with fold, Hopf and branch-point detection (docs/theory.md §8).

A curve ``G(y) = 0``, ``G: R^{N+1} → R^N``, is followed from a point ``y₀`` by
predictor–corrector steps: the predictor moves a step ``h`` along the unit tangent ``t``
(``DG t = 0``, oriented so that ``tᵀ t_prev > 0``), the corrector is Newton's method on
``[G(y); tᵀ(y − y_pred)] = 0`` (the bordered matrix ``[[DG], [tᵀ]]`` is nonsingular at regular
points and at folds). The step grows after easy corrections and halves after failed ones; a
step below ``h_min`` stops the branch with ``status="step_collapse"``.

For equilibria, ``y = (x, λ)`` and ``G = F(x, λ) = −x + Φ(W(λ) x + u(λ))``. Along the branch:

- a **fold** is where the ``λ``-component of the tangent changes sign (``det F_x`` changes sign
  with it); it is located by bisection on the arclength, correcting every trial point;
- a **branch point** is where ``det F_x`` changes sign while ``t_λ`` does not: the extended
  Jacobian is singular without a fold; the branch stops there (``status="branch_point"``);
- a **Hopf point** is where the number of eigenvalues of the rate Jacobian
  ``τ⁻¹(−I + Λ W)`` in the right half-plane changes by two without a real crossing and the
  eigenvalues nearest the imaginary axis at the located point are a complex pair ``±iω``.
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from .._limits import DENSE_EIG_LIMIT
from ..network import Network
from ._eig import eigen_summary, leading_eigenvalues

FloatArray = NDArray[np.float64]

#: Above this many unknowns the bordered systems are solved sparse.
_DENSE_MAX = DENSE_EIG_LIMIT


# ---------------------------------------------------------------------------- the family
class Family:
    """``λ ↦ Network``: an input family ``u + λ d`` of one network, or a user callable."""

    def __init__(self, target: Any, direction: FloatArray | None,
                 span: tuple[float, float] = (-math.inf, math.inf)) -> None:
        self.direction = direction
        self.span = span
        if isinstance(target, Network):
            self.base = target
            self.callable = None
        else:
            self.callable = target
            self.base = None
        self._cache: dict[float, Network] = {}
        self._dz: dict[int, tuple[Any, FloatArray]] = {}

    def net(self, lam: float) -> Network:
        if lam in self._cache:
            return self._cache[lam]
        if self.callable is None:
            net = self.base.with_input(self.base.u + lam * self.direction)
        else:
            from ..errors import ValidationError

            net = self.callable(float(lam))
            if not isinstance(net, Network):
                raise ValidationError(f"target: the family must return an eicircuits.Network for "
                                      f"every λ; at λ = {lam:g} it returned "
                                      f"{type(net).__name__}")
        if len(self._cache) >= 16:
            self._cache.pop(next(iter(self._cache)))
        self._cache[lam] = net
        return net

    def F(self, x: FloatArray, lam: float) -> FloatArray:
        net = self.net(lam)
        return net.phi(net.W @ x + net.u) - x

    def Fx(self, x: FloatArray, lam: float) -> Any:
        net = self.net(lam)
        d = net.dphi(net.W @ x + net.u)
        if net.is_sparse:
            return sp.csr_array(sp.diags_array(d) @ net.W - sp.eye_array(net.n, format="csr"))
        return d[:, None] * net.W - np.eye(net.n)

    def zlam(self, x: FloatArray, lam: float) -> FloatArray:
        """``∂(W(λ)x + u(λ))/∂λ``: the drive is smooth in ``λ`` even where ``Φ`` has kinks.

        For a callable family ``W'(λ)`` and ``u'(λ)`` are central differences, cached on a grid
        of ``10⁻⁴`` of the span: inside a Newton correction this makes ``F_λ`` a (very good)
        approximation, which changes neither the corrected points (their residual is exact)
        nor the fold locations (``t_λ = 0`` exactly where ``F_x`` is singular).
        """
        if self.callable is None:
            return self.direction
        lo, hi = self.span
        width = hi - lo if math.isfinite(hi - lo) else 1.0
        key = round(lam / (1e-4 * width))
        if key not in self._dz:
            at = min(max(key * 1e-4 * width, lo), hi) if math.isfinite(width) else lam
            h = 1e-6 * max(1.0, abs(at))
            if at - h < lo:  # one-sided (second order) at the ends: the family may stop there
                pts, wts = (at, at + h, at + 2 * h), (-1.5, 2.0, -0.5)
            elif at + h > hi:
                pts, wts = (at, at - h, at - 2 * h), (1.5, -2.0, 0.5)
            else:
                pts, wts = (at + h, at - h), (0.5, -0.5)
            nets = [self.net(p) for p in pts]
            dW = sum(w * n.W for w, n in zip(wts, nets, strict=True)) / h
            du = sum(w * n.u for w, n in zip(wts, nets, strict=True)) / h
            if len(self._dz) > 256:
                self._dz.clear()
            self._dz[key] = (dW, du)
        dW, du = self._dz[key]
        return dW @ x + du

    def Flam(self, x: FloatArray, lam: float) -> FloatArray:
        net = self.net(lam)
        d = net.dphi(net.W @ x + net.u)
        return d * self.zlam(x, lam)


# ---------------------------------------------------------------------------- the engine
@dataclasses.dataclass
class Options:
    h0: float
    h_min: float
    h_max: float
    tol: float
    max_points: int
    max_newton: int = 10


class Tracer:
    """Predictor–corrector machinery for ``G(y) = 0`` (see the module docstring)."""

    def __init__(self, G: Callable[[FloatArray], FloatArray],
                 DG: Callable[[FloatArray], Any], opts: Options) -> None:
        self.G, self.DG, self.opts = G, DG, opts
        self.newton_iterations = 0
        self.last_failure = ""

    def _solve(self, J: Any, row: FloatArray, rhs: FloatArray) -> FloatArray:
        if sp.issparse(J):
            B = sp.vstack([J, sp.csr_array(row[None, :])], format="csc")
            with warnings.catch_warnings():
                warnings.simplefilter("error", spla.MatrixRankWarning)
                sol = spla.spsolve(B, rhs)
        else:
            B = np.vstack([J, row[None, :]])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                lu, piv = sla.lu_factor(B, check_finite=False)
            d = np.abs(np.diag(lu))
            if not np.all(np.isfinite(d)) or d.min() <= 1e-13 * max(1.0, float(d.max())):
                raise np.linalg.LinAlgError("bordered Jacobian singular (a vanishing LU pivot)")
            sol = sla.lu_solve((lu, piv), rhs, check_finite=False)
        if not np.all(np.isfinite(sol)):
            raise np.linalg.LinAlgError("non-finite solution of the bordered system")
        return sol

    def tangent(self, y: FloatArray, t_prev: FloatArray) -> FloatArray:
        J = self.DG(y)
        rhs = np.zeros(y.size)
        rhs[-1] = 1.0
        t = self._solve(J, t_prev, rhs)
        t = t / np.linalg.norm(t)
        return t if t @ t_prev >= 0 else -t

    def correct(self, y_pred: FloatArray, row: FloatArray, value: float) -> FloatArray | None:
        """Newton on ``[G(y); row·y − value] = 0`` from ``y_pred``; ``None`` on failure."""
        y = y_pred.copy()
        o = self.opts
        for _ in range(o.max_newton):
            g = self.G(y)
            c = row @ y - value
            scale = 1.0 + float(np.max(np.abs(y)))
            if not np.all(np.isfinite(g)):
                self.last_failure = "non-finite residual"
                return None
            try:
                dy = self._solve(self.DG(y), row, -np.append(g, c))
            except (np.linalg.LinAlgError, spla.MatrixRankWarning, RuntimeError) as exc:
                self.last_failure = f"singular Jacobian ({exc})"
                return None
            y = y + dy
            self.newton_iterations += 1
            if (float(np.max(np.abs(dy))) <= 1e-11 * scale
                    and float(np.max(np.abs(self.G(y)))) <= o.tol * scale):
                return y
        g = self.G(y)
        if float(np.max(np.abs(g))) <= o.tol * (1.0 + float(np.max(np.abs(y)))):
            return y
        self.last_failure = "Newton did not converge"
        return None

    def step(self, y: FloatArray, t: FloatArray, h: float) -> FloatArray | None:
        """The corrected point at arclength ``h`` along ``t`` from ``y``."""
        y_pred = y + h * t
        return self.correct(y_pred, t, float(t @ y_pred))


# ---------------------------------------------------------------------------- equilibria
@dataclasses.dataclass
class PointInfo:
    eig: NDArray[np.complex128]
    stable: bool
    n_unstable: int
    det_sign: float


def _info(fam: Family, y: FloatArray) -> PointInfo:
    x, lam = y[:-1], float(y[-1])
    net = fam.net(lam)
    J = net.rate_jacobian(x)
    eig, stable, n_unstable = eigen_summary(J)
    Fx = fam.Fx(x, lam)
    if sp.issparse(Fx):
        lu = spla.splu(sp.csc_array(Fx))
        sign = float(np.prod(np.sign(lu.U.diagonal())))
        perm = np.sign(_perm_sign(lu.perm_r)) * np.sign(_perm_sign(lu.perm_c))
        det_sign = sign * perm
    else:
        det_sign = float(np.linalg.slogdet(Fx)[0])
    return PointInfo(eig=eig, stable=stable, n_unstable=n_unstable, det_sign=det_sign)


def _perm_sign(perm: NDArray[np.intp]) -> float:
    perm = np.asarray(perm).copy()
    sign = 1.0
    for i in range(perm.size):
        while perm[i] != i:
            j = perm[i]
            perm[i], perm[j] = perm[j], perm[i]
            sign = -sign
    return sign


@dataclasses.dataclass
class SmoothTraced:
    y: list[FloatArray]
    info: list[PointInfo]
    events: list[tuple[str, int, str, complex | None]]
    status: str
    message: str
    steps: int = 0
    rejected: int = 0
    newton: int = 0
    seconds: float = 0.0


def follow(fam: Family, span: tuple[float, float], lam0: float, x0: FloatArray, sign0: int,
           opts: Options, *, kink_check: Callable[[FloatArray], bool] | None = None,
           ) -> SmoothTraced:
    """Follow the branch of equilibria through ``(x0, lam0)`` leaving in direction ``sign0``."""
    t_start = time.perf_counter()
    lam_lo, lam_hi = span
    n = x0.size

    def G(y: FloatArray) -> FloatArray:
        return fam.F(y[:-1], float(y[-1]))

    def DG(y: FloatArray) -> Any:
        x, lam = y[:-1], float(y[-1])
        Fx, Fl = fam.Fx(x, lam), fam.Flam(x, lam)
        if sp.issparse(Fx) or n > _DENSE_MAX:
            return sp.hstack([sp.csr_array(Fx), sp.csr_array(Fl[:, None])], format="csr")
        return np.column_stack([Fx, Fl])

    tr = Tracer(G, DG, opts)
    y = np.append(x0, lam0)
    e_lam = np.zeros(n + 1)
    e_lam[-1] = float(sign0)
    out = SmoothTraced(y=[y], info=[_info(fam, y)], events=[], status="", message="")
    try:
        t = tr.tangent(y, e_lam)
    except (np.linalg.LinAlgError, spla.MatrixRankWarning, RuntimeError) as exc:
        out.status, out.message = "singular", (
            f"the extended Jacobian [F_x F_λ] is singular at the start λ = {lam0:g} ({exc}): "
            "start from a regular point")
        return out
    if t[-1] * sign0 < 0:
        t = -t
    h = opts.h0
    while True:
        if len(out.y) >= opts.max_points:
            out.status, out.message = "max_points", (
                f"stopped after max_points = {opts.max_points} points at λ = {y[-1]:.10g}; pass "
                "a larger max_points (or a larger max_step)")
            break
        y_new = tr.step(y, t, h)
        t_new = None
        if y_new is not None:
            try:
                t_new = tr.tangent(y_new, t)
            except (np.linalg.LinAlgError, spla.MatrixRankWarning, RuntimeError) as exc:
                tr.last_failure = f"singular Jacobian ({exc})"
                y_new = None
        if y_new is not None and (t_new @ t < 0.95
                                  or np.linalg.norm(y_new - y) > 1.5 * h + 1e-12):
            tr.last_failure = "the corrected point jumped (tangent turned too fast)"
            y_new = None
        if y_new is None:
            out.rejected += 1
            h *= 0.5
            if h < opts.h_min and kink_check is not None:
                turned = _turn_corner(fam, tr, y, t)
                if turned is not None:
                    y_c, t_c, kind, k = turned
                    out.y.append(y_c)
                    out.info.append(_info(fam, y_c + 1e-9 * t_c))
                    out.events.append((kind, len(out.y) - 1, f"{kind} at a kink: neuron {k} "
                                       "changes state" + (" and the branch turns back in λ"
                                                          if kind == "fold" else ""), None))
                    if not (lam_lo <= y_c[-1] <= lam_hi):
                        out.status = "span_end"
                        out.message = f"reached λ = {y_c[-1]:.10g}, the end of the span"
                        break
                    y, t, h = y_c, t_c, max(opts.h0 * 0.01, 1e3 * opts.h_min)
                    continue
            if h < opts.h_min:
                singular = tr.last_failure.startswith("singular")
                out.status = "singular" if singular else "step_collapse"
                out.message = (
                    f"step size collapsed below h_min = {opts.h_min:.3g} at λ = {y[-1]:.10g} "
                    f"({tr.last_failure})"
                    + ("; the extended Jacobian is singular without a detected fold"
                       if singular else "; the branch may end, jump or be non-smooth here"))
                break
            continue
        out.steps += 1
        if float(np.max(np.abs(y_new[:-1]))) > 1e8:
            out.status, out.message = "unbounded", (
                f"the rates exceed 1e8 near λ = {y_new[-1]:.10g}: the branch runs to infinity")
            break
        leaving = not (lam_lo <= y_new[-1] <= lam_hi)
        if leaving:
            target = lam_hi if y_new[-1] > lam_hi else lam_lo
            frac = (target - y[-1]) / (y_new[-1] - y[-1])
            guess = y + frac * (y_new - y)
            row = np.zeros(n + 1)
            row[-1] = 1.0
            y_end = tr.correct(guess, row, target)
            if y_end is None:
                y_end = guess
                y_end[-1] = target
            y_new = y_end
            t_new = tr.tangent(y_new, t)
        info_new = _info(fam, y_new)
        stop = _events(fam, tr, out, y, t, info_new, y_new, t_new, kink_check)
        out.y.append(y_new)
        out.info.append(info_new)
        if stop:
            break
        if leaving:
            out.status = "span_end"
            out.message = f"reached λ = {y_new[-1]:.10g}, the end of the span"
            break
        y, t = y_new, t_new
        h = min(opts.h_max, h * 1.5) if tr.newton_iterations else h
    out.newton = tr.newton_iterations
    out.seconds = time.perf_counter() - t_start
    return out


def _bisect(tr: Tracer, y: FloatArray, t: FloatArray, h_hi: float,
            side: Callable[[FloatArray, FloatArray], bool]) -> tuple[FloatArray, FloatArray]:
    """Smallest corrected point along ``t`` from ``y`` (arclength in ``(0, h_hi]``) where
    ``side`` flips from its value at ``y``; bisection to ``1e-13`` relative."""
    a, b = 0.0, h_hi
    ya, ta = y, t
    yb = tr.step(y, t, b)
    tb = tr.tangent(yb, t) if yb is not None else t
    base = side(y, t)
    scale = 1.0 + float(np.max(np.abs(y)))
    while b - a > 1e-13 * scale:
        mid = 0.5 * (a + b)
        ym = tr.step(y, t, mid)
        if ym is None:
            break
        tm = tr.tangent(ym, t)
        if side(ym, tm) == base:
            a, ya, ta = mid, ym, tm
        else:
            b, yb, tb = mid, ym, tm
    return (yb, tb) if yb is not None else (ya, ta)


def _events(fam: Family, tr: Tracer, out: SmoothTraced, y: FloatArray, t: FloatArray,
            info_new: PointInfo, y_new: FloatArray, t_new: FloatArray,
            kink_check: Callable[[FloatArray], bool] | None) -> bool:
    """Detect and locate folds, branch points and Hopf points between two points; insert the
    located points into the branch. Returns True when the branch must stop."""
    info = out.info[-1]
    h = float(np.linalg.norm(y_new - y))
    fold = t[-1] * t_new[-1] < 0
    det_change = info.det_sign * info_new.det_sign < 0
    if fold or det_change:
        if fold:
            yf, _ = _bisect(tr, y, t, h, lambda yy, tt: tt[-1] * t[-1] > 0)
        else:
            yf, _ = _bisect(tr, y, t, h, lambda yy, tt: _info(fam, yy).det_sign == info.det_sign)
        inf = _info(fam, yf)
        out.y.append(yf)
        out.info.append(inf)
        j = len(out.y) - 1
        if fold:
            out.events.append(("fold", j, "fold: a real eigenvalue of F_x crosses 0 and the "
                               "branch turns back in λ (two equilibria meet)", 0j))
        else:
            out.events.append(("branch_point", j, "singular F_x without a fold: a branch point "
                               "(equilibrium branches cross); branch switching is not done", 0j))
            out.status, out.message = "branch_point", (
                f"branch point at λ = {yf[-1]:.10g}: the Jacobian is singular without a fold, so "
                "the continuation stops here (start again from x0 beyond it to follow a branch)")
            return True
    if info_new.n_unstable != info.n_unstable and (not (fold or det_change)
                                                    or abs(info_new.n_unstable
                                                           - info.n_unstable) >= 2):
        yh, _ = _bisect(tr, y, t, h, lambda yy, tt: _info(fam, yy).n_unstable == info.n_unstable)
        inf = _info(fam, yh)
        net = fam.net(float(yh[-1]))
        J = net.rate_jacobian(yh[:-1])
        allv = np.linalg.eigvals(J.toarray() if sp.issparse(J) else J)
        near = allv[np.argmin(np.abs(allv.real))]
        scale = 1.0 + float(np.max(np.abs(allv)))
        if kink_check is not None and kink_check(yh):
            kind, msg, ev = "border", ("stability changes where a neuron reaches its threshold "
                                       "(a border collision, not a smooth bifurcation)"), None
        elif abs(near.real) > 1e-6 * scale:
            # the count jumped but no eigenvalue sits on the axis at the located point (several
            # crossings within one step, or the corrector moved between nearby branches)
            kind, ev = "stability_change", complex(near)
            msg = (f"the number of unstable eigenvalues changes from {info.n_unstable} to "
                   f"{info_new.n_unstable} between λ = {y[-1]:.10g} and {y_new[-1]:.10g}, but "
                   "no crossing could be located (nearest eigenvalue to the axis "
                   f"{near.real:.3g}{near.imag:+.3g}i): rerun with a smaller max_step")
        elif abs(near.imag) > 1e-7 * scale:
            omega = abs(near.imag)
            kind, ev = "hopf", complex(near.real, abs(near.imag))
            msg = (f"Hopf: a complex pair crosses the imaginary axis at ±{omega:.6g}i "
                   f"(period {2 * math.pi / omega:.6g} in the units of τ)")
        else:
            kind, msg, ev = "border", ("a real eigenvalue changes sign without a fold or "
                                       "singular F_x"), None
        insert = len(out.y)
        if out.events and out.events[-1][1] == insert - 1 and out.y[-1][-1] != y[-1]:
            # keep the points ordered along the branch
            if np.linalg.norm(yh - y) < np.linalg.norm(out.y[-1] - y):
                insert -= 1
        out.y.insert(insert, yh)
        out.info.insert(insert, inf)
        out.events = [(k, (i + 1 if i >= insert else i), m, e) for k, i, m, e in out.events]
        out.events.append((kind, insert, msg, ev))
    return False


# ---------------------------------------------------------------------------- driver
def _starts(fam: Family, span: tuple[float, float], x0: Any,
            ) -> tuple[list[tuple[float, FloatArray, int]], str]:
    from ..errors import ConvergenceError, SizeLimitError
    from ..fixed_points import equilibrium
    from ..fixed_points._problem import box_problem
    from ._piecewise import all_equilibria

    lam_lo, lam_hi = span
    net_lo = fam.net(lam_lo)
    if x0 is not None:
        starts = []
        for g in np.atleast_2d(np.asarray(x0, dtype=float)):
            eq = equilibrium(net_lo, x0=g)
            if not eq.converged:
                raise ConvergenceError(f"x0: no equilibrium found from this guess at "
                                       f"λ = {lam_lo:g}: {eq.message}")
            starts.append((lam_lo, eq.x, +1))
        return starts, f"started from {len(starts)} equilibrium(s) at λ = {lam_lo:g} given by x0"
    if box_problem(net_lo, net_lo.u) is not None:
        try:
            net_hi = fam.net(lam_hi)
            lo, hi = all_equilibria(net_lo, net_lo.u), all_equilibria(net_hi, net_hi.u)
            return ([(lam_lo, x, +1) for x in lo] + [(lam_hi, x, -1) for x in hi],
                    f"started from every equilibrium at both ends of the span ({len(lo)} at "
                    f"λ = {lam_lo:g}, {len(hi)} at λ = {lam_hi:g}, support enumeration)")
        except SizeLimitError:
            pass
    eq = equilibrium(net_lo)
    if not eq.converged:
        raise ConvergenceError(f"continuation: no equilibrium found at the start λ = {lam_lo:g} "
                               f"({eq.message}); pass x0")
    return [(lam_lo, eq.x, +1)], (f"started from the equilibrium found by "
                                  f"eicircuits.equilibrium ({eq.method}) at λ = {lam_lo:g}")


def run(target: Any, direction: FloatArray | None, span: tuple[float, float], *, x0: Any,
        max_points: int, step: float | None, max_step: float | None, min_step: float | None,
        tol: float, neurons: NDArray[np.intp] | None, parameter: str) -> Any:
    """Pseudo-arclength continuation of every start branch (see :func:`continuation`)."""
    from ..fixed_points._result import kink_neurons
    from ._piecewise import same_point
    from ._result import Bifurcation, Branch, Continuation

    t0 = time.perf_counter()
    fam = Family(target, direction, span)
    width = span[1] - span[0]
    opts = Options(h0=step if step is not None else 0.02 * width,
                   h_min=min_step if min_step is not None else 1e-9 * width,
                   h_max=max_step if max_step is not None else 0.05 * width,
                   tol=tol, max_points=max_points)
    starts, note = _starts(fam, span, x0)
    net0 = fam.net(span[0])
    keep = np.arange(net0.n) if neurons is None else neurons
    kink_check = None
    if net0.piecewise_linear:
        def kink_check(y: FloatArray) -> bool:
            net = fam.net(float(y[-1]))
            return bool(kink_neurons(net, y[:-1], rtol=1e-7).size)
    traced: list[SmoothTraced] = []
    covered: list[tuple[float, FloatArray]] = []
    for lam_s, xs, sgn in starts:
        if any(ls == lam_s and same_point(xc, xs) for ls, xc in covered):
            continue
        tr = follow(fam, span, lam_s, xs, sgn, opts, kink_check=kink_check)
        traced.append(tr)
        covered.append((lam_s, xs))
        if tr.status == "span_end":
            covered.append((float(tr.y[-1][-1]), tr.y[-1][:-1]))
    branches, bifs = [], []
    for bi, tr in enumerate(traced):
        Y = np.array(tr.y)
        lam = Y[:, -1]
        xs = Y[:, :-1][:, keep]
        r = min(inf.eig.size for inf in tr.info)
        eig = np.array([inf.eig[:r] for inf in tr.info])
        stable = np.array([inf.stable for inf in tr.info], dtype=bool)
        lead = eig[:, 0].real
        seg = (lead[:-1] + lead[1:]) < 0 if lam.size > 1 else np.zeros(0, dtype=bool)
        if kink_check is not None:  # piecewise linear: each segment lies in one piece
            for j in range(lam.size - 1):
                mid = 0.5 * (Y[j] + Y[j + 1])
                seg[j] = leading_eigenvalues(fam.net(float(mid[-1])).rate_jacobian(mid[:-1]))[1]
        ok = tr.status == "span_end"
        branches.append(Branch(
            lam=lam, x=xs, stable=stable, eigenvalues=eig, segment_stable=seg, neurons=keep,
            method="arclength", success=ok, status=tr.status, message=tr.message,
            stats={"steps": tr.steps, "rejected": tr.rejected, "newton_iterations": tr.newton,
                   "seconds": tr.seconds}))
        for kind, j, msg, ev in tr.events:
            bifs.append(Bifurcation(kind=kind, lam=float(lam[j]), x=xs[j], message=msg,
                                    branch=bi, index=j, eigenvalue=ev))
    fails = [b for b in branches if not b.success]
    counts = {k: sum(b.kind == k for b in bifs) for k in ("fold", "hopf", "branch_point")}
    parts = [f"{len(branches)} branch(es); {counts['fold']} fold(s), {counts['hopf']} Hopf "
             f"point(s), {counts['branch_point']} branch point(s)", note,
             "branches not connected to the start points (isolas) are not searched"]
    if fails:
        parts.append(f"branch {branches.index(fails[0])} stopped: {fails[0].message}")
    return Continuation(
        branches=branches, bifurcations=bifs, parameter=parameter, span=span,
        method="arclength", single_valued=None, success=not fails,
        status="completed" if not fails else fails[0].status, message="; ".join(parts),
        stats={"steps": sum(t.steps for t in traced), "seconds": time.perf_counter() - t0,
               **counts},
        neuron_names=tuple(net0.names))


def _turn_corner(fam: Family, tr: Tracer, y: FloatArray, t: FloatArray,
                 ) -> tuple[FloatArray, FloatArray, str, int] | None:
    """Piecewise-linear networks: the continuation stalls where the branch has a corner (a
    neuron reaches its threshold). Locate the corner exactly, and leave it along the adjacent
    piece (one-sided Jacobian with that neuron's state flipped), oriented so that the neuron
    moves into its new state. Returns ``(corner, tangent, "fold" | "border", neuron)``."""
    from ..fixed_points._problem import box_problem

    x, lam = y[:-1], float(y[-1])
    net = fam.net(lam)
    prob = box_problem(net, net.u)
    if prob is None:
        return None
    z = prob.drive(x)
    gap = np.minimum(np.abs(z - prob.lo), np.abs(z - prob.hi))
    scale = 1.0 + np.abs(z)
    order = np.argsort(gap / scale)
    n = x.size
    for k in order[:3]:
        bound = prob.lo[k] if abs(z[k] - prob.lo[k]) <= abs(z[k] - prob.hi[k]) else prob.hi[k]
        # Corner: F = 0 and z_k = bound, by Newton in (x, λ).
        yc = y.copy()
        ok = False
        for _ in range(20):
            xc, lc = yc[:-1], float(yc[-1])
            netc = fam.net(lc)
            pc = box_problem(netc, netc.u)
            zc = pc.drive(xc)
            row = np.append(pc.dense_A()[k], _zlam_normal(fam, xc, lc)[k])
            g = np.append(fam.F(xc, lc), zc[k] - bound)
            DG = tr.DG(yc)
            try:
                J = np.vstack([DG.toarray() if sp.issparse(DG) else DG, row[None, :]])
                dy = np.linalg.solve(J, -g)
            except np.linalg.LinAlgError:
                break
            yc = yc + dy
            if float(np.max(np.abs(dy))) <= 1e-13 * (1.0 + float(np.max(np.abs(yc)))):
                ok = True
                break
        if not ok or float(np.linalg.norm(yc - y)) > 1e-3 * (1.0 + float(np.linalg.norm(y))):
            continue
        xc, lc = yc[:-1], float(yc[-1])
        netc = fam.net(lc)
        pc = box_problem(netc, netc.u)
        A = pc.dense_A()
        zc = pc.drive(xc)
        zl = _zlam_normal(fam, xc, lc)
        # Every neuron at a threshold at the corner (several can reach it together, e.g. an
        # inhibitory neuron driven only by the excitatory neuron that just fell silent).
        dist = np.minimum(np.abs(zc - pc.lo), np.abs(zc - pc.hi))
        K = np.flatnonzero(dist <= 1e-9 * (1.0 + np.abs(zc)))
        if k not in K:
            K = np.append(K, k)
        K = K[:8]
        lin_in = (z > prob.lo) & (z < prob.hi)  # the incoming piece (state at y)
        best: tuple[float, FloatArray] | None = None
        for combo in range(1 << K.size):
            side = np.array([(combo >> b) & 1 for b in range(K.size)], dtype=bool)
            d = ((zc > pc.lo) & (zc < pc.hi)).astype(float)
            d[K] = side
            if np.array_equal(d.astype(bool), lin_in):
                continue
            _, sv, vt = np.linalg.svd(np.column_stack([d[:, None] * A - np.eye(n), d * zl]))
            if sv[-1] <= 1e-10 * max(1.0, sv[0]):
                continue  # the piece is not a curve here
            tc = vt[-1]
            for sign in (1.0, -1.0):
                tt = sign * tc
                dz = A[K] @ tt[:-1] + zl[K] * tt[-1]
                at_lo = np.abs(zc[K] - pc.lo[K]) <= np.abs(zc[K] - pc.hi[K])
                # linear side: the drive moves into the piece; saturated side: out of it
                into = np.where(at_lo, dz, -dz)
                tol_dz = 1e-9 * (1.0 + float(np.max(np.abs(dz))))
                good = np.where(side, into > -tol_dz, into < tol_dz)
                if not np.all(good) or tt @ t < -0.9:
                    continue
                score = float(tt @ t)
                if best is None or score > best[0]:
                    best = (score, tt)
        if best is None:
            continue
        tc = best[1]
        kind = "fold" if tc[-1] * t[-1] < 0 else "border"
        return yc, tc / np.linalg.norm(tc), kind, int(k)
    return None


def _zlam_normal(fam: Family, x: FloatArray, lam: float) -> FloatArray:
    """``∂/∂λ`` of the normal-form drive ``A x + b = c·(W x + u)`` (slopes ``c`` of the clips)."""
    from ..fixed_points._problem import clip_form

    net = fam.net(lam)
    c = np.array([(clip_form(a) or (1.0,))[0] for a in net.activations])
    return c * fam.zlam(x, lam)
