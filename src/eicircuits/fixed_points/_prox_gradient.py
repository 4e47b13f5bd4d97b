"""Proximal pseudo-gradient iteration for the equilibrium under LDS (docs/theory.md §3).

With ``F(x) = (I − W)x − u`` and ``g`` the separable cost whose prox is the activation, the map

    ``T(x) = prox_{γg}(x − γF(x)) = prox_{γg}((1 − γ)x + γ(Wx + u))``

has the network's equilibria as its fixed points for every ``γ > 0``
(``x = T(x) ⇔ Wx + u ∈ x + ∂g(x) ⇔ x = Φ(Wx + u)``). For diagonal ``P ≻ 0`` let

* ``m`` = the monotonicity modulus of ``F`` in ``‖·‖_P``: the smallest eigenvalue of the
  symmetric part of ``S = P^{1/2}(I − W)P^{−1/2}``, positive exactly when ``P`` certifies that
  ``W − I`` is Lyapunov diagonally stable;
* ``L = ‖I − W‖_P = ‖S‖₂``.

``prox_{γg}`` acts coordinatewise with slope ≤ 1, so it is nonexpansive in every diagonal
weighted norm, and ``‖d − γ(I − W)d‖²_P ≤ (1 − 2γm + γ²L²)‖d‖²_P``: ``T`` contracts in
``‖·‖_P`` with factor ``q = sqrt(1 − 2γm + γ²L²) < 1`` for ``0 < γ < 2m/L²`` (smallest,
``sqrt(1 − m²/L²)``, at ``γ = m/L²``), for any activation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import ValidationError
from ..network import Network
from ._active_set import Outcome

__all__ = ["prox_gradient", "contraction_constants", "prox_map"]

FloatArray = NDArray[np.float64]


def contraction_constants(W: FloatArray, p: FloatArray) -> tuple[float, float]:
    """``(m, L)``: monotonicity modulus and Lipschitz constant of ``I − W`` in ``‖·‖_P``.

    Parameters
    ----------
    W : ndarray, shape (n, n)
        Dense weights.
    p : ndarray, shape (n,)
        Positive diagonal of ``P``.

    Returns
    -------
    (float, float)
        ``m = λ_min(sym(S))`` and ``L = ‖S‖₂`` with ``S = P^{1/2}(I − W)P^{−1/2}``.

    Examples
    --------
    >>> import numpy as np
    >>> contraction_constants(np.array([[-10.0]]), np.array([1.0]))
    (11.0, 11.0)
    """
    d = np.sqrt(np.asarray(p, dtype=float))
    S = d[:, None] * (np.eye(W.shape[0]) - W) / d[None, :]
    m = float(np.linalg.eigvalsh(0.5 * (S + S.T))[0])
    L = float(np.linalg.norm(S, 2))
    return m, L


def prox_map(net: Network, u: FloatArray, gamma: float, x: FloatArray,
             z: FloatArray | None = None) -> FloatArray:
    """``T(x) = prox_{γg}((1 − γ)x + γ z)`` with ``z = Wx + u`` (computed when not given)."""
    if z is None:
        z = net.drive(x, u)
    y = (1.0 - gamma) * x + gamma * z
    out = np.empty_like(y)
    for act, ix in net._groups():
        out[ix] = act.prox(y[ix], gamma)
    return out


def _weights(value: Any, n: int) -> FloatArray:
    try:
        p = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"options['weights']: expected {n} positive numbers, got "
                              f"{value!r}") from exc
    if p.shape != (n,):
        raise ValidationError(f"options['weights']: expected shape ({n},) to match the network, "
                              f"got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p <= 0):
        raise ValidationError("options['weights']: every weight must be finite and > 0 "
                              "(the diagonal of P ≻ 0)")
    return p / float(np.max(p))


def _gamma(value: Any) -> float:
    ok = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
    if not ok or not (math.isfinite(float(value)) and float(value) > 0):
        raise ValidationError(f"options['gamma']: must be a finite number > 0, got {value!r}")
    return float(value)


def _a_priori(q: float, d0: float, C: float, tol: float) -> int:
    """Iterations after which ``C q^k d0 / (1 − q) ≤ tol`` (bounds the ∞-norm residual)."""
    if d0 == 0.0 or C * d0 / (1.0 - q) <= tol:
        return 0
    if q == 0.0:
        return 1
    return max(0, math.ceil(math.log(tol * (1.0 - q) / (C * d0)) / math.log(q)))


def prox_gradient(net: Network, u: FloatArray, x0: FloatArray | None, *, tol: float,
                  max_iter: int, options: dict[str, Any]) -> Outcome:
    """Iterate ``x ← T(x)`` until ``‖x − Φ(Wx + u)‖∞ ≤ tol · max(1, ‖x‖∞)``.

    Options: ``weights`` (positive diagonal of ``P``; default from
    :func:`eicircuits.stability.lds` on ``W − I``) and ``gamma`` (step; default ``m/L²``,
    must be ``< 2m/L²``). Refuses (``converged=False``) when no LDS certificate is found.
    """
    n = net.n
    W = net.dense_W()
    if "gamma" in options:  # validate the cheap option before any certificate work
        gamma_opt: float | None = _gamma(options["gamma"])
    else:
        gamma_opt = None
    if options.get("weights") is not None:
        p = _weights(options["weights"], n)
        m, L = contraction_constants(W, p)
        if not m > 0:
            raise ValidationError(
                f"options['weights']: these weights do not certify that W − I is LDS "
                f"(monotonicity modulus m = {m:.3g} ≤ 0 in ‖·‖_P); omit weights to search for "
                "a certificate"
            )
        source = "user weights"
    else:
        from ..stability import lds

        res = lds(W - np.eye(n), cell_types=net.cell_types)
        if not res.is_lds or res.p is None:
            verdict = "is not LDS" if res.is_lds is False else "could not be certified LDS"
            return Outcome(np.full(n, np.nan), False, 0,
                           f"prox-gradient needs W − I to be Lyapunov diagonally stable for its "
                           f"convergence guarantee, and W − I {verdict} ({res.message}); not "
                           "iterating: use method='auto' (or pass options={'weights': p} "
                           "with a certificate)")
        p = np.asarray(res.p, dtype=float)
        m, L = contraction_constants(W, p)
        if not m > 0:  # pragma: no cover - lds accepts only certificates with a margin
            return Outcome(np.full(n, np.nan), False, 0,
                           f"prox-gradient: the LDS weights give m = {m:.3g} ≤ 0 after rounding; "
                           "use method='auto'")
        source = f"LDS weights ({res.method})"
    g_max = 2.0 * m / (L * L)
    if gamma_opt is None:
        gamma = m / (L * L)
    elif gamma_opt >= g_max:
        raise ValidationError(
            f"options['gamma']: {gamma_opt:.6g} ≥ 2m/L² = {g_max:.6g} (m = {m:.6g}, "
            f"L = {L:.6g} in ‖·‖_P): no contraction guarantee; use gamma < {g_max:.6g} "
            f"(best m/L² = {m / (L * L):.6g})"
        )
    else:
        gamma = gamma_opt
    q = math.sqrt(max(0.0, 1.0 - 2.0 * gamma * m + gamma * gamma * L * L))
    sp = np.sqrt(p)
    x = net.phi(u) if x0 is None else np.array(x0, dtype=float)
    # ‖R(x)‖∞ ≤ (1 + ‖W‖∞)‖x − x*‖∞ ≤ C‖x − x*‖_P, and ‖x_k − x*‖_P ≤ q^k ‖x_1 − x_0‖_P/(1 − q)
    C = (1.0 + float(np.max(np.sum(np.abs(W), axis=1)))) / float(np.min(sp))
    bound: int | None = None
    info = (f"γ = {gamma:.4g}, ‖·‖_P contraction factor q = {q:.6g} (m = {m:.4g}, "
            f"L = {L:.4g}, {source})")
    res_inf = math.inf
    for it in range(max_iter + 1):
        z = net.drive(x, u)
        res_inf = float(np.max(np.abs(x - net.phi(z))))
        if not math.isfinite(res_inf):
            return Outcome(x, False, it, f"prox-gradient: non-finite iterate ({info})")
        if res_inf <= tol * max(1.0, float(np.max(np.abs(x)))):
            b = "" if bound is None else f", a-priori bound {bound}"
            return Outcome(x, True, it,
                           f"prox-gradient converged in {it} iterations{b}; {info}")
        if it == max_iter:
            break
        nxt = prox_map(net, u, gamma, x, z)
        if bound is None:
            d0 = float(np.linalg.norm(sp * (nxt - x)))
            bound = _a_priori(q, d0, C, tol)
        x = nxt
    b = "" if bound is None else f"; the a-priori bound for tol = {tol:.3g} is {bound} iterations"
    return Outcome(x, False, max_iter,
                   f"prox-gradient did not converge within max_iter = {max_iter} iterations "
                   f"(residual {res_inf:.3g}){b}: raise max_iter; {info}")
