"""A cortical column turns a 1 % input difference into a single winner, every layer certified.

Docs: docs/theory.md §5 (cortical column) and §3 (cascades of LDS blocks are LDS).

Four layers of the shared-inhibition motif (5 channels, a = 0.5, b = c = 2, d = 0.5); the E
neurons of layer ℓ drive those of layer ℓ + 1 one to one (weight f = 1). The inputs to the first
layer differ by 1 % steps. Contrast is multiplied by about 1 + 5r per layer while all channels
are active; then channels fall silent until one is left.

Run ``python examples/column_contrast_depth.py``; writes ``column_contrast_depth.png``.
"""

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from eicircuits import certify, equilibrium
from eicircuits.circuits import contrast, cortical_column, layer_contrasts, layer_groups, winner

u = [1.00, 1.01, 1.02, 1.03, 1.04]
net = cortical_column(4, 5, f=1.0, a=0.5, b=2.0, c=2.0, d=0.5, u=u)

cert = certify(net)
print(cert)
print("verified:", cert.verify().message)

x = equilibrium(net).x
per_layer = layer_contrasts(net, x)
groups = layer_groups(net)
c_in = contrast(u)
print(f"input contrast {c_in:.4g}")
for ell, (c, idx) in enumerate(zip(per_layer, groups, strict=True)):
    print(f"layer {ell}: contrast {c:.4g}, {int(np.sum(x[idx] > 0))} of {len(idx)} E active")
w = winner(x, net)
print("single winner:", "none" if w is None else net.names[w])

fig = Figure(figsize=(10, 4.2), layout="constrained")
ax1, ax2 = fig.subplots(1, 2)
ax1.semilogy(range(len(per_layer) + 1), [c_in, *per_layer], "o-")
ax1.xaxis.set_major_locator(MaxNLocator(integer=True))
ax1.set(xlabel="layer (0 = input)", ylabel="contrast of the E rates")
ax1.set_title(f"Contrast grows with depth ({cert.kind} certificate)", fontsize=9)
for ell, idx in enumerate(groups):
    ax2.plot(range(len(idx)), x[idx], "o-", label=f"layer {ell}")
if w is not None:
    ax2.plot([list(groups[-1]).index(w)], [x[w]], "*", markersize=14, color="gold",
             markeredgecolor="k", label=f"winner {net.names[w]}")
ax2.xaxis.set_major_locator(MaxNLocator(integer=True))
ax2.set(xlabel="channel", ylabel="equilibrium E rate")
ax2.set_title("E rates per layer", fontsize=9)
ax2.legend(fontsize=8)
fig.savefig("column_contrast_depth.png", dpi=120)
print("figure: column_contrast_depth.png")
