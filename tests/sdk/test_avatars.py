"""Avatars by `Avatar`, id or name through a TTL cache; the generation mode and the `im2vid_full` a create sends."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miraflow import AmbiguousAvatarError, Avatar, Miraflow, ModeNotSupportedError, NotFoundError
from miraflow._constants import AVATAR_CACHE_TTL
from miraflow.spec import lifecycle

from .conftest import AVATARS, PHOTO_ID, VIDEO_AVATAR_ID, FakeAPI, FakeClock, json_response

CREATE = ("POST", "/api/video/create")
LIST = ("GET", "/api/avatars")


@pytest.fixture(autouse=True)
def _accept_creates(api: FakeAPI) -> None:
    api.on(*CREATE, json_response(200, {"result": "success", "jobId": "job-1"}))


@pytest.mark.parametrize("ref", [PHOTO_ID, "Margot", "margot", "MARGOT"])
def test_an_avatar_is_found_by_id_or_name(client: Miraflow, ref: str) -> None:
    assert client.avatars.retrieve(ref).id == PHOTO_ID


def test_an_avatar_object_needs_no_lookup(client: Miraflow, api: FakeAPI) -> None:
    avatar = Avatar.from_dict(AVATARS[2])
    assert client.avatars.retrieve(avatar) is avatar
    assert not api.requests


def test_a_shared_name_is_ambiguous(client: Miraflow, api: FakeAPI) -> None:
    twins = [dict(AVATARS[0]), {**AVATARS[1], "name": "Margot"}]
    api.on(*LIST, json_response(200, {"avatars": twins}))
    with pytest.raises(AmbiguousAvatarError, match=AVATARS[1]["id"]):
        client.videos.create(avatar="Margot", text="Hi", name="Hi")
    assert not api.sent(*CREATE)


def test_the_list_is_cached_for_its_ttl(client: Miraflow, api: FakeAPI, clock: FakeClock) -> None:
    client.avatars.list()
    client.avatars.list()
    client.avatars.retrieve("Aerin")
    assert len(api.sent(*LIST)) == 1
    clock.time += AVATAR_CACHE_TTL + 1
    client.avatars.list()
    assert len(api.sent(*LIST)) == 2
    client.avatars.list(refresh=True)
    assert len(api.sent(*LIST)) == 3


def test_the_ttl_is_configurable(make_client: Callable[..., Miraflow], api: FakeAPI, clock: FakeClock) -> None:
    client = make_client(avatar_cache_ttl=0)
    client.avatars.list()
    client.avatars.list()
    assert len(api.sent(*LIST)) == 2


def test_an_avatar_missing_from_the_cache_is_looked_up_afresh_once(client: Miraflow, api: FakeAPI) -> None:
    api.on(*LIST, json_response(200, {"avatars": AVATARS[:1]}), json_response(200, {"avatars": AVATARS}))
    client.avatars.list()
    assert client.avatars.retrieve("Aerin").id == VIDEO_AVATAR_ID
    assert len(api.sent(*LIST)) == 2


def test_an_unknown_avatar_is_not_found_before_any_create(client: Miraflow, api: FakeAPI) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.videos.create(avatar="Nobody", text="Hi", name="Hi")
    assert caught.value.status_code == 404 and caught.value.response is None
    assert "'Nobody'" in str(caught.value) and "Margot" in str(caught.value)
    assert not api.sent(*CREATE)


@pytest.mark.parametrize("ref", [VIDEO_AVATAR_ID, "Aerin"])
def test_full_background_with_a_video_avatar_is_refused_before_any_create(
    client: Miraflow, api: FakeAPI, ref: str
) -> None:
    with pytest.raises(ModeNotSupportedError, match="video avatar"):
        client.videos.create(avatar=ref, text="Hi", name="Hi", full_background=True)
    assert not api.sent(*CREATE)


def test_with_an_avatar_object_it_is_refused_before_any_request(client: Miraflow, api: FakeAPI) -> None:
    with pytest.raises(ModeNotSupportedError):
        client.videos.create(avatar=Avatar.from_dict(AVATARS[2]), text="Hi", name="Hi", full_background=True)
    assert not api.requests


def test_a_voice_is_sent_as_voice_id(client: Miraflow, api: FakeAPI) -> None:
    client.videos.create(avatar=PHOTO_ID, text="Hi", name="Hi", voice="wBPTRK6eIJgAFmDsfw29")
    assert api.json_sent(*CREATE)[0]["voiceId"] == "wBPTRK6eIJgAFmDsfw29"


REFS = st.sampled_from(["object", "id", "name"])


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=st.integers(0, len(AVATARS) - 1), full_background=st.sampled_from([None, False, True]), ref=REFS)
def test_what_a_create_sends(
    client: Miraflow, api: FakeAPI, index: int, full_background: bool | None, ref: str
) -> None:
    api.requests.clear()
    raw = AVATARS[index]
    avatar = {"object": Avatar.from_dict(raw), "id": raw["id"], "name": raw["name"]}[ref]
    if not raw["isPhoto"] and full_background:
        with pytest.raises(ModeNotSupportedError):
            client.videos.create(avatar=avatar, text="Hi", name="Hi", full_background=full_background)
        assert not api.sent(*CREATE)
        return
    job = client.videos.create(avatar=avatar, text="Hi", name="Hi", full_background=full_background)
    (sent,) = api.json_sent(*CREATE)
    assert sent["avatarId"] == raw["id"]
    if raw["isPhoto"]:
        assert sent["im2vid_full"] is bool(full_background)
    else:
        assert "im2vid_full" not in sent
    assert job.mode == lifecycle().mode_for(is_photo=raw["isPhoto"], im2vid_full=sent.get("im2vid_full")).name
