"""The simulator never answers a 500 it did not mean, nor plain text; bodies over the spec's limit get a 413 unread.

In-process (the ASGI app called through httpx.ASGITransport), so a handler can be broken on purpose.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from miraflow.spec import max_request_body_bytes
from miraflow_mock.simulator.app import Simulator
from miraflow_mock.simulator.config import SimulatorConfig
from tests.simulator.audio import wav_bytes

MARGOT, AERIN = "cmdms9d3s001no401kqwbr0q5", "cm2yaz9j10008l0qg9npyjgs3"
KEY = {"x-api-key": "sk-demo-1"}
LIMIT = max_request_body_bytes()


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    # Business failures with their 4xx statuses (not the spec's default 2xx body): these tests read statuses.
    simulator = Simulator(SimulatorConfig(clock="manual", seed=1, business_errors="4xx"))
    yield simulator
    simulator.close()


@pytest.fixture
async def http(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sim)  # its scope's client is 127.0.0.1: the admin API answers it
    async with httpx.AsyncClient(transport=transport, base_url="http://sim", headers=KEY) as client:
        yield client


async def finalized_media(http: httpx.AsyncClient) -> str:
    data = wav_bytes(1.0, sample=b"\0\0")
    init = await http.post(
        "/api/media/initialize", json={"fileName": "a.wav", "contentType": "audio/wav", "fileSize": len(data)}
    )
    upload = init.json()
    put = await http.put(upload["uploadUrl"], content=data, headers={"content-type": "audio/wav"})
    assert put.status_code == 200
    assert (await http.post("/api/media/finalize", json={"mediaId": upload["mediaId"]})).status_code == 200
    return str(upload["mediaId"])


def _form(**fields: str) -> dict[str, Any]:
    return {name: (None, value) for name, value in fields.items()}


def assert_error(response: httpx.Response, status: int, contains: str = "") -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["result"] == "failure" and isinstance(body["error"], str)
    assert contains in body["error"]


async def test_the_issues_request_is_a_400_in_the_error_shape(http: httpx.AsyncClient, sim: Simulator) -> None:
    media = await finalized_media(http)
    fields = _form(avatarId=MARGOT, name="x", mediaId=media, text="hello", im2vid_full="true")
    response = await http.post("/api/video/create", files=fields)
    assert_error(response, 400, "text must not be sent in this body")
    assert sim.errors.count == 0 and not sim.backend.jobs  # nothing was created, nothing charged


async def test_a_multipart_im2vid_full_is_the_text_true_or_false(http: httpx.AsyncClient, sim: Simulator) -> None:
    media = await finalized_media(http)
    bad = await http.post("/api/video/create", files=_form(avatarId=MARGOT, name="x", mediaId=media, im2vid_full="1"))
    assert_error(bad, 400, "im2vid_full")
    for value, mode in (("true", "full_background"), ("false", "face_cropped")):
        fields = _form(avatarId=MARGOT, name="x", mediaId=media, im2vid_full=value)
        response = await http.post("/api/video/create", files=fields)
        assert response.status_code == 200, response.text
        assert sim.backend.jobs[response.json()["jobId"]].mode == mode
    video = await http.post(
        "/api/video/create", files=_form(avatarId=AERIN, name="x", mediaId=media, im2vid_full="true")
    )
    assert sim.backend.jobs[video.json()["jobId"]].mode == "video_avatar"  # ignored for video avatars, never an error


async def test_a_json_create_with_a_media_id_as_well_is_a_400(http: httpx.AsyncClient) -> None:
    body = {"avatarId": MARGOT, "name": "x", "text": "hello", "mediaId": "cm42media0001aggaxyzmed01"}
    assert_error(await http.post("/api/video/create", json=body), 400, "mediaId must not be sent in this body")


async def test_a_field_given_twice_is_a_400(http: httpx.AsyncClient) -> None:
    raw = b'{"avatarId": "a", "avatarId": "b", "name": "x", "text": "hi"}'
    headers = {"content-type": "application/json"}
    assert_error(await http.post("/api/video/create", content=raw, headers=headers), 400, "avatarId is given more")
    form = [("avatarId", MARGOT), ("avatarId", AERIN), ("name", "x"), ("mediaId", "m")]
    response = await http.post("/api/video/create", files=[(name, (None, value)) for name, value in form])
    assert_error(response, 400, "avatarId must be of type string")  # a repeated part is an array


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,  # deeper than the parser's recursion limit
        b'{"fileName": "a", "contentType": "audio/wav", "fileSize": ' + b"9" * 5000 + b"}",  # over int's digit limit
        b'{"fileName": "a", "contentType": "audio/wav", "fileSize": NaN}',
        b"\xff\xfe{}",
    ],
    ids=["deep", "long-integer", "nan", "not-utf8"],
)
async def test_hostile_json_is_a_400(http: httpx.AsyncClient, sim: Simulator, raw: bytes) -> None:
    response = await http.post("/api/media/initialize", content=raw, headers={"content-type": "application/json"})
    assert_error(response, 400)
    assert sim.errors.count == 0


async def test_an_unexpected_exception_is_a_500_in_the_error_shape_counted_and_logged_once(
    http: httpx.AsyncClient, sim: Simulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(tenant: Any) -> Any:
        raise RuntimeError("coroutine raised StopIteration")

    monkeypatch.setattr(sim.backend, "completed_videos", broken)
    with caplog.at_level(logging.ERROR, logger="miraflow_mock.simulator"):
        response = await http.get("/api/videos")
    assert_error(response, 500)
    assert response.json()["error"] == "Internal server error"  # no exception text for the client
    tracebacks = [record for record in caplog.records if "Traceback" in record.getMessage()]
    assert len(tracebacks) == 1 and "RuntimeError: coroutine raised StopIteration" in tracebacks[0].getMessage()
    errors = (await http.get("/__admin/errors")).json()
    assert errors["count"] == 1
    assert errors["errors"][0] | {"time": 0} == {
        "time": 0,
        "method": "GET",
        "path": "/api/videos",
        "type": "RuntimeError",
        "message": "coroutine raised StopIteration",
    }
    journal = (await http.get("/__admin/requests")).json()["requests"]
    assert journal[-1]["status"] == 500
    await http.post("/__admin/reset")
    assert (await http.get("/__admin/errors")).json()["count"] == 1  # a reset does not hide a crash
    await http.delete("/__admin/errors")
    assert (await http.get("/__admin/errors")).json() == {"count": 0, "errors": []}


async def test_an_admin_endpoint_that_breaks_is_a_500_in_the_error_shape(
    http: httpx.AsyncClient, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sim.backend, "reset", lambda: 1 / 0)
    assert_error(await http.post("/__admin/reset"), 500)
    assert sim.errors.count == 1


async def _call(sim: Simulator, headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[int, int]:
    """Call the app directly; returns (status, how many body chunks it read)."""
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        if read > len(chunks):
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/video/create",
        "raw_path": b"/api/video/create",
        "query_string": b"",
        "headers": [(b"x-api-key", b"sk-demo-1"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("sim", 80),
        "scheme": "http",
        "http_version": "1.1",
        "root_path": "",
    }
    await sim(scope, receive, send)
    return sent[0]["status"], read


async def test_a_declared_length_over_the_limit_is_a_413_before_any_byte_is_read(sim: Simulator) -> None:
    status, read = await _call(sim, [(b"content-length", str(30_000_000).encode())], [b"x" * 65536] * 500)
    assert (status, read) == (413, 0)


async def test_a_chunked_body_over_the_limit_is_a_413_once_it_passes_the_limit(sim: Simulator) -> None:
    chunk = 65536
    status, read = await _call(sim, [(b"transfer-encoding", b"chunked")], [b" " * chunk] * 500)
    assert status == 413
    assert read == LIMIT // chunk + 1  # stopped at the first chunk past the limit, not at the end of the body


async def test_a_body_at_the_limit_is_read(http: httpx.AsyncClient) -> None:
    body = b'{"avatarId": "nobody", "name": "x", "text": "hi"}'
    padded = body + b" " * (LIMIT - len(body))
    response = await http.post("/api/video/create", content=padded, headers={"content-type": "application/json"})
    assert_error(response, 404, "Avatar not found")
