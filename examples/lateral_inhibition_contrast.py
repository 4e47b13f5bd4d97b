"""Lateral inhibition sharpens contrast; strong enough, it makes a winner-take-all decision.

Docs: docs/theory.md §5 (the shared-inhibition motif and its water-filling closed form).

m = 5 excitatory neurons with self-excitation a and inputs u = (1.00, 1.02, …, 1.08) share one
inhibitory neuron (E→I weight b/m, I→E weight c, I self-inhibition d). With
r = (b/m)·c/((1 − a)(1 + d)), every active E neuron sees the same threshold θ:

    x_i* = [u_i − θ]₊ / (1 − a),    θ = r Σ_j [u_j − θ]₊      (water-filling)

so contrast C = (max − min)/(max + min) is multiplied by 1 + 5r while all five are active, and
weak inputs are silenced as a → 1.

Run ``python examples/lateral_inhibition_contrast.py`` (``--quick``: fewer points); writes
``lateral_inhibition_contrast.png``.
"""

import sys

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter, ScalarFormatter

from eicircuits import equilibrium
from eicircuits.circuits import contrast, lateral_inhibition, shared_inhibition_equilibrium

QUICK = "--quick" in sys.argv
m, b, c, d = 5, 2.0, 2.0, 0.5
u = [1.00, 1.02, 1.04, 1.06, 1.08]
a_values = np.linspace(0.0, 0.97, 25 if QUICK else 98)

measured, closed_form, active = [], [], []
for a in a_values:
    net = lateral_inhibition(m, a=float(a), b=b, c=c, d=d, u=u)
    x = equilibrium(net).x[:m]                       # the E neurons come first
    measured.append(contrast(x) / contrast(u))
    wf = shared_inhibition_equilibrium(u, a=float(a), b=b, c=c, d=d)
    closed_form.append(contrast(wf.x[:m]) / contrast(u))
    active.append(wf.n_active)

for a in (0.0, 0.5, 0.8, 0.95):
    net = lateral_inhibition(m, a=a, b=b, c=c, d=d, u=u)
    gain = contrast(equilibrium(net).x[:m]) / contrast(u)
    print(f"a = {a:4.2f}: contrast gain {gain:.4f}, "
          f"{shared_inhibition_equilibrium(u, a=a, b=b, c=c, d=d).n_active} of {m} active")

fig = Figure(figsize=(10, 4.2), layout="constrained")
ax1, ax2 = fig.subplots(1, 2)
ax1.plot(a_values, closed_form, "-", label="water-filling closed form")
ax1.plot(a_values, measured, ".", label="equilibrium() (exact LCP)")
ax1.set_yscale("log")
ax1.yaxis.set_major_formatter(ScalarFormatter())
ax1.yaxis.set_minor_formatter(NullFormatter())
ax1.set_yticks([4, 6, 10, 15, 20, 26])
ax1.set(xlabel="E self-excitation a", ylabel="contrast gain C(x*)/C(u)")
ax1.set_title(f"Shared inhibition (m = {m}, b = c = {b:g}, d = {d:g})", fontsize=9)
ax1.legend(fontsize=8)
ax2.step(a_values, active, where="mid")
ax2.yaxis.get_major_locator().set_params(integer=True)
ax2.set(xlabel="E self-excitation a", ylabel="active E neurons", ylim=(0.5, m + 0.5))
ax2.set_title("Weak inputs are silenced as a → 1", fontsize=9)
fig.savefig("lateral_inhibition_contrast.png", dpi=120)
print("figure: lateral_inhibition_contrast.png")
