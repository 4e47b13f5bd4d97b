"""eicircuits: excitatory–inhibitory firing-rate circuits as games, with certified stability.

Implements the framework of Betteti, Retnaraj, Davydov, Cortés and Bullo, *Competition,
stability, and functionality in excitatory-inhibitory neural circuits* (2025). The mathematics
is written out in ``docs/theory.md`` (cited by the docstrings as ``docs/theory.md §N``); every
numerical result is tested against an independent oracle.

Model
-----
Network            -- frozen, validated ``τ ẋ = −x + Φ(Wx + u)``
ReLU, ClippedReLU, Tanh, Logistic, Softplus, Linear -- activations (proximal operators)
Activation, check_activation -- base class and conformance check for user activations
PowerLaw           -- supralinear ``k[z]₊ⁿ`` (the SSN's activation; outside the proximal contract)

Equilibria and dynamics
-----------------------
equilibrium        -- one equilibrium, exactly (LCP / box LCP / globalised Newton)
equilibria         -- every equilibrium of a small network (support enumeration)
Equilibrium        -- result object (x, residual, active, converged, message, …)
lcp_matrix         -- the (box) LCP data of a piecewise-linear network
simulate           -- trajectories (adaptive SciPy solvers or a fast fixed-step path)
Trajectory         -- result object (t, x, status, message, to_xarray)
simulate_batch     -- many runs of one network at once (NumPy, or JAX with ``[jax]``)
BatchTrajectory    -- result object of a batch (per-member status, to_xarray)
stimulus           -- input protocols: step, pulse, ramp, sine, from_array (``u=`` of simulate)
Noise              -- white or Ornstein–Uhlenbeck noise on the rates or the input (``noise=``)
stationary_covariance -- linear-noise covariance at a stable equilibrium (Lyapunov equation)

The game
--------
game, NeuronGame, PotentialResult -- per-neuron energies, Nash gap, potentials

Stability
---------
certify, Certificate, Verification -- certificates that can be re-verified independently
lds, is_hurwitz, is_metzler, is_p_matrix, spectral_abscissa, log_norm
local_stability, LocalStability -- τ-dependent stability of one equilibrium

The main job
------------
analyze, Analysis  -- equilibrium, certificate, game, contrast and a run from rest in one call
report             -- writers: text, Markdown, JSON, NetCDF, figure (``eicircuits.report``)

Circuits and analyses
---------------------
circuits           -- builders: wilson_cowan, lateral_inhibition, cortical_column, random_ei
contrast, contrast_gain, differential_gain, winner

Scaling out
-----------
sweep              -- parameter sweeps and ensembles (xarray + Dask, resumable Zarr store)
open_sweep, plot_sweep -- reopen a sweep store; draw its regime or heat map

Continuation
------------
continuation       -- branches of equilibria, folds and Hopf points (exact for ReLU inputs)
Continuation       -- result object (branches, bifurcations, to_xarray, to_netcdf)

Engineering circuits
--------------------
design             -- synthesize, fit, stabilize, robustness, equilibrium_grad, jax_equilibrium
synthesize         -- Dale-signed weights with prescribed equilibria, certified (one SDP)

Specification files
-------------------
load_spec          -- a TOML circuit specification (or the built-in default) to a Network

Errors
------
EICircuitsError, ValidationError, DaleLawError, SpecError, SizeLimitError,
ConvergenceError, SolverError, EICircuitsWarning

Heavy parts (cvxpy, xarray, Dask, matplotlib) are imported only when first used.
"""

from __future__ import annotations

import importlib
from typing import Any

from .activations import (
    Activation,
    ClippedReLU,
    Linear,
    Logistic,
    PowerLaw,
    ReLU,
    Softplus,
    Tanh,
    check_activation,
)
from .errors import (
    ConvergenceError,
    DaleLawError,
    EICircuitsError,
    EICircuitsWarning,
    SizeLimitError,
    SolverError,
    SpecError,
    ValidationError,
)
from .network import Network

__version__ = "0.1.0"

# name -> module that defines it; imported on first access (PEP 562).
_LAZY: dict[str, str] = {
    "equilibrium": "eicircuits.fixed_points",
    "equilibria": "eicircuits.fixed_points",
    "Equilibrium": "eicircuits.fixed_points",
    "lcp_matrix": "eicircuits.fixed_points",
    "simulate": "eicircuits.dynamics",
    "Trajectory": "eicircuits.dynamics",
    "simulate_batch": "eicircuits.dynamics",
    "BatchTrajectory": "eicircuits.dynamics",
    "Noise": "eicircuits.noise",
    "stationary_covariance": "eicircuits.noise",
    "game": "eicircuits.games",
    "NeuronGame": "eicircuits.games",
    "PotentialResult": "eicircuits.games",
    "certify": "eicircuits.stability",
    "Certificate": "eicircuits.stability",
    "lds": "eicircuits.stability",
    "is_hurwitz": "eicircuits.stability",
    "is_metzler": "eicircuits.stability",
    "is_p_matrix": "eicircuits.stability",
    "spectral_abscissa": "eicircuits.stability",
    "log_norm": "eicircuits.stability",
    "local_stability": "eicircuits.stability",
    "LocalStability": "eicircuits.stability",
    "Verification": "eicircuits.stability",
    "contrast": "eicircuits.circuits",
    "contrast_gain": "eicircuits.circuits",
    "differential_gain": "eicircuits.circuits",
    "winner": "eicircuits.circuits",
    "sweep": "eicircuits.sweeps",
    "open_sweep": "eicircuits.sweeps",
    "plot_sweep": "eicircuits.sweeps",
    "load_spec": "eicircuits.spec",
    "synthesize": "eicircuits.design",
    "Continuation": "eicircuits.continuation",
    "analyze": "eicircuits.analysis",
    "Analysis": "eicircuits.analysis",
}
# "continuation" is a callable package: eicircuits.continuation(...) runs the function.
_SUBMODULES = {"circuits", "activations", "errors", "stability", "spec", "sweeps", "games",
               "dynamics", "fixed_points", "reproduce", "analysis", "report", "stimulus",
               "noise", "continuation", "design"}

__all__ = [
    "Activation",
    "ClippedReLU",
    "ConvergenceError",
    "DaleLawError",
    "EICircuitsError",
    "EICircuitsWarning",
    "Linear",
    "Logistic",
    "Network",
    "PowerLaw",
    "ReLU",
    "SizeLimitError",
    "Softplus",
    "SolverError",
    "SpecError",
    "Tanh",
    "ValidationError",
    "check_activation",
    *_LAZY,
    *sorted(_SUBMODULES),
]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"eicircuits.{name}")
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'eicircuits' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
