"""The coalescing transport: guarded at start-up, and on the wire each small response is one write."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from miraflow_mock.simulator import coalesce, server
from miraflow_mock.simulator.app import Simulator
from miraflow_mock.simulator.coalesce import CoalescingHttpToolsProtocol
from miraflow_mock.simulator.config import SimulatorConfig


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    sim = Simulator(SimulatorConfig(clock="manual"))
    yield sim
    sim.close()


class _Recorder:
    """The connection's real transport, recording each write the protocol makes to it."""

    def __init__(self, transport: asyncio.Transport, writes: list[bytes]) -> None:
        self._transport = transport
        self._writes = writes

    def write(self, data: bytes) -> None:
        self._writes.append(bytes(data))
        self._transport.write(data)

    def writelines(self, chunks: Any) -> None:
        self.write(b"".join(chunks))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _recording(protocol: type[HttpToolsProtocol], writes: list[bytes]) -> type[HttpToolsProtocol]:
    class Recording(protocol):  # type: ignore[valid-type,misc]
        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(_Recorder(transport, writes))

    return Recording


async def _served(config: uvicorn.Config, requests: list[bytes]) -> list[bytes]:
    """Serve on a loopback socket; send each request on its own connection; return each whole answer."""
    sock = server.bind("127.0.0.1", 0)
    uv = uvicorn.Server(config)
    task = asyncio.create_task(uv.serve(sockets=[sock]))
    try:
        while not uv.started:
            await asyncio.sleep(0.01)
        answers = []
        for request in requests:
            reader, writer = await asyncio.open_connection("127.0.0.1", sock.getsockname()[1])
            writer.write(request)
            answers.append(await reader.read())  # Connection: close, so the answer ends at EOF
            writer.close()
        return answers
    finally:
        uv.should_exit = True
        await task
        sock.close()


REQUESTS = [
    b"GET /api/avatars HTTP/1.1\r\nHost: t\r\nx-api-key: sk-demo-1\r\nConnection: close\r\n\r\n",
    b"GET /api/video/nope/status HTTP/1.1\r\nHost: t\r\nx-api-key: sk-demo-1\r\nConnection: close\r\n\r\n",
]


async def test_the_server_writes_each_response_head_and_body_at_once(simulator: Simulator) -> None:
    config = server._uvicorn_config(simulator)
    assert config.http is CoalescingHttpToolsProtocol  # the server really uses it
    writes: list[bytes] = []
    config.http = _recording(CoalescingHttpToolsProtocol, writes)
    answers = await _served(config, REQUESTS)
    assert answers[0].startswith(b"HTTP/1.1 200") and answers[1].startswith(b"HTTP/1.1 404")
    assert writes == answers  # one write per response, holding all of it


async def test_plain_uvicorn_would_write_twice(simulator: Simulator) -> None:
    writes: list[bytes] = []
    config = server._uvicorn_config(simulator)
    config.http = _recording(HttpToolsProtocol, writes)
    answers = await _served(config, REQUESTS[:1])
    assert len(writes) == 2 and b"".join(writes) == answers[0]  # what the test above would catch


def test_the_start_up_probe_accepts_this_uvicorn_and_catches_a_second_write() -> None:
    assert coalesce.probe() is None
    assert "2 writes" in str(coalesce.probe(HttpToolsProtocol))


def test_a_protocol_that_no_longer_fits_falls_back_with_a_warning(
    simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Renamed(CoalescingHttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:
            del self.loop  # as if uvicorn had renamed the attribute coalesce.py reads
            super().connection_made(transport)

    assert "AttributeError" in str(coalesce.probe(Renamed))
    monkeypatch.setattr(coalesce, "CoalescingHttpToolsProtocol", Renamed)
    with pytest.warns(RuntimeWarning, match="one write per response is off.*AttributeError"):
        config = server._uvicorn_config(simulator)
    assert config.http == "auto"
