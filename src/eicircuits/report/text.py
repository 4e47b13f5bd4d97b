"""Plain-text and Markdown renderings of an analysis and of its parts.

Each ``*_text`` function takes one result and returns the lines a scientist reads; numbers
below their stated tolerance print as 0, and every technical quantity comes with a one-line
plain reading.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._report import Section

__all__ = [
    "network_text",
    "equilibrium_text",
    "stability_text",
    "game_text",
    "contrast_text",
    "trajectory_text",
    "sections",
    "render_text",
    "render_markdown",
    "MAX_ROWS",
]

#: Rows printed in the game's neuron table (the JSON always holds every neuron).
MAX_ROWS = 60


def _fmt(v: Any, tol: float | None = None) -> str:
    """A number for a table: strings (``"inf"``) as they are, values below ``tol`` as 0."""
    if isinstance(v, str) or v is None:
        return str(v)
    v = float(v)
    if tol is not None and abs(v) <= tol:
        return "0"
    return f"{v:.6g}"


def network_text(s: Any) -> str:
    """Size, cell types, activation and time constants (a :class:`NetworkSummary`)."""
    act = s.activation
    if isinstance(act, dict):
        params = ", ".join(f"{k}={v}" for k, v in act.items() if k != "name")
        act = f"{act['name']}({params})" if params else str(act["name"])
    tau = (f"{s.tau_min:g} (all equal)" if s.tau_min == s.tau_max
           else f"{s.tau_min:g} … {s.tau_max:g}")
    return (f"source: {s.source}\n"
            f"neurons: {s.n} ({s.n_e} E, {s.n_i} I), synapses: {s.synapses}\n"
            f"activation: {act}\n"
            f"time constants τ: {tau}")


def _proved(cert: Any, ver: Any) -> bool:
    """Whether ``cert`` certifies global stability and ``ver`` re-verified it as a proof."""
    return (cert is not None and ver is not None and bool(getattr(cert, "certified", False))
            and bool(ver.valid) and bool(getattr(ver, "proof", False)))


_KRYLOV = "a numerical Krylov result, not a proof"


def equilibrium_text(eq: Any, net: Any, cert: Any = None, ver: Any = None) -> str:
    """Method, residual, active set (by type), stability and, for small networks, the rates.

    With a certificate ``cert`` whose verification ``ver`` is a proof, the stability line says
    that the certificate proves it (a numerical eigenvalue verdict is then not the last word).
    """
    n_active = int(np.asarray(eq.active).size)
    lines = [
        f"method      {eq.method} ({eq.iterations} iterations)",
        f"converged   {'yes' if eq.converged else 'NO'}",
        f"residual    {eq.residual:.3g}  (‖x − Φ(Wx + u)‖∞)",
        f"active      {n_active} of {net.n} neurons",
    ]
    if net.cell_types is not None and n_active:
        is_e = np.isin(eq.active, net.e_idx)
        lines[-1] += f" ({int(is_e.sum())} E, {int((~is_e).sum())} I)"
    x = np.asarray(eq.x, dtype=float)
    if np.all(np.isfinite(x)) and net.cell_types is not None:
        parts = [f"{kind} {float(np.mean(x[idx])):.4g}" for kind, idx in
                 (("E", net.e_idx), ("I", net.i_idx)) if idx.size]
        lines.append("mean rate   " + ", ".join(parts))
    if net.n <= 12 and np.all(np.isfinite(x)):
        lines.append("rates       " + ", ".join(f"{nm}={v:.4g}"
                                                for nm, v in zip(net.names, x, strict=True)))
    eig = getattr(eq, "eigenvalues", None)
    stable = getattr(eq, "stable", None)
    verdict = {True: "locally stable", False: "UNSTABLE", None: "undecided"}[stable]
    if eig is not None and len(eig):
        lead = complex(np.asarray(eig)[0])
        lines.append(f"stability   {verdict}; leading eigenvalue {lead.real:.4g}"
                     f"{lead.imag:+.4g}i (rate Jacobian, these τ)")
    else:
        lines.append(f"stability   {verdict}")
    note = str(eq.message)
    if _proved(cert, ver):
        lines[-1] += "; proved by the certificate below"
        note = note.replace(_KRYLOV, "a numerical Krylov result; the certificate below "
                                     "proves global stability")
    lines.append(f"note        {note}")
    return "\n".join(lines)


def stability_text(cert: Any, ver: Any) -> str:
    """The certificate's headline and its independent verification, verdict first."""
    if ver is None:
        return str(cert)
    if not ver.valid:
        return (f"INVALID: the certificate did not verify — {ver.message}\n"
                f"(what it claimed, not proved: {cert})")
    return f"{cert}\nverification: valid — {ver.message}"


def game_text(s: Any, *, n: int | None = None) -> str:
    """The neuron table, the Nash verdict, the potential and the zero-sum share, with readings.

    Regrets at or below the tolerance print as 0 (the JSON keeps the computed values).
    """
    if not s.evaluated:
        return s.message
    tol = s.tolerance
    head = (f"{'neuron':>10} {'type':>4} {'rate':>12} {'energy':>12} {'best resp.':>12} "
            f"{'regret':>10}")
    lines = [head, "-" * len(head)]
    for row in s.neurons[:MAX_ROWS]:
        lines.append(
            f"{row['neuron'][:10]:>10} {row['type']:>4} {_fmt(row['rate']):>12} "
            f"{_fmt(row['energy']):>12} {_fmt(row['best_response']):>12} "
            f"{_fmt(row['regret'], tol):>10}"
        )
    total = len(s.neurons) if n is None else n
    if total > MAX_ROWS:
        lines.append(f"… {total - MAX_ROWS} more neurons (all are in the JSON output)")
    lines.append(f"(regret: how much a neuron would lower its own energy by changing its rate "
                 f"alone; values ≤ {tol:g} are shown as 0)")
    verdict = "a Nash equilibrium" if s.is_nash else "NOT a Nash equilibrium"
    lines.append("")
    lines.append(f"Nash gap (sum of regrets): {_fmt(s.nash_gap, tol * max(1, total))} -> this "
                 f"state is {verdict} (tolerance {tol:g} per neuron).")
    if s.concave_players:
        names = ", ".join(s.concave_players[:10])
        more = " …" if len(s.concave_players) > 10 else ""
        lines.append(f"Concave players (W_ii > 1, energy concave in their own rate): "
                     f"{names}{more}; an equilibrium is only a stationary point for them.")
    pot = s.potential
    label = {"exact": "an exact potential", "weighted": "a weighted potential"}
    has = pot["exists"] and pot["kind"]
    lines.append(f"Potential: {'yes, ' + label[pot['kind']] if has else 'none'} -- "
                 f"{pot['reason']}.")
    lines.append("  In plain terms: " + (
        "the neurons jointly minimise one energy, so the dynamics run downhill on it."
        if has else "no single energy is minimised by all neurons together; each minimises "
        "its own."))
    dec = s.decomposition
    if dec is not None:
        share = dec["skew_fraction"]
        lines.append(f"Zero-sum share ‖skew‖/‖P(I − W)‖ = {share:.3g}; saddle function: "
                     f"{dec['reason']}.")
        lines.append(
            f"  In plain terms: about {100 * share:.0f} % of the coupling is a tug-of-war in "
            "which one neuron's gain is another's loss (0 % would be a shared energy, 100 % a "
            "pure zero-sum game); "
            + ("the E neurons descend and the I neurons ascend one common function, so "
               "inhibition acts as a price on excitation (a min–max game)."
               if dec["saddle_exact"] else
               "the dynamics are not E neurons descending and I neurons ascending one common "
               "function (the gradient identity that would show it does not hold)."))
    return "\n".join(lines)


def contrast_text(s: Any) -> str:
    """Contrast per layer, active E neurons, the winner and (for an E–I pair) the regime."""
    from ..circuits.analysis import wilson_cowan_text

    if not s.evaluated:
        return s.message
    lines = []
    layered = getattr(s, "layered", True)
    if layered and (s.input_contrast is not None or s.layers > 1):
        c_in = s.input_contrast
        lines.append(f"input contrast (first-layer E inputs): "
                     f"{'undefined' if c_in is None else f'{c_in:.4g}'}")
    for ell, (c, k, idx) in enumerate(zip(s.contrast, s.active, s.layer_neurons, strict=True)):
        label = (f"layer {ell}: contrast" if s.layers > 1 else
                 "E neurons: contrast" if layered else "contrast across E neurons:")
        shown = "undefined (all silent)" if c is None else f"{c:.4g}"
        lines.append(f"{label} {shown}, {k} of {len(idx)} E neurons active")
    lines.append(f"single winner: {s.winner or 'none'}")
    if s.contrast_gain is not None and layered:
        lines.append(f"contrast gain (output/input): {s.contrast_gain:.4g}")
    lines.append("  (contrast (max − min)/(max + min) of the E rates: 0 = all equal, 1 = only "
                 "some active)")
    wc = s.wilson_cowan
    if wc is not None:
        lines.append(wilson_cowan_text(wc))
    return "\n".join(lines)


def trajectory_text(s: Any, response: Any = None) -> str:
    """The run from rest: how it ended and how far from the equilibrium (and the response)."""
    dist = s.distance_to_equilibrium
    where = ("" if not np.isfinite(dist) else
             f"; at t = {s.t_end:g} it is {dist:.2e} from the equilibrium")
    if response is not None and s.trajectory is not None:
        d2 = float(np.max(np.abs(np.asarray(s.trajectory.x[-1]) - np.asarray(response.x))))
        where += f" found by the solver and {d2:.2e} from the response from rest"
    return f"Trajectory from rest: {s.status}{where}.\n{s.message}"


def sections(a: Any) -> list[Section]:
    """The report's sections, keyed by snake_case names in their ``data``."""
    net = a.network
    out = [Section("Network", network_text(a.summary), {"key": "network"}),
           Section("Equilibrium", equilibrium_text(a.equilibrium, net, a.certificate,
                                                   a.verification), {"key": "equilibrium"})]
    if getattr(a, "response", None) is not None:
        out.append(Section("Response from rest (the equilibrium above is unstable)",
                           equilibrium_text(a.response, net), {"key": "response"}))
    if a.certificate is not None:
        out.append(Section("Stability", stability_text(a.certificate, a.verification),
                           {"key": "stability"}))
    if a.game is not None:
        out.append(Section("The game", game_text(a.game, n=net.n), {"key": "game"}))
    if a.contrast is not None:
        out.append(Section("Contrast", contrast_text(a.contrast), {"key": "contrast"}))
    if a.trajectory is not None:
        out.append(Section("Trajectory", trajectory_text(a.trajectory, a.response),
                           {"key": "trajectory"}))
    return out


def render_text(a: Any) -> str:
    """The whole analysis as plain text (what ``eicircuits analyze`` prints and saves)."""
    body = "\n".join(s.render() for s in sections(a))
    if not a.success:
        return body + f"\nWARNING: {a.message}\n"
    if a.message != "every part completed":
        return body + f"\nNote: {a.message}\n"
    return body


def _summary_rows(a: Any) -> list[tuple[str, str]]:
    eq = a.equilibrium
    rows = [("neurons", f"{a.summary.n} ({a.summary.n_e} E, {a.summary.n_i} I)"),
            ("equilibrium", f"{'converged' if eq.converged else 'NOT converged'} ({eq.method}), "
                            f"residual {eq.residual:.2g}"),
            ("active neurons", str(int(np.asarray(eq.active).size))),
            ("local stability", {True: "stable", False: "unstable", None: "undecided"}[
                getattr(eq, "stable", None)])]
    if a.certificate is not None:
        cert, ver = a.certificate, a.verification
        verdict = f"{cert.kind}, " + ("certified" if cert.certified else "not certified")
        if ver is not None:
            verdict += "; verified" if ver.valid else "; verification FAILED"
        rows.append(("stability certificate", verdict))
    if a.game is not None and a.game.evaluated:
        rows.append(("Nash equilibrium", "yes" if a.game.is_nash else "no"))
    if a.contrast is not None and a.contrast.evaluated:
        if a.contrast.contrast_gain is not None and getattr(a.contrast, "layered", True):
            rows.append(("contrast gain", f"{a.contrast.contrast_gain:.4g}"))
        rows.append(("single winner", a.contrast.winner or "none"))
    if a.trajectory is not None:
        rows.append(("run from rest", f"{a.trajectory.status}, "
                     f"{a.trajectory.distance_to_equilibrium:.2g} from the equilibrium"))
    total = sum(v for v in a.stats.values() if isinstance(v, float))
    rows.append(("time", f"{total:.2f} s"))
    return rows


def render_markdown(a: Any, *, figure: str | None = None) -> str:
    """The analysis as Markdown: sections as headings, text as code blocks, the figure linked."""
    lines = [f"# Analysis of {a.summary.source}", ""]
    if not a.success:
        lines += [f"**Warning:** {a.message}", ""]
    if figure:
        lines += [f"![what the circuit does]({figure})", ""]
    lines += ["| quantity | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in _summary_rows(a)]
    lines += ["", "Every number is in `report.json`. The network (W, u, τ, cell types, "
              "activation), the equilibrium, the certificate and the run from rest are in "
              "`analyze.nc`; `eicircuits.report.read_network` rebuilds the network from it.", ""]
    for s in sections(a):
        lines += [f"## {s.title}", "", "```text", s.text.rstrip(), "```", ""]
    return "\n".join(lines)
