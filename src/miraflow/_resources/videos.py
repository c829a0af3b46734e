"""`client.videos`: creating videos (from a script or an audio file), listing, retrieving and downloading them."""

from __future__ import annotations

import builtins
import os
from pathlib import Path

import httpx

from miraflow._arguments import (
    AVATAR,
    CALLBACK,
    OPTIONAL_FLAG,
    OPTIONAL_VOICE,
    PATH,
    TEXT,
    check_arguments,
    wait_arguments,
)
from miraflow._avatars import AvatarRef
from miraflow._base_client import AsyncAPIClient, RequestSpec, SyncAPIClient, expect
from miraflow._download import (
    DownloadProgress,
    Target,
    resolve_target,
    safe_filename,
    write_body_async,
    write_body_sync,
)
from miraflow._exceptions import APIResponseValidationError
from miraflow._logging import logger
from miraflow._resource import AsyncAPIResource, SyncAPIResource
from miraflow._resources.avatars import AsyncAvatars, Avatars
from miraflow._resources.jobs import AsyncJobs, Jobs
from miraflow._resources.raw import AsyncVideosWithRawResponse, VideosWithRawResponse
from miraflow._resources.voices import AsyncVoices, Voices
from miraflow._upload import AudioFile, UploadProgress, describe_audio
from miraflow._waiter import ProgressCallback
from miraflow.modes import choose_mode
from miraflow.spec import Mode
from miraflow.types import Avatar, Job, Video, VideoDetail, Voice
from miraflow_client.api.media import finalize_media, initialize_media
from miraflow_client.api.videos import create_video, download_video, get_video, list_videos
from miraflow_client.models import (
    CreateVideoFromAudioRequest,
    CreateVideoRequest,
    CreateVideoResponse,
    MediaFinalizeRequest,
    MediaFinalizeResponse,
    MediaInitializeRequest,
    MediaInitializeResponse,
    VideoList,
)
from miraflow_client.types import UNSET

__all__ = ["AsyncVideos", "Videos"]

_LIST = RequestSpec("listVideos", list_videos._get_kwargs, idempotent=True)

Destination = str | os.PathLike[str]


def _check_create(
    call: str, avatar: object, text: object, name: object, full_background: object, voice: object
) -> None:
    check_arguments(
        call,
        avatar=(avatar, AVATAR),
        text=(text, TEXT),
        name=(name, TEXT),
        full_background=(full_background, OPTIONAL_FLAG),
        voice=(voice, OPTIONAL_VOICE),
    )


def _check_generate(dest: object, timeout: object, on_progress: object, time_scale: object) -> None:
    check_arguments("videos.generate", dest=(dest, PATH), **wait_arguments(timeout, on_progress, time_scale))


def _create_body(
    avatar: Avatar, *, text: str, name: str, full_background: bool | None, voice: Voice | None
) -> tuple[CreateVideoRequest, Mode]:
    choice = choose_mode(avatar, full_background=full_background)
    body = CreateVideoRequest(
        avatar_id=avatar.id,
        name=name,
        text=text,
        voice_id=voice.id if voice is not None else UNSET,
        im2vid_full=UNSET if choice.im2vid_full is None else choice.im2vid_full,
    )
    return body, choice.mode


def _create_request(body: CreateVideoRequest | CreateVideoFromAudioRequest, name: str) -> RequestSpec:
    return RequestSpec("createVideo", lambda: create_video._get_kwargs(body=body), idempotent=False, video_name=name)


def _retrieve_request(video_id: str) -> RequestSpec:
    return RequestSpec("getVideo", lambda: get_video._get_kwargs(video_id), idempotent=True)


def _download_request(video_id: str) -> RequestSpec:
    return RequestSpec("downloadVideo", lambda: download_video._get_kwargs(video_id), idempotent=True)


def _initialize_request(audio: AudioFile) -> RequestSpec:
    body = MediaInitializeRequest(file_name=audio.name, content_type=audio.content_type, file_size=audio.size)
    return RequestSpec("initializeMedia", lambda: initialize_media._get_kwargs(body=body), idempotent=False)


def _finalize_request(media_id: str) -> RequestSpec:
    body = MediaFinalizeRequest(media_id=media_id)
    return RequestSpec("finalizeMedia", lambda: finalize_media._get_kwargs(body=body), idempotent=False)


def _check_finalized(parsed: MediaFinalizeResponse, response: httpx.Response) -> None:
    if not parsed.success:
        raise APIResponseValidationError("media/finalize did not confirm the upload", response=response)


def _named_target(target: Target, video_id: str, name: str) -> Target:
    return target.with_name(safe_filename(name, fallback=f"video-{video_id}"))


class Videos(SyncAPIResource):
    """Videos and their generation (`client.videos`)."""

    def __init__(self, client: SyncAPIClient, *, avatars: Avatars, jobs: Jobs, voices: Voices) -> None:
        super().__init__(client)
        self._avatars = avatars
        self._jobs = jobs
        self._voices = voices

    @property
    def with_raw_response(self) -> VideosWithRawResponse:
        """These methods, each returning a `RawResponse` (status, headers, `parse()`) of their last response."""
        return VideosWithRawResponse(self)

    def _voice(self, voice: Voice | str | None) -> Voice | None:
        if voice is None or voice == "":
            return None
        return self._voices._for_create(voice)

    def list(self) -> builtins.list[Video]:
        """The account's completed videos (jobs still rendering are not listed)."""
        response = self._request(_LIST)
        return expect(self._parse(list_videos._parse_response, response), VideoList, response).videos

    def retrieve(self, video_id: str) -> VideoDetail:
        """A completed video's metadata and signed `download_url` (`video_id` is a complete job's `video_id`)."""
        check_arguments("videos.retrieve", video_id=(video_id, TEXT))
        response = self._request(_retrieve_request(video_id))
        parsed = self._parse(get_video._parse_response, response)
        return expect(parsed, VideoDetail, response)

    def create(
        self,
        *,
        avatar: AvatarRef,
        text: str,
        name: str,
        full_background: bool | None = None,
        voice: Voice | str | None = None,
    ) -> Job:
        """Start generating a video of `avatar` (an `Avatar`, its id or its name) speaking `text`; return its `Job`.

        For a photo avatar, `full_background=True` selects full-background output (slower, 16:9), anything else the
        face-cropped default; a video avatar has one mode, and `full_background=True` with one raises
        `ModeNotSupportedError` before any create is sent. An unknown avatar raises `NotFoundError`, also before.
        `voice` (a `Voice`, its id or its name, found as `voices.retrieve` finds it) overrides the avatar's own voice.

        The create costs credits and is never retried. If the connection breaks after it was sent, `JobMayExistError`
        says so and how to check.
        """
        _check_create("videos.create", avatar, text, name, full_background, voice)
        resolved = self._avatars.retrieve(avatar)
        spoken = self._voice(voice)
        body, mode = _create_body(resolved, text=text, name=name, full_background=full_background, voice=spoken)
        return self._create(body, resolved, mode, name)

    def create_from_audio(
        self,
        *,
        avatar: AvatarRef,
        name: str,
        audio_path: str | os.PathLike[str],
        on_upload_progress: UploadProgress | None = None,
    ) -> Job:
        """Start generating a video of `avatar` lip-syncing the audio file at `audio_path`; return its `Job`.

        Uploads the file first (media initialize, PUT to the signed URL, finalize), then creates the video. Only the
        PUT is retried; the create is not (see `create`). `on_upload_progress(sent, total)` follows the PUT's bytes
        (a retried PUT starts again from 0).
        """
        check_arguments(
            "videos.create_from_audio",
            avatar=(avatar, AVATAR),
            name=(name, TEXT),
            audio_path=(audio_path, PATH),
            on_upload_progress=(on_upload_progress, CALLBACK),
        )
        audio = describe_audio(audio_path)
        resolved = self._avatars.retrieve(avatar)
        mode = choose_mode(resolved, full_background=None).mode
        response = self._request(_initialize_request(audio))
        parsed = self._parse(initialize_media._parse_response, response)
        upload = expect(parsed, MediaInitializeResponse, response)
        put = RequestSpec(
            "uploadMedia",
            lambda: audio.put_kwargs(upload.upload_url, on_upload_progress),
            idempotent=True,
            send_key=self._same_origin(upload.upload_url),
        )
        self._request(put)
        response = self._request(_finalize_request(upload.media_id))
        finalized = self._parse(finalize_media._parse_response, response)
        _check_finalized(expect(finalized, MediaFinalizeResponse, response), response)
        body = CreateVideoFromAudioRequest(avatar_id=resolved.id, name=name, media_id=upload.media_id)
        return self._create(body, resolved, mode, name)

    def download(self, video_id: str, dest: Destination = ".", *, on_progress: DownloadProgress | None = None) -> Path:
        """Download a completed video's MP4 to `dest` and return the file's path.

        `dest` is a folder (existing, or a path ending in a separator, then created), where the file is named after
        the video (sanitised; never overwriting: a collision gets a ` (1)` suffix), or the file's own path (replaced
        if it exists). The body streams into a temporary file beside it, is checked against its Content-Length and
        content type, fsynced and renamed into place: a failed download leaves no file. A body cut short is retried.
        `on_progress(bytes_written, total)` is called after each chunk (`total` is None if not announced).
        """
        check_arguments(
            "videos.download", video_id=(video_id, TEXT), dest=(dest, PATH), on_progress=(on_progress, CALLBACK)
        )
        return self._download(video_id, resolve_target(dest), name=None, on_progress=on_progress)

    def generate(
        self,
        *,
        avatar: AvatarRef,
        text: str,
        name: str,
        full_background: bool | None = None,
        dest: Destination = ".",
        voice: Voice | str | None = None,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        time_scale: float | None = None,
    ) -> Path:
        """Create a video, wait for it, download it to `dest`; return the file's path.

        The arguments are those of `create`, `jobs.wait` and `download`. `dest` is checked before the create, so a
        wrong folder costs no credits. Raises `JobFailedError` if the job fails.
        """
        _check_create("videos.generate", avatar, text, name, full_background, voice)
        _check_generate(dest, timeout, on_progress, time_scale)
        target = resolve_target(dest)
        job = self.create(avatar=avatar, text=text, name=name, full_background=full_background, voice=voice)
        status = self._jobs.wait(job, timeout=timeout, on_progress=on_progress, time_scale=time_scale)
        return self._download(status.video_id, target, name=name)

    def _create(
        self, body: CreateVideoRequest | CreateVideoFromAudioRequest, avatar: Avatar, mode: Mode, name: str
    ) -> Job:
        sent_at = self._clock.now()
        response = self._request(_create_request(body, name))
        parsed = self._parse(create_video._parse_response, response)
        created = expect(parsed, CreateVideoResponse, response)
        self._jobs._remember(created.job_id, mode=mode.name, sent_at=sent_at)
        logger.debug("created job %s (%s, avatar %s)", created.job_id, mode.name, avatar.id)
        return Job(id=created.job_id, name=name, avatar_id=avatar.id, mode=mode.name)

    def _download(
        self, video_id: str, target: Target, *, name: str | None, on_progress: DownloadProgress | None = None
    ) -> Path:
        if target.path is None:
            target = _named_target(target, video_id, name if name is not None else self.retrieve(video_id).name)
        path = self._stream(
            _download_request(video_id), lambda response: write_body_sync(response, target, on_progress)
        )
        logger.debug("downloaded video %s to %s", video_id, path)
        return path


class AsyncVideos(AsyncAPIResource):
    """Videos and their generation (`client.videos` of `AsyncMiraflow`)."""

    def __init__(self, client: AsyncAPIClient, *, avatars: AsyncAvatars, jobs: AsyncJobs, voices: AsyncVoices) -> None:
        super().__init__(client)
        self._avatars = avatars
        self._jobs = jobs
        self._voices = voices

    @property
    def with_raw_response(self) -> AsyncVideosWithRawResponse:
        """These methods, each returning a `RawResponse` (status, headers, `parse()`) of their last response."""
        return AsyncVideosWithRawResponse(self)

    async def _voice(self, voice: Voice | str | None) -> Voice | None:
        if voice is None or voice == "":
            return None
        return await self._voices._for_create(voice)

    async def list(self) -> builtins.list[Video]:
        """The account's completed videos (jobs still rendering are not listed)."""
        response = await self._request(_LIST)
        return expect(self._parse(list_videos._parse_response, response), VideoList, response).videos

    async def retrieve(self, video_id: str) -> VideoDetail:
        """A completed video's metadata and signed `download_url` (`video_id` is a complete job's `video_id`)."""
        check_arguments("videos.retrieve", video_id=(video_id, TEXT))
        response = await self._request(_retrieve_request(video_id))
        parsed = self._parse(get_video._parse_response, response)
        return expect(parsed, VideoDetail, response)

    async def create(
        self,
        *,
        avatar: AvatarRef,
        text: str,
        name: str,
        full_background: bool | None = None,
        voice: Voice | str | None = None,
    ) -> Job:
        """Start generating a video of `avatar` speaking `text`; return its `Job` (see `Videos.create`)."""
        _check_create("videos.create", avatar, text, name, full_background, voice)
        resolved = await self._avatars.retrieve(avatar)
        spoken = await self._voice(voice)
        body, mode = _create_body(resolved, text=text, name=name, full_background=full_background, voice=spoken)
        return await self._create(body, resolved, mode, name)

    async def create_from_audio(
        self,
        *,
        avatar: AvatarRef,
        name: str,
        audio_path: str | os.PathLike[str],
        on_upload_progress: UploadProgress | None = None,
    ) -> Job:
        """Start generating a video of `avatar` lip-syncing an audio file (see `Videos.create_from_audio`)."""
        check_arguments(
            "videos.create_from_audio",
            avatar=(avatar, AVATAR),
            name=(name, TEXT),
            audio_path=(audio_path, PATH),
            on_upload_progress=(on_upload_progress, CALLBACK),
        )
        audio = describe_audio(audio_path)
        resolved = await self._avatars.retrieve(avatar)
        mode = choose_mode(resolved, full_background=None).mode
        response = await self._request(_initialize_request(audio))
        parsed = self._parse(initialize_media._parse_response, response)
        upload = expect(parsed, MediaInitializeResponse, response)
        put = RequestSpec(
            "uploadMedia",
            lambda: audio.aput_kwargs(upload.upload_url, on_upload_progress),
            idempotent=True,
            send_key=self._same_origin(upload.upload_url),
        )
        await self._request(put)
        response = await self._request(_finalize_request(upload.media_id))
        finalized = self._parse(finalize_media._parse_response, response)
        _check_finalized(expect(finalized, MediaFinalizeResponse, response), response)
        body = CreateVideoFromAudioRequest(avatar_id=resolved.id, name=name, media_id=upload.media_id)
        return await self._create(body, resolved, mode, name)

    async def download(
        self, video_id: str, dest: Destination = ".", *, on_progress: DownloadProgress | None = None
    ) -> Path:
        """Download a completed video's MP4 to `dest` and return the file's path (see `Videos.download`)."""
        check_arguments(
            "videos.download", video_id=(video_id, TEXT), dest=(dest, PATH), on_progress=(on_progress, CALLBACK)
        )
        return await self._download(video_id, resolve_target(dest), name=None, on_progress=on_progress)

    async def generate(
        self,
        *,
        avatar: AvatarRef,
        text: str,
        name: str,
        full_background: bool | None = None,
        dest: Destination = ".",
        voice: Voice | str | None = None,
        timeout: float | None = None,
        on_progress: ProgressCallback | None = None,
        time_scale: float | None = None,
    ) -> Path:
        """Create a video, wait for it, download it to `dest`; return the file's path (see `Videos.generate`)."""
        _check_create("videos.generate", avatar, text, name, full_background, voice)
        _check_generate(dest, timeout, on_progress, time_scale)
        target = resolve_target(dest)
        job = await self.create(avatar=avatar, text=text, name=name, full_background=full_background, voice=voice)
        status = await self._jobs.wait(job, timeout=timeout, on_progress=on_progress, time_scale=time_scale)
        return await self._download(status.video_id, target, name=name)

    async def _create(
        self, body: CreateVideoRequest | CreateVideoFromAudioRequest, avatar: Avatar, mode: Mode, name: str
    ) -> Job:
        sent_at = self._clock.now()
        response = await self._request(_create_request(body, name))
        parsed = self._parse(create_video._parse_response, response)
        created = expect(parsed, CreateVideoResponse, response)
        self._jobs._remember(created.job_id, mode=mode.name, sent_at=sent_at)
        logger.debug("created job %s (%s, avatar %s)", created.job_id, mode.name, avatar.id)
        return Job(id=created.job_id, name=name, avatar_id=avatar.id, mode=mode.name)

    async def _download(
        self, video_id: str, target: Target, *, name: str | None, on_progress: DownloadProgress | None = None
    ) -> Path:
        if target.path is None:
            if name is None:
                name = (await self.retrieve(video_id)).name
            target = _named_target(target, video_id, name)
        path = await self._stream(
            _download_request(video_id), lambda response: write_body_async(response, target, on_progress)
        )
        logger.debug("downloaded video %s to %s", video_id, path)
        return path
