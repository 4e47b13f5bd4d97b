"""The paradoxical response of an inhibition-stabilised network.

Tsodyks, Skaggs, Sejnowski & McNaughton (1997), J. Neurosci. 17:4382; docs/theory.md §5.

Two populations, E and I, with ReLU rates:

    τ_E ṙ_E = −r_E + [w_EE r_E − w_EI r_I + u_E]₊
    τ_I ṙ_I = −r_I + [w_IE r_E − w_II r_I + u_I]₊

With both populations active, ∂r_I*/∂u_I = (1 − w_EE) / ((1 − w_EE)(1 + w_II) + w_EI w_IE).
When w_EE > 1 the excitatory population would run away on its own and is held by inhibition
(an inhibition-stabilised network, ISN): the slope is negative, so more drive to the I cells
*lowers* their rate. Here: an LDS circuit (w_EE = 0.5) and the worked ISN (w_EE = 2, slope −1/7).

Run ``python examples/paradoxical_effect.py`` (add ``--quick`` for a coarse run); writes
``paradoxical_effect.png`` into the current folder.
"""

import sys

import numpy as np
from matplotlib.figure import Figure

from eicircuits import equilibrium, simulate
from eicircuits.circuits import wilson_cowan

QUICK = "--quick" in sys.argv

# --- Parameters ----------------------------------------------------------------------------
circuits = {
    "LDS (w_EE = 0.5)": dict(w_ee=0.5, w_ei=3.0, w_ie=3.0, w_ii=1.0),
    "ISN (w_EE = 2)": dict(w_ee=2.0, w_ei=3.0, w_ie=3.0, w_ii=1.0),
}
u_e = 1.0
u_i_values = np.linspace(0.3, 0.6, 7 if QUICK else 31)  # both populations stay active


def predicted_slope(w_ee, w_ei, w_ie, w_ii):
    return (1 - w_ee) / ((1 - w_ee) * (1 + w_ii) + w_ei * w_ie)


# --- Equilibria against the input to I ----------------------------------------------------
fig = Figure(figsize=(10, 4), layout="constrained")
ax1, ax2 = fig.subplots(1, 2)
for label, w in circuits.items():
    r_i = [equilibrium(wilson_cowan(**w, u_e=u_e, u_i=float(v))).x[1] for v in u_i_values]
    slope = np.polyfit(u_i_values, r_i, 1)[0]
    print(f"{label}: d r_I*/d u_I measured {slope:.6f}, predicted {predicted_slope(**w):.6f}")
    ax1.plot(u_i_values, r_i, "o-", markersize=3, label=f"{label}: slope {slope:.3f}")
ax1.set_xlabel("input to the I population u_I (u_E = 1)")
ax1.set_ylabel("equilibrium I rate r_I*")
ax1.set_title("More drive to I: r_I rises (LDS) or falls (ISN)", fontsize=9)
ax1.legend(fontsize=8)

# --- A step of u_I in the ISN, simulated ---------------------------------------------------
isn = wilson_cowan(**circuits["ISN (w_EE = 2)"], u_e=u_e, u_i=0.4)
t_step, t_end = 20.0, 60.0


def drive(t):
    return np.array([u_e, 0.55 if t >= t_step else 0.4])


t = np.linspace(0.0, t_end, 301 if QUICK else 1201)
run = simulate(isn, equilibrium(isn).x, (0.0, t_end), u=drive, t_eval=t, rtol=1e-10, atol=1e-12)
before, after = run.x[t < t_step][-1, 1], run.x[-1, 1]
print(f"ISN step of u_I 0.4 -> 0.55: r_I {before:.6f} -> {after:.6f} "
      f"(predicted change {predicted_slope(2.0, 3.0, 3.0, 1.0) * 0.15:.6f})")
ax2.plot(t, run.x[:, 0], label="r_E")
ax2.plot(t, run.x[:, 1], label="r_I")
ax2.axvline(t_step, color="k", linestyle=":", linewidth=1, label="u_I: 0.4 → 0.55")
ax2.set_xlabel("time (units of τ)")
ax2.set_ylabel("rate")
ax2.set_title("ISN: a step up in u_I lowers r_I", fontsize=9)
ax2.legend(fontsize=8)
fig.savefig("paradoxical_effect.png", dpi=120)
print("figure: paradoxical_effect.png")
