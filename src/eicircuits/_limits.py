"""Named size limits: the one place where "how large is too large for this method" is decided.

Every module that switches method or refuses by size imports its limit from here, so a user
(and a test) can see and change them in one place. Sizes are numbers of neurons ``n`` unless
stated otherwise.
"""

from __future__ import annotations

__all__ = [
    "DENSIFY_LIMIT",
    "DENSE_EIG_LIMIT",
    "PIVOT_DIRECT_LIMIT",
    "STABILITY_LIMIT",
    "DENSE_VERIFY_LIMIT",
    "EXACT_LIMIT",
    "RESOLVENT_LIMIT",
    "SPLU_FALLBACK_MAX",
    "LSODA_DENSE_JAC_LIMIT",
    "LSODA_LIMIT",
    "SINGLE_THREAD_MAX",
    "ENUMERATION_LIMIT",
    "MAX_FILE_ENTRIES",
    "MAX_NEURONS",
    "KINK_LIMIT",
    "DESIGN_SDP_LIMIT",
    "DESIGN_SDP_AUTO",
]

#: Largest n for which a sparse ``W`` is densified without being asked (``Network.dense_W``).
DENSIFY_LIMIT = 20_000

#: Most neurons sitting exactly at a kink for which the 2^k one-sided linearisations of a local
#: stability verdict are resolved (``eicircuits.stability.local_stability``).
KINK_LIMIT = 10

#: Largest n for which exact continuation (pivoting) uses a sparse LU with block updates;
#: above it each piece is solved iteratively (BiCGSTAB, warm-started), since the LU of a
#: random sparse active block fills in (n = 10⁴, 10 synapses per neuron: 8·10⁶ entries, 20 s).
PIVOT_DIRECT_LIMIT = 2_000

#: Largest n for dense eigenvalue problems in reports and decompositions (about 1 s).
DENSE_EIG_LIMIT = 2_000

#: Largest n for the dense spectrum of a rate Jacobian in a stability verdict; above it the
#: rightmost eigenvalues are computed sparsely (ARPACK).
STABILITY_LIMIT = 4_000

#: Largest n for which certificates are verified with a dense eigenvalue / Cholesky test.
DENSE_VERIFY_LIMIT = 5_000

#: Largest n for which certificates and refutations are verified in exact rational arithmetic.
EXACT_LIMIT = 60

#: Largest n for the resolvent weights of the ℓ∞ contraction test.
RESOLVENT_LIMIT = 5_000

#: Largest n for which a sparse LU is tried when an iterative linear solve fails.
SPLU_FALLBACK_MAX = 5_000

#: Largest n for which LSODA gets a dense Jacobian.
LSODA_DENSE_JAC_LIMIT = 2_000

#: Largest n LSODA may integrate: it always factors a dense n × n Jacobian (n = 10⁵ would
#: need 75 GiB); above it use 'BDF'/'Radau' (sparse Jacobian) or a fixed-step method.
LSODA_LIMIT = 5_000

#: Up to this n, dense linear algebra runs on one BLAS thread (faster on shared machines).
SINGLE_THREAD_MAX = 2_000

#: Largest n for support enumeration of every equilibrium (2ⁿ supports, pruned).
ENUMERATION_LIMIT = 20

#: Most numbers a file read by the library (certificate, spec array) may declare before it is
#: refused, checked before anything is allocated (about 800 MB of float64).
MAX_FILE_ENTRIES = 100_000_000

#: Largest n for the design semidefinite program of ``eicircuits.design.synthesize`` / ``fit``
#: (interior-point cost grows like n⁶: about 3 s at n = 50, 160 s at n = 100 here).
DESIGN_SDP_LIMIT = 300

#: ``synthesize(method="auto")`` solves the SDP up to this n and uses the first-order method
#: (alternating projections with eigenvalue clipping, P = I) above it.
DESIGN_SDP_AUTO = 40

#: ``eicircuits simulate`` warns (on stderr, before computing) when the saved trajectory it is
#: about to write is estimated above this many bytes (float64 rows × neurons), and names the
#: ``--save-every`` that brings it below.
SIMULATE_WARN_BYTES = 100_000_000

#: Most neurons a ``Network`` may have: checked from a sparse ``W``'s declared shape before any
#: per-neuron array (index pointers, ``tau``, ``u``: 800 MB each at this size) is allocated.
MAX_NEURONS = 100_000_000
