"""A virtual clock for asyncio tests: time moves only when every task waits, straight to the next sleeper's deadline.

So code that sleeps on an injected `AsyncClock` (the campaign's scheduler, rate gate and reconciler) runs minutes of
its schedule in milliseconds, and exactly: no wall clock, no noise from a busy machine.
"""

from __future__ import annotations

import asyncio
import heapq

__all__ = ["VirtualClock"]

_IDLE_ROUNDS = 3  # loop turns with nothing ready before time jumps: lets chains of call_soon settle first


class VirtualClock:
    """An `AsyncClock` whose `sleep` returns when the loop is otherwise idle, at the earliest pending deadline."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0
        self._armed = False

    def now(self) -> float:
        """The virtual time, in seconds."""
        return self._now

    async def sleep(self, seconds: float) -> None:
        """Return once virtual time reached now + `seconds`."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._seq += 1
        heapq.heappush(self._sleepers, (self._now + max(0.0, seconds), self._seq, future))
        if not self._armed:
            self._armed = True
            loop.call_soon(self._advance, loop, 0)
        await future

    def _advance(self, loop: asyncio.AbstractEventLoop, idle: int) -> None:
        while self._sleepers and self._sleepers[0][2].done():  # cancelled sleepers
            heapq.heappop(self._sleepers)
        if not self._sleepers:
            self._armed = False
            return
        busy = len(getattr(loop, "_ready", ()))  # CPython's ready queue: other callbacks still to run
        if busy or idle < _IDLE_ROUNDS:
            loop.call_soon(self._advance, loop, 0 if busy else idle + 1)
            return
        due = self._sleepers[0][0]
        self._now = max(self._now, due)
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)
        loop.call_soon(self._advance, loop, 0)
