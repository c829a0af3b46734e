"""Arguments as users pass them: a voice by name, a wrong type refused with its parameter named before any request,
and a base URL without `/api` refused with what to write."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from miraflow import AmbiguousVoiceError, AsyncMiraflow, InvalidBaseURLError, Miraflow, MiraflowError, NotFoundError

from .conftest import KEY, PHOTO_ID, FakeAPI, FakeClock, json_response

CREATE = ("POST", "/api/video/create")
VOICES = ("GET", "/api/voices")


@pytest.fixture(autouse=True)
def _accept_creates(api: FakeAPI) -> None:
    api.on(*CREATE, json_response(200, {"result": "success", "jobId": "job-1"}))


@pytest.mark.parametrize("voice", ["Adam", "adam", "wBPTRK6eIJgAFmDsfw29"])
def test_voice_takes_a_name_or_an_id_as_the_cli_does(client: Miraflow, api: FakeAPI, voice: str) -> None:
    # before: the name itself was sent as voiceId, and the API refused (or ignored) it after the create was paid for
    client.videos.create(avatar="Margot", text="Hi", name="Hi", voice=voice)
    assert api.json_sent(*CREATE)[0]["voiceId"] == "wBPTRK6eIJgAFmDsfw29"


def test_voices_are_listed_once_for_many_creates(client: Miraflow, api: FakeAPI) -> None:
    for _ in range(3):
        client.videos.create(avatar="Margot", text="Hi", name="Hi", voice="Adam")
    assert len(api.sent(*VOICES)) == 1


def test_an_unknown_or_shared_voice_name_is_refused_before_the_create(client: Miraflow, api: FakeAPI) -> None:
    with pytest.raises(NotFoundError, match="no voice has the id or name 'Nobody'"):
        client.videos.create(avatar="Margot", text="Hi", name="Hi", voice="Nobody")
    api.on(*VOICES, json_response(200, {"voices": [{"id": "v1", "name": "Twin"}, {"id": "v2", "name": "Twin"}]}))
    with pytest.raises(AmbiguousVoiceError):
        client.videos.create(avatar="Margot", text="Hi", name="Hi", voice="Twin")
    assert not api.sent(*CREATE)


async def test_the_async_twin_resolves_a_voice_name(
    make_async_client: Callable[..., AsyncMiraflow], api: FakeAPI
) -> None:
    client = make_async_client()
    await client.videos.create(avatar="Margot", text="Hi", name="Hi", voice="rachel")
    assert api.json_sent(*CREATE)[0]["voiceId"] == "Nhs7eitvQWFTQBsf0yiT"
    await client.close()


WRONG: list[tuple[str, str, dict[str, Any]]] = [
    ("videos.create", "avatar", {"avatar": 123, "text": "Hi", "name": "Hi"}),
    ("videos.create", "text", {"avatar": "Margot", "text": b"Hi", "name": "Hi"}),
    ("videos.create", "name", {"avatar": "Margot", "text": "Hi", "name": None}),
    ("videos.create", "full_background", {"avatar": "Margot", "text": "Hi", "name": "Hi", "full_background": 1}),
    ("videos.create", "voice", {"avatar": "Margot", "text": "Hi", "name": "Hi", "voice": 7}),
    ("videos.generate", "avatar", {"avatar": 123, "text": "Hi", "name": "Hi"}),
    ("videos.generate", "dest", {"avatar": "Margot", "text": "Hi", "name": "Hi", "dest": 5}),
    ("videos.generate", "timeout", {"avatar": "Margot", "text": "Hi", "name": "Hi", "timeout": "10m"}),
    ("videos.generate", "on_progress", {"avatar": "Margot", "text": "Hi", "name": "Hi", "on_progress": "print"}),
    ("videos.create_from_audio", "avatar", {"avatar": 1.5, "name": "Hi", "audio_path": "a.wav"}),
    ("videos.create_from_audio", "audio_path", {"avatar": "Margot", "name": "Hi", "audio_path": 3}),
    ("videos.retrieve", "video_id", {"video_id": 42}),
    ("videos.download", "video_id", {"video_id": None}),
    ("videos.download", "dest", {"video_id": "v", "dest": 0}),
    ("jobs.retrieve", "job", {"job": 12}),
    ("jobs.wait", "job", {"job": None}),
    ("jobs.wait", "timeout", {"job": "job-1", "timeout": True}),
    ("avatars.retrieve", "avatar", {"avatar": 123}),
    ("avatars.list", "refresh", {"refresh": "yes"}),
    ("voices.retrieve", "voice", {"voice": 5}),
]


def _method(client: object, call: str) -> Callable[..., Any]:
    resource, method = call.split(".")
    return getattr(getattr(client, resource), method)  # type: ignore[no-any-return]


@pytest.mark.parametrize(("call", "parameter", "arguments"), WRONG, ids=[f"{c}-{p}" for c, p, _ in WRONG])
def test_a_wrong_type_is_a_type_error_naming_the_parameter_before_any_request(
    client: Miraflow, api: FakeAPI, call: str, parameter: str, arguments: dict[str, Any]
) -> None:
    # before: avatar=123 reached the resolver and failed there with AttributeError ('int' has no 'casefold')
    with pytest.raises(TypeError, match=rf"^{call}\(\): {parameter} must be "):
        _method(client, call)(**arguments)
    assert not api.requests


@pytest.mark.parametrize(("call", "parameter", "arguments"), WRONG[:6], ids=[f"{c}-{p}" for c, p, _ in WRONG[:6]])
async def test_the_async_twin_refuses_wrong_types_too(
    make_async_client: Callable[..., AsyncMiraflow], api: FakeAPI, call: str, parameter: str, arguments: dict[str, Any]
) -> None:
    client = make_async_client()
    with pytest.raises(TypeError, match=rf"^{call}\(\): {parameter} must be "):
        await _method(client, call)(**arguments)
    assert not api.requests
    await client.close()


def test_right_types_pass(client: Miraflow, api: FakeAPI) -> None:
    job = client.videos.create(avatar="Margot", text="Hi", name="Hi", full_background=False, voice=None)
    assert job.avatar_id == PHOTO_ID


@pytest.mark.parametrize(
    ("given", "write"),
    [
        ("http://127.0.0.1:4010", "http://127.0.0.1:4010/api"),
        ("http://localhost:8000/", "http://localhost:8000/api"),
        ("https://miraflow.ai", "https://miraflow.ai/api"),
        ("https://proxy.test/miraflow", "https://proxy.test/miraflow/api"),
    ],
)
def test_a_base_url_without_api_is_a_miraflow_error_saying_what_to_write(given: str, write: str) -> None:
    # before: a bare ValueError, not catchable as MiraflowError, that did not give the URL to write
    with pytest.raises(InvalidBaseURLError) as caught:
        Miraflow(api_key=KEY, base_url=given)
    assert isinstance(caught.value, MiraflowError) and isinstance(caught.value, ValueError)
    assert str(caught.value).endswith(f"write {write}")
    with pytest.raises(InvalidBaseURLError):
        AsyncMiraflow(api_key=KEY, base_url=given)


def test_a_base_url_from_the_environment_is_checked_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIRAFLOW_BASE_URL", "http://127.0.0.1:4010")
    with pytest.raises(InvalidBaseURLError, match=re.escape("write http://127.0.0.1:4010/api")):
        Miraflow(api_key=KEY)
    monkeypatch.setenv("MIRAFLOW_BASE_URL", "ftp://example.com/api")
    with pytest.raises(InvalidBaseURLError, match="http"):
        Miraflow(api_key=KEY)


def test_a_listing_of_any_age_serves_a_create_so_campaigns_send_no_request_per_row(
    client: Miraflow, api: FakeAPI, clock: FakeClock
) -> None:
    client.voices.list()
    clock.time += 24 * 3600  # far past the listing's TTL
    client.videos.create(avatar=PHOTO_ID, text="Hi", name="Hi", voice="wBPTRK6eIJgAFmDsfw29")
    client.videos.create(avatar=PHOTO_ID, text="Hi", name="Hi", voice="Adam")
    assert len(api.sent(*VOICES)) == 1
    api.on(*VOICES, json_response(200, {"voices": [{"id": "v-new", "name": "Newcomer"}]}))
    client.videos.create(avatar=PHOTO_ID, text="Hi", name="Hi", voice="Newcomer")  # not in it: listed afresh
    assert len(api.sent(*VOICES)) == 2
    assert api.json_sent(*CREATE)[-1]["voiceId"] == "v-new"
