"""Engineering circuits: certified design, fitting, robustness margins, gradients
(docs/theory.md §6).

With ``Y = P W`` (``P = diag(p) ≻ 0``) "``W − I`` is Lyapunov diagonally stable with margin ε"
is the linear matrix inequality ``Y + Yᵀ − 2P ⪯ −εI``, and Dale's law, a sparsity mask, weight
bounds and every target equilibrium are linear in ``(Y, p)`` too: design is one semidefinite
program whose solution carries its own stability certificate.

Design and fitting
------------------
synthesize              -- weights with prescribed equilibria, Dale-signed, masked, certified
synthesize_first_order  -- the same for large n (projected gradient, eigenvalue clipping)
fit                     -- least squares to measured rates inside the certified set
Design                  -- result: feasible, network, certificate, residual, status, message

Margins
-------
stabilize               -- scale the couplings by one closed-form factor into the certified set
robustness, Robustness  -- certified input Lipschitz bound and relative perturbation radius

Gradients
---------
equilibrium_grad        -- (dL/dW, dL/du) by the implicit function theorem (one adjoint solve)
jax_equilibrium         -- a ``jax.custom_vjp`` equilibrium map for training (``[jax]`` extra)

Examples
--------
>>> from eicircuits.design import synthesize, robustness
>>> d = synthesize([([1.0, 0.0], [0.5, 0.25])], cell_types="EI")
>>> d.feasible, round(robustness(d.network, d.certificate).input_lipschitz, 3) > 0
(True, True)
"""

from __future__ import annotations

from ._first_order import synthesize_first_order
from ._fit import FIT_METHODS, fit
from ._grad import equilibrium_grad
from ._jax import jax_equilibrium
from ._margins import robustness, stabilize
from ._result import Design, Robustness
from ._sdp import SOLVERS
from ._synthesize import OBJECTIVES, synthesize

__all__ = [
    "synthesize",
    "synthesize_first_order",
    "fit",
    "Design",
    "stabilize",
    "robustness",
    "Robustness",
    "equilibrium_grad",
    "jax_equilibrium",
    "OBJECTIVES",
    "FIT_METHODS",
    "SOLVERS",
]
