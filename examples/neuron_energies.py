"""Each neuron's own energy at the equilibrium: a Nash equilibrium, and a concave player.

Betteti, Retnaraj, Davydov, Cortés & Bullo (2025); docs/theory.md §2.

Neuron i chooses its rate y to minimise E_i(y ; x_−i) = ½(1 − W_ii) y² − y (Σ_{j≠i} W_ij x_j + u_i)
+ g_i(y), the others frozen. At an equilibrium of τ ẋ = −x + [Wx + u]₊ every neuron with
W_ii ≤ 1 sits at the minimum of its energy (a Nash equilibrium: regret 0). In the
inhibition-stabilised circuit the E population excites itself with W_EE = 2 > 1: its energy is
concave in its own rate, unbounded below, and the equilibrium is only a stationary point (regret ∞).

Run ``python examples/neuron_energies.py``; writes ``neuron_energies.png``.
"""

from matplotlib.figure import Figure

from eicircuits import equilibrium, game
from eicircuits.circuits import wilson_cowan
from eicircuits.games.plots import plot_energy

circuits = {
    "LDS (w_EE = 0.5)": wilson_cowan(0.5, 3.0, 3.0, 1.0, u_e=1.0, u_i=0.5),
    "ISN (w_EE = 2)": wilson_cowan(2.0, 3.0, 3.0, 1.0, u_e=1.0, u_i=0.5),
}

fig = Figure(figsize=(10, 7.2), layout="constrained")
axes = fig.subplots(2, 2)
for row, (label, net) in enumerate(circuits.items()):
    x = equilibrium(net).x
    g = game(net)
    for neuron in (0, 1):
        plot_energy(net, neuron, x, ax=axes[row, neuron])
    regrets = ", ".join(f"{name} {r:.3g}" for name, r in zip(net.names, g.regret(x),
                                                           strict=True))
    print(f"{label}: x* = {x.round(6).tolist()}, regrets {regrets}; "
          f"Nash: {bool(g.is_nash(x))}")
fig.suptitle("Own energy of each neuron at the equilibrium: LDS (top), ISN (bottom)",
             fontsize=10)
fig.savefig("neuron_energies.png", dpi=120)
print("figure: neuron_energies.png")
