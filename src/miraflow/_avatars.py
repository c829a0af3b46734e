"""The avatar cache (a TTL over `GET /api/avatars`), which `client.avatars` owns, and how a caller names an avatar."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from miraflow.types import Avatar

__all__ = ["AvatarCache", "AvatarRef"]

AvatarRef = Avatar | str
"""How a caller names an avatar: the `Avatar` itself, its id, or its name."""


class AvatarCache:
    """The account's avatars as last listed, kept for `ttl` seconds of `now()`."""

    def __init__(self, ttl: float, now: Callable[[], float]) -> None:
        self._ttl = ttl
        self._now = now
        self._lock = threading.Lock()
        self._avatars: tuple[Avatar, ...] | None = None
        self._fetched_at = 0.0

    def get(self) -> list[Avatar] | None:
        """The cached avatars (a new list each time), or None if none are cached or they are older than the TTL."""
        with self._lock:
            if self._avatars is None or self._now() - self._fetched_at >= self._ttl:
                return None
            return list(self._avatars)

    def put(self, avatars: Sequence[Avatar]) -> None:
        """Cache a fresh listing."""
        with self._lock:
            self._avatars = tuple(avatars)
            self._fetched_at = self._now()

    def clear(self) -> None:
        """Forget the cached listing."""
        with self._lock:
            self._avatars = None
