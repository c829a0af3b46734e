"""`with_raw_response` views of the resources and the clients: every method, returning a `RawResponse`.

`client.videos.with_raw_response.create(...)` takes `create`'s arguments and returns `RawResponse[Job]`
(`status_code`, `headers`, `http_response`, `parse()`); the async views' methods are awaited. Each view wraps the
resource's bound methods, so its signatures are the resource's (ParamSpec keeps them for type checkers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from miraflow._response import async_to_raw_response_wrapper, to_raw_response_wrapper

if TYPE_CHECKING:
    from miraflow._client import AsyncMiraflow, Miraflow
    from miraflow._resources.avatars import AsyncAvatars, Avatars
    from miraflow._resources.jobs import AsyncJobs, Jobs
    from miraflow._resources.videos import AsyncVideos, Videos
    from miraflow._resources.voices import AsyncVoices, Voices

__all__ = [
    "AsyncAvatarsWithRawResponse",
    "AsyncJobsWithRawResponse",
    "AsyncMiraflowWithRawResponse",
    "AsyncVideosWithRawResponse",
    "AsyncVoicesWithRawResponse",
    "AvatarsWithRawResponse",
    "JobsWithRawResponse",
    "MiraflowWithRawResponse",
    "VideosWithRawResponse",
    "VoicesWithRawResponse",
]


class AvatarsWithRawResponse:
    """`client.avatars.with_raw_response`: `list` and `retrieve`, returning a `RawResponse`."""

    def __init__(self, avatars: Avatars) -> None:
        self.list = to_raw_response_wrapper(avatars.list)
        self.retrieve = to_raw_response_wrapper(avatars.retrieve)


class AsyncAvatarsWithRawResponse:
    """`client.avatars.with_raw_response` of `AsyncMiraflow`."""

    def __init__(self, avatars: AsyncAvatars) -> None:
        self.list = async_to_raw_response_wrapper(avatars.list)
        self.retrieve = async_to_raw_response_wrapper(avatars.retrieve)


class VoicesWithRawResponse:
    """`client.voices.with_raw_response`: `list` and `retrieve`, returning a `RawResponse`."""

    def __init__(self, voices: Voices) -> None:
        self.list = to_raw_response_wrapper(voices.list)
        self.retrieve = to_raw_response_wrapper(voices.retrieve)


class AsyncVoicesWithRawResponse:
    """`client.voices.with_raw_response` of `AsyncMiraflow`."""

    def __init__(self, voices: AsyncVoices) -> None:
        self.list = async_to_raw_response_wrapper(voices.list)
        self.retrieve = async_to_raw_response_wrapper(voices.retrieve)


class JobsWithRawResponse:
    """`client.jobs.with_raw_response`: `retrieve` and `wait` (its last status poll), returning a `RawResponse`."""

    def __init__(self, jobs: Jobs) -> None:
        self.retrieve = to_raw_response_wrapper(jobs.retrieve)
        self.wait = to_raw_response_wrapper(jobs.wait)


class AsyncJobsWithRawResponse:
    """`client.jobs.with_raw_response` of `AsyncMiraflow`."""

    def __init__(self, jobs: AsyncJobs) -> None:
        self.retrieve = async_to_raw_response_wrapper(jobs.retrieve)
        self.wait = async_to_raw_response_wrapper(jobs.wait)


class VideosWithRawResponse:
    """`client.videos.with_raw_response`: every method of `client.videos`, returning a `RawResponse`."""

    def __init__(self, videos: Videos) -> None:
        self.list = to_raw_response_wrapper(videos.list)
        self.retrieve = to_raw_response_wrapper(videos.retrieve)
        self.create = to_raw_response_wrapper(videos.create)
        self.create_from_audio = to_raw_response_wrapper(videos.create_from_audio)
        self.download = to_raw_response_wrapper(videos.download)
        self.generate = to_raw_response_wrapper(videos.generate)


class AsyncVideosWithRawResponse:
    """`client.videos.with_raw_response` of `AsyncMiraflow`."""

    def __init__(self, videos: AsyncVideos) -> None:
        self.list = async_to_raw_response_wrapper(videos.list)
        self.retrieve = async_to_raw_response_wrapper(videos.retrieve)
        self.create = async_to_raw_response_wrapper(videos.create)
        self.create_from_audio = async_to_raw_response_wrapper(videos.create_from_audio)
        self.download = async_to_raw_response_wrapper(videos.download)
        self.generate = async_to_raw_response_wrapper(videos.generate)


class MiraflowWithRawResponse:
    """`client.with_raw_response`: each resource's `with_raw_response` view."""

    def __init__(self, client: Miraflow) -> None:
        self.avatars = client.avatars.with_raw_response
        self.voices = client.voices.with_raw_response
        self.jobs = client.jobs.with_raw_response
        self.videos = client.videos.with_raw_response


class AsyncMiraflowWithRawResponse:
    """`client.with_raw_response` of `AsyncMiraflow`."""

    def __init__(self, client: AsyncMiraflow) -> None:
        self.avatars = client.avatars.with_raw_response
        self.voices = client.voices.with_raw_response
        self.jobs = client.jobs.with_raw_response
        self.videos = client.videos.with_raw_response
