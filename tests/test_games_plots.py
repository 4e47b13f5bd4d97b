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
    assert "regret" in ax.get_title() and ", E," in ax.get_title()
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
