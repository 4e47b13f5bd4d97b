"""Bifurcation diagrams of the worked inhibition-stabilised network, without a grid.

docs/theory.md §5 (the worked example) and §8 (continuation); Tsodyks et al. (1997) for the
inhibition-stabilised regime.

Two populations with ReLU rates, W = [[2, −3], [3, −1]]:

    τ_E ṙ_E = −r_E + [2 r_E − 3 r_I + u_E]₊
    τ_I ṙ_I = −r_I + [3 r_E − r_I + u_I]₊

1. Along the input u_E (u_I = −4) every equilibrium moves affinely while its active set is
   fixed, so the branch is followed exactly by pivoting: it folds where det (I − W)_SS changes
   sign, at u_E = −4/3 and u_E = 0, with three equilibria in between.
2. Along τ_I (u = (1, ½)) the equilibrium (1/14, 5/14) does not move but its stability does: a
   complex pair crosses the imaginary axis at τ_I/τ_E = (1 + w_II)/(w_EE − 1) = 2 (Hopf).
3. That Hopf point continued in (w_EE, τ_I/τ_E) traces the curve 2/(w_EE − 1).

Run ``python examples/continuation_wilson_cowan.py`` (add ``--quick`` for a coarse run); writes
``continuation_wilson_cowan.png`` into the current folder.
"""

import sys

import numpy as np
from matplotlib.figure import Figure

from eicircuits import continuation, equilibria
from eicircuits.circuits import wilson_cowan
from eicircuits.continuation import hopf_curve, plot_diagram

QUICK = "--quick" in sys.argv

# --- Parameters ----------------------------------------------------------------------------
weights = dict(w_ei=3.0, w_ie=3.0, w_ii=1.0)  # with w_ee = 2: W = [[2, −3], [3, −1]]
w_ee = 2.0
u_i_bistable = -4.0
u_oscillating = (1.0, 0.5)

# --- 1. The exact branch along u_E ------------------------------------------------------------
net = wilson_cowan(w_ee, **weights, u_i=u_i_bistable)
branch = continuation(net, direction=[1.0, 0.0], span=(-3.0, 2.0), parameter="u_E")
print(branch.summary())
print(f"folds at u_E = {[f.lam for f in branch.folds]} (exact: -4/3 and 0)")
print(f"equilibria at u_E = -1: {branch.points_at(-1.0).round(6).tolist()} "
      "(THEORY: (0, 0), (1, 0), (10/7, 1/7))")

# --- 2. Stability along τ_I -----------------------------------------------------------------


def with_tau_i(tau_i):
    return wilson_cowan(w_ee, **weights, tau_i=tau_i, u_e=u_oscillating[0], u_i=u_oscillating[1])


in_tau = continuation(with_tau_i, span=(0.5, 4.0), parameter="τ_I")
(hopf,) = in_tau.hopf
print(f"Hopf at τ_I/τ_E = {hopf.lam:.12f} (closed form (1 + w_II)/(w_EE − 1) = 2), "
      f"ω = {hopf.eigenvalue.imag:.6f} (√(det) = {np.sqrt(3.5):.6f})")

# --- 3. The Hopf curve in (w_EE, τ_I/τ_E) ------------------------------------------------------


def two_parameters(tau_i, w):
    return wilson_cowan(w, **weights, tau_i=tau_i, u_e=u_oscillating[0], u_i=u_oscillating[1])


curve = hopf_curve(two_parameters, hopf.x, hopf.lam, w_ee, (1.4, 4.0),
                   max_step=0.2 if QUICK else 0.05)
error = np.max(np.abs(curve.lam - (1 + weights["w_ii"]) / (curve.mu - 1)))
print(f"Hopf curve: {curve.lam.size} points, max |τ_I/τ_E − 2/(w_EE − 1)| = {error:.1e}")

# --- Figure -------------------------------------------------------------------------------
fig = Figure(figsize=(13, 4.2), layout="constrained")
ax1, ax2, ax3 = fig.subplots(1, 3)
plot_diagram(branch, neuron="E", ax=ax1, title="exact branch along u_E (u_I = −4)")
for u_e in np.linspace(-2.95, 1.95, 20 if QUICK else 60):  # the oracle: support enumeration
    xs = [e.x[0] for e in equilibria(net, u=[u_e, u_i_bistable])]
    ax1.plot([u_e] * len(xs), xs, ".", color="0.6", ms=3, zorder=1)
ax1.text(0.02, 0.6, "grey dots: equilibria() at sample inputs", transform=ax1.transAxes,
         fontsize=8, color="0.4")
br = in_tau.branches[0]
lead = br.eigenvalues[:, 0].real
ax2.plot(br.lam, lead, "-", color="C0")
ax2.axhline(0.0, color="0.5", lw=0.8)
ax2.plot([hopf.lam], [0.0], "s", color="tab:red", label=f"Hopf τ_I = {hopf.lam:.6g}")
ax2.set_xlabel("τ_I  (τ_E = 1)")
ax2.set_ylabel("Re of the leading eigenvalue")
ax2.set_title("stability along τ_I; x* = (1/14, 5/14) fixed", fontsize=10)
ax2.legend(frameon=False, fontsize=8)
w = np.linspace(1.3, 4.1, 200)
ax3.plot(w, 2.0 / (w - 1.0), color="0.6", lw=5, alpha=0.5, label="2/(w_EE − 1)")
ax3.plot(curve.mu, curve.lam, "k.-", ms=3, lw=1, label="hopf_curve")
ax3.set_xlabel("w_EE")
ax3.set_ylabel("τ_I / τ_E")
ax3.set_ylim(0, 6)
ax3.set_title("Hopf curve (codimension-one continuation)", fontsize=10)
ax3.legend(frameon=False, fontsize=8)
fig.savefig("continuation_wilson_cowan.png", dpi=120)
print("figure: continuation_wilson_cowan.png")
