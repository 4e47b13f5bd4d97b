"""Stability certificates: proofs that can be checked independently, both ways.

Docs: docs/theory.md §3.

If some positive diagonal P makes P(W − I) + (W − I)ᵀP negative definite (W − I is Lyapunov
diagonally stable), the circuit has exactly one equilibrium for every input and every activation
with slopes in [0, 1], and it is globally stable with equal time constants. If no such P exists,
a matrix X ⪰ 0 with diag((W − I)X) ≥ 0 proves it. certify() returns one or the other, and
verify() re-checks it without the solver that found it.

Run ``python examples/stability_certificates.py``; writes ``stability_certificates.png``.
"""

from matplotlib.figure import Figure

from eicircuits import certify
from eicircuits.circuits import cortical_column, lateral_inhibition, random_ei, wilson_cowan

circuits = {
    "Wilson–Cowan, w_EE = 0.5": wilson_cowan(0.5, 3.0, 3.0, 1.0, u_e=1.0, u_i=0.5),
    "Wilson–Cowan ISN, w_EE = 2": wilson_cowan(2.0, 3.0, 3.0, 1.0, u_e=1.0, u_i=0.5),
    "shared motif, a = 0.5": lateral_inhibition(5, a=0.5, b=2.0, c=2.0, d=0.5),
    "shared motif, a = 1.2 (WTA)": lateral_inhibition(5, a=1.2, b=2.0, c=2.0, d=0.5),
    "cortical column, 4 × 5": cortical_column(4, 5, f=1.0),
    "random E–I, n = 60": random_ei(60, density=0.2, gain=0.9, rng=0),
}

names, margins = [], []
for name, net in circuits.items():
    cert = certify(net, method="lds")
    check = cert.verify()
    verdict = f"LDS, margin {cert.margin:.3g}" if cert.certified else "not LDS"
    print(f"{name:30s} {verdict:22s} verified: {check.valid} ({check.method})")
    names.append(name)
    margins.append(cert.margin if cert.certified else None)

fig = Figure(figsize=(8.6, 3.8), layout="constrained")
ax = fig.subplots()
shown = [m for m in margins if m is not None]
left = min(shown) / 10
for k, m in enumerate(margins):
    if m is None:   # no certificate, so no margin: no bar, say why
        ax.plot([left * 1.3], [k], "x", color="C3", markersize=8, markeredgewidth=2)
        ax.text(left * 1.8, k, "not LDS (refuted): no margin", va="center", color="C3",
                fontsize=8)
    else:
        ax.barh(k, m, color="C2")
        ax.text(m * 1.1, k, f"{m:.2g}", va="center", fontsize=8)
ax.set_yticks(range(len(names)), names, fontsize=8)
ax.set_xscale("log")
ax.set_xlim(left, max(shown) * 8)
ax.invert_yaxis()
ax.set_xlabel("margin of the LDS certificate, −λ_max(P(W − I) + (W − I)ᵀP) / (2 mean p)")
ax.set_title("certify(net, method='lds'), every verdict re-verified", fontsize=9)
fig.savefig("stability_certificates.png", dpi=120)
print("figure: stability_certificates.png")
