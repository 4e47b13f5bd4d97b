"""One-parameter families from a circuit specification (``eicircuits continue --param``).

``NAME`` is resolved in this order:

1. with an explicit input ``direction``: ``u(λ) = u + λ·direction`` (``NAME`` only labels λ);
2. a parameter of the specification's builder (case-insensitive, so ``u_E`` is ``u_e``): the
   family rebuilds the network at every ``λ``; when only the input changes, and affinely, it is
   turned into an input family so the exact piecewise-linear path applies;
3. ``u_<neuron>``: that neuron's input (the exact path for ReLU circuits);
4. ``tau_<neuron>``: that neuron's time constant.

Examples
--------
>>> from eicircuits.spec import spec_from_dict
>>> spec = spec_from_dict({"builder": {"name": "wilson_cowan", "w_ee": 2.0, "w_ei": 3.0,
...                                    "w_ie": 3.0, "w_ii": 1.0, "u_i": -4.0}})
>>> target, d, label = family_from_spec(spec, "u_E")
>>> type(target).__name__, d.tolist(), label
('Network', [1.0, 0.0], 'u_E')
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from ..errors import ValidationError
from ..network import Network

__all__ = ["family_from_spec", "parse_param", "input_affine"]


def parse_param(text: str) -> tuple[str, tuple[float, float]]:
    """``"NAME=START:STOP"`` → ``(NAME, (START, STOP))``.

    Raises
    ------
    ValidationError
        No ``=``, not two numbers, or ``START >= STOP``.
    """
    name, sep, rng = str(text).partition("=")
    parts = rng.split(":")
    if not sep or not name.strip() or len(parts) != 2:
        raise ValidationError(f"--param: expected NAME=START:STOP (e.g. u_E=-2:2), got {text!r}")
    try:
        a, b = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValidationError(f"--param: START and STOP must be numbers, got {text!r}") from None
    if not (np.isfinite(a) and np.isfinite(b) and a < b):
        raise ValidationError(f"--param: need finite START < STOP, got {text!r}")
    return name.strip(), (a, b)


def _same_except_input(a: Network, b: Network) -> bool:
    if a.n != b.n or a.activation != b.activation or not np.array_equal(a.tau, b.tau):
        return False
    if sp.issparse(a.W) or sp.issparse(b.W):
        return (sp.issparse(a.W) and sp.issparse(b.W)
                and abs(sp.csr_array(a.W) - sp.csr_array(b.W)).sum() == 0)
    return bool(np.array_equal(a.W, b.W))


def input_affine(fam: Callable[[float], Network], span: tuple[float, float],
                 ) -> tuple[Network, NDArray[np.float64]] | None:
    """``(net, d)`` with ``fam(λ) = net`` with input ``net.u + λ d``, checked at both ends and
    the middle of ``span`` (weights, τ and activations equal, the input affine to 1e-12), or
    ``None``."""
    a, b = span
    na, nb, nm = fam(a), fam(b), fam(0.5 * (a + b))
    if not all(isinstance(v, Network) for v in (na, nb, nm)):
        return None
    if not (_same_except_input(na, nb) and _same_except_input(na, nm)):
        return None
    d = (nb.u - na.u) / (b - a)
    if not np.any(d) or not np.allclose(nm.u, na.u + 0.5 * (b - a) * d, rtol=0, atol=1e-12):
        return None
    return na.with_input(na.u - a * d), d


def family_from_spec(spec: Any, name: str, direction: Any = None, *,
                     span: tuple[float, float] = (0.0, 1.0),
                     ) -> tuple[Network | Callable[[float], Network], NDArray[np.float64] | None,
                                str]:
    """``(target, direction, label)`` for :func:`eicircuits.continuation` (module docstring).

    Raises
    ------
    ValidationError
        ``NAME`` matches nothing (the message lists what would), or a bad direction.
    """
    base = spec.network()
    if direction is not None:
        from .._validate import check_vector

        d = check_vector("direction", direction, base.n, scalar=False)
        return base, d, name
    if spec.builder is not None:
        params = inspect.signature(spec.builder_function()).parameters
        match = [p for p in params if p == name] or [p for p in params
                                                     if p.lower() == name.lower()]
        if match:
            key = match[0]

            def fam(lam: float) -> Network:
                return spec.network(**{key: float(lam)})

            found = input_affine(fam, span)
            if found is not None:
                return found[0], found[1], name
            return fam, None, name
    names = {nm.lower(): k for k, nm in enumerate(base.names)}
    low = name.lower()
    for prefix in ("u_", "tau_"):
        if low.startswith(prefix) and low[len(prefix):] in names:
            k = names[low[len(prefix):]]
            if prefix == "u_":
                d = np.zeros(base.n)
                d[k] = 1.0
                u0 = base.u.copy()
                u0[k] = 0.0
                return base.with_input(u0), d, name

            def fam_tau(lam: float, k: int = k) -> Network:
                tau = base.tau.copy()
                tau[k] = lam
                return base.replace(tau=tau)

            return fam_tau, None, name
    options = [f"u_{nm}" for nm in base.names[:6]] + [f"tau_{nm}" for nm in base.names[:2]]
    if spec.builder is not None:
        options = list(inspect.signature(spec.builder_function()).parameters) + options
    raise ValidationError(f"--param: unknown parameter {name!r}; expected a builder parameter or "
                          f"u_<neuron> / tau_<neuron>, e.g. {options[:12]}, or give --direction")
