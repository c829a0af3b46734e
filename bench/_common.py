"""What the benchmarks share: one simulator for them all, percentiles, and a plain-text table."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

from miraflow_mock.testing import SimulatorHandle, start_simulator

__all__ = ["BENCH_KEY", "clock_offset", "median", "percentile", "simulator", "table"]

BENCH_KEY = "sk-bench-0001"


def simulator(*, time_scale: float, workers: int = 400) -> SimulatorHandle:
    """A real-clock simulator for benchmarks: enough render slots that no job queues, credits to spare."""
    return start_simulator(
        clock="real", time_scale=time_scale, workers=workers, seed=7, tenants={BENCH_KEY: 10_000_000}
    )


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` quantile (0–1) of `values`, by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def clock_offset(sim: SimulatorHandle) -> float:
    """The simulator's clock minus `time.monotonic()`, from the sample with the shortest round trip."""
    best: tuple[float, float] | None = None
    for _ in range(7):
        before = time.monotonic()
        now = sim.now()
        after = time.monotonic()
        sample = (after - before, now - (before + after) / 2)
        if best is None or sample[0] < best[0]:
            best = sample
    assert best is not None
    return best[1]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A left-aligned text table."""
    cells = [[str(cell) for cell in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
