"""Where a Wilson–Cowan circuit is stable, oscillates or runs away.

Wilson & Cowan (1972), Biophys. J. 12:1; docs/theory.md §3 and §5.

    τ_E ṙ_E = −r_E + [w_EE r_E − w_EI r_I + u_E]₊,   τ_I ṙ_I = −r_I + [w_IE r_E − w_II r_I + u_I]₊

Over the self-excitation w_EE and the ratio τ_I/τ_E, with w_EI = w_IE = 3, w_II = 1, u = (1, ½):
- w_EE < 1: W − I is Lyapunov diagonally stable, so the circuit is stable for every τ;
- w_EE > 1: inhibition-stabilised while inhibition is fast enough; the Hopf curve
  τ_I/τ_E = (1 + w_II)/(w_EE − 1) separates it from oscillations;
- det (I − W) = (1 − w_EE)(1 + w_II) + w_EI w_IE < 0 (w_EE > 5.5): runaway.

Run ``python examples/wilson_cowan_regime_map.py`` (``--quick``: a coarser grid); writes
``wilson_cowan_regime_map.png``.
"""

import sys

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from eicircuits.circuits import REGIMES, hopf_ratio, wilson_cowan_regime

QUICK = "--quick" in sys.argv
n = 120 if QUICK else 600

w_ee = np.linspace(0.0, 7.0, n)
ratio = np.linspace(0.1, 5.0, n)
WEE, R = np.meshgrid(w_ee, ratio)

# Closed-form regime of every grid point (vectorised; limit cycles around a stable focus are
# only possible with u_I < 0, not here).
regime = wilson_cowan_regime(WEE, 3.0, 3.0, 1.0, tau_i=R, u_e=1.0, u_i=0.5, cycles="undecided")
for name in REGIMES:
    print(f"{name:12s} {np.mean(regime == name):6.1%} of the map")

colors = {"lds-stable": "#4c72b0", "isn-stable": "#55a868", "oscillatory": "#dd8452",
          "runaway": "#c44e52", "bistable": "#8172b3", "undecided": "#bbbbbb"}
present = [r for r in REGIMES if np.any(regime == r)]
codes = np.zeros(regime.shape, dtype=int)
for k, name in enumerate(present):
    codes[regime == name] = k

fig = Figure(figsize=(8.4, 4.6), layout="constrained")
ax = fig.subplots()
ax.imshow(codes, origin="lower", extent=(w_ee[0], w_ee[-1], ratio[0], ratio[-1]), aspect="auto",
          cmap=ListedColormap([colors[r] for r in present]), vmin=-0.5,
          vmax=len(present) - 0.5, interpolation="nearest")
ax.axvline(1.0, color="k", linewidth=1.5, label="LDS boundary w_EE = 1")
wh = np.linspace(1.001, 7.0, 400)
ax.plot(wh, hopf_ratio(wh, 1.0), "k--", label="Hopf τ_I/τ_E = (1 + w_II)/(w_EE − 1)")
ax.axvline(5.5, color="k", linestyle=":", label="det(I − W) = 0 (w_EE = 5.5)")
for name in present:
    ax.plot([], [], "s", color=colors[name], label=name)
ax.set(ylim=(ratio[0], ratio[-1]), xlabel="E self-excitation w_EE", ylabel="τ_I / τ_E")
ax.set_title("Wilson–Cowan regimes (w_EI = w_IE = 3, w_II = 1, u = (1, ½))", fontsize=9)
ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
print(f"Hopf ratio at w_EE = 2: {hopf_ratio(2.0, 1.0):g}")
fig.savefig("wilson_cowan_regime_map.png", dpi=120)
print("figure: wilson_cowan_regime_map.png")
