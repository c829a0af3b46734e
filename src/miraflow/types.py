"""The SDK's public types.

`Avatar`, `Voice`, `Video` and `VideoDetail` are the generated client's models, as the API returns them. `Job` (what a
create returns), `JobStatus` (what a status poll observes) and `CompletedJob` (what a successful wait returns: its
`video_id` is a `str`, never None) are the SDK's own. `JobState` is a `StrEnum` built from
the spec's lifecycle when this module is imported: its members are the spec's states, never a list kept here.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

import attrs

from miraflow.spec import DurationRange, Mode, StateInfo, lifecycle
from miraflow_client.models import Avatar, Video, VideoDetail, Voice

__all__ = [
    "Avatar",
    "CompletedJob",
    "Job",
    "JobState",
    "JobStatus",
    "Video",
    "VideoDetail",
    "Voice",
    "parse_progress",
]

if TYPE_CHECKING:

    class JobState(StrEnum):
        """A job's state: one member per state of the spec's `x-job-lifecycle` (`JobState.INFERENCE_COMPLETE`)."""

else:
    JobState = StrEnum("JobState", [(name.upper(), name) for name in lifecycle().state_names], module=__name__)
    JobState.__doc__ = (
        "A job's state: one member per state of the spec's `x-job-lifecycle` (`JobState.INFERENCE_COMPLETE`)."
    )
    JobState.__qualname__ = "JobState"

_PROGRESS = re.compile(r"^\s*(\d{1,3})\s*%?\s*$")


def parse_progress(value: object) -> int | None:
    """A progress string such as "45%" as an int from 0 to 100, or None if absent or malformed."""
    if not isinstance(value, str):
        return None
    match = _PROGRESS.match(value)
    if match is None:
        return None
    percent = int(match.group(1))
    return percent if percent <= 100 else None


@attrs.frozen
class Job:
    """A video generation job, as `videos.create` started it. Follow it with `jobs.wait(job)` or `jobs.retrieve(job)`.

    `id` is the `jobId` (not the video's id, which only a complete job's status carries); `mode` names the spec's
    generation mode the create selected (`face_cropped`, `full_background` or `video_avatar`).
    """

    id: str
    name: str
    avatar_id: str
    mode: str

    @property
    def expected_duration(self) -> DurationRange:
        """How long the spec says this job's mode takes to render, in seconds."""
        return self.mode_info.duration

    @property
    def mode_info(self) -> Mode:
        """The spec's description of this job's generation mode."""
        return lifecycle().mode(self.mode)


@attrs.frozen
class JobStatus:
    """One observation of a job.

    `status` is a `JobState`; `progress` a percentage (0–100) while rendering, else None; `video_id`, once complete,
    is what `videos.retrieve` and `videos.download` take.
    """

    job_id: str
    status: JobState
    progress: int | None = None
    video_id: str | None = None

    @property
    def state(self) -> StateInfo:
        """The spec's description of this state (terminal or not, its outcome, whether it carries progress)."""
        return lifecycle().states[self.status]

    @property
    def is_terminal(self) -> bool:
        """Whether the job will never change again."""
        return self.state.terminal

    @property
    def outcome(self) -> Literal["success", "failure"] | None:
        """`"success"` (the video is ready), `"failure"` (no video was made), or None while the job runs."""
        return self.state.outcome


@attrs.frozen
class CompletedJob(JobStatus):
    """A job that finished with a video: what `jobs.wait` returns. A `JobStatus` whose `video_id` is always a `str`.

    ```python
    done = client.jobs.wait(job)
    client.videos.download(done.video_id)  # a str: no None check needed
    ```
    """

    video_id: str = attrs.field(kw_only=True)

    @classmethod
    def from_status(cls, status: JobStatus) -> CompletedJob:
        """The `CompletedJob` of a successful status; `ValueError` if the job has not succeeded or has no video id."""
        if status.outcome != "success" or not status.video_id:
            raise ValueError(f"job {status.job_id} is {status.status}, not complete with a video id")
        return cls(job_id=status.job_id, status=status.status, progress=status.progress, video_id=status.video_id)
