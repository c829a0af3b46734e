"""The narrow seam every resource sees of its client, as in openai-python's `_resource.py`.

A resource sends through `_request` (a 2xx, read) and `_stream` (a 2xx handed to a consumer), parses bodies with
`_parse` (the generated operation's parser), reads time from `_clock`, draws jitter from `_rng`, and asks
`_same_origin` whether a URL may receive the key. It never touches the client's other state; what a resource keeps
(known jobs, the avatar cache) lives in the resource. Every response passing the seam is noted for
`with_raw_response` (`_response.py`). `rebind_resources` gives a client's copy (`with_options`) its own resources,
bound to the copy, that share what the originals keep.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from miraflow._base_client import AsyncAPIClient, RequestSpec, SyncAPIClient, parse_body
from miraflow._response import note_response
from miraflow.clock import AsyncClock, Clock
from miraflow_client import AuthenticatedClient

__all__ = ["AsyncAPIResource", "SyncAPIResource", "rebind_resources"]

P = TypeVar("P")
T = TypeVar("T")


class _Parser:
    """`_parse(parse, response)`: a 2xx body through the generated operation's `_parse_response`."""

    def __init__(self, generated: AuthenticatedClient) -> None:
        self._generated = generated

    def __call__(self, parse: Callable[..., P], response: httpx.Response) -> P:
        return parse_body(parse, self._generated, response)


class SyncAPIResource:
    """The base of the sync resources: the client's seam, copied once."""

    def __init__(self, client: SyncAPIClient) -> None:
        self._bind(client)

    def _bind(self, client: SyncAPIClient) -> None:
        self._send = client._request
        self._send_streamed = client._stream
        self._parse = _Parser(client._generated)
        self._clock: Clock = client._clock
        self._rng: random.Random = client._rng
        self._time_scale: float = client.time_scale
        self._same_origin = client._same_origin

    def _request(self, spec: RequestSpec) -> httpx.Response:
        response = self._send(spec)
        note_response(response)
        return response

    def _stream(self, spec: RequestSpec, consume: Callable[[httpx.Response], T]) -> T:
        def noted(response: httpx.Response) -> T:
            note_response(response)
            return consume(response)

        return self._send_streamed(spec, noted)


class AsyncAPIResource:
    """The base of the async resources: the client's seam, copied once (the twin of `SyncAPIResource`)."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._bind(client)

    def _bind(self, client: AsyncAPIClient) -> None:
        self._send = client._request
        self._send_streamed = client._stream
        self._parse = _Parser(client._generated)
        self._clock: AsyncClock = client._clock
        self._rng: random.Random = client._rng
        self._time_scale: float = client.time_scale
        self._same_origin = client._same_origin

    async def _request(self, spec: RequestSpec) -> httpx.Response:
        response = await self._send(spec)
        note_response(response)
        return response

    async def _stream(self, spec: RequestSpec, consume: Callable[[httpx.Response], Awaitable[T]]) -> T:
        async def noted(response: httpx.Response) -> T:
            note_response(response)
            return await consume(response)

        return await self._send_streamed(spec, noted)


def rebind_resources(clone: SyncAPIClient | AsyncAPIClient, original: SyncAPIClient | AsyncAPIClient) -> None:
    """Give `clone` (a shallow copy of `original`) copies of its resources bound to it.

    The copies share what the originals keep (the avatar cache, the known jobs), and a resource that refers to another
    (`videos` uses `avatars` and `jobs`) refers to the clone's.
    """
    copies: dict[int, SyncAPIResource | AsyncAPIResource] = {}
    for name, value in vars(original).items():
        if isinstance(value, SyncAPIResource | AsyncAPIResource):
            twin = copy.copy(value)
            twin._bind(clone)  # type: ignore[arg-type]  # a sync resource belongs to a sync client, and so on
            copies[id(value)] = twin
            setattr(clone, name, twin)
    for twin in copies.values():
        for attribute, value in vars(twin).items():
            if id(value) in copies:
                setattr(twin, attribute, copies[id(value)])
