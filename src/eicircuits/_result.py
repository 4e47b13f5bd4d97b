"""One result shape for the whole library (SciPy's ``OptimizeResult``, diffrax's ``RESULTS``).

Every result object of eicircuits — equilibria, trajectories, certificates, verifications,
designs, continuations, analyses — answers the same questions the same way:

``success``
    Did the task do what was asked (converged, certified, valid, …)? The task's own name
    (``converged``, ``certified``, ``valid``) stays as an alias.
``status``
    A short machine-readable word (``"converged"``, ``"max_iterations"``, ``"infeasible"``, …).
``message``
    What happened and, on failure, what the user can do about it.
``stats``
    Counts and timings (iterations, pivots, seconds, …) as a plain ``dict``.
``raise_if_failed()``
    ``self`` on success, else an exception of the library's hierarchy carrying the message.
``to_dict()``
    A JSON-safe ``dict`` (non-finite floats become ``"inf"``, ``"-inf"`` or ``None`` for NaN).

Examples
--------
>>> import dataclasses
>>> @dataclasses.dataclass(frozen=True)
... class Demo(Result):
...     value: float
...     success: bool = True
...     status: str = "done"
...     message: str = ""
>>> Demo(float("inf")).to_dict()
{'value': 'inf', 'success': True, 'status': 'done', 'message': '', 'stats': {}}
>>> Demo(1.0, success=False, status="failed", message="try more steps").raise_if_failed()
Traceback (most recent call last):
...
eicircuits.errors.ConvergenceError: Demo failed (failed): try more steps
"""

from __future__ import annotations

import dataclasses
import enum
import math
from typing import Any, ClassVar

from .errors import ConvergenceError, EICircuitsError

__all__ = ["Result", "jsonable"]


def jsonable(value: Any) -> Any:
    """Convert a value (recursively) to plain, strictly JSON-safe Python.

    NumPy scalars and arrays become numbers and lists; complex numbers ``[re, im]``; ``+inf`` and
    ``-inf`` the strings ``"inf"`` and ``"-inf"``; NaN ``None``; dataclasses and objects with
    ``to_dict`` their dictionaries; enums their value; sparse matrices a COO dictionary.
    """
    import numpy as np
    import scipy.sparse as sp

    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if isinstance(value, complex):
        return [jsonable(value.real), jsonable(value.imag)]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if sp.issparse(value):
        coo = sp.coo_array(value)
        return {"format": "coo", "shape": list(coo.shape), "row": coo.row.tolist(),
                "col": coo.col.tolist(), "data": jsonable(coo.data)}
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return jsonable(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return repr(value)


class Result:
    """Mixin giving a result class the common shape (see the module docstring).

    A subclass provides ``success`` (a field or a property), ``status`` and ``message``; it may
    provide ``stats`` (a ``dict``). It may set ``failure_error`` to the exception class that
    :meth:`raise_if_failed` raises (default :class:`~eicircuits.errors.ConvergenceError`), and
    override :meth:`_fields_for_dict` to leave bulky fields out of :meth:`to_dict`.
    """

    failure_error: ClassVar[type[EICircuitsError]] = ConvergenceError

    @property
    def ok(self) -> bool:
        """Alias of ``success``."""
        return bool(self.success)  # type: ignore[attr-defined]

    def raise_if_failed(self) -> Any:
        """Return ``self`` on success, else raise ``failure_error`` with the status and message.

        Raises
        ------
        EICircuitsError
            The class's ``failure_error`` (a ``RuntimeError`` or ``ValueError`` subclass).
        """
        if not self.success:  # type: ignore[attr-defined]
            status = getattr(self, "status", "failed")
            message = getattr(self, "message", "")
            raise self.failure_error(f"{type(self).__name__} failed ({status}): {message}")
        return self

    def _fields_for_dict(self) -> dict[str, Any]:
        if dataclasses.is_dataclass(self):
            return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                    if not f.name.startswith("_")}
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dictionary of the result (see :func:`jsonable`)."""
        out = self._fields_for_dict()
        for key in ("success", "status", "message"):
            if key not in out and hasattr(self, key):
                out[key] = getattr(self, key)
        if "stats" not in out:
            out["stats"] = getattr(self, "stats", {}) or {}
        return jsonable(out)
