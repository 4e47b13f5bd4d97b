"""Simulation of firing-rate networks (docs/theory.md §1).

simulate           -- one entry point; ``method`` picks a strategy from :data:`METHODS`
Trajectory         -- result: ``t``, ``x``, ``status``, ``message``, ``to_xarray()``
METHODS            -- method name -> ``"adaptive"`` (SciPy's solvers) or ``"fixed"`` (needs dt)
TABLEAUX           -- Butcher tableaux of the explicit Runge–Kutta schemes (exact fractions)
STATUSES           -- every trajectory status and its meaning
simulate_batch     -- many runs of one network at once (fixed step; alias of simulate with a
                      2-D x0; the same backends: NumPy, numba, optional JAX)
BatchTrajectory    -- its result: ``x`` (B, T, n), a status per member, ``member(k)``
SDE_METHODS        -- the stochastic schemes ``"euler-maruyama"`` and ``"stochastic-heun"``
Delays             -- the normal form of ``Network(delays=...)`` (one delay per synapse)

Stimulus protocols (:mod:`eicircuits.stimulus`), noise (:class:`eicircuits.Noise`) and
synaptic delays run through one batched fixed-step core (``_extended``), shared by
``simulate`` (one member) and ``simulate_batch``; adaptive methods integrate a stimulus
piecewise between its switching times.

Adaptive methods wrap SciPy's ``OdeSolver`` classes step by step (so divergence, ``max_steps``
and ``until_steady`` are checked after every step); the fixed-step path (explicit Euler,
exponential Euler, Heun, midpoint, RK4, Euler–Maruyama, stochastic Heun) costs one mat-vec per
stage, runs in a compiled kernel when numba is installed, and can checkpoint and resume long
runs. Each scheme is defined once (``_schemes.SCHEMES``: tableau, leak, noise weights) and run
by every backend — NumPy and JAX through one step function, numba in its kernel loop.

Examples
--------
>>> from eicircuits import Network, simulate
>>> traj = simulate(Network(W=[[0.0]], u=[2.0]), [0.0], (0.0, 30.0), dt=0.1, save_every=100)
>>> traj.status, round(float(traj.final[0]), 6)
('success', 2.0)
"""

from ..delays import Delays
from ._batch import BatchTrajectory, simulate_batch
from ._schemes import SDE_METHODS
from ._simulate import METHODS, simulate
from ._tableaux import TABLEAUX
from ._trajectory import STATUSES, Trajectory

__all__ = ["simulate", "Trajectory", "METHODS", "TABLEAUX", "STATUSES"]
__all__ += ["simulate_batch", "BatchTrajectory", "SDE_METHODS", "Delays"]
