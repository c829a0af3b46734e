"""Pacing the whole campaign: a batch-wide pause after a 429, and a cap on the creates in flight that shrinks on one.

Every request of a campaign (creates, status polls, video listings, downloads) first waits at the `RateGate`. A 429
anywhere pauses the gate for the server's `Retry-After` (or an exponential backoff without one, both decided by
`miraflow.retries.delay_after`), so the whole batch slows down at once instead of each request retrying on its own.
The `CreateLimiter` keeps at most `--concurrency` creates in flight; a 429 on a create halves that (down to one), and
each accepted create grows it back by a fraction (additive increase, multiplicative decrease).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import attrs

from miraflow import APIStatusError
from miraflow.batch.logs import logger
from miraflow.clock import AsyncClock
from miraflow.retries import delay_after

__all__ = ["CreateLimiter", "Pacing", "RateGate", "own_rng"]


def own_rng(rng: random.Random | None) -> random.Random:
    """`rng`, else a new `random.Random`: the jitter source of the gate, the scheduler or the reconciler."""
    return rng if rng is not None else random.Random()


class RateGate:
    """A batch-wide pause: `pause(seconds)` after a 429; every request `await gate.wait()`s before it goes out."""

    def __init__(self, clock: AsyncClock, *, rng: random.Random | None = None) -> None:
        self._clock = clock
        self._rng = own_rng(rng)
        self._resume_at = 0.0
        self._strikes = 0  # 429s in a row, for the backoff when the server gives no Retry-After
        self.pauses = 0
        """How many 429s paused the batch."""

    @property
    def paused(self) -> bool:
        """Whether the batch is paused now."""
        return self._clock.now() < self._resume_at

    def pause(self, seconds: float) -> None:
        """Hold every request back for `seconds` from now (a longer pause already in force stands)."""
        self.pauses += 1
        self._resume_at = max(self._resume_at, self._clock.now() + max(0.0, seconds))

    def rate_limited(self, error: APIStatusError) -> float:
        """Pause after the 429 `error`, honouring its `Retry-After`; return the pause in seconds."""
        delay = delay_after(error, self._strikes, rng=self._rng)
        self._strikes += 1
        self.pause(delay)
        logger.debug("batch: 429 from the API; pausing every request for %.3f s", delay)
        return delay

    def succeeded(self) -> None:
        """A request went through: the next 429 starts the backoff afresh."""
        self._strikes = 0

    async def wait(self) -> None:
        """Return once the batch is not paused."""
        while (delay := self._resume_at - self._clock.now()) > 0:
            await self._clock.sleep(delay)


@attrs.frozen
class Pacing:
    """What times a campaign's requests, made once per run and shared by its scheduler and reconciler.

    The `clock` they wait on, the batch-wide `gate`, the `time_scale` of a simulator faster than real time, and the
    `rng` their jitter comes from (default: a new `random.Random`).
    """

    clock: AsyncClock
    gate: RateGate
    time_scale: float = 1.0
    rng: random.Random = attrs.field(default=None, converter=own_rng)


class CreateLimiter:
    """At most `maximum` creates in flight; halved on a 429, grown back by `1/limit` per accepted create."""

    def __init__(self, maximum: int) -> None:
        if maximum < 1:
            raise ValueError(f"concurrency must be at least 1, not {maximum}")
        self.maximum = maximum
        self.limit = float(maximum)
        self.in_flight = 0
        self._room = asyncio.Event()

    async def acquire(self) -> None:
        """Wait for a free create slot and take it."""
        while self.in_flight >= int(self.limit):
            self._room.clear()
            await self._room.wait()
        self.in_flight += 1

    def release(self) -> None:
        """Give a create slot back."""
        self.in_flight -= 1
        self._room.set()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the create slots for the duration of the `async with`."""
        await self.acquire()
        try:
            yield
        finally:
            self.release()

    def rate_limited(self) -> None:
        """A create got a 429: halve the creates allowed in flight (at least one)."""
        self.limit = max(1.0, self.limit / 2)

    def accepted(self) -> None:
        """A create was accepted: allow a little more concurrency again, up to the maximum."""
        self.limit = min(float(self.maximum), self.limit + 1.0 / self.limit)
