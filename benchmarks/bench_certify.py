"""Benchmarks for stability certificates (issue 4): time to a verified certificate.

Run by hand::

    .venv/bin/python benchmarks/bench_certify.py            # everything (several minutes)
    .venv/bin/python benchmarks/bench_certify.py --quick    # smaller sizes, for a smoke test

Tables:

1. SDP solvers through cvxpy on the LDS program (n = 50, 100): time and ratio to CVXOPT.
2. LDS certificates for dense random E–I networks, n = 50 … 1000 (``certify(method="lds")``:
   SDP up to n = 80, first-order ascent above), each re-verified; baseline: the SDP with
   CVXOPT where it is affordable; ratio of the ascent's optimised margin to the SDP optimum,
   and of the two-constant E/I scaling to the optimum.
3. A sparse E–I network with n = 10⁴.
4. Metzler and comparison (H-matrix) certificates for sparse n = 10⁵ with 10⁷ synapses;
   baseline: 10 sparse matrix–vector products.
5. A 10-layer column of 200-neuron layers certified by composition; baseline: the ascent on
   the whole network.
6. ``time_limit`` on a 5000-neuron inhibition-stabilised network (wall time against the limit).
7. ``verify`` on crafted certificate files (the work a file can demand is capped).

Every certificate is re-verified with ``Certificate.verify()`` and the table says how.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp

from eicircuits import Network
from eicircuits.stability import certify, lds
from eicircuits.stability._lds import _ei_start, _sym_dense, lds_margin


def random_ei(n, rng, *, a=0.6, b=3.0, c=3.0, d=0.5, density=0.8, frac_e=0.8):
    """Dense random E–I network: LDS for these gains, but not by the ℓ∞/comparison test."""
    n_e = round(frac_e * n)
    n_i = n - n_e
    mask = rng.random((n, n)) < density
    W = rng.uniform(0.5, 1.5, (n, n)) * mask
    W[:n_e, :n_e] *= a / (n_e * density)
    W[n_e:, :n_e] *= b / (n_e * density)
    W[:n_e, n_e:] *= -c / (n_i * density)
    W[n_e:, n_e:] *= -d / (n_i * density)
    return W, "E" * n_e + "I" * n_i


def sparse_ei(n, rng, *, k=50, a=0.3, b=2.0, frac_e=0.8, signed=True):
    """Sparse E–I (or, ``signed=False``, all-excitatory) network with k synapses per neuron."""
    n_e = int(frac_e * n) if signed else n
    types = np.array(["E"] * n_e + ["I"] * (n - n_e))
    rows = np.repeat(np.arange(n), k)
    cols = rng.integers(0, n, n * k)
    vals = rng.uniform(0.5, 1.5, n * k)
    is_e = types[cols] == "E"
    if signed:
        vals = np.where(is_e, vals * a / (k * frac_e), -vals * b / (k * (1 - frac_e)))
    else:
        vals = vals * a / k
    W = sp.csr_array((vals, (rows, cols)), shape=(n, n))
    W.sum_duplicates()
    return W, "".join(types)


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0


def row(*cells, widths=(34, 12, 12, 12, 12, 40)):
    print("  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=False)))


def header(title, *cols):
    print(f"\n## {title}")
    row(*cols)
    row(*("-" * 10 for _ in cols))


def sdp_solvers(sizes, clarabel_max):
    import cvxpy as cp

    from eicircuits.stability._lds import _lds_sdp

    header("1. SDP solver for the LDS program (cvxpy)", "case", "time s", "ratio", "margin",
           "status", "note")
    rng = np.random.default_rng(1)
    for n in sizes:
        W, _ = random_ei(n, rng)
        A = W - np.eye(n)
        base = None
        for solver in ("CVXOPT", "SCS", "CLARABEL"):
            if solver == "CLARABEL" and n > clarabel_max:
                row(f"n={n} {solver}", "skipped", "", "", "", f"(--clarabel-max {clarabel_max})")
                continue
            if solver not in cp.installed_solvers():
                row(f"n={n} {solver}", "n/a", "", "", "", "not installed")
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    res, dt = timed(_lds_sdp, A, solver)
            except Exception as exc:
                row(f"n={n} {solver}", "failed", "", "", "", str(exc)[:60])
                continue
            base = base or dt
            row(f"n={n} {solver}", f"{dt:.2f}", f"{dt / base:.2f}",
                f"{res.margin:.4g}" if res.margin else "-", str(res.is_lds), res.method)


def lds_scaling(sizes, sdp_max):
    header("2. LDS certificate, dense random E–I (certify(method='lds'))", "case", "time s",
           "verify s", "margin", "vs optimum", "verification")
    rng = np.random.default_rng(2)
    for n in sizes:
        W, types = random_ei(n, rng)
        net = Network(W=W, cell_types=types)
        cert, dt = timed(certify, net, method="lds")
        ver, dv = timed(cert.verify)
        A = W - np.eye(n)
        ref = ""
        if n <= sdp_max:
            opt, dsdp = timed(lds, A, method="sdp", solver="CVXOPT")
            ref = f"{cert.margin / opt.margin:.3f}"
            row(f"n={n} SDP baseline (CVXOPT)", f"{dsdp:.2f}", "", f"{opt.margin:.4g}", "1.000",
                "")
        row(f"n={n} certify ({cert.method})", f"{dt:.2f}", f"{dv:.2f}",
            f"{cert.margin:.4g}" if cert.certified else "none", ref,
            f"{'valid' if ver else 'INVALID'}: {ver.method}{' (exact)' if ver.exact else ''}")
        if n <= 400:
            best, db = timed(lds, A, method="ascent", optimize=True, cell_types=types)
            opt_margin = best.margin
            row(f"n={n} ascent, optimised", f"{db:.2f}", "", f"{best.margin:.4g}",
                f"{best.margin / opt.margin:.4f}" if n <= sdp_max else "", "")
            As = A
            p0 = _ei_start(As, As.T, np.array([t == "E" for t in types]), True)
            m0 = lds_margin(A, p0 / p0.max())
            row(f"n={n} two-constant E/I scaling", "", "", f"{m0:.4g}",
                f"{m0 / opt_margin:.4f} of optimised", "")
        _ = _sym_dense


def sparse_lds(n):
    header(f"3. LDS certificate, sparse E–I n = {n}", "case", "time s", "verify s", "margin",
           "synapses", "verification")
    rng = np.random.default_rng(3)
    W, types = sparse_ei(n, rng)
    net = Network(W=W, cell_types=types)
    cert, dt = timed(certify, net)
    ver, dv = timed(cert.verify)
    row(f"n={n} certify ({cert.kind}, {cert.method})", f"{dt:.2f}", f"{dv:.2f}",
        f"{cert.margin:.4g}" if cert.margin else "-", W.nnz,
        f"{ver.status}: {ver.method}")


def huge_sparse(n, k):
    header(f"4. Metzler / comparison certificates, sparse n = {n}, {n * k:.0e} synapses",
           "case", "time s", "verify s", "ratio", "margin/rate", "verification")
    rng = np.random.default_rng(4)
    (Wm, tm), dt_build = timed(sparse_ei, n, rng, k=k, a=0.6, signed=False)
    (Ws, ts), _dt_build2 = timed(sparse_ei, n, rng, k=k, a=0.2, b=0.4)
    x = np.ones(n)
    _, dmv = timed(lambda: [Ws @ x for _ in range(10)])
    row("baseline: 10 matvecs", f"{dmv:.2f}", "", "1.0", "", f"(build {dt_build:.1f} s)")
    net_m = Network(W=Wm, cell_types=tm)
    net_s = Network(W=Ws, cell_types=ts)
    for label, net, method in (("excitatory, metzler", net_m, "metzler"),
                               ("E–I, comparison", net_s, "comparison"),
                               ("E–I, contraction-linf", net_s, "contraction-linf")):
        cert, dt = timed(certify, net, method=method)
        ver, dv = timed(cert.verify)
        val = cert.rate if cert.rate is not None else cert.margin
        row(f"{label}", f"{dt:.2f}", f"{dv:.2f}", f"{dt / dmv:.1f}",
            f"{val:.4g}" if val is not None else "-",
            f"{'valid' if ver else 'INVALID'}: {ver.method}" if cert.certified else
            cert.statement[:40])


def column(layers, size, rng_seed=5, f=0.5, baseline=True):
    header(f"5. Column of {layers} layers × {size} neurons by composition", "case", "time s",
           "verify s", "ratio", "blocks", "verification")
    rng = np.random.default_rng(rng_seed)
    n = layers * size
    W = sp.lil_array((n, n))
    types = ""
    n_e = round(0.8 * size)
    for ell in range(layers):
        Wl, tl = random_ei(size, rng)
        s = ell * size
        W[s:s + size, s:s + size] = Wl
        types += tl
        if ell:
            for i in range(n_e):
                W[s + i, s - size + i] = f
    W = W.tocsr()
    net = Network(W=W, cell_types=types)
    cert, dt = timed(certify, net, method="cascade")
    ver, dv = timed(cert.verify)
    base = None
    if baseline:
        whole, base = timed(certify, net, method="ascent", time_limit=120.0)
        row("baseline: ascent on the whole network", f"{base:.2f}", "", "1.0", 1,
            "certified" if whole.certified else "not certified")
    row("cascade composition", f"{dt:.2f}", f"{dv:.2f}", f"{dt / base:.2f}" if base else "",
        len(cert.data.get("blocks", [])),
        f"{'valid' if ver else 'INVALID'}: {ver.method}; ε = {cert.data.get('eps')}")


def isn(n, rng, k=20, gain=1.6):
    """Sparse E–I network with E→E gain ``gain`` (> 1: inhibition-stabilised, refuted by its
    excitatory subnetwork) and strong E→I→E feedback (not ℓ∞-contracting, so for gain < 1
    ``certify`` runs the LDS ascent); k synapses per neuron."""
    ne = int(0.8 * n)
    rows = np.repeat(np.arange(n), k)
    cols = np.concatenate([rng.choice(n, size=k, replace=False) for _ in range(n)])
    keep = rows != cols
    rows, cols = rows[keep], cols[keep]
    vals = np.where(cols < ne, gain / (0.8 * k), -6.0 / (0.2 * k))
    W = sp.csr_array((vals, (rows, cols)), shape=(n, n))
    return Network(W=W, cell_types="E" * ne + "I" * (n - ne))


def time_limits(n, limits):
    header(f"6. time_limit honoured: sparse E–I networks, n = {n}", "case", "time s",
           "verify s", "limit s", "status", "verification")
    for gain, label in ((1.6, "ISN (E gain 1.6)"), (0.9, "E gain 0.9")):
        net = isn(n, np.random.default_rng(1), gain=gain)
        for tl in limits:
            cert, dt = timed(certify, net, time_limit=tl)
            ver, dv = timed(cert.verify)
            row(f"{label}, time_limit={tl:g}", f"{dt:.1f}", f"{dv:.1f}", f"{tl:g}",
                cert.status, f"{ver.status}: {ver.method}")


def verify_caps():
    """Crafted certificate files: the work they can demand is capped before it starts."""
    from eicircuits.stability import Certificate
    from eicircuits.stability.certificate import tau_fingerprint

    header("7. verify on crafted files (caps)", "case", "verify s", "", "", "valid",
           "method")
    rng = np.random.default_rng(3)

    def cert_for(net, kind, certified=True, **kw):
        return Certificate(certified, kind, n=net.n, fingerprint=net.fingerprint(),
                           tau_hash=tau_fingerprint(net.tau), network=net, **kw)

    n = 60
    net = Network(W=-0.5 * np.eye(n) + 0.01 * rng.standard_normal((n, n)))
    p = np.ldexp(1.0, rng.integers(-1000, 1000, n)).astype(float)
    cases = [("n=60, weights 2^±1000 (exact would need 2000-bit integers)",
              cert_for(net, "lds", weights=p))]
    m = 3000
    net2 = Network(W=sp.diags_array(np.full(m, 0.5), format="csr"))
    data = {"blocks": [[i] for i in range(m)], "levels": [0] * m, "eps": 0.25,
            "block_margins": [0.5] * m}
    cases.append((f"cascade, one block per neuron (n = {m})",
                  cert_for(net2, "cascade", weights=np.ones(m), data=data)))
    net3 = Network(W=np.zeros((100, 100)))
    cases.append(("refutation V = 1e-170·1 of W − I = −I (n = 100)",
                  cert_for(net3, "none", certified=False, refutation=np.full((100, 1), 1e-170))))
    for label, c in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ver, dv = timed(c.verify)
        row(label, f"{dv:.2f}", "", "", "valid" if ver else "invalid", ver.method)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke test)")
    ap.add_argument("--clarabel-max", type=int, default=50,
                    help="largest n for Clarabel (it needed 130 s at n = 100)")
    ap.add_argument("--only", default="1234567", help="which tables to run, e.g. 245")
    args = ap.parse_args(argv)
    q = args.quick
    print(f"# bench_certify ({'quick' if q else 'full'}); numpy {np.__version__}")
    if "1" in args.only:
        sdp_solvers([30] if q else [50, 100], args.clarabel_max)
    if "2" in args.only:
        lds_scaling([50, 100] if q else [50, 100, 200, 400, 1000], sdp_max=100)
    if "3" in args.only:
        sparse_lds(2000 if q else 10_000)
    if "4" in args.only:
        huge_sparse(10_000 if q else 100_000, 100)
    if "5" in args.only:
        column(3 if q else 10, 200, baseline=not q)
    if "6" in args.only:
        time_limits(1500 if q else 5000, [5.0] if q else [10.0, 60.0])
    if "7" in args.only:
        verify_caps()
    return 0


if __name__ == "__main__":
    sys.exit(main())
