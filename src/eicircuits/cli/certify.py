"""``eicircuits certify SPEC [--out cert.json] [--method M]`` and ``eicircuits verify CERT SPEC``.

``certify`` prints the certificate (or the reason none exists) and its independent
verification; exit status 0 when certified, 1 when not. ``verify`` re-checks a saved
certificate against the network of a specification; exit status 0 when valid, 1 when not.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``certify`` and ``verify`` subcommands."""
    from ..stability import METHODS

    p = subparsers.add_parser(
        "certify",
        help="prove stability (or refute LDS) and save a re-checkable certificate",
        description="Certify the stability of a circuit (THEORY §3). Exit status 0 when "
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
    p.set_defaults(func=_certify)

    v = subparsers.add_parser(
        "verify",
        help="re-check a saved certificate against a circuit, independently of any solver",
        description="Verify a certificate JSON against the network of SPEC. Exit status 0 "
                    "when valid, 1 when not.",
    )
    v.add_argument("cert", help="certificate JSON written by `eicircuits certify --out`")
    v.add_argument("spec", help="circuit specification (TOML) the certificate is about")
    v.set_defaults(func=_verify)
    return p


def _certify(args: argparse.Namespace) -> int:
    from ..spec import load_spec
    from ..stability import certify

    net = load_spec(args.spec)
    cert = certify(net, method=args.method, solver=args.solver)
    ver = cert.verify()
    if args.json:
        d = cert.to_dict()
        d["verification"] = {"valid": ver.valid, "exact": ver.exact, "message": ver.message}
        print(json.dumps(d, indent=1))
    else:
        print(str(cert))
        print(f"verification: {'valid' if ver else 'FAILED'} ({ver.method}) — {ver.message}")
    if args.out:
        cert.save(args.out)
        print(f"certificate written to {args.out}", file=sys.stderr)
    return 0 if cert.certified and ver else 1


def _verify(args: argparse.Namespace) -> int:
    from ..spec import load_spec
    from ..stability import Certificate

    cert = Certificate.load(args.cert)
    net = load_spec(args.spec)
    ver = cert.verify(net)
    head = "CERTIFIED" if cert.certified else "NOT CERTIFIED (refusal)"
    print(f"{head} ({cert.kind}): {cert.statement}")
    print(f"verification: {'valid' if ver else 'INVALID'} ({ver.method}"
          f"{', exact' if ver.exact else ''}) — {ver.message}")
    return 0 if ver else 1
