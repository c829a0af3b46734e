"""`--retry-failed`: a row whose job failed is created again, once per retry, within `--max-attempts`, never twice.

Job failures are scripted on the simulator (`add_scenario`): exactly the rows named fail, as many times as asked.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from miraflow import AsyncMiraflow
from miraflow.batch import Outcome, RowState, run_campaign
from miraflow.batch.ledger import LEDGER_NAME, Ledger, LedgerError
from miraflow.batch.naming import token_in
from miraflow.batch.rows import Row
from miraflow.types import Avatar
from miraflow_mock.testing import SimulatorHandle
from tests.batch.conftest import (
    BATCH_KEY,
    TIME_SCALE,
    accepted_creates_per_row,
    campaign_rows,
    jobs_per_row,
    run_cli,
    write_csv,
)

pytestmark = pytest.mark.timeout(120)

_AVATAR = Avatar.from_dict(
    {"id": "a1", "name": "Margot", "createdAt": "2024-01-01T00:00:00Z", "voiceId": "v1", "isPhoto": True}
)


def _row(key: int) -> Row:
    return Row(
        key=key,
        line=key + 1,
        name=f"Video {key}",
        text="Hi",
        avatar=_AVATAR,
        full_background=None,
        voice_id=None,
        mode="face_cropped",
        file=f"Video {key}.mp4",
    )


def _failed_job(ledger: Ledger, key: int, job_id: str, state: str = "inference_failed") -> None:
    ledger.mark_creating(key)
    ledger.mark_created(key, job_id)
    ledger.mark_failed(key, state, f"job {job_id} ended in {state}")


def _client(sim: SimulatorHandle) -> AsyncMiraflow:
    return AsyncMiraflow(BATCH_KEY, base_url=sim.api_root, max_retries=0)


def _fail(sim: SimulatorHandle, row: int, *, times: int, outcome: str = "inference_failed") -> None:
    sim.add_scenario(match={"name": f"Hello Person{row} #{row} *"}, outcome=outcome, count=times)


def _jobs_by_state(sim: SimulatorHandle, row: int) -> Counter[str]:
    return Counter(job["state"] for job in sim.jobs() if (token_in(job["name"]) or "").split("-")[2:3] == [str(row)])


# --- the ledger --------------------------------------------------------------------------------------------------


def test_a_failed_job_is_retried_within_the_bound_with_its_history(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "out") as ledger:
        ledger.sync([_row(1), _row(2), _row(3)], [])
        _failed_job(ledger, 1, "job-1")
        assert ledger.mark_retry(1, max_attempts=2)
        retried = ledger.get(1)
        assert (retried.state, retried.attempt, retried.job_id, retried.api_name) == (RowState.PENDING, 2, None, None)
        assert [dict(entry) for entry in retried.history] == [
            {
                "attempt": 1,
                "jobId": "job-1",
                "failure": "inference_failed",
                "error": "job job-1 ended in inference_failed",
            }
        ]
        assert (ledger.mark_creating(1).api_name or "").endswith(f"[mf-{ledger.campaign_id}-1-2]")
        ledger.mark_created(1, "job-1b")
        ledger.mark_failed(1, "inference_error", "again")
        assert not ledger.mark_retry(1, max_attempts=2)  # two attempts made: the bound holds
        assert ledger.get(1).state == RowState.FAILED
        assert ledger.mark_retry(1, max_attempts=3)
        assert ledger.get(1).attempt == 3 and len(ledger.get(1).history) == 2

        ledger.mark_creating(2)  # refused creates and failed downloads are not job failures: not retried this way
        ledger.mark_refused(2, "the API refused the create")
        assert not ledger.mark_retry(2, max_attempts=5)
        ledger.mark_creating(3)
        ledger.mark_created(3, "job-3")
        ledger.mark_complete(3, "video-3")
        ledger.mark_failed(3, "download", "the download failed")
        assert not ledger.mark_retry(3, max_attempts=5)
        assert ledger.retry_failed(max_attempts=5) == []
    with Ledger.open(tmp_path / "out", create=False) as again:  # committed
        assert again.get(1).attempt == 3 and again.get(1).state == RowState.PENDING


def test_a_stale_retry_is_refused_by_the_transition(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "out") as ledger:
        ledger.sync([_row(1)], [])
        _failed_job(ledger, 1, "job-1")
        with pytest.raises(LedgerError):  # the attempt read before the write lock must still hold under it
            ledger._move(1, RowState.PENDING, expect={"attempt": 5}, attempt=6)
        assert ledger.get(1).state == RowState.FAILED


def test_a_version_1_ledger_is_migrated(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    with Ledger.open(folder) as ledger:
        ledger.sync([_row(1)], [])
        _failed_job(ledger, 1, "job-1")
    db = sqlite3.connect(folder / LEDGER_NAME)  # make it what version 1 wrote: no history column
    db.execute("ALTER TABLE rows DROP COLUMN history")
    db.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    db.commit()
    db.close()
    with Ledger.open(folder, create=False) as ledger:
        assert ledger.meta("schema") == "2"
        assert ledger.get(1).history == ()
        assert ledger.mark_retry(1, max_attempts=2)
        assert ledger.get(1).history[0]["jobId"] == "job-1"


# --- against the simulator ----------------------------------------------------------------------------------------


async def test_retry_failed_creates_each_failed_row_again_once(sim: SimulatorHandle, tmp_path: Path) -> None:
    file = write_csv(tmp_path / "c.csv", campaign_rows(4))
    out = tmp_path / "out"
    _fail(sim, 2, times=1)
    _fail(sim, 3, times=1, outcome="inference_error")
    async with _client(sim) as client:
        result = await run_campaign(file, out, client=client, time_scale=TIME_SCALE, retry_failed=True)
    assert result.outcome == Outcome.DONE, result.problems
    assert result.counts[RowState.DOWNLOADED] == 4 and result.retries == 2
    assert accepted_creates_per_row(sim) == Counter({1: 1, 2: 2, 3: 2, 4: 1})
    assert _jobs_by_state(sim, 2) == Counter({"inference_failed": 1, "inference_complete": 1})
    assert _jobs_by_state(sim, 3) == Counter({"inference_error": 1, "inference_complete": 1})
    with Ledger.open(out, create=False) as ledger:
        assert [ledger.get(key).attempt for key in (1, 2, 3, 4)] == [1, 2, 2, 1]
        assert ledger.get(2).history[0]["failure"] == "inference_failed"
        assert ledger.meta("max_attempts") == "2"
        campaign = ledger.campaign_id
    names = [job["name"] for job in sim.jobs() if job["state"] == "inference_complete"]
    assert any(name.endswith(f"[mf-{campaign}-2-2]") for name in names)  # the retry carries its attempt

    before = len(sim.jobs())  # done: a rerun with --retry-failed creates nothing
    async with _client(sim) as client:
        again = await run_campaign(file, out, client=client, time_scale=TIME_SCALE, retry_failed=True)
    assert again.creates == 0 and len(sim.jobs()) == before


async def test_the_bound_holds_across_runs(sim: SimulatorHandle, tmp_path: Path) -> None:
    file = write_csv(tmp_path / "c.csv", campaign_rows(2))
    out = tmp_path / "out"
    _fail(sim, 1, times=10)  # row 1's job always fails
    async with _client(sim) as client:
        first = await run_campaign(file, out, client=client, time_scale=TIME_SCALE)
    assert first.outcome == Outcome.ROWS_FAILED and first.retries == 0  # without --retry-failed: left failed
    assert jobs_per_row(sim)[1] == 1
    async with _client(sim) as client:
        second = await run_campaign(file, out, client=client, time_scale=TIME_SCALE, retry_failed=True)
    assert second.outcome == Outcome.ROWS_FAILED and second.retries == 1 and second.creates == 1
    assert jobs_per_row(sim)[1] == 2
    async with _client(sim) as client:
        third = await run_campaign(file, out, client=client, time_scale=TIME_SCALE, retry_failed=True)
    assert third.creates == 0 and jobs_per_row(sim)[1] == 2  # two attempts made: no third
    async with _client(sim) as client:
        fourth = await run_campaign(file, out, client=client, time_scale=TIME_SCALE, retry_failed=True, max_attempts=3)
    assert fourth.creates == 1 and jobs_per_row(sim)[1] == 3
    assert fourth.to_json()["problems"][0]["attempts"] == 3  # type: ignore[index]
    assert jobs_per_row(sim)[2] == 1


@pytest.mark.parametrize("point", ["response", "created"])
def test_a_crash_during_a_retry_never_pays_twice(sim: SimulatorHandle, tmp_path: Path, point: str) -> None:
    file = write_csv(tmp_path / "c.csv", campaign_rows(1))
    out = tmp_path / "out"
    _fail(sim, 1, times=1)
    # The first create is attempt 1; the second is the retry: the process dies right after it was answered.
    crashed = run_cli(
        sim, "run", str(file), "--out", str(out), "--yes", "--retry-failed", MIRAFLOW_BATCH_CRASH_AT=f"{point}:2"
    )
    assert crashed.returncode < 0 or crashed.returncode == 137, crashed.stderr
    assert jobs_per_row(sim)[1] == 2
    resumed = run_cli(sim, "run", str(file), "--out", str(out), "--yes", "--retry-failed", "--json")
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["counts"]["downloaded"] == 1 and summary["requests"]["creates"] == 0
    assert jobs_per_row(sim)[1] == 2 and accepted_creates_per_row(sim)[1] == 2  # found by its -2 tag, not sent again
    report = list(csv.DictReader(io.StringIO(run_cli(sim, "report", str(out)).stdout)))
    assert [(record["state"], record["attempts"]) for record in report] == [("downloaded", "2")]
    status = json.loads(run_cli(sim, "status", str(out), "--json").stdout)
    assert status["counts"]["downloaded"] == 1
