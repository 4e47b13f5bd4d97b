"""Circuit specification files (TOML) and the built-in default circuit.

A specification gives either an explicit network or a builder with parameters::

    # explicit network
    [network]
    W = [[0.5, -1.0], [1.0, -0.5]]   # or a path: "weights.npy", "weights.npz", "weights.csv"
    tau = 1.0                         # scalar or one per neuron (or a path, like W)
    u = [1.0, 0.0]                    # or a path: "input.npy", "input.csv" (a row or a column)
    activation = "relu"               # or { name = "clipped_relu", r_max = 2.0 }, or a list
    cell_types = "EI"                 # a string of E/I letters or a list
    names = ["e", "i"]
    delays = 0.5                      # synaptic delays in the unit of tau: a number,
                                      # { E = 2.0, I = 0.5 } (per presynaptic type), a list
                                      # (per presynaptic neuron, or n × n per synapse), or a
                                      # path, like W

    # or a builder from eicircuits.circuits
    [builder]
    name = "wilson_cowan"
    w_ee = 0.8
    w_ei = 1.5
    w_ie = 1.2
    w_ii = 0.5
    u_e = 1.0

A builder's vector input ``u`` may also be such a path. Paths are relative to the
specification file. A ``.npz`` file is either a SciPy sparse matrix
(``scipy.sparse.save_npz``: csr, csc, coo, bsr or dia) or an archive holding an array named
``W``. Files are read safely: sizes are checked from their headers before anything is allocated
(:data:`eicircuits._limits.MAX_FILE_ENTRIES`), object arrays are never unpickled, sparse index
arrays are validated before use, and messages never quote a file's contents. Every problem raises
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
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from ._limits import MAX_FILE_ENTRIES
from ._validate import check_sparse_structure
from .activations import activation_from_spec
from .errors import EICircuitsError, SpecError, ValidationError
from .network import Network

__all__ = ["CircuitSpec", "BUILDERS", "load_spec", "read_spec", "spec_from_dict", "DEFAULT_SOURCE"]

#: Builder names accepted in ``[builder]`` tables -> function in :mod:`eicircuits.circuits`.
BUILDERS: dict[str, str] = {
    "wilson_cowan": "wilson_cowan",
    "lateral_inhibition": "lateral_inhibition",
    "cortical_column": "cortical_column",
    "random_ei": "random_ei",
    "ssn": "ssn",  # the supralinear two-population network (circuits.ssn)
}

DEFAULT_SOURCE = "<built-in default circuit>"
_NETWORK_KEYS = {"W", "tau", "u", "activation", "cell_types", "names", "delays"}


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
    #: The ``[stimulus]`` table (see :func:`eicircuits.stimulus.from_spec`), if any.
    stimulus: dict[str, Any] | None = None

    def builder_function(self) -> Callable[..., Network]:
        """The builder callable (for sweeps); for an explicit network, a function of overrides."""
        if self.builder is None:
            return lambda **overrides: self.network(**overrides)
        module = importlib.import_module("eicircuits.circuits")
        return getattr(module, BUILDERS[self.builder])

    def input_files(self) -> dict[str, str]:
        """SHA-256 of every file the spec reads, by the path written in it (``{}``: none).

        Part of the identity of results computed from the spec (a sweep store refuses to resume
        once a file's content has changed).
        """
        import hashlib

        out: dict[str, str] = {}
        for key in ("W", "u", "tau", "delays") if self.builder is None else ("u",):
            value = self.params.get(key)
            if not isinstance(value, str):
                continue
            path = (self.base_dir / value).resolve()
            if not path.is_file():
                continue
            h = hashlib.sha256()
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            out[value] = h.hexdigest()
        return out

    def network(self, **overrides: Any) -> Network:
        """Build the network, with keyword ``overrides`` replacing spec parameters."""
        params = {**self.params, **overrides}
        where = "[builder]" if self.builder else "[network]"
        try:
            if self.builder is None:
                return self._explicit(params)
            fn = self.builder_function()
            _check_builder_keys(fn, params, self.source, self.builder)
            values = _builder_values(params, self.source, self.base_dir)
            _check_builder_required(fn, values, self.source, self.builder)
            return fn(**values)
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
        for key in ("tau", "u"):
            if key in table:
                kwargs[key] = _load_vector(table[key], self.base_dir, self.source, key)
        if "names" in table:
            kwargs["names"] = table["names"]
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
            except (EICircuitsError, TypeError, ValueError, KeyError, AttributeError) as exc:
                raise SpecError(f"{self.source}: [network].activation: {exc}") from exc
        if "delays" in table:
            n = int(W.shape[0]) if np.ndim(W) >= 1 else 0
            kwargs["delays"] = _load_delays(table["delays"], self.base_dir, self.source, n)
        try:
            return Network(**kwargs)
        except EICircuitsError as exc:
            if str(exc).startswith("delays"):  # Network's message starts with the key
                raise SpecError(f"{self.source}: [network].{exc}") from exc
            raise


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


def _check_builder_required(fn: Callable[..., Any], params: Mapping[str, Any], source: str,
                            name: str) -> None:
    sig = inspect.signature(fn)
    missing = [k for k, p in sig.parameters.items()
               if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
               and k not in params]
    if missing:
        raise SpecError(
            f"{source}: [builder]: builder {name!r} needs {', '.join(map(repr, missing))}; "
            f"add {' and '.join(f'{k} = …' for k in missing)} to the [builder] table"
        )


def _builder_values(params: Mapping[str, Any], source: str,
                    base_dir: Path | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key == "u" and isinstance(value, str):  # a file, as in [network]
            out[key] = _load_vector(value, base_dir or Path.cwd(), source, key, table="builder")
        elif key == "activation":
            try:
                out[key] = activation_from_spec(value)
            except (EICircuitsError, TypeError, ValueError, KeyError, AttributeError) as exc:
                raise SpecError(f"{source}: [builder].activation: {exc}") from exc
        elif isinstance(value, list):
            out[key] = np.asarray(value, dtype=float)
        else:
            out[key] = value
    return out


_SPARSE_FORMATS = ("csr", "csc", "coo", "bsr", "dia")


def _file_error(source: str, key: str, value: str, text: str,
                table: str = "network") -> SpecError:
    return SpecError(f"{source}: [{table}].{key}: {value!r}: {text}")


def _npy_header(fh: Any) -> tuple[tuple[int, ...], np.dtype[Any]]:
    """Shape and dtype from a ``.npy`` header (nothing else is read)."""
    import numpy.lib.format as npformat

    version = npformat.read_magic(fh)
    if version == (1, 0):
        shape, _, dtype = npformat.read_array_header_1_0(fh)
    else:
        shape, _, dtype = npformat.read_array_header_2_0(fh)
    return tuple(int(s) for s in shape), dtype


def _check_declared(shape: tuple[int, ...], dtype: np.dtype[Any], where: str,
                    fail: Callable[[str], SpecError]) -> None:
    """Refuse object dtypes and arrays above :data:`MAX_FILE_ENTRIES` from their header."""
    if dtype.hasobject:
        raise fail(f"{where} holds Python objects (dtype {dtype}); object arrays are not read "
                   "(unpickling can run code); save numbers only")
    if dtype.kind not in "biuf":
        raise fail(f"{where} holds dtype {dtype}; expected real numbers")
    size = math.prod(shape)
    if size > MAX_FILE_ENTRIES:
        dims = " × ".join(str(s) for s in shape)
        raise fail(f"{where} declares {dims} = {size} entries, above the limit of "
                   f"{MAX_FILE_ENTRIES} (eicircuits._limits.MAX_FILE_ENTRIES); refused before "
                   "reading")


def _npz_headers(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype[Any]]]:
    import zipfile

    out = {}
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            name = info.filename
            if not name.endswith(".npy"):
                continue
            with zf.open(info) as fh:
                out[name[:-4]] = _npy_header(fh)
    return out


def _read_npz(path: Path, fail: Callable[[str], SpecError], *, sparse_ok: bool) -> Any:
    headers = _npz_headers(path)
    for name, (shape, dtype) in headers.items():
        if name != "format":
            _check_declared(shape, dtype, f"array {name!r}", fail)
    if "format" not in headers:
        if "W" not in headers:
            raise fail(f"holds no sparse matrix and no array named 'W' (found "
                       f"{sorted(headers)})")
        with np.load(path, allow_pickle=False) as archive:
            return archive["W"]
    if not sparse_ok:
        raise fail("holds a sparse matrix; expected a vector")
    with np.load(path, allow_pickle=False) as archive:
        fmt_arr = archive["format"]
        if fmt_arr.dtype.kind not in "SU" or fmt_arr.size != 1:
            raise fail("is not a SciPy sparse archive: its 'format' is not a name")
        fmt = fmt_arr.item()
        fmt = fmt.decode("ascii", "replace") if isinstance(fmt, bytes) else str(fmt)
        if fmt not in _SPARSE_FORMATS:
            raise fail(f"unsupported sparse format {fmt[:20]!r}; expected one of "
                       f"{list(_SPARSE_FORMATS)} (scipy.sparse.save_npz)")
        if "shape" not in headers or headers["shape"][0] != (2,):
            raise fail(f"sparse {fmt} archive without a 2-entry 'shape'")
        shape = tuple(int(s) for s in archive["shape"])
        if min(shape) < 0 or max(shape) > MAX_FILE_ENTRIES:
            raise fail(f"declares a {shape[0]} × {shape[1]} sparse matrix, above the limit "
                       f"of {MAX_FILE_ENTRIES} rows or columns "
                       "(eicircuits._limits.MAX_FILE_ENTRIES); refused before allocating")
        need = {"csr": ("data", "indices", "indptr"), "csc": ("data", "indices", "indptr"),
                "bsr": ("data", "indices", "indptr"), "coo": ("data", "row", "col"),
                "dia": ("data", "offsets")}[fmt]
        missing = [k for k in need if k not in headers]
        if missing:
            raise fail(f"sparse {fmt} archive without {missing[0]!r}")
        parts = {k: archive[k] for k in need}
    cls = {"csr": sp.csr_array, "csc": sp.csc_array, "bsr": sp.bsr_array,
           "coo": sp.coo_array, "dia": sp.dia_array}[fmt]
    if fmt == "coo":
        M = cls((parts["data"], (parts["row"], parts["col"])), shape=shape)
    elif fmt == "dia":
        M = cls((parts["data"], parts["offsets"]), shape=shape)
    else:
        M = cls((parts["data"], parts["indices"], parts["indptr"]), shape=shape)
    check_sparse_structure("the sparse matrix", M)  # before any kernel reads its indices
    return M.tocsr()


_CSV_WHERE = re.compile(r"(at row \d+, column \d+)")


def _read_csv(path: Path, fail: Callable[[str], SpecError]) -> Any:
    size = path.stat().st_size
    if size > 32 * MAX_FILE_ENTRIES:
        raise fail(f"is {size} bytes, above what {MAX_FILE_ENTRIES} numbers need "
                   "(eicircuits._limits.MAX_FILE_ENTRIES); refused before reading")
    try:
        return np.loadtxt(path, delimiter=",", ndmin=2)
    except ValueError as exc:
        # never quote the file's contents in a message (it may not be ours to show)
        found = _CSV_WHERE.search(str(exc))
        where = f" ({found.group(1)}, counted from 0)" if found else ""
        raise fail(f"not a table of numbers separated by commas{where}") from None


def _read_file(value: str, base_dir: Path, source: str, key: str, *, sparse_ok: bool,
               table: str = "network") -> Any:
    """Read an array (or, for ``W``, a sparse matrix) from a file named in a spec, safely."""
    def fail(text: str) -> SpecError:
        return _file_error(source, key, value, text, table)

    path = (base_dir / value).resolve()
    if not path.is_file():
        raise SpecError(
            f"{source}: [{table}].{key}: file {value!r} not found (relative to the spec)"
        )
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            with open(path, "rb") as fh:
                shape, dtype = _npy_header(fh)
            _check_declared(shape, dtype, "the array", lambda t: fail(
                t.replace("the array declares", "declares")))
            return np.load(path, allow_pickle=False)
        if suffix == ".npz":
            return _read_npz(path, fail, sparse_ok=sparse_ok)
        if suffix == ".csv":
            return _read_csv(path, fail)
    except SpecError:
        raise
    except ValidationError as exc:
        raise fail(str(exc)) from exc
    except (OSError, ValueError, KeyError, EOFError, MemoryError) as exc:
        import zipfile

        if isinstance(exc, zipfile.BadZipFile):
            raise fail("not a NumPy .npz archive (bad zip file)") from None
        raise fail(f"could not read it ({type(exc).__name__}: {str(exc)[:200]})") from exc
    raise SpecError(
        f"{source}: [{table}].{key}: unsupported file type {suffix!r}; "
        "expected .npy, .npz or .csv"
    )


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
    return _read_file(value, base_dir, source, "W", sparse_ok=True)


def _load_vector(value: Any, base_dir: Path, source: str, key: str,
                 table: str = "network") -> Any:
    """``u``/``tau``: inline numbers as they are, a ``.npy``/``.npz``/``.csv`` path read."""
    if not isinstance(value, str):
        return value
    arr = np.asarray(_read_file(value, base_dir, source, key, sparse_ok=False, table=table))
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim > 1:
        raise _file_error(source, key, value, f"holds shape {arr.shape}; expected a vector "
                          "(one value per neuron: one row or one column)", table)
    return arr


def _load_delays(value: Any, base_dir: Path, source: str, n: int) -> Any:
    """``delays``: a number, a ``{E = …, I = …}`` table, an inline list, or a file like ``W``.

    A file holds an ``(n, n)`` matrix (dense or a sparse ``.npz``) or a vector of ``n`` delays
    (one row or one column); the values are checked by :class:`~eicircuits.Network`.
    """
    if isinstance(value, bool) or value is None:
        raise SpecError(f"{source}: [network].delays: expected a number, a table "
                        f"{{ E = …, I = … }}, a list or a file path, got {value!r}")
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, list):
        try:
            return np.asarray(value, dtype=float)
        except (TypeError, ValueError) as exc:
            raise SpecError(f"{source}: [network].delays: expected numbers (a list of {n} "
                            f"or {n} rows of {n}), got {value!r}") from exc
    if not isinstance(value, str):
        return value  # a number (checked by Network)
    arr = _read_file(value, base_dir, source, "delays", sparse_ok=True)
    if sp.issparse(arr):
        return arr
    arr = np.asarray(arr)
    if arr.ndim == 2 and 1 in arr.shape and arr.shape != (n, n):
        arr = arr.ravel()
    if arr.shape not in ((n,), (n, n)):
        raise _file_error(source, "delays", value, f"holds shape {arr.shape}; expected ({n},) "
                          f"(per presynaptic neuron) or ({n}, {n}) (per synapse)")
    return arr


def spec_from_dict(data: Mapping[str, Any], *, source: str = "<dict>",
                   base_dir: Path | None = None) -> CircuitSpec:
    """Parse an already-loaded specification (the TOML's top-level table)."""
    data, stim = _pop_stimulus(data, source)
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
        return CircuitSpec(None, dict(table), source, base, stim)
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
    return CircuitSpec(str(name), table, source, base, stim)


def _pop_stimulus(data: Mapping[str, Any], source: str
                  ) -> tuple[Mapping[str, Any], dict[str, Any] | None]:
    """Split off and check the optional ``[stimulus]`` table (a protocol of eicircuits.stimulus)."""
    if "stimulus" not in data:
        return data, None
    rest = {k: v for k, v in data.items() if k != "stimulus"}
    table = data["stimulus"]
    if not isinstance(table, Mapping):
        raise SpecError(f"{source}: [stimulus] must be a table")
    from .stimulus import from_spec

    try:
        from_spec(table)
    except EICircuitsError as exc:
        raise SpecError(f"{source}: [stimulus]: {exc}") from exc
    return rest, dict(table)


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
