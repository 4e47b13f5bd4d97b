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
               scheduler=scheduler, num_workers=1, chunks={"a": 2, "b": 2})
    assert bars == [4]  # points, not chunks (the four points are one chunk)
    assert [k for k, _ in seen] == [1, 1, 1, 1]
    assert sum(k for k, _ in seen) == 4
    assert ds["first"].values.tolist() == [[0.3, 0.4], [0.3, 0.4]]



def test_a_small_grid_of_expensive_points_spreads_over_the_workers() -> None:
    # a 2 × 2 sweep was one chunk (MIN_POINTS_PER_CHUNK = 32), so with four workers the four
    # 5000-neuron points ran one after another on one core; each point is now its own task
    import threading
    import time

    from eicircuits import Network
    from eicircuits.sweeps import normalize_chunks, sweep

    assert normalize_chunks(None, ["a", "b"], [2, 2]) == (1, 1)
    assert normalize_chunks(None, ["a", "b"], [100, 100]) == (1, 100)  # large grids unchanged
    threads: set[int] = set()
    running = {"now": 0, "most": 0}
    lock = threading.Lock()

    def slow(net: Network) -> float:
        with lock:
            threads.add(threading.get_ident())
            running["now"] += 1
            running["most"] = max(running["most"], running["now"])
        time.sleep(0.3)
        with lock:
            running["now"] -= 1
        return float(net.W[0, 1])

    def builder(a: float, b: float) -> Network:
        return Network(W=[[0.0, -a], [b, 0.0]], cell_types="EI")

    ds = sweep(builder, {"a": [0.1, 0.2], "b": [0.3, 0.4]}, analyses={"slow": slow},
               scheduler="threads", num_workers=4, progress=False)
    assert running["most"] >= 2 and len(threads) >= 2
    assert ds["slow"].values.tolist() == [[-0.1, -0.1], [-0.2, -0.2]]
