"""Retries: only idempotent requests, on connection errors, timeouts, 408, 429 and 5xx; backoff with jitter;
Retry-After honoured (seconds or HTTP date, with a ceiling). Creates and finalize are never retried."""

from __future__ import annotations

import email.utils
import logging
import random
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from miraflow import (
    APIConnectionError,
    APITimeoutError,
    InternalServerError,
    JobMayExistError,
    Miraflow,
    NotFoundError,
    RateLimitError,
)
from miraflow._constants import INITIAL_RETRY_DELAY, MAX_RETRY_DELAY, RETRY_AFTER_CEILING, RETRY_JITTER
from miraflow._exceptions import status_error
from miraflow._retry import retry_after, retry_delay, should_retry
from miraflow.retries import retry_async

from .conftest import AVATARS, PHOTO_ID, FakeAPI, FakeClock, error, json_response

CREATE = ("POST", "/api/video/create")
AVATARS_OK = json_response(200, {"avatars": AVATARS})


def _response(status: int) -> httpx.Response:
    return httpx.Response(status)


@pytest.mark.parametrize(
    ("status", "retried"),
    [
        (200, False),
        (400, False),
        (401, False),
        (404, False),
        (408, True),
        (409, False),
        (429, True),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
    ],
)
def test_should_retry_by_status(status: int, retried: bool) -> None:
    assert should_retry(idempotent=True, retries_left=1, response=_response(status)) is retried
    assert should_retry(idempotent=False, retries_left=1, response=_response(status)) is False
    assert should_retry(idempotent=True, retries_left=0, response=_response(status)) is False


@pytest.mark.parametrize(
    "exc",
    [httpx.ConnectError("x"), httpx.ReadTimeout("x"), httpx.RemoteProtocolError("x"), httpx.ReadError("x")],
)
def test_should_retry_connection_errors_of_idempotent_requests_only(exc: Exception) -> None:
    assert should_retry(idempotent=True, retries_left=2, error=exc)
    assert not should_retry(idempotent=False, retries_left=2, error=exc)
    assert not should_retry(idempotent=True, retries_left=2, error=ValueError("not a transport error"))


def test_retry_after_in_seconds_and_as_an_http_date() -> None:
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after": "1.5"}) == 1.5
    assert retry_after({"retry-after": date}, now=lambda: now) == pytest.approx(30.0)
    assert retry_after({"retry-after": email.utils.formatdate(now - 30, usegmt=True)}, now=lambda: now) == 0.0
    for bad in ("soon", "-1", "nan", ""):
        assert retry_after({"retry-after": bad}) is None
    assert retry_after({}) is None


def test_retry_delay_honours_retry_after_up_to_a_ceiling() -> None:
    rng = random.Random(0)
    assert retry_delay(0, headers={"retry-after": "3"}, rng=rng) == 3.0
    assert retry_delay(0, headers={"retry-after": "86400"}, rng=rng) == RETRY_AFTER_CEILING


def test_retry_delay_backs_off_exponentially_with_jitter() -> None:
    rng = random.Random(0)
    for attempt in range(8):
        base = min(INITIAL_RETRY_DELAY * 2**attempt, MAX_RETRY_DELAY)
        delays = {retry_delay(attempt, rng=rng) for _ in range(50)}
        assert all(base * (1 - RETRY_JITTER) <= delay <= base for delay in delays)
        assert len(delays) > 1  # jittered


def test_a_get_is_retried_after_429_honouring_retry_after(client: Miraflow, api: FakeAPI, clock: FakeClock) -> None:
    api.on("GET", "/api/avatars", error(429, "slow down", {"Retry-After": "2"}), AVATARS_OK)
    assert len(client.avatars.list()) == len(AVATARS)
    assert clock.sleeps == [2.0]
    assert len(api.sent("GET", "/api/avatars")) == 2


def test_a_get_is_retried_after_5xx_with_growing_backoff(client: Miraflow, api: FakeAPI, clock: FakeClock) -> None:
    api.on("GET", "/api/avatars", error(500, "boom"), error(503, "boom"), AVATARS_OK)
    client.avatars.list()
    first, second = clock.sleeps
    assert INITIAL_RETRY_DELAY * (1 - RETRY_JITTER) <= first <= INITIAL_RETRY_DELAY
    assert 2 * INITIAL_RETRY_DELAY * (1 - RETRY_JITTER) <= second <= 2 * INITIAL_RETRY_DELAY


def test_retries_stop_after_max_retries(make_client: Callable[..., Miraflow], api: FakeAPI) -> None:
    api.on("GET", "/api/avatars", error(500, "boom"))
    with pytest.raises(InternalServerError):
        make_client(max_retries=3).avatars.list()
    assert len(api.sent("GET", "/api/avatars")) == 4
    with pytest.raises(InternalServerError):
        make_client(max_retries=0).avatars.list(refresh=True)
    assert len(api.sent("GET", "/api/avatars")) == 5


def test_connection_errors_and_timeouts_of_a_get_are_retried(client: Miraflow, api: FakeAPI) -> None:
    api.on("GET", "/api/avatars", httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), AVATARS_OK)
    assert client.avatars.list()
    api.on("GET", "/api/videos", httpx.ReadTimeout("slow"))
    with pytest.raises(APITimeoutError):
        client.videos.list()
    assert len(api.sent("GET", "/api/videos")) == 3


@pytest.mark.parametrize("reply", [error(500, "Internal server error"), error(429, "slow down", {"Retry-After": "1"})])
def test_a_create_is_never_retried(client: Miraflow, api: FakeAPI, reply: httpx.Response) -> None:
    api.on(*CREATE, reply)
    with pytest.raises((InternalServerError, RateLimitError)) as caught:
        client.videos.create(avatar=PHOTO_ID, text="Hello", name="Demo")
    assert len(api.sent(*CREATE)) == 1
    if isinstance(caught.value, InternalServerError):
        assert "may or may not have been created" in str(caught.value)
        assert "videos.list()" in str(caught.value)


@pytest.mark.parametrize(
    "exc", [httpx.ReadError("reset"), httpx.RemoteProtocolError("closed"), httpx.ReadTimeout("timed out")]
)
def test_a_create_whose_connection_broke_after_sending_may_exist(
    client: Miraflow, api: FakeAPI, exc: Exception
) -> None:
    api.on(*CREATE, exc)
    with pytest.raises(JobMayExistError) as caught:
        client.videos.create(avatar=PHOTO_ID, text="Hello", name="Quarterly demo")
    message = str(caught.value)
    assert "may exist" in message and "not retried" in message
    assert "client.videos.list()" in message and "'Quarterly demo'" in message
    assert caught.value.video_name == "Quarterly demo"
    assert isinstance(caught.value.__cause__, type(exc))
    assert len(api.sent(*CREATE)) == 1


def test_a_create_that_never_connected_is_a_plain_connection_error(client: Miraflow, api: FakeAPI) -> None:
    api.on(*CREATE, httpx.ConnectError("refused"))
    with pytest.raises(APIConnectionError) as caught:
        client.videos.create(avatar=PHOTO_ID, text="Hello", name="Demo")
    assert not isinstance(caught.value, JobMayExistError)
    assert len(api.sent(*CREATE)) == 1


def _audio_routes(api: FakeAPI, upload_url: str) -> None:
    api.on("POST", "/api/media/initialize", json_response(200, {"mediaId": "m1", "uploadUrl": upload_url}))
    api.on("POST", "/api/media/finalize", json_response(200, {"success": True}))
    api.on(*CREATE, json_response(200, {"result": "success", "jobId": "job-audio"}))


def test_audio_upload_retries_the_put_but_never_finalize_or_create(
    client: Miraflow, api: FakeAPI, tmp_path: Path
) -> None:
    audio = tmp_path / "voice.wav"
    audio.write_bytes(b"RIFF" + b"\0" * 400)
    _audio_routes(api, "https://uploads.test/m1?expires=1&signature=s3cr3t")
    api.on("PUT", "/m1", error(503, "busy"), httpx.Response(200))
    job = client.videos.create_from_audio(avatar=PHOTO_ID, name="Narrated", audio_path=audio)
    assert job.id == "job-audio" and job.mode == "face_cropped"
    puts = api.sent("PUT", "/m1")
    assert len(puts) == 2
    assert all(put.content == audio.read_bytes() for put in puts)
    assert puts[-1].headers["content-type"].startswith("audio/")
    (initialize,) = api.json_sent("POST", "/api/media/initialize")
    assert initialize == {"fileName": "voice.wav", "contentType": puts[-1].headers["content-type"], "fileSize": 404}
    assert "x-api-key" not in puts[-1].headers  # a signed URL on another host never gets the key
    (create,) = api.sent(*CREATE)
    assert b'name="mediaId"' in create.content and b"m1" in create.content

    api.requests.clear()
    api.on("POST", "/api/media/finalize", error(500, "boom"))
    with pytest.raises(InternalServerError):
        client.videos.create_from_audio(avatar=PHOTO_ID, name="Narrated", audio_path=audio)
    assert len(api.sent("POST", "/api/media/finalize")) == 1
    assert not api.sent(*CREATE)


def test_upload_progress_follows_each_attempt_of_the_put(client: Miraflow, api: FakeAPI, tmp_path: Path) -> None:
    audio = tmp_path / "voice.wav"
    audio.write_bytes(b"RIFF" + b"\0" * (600 * 1024 - 4))
    _audio_routes(api, "https://uploads.test/m1?expires=1&signature=s3cr3t")
    api.on("PUT", "/m1", error(503, "busy"), httpx.Response(200))
    seen: list[tuple[int, int]] = []
    client.videos.create_from_audio(
        avatar=PHOTO_ID,
        name="Narrated",
        audio_path=audio,
        on_upload_progress=lambda sent, total: seen.append((sent, total)),
    )
    size = 600 * 1024
    one_attempt = [(0, size), (256 * 1024, size), (512 * 1024, size), (size, size)]
    assert seen == one_attempt * 2  # the retried PUT starts again from 0


def test_an_upload_url_on_the_api_host_gets_the_key(client: Miraflow, api: FakeAPI, tmp_path: Path) -> None:
    audio = tmp_path / "voice.mp3"
    audio.write_bytes(b"ID3" + b"\0" * 100)
    _audio_routes(api, "https://miraflow.test/uploads/m1?signature=x")
    api.on("PUT", "/uploads/m1", httpx.Response(200))
    client.videos.create_from_audio(avatar=PHOTO_ID, name="Narrated", audio_path=audio)
    assert api.sent("PUT", "/uploads/m1")[0].headers["x-api-key"]


def test_not_an_audio_file_is_refused_before_any_request(client: Miraflow, api: FakeAPI, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hi")
    with pytest.raises(ValueError, match="audio"):
        client.videos.create_from_audio(avatar=PHOTO_ID, name="x", audio_path=text)
    with pytest.raises(FileNotFoundError):
        client.videos.create_from_audio(avatar=PHOTO_ID, name="x", audio_path=tmp_path / "missing.wav")
    assert not api.requests


def test_each_retry_is_logged_at_debug(client: Miraflow, api: FakeAPI, caplog: pytest.LogCaptureFixture) -> None:
    api.on("GET", "/api/avatars", error(503, "busy"), AVATARS_OK)
    with caplog.at_level(logging.DEBUG, logger="miraflow"):
        client.avatars.list()
    retries = [record for record in caplog.records if record.getMessage().startswith("retrying")]
    assert len(retries) == 1
    assert "GET https://miraflow.test/api/avatars" in retries[0].getMessage()
    assert "503" in retries[0].getMessage()


class _Sleeps:
    def __init__(self) -> None:
        self.slept: list[float] = []

    def now(self) -> float:
        return 0.0

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def _rate_limited(retry_after: str) -> RateLimitError:
    request = httpx.Request("GET", "https://x/api/videos")
    response = httpx.Response(429, json={"error": "slow"}, headers={"Retry-After": retry_after}, request=request)
    error = status_error(response)
    assert isinstance(error, RateLimitError)
    return error


async def test_retry_async_honours_retry_after_and_stops_at_its_attempts() -> None:
    clock, heard = _Sleeps(), []
    failures = [_rate_limited("3"), _rate_limited("4")]

    async def call() -> str:
        if failures:
            raise failures.pop(0)
        return "ok"

    result = await retry_async(
        call, attempts=3, clock=clock, rng=random.Random(1), on_retry=lambda e, d: heard.append(d)
    )
    assert result == "ok" and clock.slept == [3.0, 4.0] and heard == [3.0, 4.0]

    async def always() -> str:
        raise _rate_limited("1")

    with pytest.raises(RateLimitError):
        await retry_async(always, attempts=2, clock=clock, rng=random.Random(1))


async def test_retry_async_raises_what_is_not_transient_at_once() -> None:
    clock = _Sleeps()

    async def refused() -> None:
        request = httpx.Request("GET", "https://x/api/videos")
        raise status_error(httpx.Response(404, json={"error": "nope"}, request=request))

    with pytest.raises(NotFoundError):
        await retry_async(refused, attempts=5, clock=clock, rng=random.Random(1))
    assert clock.slept == []
