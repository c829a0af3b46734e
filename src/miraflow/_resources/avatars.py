"""`client.avatars`: the account's avatars, listed through a TTL cache it owns, and found by `Avatar`, id or name."""

from __future__ import annotations

import builtins

from miraflow._arguments import AVATAR, FLAG, check_arguments
from miraflow._avatars import AvatarCache, AvatarRef, find_cached
from miraflow._base_client import AsyncAPIClient, RequestSpec, SyncAPIClient, expect
from miraflow._resource import AsyncAPIResource, SyncAPIResource
from miraflow._resources.raw import AsyncAvatarsWithRawResponse, AvatarsWithRawResponse
from miraflow._response import capturing
from miraflow.resolve import find_known
from miraflow.types import Avatar
from miraflow_client.api.avatars import list_avatars
from miraflow_client.models import AvatarList

__all__ = ["AsyncAvatars", "Avatars"]

_LIST = RequestSpec("listAvatars", list_avatars._get_kwargs, idempotent=True)


class Avatars(SyncAPIResource):
    """The account's avatars (`client.avatars`)."""

    def __init__(self, client: SyncAPIClient, *, cache_ttl: float) -> None:
        super().__init__(client)
        self._cache = AvatarCache(cache_ttl, self._clock.now)

    @property
    def with_raw_response(self) -> AvatarsWithRawResponse:
        """These methods, each returning a `RawResponse` (status, headers, `parse()`); the cache is bypassed."""
        return AvatarsWithRawResponse(self)

    def list(self, *, refresh: bool = False) -> builtins.list[Avatar]:
        """Every avatar the account can use. Cached for the client's `avatar_cache_ttl`; `refresh=True` fetches anew."""
        check_arguments("avatars.list", refresh=(refresh, FLAG))
        if not refresh and not capturing() and (cached := self._cache.get()) is not None:
            return cached
        response = self._request(_LIST)
        listing = expect(self._parse(list_avatars._parse_response, response), AvatarList, response)
        self._cache.put(listing.avatars)
        return builtins.list(listing.avatars)

    def retrieve(self, avatar: AvatarRef) -> Avatar:
        """The avatar named by `avatar`: an `Avatar` (returned as is), an id, or a name (`miraflow.resolve`'s rule).

        Looks in the cached listing, then in a fresh one. Raises `NotFoundError` for an avatar the account does not
        have, `AmbiguousAvatarError` for a name several avatars share.
        """
        check_arguments("avatars.retrieve", avatar=(avatar, AVATAR))
        if isinstance(avatar, Avatar):
            return avatar
        if (found := find_cached(avatar, self._cache, kind="avatar")) is not None:
            return found
        return find_known(avatar, self.list(refresh=True), kind="avatar")


class AsyncAvatars(AsyncAPIResource):
    """The account's avatars (`client.avatars` of `AsyncMiraflow`)."""

    def __init__(self, client: AsyncAPIClient, *, cache_ttl: float) -> None:
        super().__init__(client)
        self._cache = AvatarCache(cache_ttl, self._clock.now)

    @property
    def with_raw_response(self) -> AsyncAvatarsWithRawResponse:
        """These methods, each returning a `RawResponse` (status, headers, `parse()`); the cache is bypassed."""
        return AsyncAvatarsWithRawResponse(self)

    async def list(self, *, refresh: bool = False) -> builtins.list[Avatar]:
        """Every avatar the account can use. Cached for the client's `avatar_cache_ttl`; `refresh=True` fetches anew."""
        check_arguments("avatars.list", refresh=(refresh, FLAG))
        if not refresh and not capturing() and (cached := self._cache.get()) is not None:
            return cached
        response = await self._request(_LIST)
        listing = expect(self._parse(list_avatars._parse_response, response), AvatarList, response)
        self._cache.put(listing.avatars)
        return builtins.list(listing.avatars)

    async def retrieve(self, avatar: AvatarRef) -> Avatar:
        """The avatar named by `avatar`: an `Avatar` (returned as is), an id, or a name (see `Avatars.retrieve`)."""
        check_arguments("avatars.retrieve", avatar=(avatar, AVATAR))
        if isinstance(avatar, Avatar):
            return avatar
        if (found := find_cached(avatar, self._cache, kind="avatar")) is not None:
            return found
        return find_known(avatar, await self.list(refresh=True), kind="avatar")
