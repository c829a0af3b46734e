"""The proof: SIGKILL a real `python -m miraflow.batch run` at its worst moments, resume each time, and in the end the
simulator's journal shows exactly one accepted create per row, every row downloaded, and no partial file anywhere.

Kills come two ways: crash points (`MIRAFLOW_BATCH_CRASH_AT`) that make the process SIGKILL itself at a named moment
(a create's intent committed but not sent; a create's answer arrived but not recorded; a status answer in hand; a
download half written; a download in place but not recorded), and plain SIGKILLs from outside after a random delay.
The short version runs in CI; the long one (`MIRAFLOW_SOAK=1`, `nox -s soak`: 200+ rows, 20+ kills, faults injected
as well) is marked slow.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from miraflow.batch.files import partial_files
from miraflow.batch.ledger import LEDGER_NAME, Ledger, RowState
from miraflow_mock.testing import SimulatorHandle
from tests.batch.conftest import (
    SIM_OPTIONS,
    assert_campaign_settled,
    batch_command,
    campaign_rows,
    cli_env,
    write_csv,
)

KILLED = -signal.SIGKILL


def _run(
    sim: SimulatorHandle,
    file: Path,
    out: Path,
    *,
    crash: str | None = None,
    kill_after: float | None = None,
    env: dict[str, str] | None = None,
) -> int:
    """Run the campaign once; SIGKILL it after `kill_after` seconds if it still runs. Its return code."""
    extra = dict(env or {})
    if crash:
        extra["MIRAFLOW_BATCH_CRASH_AT"] = crash
    command = batch_command("run", str(file), "--out", str(out), "--yes", "--recreate-ambiguous", "--json")
    process = subprocess.Popen(
        command, env=cli_env(sim, **extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        _, stderr = process.communicate(timeout=kill_after if kill_after is not None else 300)
    except subprocess.TimeoutExpired:
        if kill_after is None:
            process.kill()
            raise
        process.send_signal(signal.SIGKILL)
        _, stderr = process.communicate(timeout=30)
    assert "Traceback" not in stderr, stderr
    assert process.returncode in (0, KILLED), (process.returncode, stderr)
    return process.returncode


def _check_ledger(out: Path) -> Counter[RowState]:
    """After any kill, the ledger opens and every row is in a state with the facts that state needs."""
    if not (out / LEDGER_NAME).exists():
        return Counter()
    with Ledger.open(out, create=False) as ledger:
        rows = list(ledger.rows())
    for row in rows:
        if row.state != RowState.PENDING:
            assert row.intent_seq is not None and row.api_name, row
        if row.state == RowState.CREATED:
            assert row.job_id, row
        if row.state in (RowState.COMPLETE, RowState.DOWNLOADED):
            assert row.video_id, row
        if row.state == RowState.DOWNLOADED:
            assert row.sha256 and (out / row.file).is_file(), row
    return Counter(row.state for row in rows)


def _campaign(
    sim: SimulatorHandle,
    tmp_path: Path,
    rows: int,
    *,
    plan: list[tuple[str, str | float]] | None = None,
    target_kills: int = 0,
    faults: bool = False,
    env: dict[str, str] | None = None,
) -> Counter[str]:
    """Run one campaign with kills (a fixed `plan`, or adaptive ones until `target_kills`), then to its end."""
    file = write_csv(tmp_path / "c.csv", campaign_rows(rows, full_background_every=6, video_every=5))
    out = tmp_path / "out"
    kills: Counter[str] = Counter()
    rng = random.Random(rows + faults)
    steps = iter(plan) if plan is not None else None
    for index in range(len(plan) if plan is not None else 4 * target_kills):
        if plan is None and sum(kills.values()) >= target_kills:
            break
        kind, value = next(steps) if steps is not None else _next_kill(rng, index, _check_ledger(out))
        if faults and index % 4 == 2:
            _inject_faults(sim, rng)
        if kind == "crash":
            code = _run(sim, file, out, crash=str(value), env=env)
            moment = str(value).split(":")[0]
        else:
            code = _run(sim, file, out, kill_after=float(value), env=env)
            moment = "random"
        if code == KILLED:
            kills[moment] += 1
            if moment == "download":
                assert partial_files(out), "killed mid-download: its temporary file stands until the next run"
        _check_ledger(out)
    sim.clear_faults()
    assert _run(sim, file, out, env=env) == 0
    assert _run(sim, file, out, env=env) == 0  # and once more: nothing to do, nothing sent
    assert_campaign_settled(sim, out, rows, exactly_once_journal=not faults)
    return kills


def _next_kill(rng: random.Random, index: int, counts: Counter[RowState]) -> tuple[str, str | float]:
    """A kill that can still happen, given where the rows stand: every moment in turn first, then at random."""
    started = sum(counts.values()) > 0
    moments = ["random"]
    if not started or counts[RowState.PENDING]:
        moments += ["intent", "response", "created"]
    if counts[RowState.CREATED] or counts[RowState.CREATING] or counts[RowState.PENDING] or not started:
        moments += ["poll", "download", "downloaded"]
    elif counts[RowState.COMPLETE]:
        moments += ["download", "downloaded"]
    order = ["intent", "response", "random", "created", "poll", "download", "random", "downloaded"]
    wanted = order[index % len(order)] if index < 2 * len(order) else rng.choice(moments)
    moment = wanted if wanted in moments else rng.choice(moments)
    if moment == "random":
        return "random", round(rng.uniform(0.8, 3.0), 2)
    return "crash", f"{moment}:{rng.randint(1, 8)}"


def _inject_faults(sim: SimulatorHandle, rng: random.Random) -> None:
    sim.add_fault(operationId="createVideo", status=429, retryAfter=0.2, count=1)
    sim.add_fault(operationId="createVideo", drop="after", count=1)
    sim.add_fault(operationId="createVideo", status=rng.choice([500, 503]), count=1)
    sim.add_fault(operationId="getJobStatus", status=503, retryAfter=0.05, count=2)
    sim.add_fault(operationId="getJobStatus", drop="before", count=1)
    sim.add_fault(operationId="downloadVideo", truncate=True, count=2)
    sim.add_fault(operationId="listVideos", status=429, retryAfter=0.1, count=1)


CI_PLAN: list[tuple[str, str | float]] = [
    ("crash", "intent:3"),  # the intent is committed, the create never sent
    ("crash", "response:2"),  # the create was accepted, its jobId never recorded
    ("crash", "response:3"),
    ("crash", "created:2"),
    ("random", 0.9),
    ("crash", "poll:5"),  # while waiting
    ("crash", "download:1"),  # mid-download: a temporary file is half written
    ("random", 1.6),
    ("crash", "downloaded:1"),  # the file is in place, not recorded
]


@pytest.mark.timeout(180)
def test_sigkill_at_the_worst_moments_then_resume(sim: SimulatorHandle, tmp_path: Path) -> None:
    kills = _campaign(sim, tmp_path, 16, plan=CI_PLAN)
    print(f"{sum(kills.values())} kills: {dict(kills)}")
    assert sum(kills.values()) >= 6, kills
    assert kills["response"] >= 1 and kills["intent"] >= 1, kills


SOAK_SCALE = 0.01  # slower than CI's simulator: the campaign lives long enough for many kills


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.skipif(os.environ.get("MIRAFLOW_SOAK") != "1", reason="the soak runs with MIRAFLOW_SOAK=1 (nox -s soak)")
@pytest.mark.parametrize("faults", [False, True], ids=["kills", "kills+faults"])
def test_soak_many_kills_over_a_large_campaign(
    miraflow_simulator_factory: Callable[..., SimulatorHandle], tmp_path: Path, faults: bool
) -> None:
    sim = miraflow_simulator_factory(**{**SIM_OPTIONS, "time_scale": SOAK_SCALE})
    rows = int(os.environ.get("MIRAFLOW_SOAK_ROWS", "220"))
    env = {"MIRAFLOW_TIME_SCALE": str(SOAK_SCALE)}
    kills = _campaign(sim, tmp_path, rows, target_kills=24, faults=faults, env=env)
    print(f"soak ({'with' if faults else 'without'} faults): {sum(kills.values())} kills: {dict(kills)}")
    assert sum(kills.values()) >= 20, kills
    assert {"intent", "response", "poll", "download", "random"} <= set(kills), kills
