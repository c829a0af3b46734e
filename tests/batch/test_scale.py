"""Scale: a 10,000-row campaign against the simulator, run by one process, with flat memory under 200 MB.

Slow (the simulator renders 10,000 MP4s): runs with MIRAFLOW_SOAK=1 (`nox -s soak`), as does `python -m bench.batch
--scale 10000`, which prints the same figures.
"""

from __future__ import annotations

import os

import pytest

from bench.batch import measure_scale


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.skipif(os.environ.get("MIRAFLOW_SOAK") != "1", reason="the soak runs with MIRAFLOW_SOAK=1 (nox -s soak)")
def test_ten_thousand_rows_in_flat_memory() -> None:
    rows = int(os.environ.get("MIRAFLOW_SCALE_ROWS", "10000"))
    result = measure_scale(rows=rows)
    print(f"{rows} rows in {result.elapsed:.0f} s: peak RSS {result.peak_mb:.0f} MB, quarters {result.quarters_mb}")
    assert result.counts["downloaded"] == rows
    assert result.peak_mb < 200
    assert result.flat, result.quarters_mb
