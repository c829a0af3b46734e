"""Campaigns against the simulator, from Python, under injected faults: the same invariants every time.

One job per row (the service's own record), every row downloaded or failed with its reason, no partial file, and the
fault's own rule: a 429 pauses the whole batch for its Retry-After; a create that may have made a job is found by
name, one that did not is ambiguous and created again only on request.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from miraflow import AsyncMiraflow
from miraflow.batch import InvalidRowsError, Outcome, RowState, campaign_status, run_campaign
from miraflow.batch.ledger import Ledger
from miraflow.spec import lifecycle
from miraflow_mock.testing import SimulatorHandle
from tests.batch.conftest import (
    BATCH_KEY,
    SIM_OPTIONS,
    TIME_SCALE,
    assert_campaign_settled,
    campaign_rows,
    jobs_per_row,
    write_csv,
)

pytestmark = pytest.mark.timeout(120)


def _client(sim: SimulatorHandle) -> AsyncMiraflow:
    return AsyncMiraflow(BATCH_KEY, base_url=sim.api_root, max_retries=0)


async def test_a_campaign_runs_and_a_rerun_sends_nothing_again(sim: SimulatorHandle, tmp_path: Path) -> None:
    file = write_csv(tmp_path / "c.csv", campaign_rows(10, full_background_every=5, video_every=3))
    out = tmp_path / "out"
    async with _client(sim) as client:
        result = await run_campaign(file, out, client=client, time_scale=TIME_SCALE)
    assert result.outcome == Outcome.DONE, result.problems
    assert result.counts[RowState.DOWNLOADED] == 10
    assert_campaign_settled(sim, out, 10)
    modes = {job["mode"] for job in sim.jobs()}
    assert modes == set(lifecycle().modes)
    before = len(sim.requests())
    async with _client(sim) as client:
        again = await run_campaign(file, out, client=client, time_scale=TIME_SCALE)
    assert again.outcome == Outcome.DONE and again.creates == 0 and again.downloads == 0
    paths = {entry["path"] for entry in sim.requests()[before:]}
    assert paths == {"/api/avatars"}  # files verified by SHA-256 locally, nothing fetched again
    (out / "Hello Person1 #1.mp4").write_bytes(b"tampered")
    async with _client(sim) as client:
        third = await run_campaign(file, out, client=client, time_scale=TIME_SCALE)
    assert third.downloads == 1 and third.creates == 0
    assert_campaign_settled(sim, out, 10)
    with Ledger.open(out, create=False) as ledger:  # each file is the service's MP4, byte for byte
        row = ledger.get(1)
    assert row.video_id is not None
    body = httpx.get(f"{sim.api_root}/video/{row.video_id}/download", headers={"x-api-key": BATCH_KEY}).content
    assert hashlib.sha256(body).hexdigest() == row.sha256


async def test_rate_limits_pause_the_whole_batch(sim: SimulatorHandle, tmp_path: Path) -> None:
    pause = 0.6
    sim.add_fault(operationId="createVideo", status=429, retryAfter=pause, count=2)
    sim.add_fault(operationId="getJobStatus", status=429, retryAfter=pause, count=2)
    sim.add_fault(operationId="downloadVideo", status=429, retryAfter=pause, count=1)
    file = write_csv(tmp_path / "c.csv", campaign_rows(8))
    out = tmp_path / "out"
    async with _client(sim) as client:
        result = await run_campaign(file, out, client=client, time_scale=TIME_SCALE, concurrency=2)
    assert result.outcome == Outcome.DONE, result.problems
    assert_campaign_settled(sim, out, 8)
    journal = [entry for entry in sim.requests() if entry["path"].startswith("/api/")]
    limited = [entry["time"] for entry in journal if entry["status"] == 429]
    assert len(limited) == 5
    for moment in limited:  # requests already in flight land within moments; none is sent during the pause
        during = [e for e in journal if moment + 0.15 < e["time"] < moment + pause - 0.05]
        assert during == [], during


async def test_server_errors_and_dropped_connections(sim: SimulatorHandle, tmp_path: Path) -> None:
    # Creates: a 500 and a 503 (not handled: no job) and a drop before handling: each may have made a job, so each
    # is reconciled, found missing (ambiguous), and created again because recreate_ambiguous is on. Two drops after
    # handling: the job exists, its answer is lost; reconciled by name, found, never created again.
    sim.add_fault(operationId="createVideo", status=500, count=1)
    sim.add_fault(operationId="createVideo", drop="after", count=2)
    sim.add_fault(operationId="createVideo", status=503, count=1)
    sim.add_fault(operationId="createVideo", drop="before", count=1)
    sim.add_fault(operationId="getJobStatus", status=500, count=3)
    sim.add_fault(operationId="getJobStatus", drop="before", count=2)
    sim.add_fault(operationId="getJobStatus", status=503, retryAfter=0.05, count=2)
    sim.add_fault(operationId="downloadVideo", truncate=True, count=3)
    sim.add_fault(operationId="downloadVideo", drop="before", count=1)
    sim.add_fault(operationId="listVideos", status=500, count=1)
    file = write_csv(tmp_path / "c.csv", campaign_rows(10, video_every=4))
    out = tmp_path / "out"
    async with _client(sim) as client:
        result = await run_campaign(
            file, out, client=client, time_scale=TIME_SCALE, concurrency=3, recreate_ambiguous=True
        )
    assert result.outcome == Outcome.DONE, result.problems
    assert_campaign_settled(sim, out, 10, exactly_once_journal=False)  # two accepted creates had no answer
    with Ledger.open(out, create=False) as ledger:
        rows = list(ledger.rows())
    found_by_name = [row for row in rows if row.job_id is None]
    recreated = [row for row in rows if row.attempt == 2]
    assert len(found_by_name) == 2, [(r.key, r.attempt, r.job_id) for r in rows]
    assert len(recreated) == 3
    assert sim.admin("GET", "/faults")["faults"] == []  # every fault happened
    for row in rows:  # the truncated bodies were fetched again: every file is whole
        assert row.size and row.size > 1000


async def test_failed_jobs_are_reported_and_never_created_again(
    miraflow_simulator_factory: object, tmp_path: Path
) -> None:
    options = {**SIM_OPTIONS, "fail_rate": 0.35, "seed": 5}
    sim: SimulatorHandle = miraflow_simulator_factory(**options)  # type: ignore[operator]
    file = write_csv(tmp_path / "c.csv", campaign_rows(12))
    out = tmp_path / "out"
    async with _client(sim) as client:
        result = await run_campaign(file, out, client=client, time_scale=TIME_SCALE)
    failed = result.counts[RowState.FAILED]
    assert failed, "seed 5 at a 35 % fail rate fails some jobs"
    assert result.outcome == Outcome.ROWS_FAILED
    assert result.counts[RowState.DOWNLOADED] == 12 - failed
    assert_campaign_settled(sim, out, 12)
    status = campaign_status(out)
    assert len(status.troubles) == failed
    for row in status.troubles:
        assert row.failure in lifecycle().failure_states and row.error and row.job_id
    creates = sim.count_requests("POST", "/api/video/create")
    async with _client(sim) as client:
        again = await run_campaign(file, out, client=client, time_scale=TIME_SCALE)
    assert again.outcome == Outcome.ROWS_FAILED and again.creates == 0
    assert sim.count_requests("POST", "/api/video/create") == creates


async def test_not_enough_credits_halts_creating_and_a_rerun_finishes(sim: SimulatorHandle, tmp_path: Path) -> None:
    sim.set_credits(BATCH_KEY, 3)  # a short script costs 1 credit
    file = write_csv(tmp_path / "c.csv", campaign_rows(6))
    out = tmp_path / "out"
    async with _client(sim) as client:
        result = await run_campaign(file, out, client=client, time_scale=TIME_SCALE, concurrency=1)
    assert result.halted and "not enough credits" in result.halted
    assert result.outcome == Outcome.UNFINISHED
    assert result.counts[RowState.DOWNLOADED] == 3
    sim.set_credits(BATCH_KEY, 1000)
    async with _client(sim) as client:
        again = await run_campaign(file, out, client=client, time_scale=TIME_SCALE)
    assert again.outcome == Outcome.DONE
    assert_campaign_settled(sim, out, 6)
    sim.set_credits(BATCH_KEY, 10_000_000)


async def test_invalid_rows_send_nothing(sim: SimulatorHandle, tmp_path: Path) -> None:
    rows = campaign_rows(4)
    rows[1]["avatar"] = "Nobody"
    rows[2]["first_name"] = ""
    file = write_csv(tmp_path / "c.csv", rows)
    async with _client(sim) as client:
        with pytest.raises(InvalidRowsError) as caught:
            await run_campaign(file, tmp_path / "out", client=client, time_scale=TIME_SCALE)
    assert [error.line for error in caught.value.errors] == [3, 4, 4]
    assert sim.count_requests("POST", "/api/video/create") == 0
    assert not (tmp_path / "out").exists()
    async with _client(sim) as client:
        result = await run_campaign(file, tmp_path / "out", client=client, time_scale=TIME_SCALE, skip_invalid=True)
    assert result.outcome == Outcome.DONE
    assert result.counts[RowState.SKIPPED] == 2 and result.counts[RowState.DOWNLOADED] == 2
    assert sum(jobs_per_row(sim).values()) == 2
