"""Parameter sweeps and ensembles that scale out (xarray + Dask + Zarr).

sweep              -- evaluate analyses of ``builder(**point)`` over a grid (and seeds)
open_sweep         -- open a sweep's Zarr store as an ``xarray.Dataset``
plot_sweep         -- regime map (labels) or heat map (numbers) over one or two parameters
parse_grid         -- validate a grid (mapping or ``"NAME=START:STOP:NUM"`` axes)
parse_axis         -- one command-line axis
normalize_chunks   -- points per chunk along each dimension
resolve_analyses   -- analyses as ``{name: callable}`` (strings name built-ins)
ANALYSES           -- the built-in analyses: regime, certified, margin, rate, kind,
                      rates, contrast_gain, winner

A sweep runs one Dask task per chunk of the grid on the local threaded scheduler by default,
or on a ``dask.distributed`` cluster given its address. With ``store=`` every finished chunk is
written to a Zarr store as it completes and a rerun resumes; random networks are seeded per
grid point from one root seed, so results do not depend on chunking or workers.

Examples
--------
>>> from eicircuits.circuits import wilson_cowan
>>> from eicircuits.sweeps import sweep
>>> ds = sweep(wilson_cowan, {"w_ee": [0.5, 2.0]}, ["regime"],
...            params={"w_ei": 3.0, "w_ie": 3.0, "w_ii": 1.0, "u_e": 1.0, "u_i": 0.5},
...            progress=False)
>>> ds["regime"].values.tolist()
['lds-stable', 'isn-stable']

An ensemble: ``seeds=K`` adds a ``seed`` dimension; the builder's ``rng`` is seeded per point.

>>> from eicircuits.circuits import random_ei
>>> ens = sweep(random_ei, {"gain": [0.5, 0.9]}, ["certified", "rates"], params={"n": 10},
...             seeds=3, rng=0, progress=False)
>>> ens["rates"].dims, bool(ens["certified"].all())
(('gain', 'seed', 'neuron'), True)
"""

from ._analyses import (
    ANALYSES,
    OutputSpec,
    certified,
    contrast_gain,
    kind,
    margin,
    rate,
    rates,
    regime,
    resolve_analyses,
    winner,
)
from ._grid import normalize_chunks, parse_axis, parse_grid
from ._plot import plot_sweep
from ._run import sweep
from ._store import open_sweep

__all__ = [
    "sweep",
    "open_sweep",
    "plot_sweep",
    "parse_grid",
    "parse_axis",
    "normalize_chunks",
    "resolve_analyses",
    "OutputSpec",
    "ANALYSES",
    "regime",
    "certified",
    "margin",
    "rate",
    "kind",
    "rates",
    "contrast_gain",
    "winner",
]
