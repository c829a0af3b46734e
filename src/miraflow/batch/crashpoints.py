"""Crash points: a test seam that kills the process at a named moment of a campaign (SIGKILL, no cleanup at all).

The crash tests use it to prove that a campaign survives dying at its worst moments. `MIRAFLOW_BATCH_CRASH_AT`
(read by the `miraflow batch` command, never by the library) names them, as `POINT:N` pairs separated by commas: the
process kills itself the N-th time it reaches POINT. The points:

| point | the moment |
| --- | --- |
| `intent` | a create's intent is committed (`creating`), its request not sent yet |
| `response` | a create's answer (the jobId) arrived, not recorded yet |
| `created` | the jobId is recorded |
| `poll` | a status answer arrived, not acted on yet |
| `download` | a download is streaming: its temporary file holds part of the body |
| `downloaded` | a download is in place, not recorded yet |

`download` works through `CrashingTransport`, which wraps the HTTP transport and kills the process after handing over
the first chunk of a video's body.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import AsyncIterator, Mapping

import attrs
import httpx

from miraflow.environment import CRASH_ENV

__all__ = ["CRASH_ENV", "POINTS", "CrashPoints", "CrashingTransport"]

POINTS = ("intent", "response", "created", "poll", "download", "downloaded")


@attrs.define
class CrashPoints:
    """Where to die: point → the how-many-th time. Empty: never."""

    at: Mapping[str, int] = attrs.field(factory=dict)
    _seen: Counter[str] = attrs.field(factory=Counter, init=False)

    @classmethod
    def parse(cls, spec: str | None) -> CrashPoints:
        """Read `POINT:N,POINT:N` (N defaults to 1). Raises `ValueError` for an unknown point or a bad count."""
        at: dict[str, int] = {}
        for part in (spec or "").split(","):
            if not part.strip():
                continue
            name, _, count = part.strip().partition(":")
            if name not in POINTS:
                raise ValueError(f"{CRASH_ENV}: unknown crash point {name!r} (known: {', '.join(POINTS)})")
            at[name] = int(count) if count else 1
            if at[name] < 1:
                raise ValueError(f"{CRASH_ENV}: the count of {name!r} must be at least 1")
        return cls(at)

    def __bool__(self) -> bool:
        return bool(self.at)

    def reached(self, point: str) -> None:
        """Note that `point` was reached; kill the process if this is the time."""
        if point not in self.at:
            return
        self._seen[point] += 1
        if self._seen[point] == self.at[point]:
            os.kill(os.getpid(), signal.SIGKILL)


class CrashingTransport(httpx.AsyncBaseTransport):
    """Wraps a transport: a video download's body reaches `points.reached("download")` after its first chunk."""

    def __init__(self, inner: httpx.AsyncBaseTransport, points: CrashPoints) -> None:
        self._inner = inner
        self._points = points

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request` through the wrapped transport; wrap a download's body."""
        response = await self._inner.handle_async_request(request)
        if request.method == "GET" and request.url.path.endswith("/download") and response.status_code == 200:
            stream = response.stream
            assert isinstance(stream, httpx.AsyncByteStream)
            response.stream = _CrashingStream(stream, self._points)
        return response

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._inner.aclose()


class _CrashingStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, points: CrashPoints) -> None:
        self._inner = inner
        self._points = points

    async def __aiter__(self) -> AsyncIterator[bytes]:
        first = True
        async for chunk in self._inner:
            yield chunk
            if first:
                first = False
                self._points.reached("download")  # the first chunk is in the temporary file by now

    async def aclose(self) -> None:
        await self._inner.aclose()
