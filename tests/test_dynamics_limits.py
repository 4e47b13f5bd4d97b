"""Size limits of the simulators: refuse before allocating what cannot fit."""

import numpy as np
import pytest


def test_lsoda_refuses_sizes_whose_dense_jacobian_would_not_fit():
    """LSODA factors a dense Jacobian: at N = 10⁵ that is 75 GiB (issue: it tried to allocate)."""
    import scipy.sparse as sp

    from eicircuits import Network, SizeLimitError, simulate

    n = 100_000
    net = Network(W=sp.random_array((n, n), density=1e-6, rng=0, format="csr") * 0.1)
    with pytest.raises(SizeLimitError, match=r"LSODA.*GiB.*BDF"):
        simulate(net, np.zeros(n), (0.0, 1.0), method="LSODA")
