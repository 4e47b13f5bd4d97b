"""``certify(net, method=…)``: the strongest stability statement that can be proven.

A registry of strategies, tried cheapest first by ``method="auto"``:

1. ``"diagonal"`` — some ``W_ii ≥ 1``: not LDS (refutation ``X = e_i e_iᵀ``), say why;
2. ``"contraction-linf"`` — the Metzler majorant has spectral abscissa ``< 1``: the rate form
   contracts in a Perron-weighted ℓ∞ norm for every ``τ`` (the strongest statement);
3. ``"cascade"`` — several strongly connected blocks (and ``n`` above the SDP size): compose
   per-block LDS certificates;
4. ``"lds"`` — 2 × 2 closed form, Metzler solves, SDP (``n ≤ 80``) or first-order ascent;
   with equal ``τ`` and ``n ≤ 10`` the weighted-ℓ2 contraction LMI is tried on top;
5. otherwise a refusal carrying a refutation (``W − I`` not LDS) or saying it is inconclusive.

Examples
--------
>>> from eicircuits import Network
>>> cert = certify(Network(W=[[1.3, -1.0], [2.0, -0.5]], cell_types="EI"))
>>> cert.certified, cert.statement.split(";")[0]
(False, 'W_ii = 1.3 > 1 for neuron 0: not LDS')
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .._report import Section
from ..errors import EICircuitsWarning, ValidationError
from ..network import Network
from ._lds import SDP_LIMIT, LDSResult, lds
from .certificate import Certificate, _a_matrix, tau_fingerprint
from .matrices import comparison_vectors, is_metzler, majorant, spectral_abscissa
from .refute import refute_diagonal

__all__ = ["certify", "METHODS", "local_stability", "LocalStability", "report_section"]

FloatArray = NDArray[np.float64]

_LOCAL_HINT = "local stability depends on τ: use eicircuits.local_stability(net, x_eq)"


# ---------------------------------------------------------------------- statements
def _tau_clause(net: Network) -> str:
    if net.equal_tau:
        return (f"with these equal time constants (τ = {net.tau[0]:g}) it is globally "
                "asymptotically stable")
    return ("it is locally exponentially stable for every choice of time constants and the "
            "voltage form is globally stable; global stability of the rate form with these "
            "unequal time constants is not claimed (an open question, THEORY §3)")


def _lds_statement(net: Network, how: str, margin: float | None) -> str:
    m = f", margin {margin:.3g}" if margin is not None else ""
    return (f"W − I is Lyapunov diagonally stable ({how}{m}): for every constant input u and "
            "every activation with slopes in [0, 1] the network has exactly one equilibrium (the "
            f"unique Nash equilibrium of the neurons' game), and {_tau_clause(net)}")


def _base(net: Network) -> dict[str, Any]:
    return {"n": net.n, "fingerprint": net.fingerprint(), "tau_hash": tau_fingerprint(net.tau),
            "network": net}


def _from_lds(net: Network, res: LDSResult, kind: str = "lds",
              extra: dict[str, Any] | None = None) -> Certificate:
    if res.is_lds:
        return Certificate(True, kind, _lds_statement(net, f"P = diag(p) from {res.method}",
                                                      res.margin),
                           method=res.method, weights=res.p, margin=res.margin,
                           norm="P-weighted ℓ2 (Lyapunov function, τ-free)",
                           data=dict(extra or {}), **_base(net))
    if res.is_lds is False:
        return _refusal(net, res.refutation, res.method, res.message)
    return Certificate(False, "none",
                       f"inconclusive: {res.message}; no τ-free guarantee; {_LOCAL_HINT}",
                       method=res.method, data={"reason": res.message}, **_base(net))


def _refusal(net: Network, V: Any, method: str, reason: str) -> Certificate:
    d = net.diag
    if V is not None and V.shape[1] == 1 and np.count_nonzero(V) == 1:
        i = int(np.flatnonzero(V[:, 0])[0])
        rel = ">" if d[i] > 1 else "="
        statement = (f"W_ii = {d[i]:g} {rel} 1 for neuron {i}: not LDS; {_LOCAL_HINT} "
                     f"(neuron {net.names[i]!r} is a concave player: its own energy is not "
                     "convex in its rate)")
    else:
        hurwitz = ""
        if net.n <= 2000:
            hurwitz = ("; W − I is Hurwitz, so the fully active linear regime is stable "
                       "for equal τ" if spectral_abscissa(_a_matrix(net)) < 0 else
                       "; W − I is not even Hurwitz")
        statement = (f"W − I is not Lyapunov diagonally stable: the attached refutation "
                     f"X = VVᵀ ⪰ 0 has diag((W − I)X) ≥ 0{hurwitz}; no τ-free guarantee; "
                     f"{_LOCAL_HINT}")
    return Certificate(False, "none", statement, method=method, refutation=V,
                       data={"reason": reason}, **_base(net))


# ---------------------------------------------------------------------- strategies
def _m_diagonal(net: Network, **_: Any) -> Certificate | None:
    d = net.diag
    if np.all(d < 1):
        return None
    V = refute_diagonal(_a_matrix(net))
    i = int(np.flatnonzero(V[:, 0])[0])
    return _refusal(net, V, "diagonal", f"W[{i}, {i}] = {d[i]:g} ≥ 1")


def _m_linf(net: Network, **_: Any) -> Certificate | None:
    from .contraction import linf_weights

    eta, rate = linf_weights(net)
    if eta is None or rate <= 0:
        return None
    rate = float(np.nextafter(rate * (1.0 - 1e-12), 0.0))  # claim a hair less than computed
    statement = (
        "the rate form contracts in the weighted ℓ∞ norm max_i |x_i| / η_i (η: Perron or "
        "comparison vector of the Metzler majorant of W) for every constant input u, every "
        "activation with slopes in [0, 1] and every choice of time constants; with these time "
        f"constants at rate {rate:.4g}: exactly one equilibrium, globally exponentially stable "
        "(W − I is also LDS)")
    return Certificate(True, "contraction-linf", statement, method="contraction-linf",
                       weights=eta, rate=rate, norm="weighted ℓ∞ (max_i |x_i| / η_i)",
                       **_base(net))


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
    margin = lds_margin(_a_matrix(net), p) if n <= 20000 else None
    how = ("P = diag(w / v) from the comparison (H-matrix) test on the Metzler majorant"
           if kind == "comparison" else "P = diag(w / v) from two linear solves (Metzler)")
    return Certificate(True, kind, _lds_statement(net, how, margin), method=kind, weights=p,
                       margin=margin, norm="P-weighted ℓ2 (Lyapunov function, τ-free)",
                       data={"v": v / np.max(v)}, **_base(net))


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
        res = lds(A, method=method, cell_types=net.cell_types, solver=solver,
                  optimize=optimize, time_limit=time_limit)
        return _from_lds(net, res)

    return run


def _m_l2(net: Network, *, solver: str | None = None, **_: Any) -> Certificate | None:
    from .contraction import l2_contraction

    found = l2_contraction(net, solver=solver)
    if found is None:
        return None
    P, q, c = found
    rate = c / float(net.tau[0])
    statement = (
        f"with these equal time constants (τ = {net.tau[0]:g}) the rate form contracts in "
        f"‖x‖_P = √(xᵀPx) at rate {rate:.4g} for every constant input u and every activation "
        "with slopes in [0, 1]: exactly one equilibrium, globally exponentially stable; W − I is "
        "then LDS, so every equilibrium is locally exponentially stable for any τ")
    return Certificate(True, "contraction-l2", statement, method="contraction-l2 (SDP bisection)",
                       weights=P, rate=rate, norm="‖x‖_P = √(xᵀPx)",
                       data={"q": q, "c": c}, **_base(net))


def _m_cascade(net: Network, *, solver: str | None = None, **_: Any) -> Certificate | None:
    from .cascade import cascade_weights

    def block_lds(Wb: Any, idx: Any) -> LDSResult:
        k = Wb.shape[0]
        A = (Wb - sp.eye_array(k, format="csr")).tocsr() if sp.issparse(Wb) else Wb - np.eye(k)
        types = None if net.cell_types is None else [net.cell_types[i] for i in idx]
        return lds(A, cell_types=types, solver=solver, optimize=False)

    p, data, msg = cascade_weights(net, block_lds)
    if p is None:
        return Certificate(False, "none", f"the cascade composition failed: {msg}; "
                           f"{_LOCAL_HINT}", method="cascade", data={"reason": msg},
                           **_base(net))
    return Certificate(True, "cascade",
                       _lds_statement(net, f"cascade of per-block certificates: {msg}", None),
                       method="cascade", weights=p,
                       norm="P-weighted ℓ2 (Lyapunov function, τ-free)", data=data,
                       **_base(net))


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

#: Auto mode tries the weighted-ℓ2 contraction LMI on top of LDS up to this n (equal τ).
_AUTO_L2_LIMIT = 10


def _checked(net: Network, cert: Certificate | None) -> Certificate | None:
    """``cert`` if it is a refusal or passes :meth:`Certificate.verify`, else ``None``.

    ``certify`` never claims what the independent check does not confirm.
    """
    if cert is None or not cert.certified:
        return cert
    ver = cert.verify()
    if ver:
        return cert
    return None


def _failed(net: Network, method: str) -> Certificate:
    return Certificate(False, "none",
                       f"method {method!r} found no certificate that passes independent "
                       f"verification; try method='auto'; {_LOCAL_HINT}", method=method,
                       data={"reason": f"{method} failed"}, **_base(net))


def _auto(net: Network, **opts: Any) -> Certificate:
    cert = _m_diagonal(net)
    if cert is not None:
        return cert
    cert = _checked(net, _m_linf(net))
    if cert is not None:
        return cert
    if net.n > SDP_LIMIT:
        from .cascade import block_structure

        blocks, _ = block_structure(net.W)
        if len(blocks) > 1:
            cert = _checked(net, _m_cascade(net, **opts))
            if cert is not None and cert.certified:
                return cert
    cert = _checked(net, METHODS["lds"](net, **opts))
    if cert is None:
        return _failed(net, "lds")
    if cert.certified and net.equal_tau and net.n <= _AUTO_L2_LIMIT:
        l2 = _checked(net, _m_l2(net, **opts))
        if l2 is not None:
            l2.data["lds_weights"] = cert.weights
            l2.data["lds_margin"] = cert.margin
            return l2
    return cert


def certify(net: Network, *, method: str = "auto", solver: str | None = None,
            optimize: bool = False, time_limit: float | None = None) -> Certificate:
    """Certify the stability of ``net`` (THEORY §3), or say why not, with a proof either way.

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
        Seconds allowed to the ascent.

    Returns
    -------
    Certificate
        ``certified`` with ``kind``, ``weights``, ``rate``/``margin`` and ``statement``; or not,
        with the reason in ``statement`` and, when found, a ``refutation``. A certificate is
        returned as certified only after :meth:`Certificate.verify` has confirmed it (in exact
        arithmetic for ``n ≤ 60``).

    Raises
    ------
    ValidationError
        Unknown ``method``, or a method that does not apply (e.g. ``"metzler"`` with inhibition).

    Examples
    --------
    >>> from eicircuits import Network
    >>> cert = certify(Network(W=[[0.2, -0.3], [0.4, -0.1]], cell_types="EI"))
    >>> cert.kind, bool(cert.verify())
    ('contraction-linf', True)
    """
    if not isinstance(net, Network):
        raise ValidationError(f"net: expected a Network, got {type(net).__name__}")
    opts = {"solver": solver, "optimize": optimize, "time_limit": time_limit}
    if solver is not None and method in _NO_SDP:
        warnings.warn(f"certify: solver={solver!r} has no effect with method={method!r} "
                      "(it uses no SDP)", EICircuitsWarning, stacklevel=2)
    if method == "auto":
        return _auto(net, **opts)
    if method not in METHODS:
        raise ValidationError(
            f"method: expected 'auto' or one of {sorted(METHODS)}, got {method!r}"
        )
    cert = _checked(net, METHODS[method](net, **opts))
    if cert is None:
        return _failed(net, method)
    return cert


# ---------------------------------------------------------------------- local stability
@dataclasses.dataclass(frozen=True)
class LocalStability:
    """Local stability of one equilibrium (τ-dependent).

    Attributes
    ----------
    stable : bool
        Whether the Jacobian ``τ⁻¹(−I + Λ W)`` is Hurwitz.
    abscissa : float
        Its spectral abscissa (the slowest decay rate is ``−abscissa``).
    eigenvalues : ndarray
    active : ndarray of bool
        Neurons with positive slope at the equilibrium (``Λ_ii > 0``).
    borderline : ndarray of int
        Neurons whose drive sits at a kink of a piecewise-linear activation (the active set is
        ambiguous there; ``stable`` then also requires stability with them switched on).
    message : str
    """

    stable: bool
    abscissa: float
    eigenvalues: FloatArray
    active: NDArray[np.bool_]
    borderline: NDArray[np.intp]
    message: str


def local_stability(net: Network, x_eq: Any, *, atol: float = 1e-9) -> LocalStability:
    """Local exponential stability of the equilibrium ``x_eq`` of the rate form (τ-dependent).

    Linearises ``τ ẋ = −x + Φ(Wx + u)`` at ``x_eq``: ``J = τ⁻¹(−I + Λ W)``,
    ``Λ = diag(Φ'(W x_eq + u))`` (for ReLU: the active set). Unlike an LDS certificate this
    depends on the time constants (THEORY §3, inhibition-stabilised networks).

    Raises
    ------
    ValidationError
        ``x_eq`` has the wrong shape, or is not an equilibrium (residual above ``1e-6``).

    Examples
    --------
    >>> import numpy as np
    >>> from eicircuits import Network
    >>> net = Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[1.0, 0.5], cell_types="EI")
    >>> local_stability(net, np.array([1 / 14, 5 / 14])).stable
    True
    >>> local_stability(net.replace(tau=[1.0, 2.5]), np.array([1 / 14, 5 / 14])).stable
    False
    """
    x = np.asarray(x_eq, dtype=float)
    if x.shape != (net.n,):
        raise ValidationError(f"x_eq: expected shape ({net.n},), got {x.shape}")
    res = float(np.max(np.abs(net.rate_field(x) * net.tau)))
    if res > 1e-6 * max(1.0, float(np.max(np.abs(x)))):
        raise ValidationError(
            f"x_eq: not an equilibrium (max |−x + Φ(Wx + u)| = {res:.3g}); compute one with "
            "eicircuits.equilibrium(net)"
        )
    if net.n > 2000:
        raise ValidationError(f"local_stability: n = {net.n} > 2000 (dense eigenvalues)")
    z = net.drive(x)
    lam = net.dphi(z)
    border = []
    for i, a in enumerate(net.activations):
        if a.piecewise_linear:
            _, hi = a.value_range
            kinks = [k for k in (0.0, hi if np.isfinite(hi) else None) if k is not None]
            if any(abs(z[i] - k) <= atol for k in kinks):
                border.append(i)
    W = net.dense_W(limit=2000)

    def spectrum(lv: FloatArray) -> FloatArray:
        J = (lv[:, None] * W - np.eye(net.n)) / net.tau[:, None]
        return np.linalg.eigvals(J)

    ev = spectrum(lam)
    absc = float(np.max(ev.real))
    if border:
        lam2 = lam.copy()
        lam2[border] = 1.0
        absc = max(absc, float(np.max(spectrum(lam2).real)))
    stable = absc < 0
    msg = (f"{'stable' if stable else 'unstable'}: spectral abscissa {absc:.4g} of "
           f"τ⁻¹(−I + ΛW) with {int(np.sum(lam > 0))} of {net.n} neurons active")
    if border:
        msg += f"; neurons {border} sit at a kink (both sides checked)"
    return LocalStability(stable, absc, ev, lam > 0, np.array(border, dtype=np.intp), msg)


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
    lines = [str(cert), f"verification: {'valid' if ver else 'FAILED'} — {ver.message}"]
    data = {k: v for k, v in cert.to_dict().items() if k not in ("weights", "refutation")}
    if net.n <= 50:
        data = cert.to_dict()
    data["verification"] = {"valid": ver.valid, "exact": ver.exact, "method": ver.method,
                            "message": ver.message}
    return Section("Stability", "\n".join(lines), data)
