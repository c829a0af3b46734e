"""Reading a response body within one deadline, not one timeout per read.

httpx's read timeout bounds each wait for bytes, so a server that sends a byte every few seconds keeps a call alive
forever. The SDK's API bodies are small: each must arrive whole within the read timeout, counted from its headers.
(Downloads stream large files and keep httpx's per-read timeout: a slow link is not a broken one.)
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import httpx

__all__ = ["aread_within", "read_within"]


class _Deadline(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, stream: httpx.SyncByteStream | httpx.AsyncByteStream, seconds: float) -> None:
        self._stream = stream
        self._seconds = seconds
        self._deadline = time.monotonic() + seconds

    def _check(self) -> None:
        if time.monotonic() > self._deadline:
            raise httpx.ReadTimeout(f"the response body did not arrive whole within {self._seconds:g} s")

    def __iter__(self) -> Iterator[bytes]:
        assert isinstance(self._stream, httpx.SyncByteStream)
        for chunk in self._stream:
            self._check()
            yield chunk

    async def __aiter__(self) -> AsyncIterator[bytes]:
        assert isinstance(self._stream, httpx.AsyncByteStream)
        async for chunk in self._stream:
            self._check()
            yield chunk

    def close(self) -> None:
        if isinstance(self._stream, httpx.SyncByteStream):
            self._stream.close()

    async def aclose(self) -> None:
        if isinstance(self._stream, httpx.AsyncByteStream):
            await self._stream.aclose()


def read_within(response: httpx.Response, seconds: float | None) -> None:
    """Read the body of a streamed `response`; raise `httpx.ReadTimeout` if it takes longer than `seconds` in all."""
    if seconds is not None:
        response.stream = _Deadline(response.stream, seconds)
    response.read()


async def aread_within(response: httpx.Response, seconds: float | None) -> None:
    """The async twin of `read_within`."""
    if seconds is not None:
        response.stream = _Deadline(response.stream, seconds)
    await response.aread()
