"""Argument checks shared by the model and the builders (one wording for every message)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .errors import ValidationError

__all__ = ["describe", "check_vector", "check_real", "check_sparse_structure", "check_out_path",
           "fingerprint_callable", "fingerprint_samples"]


def describe(value: Any) -> str:
    """A short description of a value for error messages: shape and dtype for arrays."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    if sp.issparse(value):
        return f"sparse matrix of shape {value.shape}"
    return f"{value!r} of type {type(value).__name__}"


def check_vector(name: str, value: Any, n: int, *, default: float = 0.0, context: str = "",
                 scalar: bool = True, what: str = "entry") -> NDArray[np.float64]:
    """A length-``n`` vector of finite reals (a scalar is broadcast when ``scalar``), copied.

    ``context`` is appended to the shape message (e.g. ``" to match W"``); ``what`` names the
    entries in the finiteness message (e.g. ``"rate"``).
    """
    if value is None:
        value = default
    check_real(name, value)
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name}: expected numbers, got {describe(value)}") from exc
    if arr.ndim == 0 and scalar:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        expected = f"a scalar or shape ({n},)" if scalar else f"shape ({n},)"
        raise ValidationError(
            f"{name}: expected {expected}{context}, got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        k = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValidationError(f"{name}: every {what} must be finite; {name}[{k}] = {arr[k]}")
    return arr


def check_real(name: str, value: Any) -> None:
    """Refuse complex numbers and strings where real numbers are expected (before ``float()``).

    NumPy would silently drop an imaginary part (with only a ``ComplexWarning``) and parse
    ``"0.5"`` as ``0.5``; both hide a mistake, so both are refused naming ``name``.
    """
    if sp.issparse(value):
        kind = value.dtype.kind
        if kind == "c":
            raise ValidationError(
                f"{name}: must be real, got a complex sparse matrix (dtype {value.dtype})"
            )
        if kind not in "biuf":
            raise ValidationError(f"{name}: expected numbers, got sparse dtype {value.dtype}")
        return
    if isinstance(value, (str, bytes)):
        raise ValidationError(f"{name}: expected numbers, not strings; got {value!r}")
    if isinstance(value, (complex, np.complexfloating)):
        raise ValidationError(f"{name}: must be real, got the complex number {value!r}")
    if isinstance(value, (bool, int, float, np.number)):
        return
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        return  # ragged and the like: the caller's conversion names the problem
    kind = arr.dtype.kind
    if kind == "c":
        flat = arr.ravel()
        k = int(np.argmax(flat.imag != 0)) if flat.size else 0
        first = f"; first entry {flat[k]!r}" if flat.size else ""
        raise ValidationError(
            f"{name}: must be real, got complex values (dtype {arr.dtype}){first}; pass the "
            "real part explicitly if that is what you mean"
        )
    if kind in "USa":
        raise ValidationError(
            f"{name}: expected numbers, not strings (dtype {arr.dtype}); convert them first"
        )
    if kind == "O":
        for item in arr.ravel():
            if isinstance(item, (str, bytes)):
                raise ValidationError(
                    f"{name}: expected numbers, not strings; found {item!r}"
                )
            if isinstance(item, (complex, np.complexfloating)):
                raise ValidationError(f"{name}: must be real, got complex value {item!r}")


def check_sparse_structure(name: str, M: Any) -> None:
    """Check the index arrays of a SciPy sparse matrix before any compiled kernel reads them.

    A sparse matrix loaded from a file (or built by hand) can carry ``indptr``/``indices`` that
    SciPy's constructors never checked; its C++ kernels then read out of bounds (garbage or a
    segmentation fault). CSR/CSC/BSR: ``indptr`` of length ``major + 1``, starting at 0, never
    decreasing, ending at the number of stored values, and indices in ``[0, minor)``. COO:
    equal lengths and indices in range. Shapes must be two non-negative integers.

    Raises
    ------
    ValidationError
        Naming ``name``, the rule and the offending value.
    """
    shape = M.shape
    if len(shape) != 2 or any(int(s) < 0 for s in shape):
        raise ValidationError(f"{name}: sparse matrix must be 2-D, got shape {shape}")
    n_rows, n_cols = (int(s) for s in shape)
    fmt = M.format
    if fmt == "coo":
        row, col, data = np.asarray(M.row), np.asarray(M.col), np.asarray(M.data)
        if not (row.shape == col.shape == data.shape and row.ndim == 1):
            raise ValidationError(
                f"{name}: sparse COO arrays disagree: {data.size} values, {row.size} row "
                f"indices, {col.size} column indices"
            )
        _in_range(name, "row", row, n_rows)
        _in_range(name, "column", col, n_cols)
        return
    if fmt not in ("csr", "csc", "bsr"):
        return  # dok, lil, dia: Python-level containers, converted safely by SciPy
    major, minor = (n_rows, n_cols) if fmt in ("csr", "bsr") else (n_cols, n_rows)
    what, other = ("row", "column") if fmt in ("csr", "bsr") else ("column", "row")
    if fmt == "bsr":
        r, c = M.blocksize
        if r < 1 or c < 1 or n_rows % r or n_cols % c:
            raise ValidationError(f"{name}: BSR block size {M.blocksize} does not tile {shape}")
        major, minor = n_rows // r, n_cols // c
    indptr, indices = np.asarray(M.indptr), np.asarray(M.indices)
    n_data = int(np.asarray(M.data).shape[0]) if np.asarray(M.data).ndim else -1
    if indptr.ndim != 1 or indptr.size != major + 1:
        raise ValidationError(
            f"{name}: sparse {what} pointers (indptr) has {indptr.size} entries, expected "
            f"{major + 1} for shape {shape}"
        )
    if indices.ndim != 1 or n_data != indices.size:
        raise ValidationError(
            f"{name}: sparse matrix is inconsistent: {n_data} values but {indices.size} "
            f"{other} indices"
        )
    if indptr[0] != 0:
        raise ValidationError(
            f"{name}: sparse {what} pointers (indptr) must start at 0, got {int(indptr[0])}"
        )
    steps = np.diff(indptr.astype(np.int64))
    if np.any(steps < 0):
        k = int(np.flatnonzero(steps < 0)[0])
        raise ValidationError(
            f"{name}: sparse {what} pointers (indptr) must not decrease; indptr[{k}] = "
            f"{int(indptr[k])} > indptr[{k + 1}] = {int(indptr[k + 1])}"
        )
    if int(indptr[-1]) != indices.size:
        raise ValidationError(
            f"{name}: sparse {what} pointers (indptr) ends at {int(indptr[-1])} but "
            f"{indices.size} stored values"
        )
    _in_range(name, other, indices, minor)


def _in_range(name: str, what: str, idx: np.ndarray, bound: int) -> None:
    if idx.size == 0:
        return
    if idx.dtype.kind not in "iu":
        raise ValidationError(f"{name}: sparse {what} indices must be integers, got {idx.dtype}")
    bad = (idx < 0) | (idx >= bound)
    if np.any(bad):
        k = int(np.flatnonzero(bad)[0])
        raise ValidationError(
            f"{name}: sparse {what} index out of range: entry {k} is {int(idx[k])}, expected "
            f"0 ≤ index < {bound}"
        )


def check_out_path(name: str, path: Any, *, force: bool = False, directory: bool = False) -> Any:
    """Check that an output ``path`` can be written, before any computation, and return it.

    Refuses (``ValidationError`` naming ``name``) a path whose parent cannot be created or
    written, and an existing file or non-empty folder unless ``force``. With ``directory``,
    ``path`` is a folder that will hold several files (created here).
    """
    import os
    import tempfile
    from pathlib import Path

    p = Path(path)
    if p.exists() and not force:
        if not p.is_dir() or (directory is False) or any(p.iterdir()):
            what = "folder" if p.is_dir() else "file"
            raise ValidationError(
                f"{name}: {str(p)!r} exists (a {what}); pass --force to overwrite it or give "
                "another path"
            )
    target = p if directory else p.parent
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(f"{name}: cannot create {str(target)!r}: {exc.strerror}") from exc
    if not target.is_dir():
        raise ValidationError(f"{name}: {str(target)!r} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".eicircuits-write-test-", dir=target)
        try:
            os.write(fd, b"\0" * 4096)
            os.fsync(fd)
        finally:
            os.close(fd)
            os.unlink(probe)
    except OSError as exc:
        raise ValidationError(
            f"{name}: cannot write into {str(target)!r}: {exc.strerror or exc}"
        ) from exc
    return p


# ---------------------------------------------------------------------------- fingerprints
def fingerprint_callable(fn: Any) -> str:
    """SHA-256 of what a callable computes, as far as it can be seen: its code and constants.

    Hashes the source text (the bytecode when no source is available), defaults, the values
    captured in closures, simple module globals the code reads (numbers, strings, arrays) and,
    recursively, functions of the same module it calls. Objects are fingerprinted by their
    type's ``__call__``; ``functools.partial`` by its function and arguments. Used to refuse
    resuming a computation (a sweep store, a simulation checkpoint) with changed code under the
    same name. Instance state and memory addresses are never hashed, so the same code gives the
    same fingerprint in every process.

    Examples
    --------
    >>> from eicircuits._validate import fingerprint_callable
    >>> def scale(c):
    ...     return lambda x: c * x
    >>> fingerprint_callable(scale(2.0)) == fingerprint_callable(scale(2.0))
    True
    >>> fingerprint_callable(scale(2.0)) == fingerprint_callable(scale(3.0))
    False
    """
    import hashlib

    h = hashlib.sha256()
    _feed_callable(h, fn, 0, set())
    return h.hexdigest()


_MAX_DEPTH = 4


def _feed_callable(h: Any, fn: Any, depth: int, seen: set[int]) -> None:
    import functools
    import inspect

    if id(fn) in seen or depth > _MAX_DEPTH:
        h.update(b"<seen>")
        return
    seen.add(id(fn))
    if isinstance(fn, functools.partial):
        h.update(b"partial:")
        _feed_callable(h, fn.func, depth + 1, seen)
        _feed_value(h, fn.args, depth + 1, seen)
        _feed_value(h, dict(fn.keywords), depth + 1, seen)
        return
    if inspect.ismethod(fn):
        h.update(f"method of {type(fn.__self__).__qualname__}:".encode())
        _feed_callable(h, fn.__func__, depth + 1, seen)
        return
    code = getattr(fn, "__code__", None)
    if code is None:
        cls = type(fn)
        h.update(f"object {cls.__module__}.{cls.__qualname__}:".encode())
        call = next((c.__dict__["__call__"] for c in cls.__mro__ if "__call__" in c.__dict__),
                    None)
        if getattr(call, "__code__", None) is not None:
            _feed_callable(h, call, depth + 1, seen)
        return
    module = getattr(fn, "__module__", None) or ""
    h.update(f"function {module}.{getattr(fn, '__qualname__', '')}:".encode())
    try:
        h.update(inspect.getsource(fn).encode())
    except (OSError, TypeError):
        _feed_code(h, code)
    _feed_value(h, getattr(fn, "__defaults__", None), depth + 1, seen)
    _feed_value(h, getattr(fn, "__kwdefaults__", None), depth + 1, seen)
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        _feed_value(h, value, depth + 1, seen)
    if module.startswith("eicircuits"):  # library code: its version stands for its internals
        from importlib.metadata import PackageNotFoundError, version

        try:
            h.update(f"eicircuits {version('eicircuits')}".encode())
        except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
            pass
    glob = getattr(fn, "__globals__", {})
    for name in sorted(_code_names(code)):
        if name not in glob:
            continue
        value = glob[name]
        if _is_simple(value) or (inspect.isfunction(value)
                                 and getattr(value, "__module__", None) == module):
            h.update(f"global {name}=".encode())
            _feed_value(h, value, depth + 1, seen)


def _code_names(code: Any) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            names |= _code_names(const)
    return names


def _feed_code(h: Any, code: Any) -> None:
    h.update(code.co_code)
    h.update(repr(code.co_names).encode())
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            _feed_code(h, const)
        elif isinstance(const, frozenset):  # set order depends on the hash seed
            h.update(repr(sorted(map(repr, const))).encode())
        else:
            h.update(repr(const).encode())


def _is_simple(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes, np.generic,
                                           np.ndarray)):
        return True
    if isinstance(value, (tuple, list, frozenset)):
        return len(value) < 10_000 and all(_is_simple(v) for v in value)
    return False


def _feed_value(h: Any, value: Any, depth: int, seen: set[int]) -> None:
    import inspect

    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        h.update(f"{type(value).__name__}:{value!r};".encode())
    elif isinstance(value, np.generic):
        h.update(f"{value.dtype}:{value.item()!r};".encode())
    elif isinstance(value, np.ndarray):
        h.update(f"ndarray {value.dtype} {value.shape};".encode())
        if value.dtype.hasobject:
            for v in value.ravel()[:10_000]:
                _feed_value(h, v, depth + 1, seen)
        else:
            h.update(np.ascontiguousarray(value).tobytes())
    elif sp.issparse(value):
        _feed_value(h, sp.coo_array(value).toarray() if value.shape[0] * value.shape[1] < 10**6
                    else value.data, depth, seen)
    elif isinstance(value, (tuple, list)):
        h.update(f"{type(value).__name__}[{len(value)}](".encode())
        for v in value:
            _feed_value(h, v, depth + 1, seen)
        h.update(b")")
    elif isinstance(value, (set, frozenset)):
        h.update(repr(sorted(map(repr, value))).encode())
    elif isinstance(value, dict):
        h.update(b"dict(")
        for k in sorted(value, key=repr):
            h.update(repr(k).encode())
            _feed_value(h, value[k], depth + 1, seen)
        h.update(b")")
    elif isinstance(value, type):  # a class (e.g. Network in a closure): its name, not a call
        h.update(f"class {value.__module__}.{value.__qualname__};".encode())
    elif callable(value) and (inspect.isfunction(value) or inspect.ismethod(value)
                              or hasattr(value, "func")):
        _feed_callable(h, value, depth, seen)
    elif hasattr(value, "fingerprint") and callable(value.fingerprint) and \
            hasattr(value, "tau") and hasattr(value, "u"):  # a Network
        h.update(f"network {value.fingerprint()}".encode())
        _feed_value(h, np.asarray(value.tau), depth, seen)
        _feed_value(h, np.asarray(value.u), depth, seen)
        h.update(repr(value.activation).encode())
    elif hasattr(value, "to_spec") and callable(value.to_spec):
        _feed_value(h, value.to_spec(), depth + 1, seen)
    else:  # an arbitrary object: its type only (its repr may hold a memory address)
        cls = type(value)
        h.update(f"object {cls.__module__}.{cls.__qualname__};".encode())


def fingerprint_samples(fn: Callable[[float], Any], t0: float, t1: float, *,
                        count: int = 9) -> str:
    """SHA-256 of a function of time sampled at ``count`` fixed times in ``[t0, t1]``.

    Identifies a callable input ``u(t)`` by what it returns rather than by its code, so that a
    checkpoint written with one input is not continued with another, while an equivalent
    callable (the same values) is accepted. The times include both ends and irrational
    fractions of the interval (unlikely switching times of a protocol).

    Examples
    --------
    >>> import numpy as np
    >>> from eicircuits._validate import fingerprint_samples
    >>> a = fingerprint_samples(lambda t: np.array([np.sin(t)]), 0.0, 10.0)
    >>> a == fingerprint_samples(lambda s: np.sin(np.array([s])), 0.0, 10.0)
    True
    >>> a == fingerprint_samples(lambda t: np.array([np.cos(t)]), 0.0, 10.0)
    False
    """
    import hashlib

    golden = (5 ** 0.5 - 1) / 2
    fractions = [0.0, 1.0] + [(k * golden) % 1.0 for k in range(1, count - 1)]
    h = hashlib.sha256(f"samples {count}".encode())
    for frac in fractions:
        t = float(t0 + (t1 - t0) * frac)
        h.update(np.ascontiguousarray(np.asarray(fn(t), dtype=np.float64)).tobytes())
    return h.hexdigest()
