"""Circuit specification files (TOML) and the built-in default circuit.

A specification gives either an explicit network or a builder with parameters::

    # explicit network
    [network]
    W = [[0.5, -1.0], [1.0, -0.5]]   # or a path: "weights.npy", "weights.npz", "weights.csv"
    tau = 1.0                         # scalar or one per neuron
    u = [1.0, 0.0]
    activation = "relu"               # or { name = "clipped_relu", r_max = 2.0 }, or a list
    cell_types = "EI"                 # a string of E/I letters or a list
    names = ["e", "i"]

    # or a builder from eicircuits.circuits
    [builder]
    name = "wilson_cowan"
    w_ee = 0.8
    w_ei = 1.5
    w_ie = 1.2
    w_ii = 0.5
    u_e = 1.0

Paths are relative to the specification file. A ``.npz`` file is either a SciPy sparse matrix
(``scipy.sparse.save_npz``) or an archive holding an array named ``W``. Every problem raises
:class:`~eicircuits.errors.SpecError` naming the file, the key and what was expected.

Examples
--------
>>> from eicircuits.spec import spec_from_dict
>>> net = spec_from_dict({"network": {"W": [[0, -1], [1, 0]], "cell_types": "EI"}}).network()
>>> net.n
2
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .activations import activation_from_spec
from .errors import EICircuitsError, SpecError
from .network import Network

__all__ = ["CircuitSpec", "BUILDERS", "load_spec", "read_spec", "spec_from_dict", "DEFAULT_SOURCE"]

#: Builder names accepted in ``[builder]`` tables -> function in :mod:`eicircuits.circuits`.
BUILDERS: dict[str, str] = {
    "wilson_cowan": "wilson_cowan",
    "lateral_inhibition": "lateral_inhibition",
    "cortical_column": "cortical_column",
    "random_ei": "random_ei",
}

DEFAULT_SOURCE = "<built-in default circuit>"
_NETWORK_KEYS = {"W", "tau", "u", "activation", "cell_types", "names"}


@dataclasses.dataclass(frozen=True)
class CircuitSpec:
    """A parsed specification: an explicit network table or a builder name with parameters.

    Attributes
    ----------
    builder : str or None
        Builder name (a key of :data:`BUILDERS`), or ``None`` for an explicit network.
    params : dict
        Builder keyword arguments, or the ``[network]`` table.
    source : str
        Where the spec came from (file path or :data:`DEFAULT_SOURCE`), used in messages.
    base_dir : Path
        Directory that relative paths are resolved against.
    """

    builder: str | None
    params: dict[str, Any]
    source: str = DEFAULT_SOURCE
    base_dir: Path = dataclasses.field(default_factory=Path.cwd)

    def builder_function(self) -> Callable[..., Network]:
        """The builder callable (for sweeps); for an explicit network, a function of overrides."""
        if self.builder is None:
            return lambda **overrides: self.network(**overrides)
        module = importlib.import_module("eicircuits.circuits")
        return getattr(module, BUILDERS[self.builder])

    def network(self, **overrides: Any) -> Network:
        """Build the network, with keyword ``overrides`` replacing spec parameters."""
        params = {**self.params, **overrides}
        where = "[builder]" if self.builder else "[network]"
        try:
            if self.builder is None:
                return self._explicit(params)
            fn = self.builder_function()
            _check_builder_keys(fn, params, self.source, self.builder)
            return fn(**_builder_values(params, self.source))
        except SpecError:
            raise
        except EICircuitsError as exc:
            raise SpecError(f"{self.source}: {where}: {exc}") from exc

    def _explicit(self, table: dict[str, Any]) -> Network:
        unknown = sorted(set(table) - _NETWORK_KEYS)
        if unknown:
            raise SpecError(
                f"{self.source}: [network]: unknown key {unknown[0]!r}; "
                f"expected some of {sorted(_NETWORK_KEYS)}"
            )
        if "W" not in table:
            raise SpecError(f"{self.source}: [network]: missing key 'W' (a matrix or a file path)")
        W = _load_matrix(table["W"], self.base_dir, self.source)
        kwargs: dict[str, Any] = {"W": W}
        for key in ("tau", "u", "names"):
            if key in table:
                kwargs[key] = table[key]
        if "cell_types" in table:
            ct = table["cell_types"]
            kwargs["cell_types"] = list(ct) if isinstance(ct, str) else ct
        if "activation" in table:
            act = table["activation"]
            try:
                kwargs["activation"] = (
                    [activation_from_spec(a) for a in act]
                    if isinstance(act, list)
                    else activation_from_spec(act)
                )
            except EICircuitsError as exc:
                raise SpecError(f"{self.source}: [network].activation: {exc}") from exc
        return Network(**kwargs)


def _check_builder_keys(fn: Callable[..., Any], params: Mapping[str, Any], source: str,
                        name: str) -> None:
    sig = inspect.signature(fn)
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return
    allowed = set(sig.parameters)
    for key in params:
        if key not in allowed:
            raise SpecError(
                f"{source}: [builder]: unknown parameter {key!r} for builder {name!r}; "
                f"expected some of {sorted(allowed)}"
            )


def _builder_values(params: Mapping[str, Any], source: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key == "activation":
            try:
                out[key] = activation_from_spec(value)
            except EICircuitsError as exc:
                raise SpecError(f"{source}: [builder].activation: {exc}") from exc
        elif isinstance(value, list):
            out[key] = np.asarray(value, dtype=float)
        else:
            out[key] = value
    return out


def _load_matrix(value: Any, base_dir: Path, source: str) -> Any:
    if isinstance(value, list):
        try:
            W = np.asarray(value, dtype=float)
        except (TypeError, ValueError) as exc:
            raise SpecError(
                f"{source}: [network].W: expected a list of equal-length rows of numbers"
            ) from exc
        return W
    if not isinstance(value, str):
        raise SpecError(
            f"{source}: [network].W: expected an inline matrix or a file path, got {value!r}"
        )
    path = (base_dir / value).resolve()
    if not path.exists():
        raise SpecError(f"{source}: [network].W: file {value!r} not found (relative to the spec)")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False)
        if suffix == ".npz":
            try:
                return sp.load_npz(path).tocsr()
            except (ValueError, KeyError, OSError):
                with np.load(path, allow_pickle=False) as archive:
                    if "W" not in archive:
                        raise SpecError(
                            f"{source}: [network].W: {value!r} holds no sparse matrix and no "
                            f"array named 'W' (found {sorted(archive.files)})"
                        ) from None
                    return archive["W"]
        if suffix == ".csv":
            return np.loadtxt(path, delimiter=",", ndmin=2)
    except SpecError:
        raise
    except (OSError, ValueError) as exc:
        raise SpecError(f"{source}: [network].W: could not read {value!r}: {exc}") from exc
    raise SpecError(
        f"{source}: [network].W: unsupported file type {suffix!r}; expected .npy, .npz or .csv"
    )


def spec_from_dict(data: Mapping[str, Any], *, source: str = "<dict>",
                   base_dir: Path | None = None) -> CircuitSpec:
    """Parse an already-loaded specification (the TOML's top-level table)."""
    keys = set(data)
    if keys == {"network"} or keys == {"builder"}:
        pass
    elif not keys:
        raise SpecError(f"{source}: empty specification; expected a [network] or [builder] table")
    else:
        extra = sorted(keys - {"network", "builder"})
        if extra:
            raise SpecError(
                f"{source}: unknown top-level key {extra[0]!r}; expected [network] or [builder]"
            )
        raise SpecError(f"{source}: give either [network] or [builder], not both")
    base = base_dir if base_dir is not None else Path.cwd()
    if "network" in data:
        table = data["network"]
        if not isinstance(table, Mapping):
            raise SpecError(f"{source}: [network] must be a table")
        return CircuitSpec(None, dict(table), source, base)
    table = dict(data["builder"]) if isinstance(data["builder"], Mapping) else None
    if table is None or "name" not in table:
        raise SpecError(
            f"{source}: [builder]: missing key 'name'; expected one of {sorted(BUILDERS)}"
        )
    name = table.pop("name")
    if name not in BUILDERS:
        raise SpecError(
            f"{source}: [builder].name: unknown builder {name!r}; "
            f"expected one of {sorted(BUILDERS)}"
        )
    return CircuitSpec(str(name), table, source, base)


def default_spec() -> CircuitSpec:
    """The built-in default circuit: a small cortical column with a subtle input difference."""
    from .circuits import DEFAULT_COLUMN

    return CircuitSpec("cortical_column", dict(DEFAULT_COLUMN), DEFAULT_SOURCE)


def read_spec(path: str | Path | None) -> CircuitSpec:
    """Read a TOML specification file (``None``: the built-in default circuit).

    Raises
    ------
    SpecError
        Missing file, invalid TOML, unknown keys or values (the message names file and key).
    """
    if path is None:
        return default_spec()
    p = Path(path)
    if not p.is_file():
        raise SpecError(f"{path}: specification file not found")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: invalid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise SpecError(f"{path}: not a UTF-8 text file: {exc}") from exc
    return spec_from_dict(data, source=str(path), base_dir=p.parent)


def load_spec(path: str | Path | None) -> Network:
    """Read a specification file (``None``: the default circuit) and build its network."""
    return read_spec(path).network()
