"""Train a small Dale-signed E–I network with jax.grad, certified stable at every step.

Docs: docs/theory.md §6.

The equilibrium x*(W, u) is differentiated by the implicit function theorem
(jax_equilibrium: a jax.custom_vjp whose backward pass is one linear solve with (I − ΛW)ᵀ).
After each gradient step the weights are put back into the certified set: Dale's signs by
clipping, then stabilize(), which scales the couplings by one closed-form factor
s = min(1, (1 − η)/λ_max) so that W − I is LDS with P = I. Every network along the way is
certified (its certificate is verified), so each has exactly one equilibrium per input.

Task: two inputs a, b ∈ [0, 1] drive E1 and E2; the readout neuron E0 must report [a − b]₊
(how much a exceeds b), which needs inhibition driven by b and rectification.

Run ``python examples/design_train_jax.py`` (needs the ``[jax]`` extra); writes
``design_train_jax.png``.
"""

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from eicircuits import Network, ReLU
from eicircuits.design import jax_equilibrium, stabilize

jax.config.update("jax_enable_x64", True)
rng = np.random.default_rng(0)

cell_types = "EEEEEII"
n = len(cell_types)
sign = np.array([1.0 if c == "E" else -1.0 for c in cell_types])
eq = jax_equilibrium(ReLU())


def drive(ab):
    """Inputs: a onto E1, b onto E2, a small bias onto everyone else."""
    return jnp.concatenate([jnp.array([0.1]), ab, jnp.full(n - 3, 0.1)])


def target(ab):
    return jnp.maximum(ab[0] - ab[1], 0.0)


def loss(W, batch):
    errors = [eq(W, drive(ab))[0] - target(ab) for ab in batch]
    return jnp.mean(jnp.stack(errors) ** 2)


def retract(W):
    """Dale's signs, self-coupling below 1, then one closed-form scaling into LDS (P = I)."""
    W = np.where(sign[None, :] > 0, np.maximum(W, 0.0), np.minimum(W, 0.0))
    np.fill_diagonal(W, np.minimum(np.diag(W), 0.5))
    d = stabilize(Network(W=W, cell_types=cell_types), weights=np.ones(n), eta=0.05)
    assert d.feasible and d.certificate.verify()
    return d.network.dense_W(), d.stats["s"]


W, s0 = retract(rng.uniform(0.05, 0.4, (n, n)) * sign[None, :])
print(f"initial weights scaled by s = {s0:.3f} into the certified set")
grad = jax.grad(loss)
test = rng.uniform(0, 1, (64, 2))
history, scales = [], []
lr = 0.3
for step in range(200):
    batch = jnp.asarray(rng.uniform(0, 1, (8, 2)))
    g = np.asarray(grad(jnp.asarray(W), batch))
    W, s = retract(W - lr * g)
    scales.append(s)
    if step % 20 == 0 or step == 199:
        history.append((step, float(loss(jnp.asarray(W), jnp.asarray(test)))))
        print(f"step {step:3d}: held-out loss {history[-1][1]:.5f}, last scaling s = {s:.3f}")

final = Network(W=W, cell_types=cell_types)
cert = stabilize(final, weights=np.ones(n)).certificate
print("final network certified:", cert.verify().message)

fig = Figure(figsize=(12, 3.8), layout="constrained")
ax_l, ax_r, ax_w = fig.subplots(1, 3)
steps, values = zip(*history, strict=True)
ax_l.semilogy(steps, values, "o-", label="held-out loss (64 inputs)")
ax_l.set_xlabel("gradient step")
ax_l.set_ylabel("mean squared error")
ax_s = ax_l.twinx()
ax_s.plot(range(len(scales)), scales, color="C1", lw=0.8, label="stabilize factor s")
ax_s.set_ylabel("coupling scaling s (1 = already certified)", color="C1")
ax_s.set_ylim(0, 1.05)
ax_l.set_title("training with jax.grad + stabilize retraction\n"
               f"(s < 1 in {sum(v < 1 for v in scales)} of {len(scales)} steps, min s = "
               f"{min(scales):.3f})", fontsize=9)
ax_l.legend(fontsize=7, loc="lower left")
a = np.linspace(0, 1, 41)
for k, b in enumerate((0.2, 0.5, 0.8)):
    out = [float(eq(jnp.asarray(W), drive(jnp.array([ai, b])))[0]) for ai in a]
    ax_r.plot(a, out, color=f"C{k}", label=f"b = {b}: network")
    ax_r.plot(a, np.maximum(a - b, 0), ":", color=f"C{k}", label=f"b = {b}: [a − b]₊")
ax_r.set_xlabel("input a")
ax_r.set_ylabel("readout rate x*_E0")
ax_r.set_title("learned equilibrium response vs target", fontsize=9)
ax_r.legend(fontsize=7, ncol=2)
lim = np.max(np.abs(W))
im = ax_w.imshow(W, cmap="RdBu_r", vmin=-lim, vmax=lim)
labels = [f"E{i}" for i in range(5)] + ["I0", "I1"]
ax_w.set_xticks(range(n), labels)
ax_w.set_yticks(range(n), labels)
ax_w.set_xlabel("from")
ax_w.set_ylabel("onto")
ax_w.set_title("trained W (Dale-signed, LDS with P = I)", fontsize=9)
fig.colorbar(im, ax=ax_w, shrink=0.8)
fig.savefig("design_train_jax.png", dpi=120)
print("figure: design_train_jax.png")
