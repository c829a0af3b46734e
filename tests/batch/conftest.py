"""Shared pieces of the campaign tests: campaign files, the simulator they run against, and the invariants."""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from miraflow.batch.files import partial_files
from miraflow.batch.ledger import LEDGER_NAME, Ledger, RowState
from miraflow.batch.naming import token_in
from miraflow_mock.testing import SimulatorHandle

BATCH_KEY = "sk-batch-test-7f3a91c2e5d8"  # unique: tests scan every output for it
TIME_SCALE = 0.002
WORKERS = 4
SIM_OPTIONS: dict[str, Any] = {
    "clock": "real",
    "time_scale": TIME_SCALE,
    "workers": WORKERS,
    "seed": 11,
    "tenants": {BATCH_KEY: 10_000_000},
}
SRC = Path(__file__).resolve().parents[2] / "src"

AVATARS = {"photo": "Margot", "photo2": "Miraflow Muse", "video": "Aerin"}


@pytest.fixture
def sim(miraflow_simulator_factory: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    """A real-clock simulator 500x faster than real time, four render slots, reset for this test."""
    # Business failures as 4xx: accepted_creates_per_row tells an accepted create by its 200 in the request journal,
    # which a 200 failure body would blur. The 2xx placement is covered by tests/simulator and the SDK's error tests.
    return miraflow_simulator_factory(**SIM_OPTIONS, business_errors="4xx")


def campaign_rows(count: int, *, full_background_every: int = 0, video_every: int = 0) -> list[dict[str, str]]:
    """`count` rows with placeholders; every n-th a full-background video, every m-th a video avatar."""
    rows = []
    for i in range(1, count + 1):
        avatar, full = AVATARS["photo"] if i % 2 else AVATARS["photo2"], ""
        if full_background_every and i % full_background_every == 0:
            full = "true"
        elif video_every and i % video_every == 0:
            avatar = AVATARS["video"]
        rows.append(
            {
                "avatar": avatar,
                "name": "Hello {first_name} #{n}",
                "text": "Hi {first_name}, this is your personal offer number {n}.",
                "full_background": full,
                "first_name": f"Person{i}",
                "n": str(i),
            }
        )
    return rows


def write_csv(path: Path, rows: Sequence[dict[str, str]]) -> Path:
    columns = list(dict.fromkeys(column for row in rows for column in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def cli_env(sim: SimulatorHandle, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MIRAFLOW_")}
    env.update(
        {
            "MIRAFLOW_API_KEY": BATCH_KEY,
            "MIRAFLOW_BASE_URL": sim.api_root,
            "MIRAFLOW_TIME_SCALE": str(TIME_SCALE),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH", "")])),
        }
    )
    env.update(extra)
    return env


def batch_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "miraflow.batch", *args]


def run_cli(sim: SimulatorHandle, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        batch_command(*args), env=cli_env(sim, **env), capture_output=True, text=True, timeout=timeout, check=False
    )


def jobs_per_row(sim: SimulatorHandle) -> Counter[int]:
    """How many jobs the service made for each row (the authority on accepted creates), by row key."""
    counts: Counter[int] = Counter()
    for job in sim.jobs():
        token = token_in(job["name"])
        if token is not None:
            counts[int(token.split("-")[2])] += 1
    return counts


def accepted_creates_per_row(sim: SimulatorHandle) -> Counter[int]:
    """POST /api/video/create answered 200, per row key, from the request journal's bodies."""
    counts: Counter[int] = Counter()
    for entry in sim.requests():
        if entry["method"] == "POST" and entry["path"] == "/api/video/create" and entry["status"] == 200:
            token = token_in(entry["body"]["name"])
            if token is not None:
                counts[int(token.split("-")[2])] += 1
    return counts


def assert_campaign_settled(
    sim: SimulatorHandle, folder: Path, rows: int, *, exactly_once_journal: bool = True
) -> dict[RowState, int]:
    """The invariants: one job per row, every row downloaded (or failed with its reason), no partial file."""
    with Ledger.open(folder, create=False) as ledger:
        records = list(ledger.rows())
        counts = ledger.counts()
    assert len(records) == rows
    jobs = jobs_per_row(sim)
    for record in records:
        assert jobs[record.key] == 1, f"row {record.key} ({record.name}) has {jobs[record.key]} jobs"
        if record.state == RowState.DOWNLOADED:
            path = folder / record.file
            assert path.is_file(), path
            assert hashlib.sha256(path.read_bytes()).hexdigest() == record.sha256
            assert path.stat().st_size == record.size
        else:
            assert record.state == RowState.FAILED, (record.key, record.state, record.error)
            assert record.error
    assert set(jobs) <= {record.key for record in records}
    if exactly_once_journal:
        accepted = accepted_creates_per_row(sim)
        assert all(accepted[record.key] == 1 for record in records), accepted
    assert partial_files(folder) == []
    expected = {LEDGER_NAME} | {r.file for r in records if r.state == RowState.DOWNLOADED}
    assert {path.name for path in folder.iterdir()} == expected
    return counts
