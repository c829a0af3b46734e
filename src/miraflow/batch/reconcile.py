"""Reconciling rows whose create may or may not have made a job: find their videos by name, or call them ambiguous.

A row is a *suspect* when its create was sent but its answer never recorded: the process died in between (a row found
in `creating` by the next run), or the connection broke after sending (`JobMayExistError`), or the service answered
5xx. Creates are never retried blindly. Every video of a campaign carries its row's token in its name
(`miraflow.batch.naming`), so the run looks for the token among the account's completed videos (`videos.list()`):

- found → the row resumes from there (`complete`, with the video's id);
- not found once the job, had it been made, would surely be done → `ambiguous`.

"Surely done" is the mode's longest duration (scaled by the time scale), plus a margin, after the later of the
create's intent and the moment every job created before it had finished: the service starts queued jobs in the order
they were created, so a job queued behind others starts no later than that. One `videos.list()` per sweep covers every
suspect at once; sweeps come every half of the shortest mode's minimum duration (at least the waiter's minimum
interval), and one more at each deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

import attrs

from miraflow import APIError, RateLimitError
from miraflow.batch.logs import logger
from miraflow.batch.naming import token_in
from miraflow.batch.pacing import Pacing
from miraflow.polling import POLL_MIN_INTERVAL
from miraflow.retries import retry_async
from miraflow.spec import lifecycle
from miraflow.types import Video

__all__ = [
    "RECONCILE_MARGIN",
    "RECONCILE_SLACK",
    "Reconciler",
    "Suspect",
    "SuspectEvents",
    "find_tokens",
    "give_up_after",
]

RECONCILE_SLACK = 0.1
"""The share of the mode's longest duration added to it before a suspect is called ambiguous."""
RECONCILE_MARGIN = 1.0
"""Seconds (real ones, not scaled) added as well: request latency, clocks."""
_MAX_LIST_FAILURES = 8


@attrs.define(eq=False)
class Suspect:
    """A row whose create may have made a job: its key, the token its video's name carries, its mode and create order.

    `intent_at` is when the intent to create was committed, on the run's clock (monotonic seconds). `recheck` marks a
    row already found ambiguous by an earlier run: one look, no more waiting.
    """

    key: int
    token: str
    mode: str
    seq: int
    intent_at: float
    recheck: bool = False
    clear_at: float | None = None  # when every job created before it was seen finished (None: not yet)


def give_up_after(mode: str, time_scale: float) -> float:
    """How long after its queue cleared a suspect's video must have appeared: the mode's longest duration, and more."""
    longest = lifecycle().mode(mode).duration.max * time_scale
    return longest * (1.0 + RECONCILE_SLACK) + RECONCILE_MARGIN


def find_tokens(videos: Sequence[Video], tokens: set[str]) -> dict[str, Video]:
    """The videos whose names carry one of `tokens`, by token (the earliest video if several carry the same one)."""
    found: dict[str, Video] = {}
    for video in videos:
        token = token_in(video.name)
        if token is not None and token in tokens and token not in found:
            found[token] = video
    return found


ListVideos = Callable[[], Awaitable[Sequence[Video]]]


class SuspectEvents(Protocol):
    """What the reconciler asks and tells of its suspects (a campaign's run listens)."""

    def prior_open(self, suspect: Suspect) -> bool:
        """Whether a job created before `suspect` may still be running."""
        ...

    def suspect_found(self, suspect: Suspect, video: Video) -> None:
        """`suspect`'s video was found."""
        ...

    def suspect_missing(self, suspect: Suspect) -> None:
        """`suspect`'s video did not appear in time."""
        ...


@attrs.define(kw_only=True, eq=False, repr=False, slots=False)
class Reconciler:
    """Sweeps the account's completed videos for the suspects' tokens (see the module's docstring).

    `pacing` is the run's clock, rate gate, time scale and jitter source; `events` tells whether jobs created before a
    suspect may still be running, and hears the outcomes. `run()` returns once `close()` was called and no suspect is
    left; it raises the listing's error if listing keeps failing or fails for good.
    """

    _list: ListVideos = attrs.field(alias="list_videos")
    _pacing: Pacing
    _events: SuspectEvents

    def __attrs_post_init__(self) -> None:
        self._suspects: dict[int, Suspect] = {}
        self._wake = asyncio.Event()
        self._closed = False
        self.sweeps = 0
        """`videos.list()` calls made."""

    def __len__(self) -> int:
        return len(self._suspects)

    def add(self, suspect: Suspect) -> None:
        """Look for `suspect`'s video from the next sweep on."""
        self._suspects[suspect.key] = suspect
        self._wake.set()

    def close(self) -> None:
        """No more suspects will be added."""
        self._closed = True
        self._wake.set()

    def deadline(self, suspect: Suspect) -> float | None:
        """When `suspect` is called ambiguous if still not found (None: its queue has not cleared yet)."""
        if suspect.recheck:
            return suspect.intent_at
        if suspect.clear_at is None:
            return None
        return max(suspect.intent_at, suspect.clear_at) + give_up_after(suspect.mode, self._pacing.time_scale)

    async def run(self) -> None:
        """Sweep until closed and every suspect is resolved.

        A sweep whose listing fails transiently is tried again (the SDK's `retry_async`: Retry-After honoured, a 429
        pausing the whole batch); it raises the listing's error once that fails for good.
        """
        while self._suspects or not self._closed:
            if not self._suspects:
                self._wake.clear()
                await self._wake.wait()
                continue
            self._wake.clear()
            await retry_async(
                self.sweep,
                attempts=_MAX_LIST_FAILURES,
                clock=self._pacing.clock,
                rng=self._pacing.rng,
                on_retry=self._listing_failed,
            )
            if self._suspects:
                await self._nap(self._next_sweep_in())

    def _listing_failed(self, error: APIError, delay: float) -> None:
        if isinstance(error, RateLimitError):
            self._pacing.gate.rate_limited(error)
        logger.debug("batch: listing videos failed (%s); again in %.2f s", type(error).__name__, delay)

    async def sweep(self) -> None:
        """List the account's videos once; resolve every suspect found, and every one past its deadline."""
        await self._pacing.gate.wait()
        self.sweeps += 1
        videos = await self._list()
        self._pacing.gate.succeeded()
        now = self._pacing.clock.now()
        found = find_tokens(videos, {suspect.token for suspect in self._suspects.values()})
        for suspect in list(self._suspects.values()):
            video = found.get(suspect.token)
            if video is not None:
                del self._suspects[suspect.key]
                self._events.suspect_found(suspect, video)
                continue
            if suspect.clear_at is None and not self._events.prior_open(suspect):
                suspect.clear_at = now
            deadline = self.deadline(suspect)
            if deadline is not None and now >= deadline:
                del self._suspects[suspect.key]
                self._events.suspect_missing(suspect)

    def _next_sweep_in(self) -> float:
        modes = lifecycle().modes
        shortest = min(modes[suspect.mode].duration.min for suspect in self._suspects.values())
        interval = max(POLL_MIN_INTERVAL, shortest / 2) * self._pacing.time_scale
        now = self._pacing.clock.now()
        deadlines = [d for suspect in self._suspects.values() if (d := self.deadline(suspect)) is not None]
        if deadlines:
            interval = min(interval, max(0.0, min(deadlines) - now))
        return interval

    async def _nap(self, seconds: float) -> None:
        """Sleep `seconds`, or less if a suspect is added (it gets a first look at once)."""
        waker = asyncio.ensure_future(self._wake.wait())
        sleeper = asyncio.ensure_future(self._pacing.clock.sleep(seconds))
        try:
            await asyncio.wait({waker, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waker.cancel()
            sleeper.cancel()
