"""Bifurcation diagrams for the reproduction
(docs/theory.md §8): each returns ``(Figure, numbers)``.

``continuation_wilson_cowan``
    The worked ISN example ``W = [[2, −3], [3, −1]]``: the exact branch along ``u_E`` (folds
    at ``−4/3`` and ``0``, three equilibria in between, checked against support enumeration);
    the leading eigenvalue along ``τ_I`` with the Hopf point at ``τ_I/τ_E = 2``; and the Hopf
    curve in ``(w_EE, τ_I/τ_E)`` traced by codimension-one continuation against
    ``(1 + w_II)/(w_EE − 1)``.
``continuation_winner_take_all``
    The local-wiring lateral-inhibition motif as the inhibition ``c`` grows through
    ``a + bc/(1 + d) = 1``: the all-active state is lost and single-winner branches appear at
    folds; every branch checked against :func:`~eicircuits.equilibria` on a grid.

Examples
--------
>>> from eicircuits.reproduce.diagrams import continuation_wilson_cowan
>>> fig, numbers = continuation_wilson_cowan(quick=True)
>>> numbers["folds_measured"], round(numbers["hopf_measured"], 12)
([-1.3333333333333333, 0.0], 2.0)
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ..circuits import lateral_inhibition, wilson_cowan
from ..continuation import continuation, hopf_curve, plot_diagram

__all__ = ["DIAGRAMS", "CHECKS", "CAPTIONS", "continuation_wilson_cowan",
           "continuation_winner_take_all"]

#: The local motif of the winner-take-all diagram (docs/theory.md §5, wiring L).
WTA = dict(m=3, a=0.3, b=1.0, d=0.5, u=[1.0, 1.1, 1.25])


def continuation_wilson_cowan(quick: bool = False) -> tuple[Figure, dict[str, Any]]:
    """The ISN example: exact branch in ``u_E``, Hopf point in ``τ_I``, Hopf curve."""
    from .. import equilibria

    t0 = time.perf_counter()
    fig = Figure(figsize=(13.0, 4.2), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    # (a) exact branch along u_E with u_I = −4
    net = wilson_cowan(2.0, 3.0, 3.0, 1.0, u_i=-4.0)
    res = continuation(net, direction=[1.0, 0.0], span=(-3.0, 2.0), parameter="u_E")
    plot_diagram(res, neuron="E", ax=ax1, title="(a) ISN along u_E (u_I = −4): exact path")
    grid = np.linspace(-2.95, 1.95, 25 if quick else 99)
    agree = 0
    for k, ue in enumerate(grid):
        eqs = equilibria(net, u=[ue, -4.0])
        ax1.scatter([ue] * len(eqs), [e.x[0] for e in eqs], s=9, color="0.6", zorder=1,
                    label="equilibria() (support enumeration)" if k == 0 else None)
        agree += len(eqs) == res.count_at(ue)
    _extend_legend(ax1, loc="upper left")
    # (b) τ_I family: the equilibrium does not move, stability does
    u = (1.0, 0.5)

    def fam(tau_i: float) -> Any:
        return wilson_cowan(2.0, 3.0, 3.0, 1.0, tau_i=tau_i, u_e=u[0], u_i=u[1])

    res_tau = continuation(fam, span=(0.5, 4.0), parameter="τ_I")
    br = res_tau.branches[0]
    lead = br.eigenvalues[:, 0].real
    seg = br.segment_stable
    for j in range(br.m - 1):
        ax2.plot(br.lam[j:j + 2], lead[j:j + 2], color="C0", ls="-" if seg[j] else "--")
    (hopf,) = res_tau.hopf
    ax2.axhline(0.0, color="0.5", lw=0.8)
    ax2.plot([hopf.lam], [0.0], "s", color="tab:red",
             label=f"Hopf τ_I = {hopf.lam:.12g} (closed form 2), ω = {hopf.eigenvalue.imag:.4g}")
    ax2.set_xlabel("τ_I  (τ_E = 1)")
    ax2.set_ylabel("Re of the leading eigenvalue")
    ax2.set_title("(b) stability along τ_I at u = (1, ½); x* = (1/14, 5/14) fixed", fontsize=10)
    ax2.legend(fontsize=7, frameon=False, loc="lower right")
    # (c) Hopf curve in (w_EE, τ_I/τ_E)

    def fam2(tau_i: float, w_ee: float) -> Any:
        return wilson_cowan(w_ee, 3.0, 3.0, 1.0, tau_i=tau_i, u_e=u[0], u_i=u[1])

    curve = hopf_curve(fam2, hopf.x, hopf.lam, 2.0, (1.4, 4.0),
                       max_step=0.2 if quick else 0.05)
    wee = np.linspace(1.3, 4.1, 200)
    ax3.plot(wee, 2.0 / (wee - 1.0), color="0.6", lw=5, alpha=0.5,
             label="closed form (1 + w_II)/(w_EE − 1)")
    ax3.plot(curve.mu, curve.lam, "k.-", ms=3, lw=1, label="hopf_curve (continued)")
    ax3.fill_between(wee, 2.0 / (wee - 1.0), 8.0, color="#dd8452", alpha=0.25,
                     label="oscillatory (unstable focus)")
    ax3.fill_between(wee, 0.0, 2.0 / (wee - 1.0), color="#55a868", alpha=0.25,
                     label="ISN-stable")
    ax3.set_ylim(0.0, 8.0)
    ax3.set_xlim(1.3, 4.1)
    ax3.set_xlabel("w_EE")
    ax3.set_ylabel("τ_I / τ_E")
    ax3.set_title("(c) Hopf curve by codimension-one continuation", fontsize=10)
    ax3.legend(fontsize=7, frameon=False, loc="upper right")
    err = float(np.max(np.abs(curve.lam - 2.0 / (curve.mu - 1.0))))
    at = res.points_at(-1.0)
    return fig, {
        "folds_measured": [f.lam for f in res.folds], "folds_predicted": [-4.0 / 3.0, 0.0],
        "equilibria_at_u_E_minus_1": sorted(at.tolist()),
        "grid_points": int(grid.size), "grid_counts_agree": int(agree),
        "hopf_measured": hopf.lam, "hopf_predicted": 2.0,
        "hopf_omega": hopf.eigenvalue.imag, "hopf_omega_predicted": float(np.sqrt(7.0 / 2.0)),
        "hopf_curve_points": int(curve.lam.size), "hopf_curve_max_error": err,
        "hopf_curve_success": bool(curve.success), "seconds": time.perf_counter() - t0,
    }


def continuation_winner_take_all(quick: bool = False) -> tuple[Figure, dict[str, Any]]:
    """Local lateral inhibition as ``c`` crosses ``a + bc/(1 + d) = 1``: the rate of every E
    neuron on every branch, against support enumeration."""
    from .. import equilibria

    t0 = time.perf_counter()
    a, b, d = WTA["a"], WTA["b"], WTA["d"]
    c_star = (1.0 - a) * (1.0 + d) / b

    def fam(c: float) -> Any:
        return lateral_inhibition(WTA["m"], a=a, b=b, c=c, d=d, wiring="local", u=WTA["u"])

    res = continuation(fam, span=(0.2, 2.0), parameter="c (I→E weight)",
                       max_step=0.06 if quick else 0.02)
    fig = Figure(figsize=(13.0, 4.0), layout="constrained")
    axes = fig.subplots(1, 3, sharey=True)
    grid = np.linspace(0.21, 1.99, 15 if quick else 60)
    agree = 0
    for k, c in enumerate(grid):
        eqs = equilibria(fam(float(c)))
        agree += len(eqs) == res.count_at(float(c))
        for i, ax in enumerate(axes):
            ax.scatter([c] * len(eqs), [e.x[i] for e in eqs], s=9, color="0.6", zorder=1,
                       label="equilibria() (support enumeration)" if k == 0 else None)
    for i, ax in enumerate(axes):
        plot_diagram(res, neuron=i, ax=ax, borders=False,
                     title=f"E{i} (input {WTA['u'][i]:g})")
        ax.axvline(c_star, color="k", lw=0.8, ls=":",
                   label=f"a + bc/(1 + d) = 1 (c = {c_star:.3g})")
        ax.set_ylabel("rate of the E neuron" if i == 0 else "")
        if i == 0:
            _extend_legend(ax, loc="upper left")
        else:
            ax.get_legend().remove()
    fig.suptitle(f"Local lateral inhibition (m = 3, a = {a}, b = {b}, d = {d}): branches in "
                 "the inhibition c; single-winner states appear at folds past the threshold",
                 fontsize=10)
    return fig, {
        "c_star": c_star, "folds": [f.lam for f in res.folds],
        "grid_points": int(grid.size), "grid_counts_agree": int(agree),
        "count_below_threshold": res.count_at(0.5 * c_star), "count_at_c_2": res.count_at(1.99),
        "success": bool(res.success), "seconds": time.perf_counter() - t0,
    }


def _extend_legend(ax: Any, *, loc: str) -> None:
    """The diagram's legend (stable, unstable, folds…) plus the axes' own labelled artists."""
    leg = ax.get_legend()
    handles = list(leg.legend_handles) if leg is not None else []
    labels = [t.get_text() for t in leg.get_texts()] if leg is not None else []
    more_h, more_l = ax.get_legend_handles_labels()
    ax.legend(handles + more_h, labels + more_l, fontsize=7, frameon=False, loc=loc)


def _check_wc(n: dict[str, Any]) -> tuple[bool, str]:
    m = n["continuation_wilson_cowan"]
    folds_ok = all(abs(a - b) < 1e-12 for a, b in zip(m["folds_measured"], m["folds_predicted"],
                                                      strict=True))
    ok = (folds_ok and abs(m["hopf_measured"] - 2.0) < 1e-9
          and m["grid_counts_agree"] == m["grid_points"] and m["hopf_curve_max_error"] < 1e-8)
    return ok, (f"folds at u_E = {m['folds_measured']} (exact −4/3, 0); "
                f"{m['grid_counts_agree']}/{m['grid_points']} grid inputs: branch count = "
                f"enumeration; Hopf τ_I = {m['hopf_measured']:.12g} (2); Hopf curve max error "
                f"{m['hopf_curve_max_error']:.1e}")


def _check_wta(n: dict[str, Any]) -> tuple[bool, str]:
    m = n["continuation_winner_take_all"]
    ok = (m["success"] and m["grid_counts_agree"] == m["grid_points"]
          and m["count_below_threshold"] == 1 and all(f > m["c_star"] for f in m["folds"]))
    return ok, (f"{m['grid_counts_agree']}/{m['grid_points']} grid points agree with "
                f"enumeration; one equilibrium below c* = {m['c_star']:.3g}, "
                f"{m['count_at_c_2']} at c = 1.99; folds at c = "
                + ", ".join(f"{f:.4g}" for f in m["folds"]))


#: figure name -> builder (merged into the reproduction's figures).
DIAGRAMS = {
    "continuation_wilson_cowan": continuation_wilson_cowan,
    "continuation_winner_take_all": continuation_winner_take_all,
}
#: check name -> function(numbers) -> (passed, summary).
CHECKS = {
    "continuation_folds_and_hopf": _check_wc,
    "continuation_wta_matches_equilibria": _check_wta,
}
CAPTIONS = {
    "continuation_wilson_cowan": "Continuation of the worked ISN example: (a) the exact "
    "piecewise-linear branch along u_E with its two folds (grey: support enumeration); (b) the "
    "leading eigenvalue along τ_I crossing zero at the Hopf point τ_I/τ_E = 2 while x* stays "
    "put; (c) the Hopf curve continued in (w_EE, τ_I/τ_E) on the closed form.",
    "continuation_winner_take_all": "Local lateral inhibition: every equilibrium branch as the "
    "inhibition c grows; past a + bc/(1 + d) = 1 (dotted) single-winner states appear in fold "
    "pairs (grey: support enumeration).",
}
