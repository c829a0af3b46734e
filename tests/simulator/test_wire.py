"""The simulator's HTTP on the wire: each response's head and body leave in one write, in order, whatever follows."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from miraflow_mock.simulator.coalesce import _CoalescingTransport
from miraflow_mock.testing import SimulatorHandle

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


class RecordingTransport:
    """Stands in for the socket: records every write and whether it was closed."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.eof = False
        self.late: list[bytes] = []  # writes after close (uvloop raises on these)

    def write(self, data: bytes) -> None:
        (self.late if self.closed else self.writes).append(bytes(data))

    def write_eof(self) -> None:
        self.eof = True

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> Any:
        return f"extra:{name}"


@pytest.fixture
def loop() -> Any:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def test_a_head_goes_out_with_its_body_in_one_write(loop: asyncio.AbstractEventLoop) -> None:
    raw = RecordingTransport()
    transport = _CoalescingTransport(raw, loop)  # type: ignore[arg-type]
    transport.write(HEAD)
    assert raw.writes == []
    transport.write(b"{}")
    assert raw.writes == [HEAD + b"{}"]
    transport.write(b"more body")  # not a head: straight through
    assert raw.writes[-1] == b"more body"
    assert transport.get_extra_info("peername") == "extra:peername"


def test_a_head_without_a_body_goes_out_on_the_next_turn(loop: asyncio.AbstractEventLoop) -> None:
    raw = RecordingTransport()
    transport = _CoalescingTransport(raw, loop)  # type: ignore[arg-type]
    transport.write(HEAD)
    loop.run_until_complete(asyncio.sleep(0))
    assert raw.writes == [HEAD]


def test_closing_sends_a_held_head_first(loop: asyncio.AbstractEventLoop) -> None:
    raw = RecordingTransport()
    transport = _CoalescingTransport(raw, loop)  # type: ignore[arg-type]
    transport.write(HEAD)
    transport.close()
    assert raw.writes == [HEAD]
    assert raw.closed


def test_a_head_held_when_the_connection_is_lost_is_dropped(loop: asyncio.AbstractEventLoop) -> None:
    raw = RecordingTransport()
    transport = _CoalescingTransport(raw, loop)  # type: ignore[arg-type]
    transport.write(HEAD)
    raw.closed = True  # the peer reset the connection: the server closes the socket behind the proxy's back
    loop.run_until_complete(asyncio.sleep(0))
    assert raw.writes == [] and raw.late == []


def test_writelines_and_eof_keep_the_order(loop: asyncio.AbstractEventLoop) -> None:
    raw = RecordingTransport()
    transport = _CoalescingTransport(raw, loop)  # type: ignore[arg-type]
    transport.write(HEAD)
    transport.writelines([b"{", b"}"])
    transport.write(HEAD)
    transport.write_eof()
    assert raw.writes == [HEAD + b"{}", HEAD]
    assert raw.eof


def test_the_app_takes_a_lifespan_scope(loop: asyncio.AbstractEventLoop) -> None:
    from miraflow_mock.simulator.app import Simulator
    from miraflow_mock.simulator.config import SimulatorConfig

    simulator = Simulator(SimulatorConfig(clock="manual"))
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: Any) -> None:
        sent.append(dict(message))

    try:  # what a server with lifespan on (uvicorn --lifespan on, a test client) does first and last
        loop.run_until_complete(simulator({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    finally:
        simulator.close()
    assert [message["type"] for message in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def _read_responses(sock: socket.socket, bodies: list[bool]) -> list[bytes]:
    """One HTTP response per entry of `bodies`, read off the socket: head, then a Content-Length body if True."""
    data = b""
    responses: list[bytes] = []
    for has_body in bodies:
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed after {len(responses)} responses"
            data += chunk
        head, _, data = data.partition(b"\r\n\r\n")
        fields = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
        length = int(fields[b"content-length"]) if has_body else 0
        while len(data) < length:
            data += sock.recv(65536)
        responses.append(head + b"\r\n\r\n" + data[:length])
        data = data[length:]
    assert data == b"", "bytes beyond the last response"
    return responses


def test_pipelined_requests_get_their_answers_in_order(miraflow_simulator: SimulatorHandle) -> None:
    host, port = miraflow_simulator.url.removeprefix("http://").split(":")
    key = miraflow_simulator.key
    requests = b"".join(
        f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nx-api-key: {key}\r\n\r\n".encode()
        for method, path in (("GET", "/api/voices"), ("HEAD", "/api/avatars"), ("GET", "/api/video/nope/status"))
    )
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(requests)
        first, second, third = _read_responses(sock, [True, False, True])
    assert first.startswith(b"HTTP/1.1 200") and b'"voices"' in first
    assert second.startswith(b"HTTP/1.1 200") and second.endswith(b"\r\n\r\n")  # a HEAD: headers only
    assert third.startswith(b"HTTP/1.1 404") and b"Job not found" in third
