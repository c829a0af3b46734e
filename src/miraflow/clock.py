"""Time, behind a seam: the clients sleep and read the time through a clock that tests (and simulators) replace."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

__all__ = ["AsyncClock", "AsyncSystemClock", "Clock", "SystemClock"]


class Clock(Protocol):
    """What the sync client needs of time: a monotonic `now()` in seconds and a blocking `sleep`."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...

    def sleep(self, seconds: float) -> None:
        """Block for `seconds`."""
        ...


class AsyncClock(Protocol):
    """What the async client needs of time: a monotonic `now()` in seconds and an awaitable `sleep`."""

    def now(self) -> float:
        """Seconds on a monotonic clock."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Suspend for `seconds`."""
        ...


class SystemClock:
    """The real clock: `time.monotonic` and `time.sleep`."""

    def now(self) -> float:
        """Seconds on the process's monotonic clock."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """Block for `seconds`."""
        time.sleep(seconds)


class AsyncSystemClock:
    """The real clock for the async client: `time.monotonic` and `asyncio.sleep`."""

    def now(self) -> float:
        """Seconds on the process's monotonic clock."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Suspend for `seconds`."""
        await asyncio.sleep(seconds)
