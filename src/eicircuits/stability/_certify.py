"""``certify(net, method=…)``: the strongest stability statement that can be proven.

A registry of strategies, tried cheapest first by ``method="auto"``:

0. the activations must honour the contract of every certificate (slopes in ``[0, 1]``,
   checked on samples by :func:`eicircuits.activations.check_activation`; a declared slope
   above 1 is refused with the reason, docs/theory.md §9);
1. ``"diagonal"`` — some ``W_ii ≥ 1``: not LDS (refutation ``X = e_i e_iᵀ``), say why;
   then the excitatory subnetwork: ``ρ(W_EE) ≥ 1`` (inhibition-stabilised) is not LDS either
   (refutation: the Perron vector of ``W_EE``);
2. ``"contraction-linf"`` — the Metzler majorant has spectral abscissa ``< 1``: the rate form
   contracts in a Perron-weighted ℓ∞ norm for every ``τ`` (the strongest statement);
3. ``"cascade"`` — several strongly connected blocks (and ``n`` above the SDP size): compose
   per-block LDS certificates;
4. ``"lds"`` — 2 × 2 closed form, Metzler solves, SDP (``n ≤ 80``) or first-order ascent;
   with equal ``τ`` and ``n ≤ 10`` the weighted-ℓ2 contraction LMI is tried on top;
5. otherwise a refusal carrying a refutation (``W − I`` not LDS) or saying it is inconclusive.

Every candidate is re-checked by :meth:`Certificate.verify` before it is returned; a check
that is not a proof (a Lanczos estimate above ``DENSE_VERIFY_LIMIT``) gives "numerical
evidence" with ``certified = False``.

Examples
--------
>>> from eicircuits import Network
>>> cert = certify(Network(W=[[1.3, -1.0], [2.0, -0.5]], cell_types="EI"))
>>> cert.certified, cert.statement.split(":")[0]
(False, "E neuron '0' excites itself with weight 1.3 > 1")
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .._limits import DENSE_EIG_LIMIT
from .._report import Section
from ..errors import EICircuitsWarning, SolverError, ValidationError
from ..network import Network
from ._lds import ASCENT_PROGRESS, SDP_LIMIT, LDSResult, lds
from ._local import LocalStability, local_stability  # the one local verdict (re-exported)
from .certificate import (
    Certificate,
    _a_matrix,
    activation_check,
    claimable,
    comparison_margin,
)
from .matrices import comparison_vectors, is_metzler, majorant
from .refute import refute_diagonal

__all__ = ["certify", "METHODS", "local_stability", "LocalStability", "report_section"]

FloatArray = NDArray[np.float64]


# ---------------------------------------------------------------------- building blocks
def _base(net: Network) -> dict[str, Any]:
    return {"n": net.n, "fingerprint": net.fingerprint(), "network": net}


def _lds_norm() -> str:
    return "P-weighted ℓ2 (Lyapunov function, τ-free)"


def _inconclusive(net: Network, method: str, reason: str) -> Certificate:
    return Certificate(False, "none", method=method, data={"reason": reason}, **_base(net))


def _from_lds(net: Network, res: LDSResult, kind: str = "lds",
              extra: dict[str, Any] | None = None) -> Certificate:
    if res.is_lds and res.p is not None:
        return Certificate(True, kind, method=res.method, weights=res.p,
                           margin=claimable(res.margin), norm=_lds_norm(),
                           data=dict(extra or {}), **_base(net))
    if res.is_lds is False:
        return _refusal(net, res.refutation, res.method, res.message)
    return _inconclusive(net, res.method, f"inconclusive: {res.message}")


def _refusal(net: Network, V: Any, method: str, reason: str) -> Certificate:
    return Certificate(False, "none", method=method, refutation=V, data={"reason": reason},
                       **_base(net))


def _activation_refusal(net: Network, acts: tuple[Any, ...]) -> Certificate | None:
    """A refusal when some activation declares slopes above 1 (docs/theory.md §9), else ``None``."""
    for act in acts:
        s = float(act.max_slope)
        if not s <= 1.0:
            return _inconclusive(
                net, "activation",
                f"activation {act!r} has slopes up to {s:g} > 1, and every certificate here "
                "assumes slopes in [0, 1] (docs/theory.md §9: with steeper slopes LDS of W − I no "
                "longer implies a unique, stable equilibrium); rescale a bounded-slope "
                "activation with eicircuits.activations.unit_slope")
    return None


def _delay_refusal(net: Network) -> Certificate | None:
    """A refusal for networks with synaptic delays (the certificates prove the delay-free form)."""
    if not getattr(net, "has_delays", False):
        return None
    return _inconclusive(
        net, "delays",
        "the network has synaptic delays, and every certificate here is a proof about the "
        "delay-free rate form (docs/theory.md §3): delays can destabilise an LDS network (the "
        "equilibria are the same); certify net.replace(delays=None) for the delay-free claim")


# ---------------------------------------------------------------------- strategies
def _m_diagonal(net: Network, **_: Any) -> Certificate | None:
    d = net.diag
    if np.all(d < 1):
        return None
    V = refute_diagonal(_a_matrix(net))
    i = int(np.flatnonzero(V[:, 0])[0])
    cert = _refusal(net, V, "diagonal", f"W[{i}, {i}] = {d[i]:g} ≥ 1")
    neuron = {"index": i, "name": net.names[i], "weight": float(d[i]),
              "type": None if net.cell_types is None else net.cell_types[i]}
    return dataclasses.replace(cert, data={**cert.data, "neuron": neuron})


def _m_excitatory(net: Network, **_: Any) -> Certificate | None:
    """Refute LDS when the excitatory subnetwork alone is unstable (``ρ(W_EE) ≥ 1``).

    Principal submatrices of an LDS matrix are LDS, and ``W_EE − I`` is Metzler (Dale's law),
    for which LDS ⇔ Hurwitz; so ``α(W_EE) ≥ 1`` (an inhibition-stabilised network) refutes
    LDS, with the Perron vector of ``W_EE`` (zero on the I neurons) as the refutation.
    """
    from .cascade import _sub
    from .matrices import perron_vector
    from .refute import verify_refutation

    e = net.e_idx
    if e.size < 2:
        return None
    Wee = _sub(net.W, e, e)
    if not is_metzler(Wee):
        return None
    try:
        z, alpha = perron_vector(Wee)
    except SolverError:
        return None
    if alpha < 1.0:
        return None
    V = np.zeros((net.n, 1))
    V[e, 0] = z
    if not verify_refutation(_a_matrix(net), V)[0]:
        return None
    return _refusal(net, V, "excitatory-subnetwork",
                    f"the excitatory subnetwork alone is unstable: ρ(W_EE) = {alpha:.4g} ≥ 1")


def _m_linf(net: Network, **_: Any) -> Certificate | None:
    from .contraction import linf_weights

    eta, rate = linf_weights(net)
    rate = claimable(rate)
    if eta is None or rate is None:
        return None
    return Certificate(True, "contraction-linf", method="contraction-linf", weights=eta,
                       rate=rate, norm="weighted ℓ∞ (max_i |x_i| / η_i)", **_base(net))


def _comparison_like(net: Network, kind: str) -> Certificate | None:
    n = net.n
    eye = sp.eye_array(n, format="csr") if net.is_sparse else np.eye(n)
    M = majorant(net.W) if kind == "comparison" else net.W
    vw = comparison_vectors(M - eye)
    if vw is None:
        return None
    v, w = vw
    from ._lds import lds_margin, round_weights

    p = round_weights(w / v)
    v = v / np.max(v)
    A = _a_matrix(net)
    if n <= DENSE_EIG_LIMIT:
        margin = claimable(lds_margin(A, p))
    else:  # the margin the comparison test proves (Gershgorin), O(nnz)
        margin = claimable(comparison_margin(A, p, v))
    return Certificate(True, kind, method=kind, weights=p, margin=margin, norm=_lds_norm(),
                       data={"v": v}, **_base(net))


def _m_comparison(net: Network, **_: Any) -> Certificate | None:
    return _comparison_like(net, "comparison")


def _m_metzler(net: Network, **_: Any) -> Certificate | None:
    if not is_metzler(net.W):
        raise ValidationError(
            "method='metzler': W must be Metzler (all off-diagonal weights ≥ 0, no inhibition "
            "between different neurons); use method='auto'"
        )
    cert = _comparison_like(net, "metzler")
    if cert is not None:
        return cert
    return _from_lds(net, lds(_a_matrix(net), method="metzler"))


def _lds_with(method: str) -> Callable[..., Certificate | None]:
    def run(net: Network, *, solver: str | None = None, optimize: bool = False,
            time_limit: float | None = None, **_: Any) -> Certificate | None:
        A = _a_matrix(net)
        try:
            res = lds(A, method=method, cell_types=net.cell_types, solver=solver,
                      optimize=optimize, time_limit=time_limit)
        except SolverError as exc:
            return _inconclusive(net, method, f"the {method} search failed: {exc}")
        return _from_lds(net, res)

    return run


def _m_l2(net: Network, *, solver: str | None = None, **_: Any) -> Certificate | None:
    from .contraction import l2_contraction

    found = l2_contraction(net, solver=solver)
    if found is None:
        return None
    P, q, c = found
    rate = claimable(c / float(net.tau[0]))
    if rate is None:
        return None
    return Certificate(True, "contraction-l2", method="contraction-l2 (SDP bisection)",
                       weights=P, rate=rate, norm="‖x‖_P = √(xᵀPx)", data={"q": q, "c": c},
                       **_base(net))


def _m_cascade(net: Network, *, solver: str | None = None, time_limit: float | None = None,
               **_: Any) -> Certificate | None:
    from .cascade import cascade_weights

    deadline = None if time_limit is None else time.perf_counter() + time_limit

    def block_lds(Wb: Any, idx: Any) -> LDSResult:
        k = Wb.shape[0]
        A = (Wb - sp.eye_array(k, format="csr")).tocsr() if sp.issparse(Wb) else Wb - np.eye(k)
        types = None if net.cell_types is None else [net.cell_types[i] for i in idx]
        left = None if deadline is None else max(0.1, deadline - time.perf_counter())
        return lds(A, cell_types=types, solver=solver, optimize=False, time_limit=left)

    try:
        p, data, msg = cascade_weights(net, block_lds)
    except SolverError as exc:
        return _inconclusive(net, "cascade", f"the cascade composition failed: {exc}")
    if p is None:
        return _inconclusive(net, "cascade", f"the cascade composition failed: {msg}")
    return Certificate(True, "cascade", method="cascade", weights=p, norm=_lds_norm(),
                       data=data, **_base(net))


METHODS: dict[str, Callable[..., Certificate | None]] = {
    "diagonal": _m_diagonal,
    "contraction-linf": _m_linf,
    "comparison": _m_comparison,
    "metzler": _m_metzler,
    "lds": _lds_with("auto"),
    "2x2": _lds_with("2x2"),
    "sdp": _lds_with("sdp"),
    "ascent": _lds_with("ascent"),
    "contraction-l2": _m_l2,
    "cascade": _m_cascade,
}

#: Methods that never solve an SDP (a ``solver`` argument is useless with them).
_NO_SDP = frozenset({"diagonal", "contraction-linf", "comparison", "metzler", "2x2", "ascent"})

#: Methods that search for LDS weights: a failed necessary condition refutes before they run.
_LDS_SEARCHES = frozenset({"lds", "sdp", "ascent", "cascade"})


def _necessary_refutation(net: Network) -> Certificate | None:
    """A refutation of LDS from a cheap necessary condition (``W_ii < 1``; ``ρ(W_EE) < 1``)."""
    cert = _m_diagonal(net)
    if cert is None and net.cell_types is not None and net.e_idx.size > 1:
        cert = _m_excitatory(net)
    return cert


#: Auto mode tries the weighted-ℓ2 contraction LMI on top of LDS up to this n (equal τ).
_AUTO_L2_LIMIT = 10


def _checked(net: Network, cert: Certificate | None) -> Certificate | None:
    """``cert`` if it is a refusal or its verification is a proof; numerical evidence (not
    certified) if the check is only an estimate; ``None`` if it fails verification.

    ``certify`` never claims what the independent check does not prove.
    """
    if cert is None or not cert.certified:
        return cert
    ver = cert.verify()
    if ver.valid and ver.proof:
        return cert
    if ver.status == "numerical_evidence":
        return dataclasses.replace(cert, certified=False)
    # The claimed margin/rate is the computed one less 10⁻⁷ (claimable); at n in the thousands
    # the rigorous rounding bounds of the check can need more room than that (a 5000-neuron
    # E–I network: margin 0.0096670 true, 0.0096670 claimed, not provable). The weights may
    # still prove a smaller margin: claim less before giving up.
    for name in ("margin", "rate"):
        value = getattr(cert, name)
        if value is None or not value > 0:
            continue
        for factor in _CLAIM_LESS:
            smaller = claimable(value * factor)
            if smaller is None:
                break
            retry = dataclasses.replace(cert, **{name: smaller})
            ver = retry.verify()
            if ver.valid and ver.proof:
                return retry
        break
    return None


#: Fractions of a computed margin/rate claimed when the full value fails rigorous verification.
_CLAIM_LESS = (0.5, 0.05)


def _failed(net: Network, method: str, *, auto: bool = False) -> Certificate:
    # inside method='auto', advising method='auto' would send the user in a circle
    tail = "" if auto else "; try method='auto'"
    return _inconclusive(net, method, f"method {method!r} found no certificate that passes "
                         f"independent verification{tail}")


class _Clock:
    def __init__(self, time_limit: float | None, progress: Callable[[str], None] | None):
        self.t0 = time.perf_counter()
        self.limit = time_limit
        self.progress = progress
        self.steps: list[str] = []

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def remaining(self) -> float | None:
        if self.limit is None:
            return None
        return max(0.0, self.limit - self.elapsed())

    def expired(self) -> bool:
        r = self.remaining()
        return r is not None and r <= 0.0

    def step(self, name: str) -> None:
        self.steps.append(name)
        if self.progress is not None:
            self.progress(f"certify: {name} (n = {{n}}, {self.elapsed():.1f} s elapsed)")


def _auto(net: Network, clock: _Clock, **opts: Any) -> Certificate:
    cert = _m_diagonal(net)
    if cert is not None:
        return cert
    evidence: Certificate | None = None

    def keep(c: Certificate | None) -> Certificate | None:
        nonlocal evidence
        if c is not None and c.status == "numerical_evidence" and evidence is None:
            evidence = c
        return c

    if net.cell_types is not None and net.e_idx.size > 1:
        clock.step("excitatory subnetwork")
        cert = _m_excitatory(net)
        if cert is not None:
            return cert
    clock.step("contraction-linf")
    cert = keep(_checked(net, _m_linf(net)))
    if cert is not None and cert.certified:
        return cert
    if net.n > SDP_LIMIT and not clock.expired():
        from .cascade import block_structure

        blocks, _ = block_structure(net.W)
        if len(blocks) > 1:
            clock.step(f"cascade of {len(blocks)} blocks")
            cert = keep(_checked(net, _m_cascade(net, **{**opts,
                                                       "time_limit": clock.remaining()})))
            if cert is not None and cert.certified:
                return cert
    if clock.expired():
        return evidence or _inconclusive(net, "auto", f"time limit of {clock.limit:g} s "
                                         "reached before a certificate was found")
    clock.step("lds")
    cert = keep(_checked(net, METHODS["lds"](net, **{**opts, "time_limit": clock.remaining()})))
    if cert is None:
        return evidence or _failed(net, "lds", auto=True)
    if (cert.certified and net.equal_tau and net.n <= _AUTO_L2_LIMIT
            and not clock.expired()):
        clock.step("contraction-l2")
        l2 = _checked(net, _m_l2(net, **opts))
        if l2 is not None and l2.certified:
            data = dict(l2.data, lds_weights=cert.weights, lds_margin=cert.margin)
            return dataclasses.replace(l2, data=data)
    if not cert.certified and cert.refutation is None and evidence is not None:
        return evidence
    return cert


def certify(net: Network, *, method: str = "auto", solver: str | None = None,
            optimize: bool = False, time_limit: float | None = None,
            progress: Callable[[str], None] | None = None) -> Certificate:
    """Certify the stability of ``net``
    (docs/theory.md §3), or say why not, with a proof either way.

    Parameters
    ----------
    net : Network
    method : str
        ``"auto"`` (cheapest sufficient test first, the strongest statement found) or one of
        ``METHODS``: ``"diagonal"``, ``"contraction-linf"``, ``"comparison"``, ``"metzler"``,
        ``"lds"``, ``"2x2"``, ``"sdp"``, ``"ascent"``, ``"contraction-l2"``, ``"cascade"``.
    solver : str, optional
        cvxpy solver for SDP-based methods.
    optimize : bool
        Ascent: maximise the margin instead of stopping at the first certificate.
    time_limit : float, optional
        Seconds allowed to the search (the ascent stops with what it has; the final
        verification of a candidate is not interrupted). ``stats["seconds"]`` records the time.
    progress : callable, optional
        Called with one line of text at each step (the CLI prints it to stderr).

    Returns
    -------
    Certificate
        ``certified`` with ``kind``, ``weights``, ``rate``/``margin`` and ``statement``; or not,
        with the reason in ``statement`` and, when found, a ``refutation``. A certificate is
        returned as certified only after :meth:`Certificate.verify` has proved it (in exact
        arithmetic for ``n ≤ 60``, with rigorous rounding bounds above); a weight vector whose
        check is only a Lanczos estimate (``n > DENSE_VERIFY_LIMIT``) is returned as
        ``status == "numerical_evidence"``, not certified.

    Raises
    ------
    ValidationError
        Unknown ``method``, a method that does not apply (e.g. ``"metzler"`` with inhibition),
        or an activation that breaks its declared contract (measured by
        :func:`eicircuits.activations.check_activation`).

    Examples
    --------
    >>> from eicircuits import Network
    >>> cert = certify(Network(W=[[0.2, -0.3], [0.4, -0.1]], cell_types="EI"))
    >>> cert.kind, bool(cert.verify()), cert.stats["seconds"] < 60
    ('contraction-linf', True, True)
    """
    if not isinstance(net, Network):
        raise ValidationError(f"net: expected a Network, got {type(net).__name__}")
    if time_limit is not None and not (isinstance(time_limit, (int, float))
                                       and time_limit > 0):
        raise ValidationError(f"time_limit: expected a positive number of seconds, "
                              f"got {time_limit!r}")
    if method != "auto" and method not in METHODS:
        raise ValidationError(
            f"method: expected 'auto' or one of {sorted(METHODS)}, got {method!r}"
        )
    if solver is not None and method in _NO_SDP:
        warnings.warn(f"certify: solver={solver!r} has no effect with method={method!r} "
                      "(it uses no SDP)", EICircuitsWarning, stacklevel=2)
    n = net.n

    def say(line: str) -> None:
        if progress is not None:
            progress(line.replace("{n}", str(n)))

    clock = _Clock(time_limit, say if progress is not None else None)
    acts = tuple(dict.fromkeys(net.activations))
    cert = _activation_refusal(net, acts) or _delay_refusal(net)
    if cert is None:
        for act in acts:  # check_activation, memoised: raises with the measured violation
            exc = activation_check(act)
            if exc is not None:
                raise exc
        opts = {"solver": solver, "optimize": optimize, "time_limit": time_limit}
        # long ascents report every ASCENT_REPORT_EVERY seconds through the same progress lines
        token = ASCENT_PROGRESS.set(say if progress is not None else None)
        try:
            cert = _run(net, method, clock, opts)
        finally:
            ASCENT_PROGRESS.reset(token)
    stats = {"seconds": clock.elapsed(), "n": n, "steps": clock.steps,
             "time_limit": time_limit}
    if progress is not None:
        say(f"certify: {cert.status} after {stats['seconds']:.1f} s")
    return dataclasses.replace(cert, stats=stats)


def _run(net: Network, method: str, clock: _Clock, opts: dict[str, Any]) -> Certificate:
    """The search of :func:`certify` once the activations and delays have been accepted."""
    if method == "auto":
        return _auto(net, clock, **opts)
    clock.step(method)
    # a search for LDS weights cannot succeed where a cheap necessary condition fails
    # (some W_ii ≥ 1, or ρ(W_EE) ≥ 1): refute in O(nnz) instead of searching until the
    # time limit (a 5000-neuron ISN: 60 s of ascent, "inconclusive")
    cert = _necessary_refutation(net) if method in _LDS_SEARCHES else None
    if cert is None:
        cert = _checked(net, METHODS[method](net, **opts)) or _failed(net, method)
    return cert


# ---------------------------------------------------------------------- report
def report_section(net: Network, *, time_limit: float = 30.0) -> Section:
    """The "Stability" section of ``eicircuits analyze``: the certificate and its verification.

    Examples
    --------
    >>> from eicircuits import Network
    >>> sec = report_section(Network(W=[[0.5, -1.0], [2.0, -0.5]], cell_types="EI"))
    >>> sec.title, sec.data["certified"]
    ('Stability', True)
    """
    cert = certify(net, time_limit=time_limit)
    ver = cert.verify()
    verdict = {"valid": "valid", "numerical_evidence": "numerical evidence only",
               "nothing_to_verify": "nothing to verify"}.get(ver.status, "FAILED")
    lines = [str(cert), f"verification: {verdict} — {ver.message}"]
    data = {k: v for k, v in cert.to_dict().items() if k not in ("weights", "refutation")}
    if net.n <= 50:
        data = cert.to_dict()
    data["verification"] = {"valid": ver.valid, "exact": ver.exact, "proof": ver.proof,
                            "status": ver.status, "method": ver.method, "message": ver.message}
    return Section("Stability", "\n".join(lines), data)
