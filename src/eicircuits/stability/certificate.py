"""The :class:`Certificate`: what is proven, in which norm, with which weights; re-checkable.

A certificate never relies on the solver that produced it: :meth:`Certificate.verify`
recomputes the defining inequality from the network and the stored numbers, and
:meth:`Certificate.save` / :meth:`Certificate.load` keep it as JSON tied to the network.

What makes a certificate trustworthy:

* **Proofs, not opinions.** For ``n ≤ EXACT_LIMIT`` the inequality is formed and decided in
  exact rational arithmetic from the exact values of ``W`` and of the stored numbers (every
  float is a dyadic rational); larger dense problems use floating point with a rigorous bound
  on every rounding error (Rump's criterion for the Cholesky test, a priori bounds for sums).
  A check that is not a proof (Lanczos above ``DENSE_VERIFY_LIMIT``) yields at most
  "numerical evidence" with ``certified = False``.
* **Statements are derived, never stored.** :attr:`Certificate.statement` is rebuilt from the
  kind, the margin or rate, the time constants (equal or not) and the activation class; an
  edited statement in a file does not survive :meth:`load`, and
  :attr:`Verification.statement` is what the verification actually established.
* **Kinds are bound to their preconditions**, checked on the network given to ``verify``:
  its ``W`` and ``τ`` (exactly), the activation contract (slopes in ``[0, 1]``, measured on
  samples), equal ``τ`` for ``"contraction-l2"``.
* **Files are validated** before any work: every field has a type, a shape and a range, and
  the work a file can demand is capped by its size.

Kinds and what ``verify`` checks (``A = W − I``, ``S = PA + AᵀP``, ``P = diag(weights)``):

``"lds"``, ``"metzler"``, ``"comparison"``
    ``weights > 0`` and ``S ⪯ −2·margin·mean(p)·I`` (``S ≺ 0`` when no margin is claimed); for
    ``"metzler"``/``"comparison"`` with ``data["v"]`` also the scalable comparison test
    ``Ŝ v < 0`` (``Ŝ`` the comparison matrix of ``S``), which proves ``S ≺ 0`` and a margin by
    Gershgorin's theorem at any size.
``"contraction-linf"``
    ``rate ≤ min_i τ_i⁻¹ (1 − max(0, W_ii + Σ_{j≠i} |W_ij| η_j / η_i))``, ``η = weights``.
``"contraction-l2"``
    equal ``τ``, and ``[[−2(1−c)P, P + WᵀQ], [P + QW, −2Q]] ≺ 0`` with ``c = rate·τ``,
    ``P = weights`` (matrix), ``Q = diag(data["q"])``.
``"cascade"``
    the block structure and the whole inequality ``S ≺ 0`` for the composed weights.
``"none"``
    a refusal; with a refutation ``V``: ``X = VVᵀ/‖V‖²_F`` has ``diag(AX) ≥ 0`` (not LDS).

Examples
--------
>>> from eicircuits import Network
>>> from eicircuits.stability import certify
>>> cert = certify(Network(W=[[0.5, -1.0], [2.0, -0.5]], cell_types="EI"), method="lds")
>>> cert.certified, cert.kind, bool(cert.verify()), cert.verify().exact
(True, 'lds', True, True)
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import numbers
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from numpy.typing import NDArray

from .._limits import DENSE_EIG_LIMIT, DENSE_VERIFY_LIMIT, EXACT_LIMIT, MAX_FILE_ENTRIES
from .._result import Result, jsonable
from ..errors import EICircuitsError, ValidationError
from ..network import Network
from ._exact import leading_minors_exact, to_integer
from .refute import verify_refutation

__all__ = ["Certificate", "Verification", "tau_fingerprint", "KINDS", "claimable"]

FloatArray = NDArray[np.float64]

KINDS = ("lds", "metzler", "comparison", "contraction-linf", "contraction-l2", "cascade", "none")
_LDS_KINDS = ("lds", "metzler", "comparison", "cascade")
_FORMAT = "eicircuits-certificate/2"
#: The norm each kind's claim is made in (derived from the kind, like the statement).
_NORMS: dict[str, str | None] = {
    "lds": "P-weighted ℓ2 (Lyapunov function, τ-free)",
    "metzler": "P-weighted ℓ2 (Lyapunov function, τ-free)",
    "comparison": "P-weighted ℓ2 (Lyapunov function, τ-free)",
    "cascade": "P-weighted ℓ2 (Lyapunov function, τ-free)",
    "contraction-linf": "weighted ℓ∞ (max_i |x_i| / η_i)",
    "contraction-l2": "‖x‖_P = √(xᵀPx)",
    "none": None,
}
_FORMATS = ("eicircuits-certificate/1", _FORMAT)
#: Fields a certificate file may hold besides the dataclass fields (derived, ignored on load).
_DERIVED_KEYS = frozenset({"format", "statement", "status", "success", "message"})
#: Largest ``n × (bits of the longest exact integer)`` for which the exact Bareiss test is run
#: (about 5 s at n = 60); above it a rigorous floating-point test is used instead.
_EXACT_WORK = 60 * 256
#: Largest magnitude of a stored number (larger ones overflow the floating-point checks).
_MAX_ABS = 1e300
#: Largest n of the weighted-ℓ2 contraction LMI (a 2n × 2n matrix).
_L2_LIMIT = 60
_U = np.finfo(float).eps / 2

# advice that fits both the command line and Python (the CLI prints these statements too)
_LOCAL_HINT = ("local stability depends on τ: `eicircuits equilibrium SPEC` (command line) or "
               "eicircuits.local_stability(net, x_eq) (Python) reports it at an equilibrium")


def tau_fingerprint(tau: Any) -> str:
    """SHA-256 of the time constants (the rate claims depend on them)."""
    return hashlib.sha256(np.ascontiguousarray(tau, dtype=float).tobytes()).hexdigest()


def claimable(m: float | None, *, bits: int = 24) -> float | None:
    """A margin or rate safe to claim for a computed value ``m``: a hair below, rounded down.

    ``m (1 − 10⁻⁷)`` rounded down to a ``bits``-bit dyadic rational (so the exact check works on
    short integers and the claim reads as a short fraction); ``None`` unless ``m > 0``.

    Examples
    --------
    >>> claimable(0.75), claimable(-1.0)
    (0.7499998807907104, None)
    """
    if m is None or not np.isfinite(m) or m <= 0:
        return None
    mant, ex = math.frexp(float(m) * (1.0 - 1e-7))
    out = math.ldexp(math.floor(math.ldexp(mant, bits)), ex - bits)
    return out if out > 0 else None


def _gamma(k: int) -> float:
    ku = k * _U
    return ku / (1.0 - ku)


# ---------------------------------------------------------------------- verification result
@dataclasses.dataclass(frozen=True)
class Verification(Result):
    """Result of :meth:`Certificate.verify`; truthy when valid.

    Attributes
    ----------
    valid : bool
        Whether the certificate's claim is established for the network (alias of
        ``success``): a certified claim only when the check is a proof; a "numerical
        evidence" certificate when the estimate agrees.
    exact : bool
        Whether it was decided in exact rational arithmetic.
    method : str
        How it was checked.
    message : str
        What was found (the proven margin or rate as a rational bound, or what failed).
    proof : bool
        Whether the check is a proof (exact, or floating point with rigorous rounding bounds);
        ``False`` for numerical evidence (Lanczos estimates).
    statement : str
        What the verification established, derived from the checked numbers and the network
        (empty when invalid).
    status : str
        ``"valid"``, ``"invalid"``, ``"numerical_evidence"`` or ``"nothing_to_verify"``.
    stats : dict
        ``seconds`` and, for exact checks, the bit length of the integers.
    """

    valid: bool
    exact: bool
    method: str
    message: str
    proof: bool = False
    statement: str = ""
    status: str = ""
    stats: dict[str, Any] = dataclasses.field(default_factory=dict)

    failure_error: ClassVar[type[EICircuitsError]] = ValidationError

    def __post_init__(self) -> None:
        if not self.status:
            object.__setattr__(self, "status", "valid" if self.valid else "invalid")

    @property
    def success(self) -> bool:
        """Alias of ``valid``."""
        return bool(self.valid)

    def __bool__(self) -> bool:
        return bool(self.valid)


def _fail(method: str, message: str, *, exact: bool = False, status: str = "") -> Verification:
    return Verification(False, exact, method, message, status=status)


# ---------------------------------------------------------------------- field validation
def _number(name: str, value: Any, *, positive: bool = False) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValidationError(f"certificate field {name}: expected a number or null, "
                              f"got {type(value).__name__} {value!r:.40}")
    x = float(value)
    if not math.isfinite(x) or abs(x) > _MAX_ABS:
        raise ValidationError(f"certificate field {name}: must be finite (|x| ≤ {_MAX_ABS:g}), "
                              f"got {x}")
    if positive and x <= 0:
        raise ValidationError(f"certificate field {name}: a certified claim needs {name} > 0, "
                              f"got {x:g}")
    return x


def _array(name: str, value: Any, shape: tuple[int | None, ...]) -> FloatArray | None:
    if value is None:
        return None
    if isinstance(value, (str, bytes, dict)) or (
            not isinstance(value, np.ndarray) and not isinstance(value, (list, tuple))):
        raise ValidationError(f"certificate field {name}: expected an array of numbers, "
                              f"got {type(value).__name__}")
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"certificate field {name}: not a rectangular array of numbers "
                              f"({exc})") from exc
    if arr.ndim != len(shape) or any(s is not None and a != s
                                     for a, s in zip(arr.shape, shape, strict=True)):
        want = "(" + ", ".join("r" if s is None else str(s) for s in shape) + ")"
        raise ValidationError(f"certificate field {name}: expected shape {want}, "
                              f"got {arr.shape}")
    if arr.size > MAX_FILE_ENTRIES:
        raise ValidationError(f"certificate field {name}: {arr.size} numbers exceed the limit "
                              f"{MAX_FILE_ENTRIES}")
    bad = ~np.isfinite(arr) | (np.abs(arr) > _MAX_ABS)
    if np.any(bad):
        k = np.unravel_index(int(np.flatnonzero(bad.ravel())[0]), arr.shape)
        raise ValidationError(f"certificate field {name}: entry {tuple(int(i) for i in k)} = "
                              f"{arr[k]} is not a finite number of magnitude ≤ {_MAX_ABS:g}")
    arr.setflags(write=False)
    return arr


def _text(name: str, value: Any, *, limit: int = 400, optional: bool = False) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"certificate field {name}: expected a string, "
                              f"got {type(value).__name__}")
    if len(value) > limit or "\n" in value:
        raise ValidationError(f"certificate field {name}: at most {limit} characters on one line")
    return value


# ---------------------------------------------------------------------- the certificate
@dataclasses.dataclass(frozen=True, eq=False)
class Certificate(Result):
    """A stability certificate (or a reasoned refusal) for one network.

    Attributes
    ----------
    certified : bool
        Whether a stability claim is proven (alias of ``success``).
    kind : str
        One of ``KINDS``.
    statement : str
        Derived (any value passed in is replaced): what holds, for which inputs, time constants
        and activations, or why nothing could be certified and what to use instead.
    method : str
        The strategy that produced it.
    weights : ndarray or None
        ``p`` (diagonal ``P``) for LDS kinds and cascades, ``η`` for ``"contraction-linf"``,
        the matrix ``P`` for ``"contraction-l2"``.
    rate : float or None
        Contraction rate (``"contraction-*"``), in the network's time unit⁻¹.
    margin : float or None
        A proven lower bound on the LDS margin ``−λ_max(PA + AᵀP) / (2 mean p)``.
    norm : str or None
        The norm the claim is made in (derived from ``kind``).
    refutation : ndarray or None
        Factor ``V`` of a matrix ``X = VVᵀ`` proving ``W − I`` is not LDS.
    n, fingerprint, tau_hash, tau
        The network the certificate belongs to (:meth:`Network.fingerprint`, ``τ`` and its hash).
    data : dict
        Kind-specific extras (``v`` vectors, ``q``, cascade blocks and ``eps``, reasons).
    stats : dict
        ``seconds`` spent, steps tried.

    ``status`` is ``"certified"``, ``"refuted"`` (a refutation is attached),
    ``"numerical_evidence"`` (an estimate that is not a proof) or ``"inconclusive"``;
    ``message`` is the statement.
    """

    certified: bool
    kind: str
    statement: str = ""
    method: str = ""
    weights: FloatArray | None = None
    rate: float | None = None
    margin: float | None = None
    norm: str | None = None
    refutation: FloatArray | None = None
    n: int = 0
    fingerprint: str = ""
    tau_hash: str = ""
    data: dict[str, Any] = dataclasses.field(default_factory=dict)
    network: Network | None = dataclasses.field(default=None, repr=False, compare=False)
    tau: FloatArray | None = None
    stats: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or self.kind not in KINDS:
            raise ValidationError(f"certificate field kind: expected one of {KINDS}, "
                                  f"got {self.kind!r}")
        if isinstance(self.certified, np.bool_):
            object.__setattr__(self, "certified", bool(self.certified))
        if not isinstance(self.certified, bool):
            raise ValidationError(f"certificate field certified: expected true or false, got "
                                  f"{type(self.certified).__name__} {self.certified!r}")
        if self.certified and self.kind == "none":
            raise ValidationError("certificate field certified: kind 'none' cannot be certified")
        n = self.n
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValidationError(f"certificate field n: expected an integer ≥ 1, got {n!r}")
        n = int(n)
        if n * n > MAX_FILE_ENTRIES and self.kind == "contraction-l2":
            raise ValidationError(f"certificate field n: {n} is too large for contraction-l2")
        object.__setattr__(self, "n", n)
        _text("fingerprint", self.fingerprint, limit=128)
        _text("method", self.method)
        _text("norm", self.norm, optional=True)
        if not isinstance(self.data, dict):
            raise ValidationError(f"certificate field data: expected a dict, "
                                  f"got {type(self.data).__name__}")
        if not isinstance(self.stats, dict):
            raise ValidationError(f"certificate field stats: expected a dict, "
                                  f"got {type(self.stats).__name__}")
        claim = self.kind != "none"
        object.__setattr__(self, "margin", _number("margin", self.margin, positive=claim))
        object.__setattr__(self, "rate", _number("rate", self.rate, positive=claim))
        # every stored number is either checked by verify() or refused: a contraction kind
        # proves a rate (no margin), an LDS kind a margin (no rate), a refusal neither
        if self.margin is not None and self.kind not in _LDS_KINDS:
            raise ValidationError(f"certificate field margin: kind {self.kind!r} claims no "
                                  f"LDS margin, got {self.margin:g}")
        if self.rate is not None and not self.kind.startswith("contraction"):
            raise ValidationError(f"certificate field rate: kind {self.kind!r} claims no "
                                  f"contraction rate, got {self.rate:g}")
        object.__setattr__(self, "norm", _NORMS[self.kind])
        wshape: tuple[int | None, ...] = (n, n) if self.kind == "contraction-l2" else (n,)
        object.__setattr__(self, "weights", _array("weights", self.weights, wshape))
        if claim and self.weights is None:
            raise ValidationError(f"certificate field weights: kind {self.kind!r} needs weights")
        if self.kind.startswith("contraction") and self.rate is None:
            raise ValidationError(f"certificate field rate: kind {self.kind!r} claims a rate")
        ref = _array("refutation", self.refutation, (n, None))
        if ref is not None and not 1 <= ref.shape[1] <= n:
            raise ValidationError(f"certificate field refutation: expected 1 to {n} columns, "
                                  f"got {ref.shape[1]}")
        object.__setattr__(self, "refutation", ref)
        tau = self.tau
        if tau is None and self.network is not None:
            tau = self.network.tau
        tau = _array("tau", tau, (n,))
        if tau is not None and np.any(tau <= 0):
            raise ValidationError("certificate field tau: every time constant must be > 0")
        object.__setattr__(self, "tau", tau)
        if tau is not None:
            h = tau_fingerprint(tau)
            if self.tau_hash and self.tau_hash != h:
                raise ValidationError("certificate field tau_hash: does not match the stored tau")
            object.__setattr__(self, "tau_hash", h)
        _text("tau_hash", self.tau_hash, limit=128)
        object.__setattr__(self, "statement", self._statement(self.network))

    # ------------------------------------------------------------------ result shape
    @property
    def success(self) -> bool:
        """Alias of ``certified``."""
        return bool(self.certified)

    @property
    def status(self) -> str:
        """``"certified"``, ``"refuted"``, ``"numerical_evidence"`` or ``"inconclusive"``."""
        if self.certified:
            return "certified"
        if self.kind != "none":
            return "numerical_evidence"
        return "refuted" if self.refutation is not None else "inconclusive"

    @property
    def message(self) -> str:
        """The statement."""
        return self.statement

    # ------------------------------------------------------------------ statements
    def _statement(self, net: Network | None) -> str:
        tau = net.tau if net is not None else self.tau
        equal = None if tau is None else bool(np.all(tau == tau[0]))
        acts = "every activation with slopes in [0, 1]"
        if self.kind == "none":
            return self._refusal_statement(net)
        if not self.certified:
            est = (f"margin ≈ {self.margin:.3g}" if self.margin is not None
                   else f"rate ≈ {self.rate:.3g}" if self.rate is not None else "no estimate")
            return (f"numerical evidence, not a proof: a {self.kind} check of the stored weights "
                    f"by Lanczos gives {est} (n = {self.n} is above the size of proven checks, "
                    f"{DENSE_VERIFY_LIMIT}); nothing is certified; {_LOCAL_HINT}")
        if self.kind == "contraction-linf":
            return ("the rate form contracts in the weighted ℓ∞ norm max_i |x_i| / η_i for every "
                    f"constant input u, {acts} and every choice of time constants; with these "
                    f"time constants at rate ≥ {self.rate:.4g}: exactly one equilibrium, "
                    "globally exponentially stable (W − I is also LDS)")
        if self.kind == "contraction-l2":
            if equal is False:
                return ("claims weighted-ℓ2 contraction, which this LMI proves only for equal "
                        "time constants; these are unequal: nothing is claimed")
            t = "" if tau is None else f" (τ = {tau[0]:g})"
            return (f"with these equal time constants{t} the rate form contracts in "
                    f"‖x‖_P = √(xᵀPx) at rate ≥ {self.rate:.4g} for every constant input u and "
                    f"{acts}: exactly one equilibrium, globally exponentially stable; W − I is "
                    "then LDS, so every equilibrium is locally exponentially stable for any τ")
        how = {"lds": "P = diag(p)",
               "metzler": "P = diag(w / v), Metzler",
               "comparison": "P = diag(w / v), comparison (H-matrix) test",
               "cascade": "P composed from per-block certificates of a cascade"}[self.kind]
        m = f", margin ≥ {self.margin:.4g}" if self.margin is not None else ""
        if equal is None:
            clause = ("with equal time constants it is globally asymptotically stable; with "
                      "unequal ones every equilibrium is locally exponentially stable")
        elif equal:
            clause = (f"with these equal time constants (τ = {tau[0]:g}) it is globally "
                      "asymptotically stable")
        else:
            clause = ("it is locally exponentially stable for every choice of time constants "
                      "and the voltage form is globally stable; global stability of the rate "
                      "form with these unequal time constants is not claimed (an open question, "
                      "docs/theory.md §3)")
        return (f"W − I is Lyapunov diagonally stable ({how}{m}): for every constant input u and "
                f"{acts} the network has exactly one equilibrium (the unique Nash equilibrium "
                f"of the neurons' game), and {clause}")

    def _refusal_statement(self, net: Network | None) -> str:
        V = self.refutation
        if V is not None and V.shape[1] == 1 and np.count_nonzero(V) == 1:
            i = int(np.flatnonzero(V[:, 0])[0])
            info = self.data.get("neuron")
            if net is not None:
                w, name = float(net.diag[i]), net.names[i]
                t = "" if net.cell_types is None else net.cell_types[i]
            elif (isinstance(info, dict) and info.get("index") == i
                  and isinstance(info.get("weight"), (int, float))):
                w, name = float(info["weight"]), str(info.get("name", i))[:60]
                t = info.get("type") if info.get("type") in ("E", "I") else ""
            else:
                w, name, t = math.nan, str(i), ""
            rel = ">" if w > 1 else "=" if w == 1 else "<"
            who = (f"{t + ' ' if t else ''}neuron {name!r} excites itself with weight "
                   f"{w:g} {rel} 1" if math.isfinite(w) else
                   f"neuron {i} excites itself with weight W_ii ≥ 1")
            return (f"{who}: W − I is not Lyapunov diagonally stable; no τ-free guarantee; "
                    f"{_LOCAL_HINT} (this neuron is a concave player: its own energy is not "
                    "convex in its rate)")
        if V is not None:
            support = np.flatnonzero(np.any(V != 0, axis=1))
            if (net is not None and net.cell_types is not None and support.size > 1
                    and all(net.cell_types[i] == "E" for i in support)
                    and _is_metzler_block(net.W, support)):
                # W_SS − I is Metzler and not LDS, hence not Hurwitz: ρ(W_SS) ≥ 1
                return ("the excitatory subnetwork alone is unstable (ρ(W_EE) ≥ 1 on "
                        f"{support.size} E neurons: an inhibition-stabilised network), so W − I "
                        "is not Lyapunov diagonally stable: the attached refutation X = VVᵀ ⪰ 0, "
                        "supported on those E neurons, has diag((W − I)X) ≥ 0; no τ-free "
                        "guarantee; " + _LOCAL_HINT)
            return ("W − I is not Lyapunov diagonally stable: the attached refutation "
                    "X = VVᵀ ⪰ 0 has diag((W − I)X) ≥ 0; no τ-free guarantee; " + _LOCAL_HINT)
        reason = self.data.get("reason")
        reason = reason if isinstance(reason, str) and reason else "no reason recorded"
        return f"nothing is certified: {reason[:300]}; no τ-free guarantee; {_LOCAL_HINT}"

    def __str__(self) -> str:
        head = {"certified": "CERTIFIED", "refuted": "NOT CERTIFIED (refuted)",
                "numerical_evidence": "NOT CERTIFIED (numerical evidence only)",
                "inconclusive": "NOT CERTIFIED"}[self.status]
        # "(contraction-linf)" rather than "(contraction-linf, contraction-linf)"; a refusal
        # has no kind: "(by excitatory-subnetwork)" rather than "(none, excitatory-subnetwork)"
        if self.kind == "none":
            how = f"by {self.method}"
        elif self.method in (self.kind, "", None):
            how = self.kind
        else:
            how = f"{self.kind}, {self.method}"
        if self.status == "refuted":
            parts = [f"NOT CERTIFIED (refuted {how}): {self.statement}"]
        else:
            parts = [f"{head} ({how}): {self.statement}"]
        if self.margin is not None:
            parts.append(f"margin = {self.margin:.6g}")
        if self.rate is not None:
            parts.append(f"rate = {self.rate:.6g}")
        return "; ".join(parts)

    # ------------------------------------------------------------------ verification
    def verify(self, net: Network | None = None, *, exact: bool | None = None) -> Verification:
        """Re-check the certificate against ``net`` (default: the network it was made for).

        Independent of the solver: the defining inequality is recomputed from ``W``, ``τ``, the
        activations and the stored numbers. ``exact=None`` uses exact rational arithmetic for
        ``n ≤ EXACT_LIMIT`` (when the numbers are short enough), rigorous floating point up to
        ``DENSE_VERIFY_LIMIT``, and above it the scalable rigorous tests where the kind has one
        (comparison vector, ℓ∞ rate) or a Lanczos estimate that is not a proof.

        Raises
        ------
        ValidationError
            No network given and none attached, or ``exact=True`` above ``EXACT_LIMIT``.
        """
        import time

        t0 = time.perf_counter()
        net = net if net is not None else self.network
        if net is None:
            raise ValidationError(
                "verify: this certificate has no network attached (it was loaded from a file); "
                "pass the network: cert.verify(net)"
            )
        if not isinstance(net, Network):
            raise ValidationError(f"verify: net must be a Network, got {type(net).__name__}")
        if exact and net.n > EXACT_LIMIT and self.kind != "contraction-linf":
            raise ValidationError(f"verify: exact=True is limited to n ≤ {EXACT_LIMIT}")
        ver = self._verify(net, exact)
        if ver.valid:
            if self.kind == "none" or (ver.proof and self.certified):
                statement = self._statement(net)
            else:
                statement = "numerical evidence only, nothing is proven: " + ver.message
            ver = dataclasses.replace(ver, statement=statement)
        stats = dict(ver.stats)
        stats["seconds"] = time.perf_counter() - t0
        return dataclasses.replace(ver, stats=stats)

    def _verify(self, net: Network, exact: bool | None) -> Verification:
        if net.n != self.n or net.fingerprint() != self.fingerprint:
            return _fail("fingerprint", "the certificate was made for a different weight "
                         "matrix W")
        if tau_fingerprint(net.tau) != self.tau_hash or (
                self.tau is not None and not np.array_equal(net.tau, self.tau)):
            return _fail("fingerprint", "the certificate was made for different time "
                         "constants τ")
        if self.kind == "none":
            return self._verify_refusal(net, exact)
        bad = _activation_violation(net)
        if bad:
            return _fail("activation", bad)
        if getattr(net, "has_delays", False):
            return _fail("delays", "the network has synaptic delays; the certificate proves "
                         "stability of the delay-free rate form only")
        check = {
            "lds": self._verify_lds,
            "metzler": self._verify_lds,
            "comparison": self._verify_lds,
            "contraction-linf": self._verify_linf,
            "contraction-l2": lambda nt, ex: self._verify_l2_lds(nt, ex, self._verify_l2(nt, ex)),
            "cascade": self._verify_cascade,
        }[self.kind]
        try:
            with np.errstate(over="ignore", invalid="ignore", under="ignore"):
                ver = check(net, exact)
        except EICircuitsError as exc:
            return _fail("error", f"the check could not be completed: {exc}")
        except (spla.ArpackError, np.linalg.LinAlgError, FloatingPointError) as exc:
            return _fail("error", f"the check could not be completed: {exc}")
        except (KeyError, TypeError, ValueError, IndexError, ArithmeticError) as exc:
            return _fail("malformed", f"malformed certificate data: {exc!r:.200}")
        if ver.valid and not ver.proof:
            if self.certified:  # a certified claim that is only estimated is not valid
                return dataclasses.replace(ver, valid=False, status="numerical_evidence",
                                           message=f"not proven: {ver.message}")
            ver = dataclasses.replace(ver, status="numerical_evidence")
        elif not self.certified and ver.valid:
            ver = dataclasses.replace(ver, proof=False, status="numerical_evidence")
        return ver

    def _verify_refusal(self, net: Network, exact: bool | None) -> Verification:
        if self.refutation is None:
            return _fail("none", "nothing to verify: no certificate and no refutation "
                         "(inconclusive)", status="nothing_to_verify")
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            ok, ex, msg = verify_refutation(_a_matrix(net), self.refutation, exact=exact)
        return Verification(ok, ex, "refutation", msg, proof=ok)

    def _positive_weights(self) -> FloatArray | Verification:
        p = np.asarray(self.weights, dtype=float)
        if np.any(p <= 0):
            i = int(np.flatnonzero(p <= 0)[0])
            return _fail("weights", f"weight p[{i}] = {p[i]} is not > 0")
        if np.min(p) < 1e-300:
            return _fail("weights", "weights below 1e-300 cannot be checked")
        return p

    def _verify_lds(self, net: Network, exact: bool | None) -> Verification:
        p = self._positive_weights()
        if isinstance(p, Verification):
            return p
        A = _a_matrix(net)
        v = self.data.get("v")
        if v is not None:
            v = _array("data.v", v, (net.n,))
            ok, worst, msg = _comparison_check(A, p, v)
            if not ok:
                return _fail("comparison", msg)
            if exact is not True and net.n > DENSE_VERIFY_LIMIT:
                proven = -worst / (2.0 * float(np.mean(p)) * (1 + 4 * _U * net.n))
                if self.margin is not None and self.margin > proven:
                    return _fail("comparison", f"claimed margin {self.margin:.6g} exceeds the "
                                 f"margin {proven:.6g} the comparison test proves")
                return Verification(True, False, "comparison (rigorous floating point)",
                                    f"{msg}; margin ≥ {proven:.6g} (Gershgorin)", proof=True)
        return _check_lds(net, p, self.margin, exact)

    def _verify_linf(self, net: Network, exact: bool | None) -> Verification:
        eta = self._positive_weights()
        if isinstance(eta, Verification):
            return eta
        claimed = float(self.rate)  # type: ignore[arg-type]
        if (exact is None and net.n <= EXACT_LIMIT) or exact:
            W = _dense(net.W)
            et = [Fraction(float(x)) for x in eta]
            rates = []
            for i in range(net.n):
                r = Fraction(float(W[i, i])) + sum(
                    (abs(Fraction(float(W[i, j]))) * et[j] for j in range(net.n) if j != i),
                    Fraction(0)) / et[i]
                rates.append((1 - max(Fraction(0), r)) / Fraction(float(net.tau[i])))
            proven = min(rates)
            ok = Fraction(claimed) <= proven and proven > 0
            return Verification(ok, ok, "linf-lognorm-exact",
                                f"weighted ℓ∞ log-norm bound: contraction rate "
                                f"{_frac_text(proven)} in exact arithmetic (claimed "
                                f"{claimed:.6g})", proof=ok)
        lower = linf_rate_lower(net, eta)
        ok = 0 < claimed <= lower
        return Verification(ok, False, "linf-lognorm (rigorous floating point)",
                            f"weighted ℓ∞ log-norm bound gives contraction rate ≥ {lower:.6g} "
                            f"including rounding errors (claimed {claimed:.6g})", proof=ok)

    def _verify_l2(self, net: Network, exact: bool | None) -> Verification:
        n = net.n
        if not net.equal_tau:
            return _fail("lmi", "contraction-l2 proves contraction only for equal time "
                         "constants; this network's τ are unequal")
        if n > _L2_LIMIT:
            return _fail("lmi", f"contraction-l2 is checked only up to n = {_L2_LIMIT}")
        P = np.asarray(self.weights, dtype=float)
        q = _array("data.q", self.data["q"], (n,))
        if np.any(q <= 0) or not np.array_equal(P, P.T):
            return _fail("lmi", "Q must be positive and P symmetric")
        # the LMI proves rate c for τ = 1; the rate with time constant τ is c / τ
        c = Fraction(float(self.rate)) * Fraction(float(net.tau[0]))  # type: ignore[arg-type]
        if c <= 0:
            return _fail("lmi", f"the claimed rate {self.rate} is not a contraction")
        W = _dense(net.W)
        bits = _bits(W, P, q, [float(self.rate), float(net.tau[0])])
        if (exact is None and 2 * n <= EXACT_LIMIT and 2 * n * bits <= _EXACT_WORK) or exact:
            Wf = [[Fraction(float(x)) for x in row] for row in W]
            Pf = [[Fraction(float(x)) for x in row] for row in P]
            qf = [Fraction(float(x)) for x in q]
            L = [[Fraction(0)] * (2 * n) for _ in range(2 * n)]
            for i in range(n):
                for j in range(n):
                    L[i][j] = -2 * (1 - c) * Pf[i][j]
                    L[i][n + j] = Pf[i][j] + Wf[j][i] * qf[j]
                    L[n + i][j] = Pf[i][j] + qf[i] * Wf[i][j]
                L[n + i][n + i] = -2 * qf[i]
            okp = _pd_fractions(Pf)
            ok = okp and _pd_fractions([[-x for x in row] for row in L])
            msg = (f"P ≻ 0 and the contraction LMI ≺ 0 with c = rate·τ = {_frac_text(c)}, "
                   "proved in exact arithmetic" if ok else
                   "the contraction LMI (or P ≻ 0) fails in exact arithmetic")
            return Verification(ok, ok, "lmi-exact", msg, proof=ok)
        cf = float(c)
        okp = _pd_rigorous(P, 0.0)
        ok = okp and _pd_rigorous(-l2_lmi(W, P, q, cf), 0.0, extra=_gamma(n + 4) * float(
            np.linalg.norm(np.abs(l2_lmi(np.abs(W), np.abs(P), q, -abs(cf))), "fro")))
        return Verification(ok, False, "lmi (rigorous floating point)",
                            f"P ≻ 0 and the contraction LMI ≺ 0 with c = {cf:.6g}" if ok else
                            "the contraction LMI could not be proved", proof=ok)

    def _verify_l2_lds(self, net: Network, exact: bool | None,
                       ver: Verification) -> Verification:
        """``certify`` keeps the LDS certificate it found under an ℓ2 contraction
        (``data["lds_weights"]``, ``data["lds_margin"]``): checked too, never trusted."""
        if not ver.valid or "lds_weights" not in self.data:
            return ver
        p = _array("data.lds_weights", self.data["lds_weights"], (net.n,))
        m = _number("data.lds_margin", self.data.get("lds_margin"), positive=True)
        if p is None or np.any(p <= 0):
            return _fail("lmi", "data.lds_weights must be positive")
        lds_ver = _check_lds(net, p, m, exact)
        if not (lds_ver.valid and lds_ver.proof):
            return _fail("lmi", f"the attached LDS weights fail: {lds_ver.message}")
        return dataclasses.replace(ver, exact=ver.exact and lds_ver.exact,
                                   message=f"{ver.message}; attached LDS weights: "
                                           f"{lds_ver.message}")

    def _verify_cascade(self, net: Network, exact: bool | None) -> Verification:
        from .cascade import verify_cascade

        p = self._positive_weights()
        if isinstance(p, Verification):
            return p
        ok, msg = verify_cascade(net, p, self.data)
        if not ok:
            return _fail("block-comparison", msg)
        whole = _check_lds(net, p, self.margin, exact)
        return dataclasses.replace(whole, method=f"block-comparison + {whole.method}",
                                   message=f"{msg}; {whole.message}")

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (everything but the attached network).

        The derived ``statement``, ``status``, ``success`` and ``message`` are included for
        readers; :meth:`from_dict` ignores them and derives them again.
        """
        out: dict[str, Any] = {"format": _FORMAT}
        for f in dataclasses.fields(self):
            if f.name != "network":
                out[f.name] = jsonable(getattr(self, f.name))
        out["status"] = self.status
        out["success"] = self.success
        out["message"] = self.message
        return out

    def save(self, path: str | Path) -> None:
        """Write the certificate as JSON (tied to the network by its fingerprint and ``τ``)."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=1, allow_nan=False),
                              encoding="utf-8")

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, network: Network | None = None) -> Certificate:
        """Inverse of :meth:`to_dict`; every field is validated and the statement re-derived.

        Raises
        ------
        ValidationError
            Not a certificate of a known format, unknown or missing fields, or a field of the
            wrong type, shape or range (the message names the field).
        """
        if not isinstance(d, dict) or d.get("format") not in _FORMATS:
            raise ValidationError(
                f"certificate: expected a dict with format {_FORMAT!r}, "
                f"got format {d.get('format') if isinstance(d, dict) else type(d).__name__!r}"
            )
        names = {f.name for f in dataclasses.fields(cls)} - {"network"}
        unknown = sorted(set(d) - names - _DERIVED_KEYS)
        if unknown:
            raise ValidationError(f"certificate: unknown field(s) {unknown[:5]}")
        missing = sorted({"certified", "kind", "n", "fingerprint", "tau_hash"} - set(d))
        if missing:
            raise ValidationError(f"certificate: missing field(s) {missing}")
        kw = {k: v for k, v in d.items() if k in names and k != "statement"}
        n = kw.get("n")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValidationError(f"certificate field n: expected an integer ≥ 1, got {n!r}")
        total = 0
        for key in ("weights", "refutation", "tau"):
            total += _count(kw.get(key))
        if isinstance(kw.get("data"), dict):
            total += sum(_count(v) for v in kw["data"].values())
        if total > MAX_FILE_ENTRIES:
            raise ValidationError(f"certificate: {total} numbers exceed the limit "
                                  f"{MAX_FILE_ENTRIES}")
        try:
            return cls(**kw, network=network)
        except TypeError as exc:  # pragma: no cover - every field is checked above
            raise ValidationError(f"certificate: {exc}") from exc

    @classmethod
    def load(cls, path: str | Path, *, network: Network | None = None) -> Certificate:
        """Read a certificate written by :meth:`save` (attach ``network`` to verify it).

        Raises
        ------
        ValidationError
            Missing file, invalid JSON or not a valid certificate.
        """
        p = Path(path)
        if not p.is_file():
            raise ValidationError(f"certificate: file {str(path)!r} not found")
        if p.stat().st_size > 16 * MAX_FILE_ENTRIES:
            raise ValidationError(f"certificate: file {str(path)!r} is too large")

        def _no_constants(name: str) -> float:
            raise ValidationError(f"certificate: {str(path)!r} contains {name}, "
                                  "which is not a valid number in a certificate")

        try:
            d = json.loads(p.read_text(encoding="utf-8"), parse_constant=_no_constants)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValidationError(f"certificate: {str(path)!r} is not valid JSON: {exc}") from exc
        except ValidationError as exc:
            bad = _first_nonfinite_field(p.read_text(encoding="utf-8"))
            raise ValidationError(f"certificate field {bad}: {exc}") from exc
        return cls.from_dict(d, network=network)


def _first_nonfinite_field(text: str) -> str:
    def bad(v: Any) -> bool:
        if isinstance(v, float):
            return not math.isfinite(v)
        if isinstance(v, (list, tuple)):
            return any(bad(x) for x in v)
        if isinstance(v, dict):
            return any(bad(x) for x in v.values())
        return False

    d = json.loads(text)
    if isinstance(d, dict):
        for k, v in d.items():
            if bad(v):
                return str(k)
    return "(unknown)"


def _count(v: Any) -> int:
    if isinstance(v, (list, tuple)):
        return sum(_count(x) for x in v) if v and isinstance(v[0], (list, tuple)) else len(v)
    return 1


# ---------------------------------------------------------------------- helpers
def _dense(W: Any) -> FloatArray:
    return W.toarray() if sp.issparse(W) else np.asarray(W, dtype=float)


def _a_matrix(net: Network) -> Any:
    if net.is_sparse:
        return (net.W - sp.eye_array(net.n, format="csr")).tocsr()
    return net.W - np.eye(net.n)


def _frac_text(x: Fraction) -> str:
    if x.denominator == 1:
        return f"{x.numerator}"
    if len(str(x.numerator)) + len(str(x.denominator)) > 40:
        return f"≈ {float(x):.6g} (an exact rational)"
    return f"{x.numerator}/{x.denominator} ≈ {float(x):.6g}"


def _bits(*arrays: Any) -> int:
    """Bit length of the longest integer when all numbers are put on one dyadic grid."""
    vals = np.concatenate([np.abs(np.asarray(a, dtype=float)).ravel() for a in arrays])
    vals = vals[vals > 0]
    if vals.size == 0:
        return 1
    _, e_hi = np.frexp(np.max(vals))
    _, e_lo = np.frexp(np.min(vals))
    return int(e_hi - e_lo) + 54


@functools.lru_cache(maxsize=256)
def _check_cached(act: Any) -> ValidationError | None:
    from ..activations import check_activation

    try:
        check_activation(act)
    except ValidationError as exc:
        return exc
    return None


def activation_check(act: Any) -> ValidationError | None:
    """:func:`eicircuits.activations.check_activation` on ``act``, memoised for hashable
    (frozen) activations; returns the error instead of raising it."""
    try:
        return _check_cached(act)
    except TypeError:  # unhashable activation: check every time
        return _check_cached.__wrapped__(act)


def _activation_violation(net: Network) -> str:
    """Why the network's activations break the certificates' contract (empty if they don't)."""
    for act in dict.fromkeys(net.activations):
        s = float(act.max_slope)
        if not s <= 1.0:
            return (f"activation {act!r} has slopes up to {s:g} > 1: the certificates hold for "
                    "activations with slopes in [0, 1] only (docs/theory.md §9)")
        exc = activation_check(act)
        if exc is not None:
            return f"activation {act!r} breaks the contract of the certificates: {exc}"
    return ""


def _is_metzler_block(W: Any, idx: NDArray[np.intp]) -> bool:
    sub = W[idx][:, idx] if sp.issparse(W) else W[np.ix_(idx, idx)]
    sub = sub.toarray() if sp.issparse(sub) and idx.size <= DENSE_EIG_LIMIT else sub
    if sp.issparse(sub):
        coo = sp.coo_array(sub)
        return bool(np.all(coo.data[coo.row != coo.col] >= 0))
    off = np.asarray(sub, dtype=float).copy()
    np.fill_diagonal(off, 0.0)
    return bool(np.all(off >= 0))


def _pd_fractions(M: list[list[Fraction]]) -> bool:
    """Exact Sylvester test of a symmetric matrix of dyadic rationals."""
    n = len(M)
    for i in range(n):
        for j in range(i):
            if M[i][j] != M[j][i]:
                return False
    den = 1
    for row in M:
        for x in row:
            den = max(den, x.denominator)
    Mi = np.empty((n, n), dtype=object)
    for i in range(n):
        for j in range(n):
            x = M[i][j] * den
            if x.denominator != 1:  # not dyadic on a common grid: use the lcm
                return _pd_fractions_lcm(M)
            Mi[i, j] = int(x)
    minors = leading_minors_exact(Mi)
    return len(minors) == n and all(m > 0 for m in minors)


def _pd_fractions_lcm(M: list[list[Fraction]]) -> bool:
    n = len(M)
    den = 1
    for row in M:
        for x in row:
            den = den * x.denominator // math.gcd(den, x.denominator)
    Mi = np.empty((n, n), dtype=object)
    for i in range(n):
        for j in range(n):
            Mi[i, j] = int(M[i][j] * den)
    minors = leading_minors_exact(Mi)
    return len(minors) == n and all(m > 0 for m in minors)


def _pd_rigorous(B: FloatArray, shift: float, *, extra: float = 0.0) -> bool:
    """Prove ``B − shift·I − E ≻ 0`` for every symmetric ``‖E‖₂ ≤ extra`` in floating point.

    Rump's criterion (BIT 46, 2006): if the floating-point Cholesky factorisation of
    ``B − c·I`` succeeds with ``c ≥ γ_{n+1}/(1 − γ_{n+1}) tr(B) + (underflow term)``, ``B`` is
    positive definite. The shift, ``extra`` and the rounding of the subtraction are added to
    ``c`` (doubled for safety).
    """
    n = B.shape[0]
    if not np.all(np.isfinite(B)) or not np.array_equal(B, B.T):
        return False
    d = np.diag(B)
    if np.any(d <= 0):
        return False
    g = _gamma(n + 2)
    tr = float(np.sum(d)) * (1 + g)
    if not np.isfinite(tr):
        return False
    c = 2.0 * (g / (1 - g) * tr + 8 * (n + 2) * (1 + float(np.max(d))) * np.finfo(float).tiny)
    c += (shift + extra) * (1 + 4 * _U) + 4 * _U * float(np.max(d))
    M = B - c * np.eye(n)
    try:
        np.linalg.cholesky(M)
    except np.linalg.LinAlgError:
        return False
    return True


def _lds_exact(W: FloatArray, p: FloatArray, margin: float | None) -> tuple[bool, str]:
    """Exact: ``−(PA + AᵀP) − 2·margin·mean(p)·I ≻ 0`` with ``A = W − I`` (all dyadic)."""
    n = W.shape[0]
    Wi, e = to_integer(W)   # W = Wi / 2^e
    pi, _ = to_integer(p)   # p = pi / 2^f (the common 2^-(e+f) scale cancels)
    Ai = Wi.copy()
    one = 1 << e
    for i in range(n):
        Ai[i, i] = Ai[i, i] - one
    PA = pi[:, None] * Ai
    Si = PA + PA.T          # S = Si / 2^(e + f)
    m = Fraction(0) if margin is None else Fraction(margin)
    sum_p = int(sum(pi.tolist()))
    # −S − 2 m mean(p) I, times 2^(e+f) · n · den(m):
    scale = n * m.denominator
    diag_shift = 2 * m.numerator * sum_p * one
    M = -Si * scale
    for i in range(n):
        M[i, i] = M[i, i] - diag_shift
    minors = leading_minors_exact(M)
    ok = len(minors) == n and all(x > 0 for x in minors)
    if not ok:
        if margin is None:
            return False, "P(W − I) + (W − I)ᵀP is not negative definite (exact check)"
        ok0 = _lds_exact(W, p, None)[0]
        return False, ("P(W − I) + (W − I)ᵀP ≺ 0 holds, but not with the claimed margin "
                       f"{margin:.6g} (exact check)" if ok0 else
                       "P(W − I) + (W − I)ᵀP is not negative definite (exact check)")
    if margin is None:
        return True, "P(W − I) + (W − I)ᵀP ≺ 0 proved in exact arithmetic (margin > 0)"
    return True, ("P(W − I) + (W − I)ᵀP ⪯ −2·m·mean(p)·I proved in exact arithmetic: margin ≥ "
                  f"m = {_frac_text(m)}")


def _check_lds(net: Network, p: FloatArray, margin: float | None,
               exact: bool | None) -> Verification:
    """Prove ``S = P(W − I) + (W − I)ᵀP ⪯ −2·margin·mean(p)·I``: exactly, or rigorously in
    floating point, or (above ``DENSE_VERIFY_LIMIT``) estimate it by Lanczos (no proof)."""
    n = net.n
    if n <= EXACT_LIMIT and exact is not False:
        W = _dense(net.W)
        bits = _bits(W, p, [1.0] + ([margin] if margin else [])) + 2 * int(np.log2(n) + 2)
        if exact or n * bits <= _EXACT_WORK:
            ok, msg = _lds_exact(W, p, margin)
            return Verification(ok, True, "sylvester-exact", msg, proof=ok,
                                stats={"bits": bits})
    # cheap first (O(nnz), rigorous): Gershgorin on S with the comparison vector v = 1
    ok, worst, _ = _comparison_check(_a_matrix(net), p, np.ones(n))
    if ok:
        proven = -worst / (2.0 * float(np.mean(p)) * (1 + 4 * _U * n))
        if margin is None or margin <= proven:
            m = "margin > 0" if margin is None else f"margin ≥ {margin:.6g}"
            return Verification(True, False, "Gershgorin (rigorous floating point)",
                                f"P(W − I) + (W − I)ᵀP ≺ 0 ({m}; Gershgorin bound {proven:.6g}, "
                                "rounding errors included)", proof=True)
    if n <= DENSE_VERIFY_LIMIT:
        A = _dense(net.W) - np.eye(n)
        PA = p[:, None] * A
        S = PA + PA.T
        # |fl(S) − S| ≤ γ_3 (|P||A| + |A|ᵀ|P|) elementwise (A = fl(W − I) is exact off the
        # diagonal, within u on it); the Frobenius norm bounds the 2-norm of the error
        T = np.abs(p)[:, None] * np.abs(A)
        T = T + T.T
        err = _gamma(4) * float(np.linalg.norm(T, "fro")) * (1 + _gamma(n * n + 2))
        shift = 0.0 if margin is None else 2.0 * margin * float(np.mean(p)) * (1 + _gamma(n + 2))
        ok = _pd_rigorous(-S, shift, extra=err)
        m = "margin > 0" if margin is None else f"margin ≥ {margin:.6g}"
        msg = (f"P(W − I) + (W − I)ᵀP ≺ 0 ({m}) proved by a Cholesky test with rigorous "
               "rounding bounds" if ok else
               f"P(W − I) + (W − I)ᵀP ⪯ −2·margin·mean(p)·I could not be proved ({m} claimed)")
        return Verification(ok, False, "Cholesky (rigorous floating point)", msg, proof=ok)
    from ._lds import lds_margin

    est = lds_margin(_a_matrix(net), p)
    ok = est > 0 and (margin is None or margin <= est)
    return Verification(ok, False, "Lanczos (numerical, not a proof)",
                        f"Lanczos estimate of the margin {est:.6g} (claimed "
                        f"{margin if margin is not None else 'none'}): numerical evidence, "
                        "not a proof", proof=False,
                        status="numerical_evidence" if ok else "invalid")


# ---------------------------------------------------------------------- checks
def linf_rate(net: Network, eta: FloatArray) -> float:
    """``min_i τ_i⁻¹ (1 − max(0, W_ii + Σ_{j≠i} |W_ij| η_j / η_i))`` (floating point)."""
    W = net.W
    d = net.diag
    absW = abs(W) if sp.issparse(W) else np.abs(W)
    off = absW @ eta - np.abs(d) * eta
    r = d + off / eta
    return float(np.min((1.0 - np.maximum(0.0, r)) / net.tau))


def linf_rate_lower(net: Network, eta: FloatArray) -> float:
    """A rigorous lower bound on :func:`linf_rate` (every rounding error bounded a priori).

    The off-diagonal sums ``Σ_{j≠i} |W_ij| η_j`` have nonnegative terms, so their computed
    values are within a factor ``1 + γ_k`` (``k`` the longest row) of the exact ones.
    """
    W = net.W
    d = net.diag
    if sp.issparse(W):
        off_m = sp.csr_array(W, copy=True)
        off_m.setdiag(0)
        off_m.eliminate_zeros()
        absW = abs(off_m)
        k = int(np.max(np.diff(absW.indptr))) if absW.nnz else 1
    else:
        absW = np.abs(W - np.diag(d))
        k = net.n
    off = (absW @ eta) * (1 + _gamma(k + 2))
    r = d + (off / eta) * (1 + 2 * _U)
    r = np.nextafter(r + 2 * _U * np.abs(r), np.inf)
    rate = (1.0 - np.maximum(0.0, r)) / net.tau
    rate = rate - 4 * _U * (np.abs(rate) + 1.0 / net.tau)
    return float(np.min(rate))


def l2_lmi(W: FloatArray, P: FloatArray, q: FloatArray, c: float) -> FloatArray:
    """``[[−2(1−c)P, P + WᵀQ], [P + QW, −2Q]]`` (docs/theory.md §3, Gokhale et al. 2026)."""
    Q = np.diag(q)
    top = np.hstack([-2.0 * (1.0 - c) * P, P + W.T @ Q])
    bot = np.hstack([P + Q @ W, -2.0 * Q])
    return np.vstack([top, bot])


def _comparison_check(A: Any, p: FloatArray, v: FloatArray) -> tuple[bool, float, str]:
    # Ŝ = comparison matrix of S = PA + AᵀP (Ŝ_ii = S_ii, Ŝ_ij = |S_ij|); Ŝ v < 0 with v > 0
    # makes −S a symmetric H-matrix with positive diagonal, hence S ≺ 0, and by Gershgorin on
    # D⁻¹SD (D = diag(v)) λ_max(S) ≤ max_i (Ŝv)_i / v_i. The test is rigorous in floating point:
    # every rounding error of forming S and Ŝv is bounded by γ_k (|P||A| + |A|ᵀ|P|) v with
    # γ_k = k u / (1 − k u), k the longest row plus a few.
    if np.any(v <= 0):
        return False, math.inf, "comparison vector v must be positive"
    if sp.issparse(A):
        absA = abs(A)
        PA = sp.diags_array(p) @ A
        S = (PA + PA.T).tocsr()
        k = int(np.max(np.diff(S.indptr))) if S.nnz else 1
    else:
        absA = np.abs(A)
        S = p[:, None] * A
        S = S + S.T
        k = A.shape[0]
    Tv = p * (absA @ v) + absA.T @ (p * v)
    d = S.diagonal() if sp.issparse(S) else np.diag(S)
    absS = abs(S) if sp.issparse(S) else np.abs(S)
    Sv = (absS @ v - np.abs(d) * v) + d * v
    kk = k + 6
    bound = 2.0 * _gamma(kk) * Tv
    worst = float(np.max((Sv + bound) / v))
    worst += 4 * _U * abs(worst)  # the division's rounding, upward
    if worst < 0:
        return True, worst, (f"comparison matrix of PA + AᵀP maps v > 0 to a negative vector "
                             f"(max (Ŝv)_i / v_i ≤ {worst:.3g} including a rigorous bound on "
                             "rounding errors): S ≺ 0")
    return False, worst, (f"comparison test fails: max (Ŝv)_i / v_i = "
                          f"{float(np.max(Sv / v)):.3g} (≤ {worst:.3g} with rounding errors) is "
                          "not < 0")


def comparison_margin(A: Any, p: FloatArray, v: FloatArray) -> float | None:
    """The LDS margin the comparison test proves for ``p`` and ``v`` (``None`` if none)."""
    ok, worst, _ = _comparison_check(A, p, v)
    if not ok:
        return None
    return -worst / (2.0 * float(np.mean(p)) * (1 + 4 * _U * A.shape[0]))
