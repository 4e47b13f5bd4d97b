"""Adaptive integration with SciPy's solvers, one step at a time.

The step loop of :func:`scipy.integrate.solve_ivp` is reproduced here around SciPy's
``OdeSolver`` classes so that every step can be checked: divergence (non-finite or
``|x| > bound``) stops the run and keeps the finite part, ``max_steps`` is enforced, and
``until_steady`` stops when ``‖ẋ‖∞ < tol``. Output at ``t_eval`` uses each solver's dense
output, exactly as ``solve_ivp`` does. Stiff solvers (``BDF``, ``Radau``, ``LSODA``) get the
analytic Jacobian, sparse when ``W`` is sparse (dense for ``LSODA``, which cannot take sparse
matrices, up to :data:`LSODA_DENSE_JAC_LIMIT` neurons; above it, finite differences).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy import integrate

from .. import _limits
from .._limits import LSODA_LIMIT
from ..errors import SizeLimitError
from ._problem import Problem, divergence_message
from ._trajectory import Trajectory

__all__ = ["SCIPY_METHODS", "run_adaptive", "LSODA_DENSE_JAC_LIMIT"]

#: SciPy's adaptive solvers by name.
SCIPY_METHODS: dict[str, type[integrate.OdeSolver]] = {
    "RK23": integrate.RK23,
    "RK45": integrate.RK45,
    "DOP853": integrate.DOP853,
    "Radau": integrate.Radau,
    "BDF": integrate.BDF,
    "LSODA": integrate.LSODA,
}

#: Solvers whose ``f`` attribute is the vector field at the current point.
_FSAL = ("RK23", "RK45", "DOP853")

#: Largest n for which LSODA gets a dense analytic Jacobian.
LSODA_DENSE_JAC_LIMIT = _limits.LSODA_DENSE_JAC_LIMIT


def _jac_kwargs(prob: Problem, method: str) -> dict[str, Any]:
    if method in ("BDF", "Radau"):
        return {"jac": prob.jacobian}
    if method == "LSODA" and prob.n <= LSODA_DENSE_JAC_LIMIT:

        def dense_jac(t: float, x: NDArray[np.float64]) -> NDArray[np.float64]:
            J = prob.jacobian(t, x)
            return J.toarray() if sp.issparse(J) else np.asarray(J)

        return {"jac": dense_jac}
    return {}


class _Piece:
    """A stimulus restricted to one piece ``[a, b]`` between switching times.

    Inside the piece it is smooth; at ``b`` it takes the left limit, so a solver that evaluates
    at the end of the piece sees the value before the switch.
    """

    def __init__(self, stim: Any, a: float, b: float, n: int) -> None:
        self.stim, self.mid, self.n = stim, 0.5 * (a + b), n

    def __call__(self, t: float) -> NDArray[np.float64]:
        return self.stim.sample(np.array([t]), self.n, left=t > self.mid)[0]


def _pieces(prob: Problem) -> list[tuple[float, float, Problem]]:
    """``[(a, b, problem on [a, b]), …]``: split at the stimulus's switching times."""
    t0, t1 = prob.t0, prob.t1
    times = getattr(prob.u, "switching_times", None)
    if times is None:
        return [(t0, t1, prob)]
    tol = 1e-12 * max(1.0, abs(t0), abs(t1))
    inner = [t for t in times if t0 + tol < t < t1 - tol]
    edges = [t0, *inner, t1]
    return [
        (a, b, dataclasses.replace(prob, u=_Piece(prob.u, a, b, prob.n)))
        for a, b in itertools.pairwise(edges)
    ]


def run_adaptive(
    prob: Problem,
    method: str,
    *,
    t_eval: NDArray[np.float64] | None,
    rtol: float,
    atol: float,
    max_steps: int,
    until_steady: float | None,
) -> Trajectory:
    """Integrate ``prob`` with the SciPy solver ``method``; see :func:`~eicircuits.simulate`.

    A stimulus protocol is integrated piece by piece between its switching times (a new solver
    starts at each switch), so no step straddles a discontinuity.
    """
    if method == "LSODA" and prob.n > LSODA_LIMIT:
        raise SizeLimitError(
            f"method: 'LSODA' factors a dense {prob.n} × {prob.n} Jacobian "
            f"({8 * prob.n**2 / 2**30:.3g} GiB); it is allowed up to n = {LSODA_LIMIT}. Use "
            "method='BDF' or 'Radau' (sparse Jacobian) or a fixed-step method (dt=...)"
        )
    t0, t1 = prob.t0, prob.t1
    extra_fev = 0
    ts: list[float] = []
    xs: list[NDArray[np.float64]] = []
    idx = 0
    if t_eval is None:
        ts.append(t0)
        xs.append(prob.x0.copy())
    else:
        while idx < len(t_eval) and t_eval[idx] <= t0:
            ts.append(float(t_eval[idx]))
            xs.append(prob.x0.copy())
            idx += 1

    status: str | None = None
    message = ""
    steps = 0
    nfev = 0
    last_t, last_x = t0, prob.x0.copy()
    nonfinite: list[tuple[float, int, float]] = []
    pieces = _pieces(prob)

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for k, (a, b, piece) in enumerate(pieces):
            final_piece = k == len(pieces) - 1

            def field(t: float, x: NDArray[np.float64], piece: Problem = piece
                      ) -> NDArray[np.float64]:
                dx = piece.field(t, x)
                if not nonfinite and not np.all(np.isfinite(dx)):
                    i = int(np.flatnonzero(~np.isfinite(dx))[0])
                    nonfinite.append((t, i, float(dx[i])))
                return dx

            solver = SCIPY_METHODS[method](
                field, a, last_x.copy(), b, rtol=rtol, atol=atol, **_jac_kwargs(piece, method)
            )
            if until_steady is not None and k == 0:
                r0 = float(np.max(np.abs(piece.field(t0, prob.x0))))
                extra_fev += 1
                if r0 < until_steady:
                    status = "steady"
                    message = (f"steady from the start: ‖ẋ‖∞ = {r0:.3g} < {until_steady:g} at "
                               f"t = {t0:g}")
            while status is None:
                if steps >= max_steps:
                    status = "max_steps"
                    message = (
                        f"stopped after max_steps = {max_steps} steps at t = {solver.t:.6g} < "
                        f"t1 = {t1:g}; increase max_steps (or, if the steps are tiny, try a "
                        "stiff method such as 'BDF' or 'LSODA')"
                    )
                    break
                t_prev, x_prev = solver.t, np.array(solver.y)
                msg = solver.step()
                steps += 1
                if solver.status == "failed" and nonfinite:
                    tb, ib, _ = nonfinite[0]
                    status = "diverged"
                    message = divergence_message(prob, tb, ib, math.nan, t_prev)
                    break
                if solver.status == "failed":
                    status = "failed"
                    message = (
                        f"{method} failed at t = {solver.t:.6g}: {msg}. Try a stiff method "
                        "('BDF', 'Radau', 'LSODA') or looser rtol/atol."
                    )
                    break
                t, y = float(solver.t), solver.y
                bad = prob.first_bad(y)
                if bad >= 0:
                    status = "diverged"
                    message = divergence_message(prob, t, bad, float(y[bad]), t_prev)
                    last_t, last_x = t_prev, x_prev
                    break
                last_t, last_x = t, np.array(y)
                if t_eval is None:
                    ts.append(t)
                    xs.append(np.array(y))
                else:
                    # a switching time in t_eval belongs to the piece that starts there
                    side = "right" if final_piece else "left"
                    hi = int(np.searchsorted(t_eval, t, side=side))
                    if hi > idx:
                        sol = solver.dense_output()
                        vals = np.atleast_2d(sol(t_eval[idx:hi]).T)
                        ts.extend(float(s) for s in t_eval[idx:hi])
                        xs.extend(vals)
                        idx = hi
                if until_steady is not None:
                    if method in _FSAL:  # the explicit RK solvers keep f(t, y) of the new point
                        r = float(np.max(np.abs(solver.f)))
                    else:
                        r = float(np.max(np.abs(piece.field(t, y))))
                        extra_fev += 1
                    if r < until_steady:
                        status = "steady"
                        message = f"steady: ‖ẋ‖∞ = {r:.3g} < {until_steady:g} at t = {t:.6g}"
                        break
                if solver.status == "finished":
                    if final_piece:
                        status = "success"
                        message = f"integrated to t = {t1:g} in {steps} steps"
                        if len(pieces) > 1:
                            message += f" ({len(pieces)} pieces between switching times)"
                    break
            nfev += int(solver.nfev)
            if status is not None:
                break
    if t_eval is not None and status == "success" and idx < len(t_eval):
        ts.extend(float(s) for s in t_eval[idx:])  # pragma: no cover - only t1 can remain
        xs.extend([last_x] * (len(t_eval) - idx))
    if status != "success" and (not ts or ts[-1] != last_t):
        ts.append(last_t)
        xs.append(last_x)
    x = np.array(xs, dtype=float).reshape(len(ts), prob.n)
    return Trajectory(
        t=np.array(ts, dtype=float),
        x=x,
        status=status,
        message=message,
        form=prob.form,
        method=method,
        nfev=nfev + extra_fev,
        steps=steps,
        net=prob.net,
        u=prob.u,
        dt=None,
    )
