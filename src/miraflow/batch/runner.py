"""Running a campaign: every row created exactly once, followed, downloaded, and recorded in the ledger at each step.

`run_campaign` reads and validates the file (nothing is sent unless every row is valid, or invalid rows are skipped),
takes the folder's lock, brings the ledger in line with the file, and then drives the rows from wherever they stand:

- `pending` rows are created, at most `concurrency` creates in flight, the longest mode first: the service gives
  render slots first come, first served, so sending the longest jobs first (LPT) lets it finish the campaign close
  to the shortest schedule its slots allow. The intent (`creating`) is committed before
  each request, the jobId (`created`) the moment it arrives. A create is never retried blindly: a 429 or a refused
  connection (nothing was made) puts the row back to `pending`; a 4xx refuses it (`failed`, retried by the next
  run); a broken connection after sending, a 5xx or an unreadable answer makes it a suspect for the reconciler.
- `failed` rows whose job failed (`inference_failed`, `inference_error`) are created again with `retry_failed`,
  once per retry, up to `max_attempts` attempts in all (the ledger's `mark_retry` checks the bound): those from
  earlier runs at start, and a job that fails during the run as soon as it fails. Each retry carries a new name tag
  (`-{attempt}`), so a resumed run never takes an earlier attempt's job for it, nor pays for one twice.
- `creating` rows found at start (the process died mid-create) are reconciled by name (`reconcile`); `ambiguous`
  ones get one more look, and are created again only with `recreate_ambiguous`.
- `created` rows are followed by one `PollScheduler` for the whole campaign; `complete` rows are downloaded (the
  SDK's atomic, verified download) into the folder, named from the row's name, and recorded with their SHA-256.
- `downloaded` rows are checked against their SHA-256; a missing or changed file is fetched again.

A 429 anywhere pauses the whole batch (`pacing`). Setting `stop` (the CLI does on Ctrl-C) stops creating, waits for
the creates in flight to be answered and recorded, and returns with `interrupted` set; rerunning resumes.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from collections.abc import Awaitable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import attrs

from miraflow import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    AsyncMiraflow,
    AuthenticationError,
    IncompleteBodyError,
    InsufficientCreditsError,
    InternalServerError,
    JobFailedError,
    JobMayExistError,
    NotFoundError,
    RateLimitError,
)
from miraflow.batch.cost import estimate_cost
from miraflow.batch.crashpoints import CrashPoints
from miraflow.batch.errors import InvalidRowsError
from miraflow.batch.files import file_digest, folder_lock, remove_partial_files
from miraflow.batch.ledger import Ledger, LedgerRow, RowState
from miraflow.batch.logs import logger
from miraflow.batch.naming import video_token
from miraflow.batch.options import DEFAULT_CONCURRENCY, DEFAULT_MAX_ATTEMPTS, CampaignOptions
from miraflow.batch.pacing import CreateLimiter, Pacing, RateGate
from miraflow.batch.plan import load_catalog
from miraflow.batch.reconcile import Reconciler, Suspect
from miraflow.batch.rows import read_rows, validate_rows
from miraflow.batch.scheduler import PollScheduler, WaitingJob
from miraflow.batch.spend import rows_to_create
from miraflow.batch.tasks import spawn
from miraflow.clock import AsyncClock, AsyncSystemClock
from miraflow.retries import delay_after, is_transient, retry_async
from miraflow.spec import lifecycle
from miraflow.types import Avatar, JobStatus, Video

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_MAX_ATTEMPTS",
    "CampaignObserver",
    "CampaignResult",
    "Outcome",
    "run_campaign",
    "run_campaign_sync",
]

_DOWNLOAD_ATTEMPTS = 6
_CONNECT_FAILURES = 8  # creates in a row that could not reach the service before the run gives up


_UNFINISHED = (RowState.PENDING, RowState.CREATING, RowState.CREATED, RowState.COMPLETE)
_PROBLEMS = (RowState.FAILED, RowState.AMBIGUOUS, RowState.SKIPPED, *_UNFINISHED)


class Outcome(StrEnum):
    """How a run ended, in one word; the CLI maps it to its exit code (`miraflow.cli.errors`)."""

    DONE = "done"
    """Every row downloaded (or skipped as invalid)."""
    ROWS_FAILED = "rows_failed"
    """Every row settled, but some failed or are ambiguous."""
    UNFINISHED = "unfinished"
    """Rows were left with work to do (creating halted, or the API could not be worked with): rerun to resume."""
    INTERRUPTED = "interrupted"
    """`stop` ended the run: rerun to resume."""


class CampaignObserver(Protocol):
    """Told how many rows are in each state whenever a row moves (the progress display is one)."""

    def update(self, counts: Mapping[RowState, int]) -> None:
        """Take the counts per state after a move."""
        ...


@attrs.frozen
class CampaignResult:
    """How a run ended.

    `counts` per state; `problems` the rows not downloaded (failed, ambiguous, skipped, or unfinished), each with its
    reason; `interrupted` if `stop` ended it; `halted` why creating stopped early (say, not enough credits). `creates`,
    `status_calls` and `list_calls` count this run's requests of each kind; `retries` the rows this run created
    again because their job had failed.
    """

    folder: Path
    campaign_id: str
    counts: Mapping[RowState, int]
    problems: tuple[LedgerRow, ...]
    interrupted: bool
    halted: str | None
    elapsed: float
    creates: int
    status_calls: int
    list_calls: int
    downloads: int
    retries: int = 0

    @property
    def total(self) -> int:
        """Rows in the campaign."""
        return sum(self.counts.values())

    @property
    def unfinished(self) -> int:
        """Rows this run left with work to do (a rerun goes on with them)."""
        return sum(self.counts[state] for state in _UNFINISHED)

    @property
    def outcome(self) -> Outcome:
        """How the run ended: interrupted, unfinished (halted or rows left), some rows failed, or done."""
        if self.interrupted:
            return Outcome.INTERRUPTED
        if self.halted or self.unfinished:
            return Outcome.UNFINISHED
        if self.counts[RowState.FAILED] or self.counts[RowState.AMBIGUOUS]:
            return Outcome.ROWS_FAILED
        return Outcome.DONE

    def to_json(self) -> dict[str, object]:
        """The summary as JSON (what `batch run --json` prints)."""
        return {
            "campaign": self.campaign_id,
            "folder": str(self.folder),
            "rows": self.total,
            "counts": {str(state): count for state, count in self.counts.items()},
            "problems": [
                {
                    "row": row.key,
                    "line": row.line,
                    "name": row.name,
                    "state": str(row.state),
                    "error": row.error,
                    "attempts": row.attempt,
                }
                for row in self.problems
            ],
            "interrupted": self.interrupted,
            "halted": self.halted,
            "elapsedSeconds": round(self.elapsed, 3),
            "requests": {
                "creates": self.creates,
                "statusCalls": self.status_calls,
                "videoLists": self.list_calls,
                "downloads": self.downloads,
                "retries": self.retries,
            },
            "outcome": str(self.outcome),
        }


async def run_campaign(
    file: str | Path,
    out: str | Path,
    options: CampaignOptions | None = None,
    *,
    client: AsyncMiraflow | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    balance: float | None = None,
    observer: CampaignObserver | None = None,
    stop: asyncio.Event | None = None,
    crash_points: CrashPoints | None = None,
    clock: AsyncClock | None = None,
    **settings: Any,
) -> CampaignResult:
    """Run (or resume) the campaign of `file` in the folder `out`; return how it ended.

    ```python
    from miraflow.batch import CampaignOptions, run_campaign

    result = await run_campaign("campaign.csv", "out/", CampaignOptions(concurrency=4))
    print(result.counts, [(row.name, row.error) for row in result.problems])
    ```

    `options` (a `CampaignOptions`: concurrency, time scale, retries, encoding...) says how it runs; its fields may
    also be given as keywords (`run_campaign(file, out, concurrency=4)`), alone or over `options`.
    `client` is an `AsyncMiraflow` (made from `api_key` and `base_url`, or the environment, and closed again if not
    given; one made here has `max_retries=0`, so every retry is the campaign's own and a 429 pauses the whole
    batch). Raises `InvalidRowsError` (nothing sent) if a row is invalid and `skip_invalid` is false,
    `CampaignFileError` for a file that is not a campaign, `LedgerConflictError` if `out` holds a campaign the file
    contradicts, `CampaignBusyError` if another run holds `out`, and the SDK's errors when the API cannot be worked
    with (the ledger stays consistent: rerun to resume). `clock` (default: the system's) is the one clock the run's
    scheduler, rate gate and reconciler share. With a `balance` (credits; the API has no endpoint for it), the
    estimated cost of the rows this run would create is checked first: `InsufficientCreditsError` (nothing sent) if
    it cannot cover them, unless `allow_partial`.
    """
    options = attrs.evolve(options if options is not None else CampaignOptions(), **settings)
    clock = clock if clock is not None else AsyncSystemClock()
    folder = Path(out)
    raw = read_rows(file, encoding=options.encoding)
    own = client is None
    if client is None:
        client = AsyncMiraflow(api_key, base_url=base_url, max_retries=0)
    try:
        catalog = await load_catalog(client, raw, clock=clock)
        validation = validate_rows(raw, avatars=catalog.avatars, voices=catalog.voices)
        if validation.errors and not options.skip_invalid:
            raise InvalidRowsError(validation.errors)
        with folder_lock(folder), Ledger.open(folder) as ledger:
            ledger.bind(base_url=client.base_url, source=str(Path(file).resolve()))
            ledger.sync(validation.rows, validation.errors)
            if balance is not None:
                to_create = rows_to_create(ledger.rows(), max_attempts=options.attempts_bound)
                estimate_cost(to_create, balance=balance).check(allow_partial=options.allow_partial)
            run = _Run(
                client=client,
                ledger=ledger,
                folder=folder,
                avatars={avatar.id: avatar for avatar in catalog.avatars},
                options=options,
                observer=observer,
                stop=stop if stop is not None else asyncio.Event(),
                crash=crash_points if crash_points is not None else CrashPoints(),
                clock=clock,
            )
            return await run.run()
    finally:
        if own:
            await client.close()


def run_campaign_sync(file: str | Path, out: str | Path, **options: Any) -> CampaignResult:
    """`run_campaign` for code without an event loop: takes the same arguments, blocks until the run ends."""
    return asyncio.run(run_campaign(file, out, **options))


@attrs.define(kw_only=True, eq=False, repr=False, slots=False)
class _Run:
    """One run of a campaign: the tasks, the queues, and the ledger moves between them.

    It hears what its scheduler tells (`JobEvents`) and what its reconciler asks and tells (`SuspectEvents`).
    """

    client: AsyncMiraflow
    ledger: Ledger
    folder: Path
    avatars: Mapping[str, Avatar]
    options: CampaignOptions
    observer: CampaignObserver | None
    stop: asyncio.Event
    crash: CrashPoints
    clock: AsyncClock

    def __attrs_post_init__(self) -> None:
        self.rng = random.Random()
        self.gate = RateGate(self.clock, rng=self.rng)
        pacing = Pacing(self.clock, self.gate, self.options.time_scale, self.rng)
        self.limiter = CreateLimiter(self.options.concurrency)
        self.scheduler = PollScheduler(fetch=self.client.jobs.retrieve, pacing=pacing, events=self)
        self.reconciler = Reconciler(list_videos=self.client.videos.list, pacing=pacing, events=self)
        self.pending: deque[int] = deque()
        self.pending_added = asyncio.Event()
        self.downloads: asyncio.Queue[int] = asyncio.Queue()
        self.open_seqs: dict[int, int] = {}  # rows whose job may still be running → their create order
        self.abandoned: set[int] = set()  # complete rows whose download this run gave up on
        self.creates: set[asyncio.Task[None]] = set()
        self.sending: set[asyncio.Task[Any]] = set()  # creates whose intent is committed: they finish, even on stop
        self.done = asyncio.Event()
        self.fatal: BaseException | None = None
        self.creating = True
        self.halted: str | None = None
        self.connect_failures = 0
        self.creates_sent = 0
        self.downloads_done = 0
        self.retries = 0

    # --- the run ---------------------------------------------------------------------------------------------------

    async def run(self) -> CampaignResult:
        started = self.clock.now()
        remove_partial_files(self.folder)
        self.ledger.reset_refused()
        bound = self.options.attempts_bound  # None: failed jobs are not retried
        if bound is not None:
            self.ledger.set_meta("max_attempts", str(bound))
            self.retries += len(self.ledger.retry_failed(max_attempts=bound))
        await self._resume()
        self._changed()
        background = [
            asyncio.ensure_future(self._guard(self.scheduler.run())),
            asyncio.ensure_future(self._guard(self.reconciler.run())),
            asyncio.ensure_future(self._guard(self._creator())),
            *(asyncio.ensure_future(self._guard(self._downloader())) for _ in range(self.options.concurrency)),
        ]
        stopper = asyncio.ensure_future(self.stop.wait())
        finisher = asyncio.ensure_future(self.done.wait())
        interrupted = False
        try:
            await asyncio.wait({stopper, finisher}, return_when=asyncio.FIRST_COMPLETED)
            interrupted = self.stop.is_set() and not self.done.is_set()
            self.creating = False
            if self.sending:  # let the creates in flight be answered and recorded
                await asyncio.gather(*self.sending, return_exceptions=True)
        finally:
            self.creating = False
            for task in (*background, *self.creates, stopper, finisher):
                task.cancel()
            await asyncio.gather(*background, *self.creates, stopper, finisher, return_exceptions=True)
            remove_partial_files(self.folder)
        if self.fatal is not None:
            raise self.fatal
        counts = self.ledger.counts()
        return CampaignResult(
            folder=self.folder,
            campaign_id=self.ledger.campaign_id,
            counts=counts,
            problems=tuple(self.ledger.rows(*_PROBLEMS)),
            interrupted=interrupted,
            halted=self.halted,
            elapsed=self.clock.now() - started,
            creates=self.creates_sent,
            status_calls=self.scheduler.polls,
            list_calls=self.reconciler.sweeps,
            downloads=self.downloads_done,
            retries=self.retries,
        )

    async def _guard(self, work: Awaitable[None]) -> None:
        """Run a background task; its failure ends the run (the error is raised once everything stopped)."""
        try:
            await work
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            if self.fatal is None:
                self.fatal = exc
            self.done.set()

    def _abort(self, exc: BaseException) -> None:
        if self.fatal is None:
            self.fatal = exc
        self.creating = False
        self.done.set()

    async def _resume(self) -> None:
        """Pick every row up where the ledger says it stands."""
        wall, now = time.time(), self.clock.now()
        for row in list(self.ledger.rows(RowState.DOWNLOADED)):  # read them all before moving any
            if not await self._file_intact(row):
                self.ledger.mark_redownload(row.key, "the file was missing or changed: fetched again")
        for row in self.ledger.rows(RowState.CREATING, RowState.CREATED, RowState.AMBIGUOUS, RowState.COMPLETE):
            if row.state == RowState.COMPLETE:
                self.downloads.put_nowait(row.key)
                continue
            assert row.intent_seq is not None and row.intent_at is not None
            if row.state == RowState.CREATED:
                assert row.job_id is not None
                self.open_seqs[row.key] = row.intent_seq
                sent_at = now - max(0.0, wall - row.intent_at)
                self.scheduler.add(WaitingJob(row.key, row.job_id, row.mode, row.intent_seq, sent_at))
            else:
                recheck = row.state == RowState.AMBIGUOUS
                if not recheck:
                    self.open_seqs[row.key] = row.intent_seq
                self.reconciler.add(self._suspect(row, recheck=recheck))
        pending = [(row.key, row.mode) for row in self.ledger.rows(RowState.PENDING)]
        self.pending.extend(key for key, _ in sorted(pending, key=lambda item: (-_expected_seconds(item[1]), item[0])))
        self.pending_added.set()

    async def _file_intact(self, row: LedgerRow) -> bool:
        path = self.folder / row.file
        if not path.is_file() or row.sha256 is None:
            return False
        digest, size = await asyncio.to_thread(file_digest, path)
        return digest == row.sha256 and size == row.size

    def _suspect(self, row: LedgerRow, *, recheck: bool = False) -> Suspect:
        assert row.intent_seq is not None and row.intent_at is not None
        token = video_token(self.ledger.campaign_id, row.key, row.attempt)
        intent_at = self.clock.now() - max(0.0, time.time() - row.intent_at)  # the ledger keeps wall time
        return Suspect(row.key, token, row.mode, row.intent_seq, intent_at, recheck=recheck)

    def _changed(self) -> None:
        """A row moved: tell the observer, and end the run once no row has work left."""
        counts = self.ledger.counts()
        if self.observer is not None:
            self.observer.update(counts)
        left = counts[RowState.CREATING] + counts[RowState.CREATED] + counts[RowState.COMPLETE] - len(self.abandoned)
        if self.creating and not self.halted:
            left += counts[RowState.PENDING]
        if left <= 0:
            self.done.set()

    # --- creating --------------------------------------------------------------------------------------------------

    async def _creator(self) -> None:
        while True:
            while not self.pending:
                self.pending_added.clear()
                self._changed()
                await self.pending_added.wait()
            await self.limiter.acquire()
            if not self.creating or self.halted or not self.pending:
                self.limiter.release()
                if not self.creating or self.halted:
                    self.pending.clear()
                continue
            key = self.pending.popleft()
            spawn(self._create(key), self.creates)

    async def _create(self, key: int) -> None:
        try:
            await self._send_create(key)
        except Exception as exc:  # a bug or a broken disk: end the run (the ledger stays consistent)
            self._abort(exc)
        finally:
            self.limiter.release()
            task = asyncio.current_task()
            if task is not None:
                self.sending.discard(task)

    async def _send_create(self, key: int) -> None:
        await self.gate.wait()
        if not self.creating or self.halted:
            return
        task = asyncio.current_task()
        if task is not None:
            self.sending.add(task)
        row = self.ledger.mark_creating(key)
        assert row.intent_seq is not None and row.api_name is not None
        self.open_seqs[key] = row.intent_seq
        self._changed()
        self.crash.reached("intent")
        sent_at = self.clock.now()
        self.creates_sent += 1
        try:
            job = await self.client.videos.create(
                avatar=self.avatars[row.avatar_id],
                text=row.text,
                name=row.api_name,
                full_background=row.full_background,
                voice=row.voice_id,
            )
        except APIError as error:
            self._create_failed(row, error)
            return
        self.crash.reached("response")
        self.ledger.mark_created(key, job.id)
        self.crash.reached("created")
        self.gate.succeeded()
        self.limiter.accepted()
        self.connect_failures = 0
        self.scheduler.add(WaitingJob(key, job.id, row.mode, row.intent_seq, sent_at))
        self._changed()

    def _create_failed(self, row: LedgerRow, error: APIError) -> None:
        """Decide what a failed create means for its row. The one place: a create is never retried blindly."""
        key = row.key
        if isinstance(error, JobMayExistError | InternalServerError | APIResponseValidationError):
            # The service may have made the job: look for it by name, never send it again blindly.
            logger.debug("row %d: the create may have made a job (%s); reconciling by name", key, error)
            self.reconciler.add(self._suspect(row))
        elif isinstance(error, RateLimitError):
            self.ledger.mark_pending(key, note="rate limited: created again after the pause")
            self.open_seqs.pop(key, None)
            self.gate.rate_limited(error)
            self.limiter.rate_limited()
            self._requeue(key)
        elif isinstance(error, APIConnectionError):  # could not connect: the request never left
            self.ledger.mark_pending(key, note=f"not sent: {error.message}")
            self.open_seqs.pop(key, None)
            self.connect_failures += 1
            if self.connect_failures >= _CONNECT_FAILURES:
                self._abort(error)
            else:
                self.gate.pause(delay_after(error, self.connect_failures - 1, rng=self.rng))
                self._requeue(key)
        elif isinstance(error, AuthenticationError):
            self.ledger.mark_pending(key)
            self.open_seqs.pop(key, None)
            self._abort(error)
        elif isinstance(error, APIStatusError):  # a 4xx: refused, nothing was made and no credits were spent
            self.ledger.mark_refused(key, f"the API refused the create: {error.message}")
            self.open_seqs.pop(key, None)
            if isinstance(error, InsufficientCreditsError):
                self.halted = f"not enough credits ({error.message}): add credits, then rerun to create the rest"
        else:
            self.reconciler.add(self._suspect(row))
        self._changed()

    def _requeue(self, key: int) -> None:
        self.pending.appendleft(key)
        self.pending_added.set()

    # --- waiting ---------------------------------------------------------------------------------------------------

    def job_status(self, job: WaitingJob, status: JobStatus) -> None:
        self.crash.reached("poll")

    def job_complete(self, job: WaitingJob, status: JobStatus) -> None:
        assert status.video_id is not None
        self.ledger.mark_complete(job.key, status.video_id)
        self.open_seqs.pop(job.key, None)
        self.downloads.put_nowait(job.key)
        self._changed()

    def job_failed(self, job: WaitingJob, failure: JobFailedError) -> None:
        self.ledger.mark_failed(job.key, failure.state, str(failure))
        self.open_seqs.pop(job.key, None)
        bound = self.options.attempts_bound
        if (
            bound is not None
            and self.creating
            and not self.halted
            and self.ledger.mark_retry(job.key, max_attempts=bound)
        ):
            logger.debug("row %d: its job %s failed (%s); creating it again", job.key, job.job_id, failure.state)
            self.retries += 1
            self.pending.append(job.key)
            self.pending_added.set()
        self._changed()

    def job_error(self, job: WaitingJob, error: APIError) -> None:
        self.open_seqs.pop(job.key, None)
        if isinstance(error, NotFoundError):
            self.ledger.mark_failed(job.key, "unknown_job", f"the job's status cannot be read: {error.message}")
            self._changed()
            return
        self._abort(error)

    # --- reconciling -----------------------------------------------------------------------------------------------

    def prior_open(self, suspect: Suspect) -> bool:
        return any(seq < suspect.seq for key, seq in self.open_seqs.items() if key != suspect.key)

    def suspect_found(self, suspect: Suspect, video: Video) -> None:
        logger.debug("row %d: found its video %s by name", suspect.key, video.id)
        self.ledger.mark_complete(suspect.key, video.id)
        self.open_seqs.pop(suspect.key, None)
        self.downloads.put_nowait(suspect.key)
        self._changed()

    def suspect_missing(self, suspect: Suspect) -> None:
        self.open_seqs.pop(suspect.key, None)
        row = self.ledger.get(suspect.key)
        if row.state == RowState.CREATING:
            self.ledger.mark_ambiguous(
                suspect.key,
                f"its create may not have reached the service: no video named like {row.api_name!r} appeared in "
                "time (a rerun looks again; --recreate-ambiguous creates it again)",
            )
        if self.options.recreate_ambiguous and self.creating and not self.halted:
            self.ledger.mark_recreate(suspect.key)
            self.pending.append(suspect.key)
            self.pending_added.set()
        self._changed()

    # --- downloading -----------------------------------------------------------------------------------------------

    def _request_failed(self, error: APIError, delay: float) -> None:
        """A request failed: a 429 pauses the whole batch."""
        if isinstance(error, RateLimitError):
            self.gate.rate_limited(error)

    async def _downloader(self) -> None:
        while True:
            key = await self.downloads.get()
            await self._download(key)

    async def _download(self, key: int) -> None:
        row = self.ledger.get(key)
        assert row.video_id is not None
        target = self.folder / row.file

        video_id = row.video_id

        async def download() -> None:
            await self.gate.wait()
            await self.client.videos.download(video_id, target)

        try:
            await retry_async(
                download,
                attempts=_DOWNLOAD_ATTEMPTS,
                clock=self.clock,
                rng=self.rng,
                retryable=_download_retryable,
                on_retry=self._request_failed,
            )
        except AuthenticationError as error:
            self._abort(error)
            return
        except APIError as error:
            self._request_failed(error, 0.0)
            if _download_retryable(error):
                logger.debug("row %d: giving up downloading for this run (%s)", key, error)
                self.abandoned.add(key)
            else:
                self.ledger.mark_failed(key, "download", f"the download failed: {error.message}")
            self._changed()
            return
        self.gate.succeeded()
        self.crash.reached("downloaded")
        digest, size = await asyncio.to_thread(file_digest, target)
        self.ledger.mark_downloaded(key, file=row.file, sha256=digest, size=size)
        self.downloads_done += 1
        self._changed()


def _expected_seconds(mode: str) -> float:
    """A mode's mean render time from the spec (0 for a mode the spec does not know)."""
    info = lifecycle().modes.get(mode)
    return 0.0 if info is None else (info.duration.min + info.duration.max) / 2


def _download_retryable(error: APIError) -> bool:
    """Whether a failed download is tried again: a transient failure or a body cut short; never a 404 or a 401."""
    if isinstance(error, NotFoundError | AuthenticationError):
        return False
    return is_transient(error) or isinstance(error, IncompleteBodyError)
