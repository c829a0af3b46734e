"""The key never appears in a repr, str, log record, exception text or traceback; signed URLs' query strings are
redacted in logs. Each test sets a unique key and scans everything it captured."""

from __future__ import annotations

import logging
import os
import random
import subprocess
import sys
import textwrap
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from miraflow import Miraflow, MiraflowError

from .conftest import API_ROOT, AVATARS, PHOTO_ID, VIDEO_AVATAR_ID, FakeAPI, FakeClock, error, json_response

STATUS = "/api/video/job-1/status"


@pytest.fixture
def key() -> str:
    return f"sk-live-{uuid.uuid4().hex}"


def _texts_of(exc: BaseException) -> list[str]:
    """Every way an exception is shown, tracebacks with their frames' locals too (this file's frames left out: the
    test itself holds the key).
    """
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    exc = exc.with_traceback(tb)
    with_locals = traceback.TracebackException.from_exception(exc, capture_locals=True)
    return [str(exc), repr(exc), "".join(traceback.format_exception(exc)), "".join(with_locals.format())]


def _failures(client: Miraflow, api: FakeAPI, key: str, tmp_path: Path) -> list[BaseException]:
    """Drive the client through every kind of failure; return what it raised."""
    scenarios: list[tuple[Callable[[], object], Callable[[], None]]] = [
        (lambda: client.videos.list(), lambda: api.on("GET", "/api/videos", error(401, f"Invalid API key {key}"))),
        (lambda: client.voices.list(), lambda: api.on("GET", "/api/voices", error(503, "down"))),
        (lambda: client.videos.retrieve("v"), lambda: api.on("GET", "/api/video/v", httpx.ConnectError("refused"))),
        (lambda: client.jobs.retrieve("job-1"), lambda: api.on("GET", STATUS, httpx.ReadTimeout("slow"))),
        (
            lambda: client.videos.create(avatar=PHOTO_ID, text="Hi", name="Hi"),
            lambda: api.on("POST", "/api/video/create", httpx.ReadError("reset")),
        ),
        (
            lambda: client.jobs.wait("job-1"),
            lambda: api.on("GET", STATUS, json_response(200, {"result": "success", "status": "inference_error"})),
        ),
        (
            lambda: client.jobs.wait("job-1", timeout=5),
            lambda: api.on("GET", STATUS, json_response(200, {"result": "success", "status": "inference_started"})),
        ),
        (lambda: client.videos.create(avatar="Nobody", text="Hi", name="Hi"), lambda: None),
        (lambda: client.videos.create(avatar=VIDEO_AVATAR_ID, text="H", name="H", full_background=True), lambda: None),
        (
            lambda: client.videos.download("v", tmp_path / "x.mp4"),
            lambda: api.on("GET", "/api/video/v/download", httpx.Response(200, content=b"<html>", headers={})),
        ),
        (
            lambda: client.avatars.list(refresh=True),
            lambda: api.on("GET", "/api/avatars", json_response(200, {"avatars": [{"id": 1}]})),
        ),
    ]
    raised = []
    for call, arrange in scenarios:
        arrange()
        with pytest.raises(MiraflowError) as caught:
            call()
        raised.append(caught.value)
    return raised


def test_the_key_appears_nowhere(
    key: str,
    api: FakeAPI,
    clock: FakeClock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with caplog.at_level(logging.DEBUG):
        client = Miraflow(
            key, base_url=API_ROOT, transport=httpx.MockTransport(api), _clock=clock, _rng=random.Random(1)
        )
        assert client.avatars.list()
        raised = _failures(client, api, key, tmp_path)
    assert all(request.headers["x-api-key"] == key for request in api.requests)  # it was sent, where it belongs
    texts = [repr(client), str(client), repr(client._generated), repr(client.videos), repr(client.jobs)]
    texts += [text for exc in raised for text in _texts_of(exc)]
    texts += [caplog.text, *(str(record.args) for record in caplog.records)]
    captured = capsys.readouterr()
    texts += [captured.out, captured.err]
    assert len(raised) == 11
    assert caplog.records  # debug logging was on
    for text in texts:
        assert key not in text
    assert "<redacted>" in caplog.text or "redacted" in texts[2]


def test_the_key_stays_out_of_a_debug_logging_process(key: str, tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import httpx, miraflow
        calls = []
        def handler(request):
            calls.append(request)
            if len(calls) == 1:
                return httpx.Response(503, json={"result": "failure", "error": "busy"}, headers={"Retry-After": "0"})
            return httpx.Response(200, json={"avatars": []})
        client = miraflow.Miraflow(base_url="https://miraflow.test/api", transport=httpx.MockTransport(handler))
        client.avatars.list()
        assert calls[-1].headers["x-api-key"]
        try:
            miraflow.Miraflow(api_key="", base_url="https://miraflow.test/api")
        except miraflow.MissingAPIKeyError as exc:
            print(exc)
        raise miraflow.APIConnectionError("boom")
        """
    )
    env = {**os.environ, "MIRAFLOW_API_KEY": key, "MIRAFLOW_LOG": "debug"}
    env.pop("MIRAFLOW_BASE_URL", None)
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert "miraflow DEBUG" in result.stderr and "retrying GET" in result.stderr  # MIRAFLOW_LOG=debug turned it on
    assert "Traceback" in result.stderr
    assert key not in result.stderr and key not in result.stdout


def test_signed_urls_lose_their_query_strings_in_logs(
    client: Miraflow, api: FakeAPI, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"RIFF0000")
    signed = "https://uploads.test/m1?expires=9&signature=TOPSECRETSIG"
    api.on("POST", "/api/media/initialize", json_response(200, {"mediaId": "m1", "uploadUrl": signed}))
    api.on("PUT", "/m1", error(500, "busy"), httpx.Response(200))
    api.on("POST", "/api/media/finalize", json_response(200, {"success": True}))
    api.on("POST", "/api/video/create", json_response(200, {"result": "success", "jobId": "j"}))
    with caplog.at_level(logging.DEBUG):  # every logger, httpx's own INFO request log included
        client.videos.create_from_audio(avatar=PHOTO_ID, name="n", audio_path=audio)
    assert "https://uploads.test/m1?<redacted>" in caplog.text
    assert "TOPSECRETSIG" not in caplog.text
    httpx_lines = [record.getMessage() for record in caplog.records if record.name == "httpx"]
    assert any("PUT https://uploads.test/m1?<redacted>" in line for line in httpx_lines)
    assert any("POST https://miraflow.test/api/media/initialize" in line for line in httpx_lines)  # untouched


def test_avatars_fixture_is_intact() -> None:
    assert AVATARS[0]["isPhoto"] is True
