"""The pace of plain progress lines (`miraflow.cli.plain_progress`), on an injected clock: no sleeping."""

from __future__ import annotations

import io

from miraflow import JobStatus
from miraflow.batch import RowState
from miraflow.cli.output import state_label
from miraflow.cli.plain_progress import CampaignLines, JobLines, LinePacer, TransferLines


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _status(state: str, progress: int | None = None, video_id: str | None = None) -> JobStatus:
    return JobStatus(job_id="job-1", status=state, progress=progress, video_id=video_id)  # type: ignore[arg-type]


def test_a_line_on_each_state_change_each_10_percent_step_and_a_heartbeat() -> None:
    clock = Clock()
    pacer = LinePacer(clock=clock, heartbeat=30, min_gap=2)
    assert pacer.due("queued")  # the first
    assert not pacer.due("queued")  # same state, nothing new
    assert pacer.due("rendering", 3)  # a new state, at once
    clock.now += 5
    assert not pacer.due("rendering", 7)  # same 10 % step
    assert pacer.due("rendering", 12)  # a new step, and 2 s since the last line
    clock.now += 0.5
    assert not pacer.due("rendering", 25)  # a new step, but too soon after the last line
    clock.now += 2
    assert pacer.due("rendering", 26)
    clock.now += 29
    assert not pacer.due("rendering", 26)
    clock.now += 1
    assert pacer.due("rendering", 26)  # the heartbeat: 30 s without a line
    assert pacer.due("rendering", 26, final=True)  # the end is always written


def test_a_thousand_polls_of_a_job_make_a_few_lines() -> None:
    clock = Clock()
    stream = io.StringIO()
    lines = JobLines("Hello", state_label, stream=stream, clock=clock)
    lines(_status("inference_started"))
    for percent in range(0, 100, 1):
        for _ in range(10):
            clock.now += 0.1
            lines(_status("inference_working", percent))
    lines(_status("inference_complete", video_id="v-1"))
    written = stream.getvalue().splitlines()
    assert written[0] == "Hello: queued, 0.0 s"
    assert written[1] == "Hello: rendering 0%, 0.1 s"
    assert written[-1] == "Hello: complete, 100.0 s"
    assert 10 <= len(written) <= 13  # states, ~one per 10 %, the end: not 1,002


def test_transfer_lines_say_the_bytes_and_the_share() -> None:
    clock = Clock()
    stream = io.StringIO()
    lines = TransferLines("Downloading video v-1", stream=stream, clock=clock)
    for sent in range(0, 1_000_001, 10_000):
        clock.now += 0.05
        lines(sent, 1_000_000)
    written = stream.getvalue().splitlines()
    assert written[0] == "Downloading video v-1: 0 bytes of 1.0 MB (0%), 0.0 s"
    assert written[-1] == "Downloading video v-1: 1.0 MB of 1.0 MB (100%), 5.0 s"
    assert len(written) <= 5  # 2 s apart at most, plus the first and the last


def test_campaign_lines_are_paced_and_the_last_counts_are_written_at_the_end() -> None:
    clock = Clock()
    stream = io.StringIO()
    counts = dict.fromkeys(RowState, 0)
    counts[RowState.PENDING] = 100
    with CampaignLines(lambda c: f"{c[RowState.DOWNLOADED]} downloaded", stream=stream, clock=clock) as lines:
        lines.update(counts)
        for _ in range(100):
            clock.now += 0.1
            counts[RowState.PENDING] -= 1
            counts[RowState.DOWNLOADED] += 1
            lines.update(counts)
    written = stream.getvalue().splitlines()
    assert written[0] == "campaign: 0/100 done · 0 downloaded, 0.0 s"
    assert written[-1] == "campaign: 100/100 done · 100 downloaded, 10.0 s"
    assert len(written) <= 4  # 10 s of moves, a line at most every 5 s
