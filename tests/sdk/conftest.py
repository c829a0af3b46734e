"""Seams for the SDK's unit tests: a scripted API behind `httpx.MockTransport`, and fake clocks."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from miraflow import AsyncMiraflow, Miraflow

API_ROOT = "https://miraflow.test/api"
KEY = "sk-unit-test-key"

AVATARS = [
    {
        "id": "cmdms9d3s001no401kqwbr0q5",
        "name": "Margot",
        "createdAt": "2025-07-28T07:25:02.489Z",
        "voiceId": "Nhs7eitvQWFTQBsf0yiT",
        "isPhoto": True,
    },
    {
        "id": "cme8if4yk007ko9013856uc33",
        "name": "Miraflow Muse",
        "createdAt": "2025-08-12T12:20:31.580Z",
        "voiceId": "Nhs7eitvQWFTQBsf0yiT",
        "isPhoto": True,
    },
    {
        "id": "cm2yaz9j10008l0qg9npyjgs3",
        "name": "Aerin",
        "createdAt": "2024-11-01T05:37:46.194Z",
        "voiceId": "wBPTRK6eIJgAFmDsfw29",
        "isPhoto": False,
    },
]
PHOTO_ID, VIDEO_AVATAR_ID = AVATARS[0]["id"], AVATARS[2]["id"]
VOICES = [{"id": "Nhs7eitvQWFTQBsf0yiT", "name": "Rachel"}, {"id": "wBPTRK6eIJgAFmDsfw29", "name": "Adam"}]

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return json_response(status, {"result": "failure", "error": message}, headers)


def status_body(state: str, *, progress: int | None = None, video_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"result": "success", "status": state}
    if progress is not None:
        body["progress"] = f"{progress}%"
    if video_id is not None:
        body["videoId"] = video_id
    return body


class FakeAPI:
    """A scripted Miraflow API: replies queued per (method, path); the last reply of a route repeats."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.requests: list[httpx.Request] = []
        self.on("GET", "/api/avatars", json_response(200, {"avatars": AVATARS}))
        self.on("GET", "/api/voices", json_response(200, {"voices": VOICES}))

    def on(self, method: str, path: str, *replies: Reply) -> FakeAPI:
        self.routes[(method, path)] = list(replies)
        return self

    def then(self, method: str, path: str, *replies: Reply) -> FakeAPI:
        self.routes.setdefault((method, path), []).extend(replies)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.routes.get((request.method, request.url.path))
        if not queue:
            return error(404, f"no route for {request.method} {request.url.path}")
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            return reply(request)
        return reply

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return self(request)

    def sent(self, method: str | None = None, path: str | None = None) -> list[httpx.Request]:
        return [
            request
            for request in self.requests
            if (method is None or request.method == method) and (path is None or request.url.path == path)
        ]

    def json_sent(self, method: str, path: str) -> list[dict[str, Any]]:
        return [json.loads(request.content) for request in self.sent(method, path)]


class FakeClock:
    """A clock whose sleeps pass at once and are recorded."""

    def __init__(self) -> None:
        self.time = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.time += seconds


class FakeAsyncClock(FakeClock):
    async def sleep(self, seconds: float) -> None:  # type: ignore[override]
        FakeClock.sleep(self, seconds)


@pytest.fixture
def api() -> FakeAPI:
    return FakeAPI()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client(api: FakeAPI, clock: FakeClock) -> Iterator[Callable[..., Miraflow]]:
    clients: list[Miraflow] = []

    def make(**options: Any) -> Miraflow:
        options.setdefault("api_key", KEY)
        options.setdefault("base_url", API_ROOT)
        client = Miraflow(transport=httpx.MockTransport(api), _clock=clock, _rng=random.Random(0), **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., Miraflow]) -> Miraflow:
    return make_client()


@pytest.fixture
def async_clock() -> FakeAsyncClock:
    return FakeAsyncClock()


@pytest.fixture
def make_async_client(api: FakeAPI, async_clock: FakeAsyncClock) -> Callable[..., AsyncMiraflow]:
    def make(**options: Any) -> AsyncMiraflow:
        options.setdefault("api_key", KEY)
        options.setdefault("base_url", API_ROOT)
        return AsyncMiraflow(
            transport=httpx.MockTransport(api.handle_async), _clock=async_clock, _rng=random.Random(0), **options
        )

    return make
