"""Reading campaign files and validating every row up front, with line numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from miraflow.batch.errors import CampaignFileError
from miraflow.batch.rows import fill_placeholders, parse_flag, read_rows, validate_rows
from miraflow.types import Avatar, Voice

_T = datetime(2025, 1, 1, tzinfo=UTC)
AVATARS = [
    Avatar(id="cmdms9d3s001no401kqwbr0q5", name="Margot", created_at=_T, voice_id="v1", is_photo=True),
    Avatar(id="cme8if4yk007ko9013856uc33", name="Miraflow Muse", created_at=_T, voice_id="v1", is_photo=True),
    Avatar(id="cm2yaz9j10008l0qg9npyjgs3", name="Aerin", created_at=_T, voice_id="v2", is_photo=False),
]
VOICES = [Voice(id="Nhs7eitvQWFTQBsf0yiT", name="Nova"), Voice(id="wBPTRK6eIJgAFmDsfw29", name="Aria")]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_rows_carry_their_line_even_across_quoted_newlines(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "c.csv",
        'avatar,name,text,first_name\nMargot,A {first_name},"Hi {first_name},\nsecond line",Ana\n\n'
        "Aerin,B {first_name},Hello {first_name},Ben\n",
    )
    rows = read_rows(path)
    assert [(row.key, row.line) for row in rows] == [(1, 2), (2, 5)]
    result = validate_rows(rows, avatars=AVATARS)
    assert result.ok
    first, second = result.rows
    assert (first.name, first.text, first.mode) == ("A Ana", "Hi Ana,\nsecond line", "face_cropped")
    assert (second.avatar.name, second.mode, second.file) == ("Aerin", "video_avatar", "B Ben.mp4")


def test_jsonl_rows_with_typed_values(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "c.jsonl",
        '{"avatar": "Margot", "name": "V {n}", "text": "Number {n}", "full_background": true, "n": 7}\n\n'
        '{"avatar": "cm2yaz9j10008l0qg9npyjgs3", "name": "W", "text": "Hi", "voice": "Aria"}\n',
    )
    rows = read_rows(path)
    assert [(row.key, row.line) for row in rows] == [(1, 1), (2, 3)]
    result = validate_rows(rows, avatars=AVATARS, voices=VOICES)
    assert result.ok, result.errors
    assert (result.rows[0].name, result.rows[0].mode, result.rows[0].full_background) == (
        "V 7",
        "full_background",
        True,
    )
    assert result.rows[1].voice_id == "wBPTRK6eIJgAFmDsfw29"


def test_every_error_is_reported_at_once_with_its_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "c.csv",
        "avatar,name,text,full_background,first_name\n"
        "Margot,Ok {first_name},Hi {first_name},,Ana\n"  # 2: fine
        "Nobody,X,Hi,,\n"  # 3: unknown avatar
        "Aerin,Y,Hi,true,\n"  # 4: full background on a video avatar
        "Margot,Z,   ,,\n"  # 5: empty text
        "Margot,Hi {first_name},Hello {last_name},,\n"  # 6: missing placeholders in both
        "Margot,Ok Ana,Again,,\n"  # 7: duplicate name
        "Margot,V,Hi,maybe,\n"  # 8: bad flag
        "Margot,ok ana,Hi,,\n",  # 9: same file name, other case
    )
    result = validate_rows(read_rows(path), avatars=AVATARS)
    assert [row.line for row in result.rows] == [2]
    by_line: dict[int, list[str]] = {}
    for error in result.errors:
        by_line.setdefault(error.line, []).append(error.message)
        assert str(error).startswith(f"line {error.line}: ")
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8, 9]
    assert "unknown avatar 'Nobody'" in by_line[3][0]
    assert "video avatar" in by_line[4][0]
    assert by_line[5] == ["empty text"]
    assert any("{first_name}" in message for message in by_line[6])
    assert any("{last_name}" in message for message in by_line[6])
    assert "duplicate name 'Ok Ana' (first on line 2)" in by_line[7][0]
    assert "full_background must be true or false" in by_line[8][0]
    assert "same file name" in by_line[9][0]


def test_unknown_voice_and_voices_not_listed(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", "avatar,name,text,voice\nMargot,A,Hi,Nobody\nMargot,B,Hi,Nova\n")
    rows = read_rows(path)
    result = validate_rows(rows, avatars=AVATARS, voices=VOICES)
    assert [str(error) for error in result.errors] == ["line 2: unknown voice 'Nobody'"]
    assert result.rows[0].voice_id == "Nhs7eitvQWFTQBsf0yiT"
    assert not validate_rows(rows, avatars=AVATARS, voices=None).ok


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("name,text\nA,B\n", "missing column(s) avatar"),
        ("avatar,name,text,name\n", "appears twice"),
        ('{"avatar": "Margot"}\n[1, 2]\n', "line 2: each line must be a JSON object"),
        ('{"avatar": "Margot"\n', "line 1: not JSON"),
    ],
)
def test_files_that_are_not_campaigns(tmp_path: Path, text: str, message: str) -> None:
    suffix = ".jsonl" if text.startswith("{") else ".csv"
    with pytest.raises(CampaignFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_rows(_write(tmp_path, "c" + suffix, text))


def test_placeholders() -> None:
    assert fill_placeholders("Hi {name}, {{literal}}", {"name": "Ana"}) == "Hi Ana, {literal}"
    with pytest.raises(ValueError, match="missing placeholder"):
        fill_placeholders("Hi {name}", {"name": "  "})
    with pytest.raises(ValueError, match="must name a column"):
        fill_placeholders("Hi {}", {})
    with pytest.raises(ValueError, match="malformed"):
        fill_placeholders("Hi {name", {"name": "x"})


def test_flags() -> None:
    assert [parse_flag(v) for v in ("", "TRUE", "yes", "1", "false", "No", "0")] == [
        None,
        True,
        True,
        True,
        False,
        False,
        False,
    ]
    with pytest.raises(ValueError):
        parse_flag("perhaps")


def test_the_example_campaign_is_valid() -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "campaign.csv"
    result = validate_rows(read_rows(example), avatars=AVATARS)
    assert result.ok, result.errors
    assert {row.mode for row in result.rows} == {"face_cropped", "full_background", "video_avatar"}
