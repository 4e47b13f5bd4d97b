"""The built-in sweep analyses with the real circuits, certificates and equilibria.

Oracles: the closed-form Wilson–Cowan regimes (vectorised) and LDS criterion ``w_EE < 1``
(docs/theory.md §5), the margin recomputed from the certificate's weights with ``eigvalsh`` and a
brute-force bound over diagonal ``P``, equilibria checked by their residual and by DOP853
simulation, and an independent water-filling solution of the shared-inhibition motif.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from eicircuits import ValidationError, certify
from eicircuits.circuits import (
    lateral_inhibition,
    random_ei,
    wilson_cowan,
    wilson_cowan_regime,
)
from eicircuits.sweeps import ANALYSES, sweep
from eicircuits.sweeps._analyses import _sweep_certify

WC = {"w_ie": 3.0, "w_ii": 1.0, "u_e": 1.0, "u_i": 0.5}


def test_builtin_registry_names():
    assert set(ANALYSES) == {"regime", "certified", "margin", "rate", "kind", "rates",
                             "contrast_gain", "winner"}


def test_regime_map_equals_the_vectorised_closed_form():
    grid = {"w_ee": np.linspace(0.0, 3.0, 13), "w_ei": np.linspace(0.0, 5.0, 11),
            "tau_i": [0.5, 1.0, 3.0]}
    ds = sweep(wilson_cowan, grid, ["regime"], params=WC, progress=False)
    a, b, t = np.meshgrid(grid["w_ee"], grid["w_ei"], grid["tau_i"], indexing="ij")
    expected = wilson_cowan_regime(a, b, WC["w_ie"], WC["w_ii"], tau_i=t, u_e=WC["u_e"],
                                   u_i=WC["u_i"])
    np.testing.assert_array_equal(ds["regime"].values, expected)
    assert {"lds-stable", "isn-stable", "runaway", "oscillatory"} <= set(np.unique(expected))
    # docs/theory.md §5: W − I is LDS exactly when w_EE < 1 (any inhibition, any τ); a coarser grid,
    # as certify(net) solves the weighted-ℓ2 LMI (a fraction of a second) at equal τ
    grid["w_ei"] = grid["w_ei"][::5]
    ds = sweep(wilson_cowan, grid, ["certified"], params=WC, progress=False)
    a = np.meshgrid(grid["w_ee"], grid["w_ei"], grid["tau_i"], indexing="ij")[0]
    np.testing.assert_array_equal(ds["certified"].values, a < 1)


def test_margin_is_the_certificates_and_positive_exactly_when_certified():
    grid = {"w_ee": [0.0, 0.5, 0.9, 1.0, 1.5], "w_ei": [0.5, 2.0]}
    ds = sweep(wilson_cowan, grid, ["margin", "certified", "kind"], params=WC, progress=False)
    for i, w_ee in enumerate(grid["w_ee"]):
        for j, w_ei in enumerate(grid["w_ei"]):
            net = wilson_cowan(w_ee, w_ei, **WC)
            m = ds["margin"].values[i, j]
            if w_ee >= 1:
                assert np.isnan(m) and not ds["certified"].values[i, j]
                assert ds["kind"].values[i, j] == "none"
                continue
            A = net.dense_W() - np.eye(2)
            cert = _sweep_certify(net)
            assert ds["kind"].values[i, j] == cert.kind
            # recompute from weights: the certificate's own (LDS) or a fresh LDS solve
            from eicircuits.stability import lds

            if cert.kind == "lds":
                p = cert.weights
            elif cert.kind == "contraction-l2":  # certify's auto keeps the LDS weights
                p = cert.data["lds_weights"]
            else:
                p = lds(A, cell_types=net.cell_types).p
            p = np.asarray(p, dtype=float) / np.max(p)
            raw = -np.linalg.eigvalsh(np.diag(p) @ A + A.T @ np.diag(p)).max() / 2
            # the margin is −λ_max(PA + AᵀP)/2 (max p = 1), or that divided by mean p (the
            # scale-free form the stability module is moving to): pin it to one of the two
            scale = None
            for norm in (1.0, float(np.mean(p))):
                # (a proven margin may be a rational lower bound a hair below the float one)
                if m == pytest.approx(raw / norm, rel=1e-6, abs=1e-12) and \
                        m <= raw / norm * (1 + 1e-12):
                    scale = norm
            assert scale is not None, (m, raw, p)
            # never more than the best margin over diagonal P (brute force, same normalisation)
            ts = np.linspace(1e-3, 1.0, 2000)
            best = max(-np.linalg.eigvalsh(np.diag(q) @ A + A.T @ np.diag(q)).max() / 2
                       / (1.0 if scale == 1.0 else float(np.mean(q)))
                       for t in ts for q in ([1.0, t], [t, 1.0]))
            assert 0 < m <= best + 1e-9


def test_certified_agrees_with_certify_auto_on_random_networks():
    ds = sweep(random_ei, {"n": [6, 12], "gain": [0.3, 0.9]}, ["certified", "kind", "rate"],
               params={"density": 0.4}, seeds=3, rng=2, progress=False)
    children = np.random.SeedSequence(2).spawn(2 * 2 * 3)
    for flat, (i, j, s) in enumerate(np.ndindex(2, 2, 3)):
        net = random_ei(int(ds["n"][i]), gain=float(ds["gain"][j]), density=0.4,
                        rng=np.random.default_rng(children[flat]))
        assert ds["certified"].values[i, j, s] == certify(net).certified
        assert ds["kind"].values[i, j, s] == "contraction-linf"
        assert ds["rate"].values[i, j, s] == certify(net, method="contraction-linf").rate


def test_rates_match_residual_and_simulation():
    ds = sweep(wilson_cowan, {"w_ee": [0.5, 2.0], "w_ei": [3.0]}, ["rates"],
               params={"w_ie": 3.0, "w_ii": 1.0, "u_e": 1.0, "u_i": 0.5}, progress=False)
    assert ds["rates"].dims == ("w_ee", "w_ei", "neuron")
    # docs/theory.md §5 worked ISN example: W = [[2, −3], [3, −1]], u = (1, ½) → (1/14, 5/14)
    np.testing.assert_allclose(ds["rates"].values[1, 0], [1 / 14, 5 / 14], rtol=1e-12)
    net = wilson_cowan(0.5, 3.0, 3.0, 1.0, u_e=1.0, u_i=0.5)
    sol = solve_ivp(lambda t, x: net.rate_field(x), (0.0, 200.0), np.zeros(2),
                    method="DOP853", rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(ds["rates"].values[0, 0], sol.y[:, -1], atol=1e-9)


def water_filling(u: np.ndarray, a: float, b: float, c: float, d: float) -> np.ndarray:
    """Independent shared-motif solution: x_i = [u_i − θ]₊/(1 − a), θ = r Σ [u_j − θ]₊."""
    m = u.size
    r = (b / m) * c / ((1 - a) * (1 + d))
    srt = np.sort(u)[::-1]
    for k in range(1, m + 1):
        theta = r * srt[:k].sum() / (1 + k * r)
        if srt[k - 1] > theta and (k == m or theta >= srt[k]):
            return np.maximum(u - theta, 0.0) / (1 - a)
    raise AssertionError("no water level")


def contrast(y: np.ndarray) -> float:
    return (y.max() - y.min()) / (y.max() + y.min())


def test_contrast_gain_and_winner_against_water_filling():
    u = np.array([1.0, 1.02, 1.04, 1.06, 1.08])
    grid = {"a": [0.0, 0.5, 0.8, 0.95], "c": [2.0, 40.0]}
    ds = sweep(lateral_inhibition, grid, ["contrast_gain", "winner"],
               params={"m": 5, "b": 2.0, "d": 0.5, "u": u}, progress=False)
    for i, a in enumerate(grid["a"]):
        for j, c in enumerate(grid["c"]):
            x = water_filling(u, a, 2.0, c, 0.5)
            assert ds["contrast_gain"].values[i, j] == pytest.approx(
                contrast(x) / contrast(u), rel=1e-9)
            active = np.flatnonzero(x > 0)
            assert ds["winner"].values[i, j] == (active[0] if active.size == 1 else -1)
    # docs/theory.md §5 numbers (c = 2): 3.7, 6.3, 14.3, 26 with the two weakest silenced
    np.testing.assert_allclose(ds["contrast_gain"].values[:, 0], [3.7, 6.3, 14.3, 26.0],
                               rtol=0.012)
    assert (ds["winner"].values[:, 1] == 4).any()


def test_regime_refuses_networks_that_are_not_wilson_cowan():
    with pytest.raises(ValidationError, match="regime: needs a two-population Wilson–Cowan"):
        sweep(random_ei, {"n": [5]}, ["regime"], rng=0, progress=False)


def test_processes_scheduler_gives_the_same_map():
    grid = {"w_ee": np.linspace(0.0, 3.0, 6), "w_ei": np.linspace(0.0, 5.0, 4)}
    ref = sweep(wilson_cowan, grid, ["regime"], params=WC, progress=False)
    ds = sweep(wilson_cowan, grid, ["regime"], params=WC, scheduler="processes", num_workers=2,
               chunks={"w_ee": 3}, progress=False)
    np.testing.assert_array_equal(ds["regime"].values, ref["regime"].values)


def test_vectorised_regime_path_equals_the_per_point_path():
    from eicircuits.circuits import wilson_cowan as wc

    calls = []

    def counted(**kwargs):
        calls.append(kwargs)
        return wc(**kwargs)

    counted.sweep_target = wc  # declares what it builds, as SpecBuilder does
    grid = {"w_ee": np.linspace(0.0, 3.0, 21), "w_ei": np.linspace(0.0, 5.0, 17),
            "tau_i": [0.4, 2.5]}
    fast = sweep(counted, grid, ["regime"], params=WC, chunks={"w_ee": 5}, progress=False)
    assert len(calls) == 1  # only the probe that learns the output layout builds a network
    slow = sweep(wc, grid, {"regime": lambda net: ANALYSES["regime"](net)}, params=WC,
                 chunks={"w_ee": 5}, progress=False)
    np.testing.assert_array_equal(fast["regime"].values, slow["regime"].values)
    # mixed: certified per point, regime per chunk
    mixed = sweep(wc, grid, ["certified", "regime"], params=WC, progress=False)
    np.testing.assert_array_equal(mixed["regime"].values, slow["regime"].values)


def test_vectorised_path_falls_back_to_per_point_errors():
    grid = {"w_ee": [0.5, 2.0], "w_ei": [-1.0, 3.0]}  # a negative weight is invalid
    with pytest.raises(ValidationError, match="w_ei") as info:
        sweep(wilson_cowan, grid, ["regime"], params=WC, progress=False)
    assert any("w_ee=0.5, w_ei=-1.0" in note for note in info.value.__notes__)
    ds = sweep(wilson_cowan, grid, ["regime"], params=WC, on_error="record", progress=False)
    np.testing.assert_array_equal(ds["ok"].values, [[False, True], [False, True]])
    assert ds["regime"].values[:, 1].tolist() == ["lds-stable", "isn-stable"]


def test_record_mode_fills_every_output_of_a_failed_point():
    def picky(net):
        if net.W[0, 0] == 2.0:
            raise ArithmeticError("refused")
        return 1.0

    ds = sweep(wilson_cowan, {"w_ee": [0.5, 2.0], "w_ei": [3.0]}, {"p": picky, "r": "regime"},
               params=WC, on_error="record", progress=False)
    assert ds["ok"].values[:, 0].tolist() == [True, False]
    assert ds["r"].values[:, 0].tolist() == ["lds-stable", ""]  # vectorised, then filled
    assert ds["error"].values[1, 0] == "ArithmeticError: refused"


def _contraction_certified():
    """A network certify proves by ℓ∞ contraction: its certificate states a rate, no margin."""
    net = random_ei(30, gain=0.5, rng=0)
    cert = _sweep_certify(net)
    assert cert.certified and cert.margin is None and "lds_margin" not in (cert.data or {})
    return net


def test_margin_of_a_contraction_certified_network_is_verified_and_time_limited():
    import time

    from eicircuits.stability import Certificate, lds
    from eicircuits.sweeps._analyses import MARGIN_TIME_LIMIT, margin

    net = _contraction_certified()
    A = net.dense_W() - np.eye(net.n)
    m = margin(net)
    assert MARGIN_TIME_LIMIT > 0 and 0 < m
    # oracle: the best diagonal-P margin is the SDP optimum; the sweep's margin never exceeds it
    best = lds(A, method="sdp")
    assert best.is_lds and m <= best.margin * (1 + 1e-6)
    # and it is provable: an LDS certificate with the ascent's weights claims it and verifies
    p = lds(A, cell_types=net.cell_types).p
    ver = Certificate(True, "lds", n=net.n, fingerprint=net.fingerprint(), network=net,
                      weights=p, margin=m).verify()
    assert ver.valid and ver.proof
    # a time limit bounds the search (an ascent stopped at once still gives a verified margin
    # or NaN, never an unchecked number)
    start = time.perf_counter()
    quick = margin(net, time_limit=1e-6)
    assert time.perf_counter() - start < 5.0
    assert np.isnan(quick) or 0 < quick <= best.margin * (1 + 1e-6)
    with pytest.raises(ValidationError, match="time_limit"):
        margin(net, time_limit=-1.0)


def test_margin_reports_nan_when_the_lds_weights_fail_verification(monkeypatch):
    """An LDS search claiming a certificate that does not hold: NaN, not its number."""
    import eicircuits.stability as stability
    from eicircuits.stability._lds import LDSResult
    from eicircuits.sweeps._analyses import margin

    net = _contraction_certified()
    A = net.dense_W() - np.eye(net.n)
    bogus = np.ones(net.n)
    claimed = 100.0
    # the true margin of P = I is far below every fraction of the claim certify would try
    assert -np.linalg.eigvalsh(A + A.T).max() / 2 < 0.01 * claimed

    def fake_lds(*args, **kwargs):
        return LDSResult(True, bogus, claimed, None, "ascent", "claimed")

    monkeypatch.setattr(stability, "lds", fake_lds)
    assert np.isnan(margin(net))
