"""Phase portraits of the worked inhibition-stabilised example W = [[2, −3], [3, −1]].

Wilson & Cowan (1972), Biophys. J. 12:1; docs/theory.md §5.

    ṙ_E = −r_E + [2 r_E − 3 r_I + u_E]₊,    ṙ_I = −r_I + [3 r_E − r_I + u_I]₊   (τ = 1)

For u = (1, ½) there is one equilibrium, (1/14, 5/14), stable. For u = (−1, −4) there are three:
(0, 0) stable, (1, 0) a saddle and (10/7, 1/7) a stable focus. The E population excites itself
with weight 2 > 1, so in the neurons' game it is a concave player: its equilibria are stationary
points of its energy, not best responses (its regret is infinite).

Run ``python examples/wilson_cowan_phase_portraits.py`` (``--quick``: fewer trajectories);
writes ``wilson_cowan_phase_portraits.png``.
"""

import sys

import numpy as np
from matplotlib.figure import Figure

from eicircuits import equilibria, game, simulate
from eicircuits.circuits import wilson_cowan
from eicircuits.games.plots import direction_arrows

QUICK = "--quick" in sys.argv
rng = np.random.default_rng(0)

cases = [
    # (input u, plot window (r_E max, r_I max), starting points)
    ((1.0, 0.5), (0.5, 0.7), [[0.02, 0.6], [0.3, 0.05], [0.45, 0.65]]),
    ((-1.0, -4.0), (2.5, 0.6), [[1.2, 0.05], [2.2, 0.2], [0.5, 0.3], [0.9, 0.01]]),
]

fig = Figure(figsize=(10, 4.8), layout="constrained")
for ax, (u, (xmax, ymax), starts) in zip(fig.subplots(1, 2), cases, strict=True):
    net = wilson_cowan(2.0, 3.0, 3.0, 1.0, u_e=u[0], u_i=u[1])
    if not QUICK:
        starts = starts + rng.uniform(0, [xmax, ymax], (4, 2)).tolist()

    # Nullclines: where ṙ_E = 0 and where ṙ_I = 0, on a grid.
    RE, RI = np.meshgrid(np.linspace(0, xmax, 301), np.linspace(0, ymax, 301))
    points = np.stack([RE.ravel(), RI.ravel()], axis=1)
    field = net.phi(points @ net.dense_W().T + net.u) - points  # ẋ at every grid point
    ax.contour(RE, RI, field[:, 0].reshape(RE.shape), levels=[0], colors="C0")
    ax.contour(RE, RI, field[:, 1].reshape(RE.shape), levels=[0], colors="C3")
    ax.plot([], [], color="C0", label="E nullcline")
    ax.plot([], [], color="C3", label="I nullcline")

    # Trajectories, with arrows in the direction of time.
    for k, x0 in enumerate(starts):
        run = simulate(net, np.array(x0), (0.0, 30.0), t_eval=np.linspace(0, 30, 600),
                       rtol=1e-9, atol=1e-11)
        ax.plot(run.x[:, 0], run.x[:, 1], color="0.45", linewidth=0.9,
                label="trajectories (dot: start)" if k == 0 else None)
        ax.plot(*x0, ".", color="0.45")
        direction_arrows(ax, run.x, color="0.3", at=(0.08, 0.4))

    # Every equilibrium, exactly (support enumeration), with stability and Nash status.
    g = game(net)
    print(f"u = {u}:")
    for eq in equilibria(net):
        filled = "k" if eq.stable else "white"
        ax.plot(*eq.x, "o", markersize=9, markerfacecolor=filled, markeredgecolor="k", zorder=5)
        regret = ", ".join(f"{r:.3g}" for r in g.regret(eq.x))
        print(f"  x* = ({eq.x[0]:.6f}, {eq.x[1]:.6f})  "
              f"{'stable' if eq.stable else 'unstable'}; regrets E, I: {regret}")
    ax.plot([], [], "ko", label="stable equilibrium")
    ax.plot([], [], "o", markerfacecolor="white", markeredgecolor="k", label="unstable")
    ax.set(xlim=(0, xmax), ylim=(0, ymax), xlabel="r_E", ylabel="r_I")
    ax.set_title(f"u = ({u[0]:g}, {u[1]:g})", fontsize=9)

handles, labels = fig.axes[0].get_legend_handles_labels()
fig.legend(handles, labels, loc="outside lower center", ncol=5, fontsize=8, frameon=False)
fig.suptitle("Wilson–Cowan, W = [[2, −3], [3, −1]], ReLU, τ = 1", fontsize=10)
fig.savefig("wilson_cowan_phase_portraits.png", dpi=120)
print("figure: wilson_cowan_phase_portraits.png")
