"""``eicircuits certify SPEC [--out cert.json] [--method M]`` and ``eicircuits verify CERT [SPEC]``.

``certify`` prints the certificate (or the reason none exists) and its independent
verification; exit status 0 when certified, 1 when not; ``--time-limit`` bounds the search and
progress lines go to stderr for large networks. ``verify`` re-checks a saved certificate
against the network of a specification and leads with the verdict (``VALID`` / ``INVALID``)
before what the file claims; exit status 0 when valid (a proof), 1 when not, 2 for a malformed
file.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from . import _common

__all__ = ["register"]


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``certify`` and ``verify`` subcommands."""
    from ..stability import METHODS

    p = subparsers.add_parser(
        "certify",
        help="prove stability (or refute LDS) and save a re-checkable certificate",
        description="Certify the stability of a circuit (docs/theory.md §3). Exit status 0 when "
                    "certified, 1 when not (the statement says why).",
    )
    p.add_argument("spec", nargs="?", default=None,
                   help="circuit specification (TOML); default: the built-in circuit")
    p.add_argument("--out", metavar="CERT_JSON", default=None,
                   help="write the certificate as JSON")
    p.add_argument("--method", default="auto", choices=["auto", *sorted(METHODS)],
                   help="strategy (default: auto, cheapest sufficient test first)")
    p.add_argument("--solver", default=None, help="cvxpy solver for SDP methods")
    p.add_argument("--json", action="store_true", help="print the certificate as JSON")
    p.add_argument("--time-limit", type=float, default=None, metavar="SECONDS",
                   help="stop the search after this many seconds with what it has (the final "
                        "verification is not interrupted)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress lines on stderr (printed for n ≥ 1000 by default)")
    _common.add_force_argument(p)  # --out is refused when it exists, unless --force
    p.set_defaults(func=_certify)

    v = subparsers.add_parser(
        "verify",
        help="re-check a saved certificate against a circuit, independently of any solver",
        description="Verify a certificate JSON against the network of SPEC (default: the "
                    "built-in circuit, whose certificate `eicircuits certify --out` writes "
                    "without a SPEC). Exit status 0 when valid, 1 when not.",
    )
    v.add_argument("cert", help="certificate JSON written by `eicircuits certify --out`")
    v.add_argument("spec", nargs="?", default=None,
                   help="circuit specification (TOML) the certificate is about; default: the "
                        "built-in circuit (as for certify)")
    v.set_defaults(func=_verify)
    return p


def _certify(args: argparse.Namespace) -> int:
    import time

    from ..errors import ValidationError
    from ..spec import load_spec
    from ..stability import certify

    if args.time_limit is not None and not args.time_limit > 0:
        raise ValidationError(f"--time-limit: expected a positive number of seconds, "
                              f"got {args.time_limit}")
    if args.out:  # checked before any computation: writable, not overwritten silently
        _common.check_out_file(args.out, args)
    net = load_spec(args.spec)
    t0 = time.perf_counter()
    progress = None
    if not args.quiet and net.n >= 1000:
        def progress(line: str) -> None:
            print(line, file=sys.stderr, flush=True)

    cert = certify(net, method=args.method, solver=args.solver, time_limit=args.time_limit,
                   progress=progress)
    if progress is not None:
        progress(f"certify: verifying the result independently "
                 f"({time.perf_counter() - t0:.1f} s elapsed)")
    ver = cert.verify()
    if args.json:
        d = cert.to_dict()
        d["verification"] = {"valid": ver.valid, "exact": ver.exact, "proof": ver.proof,
                             "status": ver.status, "message": ver.message}
        print(json.dumps(d, indent=1))
    else:
        print(str(cert))
        print(f"verification: {_verdict(ver)} ({ver.method}) — {ver.message}")
        print(f"time: {cert.stats.get('seconds', 0.0):.2f} s to certify, "
              f"{ver.stats.get('seconds', 0.0):.2f} s to verify")
    if args.out:
        cert.save(args.out)
        print(f"certificate written to {args.out}", file=sys.stderr)
    return 0 if cert.certified and ver else 1


def _verdict(ver: object) -> str:
    return {"valid": "valid", "numerical_evidence": "numerical evidence only (not a proof)",
            "nothing_to_verify": "nothing to verify"}.get(getattr(ver, "status", ""), "FAILED")


def _verify(args: argparse.Namespace) -> int:
    from ..spec import load_spec
    from ..stability import Certificate

    cert = Certificate.load(args.cert)
    net = load_spec(args.spec)
    ver = cert.verify(net)
    if ver.valid and ver.proof:
        print(f"VALID ({ver.method}{', exact' if ver.exact else ''}): {ver.statement}")
    elif ver.valid:
        print(f"NOT A PROOF ({ver.method}): {ver.statement}")
    elif ver.status == "nothing_to_verify":
        print(f"NOTHING TO VERIFY: {ver.message}")
    else:
        print(f"INVALID ({ver.method}): {ver.message}")
    head = {"certified": "certified", "refuted": "refusal with a refutation",
            "numerical_evidence": "numerical evidence",
            "inconclusive": "inconclusive refusal"}[cert.status]
    print(f"the file claims ({head}, {cert.kind}): {cert.statement}")
    print(f"check: {ver.message} ({ver.stats.get('seconds', 0.0):.2f} s)")
    return 0 if ver.valid and ver.proof else 1
