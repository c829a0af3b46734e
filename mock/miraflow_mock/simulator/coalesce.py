"""One write per small response: uvicorn's HTTP protocol with the response head held back until its body follows.

uvicorn writes a response's status line and headers, then its body, as two socket writes: two syscalls and, with
TCP_NODELAY, two packets the client wakes up for. Holding the head until the body's first write (or, at the latest,
the loop's next turn) sends both at once; the bytes on the wire and their order are unchanged.

It relies on uvicorn's private protocol (its `transport` and `loop` attributes, and each response's head being one
write through `self.transport`), so uvicorn is pinned below its next minor version and `probe()` sends one request
through it at start-up: the server uses it only if that request leaves in one write.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterable, MutableMapping
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

__all__ = ["CoalescingHttpToolsProtocol", "probe"]


class _CoalescingTransport:
    """A transport proxy that holds a response head and sends it with the next write."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send `data`, or hold it if it is a complete response head (the body's write will carry it)."""
        if self._held is not None:
            held, self._held = self._held, None
            self._transport.write(held + bytes(data))
        elif data[:5] == b"HTTP/" and data[-4:] == b"\r\n\r\n":
            self._held = bytes(data)
            self._loop.call_soon(self.flush)  # a response without a body write (HEAD, 1xx) goes out on the next turn
        else:
            self._transport.write(data)

    def writelines(self, chunks: Iterable[bytes | bytearray | memoryview]) -> None:
        """Send `chunks` after any held head."""
        self.write(b"".join(chunks))

    def write_eof(self) -> None:
        """Send any held head, then end the stream."""
        self.flush()
        self._transport.write_eof()

    def flush(self) -> None:
        """Send a held head now (dropped if the connection is already gone: nobody is left to read it)."""
        if self._held is not None:
            held, self._held = self._held, None
            if not self._transport.is_closing():
                self._transport.write(held)

    def close(self) -> None:
        """Flush, then close the connection."""
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, writing each response's head together with its body."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Set up the connection as uvicorn does, behind a coalescing transport."""
        super().connection_made(transport)
        self.transport = _CoalescingTransport(self.transport, self.loop)  # type: ignore[assignment]


class _ProbeTransport(asyncio.Transport):
    """A stand-in connection that records what the protocol writes."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Record one write."""
        self.writes.append(bytes(data))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """Addresses of a loopback connection; no socket, no TLS."""
        return {"sockname": ("127.0.0.1", 1), "peername": ("127.0.0.1", 2)}.get(name, default)

    def is_closing(self) -> bool:
        """Tell whether `close` was called."""
        return self.closed

    def close(self) -> None:
        """Mark the connection closed."""
        self.closed = True

    def pause_reading(self) -> None:
        """Nothing to pause."""

    def resume_reading(self) -> None:
        """Nothing to resume."""


async def _probe_app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def probe(protocol: type[HttpToolsProtocol] | None = None) -> str | None:
    """Serve one request through `protocol` (the coalescing one) on a stand-in connection.

    Returns None if the response left in one write, else what went wrong: a uvicorn that renamed what this module
    relies on fails here, at start-up, instead of on every connection. Runs on a thread of its own, with its own
    event loop, so it may be called from a running loop (the server's).
    """
    result: list[str | None] = []
    thread = threading.Thread(target=lambda: result.append(_probe(protocol or CoalescingHttpToolsProtocol)))
    thread.start()
    thread.join()
    return result[0] if result else "the probe did not finish"


async def _cancel_the_rest() -> None:
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _probe(protocol_class: type[HttpToolsProtocol]) -> str | None:
    loop = asyncio.new_event_loop()
    transport = _ProbeTransport()
    try:
        config = uvicorn.Config(_probe_app, http=protocol_class, lifespan="off", log_config=None, log_level="warning")
        config.load()
        server = protocol_class(config=config, server_state=ServerState(), app_state={}, _loop=loop)
        server.connection_made(transport)
        server.data_received(b"GET / HTTP/1.1\r\nHost: probe\r\n\r\n")

        async def answered() -> None:
            for _ in range(100):
                if transport.writes and transport.writes[-1].endswith(b"ok"):
                    return
                await asyncio.sleep(0)

        loop.run_until_complete(answered())
        server.connection_lost(None)
        loop.run_until_complete(asyncio.sleep(0))
    except Exception as exc:  # any failure means the protocol does not fit this uvicorn
        return f"{type(exc).__name__}: {exc}"
    finally:
        loop.run_until_complete(_cancel_the_rest())
        loop.close()
    if (
        len(transport.writes) != 1
        or not transport.writes[0].startswith(b"HTTP/1.1 200")
        or not transport.writes[0].endswith(b"\r\n\r\nok")
    ):
        return f"a response went out in {len(transport.writes)} writes: {transport.writes!r}"
    return None
