"""`serve --log-requests`: one line per request on stdout, as Prism prints them.

```
14:03:21.512 POST   /api/video/create                            200    1.4 ms  tenant=demo-1  job=cq3x...
14:03:21.530 GET    /api/video/cq3x.../status                    503    0.3 ms  tenant=demo-1  job=cq3x...  fault=1
```

The line names the tenant, never its key, and leaves out query strings (signed URLs carry their signature there).
Lines are gathered and written every 50 ms at most, so a busy server makes one write for many requests.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any, TextIO

from miraflow_mock.simulator.journal import Entry

__all__ = ["RequestLog", "format_line"]

_PATH_WIDTH = 44  # /api/video/<25-character id>/status fits
_FLUSH_AFTER = 0.05  # seconds: soon enough for a person, rare enough to cost little
_clock_cache: list[Any] = [-1, ""]  # the whole second last formatted, and its HH:MM:SS


def _time_of_day(moment: float) -> str:
    second = int(moment)
    if second != _clock_cache[0]:
        _clock_cache[:] = [second, time.strftime("%H:%M:%S", time.localtime(second))]
    return f"{_clock_cache[1]}.{int(moment % 1 * 1000):03d}"


def format_line(entry: Entry, params: Mapping[str, str], wall_time: float | None = None) -> str:
    """One request as a log line: wall time, method, path, status, latency, tenant, job (or video), fault.

    `params` are the path's parameters (`Journal.params`).
    """
    moment = time.time() if wall_time is None else wall_time
    clock = _time_of_day(moment)
    status = "---" if entry.status is None else str(entry.status)
    latency = "" if entry.latency is None else f"{entry.latency * 1000:6.1f} ms"
    parts = [f"{clock} {entry.method:<6} {entry.path:<{_PATH_WIDTH}} {status:>3} {latency}"]
    parts.append(f"tenant={entry.tenant or '-'}")
    if (job := entry.job_id(params)) is not None:
        parts.append(f"job={job}")
    elif (video := params.get("videoId")) is not None:
        parts.append(f"video={video}")
    if entry.fault is not None:
        parts.append(f"fault={entry.fault}")
    if entry.status is None:
        parts.append("(connection dropped)")
    return "  ".join(parts)


class RequestLog:
    """Writes a line per journaled request to a stream (stdout by default); `params` reads an entry's path."""

    def __init__(self, params: Callable[[Entry], Mapping[str, str]], stream: TextIO | None = None) -> None:
        self._params = params
        self._stream = stream
        self._pending: list[str] = []
        self._scheduled = False

    def write(self, entry: Entry) -> None:
        """Log one request (written within 50 ms)."""
        self._pending.append(format_line(entry, self._params(entry)))
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called outside an event loop: write now
            self.flush()
            return
        self._scheduled = True
        loop.call_later(_FLUSH_AFTER, self.flush)

    def flush(self) -> None:
        """Write the lines gathered so far."""
        self._scheduled = False
        if not self._pending:
            return
        lines, self._pending = self._pending, []
        stream = self._stream or sys.stdout
        try:
            stream.write("\n".join(lines) + "\n")
            stream.flush()
        except (OSError, ValueError):  # stdout closed or gone: the service itself must go on
            pass
