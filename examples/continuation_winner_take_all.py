"""Winner-take-all by local lateral inhibition, followed in the inhibition strength.

docs/theory.md §5 (the lateral-inhibition motif, wiring L) and §8 (continuation).

Three excitatory neurons E_i with inputs (1, 1.1, 1.25) and self-excitation a; each drives its
own inhibitory neuron I_i (weight b, self-inhibition d), which inhibits the *other* E neurons
with weight c. In the all-active state, differences pass with gain 1/(1 − a − bc/(1 + d)); as
a + bc/(1 + d) crosses 1 that state is gone and single-winner states appear, in fold pairs.
Every branch in c is followed (the family changes weights, so by pseudo-arclength, turning the
corners where a neuron reaches its threshold) and checked against support enumeration.

Run ``python examples/continuation_winner_take_all.py`` (add ``--quick`` for a coarse run);
writes ``continuation_winner_take_all.png`` into the current folder.
"""

import sys

import numpy as np
from matplotlib.figure import Figure

from eicircuits import continuation, equilibria
from eicircuits.circuits import lateral_inhibition
from eicircuits.continuation import plot_diagram

QUICK = "--quick" in sys.argv

# --- Parameters ----------------------------------------------------------------------------
a, b, d = 0.3, 1.0, 0.5
inputs = [1.0, 1.1, 1.25]
c_star = (1 - a) * (1 + d) / b  # a + b c/(1 + d) = 1


def motif(c):
    return lateral_inhibition(3, a=a, b=b, c=c, d=d, wiring="local", u=inputs)


# --- Continuation in c ----------------------------------------------------------------------
result = continuation(motif, span=(0.2, 2.0), parameter="c (I→E weight)",
                      max_step=0.06 if QUICK else 0.02)
print(result.summary())
print(f"threshold a + bc/(1 + d) = 1 at c = {c_star:.4g}; folds at c = "
      f"{[round(f.lam, 6) for f in result.folds]}")

# --- The oracle: support enumeration on a grid ------------------------------------------------
grid = np.linspace(0.21, 1.99, 15 if QUICK else 60)
counts = [len(equilibria(motif(c))) for c in grid]
agree = sum(n == result.count_at(c) for n, c in zip(counts, grid, strict=True))
print(f"{agree}/{grid.size} values of c: equilibria on the branches = support enumeration")

# --- Figure -------------------------------------------------------------------------------
fig = Figure(figsize=(13, 4), layout="constrained")
axes = fig.subplots(1, 3, sharey=True)
for i, ax in enumerate(axes):
    plot_diagram(result, neuron=i, ax=ax, borders=False, title=f"E{i} (input {inputs[i]:g})")
    for c in grid:
        xs = [e.x[i] for e in equilibria(motif(c))]
        ax.plot([c] * len(xs), xs, ".", color="0.6", ms=3, zorder=1)
    ax.axvline(c_star, color="k", lw=0.8, ls=":")
    if i:
        ax.get_legend().remove()
        ax.set_ylabel("")
axes[0].set_ylabel("rate of the E neuron")
axes[2].text(c_star, 1.7, " a + bc/(1 + d) = 1", fontsize=8)
fig.savefig("continuation_winner_take_all.png", dpi=120)
print("figure: continuation_winner_take_all.png")
