"""`client.voices`: the voices a video can be spoken with."""

from __future__ import annotations

import builtins

from miraflow._base_client import AsyncAPIClient, RequestSpec, SyncAPIClient, expect, parse_body
from miraflow.types import Voice
from miraflow_client.api.voices import list_voices
from miraflow_client.models import VoiceList
from miraflow_client.types import Unset

__all__ = ["AsyncVoices", "Voices"]

_LIST = RequestSpec("listVoices", list_voices._get_kwargs, idempotent=True)


class Voices:
    """The voices available to the account (`client.voices`)."""

    def __init__(self, client: SyncAPIClient) -> None:
        self._client = client

    def list(self) -> builtins.list[Voice]:
        """Every voice; pass one (or its id) as `voice=` to `videos.create` to override the avatar's own."""
        response = self._client._request(_LIST)
        return _voices(
            expect(parse_body(list_voices._parse_response, self._client._generated, response), VoiceList, response)
        )


class AsyncVoices:
    """The voices available to the account (`client.voices` of `AsyncMiraflow`)."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._client = client

    async def list(self) -> builtins.list[Voice]:
        """Every voice; pass one (or its id) as `voice=` to `videos.create` to override the avatar's own."""
        response = await self._client._request(_LIST)
        return _voices(
            expect(parse_body(list_voices._parse_response, self._client._generated, response), VoiceList, response)
        )


def _voices(listed: VoiceList) -> builtins.list[Voice]:
    """The voices, under `voices` or under `avatars` (the key the docs' sample uses); the spec admits both."""
    for voices in (listed.voices, listed.avatars):
        if not isinstance(voices, Unset):
            return voices
    return []
