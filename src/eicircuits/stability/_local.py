"""Local stability of one equilibrium: the single verdict of the library (docs/theory.md §3, §4).

Every function that says whether an equilibrium is stable (:meth:`Equilibrium.with_stability`,
:func:`~eicircuits.equilibria`, :func:`local_stability`, the refusals of
:func:`~eicircuits.certify`, ``eicircuits analyze``, the sweeps and the circuit analyses) asks
:func:`local_stability` here. The verdict is ``"stable"``, ``"unstable"`` or ``"undecided"``,
always with its reason.

How it is decided
-----------------
Near an equilibrium ``x*`` (drive ``z* = W x* + u``) the deviation ``δ = x − x*`` obeys
``τ δ̇ = −δ + Φ(z* + W δ) − Φ(z*)``.

*Smooth activations, or no neuron at a kink.* The linearisation ``J = τ⁻¹(−I + Λ W)``,
``Λ = diag(Φ'(z*))``, decides (Lyapunov's indirect method; for piecewise-linear activations the
local system *is* linear): stable when its spectral abscissa is ``< −tol``, unstable when it is
``> tol``, undecided in between (a centre or a line of equilibria: the nonlinear terms decide).

*Piecewise-linear neurons exactly at a kink.* For piecewise-linear ``φ`` the local system is
exactly *conewise linear*: for each sign pattern ``σ`` of ``(W δ)_k`` over the kink neurons
``k`` it is ``δ̇ = A_σ δ`` on the cone ``C_σ = {σ_k (W δ)_k ≥ 0}``, where ``A_σ`` uses each kink
neuron's actual one-sided slope (the right slope of ``φ_k`` where ``(W δ)_k > 0``, the left one
where it is ``< 0``). It is positively homogeneous, so local and global stability of the origin
coincide. The rules, each sound:

1. *Unstable* if some piece ``A_σ`` has a real eigenvalue ``λ > tol`` with an eigenvector ``v``
   inside its own cone ``C_σ``: the ray ``{αv, α > 0}`` is invariant (``f(αv) = λαv``) and
   grows like ``e^{λt}`` (e.g. ``ẋ = −x + max(2x, 0)`` at 0: the half-line ``x > 0``).
2. ``n ≤ 2``: the angle of ``δ`` obeys an autonomous equation ``θ̇ = g(θ)`` on the circle and
   ``(ln r)˙ = h(θ)``. If some invariant ray exists and every invariant ray has ``λ < −tol``,
   every trajectory turns monotonically onto an invariant ray and decays: *stable*. If there is
   no invariant ray, trajectories rotate and one turn multiplies the radius by
   ``exp(∮ h/|g| dθ)`` (computed by quadrature, cone by cone): *stable* when that exponent is
   negative, *unstable* when positive.
3. ``n ≥ 3``: *stable* when a common quadratic Lyapunov function ``δᵀPδ`` with
   ``A_σᵀP + PA_σ ≺ 0`` for every piece is found (Lyapunov solutions of the pieces, then a
   small SDP, each checked independently by eigenvalues); otherwise *undecided*, with the
   reason (a conewise-linear system with Hurwitz pieces can be unstable for ``n ≥ 3``).

*Large networks* (``n >`` :data:`~eicircuits._limits.STABILITY_LIMIT`). The rightmost
eigenvalues of the sparse ``J`` are computed by ARPACK (implicitly restarted Arnoldi, only
mat-vecs); if it does not converge, ARPACK on the Cayley transform ``(J − sI)⁻¹(J + sI)``
(eigenvalues of modulus ``< 1`` exactly when ``Re λ < 0``) with a sparse LU, for
``n ≤`` :data:`~eicircuits._limits.SPLU_FALLBACK_MAX`. These are numerical (Krylov) verdicts,
not proofs, and say so; when both fail the verdict is undecided with ARPACK's message.

Examples
--------
>>> import numpy as np
>>> from eicircuits import Network
>>> local_stability(Network(W=[[2.0]], u=[0.0]), [0.0]).verdict
'unstable'
>>> local_stability(Network(W=[[0.75]], u=[0.0]), [0.0]).verdict
'stable'
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from .._limits import KINK_LIMIT, SPLU_FALLBACK_MAX, STABILITY_LIMIT
from .._result import Result
from ..errors import ValidationError
from ..network import Network

__all__ = ["LocalStability", "local_stability", "VERDICTS"]

FloatArray = NDArray[np.float64]

#: The three verdicts.
VERDICTS = ("stable", "unstable", "undecided")

#: Work budget (``pieces × n³``) for resolving the one-sided linearisations at kinks.
_PIECE_WORK = 4e9

#: A common quadratic Lyapunov function is searched by SDP (cvxpy) while pieces × n² is at most
#: this (about 3 s here; 64 pieces at n = 40 took 214 s).
_SDP_WORK = 6400

#: Below this n the dense spectrum is always used (ARPACK needs n well above the 6 it computes).
_ARPACK_MIN_N = 50

#: Relative tolerance on eigenvalue real parts (times the scale of the Jacobian).
_REL_TOL = 1e-9


@dataclasses.dataclass(frozen=True, eq=False)
class LocalStability(Result):
    """The local-stability verdict of one equilibrium (τ-dependent).

    Attributes
    ----------
    verdict : str
        ``"stable"`` (locally exponentially stable), ``"unstable"`` or ``"undecided"``.
    message : str
        The reason for the verdict (what was computed, and for ``"undecided"`` why it does not
        decide).
    abscissa : float
        Largest real part of the linearisations examined: the linearisation ``J`` at the
        equilibrium, and at a kink every one-sided piece (``nan`` when none was computed).
    eigenvalues : ndarray of complex
        Eigenvalues of ``J = τ⁻¹(−I + diag(Φ'(z*)) W)`` (``Φ'`` as the activations'
        ``derivative`` gives it), largest real part first; for large networks only the
        rightmost few that ARPACK computed. Empty when none were computed.
    active : ndarray of bool
        Neurons with positive slope at the equilibrium.
    borderline : ndarray of int
        Neurons whose drive sits exactly at a kink of a piecewise-linear activation.
    method : str
        ``"dense"``, ``"planar"`` (angular analysis, ``n ≤ 2``), ``"cones"`` (one-sided pieces,
        ``n ≥ 3``), ``"arpack"``, ``"arpack-cayley"``, or ``"none"``.
    stats : dict
        ``seconds``, ``pieces`` and method-specific numbers (``growth_per_turn`` for a
        rotating planar system, ``arpack_error`` …).

    ``stable`` is ``True``, ``False`` or ``None`` (undecided); ``success`` is whether a verdict
    was reached and ``status`` the verdict itself.
    """

    verdict: str
    message: str
    abscissa: float
    eigenvalues: NDArray[np.complex128]
    active: NDArray[np.bool_]
    borderline: NDArray[np.intp]
    method: str
    stats: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def stable(self) -> bool | None:
        """``True`` (stable), ``False`` (unstable) or ``None`` (undecided)."""
        return {"stable": True, "unstable": False}.get(self.verdict)

    @property
    def success(self) -> bool:
        """Whether a verdict (stable or unstable) was reached."""
        return self.verdict != "undecided"

    @property
    def decided(self) -> bool:
        """Alias of ``success``."""
        return self.success

    @property
    def status(self) -> str:
        """The verdict: ``"stable"``, ``"unstable"`` or ``"undecided"``."""
        return self.verdict

    def __str__(self) -> str:
        return f"{self.verdict}: {self.message}"


# ---------------------------------------------------------------------------- public entry
def local_stability(
    net: Network,
    x_eq: ArrayLike,
    *,
    u: ArrayLike | None = None,
    atol: float = 1e-9,
    dense_limit: int = STABILITY_LIMIT,
) -> LocalStability:
    """Local exponential stability of the equilibrium ``x_eq`` of the rate form (τ-dependent).

    Linearises ``τ ẋ = −x + Φ(Wx + u)`` at ``x_eq``: ``J = τ⁻¹(−I + Λ W)``,
    ``Λ = diag(Φ'(W x_eq + u))``; at kinks of piecewise-linear activations the exact
    conewise-linear local system is analysed with the activations' one-sided slopes (see the
    module docstring for the rules). Unlike an LDS certificate this depends on the time
    constants (docs/theory.md §3, inhibition-stabilised networks).

    Parameters
    ----------
    net : Network
    x_eq : array_like, shape (n,)
        The equilibrium (rates).
    u : array_like, optional
        The input it is an equilibrium for (default ``net.u``).
    atol : float
        A drive within ``atol·(1 + |threshold|)`` of a kink counts as at the kink.
    dense_limit : int
        Largest ``n`` for dense eigenvalues; above it ARPACK computes the rightmost ones.

    Returns
    -------
    LocalStability
        ``verdict`` with its reason in ``message``; ``stable`` is ``True``/``False``/``None``.

    Raises
    ------
    ValidationError
        ``x_eq`` or ``u`` has the wrong shape or is not finite, or ``x_eq`` is not an
        equilibrium (residual above ``1e-6``).

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
    if not isinstance(net, Network):
        raise ValidationError(f"net: expected a Network, got {type(net).__name__}")
    x = _vector("x_eq", x_eq, net.n)
    uu = net.u if u is None else _vector("u", u, net.n)
    if not isinstance(atol, (int, float)) or not (math.isfinite(atol) and atol >= 0):
        raise ValidationError(f"atol: must be a finite number ≥ 0, got {atol!r}")
    res = float(np.max(np.abs(net.phi(net.drive(x, uu)) - x)))
    if res > 1e-6 * max(1.0, float(np.max(np.abs(x)))):
        raise ValidationError(
            f"x_eq: not an equilibrium (max |−x + Φ(Wx + u)| = {res:.3g}); compute one with "
            "eicircuits.equilibrium(net)"
        )
    return verdict(net, x, uu, atol=float(atol), dense_limit=int(dense_limit))


def _vector(name: str, value: Any, n: int) -> FloatArray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"{name}: expected {n} real numbers, got {value!r}") from exc
    if arr.ndim == 0 and name == "u":
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise ValidationError(f"{name}: expected shape ({n},), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValidationError(f"{name}: every entry must be finite")
    return arr


# ---------------------------------------------------------------------------- one-sided slopes
def one_sided_slopes(net: Network, z: FloatArray, *, atol: float = 1e-9
                     ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(slope, left, right)`` of every neuron's activation at the drive ``z``.

    ``slope`` is ``Φ'(z)`` as the activations' ``derivative`` gives it; ``left`` and ``right``
    are the one-sided slopes, different only at a kink of a piecewise-linear activation
    (clip forms ``clip(c z + o, lo, hi)`` exactly; other piecewise-linear activations by one-sided
    difference quotients).
    """
    from ..fixed_points._problem import clip_form

    d = np.asarray(net.dphi(z), dtype=float)
    left, right = d.copy(), d.copy()
    groups: dict[Any, list[int]] = {}
    for k, act in enumerate(net.activations):
        groups.setdefault(act, []).append(k)
    for act, ix in groups.items():
        idx = np.array(ix, dtype=np.intp)
        zi = z[idx]
        form = clip_form(act)
        if form is not None:
            c, lo, hi, o = form  # act(z) = clip(c z + o, lo, hi)
            t_lo = (lo - o) / c if math.isfinite(lo) else -math.inf
            t_hi = (hi - o) / c if math.isfinite(hi) else math.inf
            inside = np.where((zi > t_lo) & (zi < t_hi), c, 0.0)
            left[idx], right[idx] = inside, inside
            if math.isfinite(t_lo):
                at = np.abs(zi - t_lo) <= atol * (1.0 + abs(t_lo))
                left[idx[at]], right[idx[at]] = 0.0, c
            if math.isfinite(t_hi):
                at = np.abs(zi - t_hi) <= atol * (1.0 + abs(t_hi))
                left[idx[at]], right[idx[at]] = c, 0.0
        elif act.piecewise_linear:
            h = 1e-7 * (1.0 + np.abs(zi))
            f0 = act(zi)
            r = (act(zi + h) - f0) / h
            lft = (f0 - act(zi - h)) / h
            kink = np.abs(r - lft) > 1e-6 * (1.0 + np.abs(r) + np.abs(lft))
            left[idx[kink]], right[idx[kink]] = lft[kink], r[kink]
    return d, left, right


# ---------------------------------------------------------------------------- the verdict
def verdict(net: Network, x: FloatArray, u: FloatArray, *, atol: float = 1e-9,
            dense_limit: int = STABILITY_LIMIT) -> LocalStability:
    """The verdict at a point already known to be an equilibrium (no argument checks)."""
    start = time.perf_counter()
    z = net.drive(x, u)
    d, left, right = one_sided_slopes(net, z, atol=atol)
    kinks = np.flatnonzero(left != right)
    if kinks.size:
        # A kink neuron whose row of W is zero never leaves its kink: its slope is irrelevant.
        W_rows = net.W[kinks] if not net.is_sparse else net.W[kinks, :]
        row_nnz = (np.count_nonzero(W_rows, axis=1) if not net.is_sparse
                   else np.diff(sp.csr_array(W_rows).indptr))
        kinks = kinks[np.asarray(row_nnz) > 0]
    inv_tau = 1.0 / net.tau
    row_sum = (np.asarray(abs(net.W).sum(axis=1)).ravel() if net.is_sparse
               else np.abs(net.W).sum(axis=1))
    scale = float(np.max(inv_tau * (1.0 + np.maximum(np.abs(left), np.abs(right)) * row_sum)))
    tol = _REL_TOL * max(1.0, scale)
    active = (left > 0) | (right > 0) | (d > 0)
    common = dict(active=active, borderline=kinks.astype(np.intp))

    def done(verdict_: str, message: str, abscissa: float, eig: Any, method: str,
             **stats: Any) -> LocalStability:
        ev = np.asarray(eig if eig is not None else [], dtype=complex)
        if ev.size:
            ev = ev[np.lexsort((-ev.imag, -ev.real))]
        stats = {"seconds": time.perf_counter() - start, **stats}
        return LocalStability(verdict_, message, float(abscissa), ev, method=method,
                              stats=stats, **common)

    smax = np.maximum(np.maximum(left, right), d)
    if net.n > max(dense_limit, _ARPACK_MIN_N):
        if kinks.size:
            robust = _majorant_verdict(net, smax, kinks, done)
            if robust is not None:
                return robust
        return _sparse_verdict(net, d, kinks, tol, dense_limit, done)
    W = net.dense_W(limit=max(dense_limit, net.n))

    def jac(slopes: FloatArray) -> FloatArray:
        return (slopes[:, None] * W - np.eye(net.n)) * inv_tau[:, None]

    eig0 = np.linalg.eigvals(jac(d))
    a0 = float(np.max(eig0.real))
    n_act = int(np.sum(active))
    if kinks.size == 0:
        what = (f"spectral abscissa {a0:.4g} of the linearisation τ⁻¹(−I + ΛW) "
                f"({n_act} of {net.n} neurons with positive slope)")
        if a0 < -tol:
            return done("stable", f"{what} < 0", a0, eig0, "dense", pieces=1)
        if a0 > tol:
            return done("unstable", f"{what} > 0", a0, eig0, "dense", pieces=1)
        return done("undecided", f"{what} is 0 up to round-off ({tol:.1g}): a centre or a "
                    "line of equilibria; the linearisation does not decide", a0, eig0, "dense",
                    pieces=1)
    names = ", ".join(repr(net.names[int(k)]) for k in kinks[:6]) + (
        " …" if kinks.size > 6 else "")
    at = f"{kinks.size} neuron(s) ({names}) sit exactly at a kink"
    core, rates, bad = _peel(W, net.tau, d, left, right, kinks, tol)
    peeled = net.n - core.size
    if bad is not None:
        k, rate = bad
        word = "unstable" if rate > tol else "undecided"
        tail = ("its one-dimensional dynamics grow there (an invariant half-line)" if rate > tol
                else "its one-dimensional rate is 0: the linear terms do not decide")
        return done(word, f"{at}; neuron {net.names[k]!r} is decoupled from the rest of the "
                    f"remaining network (cascade) and on one side of its kink has rate "
                    f"{rate:.4g}: {tail}", max(a0, rate), eig0, "cones", pieces=0,
                    decoupled=peeled)
    note = (f"; {peeled} neuron(s) decouple in a cascade, each decaying (rates ≤ "
            f"{max(rates):.4g})" if peeled else "")
    if core.size == 0:
        return done("stable", f"{at}{note}: the whole local system is a cascade of decaying "
                    "one-dimensional pieces", max(rates), eig0, "cones", pieces=0,
                    decoupled=peeled)
    ck = np.flatnonzero(np.isin(core, kinks))
    if ck.size > KINK_LIMIT or (2.0 ** ck.size) * float(core.size) ** 3 > _PIECE_WORK:
        robust = _majorant_verdict(net, smax, kinks, done)
        if robust is not None:
            return robust
        return done("undecided", f"{at}{note}; {ck.size} kink neuron(s) remain coupled: too many "
                    f"to resolve their 2^{ck.size} one-sided linearisations (limit KINK_LIMIT = "
                    f"{KINK_LIMIT}); simulate from nearby states to decide", a0, eig0, "none",
                    pieces=0, decoupled=peeled)
    Wc = W[np.ix_(core, core)]
    inv_c = inv_tau[core]
    pieces = []
    for signs in itertools.product((1.0, -1.0), repeat=int(ck.size)):
        sg = np.array(signs)
        sl = d[core].copy()
        sl[ck] = np.where(sg > 0, right[core][ck], left[core][ck])
        pieces.append((sg, (sl[:, None] * Wc - np.eye(core.size)) * inv_c[:, None]))
    Wk = Wc[ck]
    if ck.size == 0:
        ev = np.linalg.eigvals(pieces[0][1])
        a = float(np.max(ev.real))
        what = (f"{at}{note}; the remaining {core.size} coupled neurons are linear with "
                f"spectral abscissa {a:.4g}")
        word = "stable" if a < -tol else ("unstable" if a > tol else "undecided")
        return done(word, what, max(a, *rates) if rates else a, eig0, "cones", pieces=1,
                    decoupled=peeled)
    at = at + note
    if core.size <= 2:
        out = _planar(core.size, pieces, Wk, eig0, tol, at, done)
    else:
        out = _cones(pieces, Wk, eig0, tol, at, done)
    out.stats["decoupled"] = peeled
    return out


def _peel(W: FloatArray, tau: FloatArray, d: FloatArray, left: FloatArray, right: FloatArray,
          kinks: NDArray[np.intp], tol: float
          ) -> tuple[NDArray[np.intp], list[float], tuple[int, float] | None]:
    """Remove, repeatedly, neurons that decouple from the rest of the local system.

    A neuron is *upstream* when its drive depends on no other remaining neuron (times its
    slopes), *downstream* when no other remaining neuron depends on it. Either way the local
    system is a cascade through it, and its own dynamics are one-dimensional (conewise on the
    two sides of a kink). The cascade is stable when the remaining core and every removed
    neuron are (the core is positively homogeneous and globally Lipschitz, so exponentially
    stable implies input-to-state stable); and a removed neuron with a growing side makes the
    whole system unstable (the others at 0 form an invariant subspace on which it is alone).

    Returns ``(core, rates, bad)``: the remaining neurons, the removed ones' largest rates, and
    ``(neuron, rate)`` of the first removed neuron whose rate is not ``< −tol`` (else ``None``).
    """
    n = W.shape[0]
    reach = np.maximum(np.abs(left), np.abs(right))[:, None] * np.abs(W)
    np.fill_diagonal(reach, 0.0)
    is_kink = np.zeros(n, dtype=bool)
    is_kink[kinks] = True
    alive = np.ones(n, dtype=bool)
    rates: list[float] = []
    while True:
        idx = np.flatnonzero(alive)
        sub = reach[np.ix_(idx, idx)]
        free = idx[(sub.sum(axis=1) == 0) | (sub.sum(axis=0) == 0)]
        if free.size == 0:
            break
        for k in free:
            if is_kink[k] and W[k, k] != 0.0:
                r = max((-1.0 + left[k] * W[k, k]) / tau[k], (-1.0 + right[k] * W[k, k]) / tau[k])
            else:
                r = (-1.0 + d[k] * W[k, k]) / tau[k]
            rates.append(float(r))
            if r >= -tol:
                return np.flatnonzero(alive), rates, (int(k), float(r))
        alive[free] = False
        if not alive.any():
            break
    return np.flatnonzero(alive), rates, None


def _in_cone(v: FloatArray, sg: FloatArray, Wk: FloatArray) -> bool:
    proj = sg * (Wk @ v)
    slack = 1e-9 * np.linalg.norm(Wk, axis=1) * np.linalg.norm(v)
    return bool(np.all(proj >= -slack))


def _growing_ray(pieces: list[tuple[FloatArray, FloatArray]], Wk: FloatArray, tol: float
                 ) -> tuple[float, FloatArray, FloatArray] | None:
    """A piece's real eigenvalue ``> tol`` whose eigenvector (±) lies in the piece's cone."""
    best = None
    for sg, A in pieces:
        for lam, v in _real_eigenpairs(A, tol):
            if lam <= tol:
                continue
            for cand in (v, -v):
                if _in_cone(cand, sg, Wk) and (best is None or lam > best[0]):
                    best = (lam, cand / np.linalg.norm(cand), sg)
    return best


def _real_eigenpairs(A: FloatArray, tol: float) -> list[tuple[float, FloatArray]]:
    """Real eigenvalues of ``A`` with a unit real eigenvector each, robust to defectiveness.

    A defective (Jordan) eigenvalue comes back from LAPACK split into a complex pair with
    imaginary parts of order ``sqrt(eps)·‖A‖``, far above ``tol``; such a pair is a real
    eigenvalue and must not be dropped (it can be the growing ray that decides instability).
    2 × 2 pieces use the closed form ``(T ± √(T² − 4D))/2``; larger ones accept eigenvalues
    with imaginary part up to ``1e-6·‖A‖`` whose real eigenvector (the null vector of
    ``A − λI`` from an SVD) has a small residual.
    """
    A = np.asarray(A, dtype=float)
    scale = float(np.max(np.abs(A))) or 1.0
    out: list[tuple[float, FloatArray]] = []
    if A.shape == (2, 2):
        T, D = float(A[0, 0] + A[1, 1]), float(A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0])
        disc = T * T - 4.0 * D
        if disc < -64 * np.finfo(float).eps * (T * T + 4.0 * abs(D)):
            return out
        r = math.sqrt(max(disc, 0.0))
        lams = [(T + r) / 2.0, (T - r) / 2.0]
    else:
        vals = np.linalg.eigvals(A)
        lams = [float(v.real) for v in vals if abs(v.imag) <= max(tol, 1e-6 * scale)]
    for lam in lams:
        M = A - lam * np.eye(A.shape[0])
        _, sv, vt = np.linalg.svd(M)
        v = vt[-1]
        if sv[-1] <= 1e-6 * scale * math.sqrt(A.shape[0]):
            out.append((float(lam), v / np.linalg.norm(v)))
    return out


def _ray_text(v: FloatArray) -> str:
    return "(" + ", ".join(f"{c:.3g}" for c in v[:6]) + (", …" if v.size > 6 else "") + ")"


def _side_text(sg: FloatArray) -> str:
    return "".join("+" if s > 0 else "−" for s in sg)


def _cones(pieces: list[tuple[FloatArray, FloatArray]], Wk: FloatArray,
           eig0: Any, tol: float, at: str, done: Any) -> LocalStability:
    absc = max(float(np.max(np.linalg.eigvals(A).real)) for _, A in pieces)
    grow = _growing_ray(pieces, Wk, tol)
    if grow is not None:
        lam, v, sg = grow
        return done("unstable", f"{at}; the one-sided piece on the side {_side_text(sg)} has "
                    f"eigenvalue {lam:.4g} > 0 with eigenvector {_ray_text(v)} inside its own "
                    "cone, so that ray is invariant and grows (invariant-cone argument)",
                    absc, eig0, "cones", pieces=len(pieces))
    if absc < -tol:
        P = _common_lyapunov([A for _, A in pieces])
        if P is not None:
            return done("stable", f"{at}; all {len(pieces)} one-sided linearisations are "
                        f"Hurwitz (abscissa ≤ {absc:.4g}) and share the quadratic Lyapunov "
                        "function δᵀPδ (AᵀP + PA ≺ 0 for every piece), so the conewise-linear "
                        "local system is exponentially stable", absc, eig0, "cones",
                        pieces=len(pieces))
        return done("undecided", f"{at}; all {len(pieces)} one-sided linearisations are Hurwitz "
                    f"(abscissa ≤ {absc:.4g}) but no common quadratic Lyapunov function was "
                    "found, and for n ≥ 3 a conewise-linear system with Hurwitz pieces can be "
                    "unstable; simulate from nearby states to decide", absc, eig0, "cones",
                    pieces=len(pieces))
    return done("undecided", f"{at}; some one-sided linearisation is not Hurwitz (abscissa "
                f"{absc:.4g}) but none has a growing eigenvector inside its own cone, so "
                "neither rule decides; simulate from nearby states", absc, eig0, "cones",
                pieces=len(pieces))


def _common_lyapunov(mats: list[FloatArray]) -> FloatArray | None:
    """``P ≻ 0`` with ``AᵀP + PA ≺ 0`` for every ``A`` (Lyapunov candidates), else ``None``."""
    from scipy.linalg import solve_continuous_lyapunov

    n = mats[0].shape[0]
    candidates = [np.mean(mats, axis=0), *list(mats)]
    for A in candidates:
        try:
            P = solve_continuous_lyapunov(A.T, -np.eye(n))
        except (np.linalg.LinAlgError, ValueError):
            continue
        if _is_common_lyapunov(P, mats):
            return P
    if len(mats) * n * n <= _SDP_WORK:
        return _common_lyapunov_sdp(mats)
    return None


def _is_common_lyapunov(P: FloatArray, mats: list[FloatArray]) -> bool:
    """Independent floating-point check: ``P ≻ 0`` and ``AᵀP + PA ≺ 0`` with a margin."""
    P = (P + P.T) / 2
    lam = np.linalg.eigvalsh(P)
    if not (np.all(np.isfinite(P)) and lam[0] > 1e-9 * lam[-1]):
        return False
    margin = 1e-9 * float(lam[-1]) * max(np.linalg.norm(B, 2) for B in mats)
    return all(float(np.linalg.eigvalsh(B.T @ P + P @ B)[-1]) < -margin for B in mats)


def _common_lyapunov_sdp(mats: list[FloatArray]) -> FloatArray | None:
    """``P ⪰ I`` with ``AᵀP + PA ⪯ −I`` for every piece by a small SDP, checked afterwards."""
    import cvxpy as cp

    n = mats[0].shape[0]
    P = cp.Variable((n, n), symmetric=True)
    eye = np.eye(n)
    cons = [P >> eye] + [A.T @ P + P @ A << -eye for A in mats]
    prob = cp.Problem(cp.Minimize(cp.trace(P)), cons)
    for solver in ("CLARABEL", "SCS"):
        if solver not in cp.installed_solvers():
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                prob.solve(solver=solver)
        except cp.error.SolverError:
            continue
        if P.value is not None and _is_common_lyapunov(np.asarray(P.value), mats):
            return np.asarray(P.value)
    return None


def _planar(n: int, pieces: list[tuple[FloatArray, FloatArray]], Wk: FloatArray,
            eig0: Any, tol: float, at: str, done: Any) -> LocalStability:
    """Exact angular analysis of a conewise-linear system in dimension 1 or 2."""
    absc = max(float(np.max(np.linalg.eigvals(A).real)) for _, A in pieces)
    if n == 1:
        rates = [(float(A[0, 0]), sg) for sg, A in pieces]
        lam, sg = max(rates, key=lambda r: r[0])
        sides = ", ".join(f"{a:.4g}" for a, _ in rates)
        if lam > tol:
            return done("unstable", f"{at}; on the side {_side_text(sg)} the one-sided slope "
                        f"gives δ̇ = {lam:.4g}·δ > 0 there: that half-line is invariant and "
                        "grows", absc, eig0, "planar", pieces=len(pieces))
        if lam < -tol:
            return done("stable", f"{at}; both one-sided linearisations decay (rates {sides})",
                        absc, eig0, "planar", pieces=len(pieces))
        return done("undecided", f"{at}; a one-sided rate is 0 ({sides}): the linear "
                    "terms do not decide", absc, eig0, "planar", pieces=len(pieces))
    # boundary angles of the cones: the lines (W δ)_k = 0
    angles = []
    for w in Wk:
        base = math.atan2(w[0], -w[1]) % (2 * math.pi)
        angles += [base, (base + math.pi) % (2 * math.pi)]
    angles = sorted(angles)
    uniq = [a for i, a in enumerate(angles) if i == 0 or a - angles[i - 1] > 1e-12]
    if len(uniq) > 1 and uniq[0] + 2 * math.pi - uniq[-1] <= 1e-12:
        uniq.pop()
    sectors = []
    by_sign = {tuple(sg): A for sg, A in pieces}
    for j, a in enumerate(uniq):
        b = uniq[j + 1] if j + 1 < len(uniq) else uniq[0] + 2 * math.pi
        m = (a + b) / 2
        e = np.array([math.cos(m), math.sin(m)])
        sg = tuple(np.where(Wk @ e > 0, 1.0, -1.0))
        sectors.append((a, b, np.array(sg), by_sign[sg]))
    rays: list[tuple[float, float, FloatArray, FloatArray]] = []  # (λ, angle, v, side)
    for a, b, sg, A in sectors:
        half = 0.5 * float(np.trace(A))
        if np.allclose(A, half * np.eye(2), atol=tol):
            e = np.array([math.cos((a + b) / 2), math.sin((a + b) / 2)])
            rays.append((half, (a + b) / 2, e, sg))
            continue
        for lam_k, v in _real_eigenpairs(A, tol):
            for cand in (v, -v):
                th = math.atan2(cand[1], cand[0]) % (2 * math.pi)
                for shift in (0.0, 2 * math.pi):
                    if a - 1e-9 <= th + shift <= b + 1e-9:
                        rays.append((lam_k, th, cand / np.linalg.norm(cand), sg))
    if rays:
        lam, _, v, sg = max(rays, key=lambda r: r[0])
        if lam > tol:
            return done("unstable", f"{at}; the ray along {_ray_text(v)} lies in the cone "
                        f"{_side_text(sg)} and is an eigenvector of that piece with eigenvalue "
                        f"{lam:.4g} > 0: it is invariant and grows (invariant-cone argument)",
                        absc, eig0, "planar", pieces=len(pieces), invariant_rays=len(rays))
        if lam >= -tol:
            return done("undecided", f"{at}; an invariant ray has eigenvalue {lam:.3g} ≈ 0: "
                        "the linear terms do not decide", absc, eig0, "planar",
                        pieces=len(pieces), invariant_rays=len(rays))
        return done("stable", f"{at}; planar conewise-linear analysis: every trajectory turns "
                    f"monotonically onto one of {len(rays)} invariant rays, all decaying "
                    f"(largest ray eigenvalue {lam:.4g} < 0)", absc, eig0, "planar",
                    pieces=len(pieces), invariant_rays=len(rays))
    growth, err = _turn_growth(sectors)
    if not math.isfinite(growth) or abs(growth) <= max(10 * err, 1e-9):
        return done("undecided", f"{at}; trajectories rotate and the growth over one turn, "
                    f"exp({growth:.3g}), is 1 within the quadrature error {err:.1g}",
                    absc, eig0, "planar", pieces=len(pieces), growth_per_turn=growth)
    word = "stable" if growth < 0 else "unstable"
    return done(word, f"{at}; planar conewise-linear analysis: no invariant ray, trajectories "
                f"rotate and one turn multiplies the distance by exp({growth:.4g}) "
                f"{'< 1' if growth < 0 else '> 1'}", absc, eig0, "planar",
                pieces=len(pieces), growth_per_turn=growth)


def _turn_growth(sectors: list[tuple[float, float, FloatArray, FloatArray]]
                 ) -> tuple[float, float]:
    """``∮ h(θ)/|g(θ)| dθ``: log of the radius gain over one turn (no invariant rays)."""
    from scipy.integrate import IntegrationWarning, quad

    total, err = 0.0, 0.0
    for a, b, _, A in sectors:
        def ratio(th: float, A: FloatArray = A) -> float:
            e = np.array([math.cos(th), math.sin(th)])
            f = A @ e
            return float(e @ f) / abs(float(e[0] * f[1] - e[1] * f[0]))

        with warnings.catch_warnings():
            warnings.simplefilter("error", IntegrationWarning)
            try:
                val, e_ = quad(ratio, a, b, limit=200, epsabs=1e-12, epsrel=1e-10)
            except IntegrationWarning:
                return math.nan, math.inf
        total += val
        err += e_
    return total, err


# ---------------------------------------------------------------------------- large networks
def _majorant_verdict(net: Network, smax: FloatArray, kinks: NDArray[np.intp],
                      done: Any) -> LocalStability | None:
    """Stable for every choice of one-sided slopes, or ``None``: a weighted ℓ∞ contraction.

    Near the equilibrium ``τ_i δẋ_i = −δx_i + σ_i(t) (W δx)_i`` with ``σ_i(t)`` between 0 and
    ``smax_i`` (the largest one-sided slope: mean-value theorem on a monotone activation). If
    ``v > 0`` has ``smax_i (W_ii v_i + Σ_{j≠i} |W_ij| v_j) < v_i`` for every ``i`` (the Metzler
    majorant of ``diag(smax) W`` minus ``I`` is Hurwitz), each row of the weighted ℓ∞ log-norm
    is negative at both ends of ``σ_i``'s range, hence for all of it: the local system contracts
    whatever side of its kink each neuron is on, O(nnz) work at any size.
    """
    from .matrices import comparison_vectors, majorant

    n = net.n
    S = sp.diags_array(smax)
    M = sp.csr_array(S @ majorant(sp.csr_array(net.W) if not net.is_sparse else net.W))
    try:
        vw = comparison_vectors(M - sp.eye_array(n, format="csr"))
    except Exception:  # a failed solve proves nothing
        return None
    if vw is None:
        return None
    v = vw[0]
    # the defining inequality, recomputed; a relative slack absorbs the round-off of M v
    ratio = (M @ v) / v
    if not (np.all(np.isfinite(ratio)) and np.all(v > 0) and float(np.max(ratio)) < 1 - 1e-9):
        return None
    rate = float(np.min((1.0 - ratio) / net.tau))
    names = ", ".join(repr(net.names[int(k)]) for k in kinks[:6]) + (
        " …" if kinks.size > 6 else "")
    return done("stable", f"{kinks.size} neuron(s) ({names}) sit exactly at a kink; whatever "
                "one-sided slopes they take, the local system contracts in a weighted ℓ∞ norm "
                f"(Metzler majorant of ΛW, largest weighted row sum {float(np.max(ratio)):.4g} "
                f"< 1; rate ≥ {rate:.4g})", -rate, None, "majorant", pieces=0)


def _sparse_verdict(net: Network, d: FloatArray, kinks: NDArray[np.intp], tol: float,
                    dense_limit: int, done: Any) -> LocalStability:
    import scipy.sparse.linalg as spla

    n = net.n
    if kinks.size:
        return done("undecided", f"{kinks.size} neuron(s) sit exactly at a kink and n = {n} > "
                    f"STABILITY_LIMIT = {dense_limit}: the one-sided pieces are only resolved "
                    "with dense eigenvalues; simulate from nearby states to decide", math.nan,
                    None, "none", pieces=0)
    inv_tau = 1.0 / net.tau
    if net.is_sparse:
        J: Any = sp.csr_array(sp.diags_array(inv_tau) @ (sp.diags_array(d) @ net.W
                                                          - sp.eye_array(n, format="csr")))
    else:
        J = (d[:, None] * net.W - np.eye(n)) * inv_tau[:, None]
    k = 6
    v0 = np.random.default_rng(0).standard_normal(n)
    errors = []
    try:
        vals = spla.eigs(J, k=k, which="LR", v0=v0, ncv=min(n - 1, 40),
                         maxiter=max(1000, n), return_eigenvectors=False, tol=1e-10)
        return _arpack_done(vals, tol, n, "arpack", "ARPACK (rightmost eigenvalues)", done)
    except (spla.ArpackNoConvergence, spla.ArpackError) as exc:
        errors.append(f"ARPACK on J: {exc}")
    if net.is_sparse and n <= SPLU_FALLBACK_MAX:
        s = float(np.median(inv_tau))
        try:
            lu = spla.splu(sp.csc_array(J - s * sp.eye_array(n, format="csc")))
            plus = sp.csr_array(J + s * sp.eye_array(n, format="csr"))
            cay = spla.LinearOperator((n, n), matvec=lambda y: lu.solve(plus @ y),
                                      dtype=float)
            mu = spla.eigs(cay, k=k, which="LM", v0=v0, ncv=min(n - 1, 40),
                           maxiter=max(1000, n), return_eigenvectors=False, tol=1e-10)
            lam = s * (mu + 1) / (mu - 1)
            return _arpack_done(lam, tol, n, "arpack-cayley",
                                f"ARPACK on the Cayley transform (J − {s:.3g}I)⁻¹(J + "
                                f"{s:.3g}I) (largest |μ|: Re λ < 0 ⇔ |μ| < 1)", done,
                                arpack_error=errors[0])
        except (spla.ArpackNoConvergence, spla.ArpackError, RuntimeError) as exc:
            errors.append(f"Cayley transform: {exc}")
    return done("undecided", f"n = {n} > STABILITY_LIMIT = {dense_limit} and the sparse "
                f"eigenvalue solvers failed ({'; '.join(errors)}): no verdict", math.nan, None,
                "none", pieces=0, arpack_error="; ".join(errors))


def _arpack_done(vals: Any, tol: float, n: int, method: str, how: str, done: Any,
                 **stats: Any) -> LocalStability:
    vals = np.asarray(vals, dtype=complex)
    a = float(np.max(vals.real))
    tol = max(tol, 1e-8)
    what = (f"rightmost eigenvalue real part {a:.4g} of the linearisation (n = {n}, {how}; "
            "a numerical Krylov result, not a proof)")
    if a < -tol:
        return done("stable", what, a, vals, method, pieces=1, **stats)
    if a > tol:
        return done("unstable", what, a, vals, method, pieces=1, **stats)
    return done("undecided", f"{what}: 0 up to round-off", a, vals, method, pieces=1, **stats)
