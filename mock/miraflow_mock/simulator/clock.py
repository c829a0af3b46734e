"""The simulator's clock: real (wall time) or manual (stands still until advanced through the admin API)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

__all__ = ["Clock", "ManualClock", "RealClock", "iso"]

# A manual clock starts at 0; its seconds are shown as dates from this moment.
_MANUAL_EPOCH = datetime(2025, 9, 1, tzinfo=UTC)


class Clock:
    """Seconds on the simulator's clock. Job durations are measured on it."""

    manual = False

    def now(self) -> float:
        """The current time, in seconds."""
        raise NotImplementedError

    def to_datetime(self, seconds: float) -> datetime:
        """The date and time a clock reading stands for."""
        raise NotImplementedError


class RealClock(Clock):
    """Wall-clock time (seconds since the Unix epoch), so jobs persisted with `--state` resume after a restart."""

    def now(self) -> float:
        """The current time, in seconds."""
        return time.time()

    def to_datetime(self, seconds: float) -> datetime:
        """The date and time a clock reading stands for."""
        return datetime.fromtimestamp(seconds, UTC)


class ManualClock(Clock):
    """A clock that moves only when told to: lifecycle tests become exact and instant."""

    manual = True

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        """The current time, in seconds."""
        return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock forward by `seconds` (not backwards); return the new time."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._now += seconds
        return self._now

    def set(self, seconds: float) -> None:
        """Set the time (when restoring persisted state, or on reset)."""
        self._now = seconds

    def to_datetime(self, seconds: float) -> datetime:
        """The date and time a clock reading stands for."""
        return _MANUAL_EPOCH + timedelta(seconds=seconds)


def iso(moment: datetime) -> str:
    """An RFC 3339 timestamp with milliseconds and a Z, as the API writes them."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
