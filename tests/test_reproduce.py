"""``eicircuits reproduce --quick``: the numbers behind the figures, not only the files.

The acceptance numbers live here, not in the package: one quick run (module-scoped fixture) is
checked against independent values — the contrast gains of docs/theory.md §5 recomputed in exact
arithmetic (11/3, 19/3, 43/3, 26), −1/7 and the Hopf ratio 2 of the worked example, its three
equilibria (0, 0), (1, 0), (10/7, 1/7), the water-filling closed form and the depth formula. The
example scripts are self-contained and run here at a small size.
"""

from __future__ import annotations

import json
import math
import runpy
import sys
from fractions import Fraction
from pathlib import Path

import pytest
from matplotlib.image import imread

from eicircuits.cli import main
from eicircuits.reproduce import CHECKS, FIGURES

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce")
    status = main(["reproduce", "--out", str(out), "--quick", "--quiet"])
    return out, status, json.loads((out / "numbers.json").read_text(encoding="utf-8"))


def test_quick_run_writes_every_figure_and_passes_every_check(quick_run, capsys):
    out, status, numbers = quick_run
    assert status == 0
    for name in FIGURES:
        img = imread(out / f"{name}.png")
        assert img.shape[0] > 200 and img.shape[1] > 200
        assert img[..., :3].std() > 0.05  # not a blank canvas
    report = (out / "REPORT.md").read_text(encoding="utf-8")
    for name in FIGURES:
        assert f"![{name}]({name}.png)" in report
    assert set(numbers["checks"]) == set(CHECKS)
    assert all(c["passed"] for c in numbers["checks"].values()), numbers["checks"]
    assert "FAIL" not in report


def test_contrast_gain_numbers_against_exact_arithmetic(quick_run):
    pts = quick_run[2]["lateral_inhibition_contrast"]["shared"]["theory_points"]
    u = [Fraction(100 + 2 * k, 100) for k in range(5)]
    cu = (max(u) - min(u)) / (max(u) + min(u))
    # all active (a < 0.9): gain = 1 + 5r exactly for evenly spaced inputs
    for a in ("0.0", "0.5", "0.8"):
        r = Fraction(2, 5) * 2 / ((1 - Fraction(a)) * Fraction(3, 2))
        assert pts[a]["measured"] == pytest.approx(float(1 + 5 * r), rel=1e-10)
        assert pts[a]["active"] == 5
    # docs/theory.md §5 quotes 3.7, 6.3, 14.3: the exact values 11/3, 19/3, 43/3
    for a, want in (("0.0", Fraction(11, 3)), ("0.5", Fraction(19, 3)), ("0.8", Fraction(43, 3))):
        assert pts[a]["measured"] == pytest.approx(float(want), rel=1e-10)
        assert round(pts[a]["measured"], 1) == round(float(want), 1)
    # a = 0.95: two silenced, contrast 1, gain 1/C(u) = 26 exactly
    assert pts["0.95"]["active"] == 3
    assert pts["0.95"]["measured"] == pytest.approx(float(1 / cu), rel=1e-10)
    assert float(1 / cu) == 26.0
    shared = quick_run[2]["lateral_inhibition_contrast"]["shared"]
    for m, c in zip(shared["gain_measured"], shared["gain_closed_form"], strict=True):
        assert m == pytest.approx(c, rel=1e-8)


def test_wilson_cowan_numbers(quick_run):
    n = quick_run[2]
    par = n["paradoxical_effect"]
    assert par["isn"]["slope_measured"] == pytest.approx(-1 / 7, rel=1e-10)
    assert par["lds"]["slope_measured"] == pytest.approx(0.5 / (0.5 * 2 + 9), rel=1e-10)
    step = par["step"]
    assert step["r_i_end"] < step["r_i_before"]  # more drive to I, less I activity
    assert step["r_i_end"] - step["r_i_before"] == pytest.approx(-0.15 / 7, rel=1e-6)
    assert step["r_i_end"] == pytest.approx(step["r_i_after_equilibrium"], abs=1e-9)
    rm = n["wilson_cowan_regime_map"]
    assert rm["hopf_ratio_worked_example"] == 2.0
    assert rm["simulated_points"] >= 5 and rm["agreeing"] == rm["simulated_points"]
    assert rm["fractions"]["lds-stable"] == pytest.approx(1 / 7, abs=0.01)  # w_EE < 1 of [0, 7]
    pp = n["wilson_cowan_phase_portraits"]
    (one,) = pp["unique"]["equilibria"]
    assert one["x"] == pytest.approx([1 / 14, 5 / 14], abs=1e-12)
    assert one["stable"] and not one["nash"] and one["regret"][0] == "inf"
    xs = sorted((tuple(e["x"]), e["stable"]) for e in pp["bistable"]["equilibria"])
    assert [s for _, s in xs] == [True, False, True]
    assert xs[0][0] == pytest.approx((0.0, 0.0), abs=1e-12)  # quiescent, stable
    assert xs[1][0] == pytest.approx((1.0, 0.0), abs=1e-12)  # the saddle
    assert xs[2][0] == pytest.approx((10 / 7, 1 / 7), abs=1e-12)  # the active focus
    en = n["neuron_energies"]
    assert en["lds"]["nash"] and en["lds"]["regret"] == [0.0, 0.0]
    assert en["isn"]["concave_players"] == [0]


def test_column_numbers(quick_run):
    col = quick_run[2]["column_contrast_depth"]
    d = col["default_column"]
    assert d["winner"] == "L3.E4" and d["certified"]
    assert d["active_per_layer"] == [5, 5, 2, 1]
    assert d["winner_depth_measured"] == d["winner_depth_predicted"] == 4
    r5 = (2 / 5) * 2 / (0.5 * 1.5)
    assert d["layer_contrasts"][0] == pytest.approx((1 + 5 * r5) * d["input_contrast"], rel=1e-9)
    two = col["two_channel"]
    for delta, p, m in zip(two["difference"], two["predicted_depth"], two["measured_depth"],
                           strict=True):
        c0 = delta / (2 + delta)
        assert p == math.ceil(math.log(1 / c0) / math.log(1 + 2 * two["r"]))
        assert m == p


def test_certificate_numbers(quick_run):
    certs = quick_run[2]["stability_certificates"]
    assert all(c["verified"] for c in certs.values())
    expected_not = {"Wilson–Cowan ISN, w_EE = 2", "shared motif, a = 1.2 (multistable WTA)",
                    "local motif, a + bc/(1+d) = 1.1 (WTA)"}
    assert {k for k, c in certs.items() if not c["certified"]} == expected_not


def _run_example(script, folder, monkeypatch, capsys):
    monkeypatch.chdir(folder)
    monkeypatch.setattr(sys, "argv", [script, "--quick"])
    runpy.run_path(str(EXAMPLES / script), run_name="__main__")
    printed = capsys.readouterr().out
    assert printed.strip()
    image = imread(folder / script.replace(".py", ".png"))
    assert image.shape[0] > 200 and image[..., :3].std() > 0.05
    return printed


SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py")
                 if not p.name.startswith(("design_", "continuation_")))


def test_examples_are_self_contained_scripts():
    """Read top to bottom: no argparse wrapper, no figure code imported from the package."""
    assert {f"{name}.py" for name in FIGURES
            if not name.startswith(("design_", "continuation_"))} <= set(SCRIPTS)
    for script in SCRIPTS:
        text = (EXAMPLES / script).read_text(encoding="utf-8")
        assert "argparse" not in text and "eicircuits.reproduce" not in text, script
        assert "def main(" not in text, script
        assert "docs/theory.md §" in text, script  # says where the mathematics is


def test_an_example_runs_and_prints_its_numbers(tmp_path, monkeypatch, capsys):
    printed = _run_example("paradoxical_effect.py", tmp_path, monkeypatch, capsys)
    assert "ISN (w_EE = 2): d r_I*/d u_I measured -0.142857, predicted -0.142857" in printed
    assert "LDS (w_EE = 0.5): d r_I*/d u_I measured 0.050000, predicted 0.050000" in printed


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS)
def test_examples_run_at_small_size(script, tmp_path, monkeypatch, capsys):
    _run_example(script, tmp_path, monkeypatch, capsys)


def test_out_must_be_a_folder(tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("x", encoding="utf-8")
    assert main(["reproduce", "--out", str(target), "--quick"]) == 2
    err = capsys.readouterr().err
    assert "--out:" in err and "is not a folder" in err


def test_figures_draw_what_they_mean():
    """Checked on the figures' data: no bar where there is no margin, integer ticks on counts,
    arrows on the phase-portrait trajectories, the twin-axis legend outside the plot."""
    from matplotlib.patches import Rectangle

    from eicircuits.reproduce.figures import (
        column_contrast_depth,
        lateral_inhibition_contrast,
        stability_certificates,
        wilson_cowan_phase_portraits,
    )

    fig, nums = stability_certificates(quick=True)
    (ax,) = fig.axes
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    certified = [v for v in nums.values() if v["certified"]]
    assert len(bars) == len(certified)
    assert sorted(b.get_width() for b in bars) == pytest.approx(
        sorted(v["margin"] for v in certified))
    refused = [t for t in ax.texts if "no certificate, so no margin" in t.get_text()]
    assert len(refused) == len(nums) - len(certified)

    fig, _ = column_contrast_depth(quick=True)
    for axis in (fig.axes[0].xaxis, fig.axes[1].yaxis):
        ticks = [t for t in axis.get_majorticklocs()]
        assert all(float(t).is_integer() for t in ticks), ticks

    fig, _ = wilson_cowan_phase_portraits(quick=True)
    for ax in fig.axes:
        arrows = [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
        assert len(arrows) >= 4

    fig, _ = lateral_inhibition_contrast(quick=True)
    twin_left = fig.axes[1]
    assert all(float(t).is_integer() for t in twin_left.yaxis.get_majorticklocs())
    legend = twin_left.get_legend()
    assert legend is not None and len(legend.get_texts()) == 4
    anchor = legend.get_bbox_to_anchor().transformed(twin_left.transAxes.inverted())
    assert anchor.y0 < 0  # below the axes, not over the curves
