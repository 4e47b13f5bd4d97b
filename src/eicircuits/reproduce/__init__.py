"""Regenerate every figure of the reproduction and a Markdown report of what was measured.

The checks written into the report compare measured values with closed forms computed by the
library; the acceptance numbers (the values quoted in docs/theory.md) are asserted by
``tests/test_reproduce.py``.

:func:`run` builds each figure of :data:`~eicircuits.reproduce.figures.FIGURES` with matplotlib
(no pyplot state, any backend), saves it as PNG, and writes ``numbers.json`` (the measured
values behind the figures, each next to its closed-form prediction) and ``REPORT.md`` (figures
embedded, parameters, numbers, and the checks that passed or failed). The command line is
``eicircuits reproduce [--out DIR] [--quick]``.

Examples
--------
>>> from eicircuits.reproduce import CHECKS
>>> len(CHECKS), "paradoxical_slope" in CHECKS
(10, True)
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._report import jsonable
from .diagrams import CAPTIONS as _DIAGRAM_CAPTIONS
from .diagrams import CHECKS as _DIAGRAM_CHECKS
from .diagrams import DIAGRAMS
from .figures import FIGURES

# The continuation diagrams (docs/theory.md §8) are figures of the reproduction too.
FIGURES = {**FIGURES, **DIAGRAMS}

__all__ = ["run", "CHECKS", "FIGURES"]


def _closed_form_gains(n: dict[str, Any]) -> tuple[bool, str]:
    shared = n["lateral_inhibition_contrast"]["shared"]
    pts = shared["theory_points"]
    ok = all(abs(p["measured"] - p["closed_form"]) <= 1e-8 * p["closed_form"]
             for p in pts.values())
    ok = ok and all(abs(m - c) <= 1e-8 * c for m, c in zip(shared["gain_measured"],
                                                           shared["gain_closed_form"],
                                                           strict=True))
    txt = ", ".join(f"a = {a}: {p['measured']:.4f} (water-filling {p['closed_form']:.4f})"
                    for a, p in pts.items())
    return ok, txt


def _paradox(n: dict[str, Any]) -> tuple[bool, str]:
    isn = n["paradoxical_effect"]["isn"]
    lds = n["paradoxical_effect"]["lds"]
    step = n["paradoxical_effect"]["step"]
    change = step["r_i_end"] - step["r_i_before"]
    ok = (abs(isn["slope_measured"] - isn["slope_predicted"]) < 1e-9
          and abs(lds["slope_measured"] - lds["slope_predicted"]) < 1e-9
          and isn["slope_measured"] < 0 < lds["slope_measured"]
          and abs(change - step["predicted_change"]) < 1e-6)
    return ok, (f"ISN slope {isn['slope_measured']:.6f} (predicted {isn['slope_predicted']:.6f})"
                f"; LDS slope {lds['slope_measured']:.6f}; step of u_I by "
                f"{step['u_i'][1] - step['u_i'][0]:.2f} changes r_I by {change:.6f} "
                f"(predicted {step['predicted_change']:.6f})")


def _hopf(n: dict[str, Any]) -> tuple[bool, str]:
    m = n["wilson_cowan_regime_map"]
    ok = m["simulated_points"] > 0 and m["agreeing"] == m["simulated_points"]
    return ok, (f"Hopf ratio of the worked example {m['hopf_ratio_worked_example']}; "
                f"{m['agreeing']}/{m['simulated_points']} map points confirmed by simulation; "
                f"{m['grid'][0]}×{m['grid'][1]} map in {m['seconds']:.2f} s")


def _worked(n: dict[str, Any]) -> tuple[bool, str]:
    # every enumerated equilibrium's verdict agrees with the sign of its leading eigenvalue
    pp = n["wilson_cowan_phase_portraits"]
    parts, ok = [], True
    for case in ("unique", "bistable"):
        eqs = pp[case]["equilibria"]
        ok = ok and bool(eqs) and all(
            e["stable"] == (max(v[0] for v in e["eigenvalues"]) < 0) for e in eqs)
        parts.append(f"u = {tuple(pp[case]['u'])}: " + ", ".join(
            f"({e['x'][0]:.4g}, {e['x'][1]:.4g}) {'stable' if e['stable'] else 'unstable'}"
            for e in eqs))
    return ok, "; ".join(parts)


def _depth(n: dict[str, Any]) -> tuple[bool, str]:
    t = n["column_contrast_depth"]["two_channel"]
    ok = t["agree"] == len(t["predicted_depth"])
    return ok, (f"{t['agree']}/{len(t['predicted_depth'])} input differences: measured depth = "
                f"⌈log(1/C₀)/log(1 + 2r)⌉; 1 % difference → {t['one_percent']['predicted']} "
                "layers")


def _column(n: dict[str, Any]) -> tuple[bool, str]:
    c = n["column_contrast_depth"]["default_column"]
    cs = [c["input_contrast"], *c["layer_contrasts"]]
    ok = (all(a <= b for a, b in itertools.pairwise(cs)) and c["winner"] is not None
          and c["certified"] and c["winner_depth_measured"] == c["winner_depth_predicted"])
    return ok, (f"contrast {' → '.join(f'{v:.3g}' for v in cs)}; winner {c['winner']} at depth "
                f"{c['winner_depth_measured']} (layered water-filling predicts "
                f"{c['winner_depth_predicted']}); certified: {c['certified']}")


def _local(n: dict[str, Any]) -> tuple[bool, str]:
    loc = n["lateral_inhibition_contrast"]["local"]
    err = loc["max_rel_error_differential_gain"]
    k = loc["first_single_winner_at_a_plus_bc_over_1_plus_d"]
    ok = err < 1e-9 and k is not None and k >= 1.0
    return ok, f"differential gain max rel. error {err:.2e}; single winner from a + bc/(1+d) = {k}"


def _certs(n: dict[str, Any]) -> tuple[bool, str]:
    certs = n["stability_certificates"]
    ok = all(c["verified"] for c in certs.values())
    n_cert = sum(c["certified"] for c in certs.values())
    return ok, f"{n_cert}/{len(certs)} configurations LDS-certified; every verdict re-verified"


#: check name -> function(numbers) -> (passed, one-line summary).
CHECKS: dict[str, Callable[[dict[str, Any]], tuple[bool, str]]] = {
    "contrast_gains_closed_form": _closed_form_gains,
    "paradoxical_slope": _paradox,
    "hopf_and_regime_map": _hopf,
    "worked_example_equilibria": _worked,
    "column_depth_predicted": _depth,
    "default_column": _column,
    "local_wiring_gain_and_wta": _local,
    "certificates_verified": _certs,
}
CHECKS.update(_DIAGRAM_CHECKS)

_CAPTIONS = {
    "wilson_cowan_phase_portraits": "Wilson–Cowan phase portraits with nullclines, trajectories "
    "and equilibria (filled: stable). The E neuron has W_EE = 2 > 1, a concave player: the "
    "equilibria are stationary points of the game, not Nash equilibria (regret ∞ for E).",
    "wilson_cowan_regime_map": "Regime map from the closed forms, with the LDS boundary "
    "w_EE = 1, the Hopf curve and det = 0. With ReLU the oscillatory regime is a bounded limit "
    "cycle (no saturation needed).",
    "paradoxical_effect": "Paradoxical response: r_I* against u_I in an LDS circuit and in "
    "the ISN.",
    "neuron_energies": "Per-neuron energies at the equilibrium (games.plots.plot_energy).",
    "lateral_inhibition_contrast": "Lateral inhibition: contrast gain of the shared motif, and "
    "the local wiring's transition to winner-take-all.",
    "column_contrast_depth": "Cortical column: contrast compounding over layers, and the depth "
    "at which two channels produce a single winner, measured and predicted.",
    "stability_certificates": "The LDS certificate of each configuration (or why there is none).",
}
_CAPTIONS.update(_DIAGRAM_CAPTIONS)


def _report(out: Path, numbers: dict[str, Any], checks: dict[str, Any], quick: bool,
            seconds: dict[str, float]) -> str:
    lines = ["# eicircuits reproduction", "",
             f"Mode: {'quick' if quick else 'full'}. Every number below is measured by the "
             "library and compared with its closed form; `numbers.json` holds them all.", "",
             "## Checks", "", "| check | result | measured |", "|---|---|---|"]
    for name, c in checks.items():
        lines.append(f"| {name} | {'PASS' if c['passed'] else 'FAIL'} | {c['summary']} |")
    for name in FIGURES:
        lines += ["", f"## {name.replace('_', ' ')}", "", f"![{name}]({name}.png)", "",
                  _CAPTIONS[name], "", f"Built in {seconds[name]:.1f} s. Numbers:", "",
                  "```json", json.dumps(_short(numbers[name]), indent=1, ensure_ascii=False),
                  "```"]
    return "\n".join(lines) + "\n"


def _short(value: Any, limit: int = 8) -> Any:
    """Long lists cut for the Markdown report (``numbers.json`` keeps everything)."""
    if isinstance(value, dict):
        return {k: _short(v, limit) for k, v in value.items()}
    if isinstance(value, list) and len(value) > limit:
        return [*(_short(v, limit) for v in value[:limit]), f"… {len(value) - limit} more"]
    if isinstance(value, list):
        return [_short(v, limit) for v in value]
    if isinstance(value, float):
        return float(f"{value:.6g}")
    return value


def run(out_dir: str | Path, quick: bool = False, *, verbose: bool = False) -> dict[str, Any]:
    """Build every figure into ``out_dir`` with ``REPORT.md`` and ``numbers.json``.

    Parameters
    ----------
    out_dir : str or Path
        Created if needed; existing files of the same names are overwritten.
    quick : bool
        Coarser grids and fewer simulations (well under a minute), the same checks.
    verbose : bool
        Print each step and its duration on stderr.

    Returns
    -------
    dict
        ``{figure name: numbers}`` plus ``"checks"``: ``{check: {"passed", "summary"}}``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    numbers: dict[str, Any] = {}
    seconds: dict[str, float] = {}
    for name, build in FIGURES.items():
        t0 = time.perf_counter()
        if verbose:
            print(f"  {name} …", file=sys.stderr, flush=True)
        fig, nums = build(quick=quick)
        fig.savefig(out / f"{name}.png", dpi=110 if quick else 150)
        numbers[name] = jsonable(nums)
        seconds[name] = time.perf_counter() - t0
    checks = {}
    for name, check in CHECKS.items():
        passed, summary = check(numbers)
        checks[name] = {"passed": bool(passed), "summary": summary}
    numbers["checks"] = checks
    numbers["seconds"] = seconds
    (out / "numbers.json").write_text(json.dumps(jsonable(numbers), indent=1, allow_nan=False,
                                                 ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "REPORT.md").write_text(_report(out, numbers, checks, quick, seconds),
                                   encoding="utf-8")
    return numbers
