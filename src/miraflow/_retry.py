"""When to retry a request, and how long to wait first. Decided here and nowhere else.

Only idempotent requests are retried (GETs, the upload's PUT): `POST /video/create` and finalize cost credits or
change state, so a failure there surfaces at once. A retry follows a connection error, a timeout, a body cut short,
408, 429 or any 5xx. The wait is exponential backoff with jitter, unless the server sent `Retry-After` (seconds or an
HTTP date), which is honoured up to a ceiling. The numbers are in `_constants`.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

import httpx

from miraflow._constants import (
    INITIAL_RETRY_DELAY,
    MAX_RETRY_DELAY,
    RETRY_AFTER_CEILING,
    RETRY_JITTER,
    RETRYABLE_STATUS_CODES,
)
from miraflow._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    IncompleteBodyError,
    InternalServerError,
    RateLimitError,
)
from miraflow._logging import logger
from miraflow.clock import AsyncClock

__all__ = ["delay_after", "is_transient", "retry_after", "retry_async", "retry_delay", "should_retry"]

T = TypeVar("T")


def should_retry(
    *,
    idempotent: bool,
    retries_left: int,
    response: httpx.Response | None = None,
    error: BaseException | None = None,
) -> bool:
    """Decide whether a request that got `response` (or failed with `error`) is sent again."""
    if not idempotent or retries_left <= 0:
        return False
    if error is not None:
        return isinstance(error, httpx.TransportError | IncompleteBodyError)
    if response is not None:
        return _retryable_status(response.status_code)
    return False


def is_transient(error: BaseException) -> bool:
    """Whether an SDK error is worth trying again later (what the waiter tolerates while polling)."""
    if isinstance(error, APIConnectionError | RateLimitError | InternalServerError):
        return True  # by class too: a 2xx failure body saying "Internal server error" maps to InternalServerError
    return isinstance(error, APIStatusError) and _retryable_status(error.status_code)


def _retryable_status(status: int) -> bool:
    return status in RETRYABLE_STATUS_CODES or 500 <= status <= 599


def retry_after(headers: Mapping[str, str], *, now: Callable[[], float] = time.time) -> float | None:
    """The server's `Retry-After` in seconds from now (from seconds or an HTTP date), or None if absent or invalid."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP date is GMT
            return None
        seconds = when.timestamp() - now()
        return max(0.0, seconds)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def retry_delay(
    attempt: int,
    *,
    headers: Mapping[str, str] | None = None,
    rng: random.Random,
    now: Callable[[], float] = time.time,
) -> float:
    """How long to wait before retry number `attempt` (0 for the first retry).

    The server's `Retry-After`, capped at `RETRY_AFTER_CEILING`, if it sent one; else exponential backoff from
    `INITIAL_RETRY_DELAY`, capped at `MAX_RETRY_DELAY`, shortened by up to `RETRY_JITTER` of itself.
    """
    hint = retry_after(headers, now=now) if headers is not None else None
    if hint is not None:
        return min(hint, RETRY_AFTER_CEILING)
    delay = min(INITIAL_RETRY_DELAY * 2.0**attempt, MAX_RETRY_DELAY)
    return delay * (1.0 - RETRY_JITTER * rng.random())


def delay_after(
    error: BaseException, attempt: int, *, rng: random.Random, now: Callable[[], float] = time.time
) -> float:
    """How long to wait before retry number `attempt` after `error`: its response's `Retry-After`, else the backoff."""
    response = error.response if isinstance(error, APIStatusError) else None
    return retry_delay(attempt, headers=response.headers if response is not None else None, rng=rng, now=now)


async def retry_async(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int,
    clock: AsyncClock,
    rng: random.Random,
    retryable: Callable[[APIError], bool] = is_transient,
    on_retry: Callable[[APIError, float], object] | None = None,
) -> T:
    """Await `call()`, again after an `APIError` that is `retryable`, up to `attempts` times in all.

    Waits `delay_after` the error between attempts (Retry-After honoured) on `clock`; `on_retry(error, delay)` hears of
    each retry first (a campaign pauses its whole batch on a 429 there). The last error is raised as it is.
    """
    attempt = 0
    while True:
        try:
            return await call()
        except APIError as error:
            if attempt + 1 >= attempts or not retryable(error):
                raise
            delay = delay_after(error, attempt, rng=rng)
            logger.debug(
                "retrying after %s in %.2f s (attempt %d of %d)", type(error).__name__, delay, attempt + 2, attempts
            )
            if on_retry is not None:
                on_retry(error, delay)
            await clock.sleep(delay)
            attempt += 1
