"""The clients: `Miraflow` and its async twin `AsyncMiraflow`, side by side."""

from __future__ import annotations

import copy
import random

import httpx

from miraflow._base_client import AsyncAPIClient, SyncAPIClient
from miraflow._constants import AVATAR_CACHE_TTL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT
from miraflow._resource import rebind_resources
from miraflow._resources import AsyncAvatars, AsyncJobs, AsyncVideos, AsyncVoices, Avatars, Jobs, Videos, Voices
from miraflow._resources.raw import AsyncMiraflowWithRawResponse, MiraflowWithRawResponse
from miraflow.clock import AsyncClock, Clock

__all__ = ["AsyncMiraflow", "Miraflow"]


class Miraflow(SyncAPIClient):
    """A client of the Miraflow Photo Avatar API.

    ```python
    from miraflow import Miraflow

    client = Miraflow()  # the key from MIRAFLOW_API_KEY
    path = client.videos.generate(avatar="Margot", text="Hello!", name="Hello")
    ```

    `api_key` defaults to the `MIRAFLOW_API_KEY` environment variable; `base_url` is the API root as the docs give it
    (`https://miraflow.ai/api`), defaulting to `MIRAFLOW_BASE_URL`, then production. `timeout` applies to each
    request, in seconds (or an `httpx.Timeout`); `max_retries` is how often an idempotent request is retried.
    `avatar_cache_ttl` is how long `avatars.list()` is cached. `transport` replaces httpx's (say, an
    `httpx.MockTransport` in tests). `time_scale` (default `MIRAFLOW_TIME_SCALE`, else 1) is for a simulator running
    faster than real time: waits scale their intervals and the spec's durations by it. The environment is read here,
    and only here. `MIRAFLOW_LOG=debug` turns on the `miraflow` logger.
    """

    avatars: Avatars
    """The account's avatars."""
    voices: Voices
    """The voices a video can be spoken with."""
    videos: Videos
    """Creating, listing, retrieving and downloading videos."""
    jobs: Jobs
    """Video generation jobs: their status, and waiting for them."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        avatar_cache_ttl: float = AVATAR_CACHE_TTL,
        transport: httpx.BaseTransport | None = None,
        time_scale: float | None = None,
        _clock: Clock | None = None,
        _rng: random.Random | None = None,
    ) -> None:
        super().__init__(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            transport=transport,
            time_scale=time_scale,
            clock=_clock,
            rng=_rng,
        )
        self.avatars = Avatars(self, cache_ttl=avatar_cache_ttl)
        self.voices = Voices(self)
        self.jobs = Jobs(self)
        self.videos = Videos(self, avatars=self.avatars, jobs=self.jobs, voices=self.voices)

    def __enter__(self) -> Miraflow:
        return self

    def with_options(self, *, timeout: float | httpx.Timeout | None = None, max_retries: int | None = None) -> Miraflow:
        """A copy of this client with another `timeout` and/or `max_retries` (None keeps this client's).

        ```python
        client.with_options(timeout=120, max_retries=5).videos.download(video_id)
        ```

        The copy shares this client's connection pool, avatar cache and known jobs; close the original, not the copy.
        """
        clone = copy.copy(self)
        clone._set_options(timeout=timeout, max_retries=max_retries)
        rebind_resources(clone, self)
        return clone

    @property
    def with_raw_response(self) -> MiraflowWithRawResponse:
        """The resources, each method returning a `RawResponse` (status, headers, `parse()`) instead of its result.

        `client.with_raw_response.videos.list()` is `client.videos.with_raw_response.list()`.
        """
        return MiraflowWithRawResponse(self)


class AsyncMiraflow(AsyncAPIClient):
    """The async client of the Miraflow Photo Avatar API: `Miraflow` with `await`.

    ```python
    from miraflow import AsyncMiraflow

    async with AsyncMiraflow() as client:
        path = await client.videos.generate(avatar="Margot", text="Hello!", name="Hello")
    ```

    Takes the arguments of `Miraflow` (`transport` is an `httpx.AsyncBaseTransport`).
    """

    avatars: AsyncAvatars
    """The account's avatars."""
    voices: AsyncVoices
    """The voices a video can be spoken with."""
    videos: AsyncVideos
    """Creating, listing, retrieving and downloading videos."""
    jobs: AsyncJobs
    """Video generation jobs: their status, and waiting for them."""

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        avatar_cache_ttl: float = AVATAR_CACHE_TTL,
        transport: httpx.AsyncBaseTransport | None = None,
        time_scale: float | None = None,
        _clock: AsyncClock | None = None,
        _rng: random.Random | None = None,
    ) -> None:
        super().__init__(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            transport=transport,
            time_scale=time_scale,
            clock=_clock,
            rng=_rng,
        )
        self.avatars = AsyncAvatars(self, cache_ttl=avatar_cache_ttl)
        self.voices = AsyncVoices(self)
        self.jobs = AsyncJobs(self)
        self.videos = AsyncVideos(self, avatars=self.avatars, jobs=self.jobs, voices=self.voices)

    async def __aenter__(self) -> AsyncMiraflow:
        return self

    def with_options(
        self, *, timeout: float | httpx.Timeout | None = None, max_retries: int | None = None
    ) -> AsyncMiraflow:
        """A copy of this client with another `timeout` and/or `max_retries` (see `Miraflow.with_options`)."""
        clone = copy.copy(self)
        clone._set_options(timeout=timeout, max_retries=max_retries)
        rebind_resources(clone, self)
        return clone

    @property
    def with_raw_response(self) -> AsyncMiraflowWithRawResponse:
        """The resources, each method returning a `RawResponse` instead of its result (see `Miraflow`'s)."""
        return AsyncMiraflowWithRawResponse(self)
