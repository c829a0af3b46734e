"""Jobs and their lifecycle, driven by the spec's `x-job-lifecycle`.

A job's whole future is planned when it is created: when it gets a render slot, how long it renders (drawn from its
mode's range in the spec, times the time scale), how its progress rises, and how it ends. Its state at any moment is
then a pure function of the clock, so nothing needs to run in the background and a restart resumes exactly.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from miraflow.spec import Lifecycle, Mode, lifecycle

__all__ = ["Job", "JobScript", "JobView", "Planner", "SlotSchedule", "SpecPlanner", "plan_job", "plan_jobs", "view"]

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
    message: str | None = None  # a scripted failure's message (POST /__admin/scenarios)
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


class Planner(Protocol):
    """Where a job's random future comes from: the spec's ranges (`SpecPlanner`), or a calibration file."""

    def duration(self, rng: random.Random, mode: Mode) -> float:
        """Render seconds on the service's clock (before the time scale)."""
        ...

    def failure(self, rng: random.Random, mode: Mode, fail_rate: float) -> str | None:
        """The failure state the job ends in, or None if it succeeds."""
        ...

    def queue(self, rng: random.Random, mode: Mode) -> float:
        """The least time (service seconds) it waits before rendering, besides waiting for a slot."""
        ...

    def curve(self, mode: Mode) -> Sequence[float] | None:
        """The mean progress curve (fractions at evenly spaced moments), or None for a straight line."""
        ...


class SpecPlanner:
    """The default: durations drawn from the mode's range in the spec, failures at `--fail-rate`."""

    def duration(self, rng: random.Random, mode: Mode) -> float:
        """Uniform over the mode's range."""
        return rng.uniform(mode.duration.min, mode.duration.max)

    def failure(self, rng: random.Random, mode: Mode, fail_rate: float) -> str | None:
        """A failure state, chosen evenly, for `fail_rate` of jobs."""
        if rng.random() < fail_rate:
            return rng.choice(sorted(lifecycle().failure_states))
        return None

    def queue(self, rng: random.Random, mode: Mode) -> float:
        """No wait beyond the tenant's render slots."""
        return 0.0

    def curve(self, mode: Mode) -> Sequence[float] | None:
        """A straight line (jittered per job)."""
        return None


SPEC_PLANNER = SpecPlanner()


@dataclass(frozen=True)
class JobScript:
    """What a scenario rule decides about one job, overriding the planner (None: leave it to the planner)."""

    outcome: str | None = None
    message: str | None = None
    at_progress: float | None = None  # percent of the progress curve at which a failure happens
    duration: float | None = None  # render seconds on the service's clock (before the time scale)


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
    planner: Planner | None = None,
    script: JobScript | None = None,
) -> Job:
    """Plan a new job's future: slot, render time, progress curve and outcome."""
    spec = lifecycle()
    planner = planner or SPEC_PLANNER
    seed = rng.randrange(2**31)
    job_rng = random.Random(seed)
    duration = planner.duration(job_rng, mode) * time_scale
    outcome = spec.success_state
    ends_after = duration
    if failure := planner.failure(job_rng, mode, fail_rate):
        outcome = failure
        ends_after = duration * job_rng.uniform(0.1, 0.9)  # it fails partway through rendering
    segments = _KNOTS - 1
    moments = sorted((i + PROGRESS_JITTER * (2.0 * job_rng.random() - 1.0)) / segments for i in range(1, segments))
    mean = planner.curve(mode)
    steps = moments if mean is None else [_along(mean, moment) for moment in moments]
    knots = (0.0, *steps, 1.0)
    queue = planner.queue(job_rng, mode) * time_scale
    message = None
    if script is not None:
        if script.duration is not None:
            ends_after = ends_after / duration * script.duration * time_scale if duration > 0 else 0.0
            duration = script.duration * time_scale
        if script.outcome is not None:
            outcome = script.outcome
            if outcome == spec.success_state:
                ends_after = duration
            elif failure is None and script.at_progress is None:
                ends_after = duration * 0.5
        if script.at_progress is not None and outcome != spec.success_state:
            ends_after = duration * _moment_of(knots, script.at_progress / 100.0)
        message = script.message
    slot, started_at = slots.reserve(now)
    started_at = max(started_at, now + queue)
    ended_at = started_at + ends_after
    slots.occupy(slot, ended_at)
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
        knots=knots,
        media_id=media_id,
        message=message,
    )


def plan_jobs(mode: Mode, *, count: int, time_scale: float = 1.0, seed: int = 11) -> list[Job]:
    """`count` jobs of `mode` created at 0 with a free slot each, as the spec plans them (for replays on a fake clock).

    Seeded, so a replay (the waiter's benchmark, its tests) sees the same jobs every run; `time_scale` stretches them.
    """
    rng = random.Random(seed)
    return [
        plan_job(
            rng=rng,
            job_id=f"job-{i}",
            video_id=f"video-{i}",
            tenant="replay",
            avatar_id="avatar",
            name=f"job {i}",
            mode=mode,
            cost=1,
            speech_seconds=1.0,
            now=0.0,
            slots=SlotSchedule(1),
            time_scale=time_scale,
            fail_rate=0.0,
        )
        for i in range(count)
    ]


def _along(curve: Sequence[float], moment: float) -> float:
    """The value of a piecewise linear curve (evenly spaced points from 0 to 1) at `moment` (0 to 1)."""
    position = min(max(moment, 0.0), 1.0) * (len(curve) - 1)
    index = min(int(position), len(curve) - 2)
    return curve[index] + (curve[index + 1] - curve[index]) * (position - index)


def _moment_of(knots: Sequence[float], fraction: float) -> float:
    """The first moment of the render (0 to 1) at which the progress curve reaches `fraction`."""
    if fraction <= knots[0]:
        return 0.0
    segments = len(knots) - 1
    for index in range(segments):
        low, high = knots[index], knots[index + 1]
        if high >= fraction:
            within = (fraction - low) / (high - low) if high > low else 0.0
            return (index + within) / segments
    return 1.0


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
