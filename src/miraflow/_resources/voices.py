"""`client.voices`: the voices a video can be spoken with, and finding one by `Voice`, id or name."""

from __future__ import annotations

import builtins

from miraflow._arguments import VOICE, check_arguments
from miraflow._avatars import ListingCache, find_cached
from miraflow._base_client import AsyncAPIClient, RequestSpec, SyncAPIClient, expect
from miraflow._constants import AVATAR_CACHE_TTL
from miraflow._resource import AsyncAPIResource, SyncAPIResource
from miraflow._resources.raw import AsyncVoicesWithRawResponse, VoicesWithRawResponse
from miraflow.resolve import find_known
from miraflow.types import Voice
from miraflow_client.api.voices import list_voices
from miraflow_client.models import VoiceList
from miraflow_client.types import Unset

__all__ = ["AsyncVoices", "Voices"]

_LIST = RequestSpec("listVoices", list_voices._get_kwargs, idempotent=True)


class Voices(SyncAPIResource):
    """The voices available to the account (`client.voices`)."""

    def __init__(self, client: SyncAPIClient, *, cache_ttl: float = AVATAR_CACHE_TTL) -> None:
        super().__init__(client)
        self._cache: ListingCache[Voice] = ListingCache(cache_ttl, self._clock.now)

    @property
    def with_raw_response(self) -> VoicesWithRawResponse:
        """These methods, each returning a `RawResponse` (status, headers, `parse()`)."""
        return VoicesWithRawResponse(self)

    def list(self) -> builtins.list[Voice]:
        """Every voice; pass one (its id or its name) as `voice=` to `videos.create` to override the avatar's own."""
        response = self._request(_LIST)
        voices = _voices(expect(self._parse(list_voices._parse_response, response), VoiceList, response))
        self._cache.put(voices)
        return voices

    def _for_create(self, voice: Voice | str) -> Voice:
        """The voice a create names: from the last listing whatever its age, else as `retrieve` finds it.

        So a campaign that listed the voices sends no request per create; a stale id is the API's to refuse.
        """
        if isinstance(voice, Voice):
            return voice
        if (found := find_cached(voice, self._cache, kind="voice", any_age=True)) is not None:
            return found
        return self.retrieve(voice)

    def retrieve(self, voice: Voice | str) -> Voice:
        """The voice named by `voice`: a `Voice` (returned as is), an id, or a name (`miraflow.resolve`'s rule).

        Looks in the last listing (kept for a few minutes), then in a fresh one. Raises `NotFoundError` for a voice
        the account does not have, `AmbiguousVoiceError` for a shared name.
        """
        check_arguments("voices.retrieve", voice=(voice, VOICE))
        if isinstance(voice, Voice):
            return voice
        if (found := find_cached(voice, self._cache, kind="voice")) is not None:
            return found
        return find_known(voice, self.list(), kind="voice")


class AsyncVoices(AsyncAPIResource):
    """The voices available to the account (`client.voices` of `AsyncMiraflow`)."""

    def __init__(self, client: AsyncAPIClient, *, cache_ttl: float = AVATAR_CACHE_TTL) -> None:
        super().__init__(client)
        self._cache: ListingCache[Voice] = ListingCache(cache_ttl, self._clock.now)

    @property
    def with_raw_response(self) -> AsyncVoicesWithRawResponse:
        """These methods, each returning a `RawResponse` (status, headers, `parse()`)."""
        return AsyncVoicesWithRawResponse(self)

    async def list(self) -> builtins.list[Voice]:
        """Every voice; pass one (its id or its name) as `voice=` to `videos.create` to override the avatar's own."""
        response = await self._request(_LIST)
        voices = _voices(expect(self._parse(list_voices._parse_response, response), VoiceList, response))
        self._cache.put(voices)
        return voices

    async def _for_create(self, voice: Voice | str) -> Voice:
        """The voice a create names: from the last listing whatever its age, else as `retrieve` finds it.

        So a campaign that listed the voices sends no request per create; a stale id is the API's to refuse.
        """
        if isinstance(voice, Voice):
            return voice
        if (found := find_cached(voice, self._cache, kind="voice", any_age=True)) is not None:
            return found
        return await self.retrieve(voice)

    async def retrieve(self, voice: Voice | str) -> Voice:
        """The voice named by `voice`: a `Voice` (returned as is), an id, or a name (see `Voices.retrieve`)."""
        check_arguments("voices.retrieve", voice=(voice, VOICE))
        if isinstance(voice, Voice):
            return voice
        if (found := find_cached(voice, self._cache, kind="voice")) is not None:
            return found
        return find_known(voice, await self.list(), kind="voice")


def _voices(listed: VoiceList) -> builtins.list[Voice]:
    """The voices, under `voices` or under `avatars` (the key the docs' sample uses); the spec admits both."""
    for voices in (listed.voices, listed.avatars):
        if not isinstance(voices, Unset):
            return voices
    return []
