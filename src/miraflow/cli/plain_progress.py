"""Progress as plain lines, for where no live bar can be drawn: CI logs, `miraflow ... > file`, a pipe.

A live bar redraws itself many times a second; in a log that is either nothing (rich draws no bar off a terminal) or
a Christmas tree. These write one line at a time, at a rate a log can bear (`LinePacer`): a line at each change of
state, a line each time progress enters a new 10 % step (at most one every `min_gap` seconds), and a line every
`heartbeat` seconds while nothing moves, so a long wait still shows it is alive. Each line says what it follows, its
state, its progress and the time elapsed:

    Hello there: queued, 0.0 s
    Hello there: rendering 40%, 12.3 s
    campaign: 3/10 done · 2 to create · 5 rendering, 4.1 s

The clock is injectable, so the pacing is tested without sleeping.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TextIO

from rich.filesize import decimal

from miraflow import JobStatus
from miraflow.batch import RowState

__all__ = ["CampaignLines", "JobLines", "LinePacer", "TransferLines"]

Clock = Callable[[], float]

HEARTBEAT = 30.0
"""Seconds without a line after which one is written anyway (the wait is alive)."""
MIN_GAP = 2.0
"""Seconds at least between two lines for progress within the same state."""
STEP = 10
"""Progress is reported each time it enters a new step of this many percent."""


class LinePacer:
    """Decides when a plain progress line is due: on a change of state, a new 10 % step, or a heartbeat."""

    def __init__(
        self, *, clock: Clock = time.monotonic, heartbeat: float = HEARTBEAT, min_gap: float = MIN_GAP, step: int = STEP
    ) -> None:
        self._clock = clock
        self.heartbeat = heartbeat
        self.min_gap = min_gap
        self.step = step
        self.started = clock()
        self._last_at: float | None = None
        self._last_state: str | None = None
        self._last_step = -1

    def elapsed(self) -> float:
        """Seconds since the pacer was made."""
        return self._clock() - self.started

    def due(self, state: str, percent: float | None = None, *, final: bool = False) -> bool:
        """Whether to write a line for `state` at `percent` now (and, if so, remember that it was written)."""
        now = self._clock()
        step = -1 if percent is None else int(percent // self.step)
        if final or self._last_at is None or state != self._last_state:
            wanted = True
        else:
            since = now - self._last_at
            wanted = (step > self._last_step and since >= self.min_gap) or since >= self.heartbeat
        if wanted:
            self._last_step = step if state != self._last_state else max(step, self._last_step)
            self._last_at, self._last_state = now, state
        return wanted


def _write(stream: TextIO, line: str) -> None:
    stream.write(line + "\n")
    stream.flush()


def _elapsed(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 120 else f"{int(seconds // 60)} min {seconds % 60:02.0f} s"


class JobLines:
    """A waiter's `on_progress` that writes a job's state, progress and elapsed time as paced plain lines."""

    def __init__(
        self,
        label: str,
        describe: Callable[[JobStatus], str],
        *,
        stream: TextIO | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.label = label
        self._describe = describe
        self._stream = stream if stream is not None else sys.stdout
        self.pacer = LinePacer(clock=clock)

    def __call__(self, status: JobStatus) -> None:
        """Take one status the waiter saw; write a line if one is due."""
        state = self._describe(status)
        percent = 100 if status.outcome == "success" else status.progress
        if not self.pacer.due(state, percent, final=status.is_terminal):
            return
        shown = f" {status.progress}%" if status.progress is not None and status.outcome is None else ""
        _write(self._stream, f"{self.label}: {state}{shown}, {_elapsed(self.pacer.elapsed())}")


class TransferLines:
    """A download's or upload's `(bytes, total)` callback that writes paced plain lines: bytes so far, of the total."""

    def __init__(self, label: str, *, stream: TextIO | None = None, clock: Clock = time.monotonic) -> None:
        self.label = label
        self._stream = stream if stream is not None else sys.stdout
        self.pacer = LinePacer(clock=clock)

    def __call__(self, written: int, total: int | None) -> None:
        """Take the bytes moved so far; write a line if one is due (the first, each 10 %, the last, a heartbeat)."""
        percent = None if not total else min(100.0, 100.0 * written / total)
        finished = total is not None and written >= total
        if not self.pacer.due("transfer", percent, final=finished):
            return
        of = f" of {decimal(total)} ({percent:.0f}%)" if total and percent is not None else ""
        _write(self._stream, f"{self.label}: {decimal(written)}{of}, {_elapsed(self.pacer.elapsed())}")


_ENDS = (RowState.DOWNLOADED, RowState.FAILED, RowState.AMBIGUOUS)


class CampaignLines:
    """A campaign observer that writes the rows per state as paced plain lines; the last counts are written at exit."""

    def __init__(
        self,
        summary: Callable[[Mapping[RowState, int]], str],
        *,
        stream: TextIO | None = None,
        clock: Clock = time.monotonic,
        min_gap: float = 5.0,
    ) -> None:
        self._summary = summary
        self._stream = stream if stream is not None else sys.stdout
        self.pacer = LinePacer(clock=clock, min_gap=min_gap)
        self._shown: str | None = None
        self._pending: str | None = None

    def update(self, counts: Mapping[RowState, int]) -> None:
        """Take the counts after a row moved; write them if a line is due."""
        total = sum(counts.values()) - counts.get(RowState.SKIPPED, 0)
        done = sum(counts.get(state, 0) for state in _ENDS)
        line = f"campaign: {done}/{total} done · {self._summary(counts)}"
        # The state of a campaign is how far it got: a line per 10 % of rows ended, at most every `min_gap` seconds.
        if line == self._shown:
            return
        if self.pacer.due("campaign", 100.0 * done / total if total else None):
            self._show(line)
        else:
            self._pending = line

    def _show(self, line: str) -> None:
        self._shown, self._pending = line, None
        _write(self._stream, f"{line}, {_elapsed(self.pacer.elapsed())}")

    def __enter__(self) -> CampaignLines:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._pending is not None:
            self._show(self._pending)
