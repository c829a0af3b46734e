"""The avatar cache (a TTL over `GET /api/avatars`) and finding an avatar given as an `Avatar`, an id or a name."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from miraflow._exceptions import AmbiguousAvatarError, NotFoundError
from miraflow.types import Avatar

__all__ = ["AvatarCache", "AvatarRef", "find_avatar", "unknown_avatar"]

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


def find_avatar(ref: str, avatars: Sequence[Avatar]) -> Avatar | None:
    """The avatar whose id is `ref`, else whose name is `ref` (exactly, then ignoring case), else None.

    Raises `AmbiguousAvatarError` when several avatars share the name.
    """
    for avatar in avatars:
        if avatar.id == ref:
            return avatar
    for matches in (
        [avatar for avatar in avatars if avatar.name == ref],
        [avatar for avatar in avatars if avatar.name.casefold() == ref.casefold()],
    ):
        if len(matches) == 1:
            return matches[0]
        if matches:
            ids = ", ".join(avatar.id for avatar in matches)
            raise AmbiguousAvatarError(f"{len(matches)} avatars are named {ref!r} ({ids}); pass the id instead")
    return None


def unknown_avatar(ref: str, avatars: Sequence[Avatar]) -> NotFoundError:
    """The error for an avatar the account does not have, raised before any create is sent."""
    known = ", ".join(f"{avatar.name!r} ({avatar.id})" for avatar in avatars[:10])
    more = f" and {len(avatars) - 10} more" if len(avatars) > 10 else ""
    listing = f"; the account's avatars: {known}{more}" if avatars else "; the account has no avatars"
    return NotFoundError(f"no avatar has the id or name {ref!r}{listing}", status_code=404)
