"""Fit a certified E–I network to noisy tuning curves of a hidden circuit (docs/theory.md §6).

Docs: docs/theory.md §6.

A hidden ring of 6 E neurons (preferred orientations 0°, 30°, …) with 2 shared I neurons
responds to oriented stimuli. We record its equilibrium rates for 24 orientations, add noise of
standard deviation σ, and fit() a Dale-signed network that is certified LDS by construction
(least squares inside the certified set). On 24 held-out orientations we compare its predicted
tuning curves with the clean ones, next to a plain (ridge) least-squares fit without Dale's
law or stability, for σ from 0.2 % to 10 % of the peak rate.

Run ``python examples/design_fit_tuning_curves.py``; writes ``design_fit_tuning_curves.png``.
"""

import numpy as np
from matplotlib.figure import Figure

from eicircuits import Network, equilibrium, spectral_abscissa
from eicircuits.design import fit, stabilize

rng = np.random.default_rng(0)
m, n_i = 6, 2
n = m + n_i
cell_types = "E" * m + "I" * n_i
pref = np.arange(m) * np.pi / m

# ---- the hidden circuit: ring excitation, shared inhibition, certified by stabilize()
W = np.zeros((n, n))
d = np.abs(np.angle(np.exp(2j * (pref[:, None] - pref[None, :])))) / 2
W[:m, :m] = 0.6 * np.exp(-(d / 0.4) ** 2)
np.fill_diagonal(W, 0.4)
W[m, :3] = W[m + 1, 3:] = 0.8          # I0 pools E0–E2, I1 pools E3–E5
W[:m, m:] = -0.5
W[m:, m:] = -0.2 * np.eye(n_i)
hidden = stabilize(Network(W=W, cell_types=cell_types), eta=0.1).network


def stimulus(theta):
    return np.r_[1.5 * np.exp(2.0 * (np.cos(2 * (theta - pref)) - 1)) - 0.2, 0.3, 0.2]


train = np.linspace(0, np.pi, 24, endpoint=False)
test = train + np.pi / 48
U_train = np.array([stimulus(t) for t in train])
U_test = np.array([stimulus(t) for t in test])
X_train = np.array([equilibrium(hidden, u=u).x for u in U_train])
X_test = np.array([equilibrium(hidden, u=u).x for u in U_test])
peak = X_train.max()


def least_squares(U, X):
    """Per-neuron ridge least squares on the active samples: no Dale's law, no stability."""
    Wls = np.zeros((n, n))
    for i in range(n):
        act = X[:, i] > 0
        A, b = X[act], X[act, i] - U[act, i]
        Wls[i] = np.linalg.solve(A.T @ A + 1e-3 * np.eye(n), A.T @ b)
    return Wls


sigmas = np.array([0.002, 0.005, 0.01, 0.02, 0.05, 0.1]) * peak
err_fit, err_ls, ls_unstable = [], [], []
fits = {}
for sigma in sigmas:
    noisy = X_train + sigma * rng.normal(size=X_train.shape)
    model = fit(U_train, noisy, cell_types=cell_types, silent_below=3 * sigma)
    assert model.feasible and model.certificate.verify()
    pred = np.array([equilibrium(model.network, u=u).x for u in U_test])
    err_fit.append(np.sqrt(np.mean((pred - X_test) ** 2)))
    fits[sigma] = pred
    Wls = least_squares(U_train, np.maximum(noisy, 0))
    unstable = spectral_abscissa(Wls - np.eye(n)) >= 0
    ls_unstable.append(unstable)
    eqs = [equilibrium(Network(W=Wls), u=u, method="lemke") for u in U_test]
    pls = np.array([e.x for e in eqs])
    ok = all(e.converged for e in eqs)
    err_ls.append(np.sqrt(np.mean((pls - X_test) ** 2)) if ok else np.nan)
    print(f"σ = {sigma:.4f}: certified fit held-out rms error {err_fit[-1]:.4f}; plain least "
          f"squares {err_ls[-1]:.4f} ({'W − I not Hurwitz' if unstable else 'Hurwitz'})")

fig = Figure(figsize=(11, 4), layout="constrained")
ax_tc, ax_err = fig.subplots(1, 2)
show = sigmas[4]
noisy_show = X_train + show * np.random.default_rng(1).normal(size=X_train.shape)
for i, color in ((0, "C0"), (2, "C1"), (m, "k")):
    name = f"E{i} (pref. {np.degrees(pref[i]):.0f}°)" if i < m else "I0"
    ax_tc.plot(np.degrees(test), X_test[:, i], color=color, lw=2, alpha=0.4,
               label=f"{name}: hidden circuit")
    ax_tc.plot(np.degrees(train), noisy_show[:, i], ".", color=color, ms=4)
    ax_tc.plot(np.degrees(test), fits[show][:, i], "--", color=color, label=f"{name}: fit")
ax_tc.set_xlabel("stimulus orientation (degrees)")
ax_tc.set_ylabel("equilibrium rate")
ax_tc.set_title(f"dots: noisy training data (σ = {show:.3f}); dashed: certified fit on held-out "
                "orientations", fontsize=8)
ax_tc.set_ylim(-0.2, 1.75)
ax_tc.legend(fontsize=7, ncol=3, loc="upper center")
ax_err.loglog(sigmas, err_fit, "o-", label="certified fit (Dale + LDS)")
ax_err.loglog(sigmas, err_ls, "s--", label="plain least squares (where it has an equilibrium)")
n_bad = int(np.sum(ls_unstable))
n_none = int(np.sum(np.isnan(err_ls)))
ax_err.text(0.03, 0.97, f"plain least squares: W − I not Hurwitz in {n_bad} of {len(sigmas)} "
            f"fits,\nno equilibrium (Lemke) for some held-out input in {n_none} of "
            f"{len(sigmas)}",
            transform=ax_err.transAxes, va="top", fontsize=7)
ax_err.loglog(sigmas, sigmas, "k:", label="error = σ")
ax_err.set_ylim(top=300)
ax_err.set_xlabel("noise σ on the training rates")
ax_err.set_ylabel("held-out rms error vs clean rates")
ax_err.set_title("prediction error grows with the noise, not faster", fontsize=9)
ax_err.legend(fontsize=8, loc="upper left", bbox_to_anchor=(0.0, 0.86))
fig.savefig("design_fit_tuning_curves.png", dpi=120)
print("figure: design_fit_tuning_curves.png")
