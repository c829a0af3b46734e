"""One write per small response: uvicorn's HTTP protocol with the response head held back until its body follows.

uvicorn writes a response's status line and headers, then its body, as two socket writes: two syscalls and, with
TCP_NODELAY, two packets the client wakes up for. Holding the head until the body's first write (or, at the latest,
the loop's next turn) sends both at once; the bytes on the wire and their order are unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["CoalescingHttpToolsProtocol"]


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
