"""One function per figure of the reproduction: each returns ``(Figure, numbers)``.

Every function builds its figure with :class:`matplotlib.figure.Figure` (no pyplot state, any
backend) and returns the measured numbers behind it as a JSON-ready dict, each measured value
next to its closed-form prediction where one exists. ``quick=True`` uses coarser grids and
fewer simulations (same checks).

Examples
--------
>>> from eicircuits.reproduce.figures import paradoxical_effect
>>> fig, numbers = paradoxical_effect(quick=True)
>>> round(numbers["isn"]["slope_measured"] * 7, 6)
-1.0
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import LogLocator, MaxNLocator, NullFormatter, ScalarFormatter

from ..circuits import (
    DEFAULT_COLUMN,
    REGIMES,
    contrast,
    contrast_gain,
    cortical_column,
    differential_gain,
    hopf_ratio,
    lateral_inhibition,
    layer_contrasts,
    layer_groups,
    layered_winner_depth,
    local_differential_gain,
    motif_r,
    paradoxical_response,
    random_ei,
    shared_inhibition_equilibrium,
    wilson_cowan,
    wilson_cowan_regime,
    winner,
    winner_depth,
)
from ..errors import EICircuitsError
from ..games.plots import direction_arrows
from ..network import Network

__all__ = [
    "FIGURES",
    "ISN",
    "wilson_cowan_phase_portraits",
    "wilson_cowan_regime_map",
    "paradoxical_effect",
    "neuron_energies",
    "lateral_inhibition_contrast",
    "column_contrast_depth",
    "stability_certificates",
]

#: The worked ISN example of docs/theory.md §5: ``W = [[2, −3], [3, −1]]``.
ISN = dict(w_ee=2.0, w_ei=3.0, w_ie=3.0, w_ii=1.0)
#: The shared motif of docs/theory.md §5's contrast-gain numbers.
MOTIF = dict(m=5, b=2.0, c=2.0, d=0.5, u=[1.00, 1.02, 1.04, 1.06, 1.08])
REGIME_COLORS = {"lds-stable": "#4c72b0", "isn-stable": "#55a868", "oscillatory": "#dd8452",
                 "runaway": "#c44e52", "bistable": "#8172b3", "undecided": "#bbbbbb"}


def _equilibria(net: Network) -> list[Any]:
    from .. import equilibria

    return list(equilibria(net))


def _trajectory(net: Network, x0: Any, t1: float, n: int = 600) -> np.ndarray:
    from .. import simulate

    tr = simulate(net, np.asarray(x0, dtype=float), (0.0, t1),
                  t_eval=np.linspace(0.0, t1, n), rtol=1e-9, atol=1e-11)
    if not tr.success:
        raise EICircuitsError(f"simulation of {net!r} failed: {tr.message}")
    return np.asarray(tr.x, dtype=float)


def _phase_panel(ax: Any, net: Network, starts: list[list[float]], t1: float,
                 box: tuple[float, float, float, float], title: str) -> dict[str, Any]:
    from .. import game

    x0, x1, y0, y1 = box
    X, Y = np.meshgrid(np.linspace(x0, x1, 301), np.linspace(y0, y1, 301))
    pts = np.stack([X.ravel(), Y.ravel()], axis=1)
    F = (net.phi(pts @ net.dense_W().T + net.u) - pts) / net.tau
    FE = F[:, 0].reshape(X.shape)
    FI = F[:, 1].reshape(X.shape)
    ax.contour(X, Y, FE, levels=[0.0], colors="C0", linewidths=1.5)
    ax.contour(X, Y, FI, levels=[0.0], colors="C3", linewidths=1.5)
    ax.plot([], [], color="C0", label="E nullcline")
    ax.plot([], [], color="C3", label="I nullcline")
    for k, s in enumerate(starts):
        tr = _trajectory(net, s, t1)
        ax.plot(tr[:, 0], tr[:, 1], color="0.45", linewidth=0.9,
                label="trajectories (dot: start, arrows: direction)" if k == 0 else None)
        ax.plot([s[0]], [s[1]], ".", color="0.45")
        direction_arrows(ax, tr, color="0.3", at=(0.08, 0.4))
    g = game(net)
    eqs = []
    for e in _equilibria(net):
        nash = bool(g.is_nash(e.x))
        style = dict(marker="o", markersize=9, linestyle="none", zorder=5)
        if e.stable:
            ax.plot(*e.x, color="k", **style)
        else:
            ax.plot(*e.x, markerfacecolor="white", markeredgecolor="k", **style)
        regret = g.regret(e.x)
        eqs.append({"x": e.x.tolist(), "stable": bool(e.stable), "nash": nash,
                    "regret": [float(r) if np.isfinite(r) else "inf" for r in regret],
                    "eigenvalues": [[float(v.real), float(v.imag)] for v in e.eigenvalues]})
    ax.plot([], [], "ko", label="stable equilibrium")
    ax.plot([], [], "o", markerfacecolor="white", markeredgecolor="k", label="unstable")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("r_E")
    ax.set_ylabel("r_I")
    ax.set_title(title, fontsize=9)
    return {"u": net.u.tolist(), "tau": net.tau.tolist(), "equilibria": eqs}


def wilson_cowan_phase_portraits(quick: bool = False) -> tuple[Figure, dict[str, Any]]:
    """Phase portraits of the worked ISN example: ``u = (1, ½)`` and the bistable ``(−1, −4)``.

    Nullclines, trajectories (:func:`eicircuits.simulate`), equilibria (support enumeration)
    filled when stable, with their Nash status from the game (the E neuron has ``W_EE = 2 > 1``:
    a concave player, so no equilibrium is a Nash equilibrium in the strict sense; its regret
    is reported).
    """
    fig = Figure(figsize=(10, 4.8), layout="constrained")
    axes = fig.subplots(1, 2)
    n_traj = 3 if quick else 6
    rng = np.random.default_rng(0)
    starts1 = [[0.02, 0.6], [0.3, 0.05], *rng.uniform(0, 0.5, (n_traj - 2, 2)).tolist()]
    one = _phase_panel(axes[0], wilson_cowan(**ISN, u_e=1.0, u_i=0.5), starts1, 30.0,
                       (0, 0.5, 0, 0.7), "W = [[2, −3], [3, −1]], u = (1, ½): one ISN state")
    starts2 = [[1.2, 0.05], [2.2, 0.2], [0.5, 0.3],
               *rng.uniform(0, 2.5, (n_traj - 3, 2)).tolist()]
    two = _phase_panel(axes[1], wilson_cowan(**ISN, u_e=-1.0, u_i=-4.0), starts2, 30.0,
                       (0, 2.5, 0, 0.6), "u = (−1, −4): quiescent, saddle, active focus")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=5, fontsize=8, frameon=False)
    fig.suptitle("Wilson–Cowan phase portraits (ReLU, τ = 1)", fontsize=10)
    return fig, {"unique": one, "bistable": two,
                 "regime_unique": str(wilson_cowan_regime(**ISN, u_e=1.0, u_i=0.5)),
                 "regime_bistable": str(wilson_cowan_regime(**ISN, u_e=-1.0, u_i=-4.0))}


def _classify_by_simulation(params: dict[str, float]) -> str:
    """Coarse simulation verdict for one map point: 'converges', 'cycles' or 'diverges'."""
    from scipy.integrate import solve_ivp

    net = wilson_cowan(**params)

    def hit(t: float, x: np.ndarray) -> float:
        # oscillations near the runaway boundary reach ~1e7 and come back: only 1e12 is runaway
        return float(np.max(np.abs(x))) - 1e12

    hit.terminal = True  # type: ignore[attr-defined]
    sol = solve_ivp(lambda t, x: net.rate_field(x), (0.0, 150.0), np.array([0.05, 0.05]),
                    method="DOP853", rtol=1e-9, atol=1e-12, events=hit, dense_output=True)
    if sol.status == 1:
        return "diverges"
    tail = sol.sol(np.linspace(120.0, 150.0, 300))
    return "converges" if float(np.max(np.ptp(tail, axis=1))) < 1e-6 else "cycles"


def wilson_cowan_regime_map(quick: bool = False) -> tuple[Figure, dict[str, Any]]:
    """Regimes over ``(w_EE, τ_I/τ_E)`` with the LDS boundary ``w_EE = 1`` and the Hopf curve.

    ``w_EI = w_IE = 3``, ``w_II = 1``, ``u = (1, ½)``. Points drawn at random from the map are
    simulated (DOP853) and compared with their label.
    """
    n = 200 if quick else 1000
    fixed = dict(w_ei=3.0, w_ie=3.0, w_ii=1.0, u_e=1.0, u_i=0.5)
    wee = np.linspace(0.0, 7.0, n)
    ratio = np.linspace(0.1, 5.0, n)
    WEE, R = np.meshgrid(wee, ratio)
    t0 = time.perf_counter()
    regimes = wilson_cowan_regime(WEE, 3.0, 3.0, 1.0, tau_i=R, u_e=1.0, u_i=0.5)
    elapsed = time.perf_counter() - t0
    codes = np.zeros(regimes.shape, dtype=int)
    for k, name in enumerate(REGIMES):
        codes[regimes == name] = k
    from matplotlib.colors import ListedColormap

    fig = Figure(figsize=(8.4, 4.6), layout="constrained")
    ax = fig.subplots()
    cmap = ListedColormap([REGIME_COLORS.get(r, "#999999") for r in REGIMES])
    ax.imshow(codes, origin="lower", extent=(wee[0], wee[-1], ratio[0], ratio[-1]),
              aspect="auto", cmap=cmap, vmin=-0.5, vmax=len(REGIMES) - 0.5,
              interpolation="nearest")
    ax.axvline(1.0, color="k", linewidth=1.5, label="LDS boundary w_EE = 1")
    wh = np.linspace(1.0 + 1e-3, 7.0, 400)
    ax.plot(wh, hopf_ratio(wh, 1.0), "k--", linewidth=1.2,
            label="Hopf τ_I/τ_E = (1 + w_II)/(w_EE − 1)")
    d0 = 1.0 + 9.0 / 2.0
    ax.axvline(d0, color="k", linestyle=":", linewidth=1.2, label="det = 0 (w_EE = 5.5)")
    for name in REGIMES:
        ax.plot([], [], "s", color=REGIME_COLORS.get(name, "#999999"), label=name)
    ax.set_ylim(ratio[0], ratio[-1])
    ax.set_xlabel("w_EE")
    ax.set_ylabel("τ_I / τ_E")
    ax.set_title("Wilson–Cowan regimes (w_EI = w_IE = 3, w_II = 1, u = (1, ½))", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    # verify random points by simulation
    rng = np.random.default_rng(1)
    expect = {"lds-stable": "converges", "isn-stable": "converges", "oscillatory": "cycles",
              "runaway": "diverges"}
    checked = agreed = 0
    for _ in range(8 if quick else 40):
        i, j = rng.integers(0, n, size=2)
        label = str(regimes[i, j])
        tr = (WEE[i, j] - 1) - 2.0 / R[i, j]
        if label == "bistable" or abs(tr) < 0.05 or abs(WEE[i, j] - 1) < 0.05:
            continue
        verdict = _classify_by_simulation(dict(w_ee=float(WEE[i, j]), tau_i=float(R[i, j]),
                                               **fixed))
        checked += 1
        agreed += verdict == expect[label]
    fractions = {name: float(np.mean(regimes == name)) for name in REGIMES}
    return fig, {"grid": [n, n], "seconds": elapsed, "fractions": fractions,
                 "hopf_ratio_worked_example": float(hopf_ratio(2.0, 1.0)),
                 "det_zero_w_ee": d0, "simulated_points": checked, "agreeing": agreed}


def paradoxical_effect(quick: bool = False) -> tuple[Figure, dict[str, Any]]:
    """``r_I*`` against ``u_I``: it rises in an LDS circuit and falls in the ISN (τ-free).

    Left: slopes measured from :func:`eicircuits.equilibrium` by least squares over the
    all-active range, next to ``(1 − w_EE)/((1 − w_EE)(1 + w_II) + w_EI w_IE)``. Right: the
    ISN's response to a step of ``u_I`` from 0.4 to 0.55 at ``t = 20``
    (:func:`eicircuits.simulate` with a time-dependent input): ``r_I`` settles lower.
    """
    from .. import equilibrium, simulate

    cases = {"lds": dict(w_ee=0.5, w_ei=3.0, w_ie=3.0, w_ii=1.0),
             "isn": dict(ISN)}
    ui = np.linspace(0.3, 0.6, 7 if quick else 31)  # both neurons active (x_E > 0 below 2/3)
    fig = Figure(figsize=(10.0, 4.0), layout="constrained")
    ax, ax2 = fig.subplots(1, 2)
    out: dict[str, Any] = {}
    for name, p in cases.items():
        rI = np.array([equilibrium(wilson_cowan(**p, u_e=1.0, u_i=float(v))).x[1] for v in ui])
        slope = float(np.polyfit(ui, rI, 1)[0])
        pred = float(paradoxical_response(**p))
        label = f"{name.upper()} (w_EE = {p['w_ee']}): slope {slope:.4f}, predicted {pred:.4f}"
        ax.plot(ui, rI, "o-", markersize=3, label=label)
        out[name] = {"params": p, "slope_measured": slope, "slope_predicted": pred,
                     "u_i": ui.tolist(), "r_i": rI.tolist()}
    ax.set_xlabel("input to the I population u_I (u_E = 1)")
    ax.set_ylabel("equilibrium r_I*")
    ax.set_title("Paradoxical response: more drive to I, less I activity (ISN)", fontsize=9)
    ax.legend(fontsize=8)

    net = wilson_cowan(**ISN, u_e=1.0, u_i=0.4)
    x0 = equilibrium(net).x
    t_step, t_end, lo, hi = 20.0, 60.0, 0.4, 0.55

    def drive(t: float) -> np.ndarray:
        return np.array([1.0, hi if t >= t_step else lo])

    ts = np.linspace(0.0, t_end, 301 if quick else 1201)
    tr = simulate(net, x0, (0.0, t_end), u=drive, t_eval=ts, rtol=1e-10, atol=1e-12)
    xs = np.asarray(tr.x, dtype=float)
    ax2.plot(ts, xs[:, 0], label="r_E")
    ax2.plot(ts, xs[:, 1], label="r_I")
    ax2.axvline(t_step, color="k", linestyle=":", linewidth=1, label="u_I: 0.4 → 0.55")
    ax2.set_xlabel("time (units of τ)")
    ax2.set_ylabel("rate")
    ax2.set_title("ISN: a step up in the I population's input lowers r_I", fontsize=9)
    ax2.legend(fontsize=8)
    after = equilibrium(net.with_input([1.0, hi])).x
    out["step"] = {"u_i": [lo, hi], "t_step": t_step, "status": str(tr.status),
                   "r_i_before": float(xs[ts < t_step][-1, 1]), "r_i_end": float(xs[-1, 1]),
                   "r_i_after_equilibrium": float(after[1]),
                   "predicted_change": float(paradoxical_response(**ISN)) * (hi - lo)}
    return fig, out


def neuron_energies(quick: bool = False) -> tuple[Figure, dict[str, Any]]:
    """Each neuron's own energy at an equilibrium: an LDS circuit and the ISN example.

    Uses :func:`eicircuits.games.plots.plot_energy`. In the LDS circuit both neurons sit at the
    minimum of their energies (a Nash equilibrium); in the ISN the E neuron's energy is concave
    (``W_EE > 1``): its rate is a stationary point, not a best response (regret ``∞``).
    """
    from .. import equilibrium, game
    from ..games.plots import plot_energy

    fig = Figure(figsize=(10, 7.2), layout="constrained")
    axes = fig.subplots(2, 2)
    out: dict[str, Any] = {}
    for row, (name, p) in enumerate((("lds", dict(w_ee=0.5, w_ei=3.0, w_ie=3.0, w_ii=1.0)),
                                     ("isn", dict(ISN)))):
        net = wilson_cowan(**p, u_e=1.0, u_i=0.5)
        x = equilibrium(net).x
        g = game(net)
        for col in range(2):
            plot_energy(net, col, x, num=100 if quick else 400, ax=axes[row, col])
        regret = g.regret(x)
        out[name] = {"x": x.tolist(), "nash": bool(g.is_nash(x)),
                     "regret": [float(r) if np.isfinite(r) else "inf" for r in regret],
                     "concave_players": [int(k) for k in g.concave_players]}
    fig.suptitle("Per-neuron energies at the equilibrium: LDS (top), ISN (bottom)", fontsize=10)
    return fig, out


def lateral_inhibition_contrast(quick: bool = False) -> tuple[Figure, dict[str, Any]]:
    """Contrast gain of the shared motif against ``a``, and the local wiring's WTA transition.

    Left: ``C(x*)/C(u)`` for ``m = 5``, ``b = c = 2``, ``d = 0.5``, ``u = (1.00, …, 1.08)`` from
    :func:`eicircuits.equilibrium`, with the water-filling closed form and THEORY's four points.
    Right: the local wiring (``m = 4``, ``b = 1``, ``c = 0.8``, ``d = 1``) started from rest:
    active E neurons and the measured all-active differential gain against
    ``1/(1 − a − bc/(1 + d))``; winner-take-all once ``a + bc/(1 + d) ≥ 1``.
    """
    from .. import simulate

    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    m, b, c, d, u = MOTIF["m"], MOTIF["b"], MOTIF["c"], MOTIF["d"], MOTIF["u"]
    a_grid = np.linspace(0.0, 0.97, 25 if quick else 98)
    measured = [contrast_gain(lateral_inhibition(m, a=float(a), b=b, c=c, d=d, u=u))
                for a in a_grid]
    closed = []
    for a in a_grid:
        wf = shared_inhibition_equilibrium(u, a=float(a), b=b, c=c, d=d)
        closed.append(float(contrast(wf.x[:m]) / contrast(u)))
    ax1.plot(a_grid, closed, "-", color="C0", label="water-filling closed form")
    ax1.plot(a_grid, measured, ".", color="C1", markersize=4, label="equilibrium() (LCP)")
    points = {}
    for a in (0.0, 0.5, 0.8, 0.95):  # the four cases quoted in docs/theory.md §5
        net = lateral_inhibition(m, a=a, b=b, c=c, d=d, u=u)
        gain = contrast_gain(net)
        wf = shared_inhibition_equilibrium(u, a=a, b=b, c=c, d=d)
        at_a = float(contrast(wf.x[:m]) / contrast(u))
        points[str(a)] = {"measured": gain, "closed_form": at_a, "active": wf.n_active,
                          "r": wf.r}
        ax1.plot([a], [at_a], "k*", markersize=9)
    ax1.plot([], [], "k*", label="the cases of docs/theory.md §5")
    ax1.set_yscale("log")
    ax1.yaxis.set_major_formatter(ScalarFormatter())
    ax1.yaxis.set_minor_formatter(NullFormatter())
    ax1.set_yticks([4, 6, 10, 15, 20, 26])
    ax1.set_xlabel("E self-excitation a")
    ax1.set_ylabel("contrast gain C(x*)/C(u)")
    ax1.set_title("Shared inhibition (m = 5, b = c = 2, d = 0.5)", fontsize=9)
    ax1.legend(fontsize=8)

    bL, cL, dL, mL = 1.0, 0.8, 1.0, 4
    uL = np.array([1.00, 1.01, 1.02, 1.03])
    aL = np.linspace(0.0, 0.95, 12 if quick else 39)
    k_lin = aL + bL * cL / (1 + dL)
    n_active, gains, preds, winners = [], [], [], []
    for a in aL:
        net = lateral_inhibition(mL, a=float(a), b=bL, c=cL, d=dL, wiring="local", u=uL)
        tr = simulate(net, np.zeros(2 * mL), (0.0, 400.0), t_eval=[400.0], rtol=1e-9,
                      atol=1e-11)
        x = np.asarray(tr.x, dtype=float)[-1]
        n_active.append(int(np.sum(x[:mL] > 1e-9 * max(1.0, x.max()))))
        winners.append(winner(x, net))
        if a + bL * cL / (1 + dL) < 1:
            gains.append(differential_gain(net))
            preds.append(local_differential_gain(float(a), bL, cL, dL))
        else:
            gains.append(float("nan"))
            preds.append(float("nan"))
    ax2.plot(k_lin, n_active, "o-", color="C2", label="active E neurons (from rest)")
    ax2.axvline(1.0, color="k", linestyle=":", label="a + bc/(1 + d) = 1")
    ax2.set_xlabel("a + bc/(1 + d)")
    ax2.set_ylabel("active E neurons (green)")
    ax2.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax2.set_ylim(0.5, mL + 0.5)
    ax3 = ax2.twinx()
    ax3.plot(k_lin, gains, "s", color="C4", markersize=4, label="differential gain (measured)")
    ax3.plot(k_lin, preds, "-", color="C4", linewidth=1, label="1/(1 − a − bc/(1 + d))")
    ax3.set_yscale("log")
    ax3.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax3.yaxis.set_major_formatter(ScalarFormatter())
    ax3.yaxis.set_minor_formatter(NullFormatter())
    ax3.set_ylabel("differential gain (purple)")
    ax2.set_title("Local inhibition (m = 4): transition to winner-take-all", fontsize=9)
    lines = ax2.get_legend_handles_labels()
    lines3 = ax3.get_legend_handles_labels()
    ax2.legend(lines[0] + lines3[0], lines[1] + lines3[1], fontsize=7, ncol=2,
               loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    finite = [(g, p) for g, p in zip(gains, preds, strict=True) if np.isfinite(p)]
    wta_from = next((float(k) for k, n_a in zip(k_lin, n_active, strict=True) if n_a == 1), None)
    return fig, {
        "shared": {"a": a_grid.tolist(), "gain_measured": measured, "gain_closed_form": closed,
                   "theory_points": points},
        "local": {"b": bL, "c": cL, "d": dL, "u": uL.tolist(), "a": aL.tolist(),
                  "n_active": n_active, "winner": winners,
                  "max_rel_error_differential_gain": max(abs(g - p) / p for g, p in finite),
                  "first_single_winner_at_a_plus_bc_over_1_plus_d": wta_from},
    }


def column_contrast_depth(quick: bool = False) -> tuple[Figure, dict[str, Any]]:
    """Contrast compounding with depth: the default column and two-channel columns.

    Left: contrast per layer of :data:`~eicircuits.circuits.DEFAULT_COLUMN` (5 channels, inputs
    1 % apart), and the number of active E neurons. Right: for two channels, measured depth of
    the first single winner against ``⌈log(1/C₀)/log(1 + 2r)⌉`` over input differences.
    """
    from .. import certify, equilibrium

    fig = Figure(figsize=(10, 4.2), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    net = cortical_column(**DEFAULT_COLUMN)
    x = equilibrium(net).x
    cs = layer_contrasts(net, x)
    groups = layer_groups(net)
    active = [int(np.sum(x[g] > 1e-12)) for g in groups]
    c0 = float(contrast(DEFAULT_COLUMN["u"]))
    depth_axis = np.arange(len(cs) + 1)
    ax1.semilogy(depth_axis, [c0, *cs], "o-", label="contrast C (E rates)")
    r5 = motif_r(5, a=DEFAULT_COLUMN["a"], b=DEFAULT_COLUMN["b"], c=DEFAULT_COLUMN["c"],
                 d=DEFAULT_COLUMN["d"])
    ax1.semilogy(depth_axis, np.minimum(1.0, c0 * (1 + 5 * r5) ** depth_axis), "k--",
                 linewidth=1, label="(1 + 5r)^ℓ C₀ while all active")
    for ell, k in enumerate(active):
        ax1.annotate(f"{k}/{len(groups[ell])} E active", (ell + 1, cs[ell]),
                     textcoords="offset points", xytext=(4, -12), fontsize=7)
    ax1.set_xlim(-0.3, len(cs) + 0.7)
    ax1.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax1.set_xlabel("layer (0 = input)")
    ax1.set_ylabel("contrast")
    cert = certify(net, method="lds")
    ax1.set_title(f"Default column (5 channels, 1 % steps), "
                  f"{'LDS-certified' if cert.certified else 'not certified'}", fontsize=9)
    ax1.legend(fontsize=8)

    a, b, c, d = 0.5, 2.0, 2.0, 0.5
    r2 = motif_r(2, a=a, b=b, c=c, d=d)
    diffs = np.geomspace(0.002, 0.3, 8 if quick else 30)
    predicted, measured = [], []
    for delta in diffs:
        u = [1.0, 1.0 + float(delta)]
        c_in = float(contrast(u))
        p = int(winner_depth(c_in, r2))
        col = cortical_column(p + 1, 2, f=1.0, a=a, b=b, c=c, d=d, u=u)
        xc = equilibrium(col).x
        wins = [winner(xc[g]) for g in layer_groups(col)]
        meas = next((ell + 1 for ell, w in enumerate(wins) if w is not None), None)
        predicted.append(p)
        measured.append(meas)
    ax2.semilogx(diffs * 100, predicted, "-", color="k", drawstyle="steps-mid",
                 label="⌈log(1/C₀)/log(1 + 2r)⌉")
    ax2.semilogx(diffs * 100, measured, "o", color="C1", markersize=5, label="measured")
    ax2.set_xticks([0.2, 0.5, 1, 2, 5, 10, 30])
    ax2.xaxis.set_major_formatter(ScalarFormatter())
    ax2.xaxis.set_minor_formatter(NullFormatter())
    ax2.set_xlabel("input difference (%)")
    ax2.set_ylabel("layers until a single winner")
    ax2.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax2.set_title(f"Two channels, a = {a}, b = c = {b}, d = {d} (r = {r2:.3g})", fontsize=9)
    ax2.legend(fontsize=8)
    wins = [winner(x[g]) for g in groups]
    measured_depth = next((ell + 1 for ell, w in enumerate(wins) if w is not None), None)
    p = DEFAULT_COLUMN
    return fig, {
        "default_column": {"params": DEFAULT_COLUMN, "input_contrast": c0,
                           "winner_depth_measured": measured_depth,
                           "winner_depth_predicted": layered_winner_depth(
                               p["u"], a=p["a"], b=p["b"], c=p["c"], d=p["d"], f=p["f"]),
                           "layer_contrasts": cs.tolist(), "active_per_layer": active,
                           "winner": None if winner(x, net) is None else
                           net.names[winner(x, net)],
                           "certified": bool(cert.certified), "certificate_kind": cert.kind},
        "two_channel": {"a": a, "b": b, "c": c, "d": d, "r": r2,
                        "difference": diffs.tolist(), "predicted_depth": predicted,
                        "measured_depth": measured,
                        "agree": int(sum(p == q for p, q in zip(predicted, measured,
                                                                 strict=True))),
                        "one_percent": {"predicted": int(winner_depth(0.01 / 2.01, r2))}},
    }


def _configurations() -> dict[str, Network]:
    return {
        "Wilson–Cowan, w_EE = 0.5": wilson_cowan(0.5, 3.0, 3.0, 1.0, u_e=1.0, u_i=0.5),
        "Wilson–Cowan ISN, w_EE = 2": wilson_cowan(**ISN, u_e=1.0, u_i=0.5),
        "shared motif, a = 0.5": lateral_inhibition(5, a=0.5, b=2.0, c=2.0, d=0.5,
                                                     u=MOTIF["u"]),
        "shared motif, a = 0.95": lateral_inhibition(5, a=0.95, b=2.0, c=2.0, d=0.5,
                                                      u=MOTIF["u"]),
        "shared motif, a = 1.2 (multistable WTA)": lateral_inhibition(
            5, a=1.2, b=2.0, c=2.0, d=0.5, u=MOTIF["u"]),
        "local motif, a + bc/(1+d) = 0.6": lateral_inhibition(
            4, a=0.2, b=1.0, c=0.8, d=1.0, wiring="local", u=[1.0, 1.01, 1.02, 1.03]),
        "local motif, a + bc/(1+d) = 1.1 (WTA)": lateral_inhibition(
            4, a=0.7, b=1.0, c=0.8, d=1.0, wiring="local", u=[1.0, 1.01, 1.02, 1.03]),
        "default column": cortical_column(**DEFAULT_COLUMN),
        "random E–I, n = 60": random_ei(60, density=0.2, gain=0.9, rng=0),
    }


def stability_certificates(quick: bool = False) -> tuple[Figure, dict[str, Any]]:
    """The stability certificate of every configuration above, re-verified independently.

    Each bar is the margin of the τ-free LDS certificate (``certify(net, method="lds")``);
    configurations that are not LDS are shown as such, with the reason the certificate gives
    (a refutation ``X ⪰ 0`` with ``diag((W − I)X) ≥ 0`` where one is found).
    """
    from .. import certify

    out: dict[str, Any] = {}
    names, margins = [], []
    for name, net in _configurations().items():
        cert = certify(net, method="lds")
        ver = cert.verify()
        valid = bool(getattr(ver, "valid", ver))
        margin = cert.margin if cert.margin is not None else 0.0
        out[name] = {"certified": bool(cert.certified), "kind": cert.kind,
                     "margin": None if cert.margin is None else float(cert.margin),
                     "verified": valid, "statement": cert.statement,
                     "refuted": cert.refutation is not None}
        names.append(name)
        margins.append(float(margin) if cert.certified else 0.0)
    fig = Figure(figsize=(8.6, 4.6), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(names))
    ok = [k for k in range(len(names)) if out[names[k]]["certified"]]
    vals = [margins[k] for k in ok]
    ax.barh([y[k] for k in ok], vals, color="C2")
    left = 10.0 ** np.floor(np.log10(min(vals))) / 10.0 if vals else 1e-3
    for k, name in enumerate(names):
        if out[name]["certified"]:
            ax.text(margins[k] * 1.1, k, f"{margins[k]:.2g}", va="center", fontsize=7)
        else:
            # no margin exists: no bar (a bar's length would be arbitrary), a marker and words
            ax.plot([left * 1.3], [k], "x", color="C3", markersize=8, markeredgewidth=2)
            why = ("not LDS (refuted, refutation re-verified)" if out[name]["refuted"]
                   else "not certified")
            ax.text(left * 1.8, k, f"{why}: no certificate, so no margin", va="center",
                    fontsize=7, color="C3")
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(left, max(vals) * 8 if vals else 1.0)
    ax.set_xlabel("margin of the LDS certificate, −λ_max(P(W − I) + (W − I)ᵀP) / (2 mean p)")
    ax.set_title("Stability certificates (certify, method='lds'), each re-verified", fontsize=9)
    ax.invert_yaxis()
    return fig, out


#: figure file stem -> builder, in report order.
FIGURES = {
    "wilson_cowan_phase_portraits": wilson_cowan_phase_portraits,
    "wilson_cowan_regime_map": wilson_cowan_regime_map,
    "paradoxical_effect": paradoxical_effect,
    "neuron_energies": neuron_energies,
    "lateral_inhibition_contrast": lateral_inhibition_contrast,
    "column_contrast_depth": column_contrast_depth,
    "stability_certificates": stability_certificates,
}
