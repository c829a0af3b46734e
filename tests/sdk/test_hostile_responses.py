"""The SDK against a hostile server: any status, any body, truncated bodies, wrong content types, huge headers.

Whatever the server answers, a call returns or raises a `MiraflowError` subclass (never httpx's, json's or a
KeyError), and its sleeps add up to no more than its retries and timeout allow (a fake clock counts them). A loopback
server that accepts and never answers, or answers forever a byte at a time, runs into the client's timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miraflow import AsyncMiraflow, Miraflow, MiraflowError
from miraflow._constants import RETRY_AFTER_CEILING
from tests.sdk.conftest import API_ROOT, AVATARS, KEY, PHOTO_ID, FakeAsyncClock, FakeClock

MAX_RETRIES = 2
WAIT_TIMEOUT = 120.0

_CONTENT_TYPES = (
    None,
    "application/json",
    "application/json; charset=utf-16",
    "text/html",
    "text/plain",
    "video/mp4",
    "application/octet-stream",
    "application/problem+json",
    "multipart/form-data; boundary=x",
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=10,
)
# Bodies close to what the API sends, with one thing wrong, hit the parsing paths that random bytes never reach.
_near_misses = st.sampled_from(
    [
        {"avatars": AVATARS},
        {"avatars": [{**AVATARS[0], "isPhoto": "yes"}]},
        {"avatars": None},
        {"voices": [{"id": 1}]},
        {"videos": [{"id": "v", "name": "n", "createdAt": "not a date"}]},
        {"result": "success", "jobId": None},
        {"result": "success"},
        {"result": "failure", "error": None},
        {"result": "failure"},
        {"result": "success", "status": "inference_complete"},
        {"result": "success", "status": "inference_working", "progress": "150%"},
        {"result": "success", "status": "inference_teleported"},
        {"result": "success", "status": "inference_failed"},
        {"id": "v", "name": "n", "createdAt": "2025-01-01T00:00:00Z", "downloadUrl": "ftp://elsewhere/x"},
        {"id": "v", "name": "n", "createdAt": "2025-01-01T00:00:00Z", "downloadUrl": 5},
        {"mediaId": "m", "uploadUrl": "not a url"},
        {"success": False},
        [],
        "just a string",
    ]
)


@dataclass(frozen=True)
class Answer:
    """What the hostile server answers to every request."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    cut_after: int | None  # close the connection after this many body bytes (a body cut short)

    def response(self, request: httpx.Request) -> httpx.Response:
        # A stream, as from the wire: the client decodes (and finds a broken encoding) as it reads.
        stream = _Wire(self.body, self.cut_after)
        return httpx.Response(self.status, headers=list(self.headers), stream=stream, request=request)


class _Wire(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, body: bytes, cut_after: int | None) -> None:
        self.body, self.cut_after = body, cut_after

    def __iter__(self) -> Iterator[bytes]:
        yield self.body[: self.cut_after]
        if self.cut_after is not None:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    async def __aiter__(self) -> Any:
        yield self.body[: self.cut_after]
        if self.cut_after is not None:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


@st.composite
def answers(draw: st.DrawFn) -> Answer:
    status = draw(
        st.sampled_from([200, 201, 204, 206, 301, 304, 400, 401, 402, 404, 408, 409, 413, 429, 500, 502, 503])
    )
    status = draw(st.just(status) | st.integers(100, 599))
    body_kind = draw(st.sampled_from(["near", "json", "bytes", "empty", "html", "mp4"]))
    body = {
        "near": lambda: httpx.Response(200, json=draw(_near_misses)).content,
        "json": lambda: httpx.Response(200, json=draw(_json)).content,
        "bytes": lambda: draw(st.binary(max_size=200)),
        "empty": lambda: b"",
        "html": lambda: b"<html><body>502 Bad Gateway</body></html>",
        "mp4": lambda: b"\x00\x00\x00\x18ftypmp42" + draw(st.binary(max_size=50)),
    }[body_kind]()
    headers: list[tuple[str, str]] = []
    if (content_type := draw(st.sampled_from(_CONTENT_TYPES))) is not None:
        headers.append(("content-type", content_type))
    if draw(st.booleans()):
        length = draw(st.sampled_from([len(body), len(body) + 10, 0, 10**12]))
        headers.append(("content-length", str(length)))
    if draw(st.booleans()):
        retry = draw(st.sampled_from(["0", "1", "-5", "nan", "inf", "1e309", "99999999", "soon", "Wed, 21 Oct 2099"]))
        headers.append(("retry-after", retry))
    if draw(st.booleans()):
        headers.append(("x-huge", "h" * draw(st.sampled_from([1_000, 100_000]))))
    if draw(st.integers(0, 9)) == 0:
        headers.append(("content-encoding", draw(st.sampled_from(["gzip", "br", "deflate", "identity", "zz"]))))
    cut_after = draw(st.none() | st.integers(0, max(0, len(body) - 1)))
    return Answer(status, tuple(headers), body, cut_after)


def _calls(tmp: Path) -> dict[str, Callable[[Miraflow], object]]:
    return {
        "avatars.list": lambda c: c.avatars.list(refresh=True),
        "voices.list": lambda c: c.voices.list(),
        "videos.list": lambda c: c.videos.list(),
        "videos.retrieve": lambda c: c.videos.retrieve("cm42ab9zz0010aggaxyzvid01"),
        "jobs.retrieve": lambda c: c.jobs.retrieve("cm42ab3ou0008aggajj0jy5e2"),
        "jobs.wait": lambda c: c.jobs.wait("cm42ab3ou0008aggajj0jy5e2", timeout=WAIT_TIMEOUT),
        "videos.create": lambda c: c.videos.create(avatar=PHOTO_ID, text="Hello there.", name="hostile"),
        "videos.download": lambda c: c.videos.download("cm42ab9zz0010aggaxyzvid01", tmp),
    }


# The longest a call may sleep: every retry waiting the Retry-After ceiling, plus the wait's own timeout.
SLEEP_BOUND = (MAX_RETRIES + 1) * RETRY_AFTER_CEILING + WAIT_TIMEOUT + RETRY_AFTER_CEILING


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer=answers(), call=st.sampled_from(sorted(_calls(Path()))))
def test_any_answer_gives_a_result_or_a_miraflow_error(tmp_path: Path, answer: Answer, call: str) -> None:
    clock = FakeClock()
    start = clock.time
    with Miraflow(
        KEY,
        base_url=API_ROOT,
        transport=httpx.MockTransport(answer.response),
        max_retries=MAX_RETRIES,
        _clock=clock,
        _rng=random.Random(0),
    ) as client:
        try:
            _calls(tmp_path)[call](client)
        except MiraflowError as exc:
            assert KEY not in str(exc) and KEY not in repr(exc)
    assert clock.time - start <= SLEEP_BOUND, (call, clock.sleeps)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer=answers(), call=st.sampled_from(["avatars.list", "jobs.wait", "videos.create", "videos.download"]))
def test_the_async_client_too(tmp_path: Path, answer: Answer, call: str) -> None:
    clock = FakeAsyncClock()

    async def handler(request: httpx.Request) -> httpx.Response:
        return answer.response(request)

    async def run() -> None:
        async with AsyncMiraflow(
            KEY,
            base_url=API_ROOT,
            transport=httpx.MockTransport(handler),
            max_retries=MAX_RETRIES,
            _clock=clock,
            _rng=random.Random(0),
        ) as client:
            calls = {
                "avatars.list": lambda: client.avatars.list(refresh=True),
                "jobs.wait": lambda: client.jobs.wait("cm42ab3ou0008aggajj0jy5e2", timeout=WAIT_TIMEOUT),
                "videos.create": lambda: client.videos.create(avatar=PHOTO_ID, text="Hello there.", name="hostile"),
                "videos.download": lambda: client.videos.download("cm42ab9zz0010aggaxyzvid01", tmp_path),
            }
            with contextlib.suppress(MiraflowError):  # any other exception fails the test
                await calls[call]()

    asyncio.run(run())
    assert clock.time - 1000.0 <= SLEEP_BOUND


# --- a real socket: a server that never answers, or answers forever a byte at a time ---------------------------------


@pytest.fixture
def silent_server() -> Iterator[tuple[str, Callable[[str], None]]]:
    """A loopback server whose behaviour per connection is set by `behave(name)`: "silent" or "trickle"."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    mode = {"name": "silent"}
    stop = threading.Event()
    connections: list[socket.socket] = []

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            connections.append(conn)
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    def handle(conn: socket.socket) -> None:
        try:
            conn.recv(65536)
            if mode["name"] == "trickle":
                conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n")
                while not stop.is_set():
                    conn.sendall(b" ")
                    time.sleep(0.05)
            else:
                stop.wait()
        except OSError:
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def behave(name: str) -> None:
        mode["name"] = name

    yield f"http://127.0.0.1:{listener.getsockname()[1]}/api", behave
    stop.set()
    thread.join(5)
    for conn in connections:
        conn.close()
    listener.close()


@pytest.mark.parametrize("behaviour", ["silent", "trickle"])
def test_a_server_that_never_finishes_answering_runs_into_the_timeout(
    silent_server: tuple[str, Callable[[str], None]], behaviour: str
) -> None:
    root, behave = silent_server
    behave(behaviour)
    timeout = 0.5
    started = time.monotonic()
    client = Miraflow(KEY, base_url=root, timeout=timeout, max_retries=1, _clock=FakeClock())
    with client, pytest.raises(MiraflowError):
        client.avatars.list(refresh=True)
    elapsed = time.monotonic() - started
    # Two attempts (one retry), each given the timeout as a whole, with room for a loaded machine.
    assert elapsed < 2 * timeout + 3.0, elapsed
