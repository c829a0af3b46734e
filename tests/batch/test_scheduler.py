"""The one polling scheduler: every job followed to its end, queued jobs left alone, failures and 429s handled.

On a virtual clock shared by the service, the scheduler and its rate gate: exact, and fast on a busy machine.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from types import SimpleNamespace

import httpx

from miraflow._exceptions import JobFailedError, RateLimitError, status_error
from miraflow.batch.pacing import Pacing, RateGate
from miraflow.batch.scheduler import PollScheduler, WaitingJob
from miraflow.spec import lifecycle
from miraflow.types import JobState, JobStatus
from tests.virtual_clock import VirtualClock

SCALE = 0.002


class FifoService:
    """Jobs on `slots` render slots, started in the order they were created; durations from the spec (scaled)."""

    def __init__(self, durations: list[float], *, slots: int, fail: frozenset[int] = frozenset()) -> None:
        self.clock = VirtualClock()
        self.t0 = self.clock.now()
        free = [self.t0] * slots
        self.spans: list[tuple[float, float]] = []
        for duration in durations:
            slot = min(range(slots), key=free.__getitem__)
            start = free[slot]
            free[slot] = start + duration
            self.spans.append((start, start + duration))
        self.fail = fail
        self.polls: Counter[str] = Counter()
        self.rate_limit_next = 0

    async def fetch(self, job_id: str) -> JobStatus:
        index = int(job_id)
        now = self.clock.now()
        if self.rate_limit_next:
            self.rate_limit_next -= 1
            request = httpx.Request("GET", "https://x/api/video/1/status")
            response = httpx.Response(429, json={"result": "failure", "error": "slow down"}, request=request)
            response.headers["Retry-After"] = "0.05"
            raise status_error(response)
        start, end = self.spans[index]
        if now < start:
            state = "queued"
            self.polls["queued"] += 1
            return JobStatus(job_id=job_id, status=JobState(lifecycle().initial))
        if now < end:
            self.polls["working"] += 1
            progress = int(100 * (now - start) / (end - start))
            return JobStatus(job_id=job_id, status=JobState(lifecycle().progress_state), progress=progress)
        self.polls["done"] += 1
        if index in self.fail:
            return JobStatus(job_id=job_id, status=JobState("inference_failed"))
        state = lifecycle().success_state
        return JobStatus(job_id=job_id, status=JobState(state), video_id=f"video-{index}")


async def _follow(
    service: FifoService, jobs: int
) -> tuple[dict[int, str], dict[int, str], PollScheduler, dict[int, float]]:
    clock = service.clock
    completed: dict[int, str] = {}
    failed: dict[int, str] = {}
    seen_done: dict[int, float] = {}

    def complete(job: WaitingJob, status: JobStatus) -> None:
        assert status.video_id is not None
        completed[job.key] = status.video_id
        seen_done[job.key] = clock.now()

    def fail(job: WaitingJob, error: JobFailedError) -> None:
        failed[job.key] = error.state

    def broken(job: WaitingJob, error: Exception) -> None:
        raise AssertionError(f"job {job.key}: {error}")

    scheduler = PollScheduler(
        fetch=service.fetch,
        pacing=Pacing(clock, RateGate(clock), SCALE, random.Random(5)),
        events=SimpleNamespace(
            job_status=lambda job, status: None, job_complete=complete, job_failed=fail, job_error=broken
        ),
    )
    for index in range(jobs):
        scheduler.add(WaitingJob(index, str(index), "face_cropped", seq=index + 1, sent_at=service.t0))
    scheduler.close()
    await asyncio.wait_for(scheduler.run(), 30)  # real seconds: the virtual run takes milliseconds
    return completed, failed, scheduler, seen_done


async def test_every_job_is_followed_to_its_end_and_queued_jobs_are_left_alone() -> None:
    rng = random.Random(3)
    mode = lifecycle().mode("face_cropped").duration.scaled(SCALE)
    durations = [rng.uniform(mode.min, mode.max) for _ in range(24)]
    service = FifoService(durations, slots=2, fail=frozenset({5}))
    completed, failed, scheduler, seen_done = await _follow(service, 24)
    assert failed == {5: "inference_failed"}
    assert completed == {index: f"video-{index}" for index in range(24) if index != 5}
    # Polls that found a job still queued: the first round (before the queue is known) and a few fallbacks.
    assert service.polls["queued"] <= 12, service.polls
    assert scheduler.polls == sum(service.polls.values())
    assert scheduler.polls / 24 < 6, service.polls
    lags = [seen_done[i] - service.spans[i][1] for i in completed]
    assert max(lags) < 0.25, max(lags)  # the lag budget is 9 ms here; virtual time is exact


async def test_a_429_pauses_and_is_honoured() -> None:
    service = FifoService([0.05, 0.05], slots=2)
    service.rate_limit_next = 2
    completed, _, _, _ = await _follow(service, 2)
    assert set(completed) == {0, 1}


def test_rate_limit_errors_are_typed() -> None:
    request = httpx.Request("GET", "https://x/")
    assert isinstance(status_error(httpx.Response(429, request=request)), RateLimitError)
