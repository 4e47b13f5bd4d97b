"""The exception and warning hierarchy of eicircuits.

Every error the library raises on purpose is an :class:`EICircuitsError`. Errors about
what the user passed in also subclass :class:`ValueError`; errors about a computation
that could not be completed also subclass :class:`RuntimeError`, so ``except ValueError``
keeps working for code that does not know this package.
"""

from __future__ import annotations

__all__ = [
    "EICircuitsError",
    "ValidationError",
    "DaleLawError",
    "SpecError",
    "SizeLimitError",
    "ConvergenceError",
    "SolverError",
    "EICircuitsWarning",
]


class EICircuitsError(Exception):
    """Base class of every exception raised by eicircuits."""


class ValidationError(EICircuitsError, ValueError):
    """An argument breaks a rule: wrong shape, non-finite value, out of range, unknown option."""


class DaleLawError(ValidationError):
    """A weight matrix gives a neuron synapses of both signs, or of the wrong sign for its type."""


class SpecError(ValidationError):
    """A circuit specification file is malformed (names the file, the key and what was expected)."""


class SizeLimitError(ValidationError):
    """A problem is too large for the requested exact method (e.g. support enumeration)."""


class ConvergenceError(EICircuitsError, RuntimeError):
    """An iterative computation did not converge and the caller asked for an exception."""


class SolverError(EICircuitsError, RuntimeError):
    """An external solver (SDP, linear algebra) failed or is not available."""


class EICircuitsWarning(UserWarning):
    """Something was done that the user should know about (e.g. an activation was rescaled)."""
