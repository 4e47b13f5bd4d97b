"""Design a 4-channel winner-take-all circuit, certified stable (docs/theory.md §6).

Docs: docs/theory.md §6.

We ask for four E neurons and one shared I neuron such that, for each of four inputs, the
channel with the largest input wins (rate 1) and the other three are silenced (rate 0). E
neurons may not excite each other (mask), so the competition must go through inhibition.
synthesize() solves one semidefinite program in (Y = PW, p); its solution comes with an LDS
certificate P, so each winner is the *unique* equilibrium for its input: a decision that is
determined by the input, not a multistable one. We then check inputs the design never saw.

Run ``python examples/design_winner_take_all.py``; writes ``design_winner_take_all.png``.
"""

import numpy as np
from matplotlib.figure import Figure

from eicircuits import equilibrium, simulate
from eicircuits.design import robustness, synthesize

m = 4                                  # E channels
cell_types = "E" * m + "I"
n = m + 1

# ---- targets: channel k gets the largest input and must be the only active E neuron
targets = []
for k in range(m):
    u = np.r_[np.full(m, 1.0), 0.0]
    u[k] += 0.1                        # a 10 % advantage
    x = np.r_[np.zeros(m), 1.5]        # I neuron active at rate 1.5
    x[k] = 1.0
    targets.append((u, x))

mask = np.ones((n, n), dtype=bool)
mask[:m, :m] = np.eye(m, dtype=bool)   # no E → E synapses between channels (self allowed)

design = synthesize(targets, cell_types=cell_types, mask=mask, max_weight=5.0,
                    silence_margin=0.05, margin=0.05)
print(design.message)
net = design.network
print("certificate verified:", design.certificate.verify().message)
print("W =\n", np.round(net.W, 3))

# ---- unseen inputs: sweep the advantage of channel 2 from −20 % to +20 %
advantage = np.linspace(-0.2, 0.2, 81)
rates = []
for a in advantage:
    u = np.r_[1.0, 1.05, 1.0 + a, 1.0, 0.0]
    rates.append(equilibrium(net, u=u).x)
rates = np.array(rates)

# ---- dynamics from rest for one target input: the winner emerges
traj = simulate(net, np.zeros(n), (0.0, 30.0), u=targets[1][0], t_eval=np.linspace(0, 30, 300))
rob = robustness(net, design.certificate)
print(f"input Lipschitz bound {rob.input_lipschitz:.3g}; relative radius {rob.relative_radius:.3g}")

fig = Figure(figsize=(12, 3.8), layout="constrained")
ax_w, ax_sweep, ax_t = fig.subplots(1, 3, width_ratios=[1, 1.3, 1.3])
lim = np.max(np.abs(net.W))
im = ax_w.imshow(net.W, cmap="RdBu_r", vmin=-lim, vmax=lim)
labels = [f"E{i}" for i in range(m)] + ["I"]
ax_w.set_xticks(range(n), labels)
ax_w.set_yticks(range(n), labels)
ax_w.set_xlabel("from (presynaptic)")
ax_w.set_ylabel("onto (postsynaptic)")
ax_w.set_title("designed W (Dale-signed, masked)", fontsize=9)
fig.colorbar(im, ax=ax_w, shrink=0.8)
for i in range(m):
    ax_sweep.plot(advantage * 100, rates[:, i], label=f"E{i}")
ax_sweep.plot(advantage * 100, rates[:, m], "k--", label="I")
ax_sweep.axvline(5, color="0.6", lw=0.8)
ax_sweep.text(5.5, 0.05, "E2 input = E1 input", fontsize=7, color="0.4")
ax_sweep.set_xlabel("input of E2 relative to baseline (%)  [E1 fixed at +5 %]")
ax_sweep.set_ylabel("equilibrium rate")
ax_sweep.set_title("unseen inputs: the larger input wins", fontsize=9)
ax_sweep.set_ylim(-0.05, 2.2)
ax_sweep.legend(fontsize=7, ncol=5, loc="upper left", title="E0 and E3 stay at 0",
                title_fontsize=7)
for i in range(m):
    ax_t.plot(traj.t, traj.x[:, i], label=f"E{i}")
ax_t.plot(traj.t, traj.x[:, m], "k--", label="I")
ax_t.set_xlabel("time (τ)")
ax_t.set_ylabel("rate")
ax_t.set_title("from rest, input favouring E1 (a design target);\nE0, E2, E3 coincide",
               fontsize=9)
ax_t.legend(fontsize=7, loc="center right")
fig.suptitle(f"winner-take-all by design: certified LDS (margin {design.certificate.margin:.3g}),"
             f" targets reproduced to {design.residual:.1e}", fontsize=10)
fig.savefig("design_winner_take_all.png", dpi=120)
print("figure: design_winner_take_all.png")
