"""A self-contained NetCDF file of an analysis, and the network read back from it.

The file holds everything needed to rerun the analysis: ``W`` as COO triplets (``W_row``,
``W_col``, ``W_value`` over a ``synapse`` dimension, with the shape and whether it was sparse),
``u``, ``tau``, the cell types and names, the activation(s) as JSON, synaptic delays when the
network has them (``delay_row``, ``delay_col``, ``delay_value``); and what was found: the
equilibrium, the run from rest (``rate`` over ``time`` × ``neuron``), the certificate (JSON, and
its weights as a variable) and the whole report (JSON).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .._result import jsonable

__all__ = ["to_dataset", "write_netcdf", "network_from_dataset", "read_network"]

#: Format tag written into the file (``eicircuits_format`` attribute).
FORMAT = "eicircuits-analysis/1"


def _activation_json(net: Any) -> str:
    act = net.uniform_activation
    if act is not None:
        return json.dumps(act.to_spec())
    return json.dumps([a.to_spec() for a in net.activations])


def to_dataset(a: Any) -> Any:
    """The analysis as an :class:`xarray.Dataset` (see the module docstring for its contents).

    Examples
    --------
    >>> from eicircuits import Network, analyze
    >>> from eicircuits.report import to_dataset, network_from_dataset
    >>> net = Network(W=[[0.5, -1.0], [1.0, -0.5]], u=[1.0, 0.0], cell_types="EI")
    >>> ds = to_dataset(analyze(net, include=()))
    >>> network_from_dataset(ds).fingerprint() == net.fingerprint()
    True
    """
    import scipy.sparse as sp
    import xarray as xr

    net = a.network
    coo = sp.coo_array(net.W) if net.is_sparse else sp.coo_array(np.asarray(net.W))
    coords: dict[str, Any] = {"neuron": ("neuron", list(net.names))}
    data: dict[str, Any] = {
        "W_row": ("synapse", coo.row.astype(np.int64)),
        "W_col": ("synapse", coo.col.astype(np.int64)),
        "W_value": ("synapse", coo.data.astype(np.float64)),
        "u": ("neuron", np.asarray(net.u, dtype=float)),
        "tau": ("neuron", np.asarray(net.tau, dtype=float)),
        "cell_type": ("neuron", list(net.cell_types) if net.cell_types is not None
                      else ["-"] * net.n),
        "equilibrium": ("neuron", np.asarray(a.equilibrium.x, dtype=float)),
    }
    ds = xr.Dataset(data, coords=coords)
    ds["W_value"].attrs["long_name"] = "W[W_row, W_col]: synaptic weight from W_col onto W_row"
    ds["equilibrium"].attrs.update({"long_name": "equilibrium rates x*",
                                    "method": a.equilibrium.method,
                                    "residual": float(a.equilibrium.residual),
                                    "converged": int(bool(a.equilibrium.converged))})
    tr = a.trajectory
    if tr is not None and tr.trajectory is not None:
        da = tr.trajectory.to_xarray().drop_vars(["tau", "cell_type"], errors="ignore")
        ds["rate"] = da.assign_attrs(long_name="rates from rest", **{
            k: v for k, v in da.attrs.items() if isinstance(v, (str, int, float))})
    delays = getattr(net, "delays", None)
    if delays is not None:
        ds["delay_row"] = ("delayed_synapse", np.asarray(delays.rows, dtype=np.int64))
        ds["delay_col"] = ("delayed_synapse", np.asarray(delays.cols, dtype=np.int64))
        ds["delay_value"] = ("delayed_synapse", np.asarray(delays.values, dtype=float))
        ds["delay_value"].attrs["long_name"] = "synaptic delay of W[delay_row, delay_col]"
    cert = a.certificate
    if cert is not None:
        cdict = cert.to_dict()
        ds.attrs["certificate"] = json.dumps(jsonable(cdict), allow_nan=False)
        weights = getattr(cert, "weights", None)
        if weights is not None and np.asarray(weights).shape == (net.n,):
            ds["certificate_weights"] = ("neuron", np.asarray(weights, dtype=float))
    ds.attrs.update({
        "eicircuits_format": FORMAT,
        "source": a.summary.source,
        "n": int(net.n),
        "W_shape": [int(net.n), int(net.n)],
        "W_sparse": int(bool(net.is_sparse)),
        "has_cell_types": int(net.cell_types is not None),
        "activation": _activation_json(net),
        "network_fingerprint": net.fingerprint(),
        "report": json.dumps(a.to_dict(), allow_nan=False, ensure_ascii=False),
    })
    return ds


def write_netcdf(a: Any, path: str | Path) -> Path:
    """Write :func:`to_dataset` of the analysis to ``path`` and return the path."""
    p = Path(path)
    to_dataset(a).to_netcdf(p)
    return p


def network_from_dataset(ds: Any) -> Any:
    """Rebuild the analysed :class:`~eicircuits.Network` from a dataset of :func:`to_dataset`.

    Raises
    ------
    ValidationError
        Not an eicircuits analysis file, or its fingerprint does not match the rebuilt ``W``.
    """
    import scipy.sparse as sp

    from ..activations import activation_from_spec
    from ..errors import ValidationError
    from ..network import Network

    if ds.attrs.get("eicircuits_format") != FORMAT:
        raise ValidationError(f"dataset: expected eicircuits_format {FORMAT!r}, got "
                              f"{ds.attrs.get('eicircuits_format')!r}")
    n = int(ds.attrs["n"])
    W = sp.csr_array((ds["W_value"].values, (ds["W_row"].values, ds["W_col"].values)),
                     shape=(n, n))
    if not int(ds.attrs["W_sparse"]):
        W = W.toarray()
    act_spec = json.loads(ds.attrs["activation"])
    act = ([activation_from_spec(s) for s in act_spec] if isinstance(act_spec, list)
           else activation_from_spec(act_spec))
    types = ("".join(str(t) for t in ds["cell_type"].values)
             if int(ds.attrs["has_cell_types"]) else None)
    extra: dict[str, Any] = {}
    if "delay_value" in ds:
        from ..delays import Delays

        extra["delays"] = Delays(n, ds["delay_row"].values.astype(np.int64),
                                 ds["delay_col"].values.astype(np.int64),
                                 ds["delay_value"].values.astype(float))
    net = Network(W=W, tau=ds["tau"].values.astype(float), u=ds["u"].values.astype(float),
                  activation=act, cell_types=types,
                  names=[str(v) for v in ds["neuron"].values], **extra)
    if net.fingerprint() != ds.attrs["network_fingerprint"]:
        raise ValidationError("dataset: the weights read back do not match the file's "
                              "network_fingerprint (the file was altered)")
    return net


def read_network(path: str | Path) -> Any:
    """The :class:`~eicircuits.Network` stored in an ``analyze.nc`` file."""
    import xarray as xr

    with xr.open_dataset(path) as ds:
        return network_from_dataset(ds.load())
