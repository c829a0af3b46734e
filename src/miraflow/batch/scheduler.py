"""One polling scheduler for every waiting job of a campaign, timed by the SDK's adaptive waiter.

Each job the scheduler follows has the SDK's own `WaitState` around a `PollPlanner` (`miraflow.polling`): the same
estimate of the finish from the mode's duration range, the observed progress and the render's start, the same
handling of every terminal state of the spec's lifecycle and of transient failures (with Retry-After). What the
scheduler adds is the batch: one loop and one timer heap for all jobs instead of one loop per job, a bounded number of
status requests in flight, the batch-wide pause after a 429 (`RateGate`), and what a batch knows that a lone waiter
cannot: the order the jobs were created in.

The service renders a tenant's jobs on a few render slots and starts queued jobs in the order they were created
(`inference_started` is "queued; waiting for a render slot"). So:

- when a poll sees a job queued, every job created after it is queued too: those are *parked* (no polls at all);
  only the first queued job keeps a timer, a sparse fallback (at least the SDK's longest poll interval);
- when a poll sees a job finished, a slot came free between the last poll that saw it running and now: the first
  queued job started then. Its planner gets that moment as the earliest start, the very knowledge a single waiter
  has from the create's own time, so it is polled as sparsely as a lone job (while the lag budget is relaxed, see
  below, the middle of that window: it is wider then, and a start assumed too early costs polls);
- when a poll sees a job rendering, every job created before it has started too.

A batch also needs a job's end less urgently than a lone waiter does: while at least `QUEUE_GENERATIONS` jobs per
rendering one queue behind, seeing a job finish a little later delays no other job and not the campaign's end (its
download just starts later), so its planner gets `RELAXED_LAG` times the waiter's lag budget, and fewer polls. The
budget is set again at every poll, so it follows the queue: near the end of the campaign it is the waiter's own.

Like one client's waits, the campaign's planners share what its finished jobs showed of the service's pace
(`PaceHistory`): once a few kept the spec's pace, a job that starts is first polled at the spec's shortest finish
where that is within the longest poll interval (the pace is judged against the waiter's own lag budget, not the
relaxed one).

If the service does not keep that order, nothing breaks: a wrongly inferred start is corrected by the next poll
(seen queued: parked again), and the first queued job's fallback polls find what the inference missed.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, Protocol

import attrs

from miraflow import APIError, JobFailedError, RateLimitError
from miraflow.batch.logs import logger
from miraflow.batch.pacing import Pacing
from miraflow.batch.tasks import spawn
from miraflow.polling import POLL_LAG_BUDGET, POLL_MAX_INTERVAL, PaceHistory, WaitState, new_planner
from miraflow.spec import lifecycle
from miraflow.types import JobStatus

__all__ = [
    "DEFAULT_POLLS_IN_FLIGHT",
    "QUEUE_GENERATIONS",
    "RELAXED_LAG",
    "JobEvents",
    "Phase",
    "PollScheduler",
    "WaitingJob",
]

DEFAULT_POLLS_IN_FLIGHT = 8
RELAXED_LAG = 6.0
"""How much later than a lone waiter a job may be seen finished while the campaign has long to go behind it."""
QUEUE_GENERATIONS = 2
"""... that is, while at least this many queued jobs per rendering one wait behind it."""


class Phase(Enum):
    """Where a followed job stands, as far as the scheduler knows."""

    UNSEEN = "unseen"
    """Never seen and never inferred: it may or may not be queued."""
    QUEUED = "queued"
    """Seen queued, or parked behind a job seen queued."""
    RUNNING = "running"
    """Seen rendering, or inferred to have started."""
    DONE = "done"
    """Seen in a terminal state (or its status cannot be had): no longer followed."""


@attrs.define(eq=False)
class WaitingJob:
    """A job the scheduler follows: its row, jobId, mode, create order (`seq`) and when its create was sent.

    `sent_at` is on the scheduler's clock (monotonic seconds): the render cannot have started before it.
    """

    key: int
    job_id: str
    mode: str
    seq: int
    sent_at: float
    wait: WaitState | None = attrs.field(default=None, repr=False)
    phase: Phase = Phase.UNSEEN  # changed only by `PollScheduler._enter`, which keeps the index by phase with it
    queued_since: float | None = None  # seen queued (or parked behind a queued job) at this moment
    last_running: float | None = None  # the last poll that saw it rendering
    timer: int = 0  # generation of its pending timer; 0: none (entries of older generations are stale)


Fetch = Callable[[str], Awaitable[JobStatus]]


class JobEvents(Protocol):
    """What the scheduler tells of the jobs it follows (a campaign's run listens)."""

    def job_status(self, job: WaitingJob, status: JobStatus) -> None:
        """A status of `job` was read (before the scheduler acts on it)."""
        ...

    def job_complete(self, job: WaitingJob, status: JobStatus) -> None:
        """`job` succeeded: `status` carries the videoId."""
        ...

    def job_failed(self, job: WaitingJob, failure: JobFailedError) -> None:
        """`job` ended in a failure state."""
        ...

    def job_error(self, job: WaitingJob, error: APIError) -> None:
        """`job`'s status cannot be had: a non-transient error, or transient ones past the waiter's patience."""
        ...


@attrs.define(kw_only=True, eq=False, repr=False, slots=False)
class PollScheduler:
    """Polls every waiting job of a campaign from one loop (see the module's docstring).

    `fetch(job_id)` gets a status (`client.jobs.retrieve`); `pacing` is the run's clock, rate gate, time scale and
    jitter source; every status read and every outcome goes to `events`. `run()` returns once `close()` was called
    and no job is left.
    """

    _fetch: Fetch
    _pacing: Pacing
    _events: JobEvents
    _max_in_flight: int = DEFAULT_POLLS_IN_FLIGHT

    def __attrs_post_init__(self) -> None:
        self._lifecycle = lifecycle()
        self._pace = PaceHistory()  # what the campaign's finished jobs showed of the service's pace
        self._jobs: dict[int, WaitingJob] = {}  # every job followed (not done)
        self._phases: dict[Phase, dict[int, WaitingJob]] = {phase: {} for phase in Phase if phase is not Phase.DONE}
        self._timers: list[tuple[float, int, int, int]] = []  # (due, seq, generation, key)
        self._queued: list[tuple[int, int]] = []  # (seq, key) of queued jobs, in create order; lazily cleaned
        self._generation = 0
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._closed = False
        self._failure: Exception | None = None
        self.polls = 0
        """Status requests sent."""

    # --- the outside -----------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._jobs)

    def add(self, job: WaitingJob) -> None:
        """Follow `job` until it reaches a terminal state."""
        now = self._pacing.clock.now()
        self._jobs[job.key] = job
        if self._first_queued() is not None:  # jobs are queued already: this one waits behind them
            self._mark_queued(job, now)
            self._tend_head(now)
        else:
            self._enter(job, Phase.UNSEEN)
            self._start(job, started_after=job.sent_at, now=now, inferred=False)
        self._wake.set()

    def close(self) -> None:
        """No more jobs will be added: `run()` returns once the last one is done."""
        self._closed = True
        self._wake.set()

    async def run(self) -> None:
        """Poll until closed and every job is done. Cancelling it cancels the polls in flight."""
        try:
            while self._jobs or not self._closed:
                if self._failure is not None:
                    raise self._failure
                now = self._pacing.clock.now()
                while self._timers and self._in_flight < self._max_in_flight:
                    due, _, generation, key = self._timers[0]
                    job = self._jobs.get(key)
                    if job is None or job.timer != generation:
                        heapq.heappop(self._timers)  # stale
                        continue
                    if due > now:
                        break
                    heapq.heappop(self._timers)
                    job.timer = 0
                    self._launch(job)
                self._wake.clear()
                delay = None
                if self._timers and self._in_flight < self._max_in_flight:
                    delay = max(0.0, self._timers[0][0] - now)
                await self._sleep(delay)
        finally:
            for task in self._tasks:
                task.cancel()
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _sleep(self, delay: float | None) -> None:
        """Sleep `delay` seconds on the clock (forever if None), or until woken."""
        waiters: set[asyncio.Future[Any]] = {asyncio.ensure_future(self._wake.wait())}
        if delay is not None:
            waiters.add(asyncio.ensure_future(self._pacing.clock.sleep(delay)))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for future in waiters:
                future.cancel()

    # --- polls -----------------------------------------------------------------------------------------------------

    def _launch(self, job: WaitingJob) -> None:
        self._in_flight += 1
        spawn(self._poll(job), self._tasks)

    async def _poll(self, job: WaitingJob) -> None:
        try:
            await self._poll_once(job)
        except Exception as exc:  # a callback failed (the ledger, the disk): end `run()` with it
            if self._failure is None:
                self._failure = exc
        finally:
            self._in_flight -= 1
            self._wake.set()

    async def _poll_once(self, job: WaitingJob) -> None:
        wait = job.wait
        assert wait is not None
        await self._pacing.gate.wait()
        self.polls += 1
        try:
            status = await self._fetch(job.job_id)
        except APIError as error:
            self._failed_poll(job, wait, error)
            return
        self._pacing.gate.succeeded()
        if job.phase is not Phase.DONE:
            self._observe(job, wait, status)

    def _failed_poll(self, job: WaitingJob, wait: WaitState, error: APIError) -> None:
        now = self._pacing.clock.now()
        if isinstance(error, RateLimitError):
            self._pacing.gate.rate_limited(error)
        try:
            wait.on_error(error, now)  # transient: the waiter's backoff (Retry-After honoured); else it raises
        except APIError as fatal:
            self._finish(job)
            self._events.job_error(job, fatal)
            return
        if job.phase is Phase.DONE or job.wait is not wait:
            return
        if job.phase is Phase.QUEUED:  # a queued job: only the first one has a timer
            self._tend_head(now)
            return
        self._schedule(job, now + wait.sleep_before_poll(now))

    def _observe(self, job: WaitingJob, wait: WaitState, status: JobStatus) -> None:
        now = self._pacing.clock.now()
        info = self._lifecycle.states[status.status]
        self._events.job_status(job, status)
        if info.terminal:
            self._finish(job)
            self._started_before(job, now)
            self._slot_freed(freed_after=job.last_running if job.last_running is not None else job.sent_at, now=now)
            try:
                final = wait.on_status(status, now)
            except JobFailedError as failure:
                self._events.job_failed(job, failure)
                return
            assert final is not None
            self._events.job_complete(job, final)
            return
        self._retune(wait)
        wait.on_status(status, now)  # records the reading in the planner; never raises for a running job
        if status.status == self._lifecycle.initial:  # queued
            if job.phase is Phase.RUNNING:
                logger.debug("job %s: inferred to have started, but still queued", job.job_id)
            job.wait = wait  # this waiter saw it queued: its planner knows the render starts later than now
            job.timer = 0
            self._mark_queued(job, now)
            self._park_after(job, now)
            self._tend_head(now)
            return
        self._mark_started(job)
        job.last_running = now
        self._started_before(job, now)
        if job.wait is wait:
            self._schedule(job, now + wait.sleep_before_poll(now))
        self._tend_head(now)

    # --- what the order of creates tells -----------------------------------------------------------------------------

    def _first_queued(self) -> WaitingJob | None:
        """The job created first among those known to be queued (cleaning stale entries)."""
        while self._queued:
            _, key = self._queued[0]
            job = self._jobs.get(key)
            if job is not None and job.phase is Phase.QUEUED:
                return job
            heapq.heappop(self._queued)
        return None

    def _park_after(self, queued: WaitingJob, now: float) -> None:
        """`queued` was seen queued: every unseen job created after it is queued too. Stop polling them."""
        for job in [job for job in self._phases[Phase.UNSEEN].values() if job.seq > queued.seq]:
            job.timer = 0
            self._mark_queued(job, now)

    def _started_before(self, running: WaitingJob, now: float) -> None:
        """`running` was seen rendering (or finished): every job created before it has started too."""
        while (first := self._first_queued()) is not None and first.seq < running.seq:
            heapq.heappop(self._queued)
            assert first.queued_since is not None
            self._start(first, started_after=first.queued_since, now=now, inferred=True)

    def _slot_freed(self, *, freed_after: float, now: float) -> None:
        """A job left its render slot after `freed_after`: the first queued job started then."""
        first = self._first_queued()
        if first is not None:
            heapq.heappop(self._queued)
            assert first.queued_since is not None
            earliest = max(freed_after, first.queued_since, first.sent_at)
            if self._relaxed():  # the middle of the window: polls sparser, a finish seen a little later at worst
                earliest = max(earliest, (freed_after + now) / 2)
            self._start(first, started_after=earliest, now=now, inferred=True)
        self._tend_head(now)

    def _tend_head(self, now: float) -> None:
        """Keep a sparse fallback timer on the first queued job, and none on the queued jobs behind it."""
        head = self._first_queued()
        if head is None or head.timer:
            return
        wait = head.wait
        if wait is None:
            since = head.queued_since if head.queued_since is not None else now
            wait = head.wait = self._wait_state(head, started_after=since, now=now)
        fallback = POLL_MAX_INTERVAL * self._pacing.time_scale
        self._schedule(head, now + max(wait.sleep_before_poll(now), fallback))

    # --- bookkeeping -----------------------------------------------------------------------------------------------

    def _start(self, job: WaitingJob, *, started_after: float, now: float, inferred: bool) -> None:
        """Follow `job` as rendering (or about to): a fresh waiter whose earliest start is `started_after`."""
        if inferred:
            self._mark_started(job)
        job.wait = self._wait_state(job, started_after=started_after, now=now)
        self._schedule(job, now + job.wait.sleep_before_poll(now))

    def _wait_state(self, job: WaitingJob, *, started_after: float, now: float) -> WaitState:
        planner = new_planner(
            job.mode,
            started_after=started_after,
            rng=self._pacing.rng,
            time_scale=self._pacing.time_scale,
            lag_budget=self._lag_budget(),
            history=self._pace,
        )
        return WaitState(job_id=job.job_id, planner=planner, now=now, timeout=None, on_progress=None)

    def _relaxed(self) -> bool:
        """Whether enough jobs queue for a finish seen later to delay nothing (see the module's docstring)."""
        queued, running = len(self._phases[Phase.QUEUED]), len(self._phases[Phase.RUNNING])
        return queued >= QUEUE_GENERATIONS * max(1, running)

    def _lag_budget(self) -> float:
        """The waiter's lag budget (unscaled), relaxed while enough jobs queue."""
        return POLL_LAG_BUDGET * RELAXED_LAG if self._relaxed() else POLL_LAG_BUDGET

    def _retune(self, wait: WaitState) -> None:
        """Give a job's planner the lag budget the campaign allows now (the queue may have grown or drained)."""
        wait.planner.set_lag_budget(self._lag_budget())

    def _schedule(self, job: WaitingJob, due: float) -> None:
        self._generation += 1
        job.timer = self._generation
        heapq.heappush(self._timers, (due, job.seq, job.timer, job.key))
        self._wake.set()

    def _enter(self, job: WaitingJob, phase: Phase) -> None:
        """The one place a job changes phase: its `phase` and the index by phase move together."""
        if job.phase is not Phase.DONE:
            self._phases[job.phase].pop(job.key, None)
        job.phase = phase
        if phase is not Phase.DONE:
            self._phases[phase][job.key] = job

    def _mark_queued(self, job: WaitingJob, now: float) -> None:
        job.queued_since = now
        if job.phase is not Phase.QUEUED:
            heapq.heappush(self._queued, (job.seq, job.key))
            self._enter(job, Phase.QUEUED)

    def _mark_started(self, job: WaitingJob) -> None:
        job.queued_since = None
        self._enter(job, Phase.RUNNING)

    def _finish(self, job: WaitingJob) -> None:
        job.timer = 0
        self._jobs.pop(job.key, None)
        self._enter(job, Phase.DONE)
        self._wake.set()
