"""Stability certificates that anyone can re-check (docs/theory.md §3).

Certificates
------------
certify              -- the strongest statement that can be proven (method registry, cheapest first)
Certificate          -- certified, status, kind, weights, rate, margin, derived statement,
                        refutation, stats, verify(), save(path) / Certificate.load(path)
Verification         -- result of Certificate.verify(): valid, exact, proof, the statement it
                        established (truthy only when valid)
report_section       -- the "Stability" section of ``eicircuits analyze``

Lyapunov diagonal stability
---------------------------
lds, LDSResult       -- P = diag(p) with P A + Aᵀ P ≺ 0, or a refutation (2x2 / Metzler / SDP /
                        first-order ascent)
verify_refutation    -- X = V Vᵀ ⪰ 0, diag(A X) ≥ 0 proves A is not LDS

Matrix tools
------------
is_hurwitz, is_metzler, is_p_matrix, spectral_abscissa, log_norm, lds_2x2, majorant,
comparison_vectors, perron_vector

Contraction and composition
---------------------------
linf_weights, l2_contraction -- ℓ∞ (Perron weights) and weighted-ℓ2 (LMI) contraction
block_structure      -- strongly connected blocks of a cascade, by depth

Local (τ-dependent) stability
-----------------------------
local_stability, LocalStability

Examples
--------
>>> import numpy as np
>>> from eicircuits import Network
>>> from eicircuits.stability import certify
>>> net = Network(W=[[0.8, -2.0], [2.5, -0.5]], tau=[1.0, 3.0], cell_types="EI")
>>> cert = certify(net)
>>> cert.kind, cert.certified, "not claimed" in cert.statement
('lds', True, True)
"""

from __future__ import annotations

from ._certify import METHODS, certify, report_section
from ._lds import LDSResult, lds
from ._local import LocalStability, local_stability
from .cascade import block_structure
from .certificate import Certificate, Verification
from .contraction import l2_contraction, linf_weights
from .matrices import (
    comparison_vectors,
    is_hurwitz,
    is_metzler,
    is_p_matrix,
    lds_2x2,
    log_norm,
    majorant,
    perron_vector,
    spectral_abscissa,
)
from .refute import verify_refutation

__all__ = [
    "certify",
    "Certificate",
    "Verification",
    "METHODS",
    "report_section",
    "lds",
    "LDSResult",
    "verify_refutation",
    "is_hurwitz",
    "is_metzler",
    "is_p_matrix",
    "spectral_abscissa",
    "log_norm",
    "lds_2x2",
    "majorant",
    "comparison_vectors",
    "perron_vector",
    "linf_weights",
    "l2_contraction",
    "block_structure",
    "local_stability",
    "LocalStability",
]
