"""The narrow seam every resource sees of its client, as in openai-python's `_resource.py`.

A resource sends through `_request` (a 2xx, read) and `_stream` (a 2xx handed to a consumer), parses bodies with
`_parse` (the generated operation's parser), reads time from `_clock`, draws jitter from `_rng`, and asks
`_same_origin` whether a URL may receive the key. It never touches the client's other state; what a resource keeps
(known jobs, the avatar cache) lives in the resource.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

import httpx

from miraflow._base_client import AsyncAPIClient, SyncAPIClient, parse_body
from miraflow.clock import AsyncClock, Clock
from miraflow_client import AuthenticatedClient

__all__ = ["AsyncAPIResource", "SyncAPIResource"]

P = TypeVar("P")


class _Parser:
    """`_parse(parse, response)`: a 2xx body through the generated operation's `_parse_response`."""

    def __init__(self, generated: AuthenticatedClient) -> None:
        self._generated = generated

    def __call__(self, parse: Callable[..., P], response: httpx.Response) -> P:
        return parse_body(parse, self._generated, response)


class SyncAPIResource:
    """The base of the sync resources: the client's seam, copied once."""

    def __init__(self, client: SyncAPIClient) -> None:
        self._request = client._request
        self._stream = client._stream
        self._parse = _Parser(client._generated)
        self._clock: Clock = client._clock
        self._rng: random.Random = client._rng
        self._time_scale: float = client.time_scale
        self._same_origin = client._same_origin


class AsyncAPIResource:
    """The base of the async resources: the client's seam, copied once (the twin of `SyncAPIResource`)."""

    def __init__(self, client: AsyncAPIClient) -> None:
        self._request = client._request
        self._stream = client._stream
        self._parse = _Parser(client._generated)
        self._clock: AsyncClock = client._clock
        self._rng: random.Random = client._rng
        self._time_scale: float = client.time_scale
        self._same_origin = client._same_origin
