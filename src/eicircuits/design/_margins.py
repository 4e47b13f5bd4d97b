"""``stabilize`` (closed-form coupling scaling into the certified set) and ``robustness``
(certified input Lipschitz bound and Dale-preserving perturbation radius), docs/theory.md §6."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from .._validate import check_vector, describe
from ..errors import ValidationError
from ..network import Network
from ._certificate import dyadic_weights, lds_lambda, make_certificate
from ._result import Design, Robustness

__all__ = ["stabilize", "robustness", "coupling_lambda"]

FloatArray = NDArray[np.float64]

_LDS_KINDS = ("lds", "metzler", "comparison", "cascade")


def _check_net(net: Any, where: str) -> Network:
    if not isinstance(net, Network):
        raise ValidationError(f"{where}: net must be an eicircuits.Network, got {describe(net)}")
    return net


def _weights(net: Network, weights: Any) -> tuple[FloatArray, str]:
    if weights is not None:
        p = check_vector("weights", weights, net.n, scalar=False)
        if np.any(p <= 0):
            i = int(np.flatnonzero(p <= 0)[0])
            raise ValidationError(f"weights: every weight must be > 0; weights[{i}] = {p[i]}")
        return p, "given"
    from ..stability import lds

    A = net.W - (sp.eye_array(net.n, format="csr") if net.is_sparse else np.eye(net.n))
    res = lds(A, cell_types=net.cell_types)
    if res.is_lds:
        return np.asarray(res.p, dtype=float), f"LDS weights ({res.method})"
    return np.ones(net.n), "p = 1 (W − I is not LDS, no better weights known)"


def coupling_lambda(W: Any, p: FloatArray) -> float:
    """``λ_max(N^{-1/2} H N^{-1/2})`` with ``N = 2P(I − diag W)``, ``H = PC + CᵀP``."""
    Wd = W.toarray() if sp.issparse(W) else np.asarray(W, dtype=float)
    d = np.diag(Wd)
    C = Wd - np.diag(d)
    nh = 1.0 / np.sqrt(2.0 * p * (1.0 - d))
    H = p[:, None] * C
    H = H + H.T
    return float(np.linalg.eigvalsh(nh[:, None] * H * nh[None, :])[-1])


def stabilize(net: Network, *, weights: ArrayLike | None = None, eta: float = 0.05) -> Design:
    """Scale the couplings of a Dale network by one factor into the certified set
    (docs/theory.md §6).

    With ``P = diag(p)``, ``W − I = D + C`` (``D`` diagonal, ``C`` the couplings),
    ``N = −2PD ≻ 0`` and ``H = PC + CᵀP``: ``D + sC`` is LDS with the same ``P`` iff
    ``s λ_max(N^{-1/2} H N^{-1/2}) < 1``. The returned network has couplings ``s C`` with
    ``s = min(1, (1 − η) / λ_max)``: same signs, zeros and diagonal; ``s = 1`` (the network
    unchanged) when it is already certified by ``P`` with relative margin ``η``.

    Parameters
    ----------
    net : Network
        Every ``W_ii < 1`` (a self-excitation ``≥ 1`` cannot be cured by scaling couplings).
    weights : array_like, shape (n,), optional
        ``p > 0``; default: LDS weights of ``net`` when it is LDS, else ones.
    eta : float
        Relative margin, ``0 < η < 1``.

    Returns
    -------
    Design
        ``network`` (certified), ``certificate`` (weights ``p``), ``stats["s"]``,
        ``stats["lambda_max"]``; status ``"unchanged"`` or ``"scaled"``.

    Raises
    ------
    ValidationError
        Not a Network, some ``W_ii ≥ 1``, bad ``weights`` or ``eta``.

    Examples
    --------
    >>> from eicircuits import Network
    >>> from eicircuits.design import stabilize
    >>> d = stabilize(Network(W=[[0.5, -3.0], [3.0, 0.0]], cell_types="EI"), weights=[1, 1])
    >>> d.stats["s"], d.status
    (1.0, 'unchanged')
    >>> d = stabilize(Network(W=[[0.5, -1.0], [3.0, 0.0]], cell_types="EI"), weights=[1, 1])
    >>> round(d.stats["s"], 4), round(0.95 / 2 ** 0.5, 4)     # (1 − η) / λ_max, λ_max = √2
    (0.6718, 0.6718)
    >>> d.network.W.tolist()[0][0], bool(d.certificate.verify())
    (0.5, True)
    """
    net = _check_net(net, "stabilize")
    if not (isinstance(eta, (int, float)) and 0 < eta < 1):
        raise ValidationError(f"eta: must be a number with 0 < eta < 1, got {describe(eta)}")
    d = net.diag
    if np.any(d >= 1):
        i = int(np.flatnonzero(d >= 1)[0])
        raise ValidationError(
            f"stabilize: net has W[{i}, {i}] = {d[i]:g} ≥ 1; scaling the couplings cannot make "
            "W − I LDS (every diagonal entry of an LDS matrix is negative); reduce the "
            "self-excitation first")
    p, source = _weights(net, weights)
    lam = coupling_lambda(net.W, p)
    s = 1.0 if lam <= 1.0 - eta else (1.0 - eta) / lam
    if s == 1.0:
        new = net
    else:
        Wd = net.W
        diag = sp.diags_array(d) if net.is_sparse else np.diag(d)
        Wn = s * (Wd - diag) + diag
        new = net.replace(W=Wn)
    cert, ver, lam_lds = make_certificate(new, p, "stabilize (closed-form coupling scaling)")
    stats = {"s": s, "lambda_max": lam, "weights_from": source, "lam": lam_lds}
    if cert is None:
        return Design(False, "not_certified",
                      f"the scaled network did not verify ({ver.message if ver else 'λ ≤ 0'})",
                      stats=stats)
    status = "unchanged" if s == 1.0 else "scaled"
    msg = (f"already certified by these weights (λ_max = {lam:.4g} ≤ 1 − η)" if s == 1.0 else
           f"couplings scaled by s = {s:.6g} = (1 − η)/λ_max, λ_max = {lam:.4g}")
    return Design(True, status, msg, network=new, certificate=cert, residual=0.0,
                  weights=cert.weights, stats=stats)


def robustness(net: Network, certificate: Any = None) -> Robustness:
    """Certified robustness of an LDS network (docs/theory.md §6).

    With ``λ = −λ_max(P(W − I) + (W − I)ᵀP) > 0``:

    * inputs: ``‖x*(u) − x*(u')‖₂ ≤ (2 max p / λ) ‖u − u'‖₂`` for every activation with slopes
      in ``[0, 1]`` (``input_lipschitz``);
    * weights: every perturbation ``Δ`` with ``|Δ_ij| ≤ ρ |W_ij|`` off the diagonal keeps LDS
      with the same ``P`` when ``ρ < λ / ‖P|C| + |C|ᵀP‖₂`` (``relative_radius``; sufficient).

    Parameters
    ----------
    net : Network
    certificate : Certificate, optional
        An LDS-type certificate whose weights are used; default: :func:`eicircuits.stability.lds`.

    Returns
    -------
    Robustness
        ``success=False`` (numbers ``nan``) when no LDS weights are found.

    Examples
    --------
    >>> from eicircuits import Network
    >>> from eicircuits.design import robustness
    >>> round(robustness(Network(W=[[0.75]])).input_lipschitz, 9)
    4.0
    """
    net = _check_net(net, "robustness")
    p: FloatArray | None = None
    source = ""
    if certificate is not None:
        kind = getattr(certificate, "kind", None)
        if kind not in _LDS_KINDS or getattr(certificate, "weights", None) is None:
            raise ValidationError(
                f"certificate: expected an LDS-type certificate (kind in {_LDS_KINDS}) with "
                f"weights p, got kind {kind!r}")
        p = check_vector("certificate.weights", certificate.weights, net.n, scalar=False)
        source = f"certificate ({certificate.method})"
    else:
        from ..stability import lds

        A = net.W - (sp.eye_array(net.n, format="csr") if net.is_sparse else np.eye(net.n))
        res = lds(A, cell_types=net.cell_types)
        if not res.is_lds:
            return Robustness(False, "not_lds",
                              f"no LDS weights: {res.message}; no certified bound")
        p = np.asarray(res.p, dtype=float)
        source = f"lds ({res.method})"
    p = dyadic_weights(p)
    lam = lds_lambda(net.W, p)
    if not lam > 0:
        return Robustness(False, "not_lds",
                          f"the weights do not certify W − I (λ = {lam:.3g} ≤ 0)", weights=p)
    Wd = net.dense_W()
    absC = np.abs(Wd - np.diag(np.diag(Wd)))
    G = p[:, None] * absC
    g = float(np.linalg.norm(G + G.T, 2))
    rho = lam / g if g > 0 else math.inf
    lip = 2.0 * float(np.max(p)) / lam
    margin = lam / (2.0 * float(np.mean(p)))
    msg = (f"‖x*(u) − x*(u')‖₂ ≤ {lip:.4g} ‖u − u'‖₂; relative coupling perturbations below "
           f"{rho:.4g} keep LDS (weights from {source})")
    return Robustness(True, "certified", msg, input_lipschitz=lip, relative_radius=rho,
                      margin=margin, lam=lam, weights=p, stats={"weights_from": source})
