"""Figures of the game, checked by their data (and that they render to PNG)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from eicircuits import ClippedReLU, Network, Tanh, ValidationError, game
from eicircuits.games.plots import plot_energy, plot_potential, plot_regret


def test_energy_curve_is_the_energy_and_marks_the_best_response() -> None:
    net = Network(W=[[0.4, -1.0], [1.0, -0.2]], u=[1.0, 0.3], activation=Tanh(), cell_types="EI")
    x = np.array([0.2, 0.5])
    fig = plot_energy(net, 0, x, num=50)
    ax = fig.axes[0]
    ys, es = ax.lines[0].get_data()
    assert ys[0] == -1.0 and ys[-1] == 1.0 and len(ys) == 50
    # Direct formula: ½(1 − W_00) y² − y (W_01 x_1 + u_0) + g(y).
    want = 0.5 * 0.6 * ys**2 - ys * (-0.5 + 1.0) + Tanh().g(ys)
    np.testing.assert_allclose(es, want, rtol=1e-12, atol=1e-12)
    star = next(ln for ln in ax.lines if ln.get_marker() == "*")
    br = star.get_xdata()[0]
    assert br == pytest.approx(float(game(net).best_response(x)[0]), abs=1e-15)
    assert np.min(es) >= star.get_ydata()[0] - 1e-12  # the star sits at the curve's minimum
    assert "regret" in ax.get_title() and "(E neuron)" in ax.get_title()
    fig.savefig(io.BytesIO(), format="png")


def test_energy_plot_of_an_unbounded_player_says_so() -> None:
    net = Network(W=[[2.0, -3.0], [3.0, -1.0]], u=[1.0, 0.5])
    fig = plot_energy(net, "0", [1 / 14, 5 / 14])
    assert "unbounded below" in fig.axes[0].get_title()
    assert not [ln for ln in fig.axes[0].lines if ln.get_marker() == "*"]


def test_potential_contours_and_trajectories() -> None:
    net = Network(W=[[0.0, -0.6], [-0.6, 0.3]], u=[1.0, 0.8], activation=ClippedReLU(2.0))
    fig = plot_potential(net, starts=[[0.0, 2.0], [2.0, 0.0]], t_max=8.0, num=60)
    ax = fig.axes[0]
    cs = ax.collections[0]
    lv = np.asarray(cs.levels)
    assert lv.size > 5 and np.all(np.diff(lv) > 0)
    assert ax.get_xlim() == (0.0, 2.0) and ax.get_ylim() == (0.0, 2.0)
    traj = ax.lines[0].get_xydata()
    ref = solve_ivp(lambda _t, x: net.rate_field(x), (0, 8.0), [0.0, 2.0],
                    t_eval=np.linspace(0, 8.0, 400), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(traj, ref.y.T, atol=1e-5)
    pot = game(net).potential()
    P = [pot.value(np.clip(x, 0, 2)) for x in traj]
    assert np.all(np.diff(P) <= 1e-7)  # the drawn path goes downhill
    # Each trajectory carries arrowheads pointing the way time runs: along the path.
    arrows = [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
    assert len(arrows) >= 2
    on_first = 0
    for a in arrows:
        head, tail = np.array(a.xy), np.array(a.xyann)
        dist_t, dist_h = np.hypot(*(traj - tail).T), np.hypot(*(traj - head).T)
        if dist_t.min() < 1e-12:
            on_first += 1
            assert dist_h.min() < 1e-12 and np.argmin(dist_h) == np.argmin(dist_t) + 1
    assert on_first == 2
    # Given trajectories are drawn as they are.
    fig2 = plot_potential(net, trajectories=[traj])
    np.testing.assert_array_equal(fig2.axes[0].lines[0].get_xydata(), traj)
    fig.savefig(io.BytesIO(), format="png")


def test_potential_plot_refuses_what_it_cannot_draw() -> None:
    with pytest.raises(ValidationError, match="plot_potential: needs a two-neuron network"):
        plot_potential(Network(W=np.zeros((3, 3))))
    with pytest.raises(ValidationError, match="plot_potential: no weighted potential: neurons 0"):
        plot_potential(Network(W=[[0.0, -1.0], [1.0, 0.0]], cell_types="EI"))
    with pytest.raises(ValidationError, match=r"trajectories: each must be an array of shape"):
        plot_potential(Network(W=np.zeros((2, 2))), trajectories=[np.zeros((4, 3))])


def test_regret_lines_are_the_regrets_along_the_trajectory() -> None:
    net = Network(W=[[0.0, 0.5, 0.0], [0.5, 0.0, -0.4], [0.6, 0.0, 1.5]], u=[1.0, 0.5, -0.2])
    xs = np.abs(np.random.default_rng(0).normal(size=(20, 3)))
    t = np.linspace(0, 1, 20)
    fig = plot_regret(net, xs, t=t, floor=1e-12)
    ax = fig.axes[0]
    R = np.array([game(net).regret(x) for x in xs])
    solid = [ln for ln in ax.lines if ln.get_marker() in ("None", "")]
    assert len(solid) == 3
    for k, ln in enumerate(solid):
        r = R[:, k]
        want = np.maximum(np.where(np.isfinite(r), r, np.nan), 1e-12)
        np.testing.assert_allclose(ln.get_ydata(), want)
        np.testing.assert_array_equal(ln.get_xdata(), t)
    assert np.isinf(R[:, 2]).any()  # W_22 > 1 with ReLU: unbounded
    assert "unbounded" in ax.get_title() and ax.get_yscale() == "log"
    with pytest.raises(ValidationError, match=r"t: expected shape \(20,\)"):
        plot_regret(net, xs, t=t[:5])
    with pytest.raises(ValidationError, match="floor: expected a finite number > 0"):
        plot_regret(net, xs, floor=0.0)
    fig.savefig(io.BytesIO(), format="png")


def _inside_figure(fig, artist) -> bool:
    """The artist's drawn box lies within the figure (nothing cut off at the edges)."""
    fig.canvas.draw()
    box = artist.get_window_extent(renderer=fig.canvas.get_renderer())
    full = fig.bbox
    return box.x0 >= full.x0 - 1 and box.x1 <= full.x1 + 1 and box.y1 <= full.y1 + 1


def test_regret_title_fits_and_many_neurons_get_a_legend_by_type() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    # an E neuron with W_ii > 1 (infinite regret: the long title) among 20 neurons
    n = 20
    W = np.zeros((n, n))
    W[0, 0] = 1.5
    W[1:, 0] = 0.1
    W[0, 1:] = -0.05
    types = "E" + "I" * (n - 1)
    net = Network(W=W, u=np.full(n, 0.5), cell_types=types)
    xs = np.abs(np.random.default_rng(1).normal(size=(15, n)))
    fig = plot_regret(net, xs)
    FigureCanvasAgg(fig)
    ax = fig.axes[0]
    assert _inside_figure(fig, ax.title)
    assert "unbounded" in ax.get_title()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["E neurons", "I neurons"]


def test_energy_legend_and_regret_labels_name_unnamed_neurons_in_words(tmp_path) -> None:
    """'E_0(y ; x_−0)' read as minus zero: unnamed neurons are 'neuron 0' in every label."""
    net = Network(W=[[0.4, -1.0], [1.0, -0.2]], u=[1.0, 0.3], activation=Tanh())
    fig = plot_energy(net, 0, np.array([0.2, 0.5]), num=50)
    ax = fig.axes[0]
    labels = [ln.get_label() for ln in ax.lines]
    assert labels[0] == "energy of neuron 0 given the others"
    assert not any("−0" in lab or "_0" in lab for lab in labels)
    assert ax.get_title().startswith("neuron 0,")
    fig.savefig(tmp_path / "energy.png", dpi=100)
    named = Network(W=[[0.4, -1.0], [1.0, -0.2]], u=[1.0, 0.3], activation=Tanh(),
                    names=["E", "I"], cell_types="EI")
    assert plot_energy(named, 1, np.array([0.2, 0.5]), num=50).axes[0].lines[0].get_label() == \
        "energy of I given the others"
