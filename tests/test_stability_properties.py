"""Property: random edits to any field of a valid certificate file never yield a certificate
that verifies and states more than the unedited one, and whatever verifies is true.

"True" is checked against an independent floating-point oracle (eigenvalues of the defining
matrices with the stored numbers), "states more" against the claims of the unedited file.
"""

from __future__ import annotations

import copy
import functools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eicircuits import Network
from eicircuits.errors import ValidationError
from eicircuits.stability import Certificate, certify
from eicircuits.stability.certificate import l2_lmi, linf_rate


@functools.lru_cache(maxsize=1)
def _originals() -> dict[str, tuple[Network, dict]]:
    wc = Network(W=[[0.8, -2.0], [2.5, -0.5]], tau=[1.0, 3.0], cell_types="EI")
    small = Network(W=[[0.2, -0.3], [0.4, -0.1]], tau=[1.0, 2.0], cell_types="EI")
    l2 = Network(W=[[0.5, -1.0], [2.0, -0.5]], cell_types="EI")
    W = np.zeros((4, 4))
    W[:2, :2] = [[0.5, -1.0], [1.0, -0.5]]
    W[2:, 2:] = [[0.5, -1.0], [1.0, -0.5]]
    W[2, 0] = 0.8
    casc = Network(W=W, cell_types="EIEI")
    metz = Network(W=[[0.2, 0.5, 0.0], [0.3, 0.1, 0.4], [0.2, 0.0, 0.3]])
    isn = Network(W=[[2.0, -3.0], [3.0, -1.0]], cell_types="EI")
    made = {
        "lds": certify(wc, method="lds"),
        "contraction-linf": certify(small),
        "contraction-l2": certify(l2, method="contraction-l2"),
        "auto-l2": certify(l2),  # ℓ2 contraction carrying the LDS weights it was found with
        "cascade": certify(casc, method="cascade"),
        "metzler": certify(metz, method="metzler"),
        "refusal": certify(isn),
    }
    out = {}
    assert made["auto-l2"].kind == "contraction-l2" and "lds_weights" in made["auto-l2"].data
    for name, cert in made.items():
        assert cert.verify(), name
        out[name] = (cert.network, json.loads(json.dumps(cert.to_dict())))
    return out


def _claims(cert: Certificate) -> dict[str, float]:
    if not cert.certified:
        return {}
    out = {"lds": cert.margin or 0.0}
    if cert.kind == "contraction-linf":
        out["every_tau"] = float(cert.rate)
    if cert.kind == "contraction-l2":
        out["equal_tau"] = float(cert.rate)
        m = cert.data.get("lds_margin")
        out["lds"] = float(m) if isinstance(m, (int, float)) else 0.0
    return out


#: certify claims a margin or rate a hair below the computed one (claimable(): 1e-7 relative,
#: then rounded down to 24 bits); an edit may raise the claim inside that slack and still be
#: true and proved: that is not "more" than the unedited file states.
_SLACK = 1e-6


def _states_more(edited: Certificate, original: Certificate) -> bool:
    ce, co = _claims(edited), _claims(original)
    for key, value in ce.items():
        ref = co.get(key, co.get("every_tau") if key == "equal_tau" else None)
        if ref is None or value > ref * (1 + _SLACK):
            return True
    return False


def _true(cert: Certificate, net: Network) -> bool:
    """Independent float oracle for what a verified certificate claims."""
    if cert.kind == "none":
        V = cert.refutation
        if V is None:
            return True
        A = np.asarray(net.W) - np.eye(net.n)
        V = V / np.max(np.abs(V))  # a tiny V would underflow X = VVᵀ in this oracle
        X = V @ V.T
        X = X / np.trace(X)
        return bool(np.min(np.diag(A @ X)) >= -1e-12)
    if not cert.certified:
        return True
    if cert.kind == "contraction-linf":
        return linf_rate(net, cert.weights) >= cert.rate * (1 - 1e-9)
    if cert.kind == "contraction-l2":
        c = cert.rate * net.tau[0]
        lmi = l2_lmi(np.asarray(net.W), cert.weights, np.asarray(cert.data["q"]), c)
        return bool(net.equal_tau and np.linalg.eigvalsh(lmi)[-1] < 1e-12
                    and np.linalg.eigvalsh(cert.weights)[0] > 0)
    p = cert.weights
    A = np.asarray(net.W) - np.eye(net.n)
    S = p[:, None] * A
    m = -np.linalg.eigvalsh(S + S.T)[-1] / (2 * np.mean(p))
    return bool(np.all(p > 0) and m > 0 and m >= (cert.margin or 0.0) * (1 - 1e-9))


_JUNK = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.lists(st.floats(-10, 10), max_size=5), st.dictionaries(st.text(max_size=3), st.integers(),
                                                              max_size=2),
)


def _scale(value, f):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return value * f
    if isinstance(value, list):
        return [_scale(v, f) for v in value]
    if isinstance(value, dict):
        return {k: _scale(v, f) for k, v in value.items()}
    return value


def _entries(value, path=()):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    if isinstance(value, (int, float)):
        return [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _entries(v, (*path, i))]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _entries(v, (*path, k))]
    return []


def _set(value, path, new):
    if not path:
        return new
    value = copy.copy(value)
    value[path[0]] = _set(value[path[0]], path[1:], new)
    return value


@st.composite
def _edits(draw):
    name = draw(st.sampled_from(sorted(_originals())))
    net, d = _originals()[name]
    d = copy.deepcopy(d)
    field = draw(st.sampled_from(sorted(d)))
    mode = draw(st.sampled_from(["replace", "scale", "entry", "delete", "kind", "flip"]))
    if mode == "replace":
        d[field] = draw(_JUNK)
    elif mode == "scale":
        d[field] = _scale(d[field], draw(st.sampled_from([-1.0, 0.0, 0.5, 1 + 1e-9, 2.0, 1e6])))
    elif mode == "entry":
        paths = _entries(d[field])
        if paths:
            path = draw(st.sampled_from(paths))
            new = draw(st.floats(allow_nan=False, allow_infinity=False, width=64))
            d[field] = _set(d[field], path, new)
    elif mode == "delete":
        del d[field]
    elif mode == "kind":
        d["kind"] = draw(st.sampled_from(["lds", "metzler", "comparison", "contraction-linf",
                                          "contraction-l2", "cascade", "none"]))
    else:
        d["certified"] = not d["certified"]
    return name, net, d


def _check(name, net, d):
    original = Certificate.from_dict(_originals()[name][1], network=net)
    try:
        edited = Certificate.from_dict(json.loads(json.dumps(d)), network=None)
    except ValidationError:
        return
    ver = edited.verify(net)
    if not ver.valid:
        return
    assert _true(edited, net), (name, d)
    if ver.proof:
        assert not _states_more(edited, original), (name, d, ver.message)
    else:
        assert not edited.certified or not ver.proof


@given(_edits())
@settings(max_examples=60, deadline=None, derandomize=True)
def test_random_edits_never_verify_a_stronger_or_false_claim(case):
    _check(*case)


@pytest.mark.slow
@given(_edits())
@settings(max_examples=1500, deadline=None)
def test_random_edits_never_verify_a_stronger_or_false_claim_long(case):
    _check(*case)
