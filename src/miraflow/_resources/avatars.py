"""`client.avatars`: the account's avatars, listed through a TTL cache, and found by `Avatar`, id or name."""

from __future__ import annotations

import builtins

from miraflow._avatars import AvatarRef, find_avatar, unknown_avatar
from miraflow._base_client import AsyncAPIClient, RequestSpec, SyncAPIClient, expect, parse_body
from miraflow.types import Avatar
from miraflow_client.api.avatars import list_avatars
from miraflow_client.models import AvatarList

__all__ = ["AsyncAvatars", "Avatars"]

_LIST = RequestSpec("listAvatars", list_avatars._get_kwargs, idempotent=True)


class Avatars:
    """The account's avatars (`client.avatars`)."""

    def __init__(self, client: SyncAPIClient) -> None:
        self._client = client

    def list(self, *, refresh: bool = False) -> builtins.list[Avatar]:
        """Every avatar the account can use. Cached for the client's `avatar_cache_ttl`; `refresh=True` fetches anew."""
        if not refresh and (cached := self._client._avatar_cache.get()) is not None:
            return cached
        response = self._client._request(_LIST)
        listing = expect(
            parse_body(list_avatars._parse_response, self._client._generated, response), AvatarList, response
        )
        self._client._avatar_cache.put(listing.avatars)
        return builtins.list(listing.avatars)

    def retrieve(self, avatar: AvatarRef) -> Avatar:
        """The avatar named by `avatar`: an `Avatar` (returned as is), an id, or a name.

        Looks in the cached listing, then in a fresh one. Raises `NotFoundError` for an avatar the account does not
        have, `AmbiguousAvatarError` for a name several avatars share.
        """
        if isinstance(avatar, Avatar):
            return avatar
        cached = self._client._avatar_cache.get()
        if cached is not None and (found := find_avatar(avatar, cached)) is not None:
            return found
        fresh = self.list(refresh=True)
        found = find_avatar(avatar, fresh)
        if found is None:
            raise unknown_avatar(avatar, fresh)
        return found


class AsyncAvatars:
    """The account's avatars (`client.avatars` of `AsyncMiraflow`)."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def list(self, *, refresh: bool = False) -> builtins.list[Avatar]:
        """Every avatar the account can use. Cached for the client's `avatar_cache_ttl`; `refresh=True` fetches anew."""
        if not refresh and (cached := self._client._avatar_cache.get()) is not None:
            return cached
        response = await self._client._request(_LIST)
        listing = expect(
            parse_body(list_avatars._parse_response, self._client._generated, response), AvatarList, response
        )
        self._client._avatar_cache.put(listing.avatars)
        return builtins.list(listing.avatars)

    async def retrieve(self, avatar: AvatarRef) -> Avatar:
        """The avatar named by `avatar`: an `Avatar` (returned as is), an id, or a name (see `Avatars.retrieve`)."""
        if isinstance(avatar, Avatar):
            return avatar
        cached = self._client._avatar_cache.get()
        if cached is not None and (found := find_avatar(avatar, cached)) is not None:
            return found
        fresh = await self.list(refresh=True)
        found = find_avatar(avatar, fresh)
        if found is None:
            raise unknown_avatar(avatar, fresh)
        return found
