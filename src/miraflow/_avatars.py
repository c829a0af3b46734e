"""The avatar cache (a TTL over `GET /api/avatars`), which `client.avatars` owns, and how a caller names an avatar.

`ListingCache` is the TTL itself; `client.voices` keeps one too, for finding a voice by name or id.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from miraflow._response import capturing
from miraflow.resolve import Kind, Named, find_by_ref
from miraflow.types import Avatar

__all__ = ["AvatarCache", "AvatarRef", "ListingCache", "find_cached"]

T = TypeVar("T")
N = TypeVar("N", bound=Named)

AvatarRef = Avatar | str
"""How a caller names an avatar: the `Avatar` itself, its id, or its name."""


class ListingCache(Generic[T]):
    """A listing (the account's avatars, its voices) as last fetched, kept for `ttl` seconds of `now()`."""

    def __init__(self, ttl: float, now: Callable[[], float]) -> None:
        self._ttl = ttl
        self._now = now
        self._lock = threading.Lock()
        self._items: tuple[T, ...] | None = None
        self._fetched_at = 0.0

    def get(self) -> list[T] | None:
        """The cached items (a new list each time), or None if none are cached or they are older than the TTL."""
        with self._lock:
            if self._items is None or self._now() - self._fetched_at >= self._ttl:
                return None
            return list(self._items)

    def last(self) -> list[T] | None:
        """The last listing whatever its age (a new list), or None if there was none."""
        with self._lock:
            return None if self._items is None else list(self._items)

    def put(self, items: Sequence[T]) -> None:
        """Cache a fresh listing."""
        with self._lock:
            self._items = tuple(items)
            self._fetched_at = self._now()

    def clear(self) -> None:
        """Forget the cached listing."""
        with self._lock:
            self._items = None


class AvatarCache(ListingCache[Avatar]):
    """The account's avatars as last listed, kept for `ttl` seconds of `now()`."""


def find_cached(ref: str, cache: ListingCache[N], *, kind: Kind, any_age: bool = False) -> N | None:
    """The item `ref` names in the cached listing (`any_age`: the last one, however old); None if it is not there.

    None too while a raw response is being captured: the caller must then send its request.
    """
    if capturing():
        return None
    items = cache.last() if any_age else cache.get()
    return None if items is None else find_by_ref(ref, items, kind=kind)
