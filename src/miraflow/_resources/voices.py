"""`client.voices`: the voices a video can be spoken with, and finding one by `Voice`, id or name."""

from __future__ import annotations

import builtins

from miraflow._base_client import RequestSpec, expect
from miraflow._resource import AsyncAPIResource, SyncAPIResource
from miraflow.resolve import find_by_ref, unknown
from miraflow.types import Voice
from miraflow_client.api.voices import list_voices
from miraflow_client.models import VoiceList
from miraflow_client.types import Unset

__all__ = ["AsyncVoices", "Voices"]

_LIST = RequestSpec("listVoices", list_voices._get_kwargs, idempotent=True)


class Voices(SyncAPIResource):
    """The voices available to the account (`client.voices`)."""

    def list(self) -> builtins.list[Voice]:
        """Every voice; pass one (or its id) as `voice=` to `videos.create` to override the avatar's own."""
        response = self._request(_LIST)
        return _voices(expect(self._parse(list_voices._parse_response, response), VoiceList, response))

    def retrieve(self, voice: Voice | str) -> Voice:
        """The voice named by `voice`: a `Voice` (returned as is), an id, or a name (`miraflow.resolve`'s rule).

        Raises `NotFoundError` for a voice the account does not have, `AmbiguousVoiceError` for a shared name.
        """
        if isinstance(voice, Voice):
            return voice
        known = self.list()
        found = find_by_ref(voice, known, kind="voice")
        if found is None:
            raise unknown(voice, known, kind="voice")
        return found


class AsyncVoices(AsyncAPIResource):
    """The voices available to the account (`client.voices` of `AsyncMiraflow`)."""

    async def list(self) -> builtins.list[Voice]:
        """Every voice; pass one (or its id) as `voice=` to `videos.create` to override the avatar's own."""
        response = await self._request(_LIST)
        return _voices(expect(self._parse(list_voices._parse_response, response), VoiceList, response))

    async def retrieve(self, voice: Voice | str) -> Voice:
        """The voice named by `voice`: a `Voice` (returned as is), an id, or a name (see `Voices.retrieve`)."""
        if isinstance(voice, Voice):
            return voice
        known = await self.list()
        found = find_by_ref(voice, known, kind="voice")
        if found is None:
            raise unknown(voice, known, kind="voice")
        return found


def _voices(listed: VoiceList) -> builtins.list[Voice]:
    """The voices, under `voices` or under `avatars` (the key the docs' sample uses); the spec admits both."""
    for voices in (listed.voices, listed.avatars):
        if not isinstance(voices, Unset):
            return voices
    return []
