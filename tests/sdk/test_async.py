"""`AsyncMiraflow`: the same behaviours as `Miraflow`, with `await`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from miraflow import (
    AsyncMiraflow,
    IncompleteBodyError,
    JobFailedError,
    JobMayExistError,
    ModeNotSupportedError,
    NotFoundError,
    WaitTimeoutError,
)
from miraflow._constants import POLL_LAG_BUDGET
from miraflow.spec import lifecycle

from .conftest import AVATARS, PHOTO_ID, VIDEO_AVATAR_ID, FakeAPI, FakeAsyncClock, error, json_response, status_body

MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 5000
CREATE = ("POST", "/api/video/create")


def _mp4(body: bytes = MP4, length: int | None = None) -> httpx.Response:
    headers = {"content-type": "video/mp4", "content-length": str(len(body) if length is None else length)}
    return httpx.Response(200, headers=headers, content=body)


class _BreaksAfter(httpx.AsyncByteStream):
    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield MP4[:100]
        raise httpx.RemoteProtocolError("peer closed connection")


async def test_generate_creates_waits_and_downloads(
    make_async_client: Callable[..., AsyncMiraflow], api: FakeAPI, async_clock: FakeAsyncClock, tmp_path: Path
) -> None:
    api.on(*CREATE, json_response(200, {"result": "success", "jobId": "job-1"}))
    api.on(
        "GET",
        "/api/video/job-1/status",
        json_response(200, status_body("inference_started")),
        json_response(200, status_body("inference_working", progress=70)),
        json_response(200, status_body("inference_complete", video_id="vid-1")),
    )
    api.on(
        "GET",
        "/api/video/vid-1/download",
        lambda request: httpx.Response(200, headers={"content-type": "video/mp4"}, stream=_BreaksAfter()),
        _mp4(MP4[:10], length=len(MP4)),
        _mp4(),
    )
    seen = []
    async with make_async_client() as client:
        path = await client.videos.generate(
            avatar="Margot", text="Hello", name="Async demo", dest=tmp_path, on_progress=seen.append
        )
    assert path == tmp_path / "Async demo.mp4" and path.read_bytes() == MP4
    assert [status.status for status in seen] == ["inference_started", "inference_working", "inference_complete"]
    assert api.json_sent(*CREATE) == [
        {"avatarId": PHOTO_ID, "name": "Async demo", "text": "Hello", "im2vid_full": False}
    ]
    assert len(api.sent("GET", "/api/video/vid-1/download")) == 3
    assert async_clock.sleeps[0] <= POLL_LAG_BUDGET  # a probe: the spec's durations may be wrong for this service
    assert [p.name for p in tmp_path.iterdir()] == ["Async demo.mp4"]


async def test_retries_honour_retry_after(
    make_async_client: Callable[..., AsyncMiraflow], api: FakeAPI, async_clock: FakeAsyncClock
) -> None:
    api.on("GET", "/api/avatars", error(429, "slow", {"Retry-After": "4"}), json_response(200, {"avatars": AVATARS}))
    client = make_async_client()
    assert len(await client.avatars.list()) == 3
    assert await client.avatars.list()  # cached
    assert async_clock.sleeps == [4.0]
    assert len(api.sent("GET", "/api/avatars")) == 2
    await client.close()


async def test_a_create_is_never_retried_and_may_exist(
    make_async_client: Callable[..., AsyncMiraflow], api: FakeAPI
) -> None:
    api.on(*CREATE, httpx.RemoteProtocolError("Server disconnected without sending a response."))
    client = make_async_client()
    with pytest.raises(JobMayExistError, match="may exist"):
        await client.videos.create(avatar=PHOTO_ID, text="Hi", name="Hi")
    assert len(api.sent(*CREATE)) == 1
    with pytest.raises(ModeNotSupportedError):
        await client.videos.create(avatar=VIDEO_AVATAR_ID, text="Hi", name="Hi", full_background=True)
    with pytest.raises(NotFoundError):
        await client.videos.create(avatar="Nobody", text="Hi", name="Hi")
    assert len(api.sent(*CREATE)) == 1


@pytest.mark.parametrize("state", sorted(lifecycle().failure_states))
async def test_wait_raises_for_failure_states(
    make_async_client: Callable[..., AsyncMiraflow], api: FakeAPI, state: str
) -> None:
    api.on("GET", "/api/video/j/status", json_response(200, status_body(state)))
    with pytest.raises(JobFailedError) as caught:
        await make_async_client().jobs.wait("j")
    assert caught.value.state == state


async def test_wait_times_out_with_the_last_status(
    make_async_client: Callable[..., AsyncMiraflow], api: FakeAPI, async_clock: FakeAsyncClock
) -> None:
    api.on("GET", "/api/video/j/status", json_response(200, status_body("inference_working", progress=3)))
    start = async_clock.time
    with pytest.raises(WaitTimeoutError) as caught:
        await make_async_client().jobs.wait("j", timeout=12)
    assert caught.value.last_status is not None and caught.value.last_status.progress == 3
    assert async_clock.time - start == pytest.approx(12)


async def test_a_download_cut_short_every_time_leaves_nothing(
    make_async_client: Callable[..., AsyncMiraflow], api: FakeAPI, tmp_path: Path
) -> None:
    api.on("GET", "/api/video/v/download", _mp4(MP4[:10], length=len(MP4)))
    with pytest.raises(IncompleteBodyError):
        await make_async_client().videos.download("v", tmp_path / "v.mp4")
    assert list(tmp_path.iterdir()) == []


async def test_audio_upload(make_async_client: Callable[..., AsyncMiraflow], api: FakeAPI, tmp_path: Path) -> None:
    audio = tmp_path / "a.mp3"
    audio.write_bytes(b"ID3" + b"\x02" * 3000)
    api.on("POST", "/api/media/initialize", json_response(200, {"mediaId": "m", "uploadUrl": "https://up.test/m?s=1"}))
    api.on("PUT", "/m", error(502, "bad gateway"), httpx.Response(200))
    api.on("POST", "/api/media/finalize", json_response(200, {"success": True}))
    api.on(*CREATE, json_response(200, {"result": "success", "jobId": "j"}))
    seen: list[tuple[int, int]] = []
    job = await make_async_client().videos.create_from_audio(
        avatar="Aerin", name="n", audio_path=audio, on_upload_progress=lambda sent, total: seen.append((sent, total))
    )
    assert (job.id, job.mode) == ("j", "video_avatar")
    assert [put.content for put in api.sent("PUT", "/m")] == [audio.read_bytes()] * 2
    assert seen == [(0, 3003), (3003, 3003)] * 2
