"""Waiting for a job: an adaptive poll schedule (`PollPlanner`), the waiting rules (`WaitState`), and two loops.

The planner keeps a probability distribution for the moment the job finishes, from what it knows:

- the mode's duration range from the spec (`x-job-lifecycle` modes), scaled by `time_scale`: every duration in it
  equally likely. The range is an assumption, not a documented fact, and a client may not be told that a simulator
  runs faster: so a share of the prior (`POLL_SPEC_DOUBT`) doubts it, spread evenly in log scale over every duration
  from 1/50 to 20 times the range, and readings that contradict the range move the schedule to the pace they show;
- when the render started: not before the create was sent or the last poll that saw the job queued, and not after
  the first poll that saw it rendering;
- the progress readings: the latest and up to two earlier ones at least 10 points apart (so their errors are about
  independent). Progress is not linear in time, so a reading is weak evidence: the share of the render done is taken
  to lie in a band around it, widest mid-way and narrow near 0 and 100 % (near the end it narrows with the share
  left: the counter reaches 100 % at the finish), and a share of readings is allowed to mean nothing at all;
- the local pace: past mid-way, the slope between the last two readings extrapolated to 100 % puts the finish within a
  share of the time left (the last stretch of a render keeps its pace better than its share done tracks the clock);
- that the job was still running at the last poll.

The next poll goes where the chance that the job finished more than the lag budget earlier reaches a small risk
(`POLL_LATE_RISK`), or sooner if the lag it may have run up beyond the budget reaches, on average, a small allowance
(`POLL_EXCESS_LAG`: a long sleep risks a long lag), or sooner if a finish before it would more than rarely be seen late
(`POLL_LATE_SHARE`: near an uncertain end, many polls must not add up to many late sightings). Until a reading shows
the render's pace, a poll is a probe at most a lag budget (or the time already waited) after the last: a job far
faster than the spec says is seen within the budget. So polls are sparse while the job cannot be done yet, and dense
once it may be. They are never closer than the minimum interval nor further apart than the maximum, and each is
shortened by a little jitter. A job that outlasts even the doubted range stretches it instead of breaking the schedule.
The distribution is found on a coarse grid of durations over the whole prior, then on a fine one where the evidence
puts it, even in log scale of the time left (finest where the next poll is decided, whatever the job's scale).

Once the readings make a finish before the spec's shortest one unlikely (a spec-like pace), the excess allowance alone
does not pull a poll before that finish: the sleep leans on the spec's lower bound, so a job that follows the spec
costs one poll until then, and the caller still sees it rendering near its end.

A client learns its jobs' pace (`PaceHistory`, one per client, per mode and time scale): once a few jobs in a row
were still rendering a lag budget before the spec's shortest finish, the next job is planned trusting the range from
the start (no probe: its first poll is at that finish, where that is ahead and within the longest interval). One job
seen finished by then ends the trust: after a change of pace, each wait planned while trusted sees its job late once,
and the waits planned after probe again.

`WaitState` applies the rules around the polls: every observed status goes to `on_progress`; each terminal state of
the spec's lifecycle is handled by its outcome (success returns, failure raises `JobFailedError`); a transient
failure of the status request is waited out (honouring Retry-After), not fatal; the timeout raises
`WaitTimeoutError` with the last status. The sync and async loops only sleep and fetch.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import random
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import assert_never

import attrs

from miraflow._constants import (
    MAX_CONSECUTIVE_POLL_FAILURES,
    POLL_COARSE_POINTS,
    POLL_DOUBT_SPAN,
    POLL_EXCESS_LAG,
    POLL_FINEST_CELL,
    POLL_GRID_POINTS,
    POLL_JITTER,
    POLL_LAG_BUDGET,
    POLL_LATE_FLOOR,
    POLL_LATE_RISK,
    POLL_LATE_SHARE,
    POLL_LOCAL_FROM,
    POLL_LOCAL_MIN_RISE,
    POLL_LOCAL_RATE_SPREAD,
    POLL_MAX_INTERVAL,
    POLL_MIN_INTERVAL,
    POLL_READING_GAP,
    POLL_READINGS_KEPT,
    POLL_SPEC_DOUBT,
    POLL_START_POINTS,
    POLL_SUPPORT_TAIL,
    POLL_TRUST_AFTER,
    PROGRESS_FLOOR,
    PROGRESS_OUTLIER_SHARE,
    PROGRESS_SPREAD,
    RETRY_AFTER_CEILING,
)
from miraflow._exceptions import APIError, APIStatusError, JobFailedError, WaitTimeoutError
from miraflow._logging import logger
from miraflow._retry import is_transient, retry_after
from miraflow.clock import AsyncClock, Clock
from miraflow.spec import DurationRange, lifecycle
from miraflow.types import JobStatus

__all__ = [
    "START_AT_ONCE",
    "KnownJobs",
    "PaceHistory",
    "PollDecision",
    "PollPlanner",
    "ProgressCallback",
    "WaitState",
    "any_mode_duration",
    "new_planner",
    "wait_async",
    "wait_sync",
]

START_AT_ONCE = 0.5  # the prior weight of "the render started as early as it could"

ProgressCallback = Callable[[JobStatus], object]
"""Called with every status the waiter observes, terminal ones included."""


def any_mode_duration() -> DurationRange:
    """The duration range that covers every mode of the spec (for a job whose mode is unknown)."""
    modes = lifecycle().modes.values()
    return DurationRange(min(mode.duration.min for mode in modes), max(mode.duration.max for mode in modes))


def new_planner(
    mode: str | None,
    *,
    started_after: float | None,
    rng: random.Random,
    time_scale: float = 1.0,
    lag_budget: float = POLL_LAG_BUDGET,
    history: PaceHistory | None = None,
) -> PollPlanner:
    """A planner for a job of `mode` (None: unknown, any mode's range) whose render started after `started_after`.

    With a `history` (what the client learned of its earlier jobs' pace), the planner trusts the spec's range when
    that history does, and adds to it what this job shows when it succeeds.
    """
    duration = lifecycle().mode(mode).duration if mode is not None else any_mode_duration()
    planner = PollPlanner(
        duration=duration, started_after=started_after, rng=rng, time_scale=time_scale, lag_budget=lag_budget
    )
    if history is not None and mode is not None:  # a job of unknown mode says nothing of a mode's pace
        planner.learn_with(history, mode)
    return planner


class PaceHistory:
    """What a client learned of its jobs' pace: per mode and time scale, how many succeeded in a row at the spec's pace.

    At the spec's pace: still rendering a lag budget before the spec's shortest finish (so a first poll at that finish
    would have seen it at most a budget late). After `trust_after` such jobs in a row, the next job of the mode is
    planned trusting the spec's range (`PollPlanner.learn_with`: no probe); one job seen finished by that
    finish ends the trust until `trust_after` more show the pace again. After a change of pace, each wait planned
    while trusted sees its job late once. Thread-safe: a client's sync and async waits may share it.
    """

    def __init__(self, trust_after: int = POLL_TRUST_AFTER) -> None:
        if trust_after < 1:
            raise ValueError(f"trust_after must be at least 1, not {trust_after}")
        self.trust_after = trust_after
        self._streaks: dict[tuple[str, float], int] = {}
        self._lock = threading.Lock()

    def trusts(self, mode: str, *, time_scale: float = 1.0) -> bool:
        """Whether the jobs of `mode` seen lately (at this time scale) kept the spec's pace, enough of them in a row."""
        with self._lock:
            return self._streaks.get((mode, time_scale), 0) >= self.trust_after

    def record(self, mode: str, at_spec_pace: bool, *, time_scale: float = 1.0) -> None:
        """Add a succeeded job of `mode` (at this time scale): whether it rendered at the spec's pace."""
        key = (mode, time_scale)
        with self._lock:
            self._streaks[key] = self._streaks.get(key, 0) + 1 if at_spec_pace else 0


@attrs.frozen
class _JobRecord:
    mode: str
    sent_at: float


class KnownJobs:
    """What a client remembers of the jobs it created (the most recent `capacity`).

    Their mode, and when the create was sent (the render cannot have started earlier): so `jobs.wait(job_id)` plans
    as well as `jobs.wait(job)`.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._capacity = capacity
        self._records: OrderedDict[str, _JobRecord] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, job_id: str, *, mode: str, sent_at: float) -> None:
        """Remember a job this client created."""
        with self._lock:
            self._records[job_id] = _JobRecord(mode, sent_at)
            self._records.move_to_end(job_id)
            while len(self._records) > self._capacity:
                self._records.popitem(last=False)

    def recall(self, job_id: str) -> tuple[str, float] | None:
        """The mode and send time of a job this client created, or None."""
        with self._lock:
            record = self._records.get(job_id)
        return None if record is None else (record.mode, record.sent_at)


@attrs.frozen
class PollDecision:
    """When to poll next (`delay` seconds from now), and why, for the debug log."""

    delay: float
    reason: str


class PollPlanner:
    """Places the polls of one job (see the module's docstring). Sans I/O: it is told the time and what was seen."""

    def __init__(
        self,
        *,
        duration: DurationRange,
        started_after: float | None,
        rng: random.Random,
        time_scale: float = 1.0,
        min_interval: float = POLL_MIN_INTERVAL,
        max_interval: float = POLL_MAX_INTERVAL,
        lag_budget: float = POLL_LAG_BUDGET,
        late_risk: float = POLL_LATE_RISK,
        excess_lag: float = POLL_EXCESS_LAG,
        jitter: float = POLL_JITTER,
        spec_doubt: float = POLL_SPEC_DOUBT,
        late_share: float = POLL_LATE_SHARE,
        doubt_span: tuple[float, float] = POLL_DOUBT_SPAN,
    ) -> None:
        if time_scale <= 0:
            raise ValueError(f"time_scale must be positive, not {time_scale}")
        if not 0.0 <= spec_doubt <= 1.0:
            raise ValueError(f"spec_doubt must be between 0 and 1, not {spec_doubt}")
        if not 0.0 < doubt_span[0] <= 1.0 <= doubt_span[1]:
            raise ValueError(f"doubt_span must be (at most 1, at least 1), both positive, not {doubt_span}")
        self.duration = duration.scaled(time_scale)
        self.min_interval = min_interval * time_scale
        self.max_interval = max_interval * time_scale
        self._time_scale = time_scale
        self.lag_budget = 0.0
        self.set_lag_budget(lag_budget)
        self.late_risk = late_risk
        self.excess_lag = excess_lag * time_scale
        self.spec_doubt = spec_doubt
        self.late_share = late_share
        self.doubt_span = doubt_span
        self._jitter = jitter
        self._rng = rng
        self._origin = started_after  # when the planner first knew the job not to be rendering yet
        self._not_before = started_after  # the render started at or after this
        self._running_since: float | None = None  # ... and at or before this, the first poll that saw it rendering
        self._last_running: float | None = None
        self._reading: tuple[float, float] | None = None  # the latest (time, progress as a fraction)
        self._readings: list[tuple[float, float]] = []  # the readings weighed: the latest and a few earlier ones
        self._previous: tuple[float, float] | None = None  # the reading before the latest, for the local rate
        self._lifecycle = lifecycle()
        self.trust_spec = False  # the client's history vouches for the spec's range: no probe (`learn_with`)
        self._on_success: Callable[[bool], object] | None = None  # told once, at success, if it kept the spec's pace
        self._spec_budget = POLL_LAG_BUDGET * time_scale  # the unrelaxed budget, which judges the pace (`at_spec_pace`)

    def set_lag_budget(self, seconds: float) -> None:
        """How late (unscaled seconds) a finish may be seen; scaled by the time scale, never below the minimum interval.

        A campaign relaxes it while jobs queue behind this one (a finish seen later delays nothing then).
        """
        self.lag_budget = max(seconds * self._time_scale, self.min_interval)

    def learn_with(self, history: PaceHistory, mode: str) -> None:
        """Plan this job of `mode` as `history` allows (trusting the spec's range once it does); tell it the pace."""
        self.trust_spec = history.trusts(mode, time_scale=self._time_scale)
        self._on_success = functools.partial(history.record, mode, time_scale=self._time_scale)

    def observe(self, now: float, status: JobStatus) -> None:
        """Record what a poll answered at `now`."""
        info = self._lifecycle.states[status.status]
        if info.terminal:
            pace = self.at_spec_pace(now) if status.outcome == "success" else None
            if pace is not None and self._on_success is not None:
                self._on_success(pace)
                self._on_success = None
            return
        self._last_running = now
        if status.status == self._lifecycle.initial:  # still queued: the render starts later than now
            self._not_before = now if self._not_before is None else max(self._not_before, now)
            self._origin = now if self._origin is None else self._origin
            return
        if self._running_since is None:
            self._running_since = now
        if info.has_progress and status.progress is not None:
            self._previous = self._reading
            self._reading = (now, (status.progress + 0.5) / 100.0)
            self._keep_reading(self._reading)

    def finish_quantiles(self, *quantiles: float) -> tuple[float, ...] | None:
        """Moments by which the job has finished with these probabilities, or None if nothing is known yet."""
        finishes = self._finish_distribution()
        return _quantiles(finishes, quantiles) if finishes else None

    def first_delay(self, now: float) -> PollDecision:
        """How long to wait before the first poll: none for a job of unknown age, else a probe or until it may end."""
        if self._not_before is None:
            return PollDecision(0.0, "job of unknown age: polling now")
        return self._decide(now, floor=0.0)

    def next_delay(self, now: float) -> PollDecision:
        """How long to wait before the next poll, after a poll at `now` saw the job still running."""
        return self._decide(now, floor=self.min_interval)

    def after_failure(self, failures: int, server_hint: float | None) -> PollDecision:
        """How long to wait after `failures` status requests in a row failed transiently.

        A server's Retry-After (`server_hint`) is honoured, up to a ceiling.
        """
        backoff = min(self.min_interval * 2.0 ** (failures - 1), self.max_interval)
        if server_hint is not None:
            return PollDecision(max(backoff, min(server_hint, RETRY_AFTER_CEILING)), "honouring Retry-After")
        return PollDecision(backoff, f"backing off after {failures} failed status request(s)")

    def at_spec_pace(self, done_at: float) -> bool | None:
        """For a job seen finished at `done_at`: whether it kept the spec's pace, or None if the polls cannot tell.

        At the spec's pace: seen rendering a (unrelaxed) lag budget before the spec's shortest finish, or later, so a
        first poll at that finish (what a trusted planner makes) would have seen it at most a budget late. Not: seen
        finished by that finish. A job that finished between a poll before and one after it (a wait begun late, say)
        says nothing.
        """
        if self._not_before is None:
            return None
        shortest = self._not_before + self.duration.min
        if self._last_running is not None and self._last_running >= shortest - self._spec_budget:
            return True
        if done_at <= shortest:
            return False
        return None

    def _keep_reading(self, reading: tuple[float, float]) -> None:
        """Keep `reading`, and of the earlier ones only a few far enough apart to err independently."""
        kept = [old for old in self._readings[:-1] if reading[1] - old[1] >= POLL_READING_GAP]
        if self._readings and reading[1] - self._readings[-1][1] >= POLL_READING_GAP:
            kept.append(self._readings[-1])  # the previous latest stays if far enough from the new one
        self._readings = [*kept[-(POLL_READINGS_KEPT - 1) :], reading] if POLL_READINGS_KEPT > 1 else [reading]

    def _probe_limit(self, now: float) -> float | None:
        """How long the next poll may wait at most while no reading has shown the render's pace (None: no limit).

        The spec's durations may be wrong: until a progress reading or a finish says how fast this service renders,
        a poll goes at most a lag budget, or the time already waited, after the last one; unless the client's history
        vouches for the range and the next poll can be at the spec's shortest finish (`_spec_shortest_finish`).
        """
        if self._reading is not None or self._origin is None or self._spec_shortest_finish(now) is not None:
            return None
        return max(self.lag_budget, now - self._origin)

    def _decide(self, now: float, *, floor: float) -> PollDecision:
        finishes = self._finish_distribution()
        if not finishes:
            target, reason = now + self.lag_budget, "nothing to estimate from"
        else:
            early, median, late = _quantiles(finishes, (self.late_risk, 0.5, 0.95))
            # Poll once the job may have finished a lag budget ago (the risk quantile), and before the lag it may
            # have run up beyond the budget is, on average, more than the excess allowance: a long sleep risks more.
            excess = _excess_bound(finishes, self.excess_lag) + self.lag_budget
            # ... but once the readings make a finish before the spec's shortest one unlikely (a spec-like pace), the
            # allowance alone does not hold the poll before that finish: the sleep leans on the spec's lower bound,
            # and a job that follows the spec is still seen rendering near its end (a caller sees progress move).
            shortest = self._spec_shortest_finish(now)
            if shortest is not None and early >= shortest:
                excess = max(excess, shortest)
            target = min(early + self.lag_budget, excess)
            # ... and, where the job may well finish before that poll, while a finish in the interval would be seen
            # within the budget but for a small share of it: so many polls near an uncertain end cannot add up to
            # many late sightings.
            target = min(target, _share_bound(finishes, self.lag_budget, self.late_share, self.late_risk))
            # A client whose history vouches for the spec's range (`trust_spec`) makes its first poll at the spec's
            # shortest finish: the doubt's share of far faster renders does not pull it earlier.
            if self._reading is None and shortest is not None:
                target = max(target, shortest)
            if shortest is None or target != shortest:
                when = "when it may have finished a lag budget ago"
            elif self._reading is None:
                when = "at the spec's shortest finish (this client's earlier jobs kept the spec's pace)"
            else:
                when = "at the spec's shortest finish (the readings show a spec-like pace)"
            reason = (
                f"finish expected in {median - now:.2f} s (90 % within [{early - now:.2f}, {late - now:.2f}] s); "
                f"polling {target - now:.2f} s from now, {when}"
            )
        probe = self._probe_limit(now)
        if probe is not None and target - now > probe:
            target, reason = now + probe, f"probing in {probe:.2f} s: no progress seen yet to show the render's pace"
        delay = min(target - now, self.max_interval)
        delay -= min(self._jitter * delay, self.lag_budget / 2) * self._rng.random()
        return PollDecision(max(delay, floor), reason)

    def _spec_shortest_finish(self, now: float) -> float | None:
        """The earliest finish of a render that follows the spec's range, once it is worth leaning on, else None.

        Worth it once a reading shows a render at the spec's pace; before any reading, only if the client's history
        vouches for the range (`trust_spec`) and that finish is ahead, within the longest interval from `now` (a first
        poll at it, not a poll that the longest interval places anyway without the probe's reading, nor one already
        past).
        """
        if self._not_before is None:
            return None
        shortest = self._not_before + self.duration.min
        if self._reading is not None or (self.trust_spec and now <= shortest <= now + self.max_interval):
            return shortest
        return None

    def _finish_distribution(self) -> list[tuple[float, float]]:
        """(moment, probability) pairs for the job's finish, sorted by moment."""
        starts = self._start_candidates()
        if not starts:
            return []
        lo, hi = self._duration_bounds(starts)
        # Two passes: a coarse grid over every duration the prior allows finds where the evidence puts the
        # duration; a fine grid over that stretch places the polls.
        coarse = self._cells(starts, _log_grid(lo, hi, POLL_COARSE_POINTS), lo, hi)
        if not coarse:
            return []
        low, high = _support(coarse, lo, hi)
        # The fine grid is even in log scale of the time left (from the shortest duration the job may still have):
        # finest where a poll is decided, whatever the job's scale.
        shortest = 0.0 if self._last_running is None else max(0.0, self._last_running - starts[-1][0])
        left_min = max(low - shortest, self.min_interval * POLL_FINEST_CELL)
        grid = [(shortest + left, width) for left, width in _log_grid(left_min, high - shortest, POLL_GRID_POINTS)]
        cells = self._cells(starts, grid, lo, hi) or coarse
        total = sum(weight for _, _, weight in cells)
        return sorted((finish, weight / total) for finish, _, weight in cells)

    def _duration_bounds(self, starts: list[tuple[float, float]]) -> tuple[float, float]:
        """The shortest and longest durations the prior allows: the spec's range widened by `doubt_span`.

        A job that outlasts even the longest stretches it rather than break the schedule.
        """
        lo = self.duration.min * self.doubt_span[0]
        hi = self.duration.max * self.doubt_span[1]
        if self._last_running is not None:
            hi = max(hi, 2.0 * (self._last_running - starts[0][0]))
        return lo, hi

    def _prior(self, duration: float, lo: float, hi: float) -> float:
        """The prior density of a render lasting `duration`: in the spec's range, or (`spec_doubt`) at any scale."""
        d_min, d_max = self.duration.min, self.duration.max
        density = self.spec_doubt / (duration * math.log(hi / lo)) if lo < hi and lo <= duration <= hi else 0.0
        if d_max > d_min and d_min <= duration <= d_max:
            density += (1.0 - self.spec_doubt) / (d_max - d_min)
        return density

    def _cells(
        self, starts: list[tuple[float, float]], grid: list[tuple[float, float]], lo: float, hi: float
    ) -> list[tuple[float, float, float]]:
        """(finish, duration, weight) for `starts` and a grid of (duration, width) cells, given all that was seen.

        Weights are not normalised; cells the job outlived are left out. A spec range of a single duration is a
        point mass, which no cell holds: it is added as it is.
        """
        running = self._last_running
        point = self.duration.min if self.duration.max <= self.duration.min else None
        grid = grid if point is None else [*grid, (point, 0.0)]
        cells: list[tuple[float, float, float]] = []
        weigh = _Likelihood(self._readings, self._local_finish())
        for duration, width in grid:
            prior = self._prior(duration, lo, hi) * width
            if duration == point and width == 0.0:
                prior = 1.0 - self.spec_doubt
            if prior <= 0.0:
                continue
            for start, start_prior in starts:
                finish = start + duration
                if running is not None and finish <= running:
                    continue
                weight = prior * start_prior * weigh(start, duration)
                if weight > 0.0:
                    cells.append((finish, duration, weight))
        return cells

    def _start_candidates(self) -> list[tuple[float, float]]:
        """The moments the render may have started, with their prior weights.

        Between the earliest possible start and the first poll that saw it rendering, a render usually starts at
        once (a free slot): `START_AT_ONCE` of the weight is on the earliest moment, the rest spread evenly.
        """
        latest = self._running_since
        earliest = self._not_before
        if latest is None:  # not seen rendering: assume it starts as early as it can
            return [] if earliest is None else [(earliest, 1.0)]
        points = POLL_START_POINTS
        if earliest is None:  # a job of unknown age: it started no earlier than the longest render allows
            earliest = latest - self.duration.max
            return [(earliest + (latest - earliest) * (i + 0.5) / points, 1.0 / points) for i in range(points)]
        if latest - earliest <= self.min_interval:
            return [(latest, 1.0)]
        later = (1.0 - START_AT_ONCE) / points
        return [(earliest, START_AT_ONCE)] + [
            (earliest + (latest - earliest) * (i + 1) / points, later) for i in range(points)
        ]

    def _local_finish(self) -> tuple[float, float, float] | None:
        """The finish at the recent pace, or None: (the latest reading's moment, that finish, its spread).

        The finish is where progress reaches 100 % if it keeps the pace it had between the last two readings; the
        spread is that guess's, in log scale of the time left.

        Only once the render is past `POLL_LOCAL_FROM` and progress rose by at least `POLL_LOCAL_MIN_RISE`.
        """
        if self._previous is None or self._reading is None:
            return None
        (t1, p1), (t2, p2) = self._previous, self._reading
        if p2 - p1 < POLL_LOCAL_MIN_RISE or t2 <= t1 or p2 < POLL_LOCAL_FROM:
            return None
        expected = t2 + (1.0 - p2) * (t2 - t1) / (p2 - p1)
        # Whole percents: each reading may be off by half a point, which matters when the rise between them is small.
        return t2, expected, POLL_LOCAL_RATE_SPREAD + 0.01 / (p2 - p1)


class _Likelihood:
    """How well a render from `start` lasting `duration` explains the readings kept and the recent pace.

    A reading of progress p at a moment when the share x of the render is done: p lies in a normal band around x,
    one standard deviation `PROGRESS_SPREAD` mid-way, shrinking as sqrt(x) near the start (an early reading says
    little about the pace) and linearly with the share left near the end (the counter reaches 100 % at the finish,
    so a reading can stray only as far as the pace of the last stretch varies): sqrt(2)·SPREAD·sqrt(x)·(1-x), plus
    `PROGRESS_FLOOR`. The recent pace (`PollPlanner._local_finish`), past mid-way: the last two readings' slope
    extrapolated to 100 % puts the finish within a share of the time left (log-normal; the pace of a render's last
    stretch varies less than its share done). Each piece of evidence may also mean nothing
    (`PROGRESS_OUTLIER_SHARE`).

    Called for every cell of every decision's grid, so the constants are worked out once, here.
    """

    def __init__(self, readings: list[tuple[float, float]], local: tuple[float, float, float] | None) -> None:
        self._readings = tuple(readings)
        self._local = local
        self._band_scale = 2.0 * PROGRESS_SPREAD**2  # the band's variance is band_scale·x·(1-x)² + floor²
        self._floor = PROGRESS_FLOOR**2
        self._trusted = 1.0 - PROGRESS_OUTLIER_SHARE
        self._norm = 1.0 / math.sqrt(2.0 * math.pi)
        if local is not None:
            self._local_norm = self._norm / local[2]
            self._local_precision = 0.5 / local[2] ** 2

    def __call__(self, start: float, duration: float) -> float:
        """The likelihood (not normalised) of what was seen, for a render from `start` lasting `duration`."""
        likelihood = 1.0
        outlier, trusted = PROGRESS_OUTLIER_SHARE, self._trusted
        for seen_at, progress in self._readings:
            share = (seen_at - start) / duration
            share = 0.0 if share < 0.0 else 1.0 if share > 1.0 else share
            left = 1.0 - share
            variance = self._band_scale * share * left * left + self._floor
            gap = progress - share
            density = self._norm * math.exp(-0.5 * gap * gap / variance) / math.sqrt(variance)
            likelihood *= trusted * density + outlier
        if self._local is not None:
            seen_at, expected, _ = self._local
            ratio = (start + duration - seen_at) / (expected - seen_at)
            if ratio <= 0.0:
                return 0.0
            spread = math.log(ratio)
            likelihood *= trusted * self._local_norm * math.exp(-self._local_precision * spread * spread) + outlier
        return likelihood


def _log_grid(lo: float, hi: float, points: int) -> list[tuple[float, float]]:
    """`points` (duration, width) cells evenly spaced in log scale over [lo, hi] (none if the span is empty)."""
    if not (hi > lo > 0):
        return []
    ratio = math.log(hi / lo) / points
    cells = []
    for i in range(points):
        left, right = lo * math.exp(ratio * i), lo * math.exp(ratio * (i + 1))
        cells.append((math.sqrt(left * right), right - left))
    return cells


def _support(cells: list[tuple[float, float, float]], lo: float, hi: float) -> tuple[float, float]:
    """The stretch of durations holding all but a sliver of the cells' weight, a coarse cell wider each side."""
    by_duration = sorted((duration, weight) for _, duration, weight in cells)
    total = sum(weight for _, weight in by_duration)
    step = math.exp(math.log(hi / lo) / POLL_COARSE_POINTS) if hi > lo > 0 else 1.0
    low, high = by_duration[0][0], by_duration[-1][0]
    accumulated = 0.0
    for duration, weight in by_duration:
        accumulated += weight
        if accumulated >= POLL_SUPPORT_TAIL * total:
            low = duration
            break
    accumulated = 0.0
    for duration, weight in reversed(by_duration):
        accumulated += weight
        if accumulated >= POLL_SUPPORT_TAIL * total:
            high = duration
            break
    return max(lo, low / step), min(hi, high * step)


def _quantiles(finishes: list[tuple[float, float]], quantiles: Iterable[float]) -> tuple[float, ...]:
    """The moments by which a sorted (moment, probability) distribution reaches each of `quantiles`."""
    results = []
    for quantile in quantiles:
        accumulated, moment = 0.0, finishes[-1][0]
        for finish, weight in finishes:
            accumulated += weight
            if accumulated >= quantile:
                moment = finish
                break
        results.append(moment)
    return tuple(results)


def _share_bound(finishes: list[tuple[float, float]], budget: float, share: float, ceiling: float) -> float:
    """The latest poll moment `m` at which a finish before `m - budget` is unlikely enough.

    Unlikely enough: at most `share` of the probability of a finish before `m` (or at most `POLL_LATE_FLOOR`), and
    never more than `ceiling`.
    """
    moments = [finish for finish, _ in finishes]
    cumulative = list(itertools.accumulate(weight for _, weight in finishes))
    late = 0.0
    for index, (finish, weight) in enumerate(finishes):
        late += weight  # a poll at finish + budget is late for every finish up to this one
        moment = finish + budget
        by_then = cumulative[bisect.bisect_right(moments, moment) - 1]
        if late > min(ceiling, max(POLL_LATE_FLOOR, share * by_then)):
            return moment if index == 0 else finishes[index - 1][0] + budget
    return math.inf


def _excess_bound(finishes: list[tuple[float, float]], allowance: float) -> float:
    """The latest moment `m` with an expected `max(0, m - finish)` of at most `allowance`."""
    mass = weighted = 0.0
    for index, (finish, weight) in enumerate(finishes):
        mass += weight
        weighted += weight * finish
        moment = (allowance + weighted) / mass  # where mass * m - weighted reaches the allowance
        following = finishes[index + 1][0] if index + 1 < len(finishes) else math.inf
        if moment <= following:
            return moment
    return math.inf


class WaitState:
    """The rules of one wait, between polls (sans I/O): what to do with each status or failure, and the deadline."""

    def __init__(
        self,
        *,
        job_id: str,
        planner: PollPlanner,
        now: float,
        timeout: float | None,
        on_progress: ProgressCallback | None,
    ) -> None:
        if timeout is not None and timeout < 0:
            raise ValueError(f"timeout must be at least 0, not {timeout}")
        self.job_id = job_id
        self.planner = planner
        self.timeout = timeout
        self.deadline = None if timeout is None else now + timeout
        self.last_status: JobStatus | None = None
        self.polls = 0
        self._on_progress = on_progress
        self._failures = 0
        decision = planner.first_delay(now)
        self._delay = decision.delay
        logger.debug("job %s: first poll in %.3f s (%s)", job_id, decision.delay, decision.reason)

    def sleep_before_poll(self, now: float) -> float:
        """How long to sleep before the next poll; never past the deadline (the last poll happens at it)."""
        if self.deadline is None:
            return self._delay
        return max(0.0, min(self._delay, self.deadline - now))

    def on_status(self, status: JobStatus, now: float) -> JobStatus | None:
        """Take a status observed at `now`: the final status if the job succeeded, None to keep polling.

        Raises `JobFailedError` for a failure state, `WaitTimeoutError` past the deadline.
        """
        self.polls += 1
        self._failures = 0
        self.last_status = status
        self.planner.observe(now, status)
        if self._on_progress is not None:
            self._on_progress(status)
        outcome = status.outcome
        match outcome:
            case "success":
                logger.debug("job %s: %s after %d poll(s)", self.job_id, status.status, self.polls)
                return status
            case "failure":
                logger.debug("job %s: %s after %d poll(s)", self.job_id, status.status, self.polls)
                raise JobFailedError(self.job_id, status)
            case None:
                pass
            case _:
                assert_never(outcome)
        self._check_deadline(now)
        decision = self.planner.next_delay(now)
        self._delay = decision.delay
        progress = "" if status.progress is None else f" {status.progress}%"
        logger.debug(
            "job %s: %s%s; %s; next poll in %.3f s", self.job_id, status.status, progress, decision.reason, self._delay
        )
        return None

    def on_error(self, error: APIError, now: float) -> None:
        """Take a failed status request: wait it out if transient, else (or after too many) raise it."""
        if not is_transient(error):
            raise error
        self._failures += 1
        if self.deadline is None and self._failures >= MAX_CONSECUTIVE_POLL_FAILURES:
            raise error
        self._check_deadline(now, cause=error)
        hint = None
        if isinstance(error, APIStatusError) and error.response is not None:
            hint = retry_after(error.response.headers)
        decision = self.planner.after_failure(self._failures, hint)
        self._delay = decision.delay
        logger.debug(
            "job %s: status request failed (%s); %s; next poll in %.3f s",
            self.job_id,
            type(error).__name__,
            decision.reason,
            self._delay,
        )

    def _check_deadline(self, now: float, cause: BaseException | None = None) -> None:
        if self.deadline is not None and self.timeout is not None and now >= self.deadline:
            raise WaitTimeoutError(self.job_id, self.timeout, self.last_status) from cause


def wait_sync(fetch: Callable[[], JobStatus], state: WaitState, clock: Clock) -> JobStatus:
    """Poll with `fetch` as `state` directs, sleeping on `clock`, until the job succeeds (or an error is raised)."""
    while True:
        delay = state.sleep_before_poll(clock.now())
        if delay > 0:
            clock.sleep(delay)
        try:
            status = fetch()
        except APIError as error:
            state.on_error(error, clock.now())
            continue
        done = state.on_status(status, clock.now())
        if done is not None:
            return done


async def wait_async(fetch: Callable[[], Awaitable[JobStatus]], state: WaitState, clock: AsyncClock) -> JobStatus:
    """The async twin of `wait_sync`."""
    while True:
        delay = state.sleep_before_poll(clock.now())
        if delay > 0:
            await clock.sleep(delay)
        try:
            status = await fetch()
        except APIError as error:
            state.on_error(error, clock.now())
            continue
        done = state.on_status(status, clock.now())
        if done is not None:
            return done
