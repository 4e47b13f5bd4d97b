"""The :class:`Certificate`: what is proven, in which norm, with which weights; re-checkable.

A certificate never relies on the solver that produced it: :meth:`Certificate.verify`
recomputes the defining inequality from the network and the stored numbers (for ``n ≤ 60`` in
exact rational arithmetic, so the certificate is a proof), and :meth:`Certificate.save` /
:meth:`Certificate.load` keep it as JSON tied to the network's fingerprint.

Kinds and what ``verify`` checks (``A = W − I``, ``S = PA + AᵀP``, ``P = diag(weights)``):

``"lds"``, ``"metzler"``, ``"comparison"``
    ``weights > 0`` and ``S ≺ 0`` with ``margin ≤ −λ_max(S) / (2 mean p)`` (exact Sylvester test by
    Bareiss elimination for ``n ≤ 60``; for ``"metzler"``/``"comparison"`` also the scalable
    test ``Ŝ v < 0`` for ``v = data["v"] > 0``, ``Ŝ`` the comparison matrix of ``S``).
``"contraction-linf"``
    ``rate = min_i τ_i⁻¹ (1 − max(0, W_ii + Σ_{j≠i} |W_ij| η_j / η_i)) > 0``, ``η = weights``.
``"contraction-l2"``
    ``[[−2(1−c)P, P + WᵀQ], [P + QW, −2Q]] ≺ 0``, ``P = weights`` (matrix), ``Q = diag(data["q"])``.
``"cascade"``
    the weights ``ε^ℓ P_ℓ`` of the blocks: each scaled diagonal block ``≺ −m_ℓ I`` and the
    block-norm comparison matrix positive definite.
``"none"``
    a refutation ``V``: ``diag(A V Vᵀ) ≥ 0`` (not LDS), when present.

Examples
--------
>>> from eicircuits import Network
>>> from eicircuits.stability import certify
>>> cert = certify(Network(W=[[0.5, -1.0], [2.0, -0.5]], cell_types="EI"), method="lds")
>>> cert.certified, cert.kind, bool(cert.verify())
(True, 'lds', True)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from .._report import jsonable
from ..errors import ValidationError
from ..network import Network
from ._exact import is_positive_definite_exact
from .refute import verify_refutation

__all__ = ["Certificate", "Verification", "tau_fingerprint", "KINDS"]

FloatArray = NDArray[np.float64]

KINDS = ("lds", "metzler", "comparison", "contraction-linf", "contraction-l2", "cascade", "none")
#: Largest n for which verification is also done in exact rational arithmetic.
EXACT_LIMIT = 60
#: Largest n for which a dense floating-point check (Cholesky / eigvalsh) is used.
DENSE_VERIFY_LIMIT = 5000
_FORMAT = "eicircuits-certificate/1"


def tau_fingerprint(tau: Any) -> str:
    """SHA-256 of the time constants (the rate claims depend on them)."""
    return hashlib.sha256(np.ascontiguousarray(tau, dtype=float).tobytes()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Verification:
    """Result of :meth:`Certificate.verify`; truthy when valid.

    Attributes
    ----------
    valid : bool
    exact : bool
        Whether the inequality was proved in exact rational arithmetic.
    method : str
        How it was checked.
    message : str
        What was found (the recomputed margin or rate, or what failed).
    """

    valid: bool
    exact: bool
    method: str
    message: str

    def __bool__(self) -> bool:
        return self.valid


def _dense(W: Any) -> FloatArray:
    return W.toarray() if sp.issparse(W) else np.asarray(W, dtype=float)


def _a_matrix(net: Network) -> Any:
    if net.is_sparse:
        return (net.W - sp.eye_array(net.n, format="csr")).tocsr()
    return net.W - np.eye(net.n)


@dataclasses.dataclass(frozen=True, eq=False)
class Certificate:
    """A stability certificate (or a reasoned refusal) for one network.

    Attributes
    ----------
    certified : bool
        Whether ``statement`` is a proven stability claim.
    kind : str
        One of ``KINDS``.
    statement : str
        One sentence: what holds, for which inputs, time constants and activations (or why
        nothing could be certified, and what to use instead).
    method : str
        The strategy that produced it.
    weights : ndarray or None
        ``p`` (diagonal ``P``) for LDS kinds and cascades, ``η`` for ``"contraction-linf"``,
        the matrix ``P`` for ``"contraction-l2"``.
    rate : float or None
        Contraction rate (``"contraction-*"``), in the network's time unit⁻¹.
    margin : float or None
        LDS margin ``−λ_max(PA + AᵀP) / (2 mean p)`` (scale-free; weights have ``max p = 1``).
    norm : str or None
        The norm the claim is made in.
    refutation : ndarray or None
        Factor ``V`` of a matrix ``X = VVᵀ`` proving ``W − I`` is not LDS.
    n, fingerprint, tau_hash
        The network the certificate belongs to (:meth:`Network.fingerprint`, hash of ``τ``).
    data : dict
        Kind-specific extras (``v`` vectors, ``q``, cascade blocks and ``eps``, reasons).
    """

    certified: bool
    kind: str
    statement: str
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

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValidationError(f"kind: expected one of {KINDS}, got {self.kind!r}")

    # ------------------------------------------------------------------ display
    def __str__(self) -> str:
        head = "CERTIFIED" if self.certified else "NOT CERTIFIED"
        parts = [f"{head} ({self.kind}, {self.method}): {self.statement}"]
        if self.margin is not None:
            parts.append(f"margin = {self.margin:.6g}")
        if self.rate is not None:
            parts.append(f"rate = {self.rate:.6g}")
        return "; ".join(parts)

    # ------------------------------------------------------------------ verification
    def verify(self, net: Network | None = None, *, exact: bool | None = None) -> Verification:
        """Re-check the certificate against ``net`` (default: the network it was made for).

        Independent of the solver: the defining inequality is recomputed from ``W``, ``τ`` and
        the stored numbers. With ``exact=None`` exact rational arithmetic is used for
        ``n ≤ 60``.

        Raises
        ------
        ValidationError
            No network given and none attached (a loaded certificate needs ``net``).
        """
        net = net if net is not None else self.network
        if net is None:
            raise ValidationError(
                "verify: this certificate has no network attached (it was loaded from a file); "
                "pass the network: cert.verify(net)"
            )
        if net.n != self.n or net.fingerprint() != self.fingerprint:
            return Verification(False, False, "fingerprint",
                                "the certificate was made for a different weight matrix W")
        if tau_fingerprint(net.tau) != self.tau_hash:
            return Verification(False, False, "fingerprint",
                                "the certificate was made for different time constants τ")
        if exact is None:
            exact = net.n <= EXACT_LIMIT
        if exact and net.n > EXACT_LIMIT and self.kind != "contraction-linf":
            raise ValidationError(f"verify: exact=True is limited to n ≤ {EXACT_LIMIT}")
        try:
            if not self.certified:
                return self._verify_refusal(net, exact)
            check = {
                "lds": self._verify_lds,
                "metzler": self._verify_lds,
                "comparison": self._verify_lds,
                "contraction-linf": self._verify_linf,
                "contraction-l2": self._verify_l2,
                "cascade": self._verify_cascade,
            }[self.kind]
            return check(net, exact)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            return Verification(False, False, "malformed", f"malformed certificate: {exc}")

    def _verify_refusal(self, net: Network, exact: bool) -> Verification:
        if self.refutation is None:
            return Verification(True, False, "none",
                                "nothing is claimed (no certificate and no refutation)")
        ok, ex, msg = verify_refutation(_a_matrix(net), self.refutation, exact=exact)
        return Verification(ok, ex, "refutation", msg)

    def _weights(self) -> FloatArray:
        p = np.asarray(self.weights, dtype=float)
        if p.shape != (self.n,):
            raise ValueError(f"weights must have shape ({self.n},), got {p.shape}")
        return p

    def _verify_lds(self, net: Network, exact: bool) -> Verification:
        p = self._weights()
        if not np.all(np.isfinite(p)) or np.any(p <= 0):
            i = int(np.flatnonzero(~(p > 0))[0])
            return Verification(False, False, "weights", f"weight p[{i}] = {p[i]} is not > 0")
        A = _a_matrix(net)
        if "v" in self.data:
            ok, msg = _comparison_check(A, p, np.asarray(self.data["v"], dtype=float))
            if not ok:
                return Verification(False, False, "comparison", msg)
            if not exact and net.n > DENSE_VERIFY_LIMIT:
                return Verification(True, False, "comparison", msg)
        return _check_negative_definite(A, p, self.margin, exact)

    def _verify_linf(self, net: Network, exact: bool) -> Verification:
        eta = self._weights()
        if not np.all(np.isfinite(eta)) or np.any(eta <= 0):
            return Verification(False, False, "weights", "every weight η_i must be > 0")
        if exact and net.n <= EXACT_LIMIT:
            W = _dense(net.W)
            et = [Fraction(float(x)) for x in eta]
            rates = []
            for i in range(net.n):
                r = Fraction(float(W[i, i])) + sum(
                    (abs(Fraction(float(W[i, j]))) * et[j] for j in range(net.n) if j != i),
                    Fraction(0)) / et[i]
                rates.append((1 - max(Fraction(0), r)) / Fraction(float(net.tau[i])))
            rate_exact = min(rates)
            rate = float(rate_exact)
            ok = rate_exact > 0 and (self.rate is None or Fraction(self.rate) <= rate_exact)
            how = "exact rational arithmetic"
        else:
            rate = linf_rate(net, eta)
            ok = rate > 0 and (self.rate is None or self.rate <= rate * (1 + 1e-9))
            how = "floating point"
        msg = (f"weighted ℓ∞ log-norm bound gives contraction rate {rate:.6g} "
               f"(claimed {self.rate:.6g}; {how})" if self.rate is not None else f"rate {rate}")
        return Verification(bool(ok), bool(exact and net.n <= EXACT_LIMIT and ok),
                            "linf-lognorm", msg)

    def _verify_l2(self, net: Network, exact: bool) -> Verification:
        P = np.asarray(self.weights, dtype=float)
        q = np.asarray(self.data["q"], dtype=float)
        n = net.n
        if P.shape != (n, n) or q.shape != (n,) or self.rate is None:
            raise ValueError("contraction-l2 needs weights P (n, n), data['q'] (n,) and a rate")
        if np.any(q <= 0) or not np.array_equal(P, P.T):
            return Verification(False, False, "lmi", "Q must be positive and P symmetric")
        L = l2_lmi(_dense(net.W), P, q, self.rate)
        if exact and 2 * n <= 2 * EXACT_LIMIT:
            ok = is_positive_definite_exact(P) and is_positive_definite_exact(-L)
            return Verification(ok, ok, "lmi-exact",
                                "P ≻ 0 and the contraction LMI ≺ 0, proved in exact arithmetic"
                                if ok else "the contraction LMI fails in exact arithmetic")
        lam_p = float(np.linalg.eigvalsh(P)[0])
        lam = float(np.linalg.eigvalsh(L)[-1])
        ok = lam_p > 0 and lam < 0
        return Verification(ok, False, "lmi",
                            f"λ_min(P) = {lam_p:.3g}, λ_max(LMI) = {lam:.3g} (floating point)")

    def _verify_cascade(self, net: Network, exact: bool) -> Verification:
        from .cascade import verify_cascade

        p = self._weights()
        ok, msg = verify_cascade(net, p, self.data)
        if ok and exact and net.n <= EXACT_LIMIT:
            # the composed weights ε^ℓ P_ℓ are dyadic: prove the whole inequality exactly too
            A = _dense(net.W) - np.eye(net.n)
            S = p[:, None] * A
            ok = is_positive_definite_exact(-(S + S.T))
            msg += ("; P(W − I) + (W − I)ᵀP ≺ 0 proved in exact arithmetic" if ok else
                    "; but the exact check of P(W − I) + (W − I)ᵀP ≺ 0 fails")
            return Verification(ok, ok, "block-comparison + sylvester-exact", msg)
        return Verification(ok, False, "block-comparison", msg)

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (everything but the attached network)."""
        out = {"format": _FORMAT}
        for f in dataclasses.fields(self):
            if f.name != "network":
                out[f.name] = jsonable(getattr(self, f.name))
        return out

    def save(self, path: str | Path) -> None:
        """Write the certificate as JSON (tied to the network by its fingerprint)."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=1), encoding="utf-8")

    @classmethod
    def from_dict(cls, d: dict[str, Any], *, network: Network | None = None) -> Certificate:
        """Inverse of :meth:`to_dict`.

        Raises
        ------
        ValidationError
            Not a certificate of this format, or missing fields.
        """
        if not isinstance(d, dict) or d.get("format") != _FORMAT:
            raise ValidationError(
                f"certificate: expected a dict with format {_FORMAT!r}, "
                f"got format {d.get('format') if isinstance(d, dict) else type(d).__name__!r}"
            )
        names = {f.name for f in dataclasses.fields(cls)} - {"network"}
        missing = {"certified", "kind", "statement", "n", "fingerprint"} - set(d)
        if missing:
            raise ValidationError(f"certificate: missing fields {sorted(missing)}")
        kw = {k: v for k, v in d.items() if k in names}
        for key in ("weights", "refutation"):
            if kw.get(key) is not None:
                kw[key] = np.asarray(kw[key], dtype=float)
        return cls(**kw, network=network)

    @classmethod
    def load(cls, path: str | Path, *, network: Network | None = None) -> Certificate:
        """Read a certificate written by :meth:`save` (attach ``network`` to verify it).

        Raises
        ------
        ValidationError
            Missing file, invalid JSON or not a certificate.
        """
        p = Path(path)
        if not p.is_file():
            raise ValidationError(f"certificate: file {str(path)!r} not found")
        try:
            d = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValidationError(f"certificate: {str(path)!r} is not valid JSON: {exc}") from exc
        return cls.from_dict(d, network=network)


# ---------------------------------------------------------------------- checks
def linf_rate(net: Network, eta: FloatArray) -> float:
    """``min_i τ_i⁻¹ (1 − max(0, W_ii + Σ_{j≠i} |W_ij| η_j / η_i))`` (floating point)."""
    W = net.W
    d = net.diag
    absW = abs(W) if sp.issparse(W) else np.abs(W)
    off = absW @ eta - np.abs(d) * eta
    r = d + off / eta
    return float(np.min((1.0 - np.maximum(0.0, r)) / net.tau))


def l2_lmi(W: FloatArray, P: FloatArray, q: FloatArray, c: float) -> FloatArray:
    """``[[−2(1−c)P, P + WᵀQ], [P + QW, −2Q]]`` (THEORY §3, Gokhale et al. 2026)."""
    Q = np.diag(q)
    top = np.hstack([-2.0 * (1.0 - c) * P, P + W.T @ Q])
    bot = np.hstack([P + Q @ W, -2.0 * Q])
    return np.vstack([top, bot])


def _comparison_check(A: Any, p: FloatArray, v: FloatArray) -> tuple[bool, str]:
    # Ŝ = comparison matrix of S = PA + AᵀP (Ŝ_ii = S_ii, Ŝ_ij = |S_ij|); Ŝ v < 0 with v > 0
    # makes −S a symmetric H-matrix with positive diagonal, hence S ≺ 0. The test is rigorous
    # in floating point: every rounding error of forming S and Ŝv is bounded by
    # γ_k (|P||A| + |A|ᵀ|P|) v with γ_k = k u / (1 − k u), k the longest row plus a few.
    if v.shape != p.shape or np.any(v <= 0) or not np.all(np.isfinite(v)):
        return False, "comparison vector v must be positive, finite and of shape (n,)"
    if sp.issparse(A):
        absA = abs(A)
        PA = sp.diags_array(p) @ A
        S = (PA + PA.T).tocsr()
        k = int(np.max(np.diff(S.indptr))) if S.nnz else 1
        Tv = p * (absA @ v) + absA.T @ (p * v)
    else:
        absA = np.abs(A)
        S = p[:, None] * A
        S = S + S.T
        k = A.shape[0]
        Tv = p * (absA @ v) + absA.T @ (p * v)
    d = S.diagonal() if sp.issparse(S) else np.diag(S)
    absS = abs(S) if sp.issparse(S) else np.abs(S)
    Sv = (absS @ v - np.abs(d) * v) + d * v
    u = np.finfo(float).eps / 2
    kk = k + 6
    gamma = kk * u / (1 - kk * u)
    bound = 2.0 * gamma * Tv
    worst = float(np.max((Sv + bound) / v))
    if worst < 0:
        return True, (f"comparison matrix of PA + AᵀP maps v > 0 to a negative vector "
                      f"(max (Ŝv)_i / v_i ≤ {worst:.3g} including a rigorous bound on rounding "
                      "errors): S ≺ 0")
    return False, (f"comparison test fails: max (Ŝv)_i / v_i = {float(np.max(Sv / v)):.3g} "
                   f"(≤ {worst:.3g} with rounding errors) is not < 0")


def _check_negative_definite(A: Any, p: FloatArray, claimed: float | None,
                             exact: bool) -> Verification:
    from ._lds import lds_margin

    n = A.shape[0]
    if exact:
        dense = _dense(A)
        S = p[:, None] * dense
        S = S + S.T
        ok = is_positive_definite_exact(-S)
        m = lds_margin(dense, p)
        if ok and claimed is not None and claimed > m * (1 + 1e-9) + 1e-15:
            return Verification(False, True, "sylvester-exact",
                                f"PA + AᵀP ≺ 0 holds, but the claimed margin {claimed:.6g} "
                                f"exceeds the true margin {m:.6g}")
        return Verification(ok, ok, "sylvester-exact",
                            f"P(W − I) + (W − I)ᵀP ≺ 0 proved in exact arithmetic "
                            f"(margin {m:.6g})" if ok else
                            "P(W − I) + (W − I)ᵀP is not negative definite (exact check)")
    if n <= DENSE_VERIFY_LIMIT:
        dense = _dense(A)
        S = p[:, None] * dense
        S = S + S.T
        # Cholesky of −S − 2m'I with m' just below the claimed margin proves S ⪯ −2m'I
        mp = float(np.mean(p))
        shift = 0.0 if claimed is None else 2.0 * mp * claimed * (1 - 1e-6)
        try:
            np.linalg.cholesky(-S - shift * np.eye(n))
            chol = True
        except np.linalg.LinAlgError:
            chol = False
        if n <= 1000:
            m = -float(np.linalg.eigvalsh(S)[-1]) / (2 * mp)
            how = "Cholesky + eigvalsh"
        else:
            m = lds_margin(A, p)
            how = "shifted Cholesky (margin by Lanczos)"
        if chol and claimed is not None:
            ok = m > 0
            return Verification(ok, False, how,
                                f"P(W − I) + (W − I)ᵀP ⪯ −2·mean(p)·{claimed * (1 - 1e-6):.6g}·I "
                                f"(recomputed margin {m:.6g}; {how})" if ok else
                                "inconsistent margin")
        if not chol and claimed is not None and m > 0:
            return Verification(False, False, how,
                                f"claimed margin {claimed:.6g} exceeds the recomputed {m:.6g}")
    else:
        m = lds_margin(A, p)
        chol = m > 0
        how = "Lanczos (numerical, not a proof)"
    ok = chol and m > 0
    if ok and claimed is not None and claimed > m * (1 + 1e-6) + 1e-14:
        return Verification(False, False, how,
                            f"claimed margin {claimed:.6g} exceeds the recomputed {m:.6g}")
    return Verification(ok, False, how,
                        f"P(W − I) + (W − I)ᵀP ≺ 0, margin {m:.6g} ({how})" if ok else
                        f"P(W − I) + (W − I)ᵀP is not negative definite (margin {m:.3g}; {how})")
