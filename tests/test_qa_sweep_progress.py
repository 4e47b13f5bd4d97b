"""The sweep progress bar counts points (found running 5000-neuron sweeps)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("scheduler", ["sync", "threads"])
def test_sweep_progress_advances_per_point_not_per_chunk(monkeypatch, scheduler: str) -> None:
    # a 2 × 2 sweep of 5000-neuron networks is one chunk: the bar read 0/1 for two minutes
    # (and the first point was probed before the bar existed); it must count points
    import eicircuits.sweeps._run as run
    from eicircuits import Network
    from eicircuits.sweeps import sweep

    seen: list[tuple[int, float]] = []
    bars: list = []
    real = run._progress_bar

    def spy(total: int, progress):
        bar = real(total, False)
        bars.append(total)
        update = bar.update

        def counted(k=1):
            seen.append((k, bar.n + k))
            return update(k)

        bar.update = counted
        return bar

    monkeypatch.setattr(run, "_progress_bar", spy)

    def builder(a: float, b: float) -> Network:
        return Network(W=[[0.0, -a], [b, 0.0]], cell_types="EI", u=1.0)

    def first(net: Network) -> float:
        return float(net.W[1, 0])

    ds = sweep(builder, {"a": [0.1, 0.2], "b": [0.3, 0.4]}, analyses={"first": first},
               scheduler=scheduler, num_workers=1)
    assert bars == [4]  # points, not chunks (the four points are one chunk)
    assert [k for k, _ in seen] == [1, 1, 1, 1]
    assert sum(k for k, _ in seen) == 4
    assert ds["first"].values.tolist() == [[0.3, 0.4], [0.3, 0.4]]

