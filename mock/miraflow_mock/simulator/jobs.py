"""Jobs and their lifecycle, driven by the spec's `x-job-lifecycle`.

A job's whole future is planned when it is created: when it gets a render slot, how long it renders (drawn from its
mode's range in the spec, times the time scale), how its progress rises, and how it ends. Its state at any moment is
then a pure function of the clock, so nothing needs to run in the background and a restart resumes exactly.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from miraflow.spec import Lifecycle, Mode, lifecycle

__all__ = ["Job", "JobView", "SlotSchedule", "plan_job", "view"]

# Progress is piecewise linear through _KNOTS evenly spaced moments of the render, each knot jittered off the straight
# line by up to PROGRESS_JITTER of a segment either way: it rises at an uneven pace (never down) and stays near the
# share of the render done, as a frame counter does.
_KNOTS = 8
PROGRESS_JITTER = 0.5


@dataclass
class Job:
    """A video generation job and its planned future."""

    id: str
    tenant: str  # the tenant's key
    avatar_id: str
    name: str
    mode: str
    video_id: str
    cost: int
    speech_seconds: float
    created_at: float
    slot: int
    started_at: float  # when it gets its render slot
    ended_at: float  # when it reaches its terminal state
    outcome: str  # the terminal state it will reach
    duration: float  # render time drawn from the mode's range, scaled
    seed: int
    knots: tuple[float, ...]  # progress fractions at evenly spaced moments of the render, rising
    media_id: str | None = None
    polls: int = field(default=0, compare=False)

    def to_record(self) -> dict[str, Any]:
        """A JSON-able record, for persistence."""
        record = dict(self.__dict__)
        record["knots"] = list(self.knots)
        record.pop("polls")
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Job:
        """Rebuild a job from `to_record()`."""
        return cls(**{**record, "knots": tuple(record["knots"])})


class JobView(NamedTuple):
    """What a job looks like at one moment (a tuple: made on every status request, so cheap to make)."""

    state: str
    progress: int | None  # 0–100 while rendering, else None


class SlotSchedule:
    """One tenant's render slots: when each becomes free. Jobs take the earliest free slot, first come first served.

    A heap of (free at, slot) keeps that O(log slots); entries made stale by a later `occupy` are skipped lazily.
    """

    def __init__(self, workers: int) -> None:
        self.free_at = [0.0] * workers
        self._heap = [(0.0, slot) for slot in range(workers)]

    def reserve(self, now: float) -> tuple[int, float]:
        """The slot the next job gets and when it starts rendering there."""
        while True:
            free_at, slot = self._heap[0]
            if free_at == self.free_at[slot]:
                return slot, max(now, free_at)
            heapq.heappop(self._heap)  # stale: the slot was occupied again since

    def occupy(self, slot: int, until: float) -> None:
        """Mark `slot` busy until `until`."""
        if until > self.free_at[slot]:
            self.free_at[slot] = until
            heapq.heappush(self._heap, (until, slot))


def plan_job(
    *,
    rng: random.Random,
    job_id: str,
    video_id: str,
    tenant: str,
    avatar_id: str,
    name: str,
    mode: Mode,
    cost: int,
    speech_seconds: float,
    now: float,
    slots: SlotSchedule,
    time_scale: float,
    fail_rate: float,
    media_id: str | None = None,
) -> Job:
    """Plan a new job's future: slot, render time, progress curve and outcome."""
    spec = lifecycle()
    seed = rng.randrange(2**31)
    job_rng = random.Random(seed)
    duration = job_rng.uniform(mode.duration.min, mode.duration.max) * time_scale
    outcome = spec.success_state
    ends_after = duration
    if job_rng.random() < fail_rate:
        outcome = job_rng.choice(sorted(spec.failure_states))
        ends_after = duration * job_rng.uniform(0.1, 0.9)  # it fails partway through rendering
    slot, started_at = slots.reserve(now)
    ended_at = started_at + ends_after
    slots.occupy(slot, ended_at)
    segments = _KNOTS - 1
    steps = sorted((i + PROGRESS_JITTER * (2.0 * job_rng.random() - 1.0)) / segments for i in range(1, segments))
    return Job(
        id=job_id,
        tenant=tenant,
        avatar_id=avatar_id,
        name=name,
        mode=mode.name,
        video_id=video_id,
        cost=cost,
        speech_seconds=speech_seconds,
        created_at=now,
        slot=slot,
        started_at=started_at,
        ended_at=ended_at,
        outcome=outcome,
        duration=duration,
        seed=seed,
        knots=(0.0, *steps, 1.0),
        media_id=media_id,
    )


def view(job: Job, now: float, *, spec: Lifecycle | None = None) -> JobView:
    """The job's state (and progress) at `now`."""
    spec = spec or lifecycle()
    if now >= job.ended_at:
        return JobView(job.outcome, None)
    if now < job.started_at:
        return JobView(spec.initial, None)
    return JobView(spec.progress_state, _progress(job, now))


def _progress(job: Job, now: float) -> int:
    """Whole percent rendered: the job's jittered curve, rising, below 100 until it completes."""
    fraction = (now - job.started_at) / job.duration if job.duration > 0 else 1.0
    position = min(max(fraction, 0.0), 1.0) * (len(job.knots) - 1)
    index = min(int(position), len(job.knots) - 2)
    low, high = job.knots[index], job.knots[index + 1]
    value = low + (high - low) * (position - index)
    return min(99, int(value * 100))
