"""`client.jobs`: a job's status, and waiting for it to finish."""

from __future__ import annotations

from miraflow._base_client import AsyncAPIClient, RequestSpec, SyncAPIClient, job_status, parse_body
from miraflow._waiter import ProgressCallback, WaitState, wait_async, wait_sync
from miraflow.types import Job, JobStatus
from miraflow_client.api.videos import get_job_status

__all__ = ["AsyncJobs", "Jobs"]


def _status_request(job_id: str) -> RequestSpec:
    return RequestSpec("getJobStatus", lambda: get_job_status._get_kwargs(job_id), idempotent=True)


class Jobs:
    """Video generation jobs (`client.jobs`)."""

    def __init__(self, client: SyncAPIClient) -> None:
        self._client = client

    def retrieve(self, job: Job | str) -> JobStatus:
        """The job's current status (`job` is a `Job` or its id, the `jobId` a create returned)."""
        job_id = job.id if isinstance(job, Job) else job
        response = self._client._request(_status_request(job_id))
        return job_status(
            job_id, parse_body(get_job_status._parse_response, self._client._generated, response), response
        )

    def wait(
        self,
        job: Job | str,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        time_scale: float | None = None,
    ) -> JobStatus:
        """Wait until the job finishes and return its complete status (which carries the `video_id`).

        Polls adaptively: sparsely while the job cannot be done yet, densely near the moment its mode's expected
        duration and its observed progress say it will be. `on_progress` gets every status observed. A status request
        that fails transiently is retried, not fatal. Raises `JobFailedError` if the job ends in a failure state and
        `WaitTimeoutError` (carrying the last status) after `timeout` seconds; no timeout waits as long as it takes.
        `time_scale` is for a simulator running faster than real time: it scales every interval and expected
        duration (default: the client's `time_scale`).
        """
        job_id, planner = self._client._plan_wait(job, time_scale=time_scale)
        clock = self._client._clock
        state = WaitState(job_id=job_id, planner=planner, now=clock.now(), timeout=timeout, on_progress=on_progress)
        return wait_sync(lambda: self.retrieve(job_id), state, clock)


class AsyncJobs:
    """Video generation jobs (`client.jobs` of `AsyncMiraflow`)."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def retrieve(self, job: Job | str) -> JobStatus:
        """The job's current status (`job` is a `Job` or its id, the `jobId` a create returned)."""
        job_id = job.id if isinstance(job, Job) else job
        response = await self._client._request(_status_request(job_id))
        return job_status(
            job_id, parse_body(get_job_status._parse_response, self._client._generated, response), response
        )

    async def wait(
        self,
        job: Job | str,
        *,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        time_scale: float | None = None,
    ) -> JobStatus:
        """Wait until the job finishes and return its complete status (see `Jobs.wait`)."""
        job_id, planner = self._client._plan_wait(job, time_scale=time_scale)
        clock = self._client._clock
        state = WaitState(job_id=job_id, planner=planner, now=clock.now(), timeout=timeout, on_progress=on_progress)
        return await wait_async(lambda: self.retrieve(job_id), state, clock)
