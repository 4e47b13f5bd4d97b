"""Sweep figures: categories for labels, booleans and integers; lines in 1-D; empty variables
explained. Checked by the data drawn and the legend's labels, against the dataset."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr

from eicircuits.sweeps import plot_sweep


def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


@pytest.fixture
def ds():
    a = np.linspace(0.0, 1.2, 7)
    b = np.array([1.0, 2.0, 3.0])
    A, B = np.meshgrid(a, b, indexing="ij")
    return xr.Dataset(
        {"certified": (("a", "b"), A < 0.95),
         "winner": (("a", "b"), np.where(A > 0.95, np.where(B > 1.5, 4, 2), -1)),
         "rate": (("a", "b"), np.full(A.shape, np.nan)),
         "gain": (("a", "b"), 1.0 + A * B)},
        coords={"a": a, "b": b})


def test_boolean_is_a_categorical_map(ds):
    fig, ax, drawn = plot_sweep(ds, "certified")
    labels = _legend(ax)
    assert labels == ["certified", "not certified"]
    np.testing.assert_array_equal(np.array(labels)[drawn],
                                  np.where(ds["certified"].values.T, "certified",
                                           "not certified"))
    assert len(fig.axes) == 1  # no colour bar
    plt.close(fig)


def test_integer_winner_is_a_categorical_map_with_none(ds):
    fig, ax, drawn = plot_sweep(ds, "winner")
    labels = _legend(ax)
    assert labels == ["no single winner", "neuron 2", "neuron 4"]
    want = {-1: "no single winner", 2: "neuron 2", 4: "neuron 4"}
    np.testing.assert_array_equal(np.array(labels)[drawn],
                                  np.vectorize(want.get)(ds["winner"].values.T))
    assert len(fig.axes) == 1
    plt.close(fig)


def test_one_parameter_sweep_is_a_line_and_categories_are_points(ds):
    one = ds.isel(b=0)
    fig, ax, _ = plot_sweep(one, "gain")
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), one["a"].values)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), one["gain"].values)
    plt.close(fig)
    fig, ax, drawn = plot_sweep(one, "certified")
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks == ["certified", "not certified"]
    np.testing.assert_array_equal(drawn, np.where(one["certified"].values, 0, 1))
    plt.close(fig)


def test_variable_without_values_is_explained(ds):
    fig, ax, _ = plot_sweep(ds, "rate")
    text = " ".join(t.get_text() for t in ax.texts)
    assert "no value at any point" in text and "contraction rate" in text
    assert "no values" in ax.get_title()
    plt.close(fig)
    ds["gain"].values[0, 0] = np.nan
    fig, ax, _ = plot_sweep(ds, "gain")
    assert "1 of 21 points without value" in ax.get_title()
    plt.close(fig)


def test_integers_over_seeds_take_the_most_frequent_value():
    w = np.array([[[3, 3, -1]], [[-1, -1, 2]]])  # (a, b, seed)
    ds = xr.Dataset({"winner": (("a", "b", "seed"), w)},
                    coords={"a": [0.0, 1.0], "b": [0.0], "seed": [0, 1, 2]})
    fig, ax, drawn = plot_sweep(ds, "winner")
    labels = _legend(ax)
    assert np.array(labels)[drawn].ravel().tolist() == ["neuron 3", "no single winner"]
    assert "most frequent over seed" in ax.get_title()
    plt.close(fig)


def test_masked_integers_and_booleans_stay_categorical_with_missing_points():
    """An unfinished sweep: integer/boolean analyses come back as float with NaN and attrs kind."""
    w = np.array([[4.0, -1.0], [np.nan, 2.0]])
    c = np.array([[1.0, np.nan], [0.0, 1.0]])
    ds = xr.Dataset({"winner": (("a", "b"), w, {"kind": "int"}),
                     "certified": (("a", "b"), c, {"kind": "bool"})},
                    coords={"a": [0.0, 1.0], "b": [0.0, 1.0]})
    fig, ax, drawn = plot_sweep(ds, "winner")
    labels = _legend(ax)
    assert labels == ["no single winner", "neuron 2", "neuron 4", "(missing)"]
    assert np.array(labels)[drawn].T.tolist() == [["neuron 4", "no single winner"],
                                                  ["(missing)", "neuron 2"]]
    plt.close(fig)
    fig, ax, drawn = plot_sweep(ds, "certified")
    labels = _legend(ax)
    assert labels == ["certified", "not certified", "(missing)"]
    assert np.array(labels)[drawn].T.tolist() == [["certified", "(missing)"],
                                                  ["not certified", "certified"]]
    assert len(fig.axes) == 1
    plt.close(fig)


def test_small_numeric_map_has_ticks_at_the_samples_and_numbers_in_cells():
    # a 2 x 2 grid: the cells extend half a step past the samples, so the ticks must name
    # the sampled values (gain < 1) and each cell carries its value
    gain = np.array([0.5, 0.9])
    ratio = np.array([1.0, 2.0])
    vals = np.array([[0.125, 0.25], [0.0375, 0.075]])  # (gain, ratio)
    ds = xr.Dataset({"rate": (("gain", "ratio"), vals)}, coords={"gain": gain, "ratio": ratio})
    fig, ax, drawn = plot_sweep(ds, "rate")
    np.testing.assert_array_equal(ax.get_xticks(), gain)
    np.testing.assert_array_equal(ax.get_yticks(), ratio)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0.5", "0.9"]
    cells = {(t.get_position(), t.get_text()) for t in ax.texts}
    expected = {((float(g), float(r)), f"{vals[i, j]:.3g}")
                for i, g in enumerate(gain) for j, r in enumerate(ratio)}
    assert cells == expected
    np.testing.assert_array_equal(drawn, vals.T)
    assert ax.get_title() == "contraction rate"
    assert fig.axes[-1].get_ylabel() == "contraction rate"  # the colour bar
    plt.close(fig)


def test_large_numeric_map_has_no_numbers_in_cells():
    a, b = np.linspace(0.0, 1.0, 11), np.linspace(0.0, 1.0, 3)
    ds = xr.Dataset({"gain": (("a", "b"), np.add.outer(a, b))}, coords={"a": a, "b": b})
    fig, ax, _ = plot_sweep(ds, "gain")
    assert not ax.texts and len(ax.get_xticks()) != a.size
    np.testing.assert_array_equal(ax.get_yticks(), b)
    plt.close(fig)


def test_small_categorical_map_has_ticks_at_the_samples(ds):
    fig, ax, _ = plot_sweep(ds, "certified")
    np.testing.assert_array_equal(ax.get_xticks(), ds["a"].values)
    np.testing.assert_array_equal(ax.get_yticks(), ds["b"].values)
    plt.close(fig)
