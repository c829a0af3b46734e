"""One id-or-name rule for avatars and voices, shared by the SDK, the CLI and campaigns (`miraflow.resolve`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from miraflow import AmbiguousAvatarError, AmbiguousVoiceError, Avatar, Miraflow, NotFoundError, Voice
from miraflow.batch import read_rows, validate_rows
from miraflow.resolve import find_by_ref

from .conftest import FakeAPI, json_response

VOICES = [
    {"id": "v-ada", "name": "Ada"},
    {"id": "v-ada-lower", "name": "ada"},
    {"id": "v-nova", "name": "Nova"},
    {"id": "v-twin-1", "name": "Twin"},
    {"id": "v-twin-2", "name": "Twin"},
]


def _avatar(avatar_id: str, name: str) -> Avatar:
    return Avatar(id=avatar_id, name=name, created_at=datetime(2025, 1, 1, tzinfo=UTC), voice_id="v", is_photo=True)


def _voices() -> list[Voice]:
    return [Voice.from_dict(voice) for voice in VOICES]


@pytest.mark.parametrize(
    ("ref", "expected"),
    [("v-nova", "v-nova"), ("Ada", "v-ada"), ("ada", "v-ada-lower"), ("NOVA", "v-nova"), ("nobody", None)],
)
def test_exact_id_then_exact_name_then_name_ignoring_case(ref: str, expected: str | None) -> None:
    found = find_by_ref(ref, _voices(), kind="voice")
    assert (found.id if found else None) == expected


def test_a_shared_name_is_an_error_listing_the_candidates() -> None:
    with pytest.raises(AmbiguousVoiceError) as caught:
        find_by_ref("twin", _voices(), kind="voice")
    assert caught.value.candidates == ("v-twin-1", "v-twin-2")
    assert "v-twin-1" in str(caught.value) and "v-twin-2" in str(caught.value)
    avatars = [
        Avatar(id=f"a{i}", name="Same", created_at=datetime(2025, 1, 1, tzinfo=UTC), voice_id="v", is_photo=True)
        for i in range(2)
    ]
    with pytest.raises(AmbiguousAvatarError):
        find_by_ref("Same", avatars, kind="avatar")


def test_voices_retrieve_by_id_or_name(client: Miraflow, api: FakeAPI) -> None:
    api.on("GET", "/api/voices", json_response(200, {"voices": VOICES}))
    assert client.voices.retrieve("Ada").id == "v-ada"
    assert client.voices.retrieve("NOVA").id == "v-nova"
    voice = Voice(id="v-x", name="X")
    assert client.voices.retrieve(voice) is voice
    with pytest.raises(NotFoundError, match="no voice has the id or name 'nobody'"):
        client.voices.retrieve("nobody")


def test_a_campaign_resolves_a_name_as_the_sdk_does(tmp_path: Path) -> None:
    file = tmp_path / "c.csv"
    file.write_text("avatar,text,name,voice\nMargot,Hi,One,Ada\nMargot,Hi,Two,ada\n", encoding="utf-8")
    result = validate_rows(read_rows(file), avatars=[_avatar("a1", "Margot")], voices=_voices())
    assert not result.errors
    assert [row.voice_id for row in result.rows] == ["v-ada", "v-ada-lower"]
