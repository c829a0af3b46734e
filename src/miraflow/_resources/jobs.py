"""`client.jobs`: a job's status, and waiting for it to finish. It remembers the jobs its client created, to plan."""

from __future__ import annotations

import random

from miraflow._arguments import JOB, check_arguments, wait_arguments
from miraflow._base_client import AsyncAPIClient, RequestSpec, SyncAPIClient, job_status
from miraflow._resource import AsyncAPIResource, SyncAPIResource
from miraflow._resources.raw import AsyncJobsWithRawResponse, JobsWithRawResponse
from miraflow._waiter import (
    KnownJobs,
    PaceHistory,
    PollPlanner,
    ProgressCallback,
    WaitState,
    new_planner,
    wait_async,
    wait_sync,
)
from miraflow.types import CompletedJob, Job, JobStatus
from miraflow_client.api.videos import get_job_status

__all__ = ["AsyncJobs", "Jobs"]


def _check_wait(job: object, timeout: object, on_progress: object, time_scale: object) -> None:
    check_arguments("jobs.wait", job=(job, JOB), **wait_arguments(timeout, on_progress, time_scale))


def _status_request(job_id: str) -> RequestSpec:
    return RequestSpec("getJobStatus", lambda: get_job_status._get_kwargs(job_id), idempotent=True)


class _KnownJobsMixin:
    """What both twins keep: the jobs their client created, the pace its jobs kept, and a planner that knows both."""

    _known: KnownJobs
    _pace: PaceHistory
    _time_scale: float

    def _remember(self, job_id: str, *, mode: str, sent_at: float) -> None:
        """Remember a job this client created (its mode, when the create was sent), so `wait(job_id)` plans well."""
        self._known.remember(job_id, mode=mode, sent_at=sent_at)

    def _plan(self, job: Job | str, *, time_scale: float | None, rng: random.Random) -> tuple[str, PollPlanner]:
        job_id = job.id if isinstance(job, Job) else job
        known = self._known.recall(job_id)
        mode = job.mode if isinstance(job, Job) else (known[0] if known is not None else None)
        planner = new_planner(
            mode,
            started_after=known[1] if known is not None else None,
            rng=rng,
            time_scale=self._time_scale if time_scale is None else time_scale,
            history=self._pace,
        )
        return job_id, planner


class Jobs(SyncAPIResource, _KnownJobsMixin):
    """Video generation jobs (`client.jobs`)."""

    def __init__(self, client: SyncAPIClient) -> None:
        super().__init__(client)
        self._known = KnownJobs()
        self._pace = PaceHistory()

    @property
    def with_raw_response(self) -> JobsWithRawResponse:
        """These methods, each returning a `RawResponse` (status, headers, `parse()`); `wait`'s is its last poll."""
        return JobsWithRawResponse(self)

    def retrieve(self, job: Job | str) -> JobStatus:
        """The job's current status (`job` is a `Job` or its id, the `jobId` a create returned)."""
        check_arguments("jobs.retrieve", job=(job, JOB))
        job_id = job.id if isinstance(job, Job) else job
        response = self._request(_status_request(job_id))
        return job_status(job_id, self._parse(get_job_status._parse_response, response), response)

    def wait(
        self,
        job: Job | str,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        time_scale: float | None = None,
    ) -> CompletedJob:
        """Wait until the job finishes and return its `CompletedJob` (a status whose `video_id` is a `str`).

        Polls adaptively: sparsely while the job cannot be done yet, densely near the moment its mode's expected
        duration and its observed progress say it will be. `on_progress` gets every status observed. A status request
        that fails transiently is retried, not fatal. Raises `JobFailedError` if the job ends in a failure state and
        `WaitTimeoutError` (carrying the last status) after `timeout` seconds; no timeout waits as long as it takes.
        `time_scale` is for a simulator running faster than real time: it scales every interval and expected
        duration (default: the client's `time_scale`).
        """
        _check_wait(job, timeout, on_progress, time_scale)
        job_id, planner = self._plan(job, time_scale=time_scale, rng=self._rng)
        state = WaitState(
            job_id=job_id, planner=planner, now=self._clock.now(), timeout=timeout, on_progress=on_progress
        )
        return CompletedJob.from_status(wait_sync(lambda: self.retrieve(job_id), state, self._clock))


class AsyncJobs(AsyncAPIResource, _KnownJobsMixin):
    """Video generation jobs (`client.jobs` of `AsyncMiraflow`)."""

    def __init__(self, client: AsyncAPIClient) -> None:
        super().__init__(client)
        self._known = KnownJobs()
        self._pace = PaceHistory()

    @property
    def with_raw_response(self) -> AsyncJobsWithRawResponse:
        """These methods, each returning a `RawResponse` (status, headers, `parse()`); `wait`'s is its last poll."""
        return AsyncJobsWithRawResponse(self)

    async def retrieve(self, job: Job | str) -> JobStatus:
        """The job's current status (`job` is a `Job` or its id, the `jobId` a create returned)."""
        check_arguments("jobs.retrieve", job=(job, JOB))
        job_id = job.id if isinstance(job, Job) else job
        response = await self._request(_status_request(job_id))
        return job_status(job_id, self._parse(get_job_status._parse_response, response), response)

    async def wait(
        self,
        job: Job | str,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        time_scale: float | None = None,
    ) -> CompletedJob:
        """Wait until the job finishes and return its `CompletedJob` (see `Jobs.wait`)."""
        _check_wait(job, timeout, on_progress, time_scale)
        job_id, planner = self._plan(job, time_scale=time_scale, rng=self._rng)
        state = WaitState(
            job_id=job_id, planner=planner, now=self._clock.now(), timeout=timeout, on_progress=on_progress
        )
        return CompletedJob.from_status(await wait_async(lambda: self.retrieve(job_id), state, self._clock))
