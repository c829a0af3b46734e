"""Campaign files as spreadsheets write them: delimiters, header spellings, encodings; lines stay right."""

from __future__ import annotations

import codecs
from datetime import UTC, datetime
from pathlib import Path

import pytest

from miraflow.batch.errors import CampaignFileError
from miraflow.batch.rows import fill_placeholders, read_rows, validate_rows
from miraflow.batch.table import ColumnValues, Record, column_key, read_table
from miraflow.types import Avatar

_T = datetime(2025, 1, 1, tzinfo=UTC)
AVATARS = [
    Avatar(id="cmdms9d3s001no401kqwbr0q5", name="Margot", created_at=_T, voice_id="v1", is_photo=True),
    Avatar(id="cm2yaz9j10008l0qg9npyjgs3", name="Aerin", created_at=_T, voice_id="v2", is_photo=False),
]


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def _lines_and_fields(path: Path, **kwargs: str) -> list[tuple[int, int, dict[str, str]]]:
    return [(row.key, row.line, dict(row.fields)) for row in read_rows(path, **kwargs)]


# --- delimiters ------------------------------------------------------------------------------------------------------


def test_a_semicolon_file_is_read_by_its_columns_not_as_one(tmp_path: Path) -> None:
    # Before: the header read as one column "avatar;name;text;first_name", refused for missing avatar, text, name.
    path = _write(
        tmp_path,
        "c.csv",
        'avatar;name;text;first_name\nMargot;Hi {first_name};"Hello {first_name}, welcome; really";Ana\n',
    )
    assert _lines_and_fields(path) == [
        (
            1,
            2,
            {
                "avatar": "Margot",
                "name": "Hi {first_name}",
                "text": "Hello {first_name}, welcome; really",
                "first_name": "Ana",
            },
        )
    ]
    result = validate_rows(read_rows(path), avatars=AVATARS)
    assert result.ok, result.errors
    assert (result.rows[0].name, result.rows[0].text) == ("Hi Ana", "Hello Ana, welcome; really")


@pytest.mark.parametrize("name", ["c.tsv", "c.csv", "c.txt"])
def test_a_tab_separated_file_whatever_its_suffix(tmp_path: Path, name: str) -> None:
    path = _write(tmp_path, name, "avatar\tname\ttext\nMargot\tA, B\tHi; there, you\n")
    assert _lines_and_fields(path) == [(1, 2, {"avatar": "Margot", "name": "A, B", "text": "Hi; there, you"})]


def test_format_by_suffix_then_by_content(tmp_path: Path) -> None:
    jsonl = '{"avatar": "Margot", "name": "A", "text": "Hi"}\n'
    expected = [(1, 1, {"avatar": "Margot", "name": "A", "text": "Hi"})]
    assert _lines_and_fields(_write(tmp_path, "c.txt", jsonl)) == expected
    assert _lines_and_fields(_write(tmp_path, "c", jsonl)) == expected
    with pytest.raises(CampaignFileError, match="missing column"):
        read_rows(_write(tmp_path, "c.tsv", jsonl))


def test_commas_inside_a_semicolon_header_do_not_fool_the_sniffing(tmp_path: Path) -> None:
    # The delimiter naming the known columns wins, not the one splitting the header most.
    path = _write(tmp_path, "c.csv", "avatar;name;text;note, with, commas\nMargot;A;Hi;x, y, z\n")
    ((_, _, fields),) = _lines_and_fields(path)
    assert fields["note,_with,_commas"] == "x, y, z" and fields["avatar"] == "Margot"


def test_excel_sep_line_is_honoured_and_lines_stay_right(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", 'sep=;\r\navatar;name;text\r\nMargot;A;"two\r\nlines"\r\nAerin;B;Hi\r\n')
    assert _lines_and_fields(path) == [
        (1, 3, {"avatar": "Margot", "name": "A", "text": "two\r\nlines"}),
        (2, 5, {"avatar": "Aerin", "name": "B", "text": "Hi"}),
    ]


def test_lines_stay_right_across_multi_line_quoted_fields_and_blank_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "c.csv",
        'avatar;name;text\n\nMargot;A;"one\ntwo\nthree"\n\n\nAerin;B;"x;\ny"\nMargot;C;Hi\n',
    )
    assert [(key, line) for key, line, _ in _lines_and_fields(path)] == [(1, 3), (2, 8), (3, 10)]


def test_an_undelimited_header_says_how_it_was_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", "avatar|name|text\nMargot|A|Hi\n")
    with pytest.raises(CampaignFileError, match=r"line 1: missing column\(s\) avatar, text, name") as caught:
        read_rows(path)
    assert "one column 'avatar|name|text'" in str(caught.value)
    with pytest.raises(
        CampaignFileError, match=r"missing column\(s\) text .*'avatar', 'name', 'txt' \(split at each semicolon\)"
    ):
        read_rows(_write(tmp_path, "d.csv", "avatar;name;txt\n"))
    with pytest.raises(CampaignFileError, match="line 1: the header line is empty"):
        read_rows(_write(tmp_path, "e.csv", "\navatar,name,text\n"))


# --- column names ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("avatar", "avatar"),
        (" AVATAR ", "avatar"),
        ("Full Background", "full_background"),
        ("full-background", "full_background"),
        ("First  Name", "first_name"),
        ("first_name", "first_name"),
        ("Voice\u00a0", "voice"),
    ],
)
def test_column_key(written: str, key: str) -> None:
    assert column_key(written) == key


def test_headers_match_ignoring_case_and_spaces_and_placeholders_follow(tmp_path: Path) -> None:
    # Before: " AVATAR ", "Name", "TEXT" were unknown columns and the file was refused for missing avatar, text, name.
    path = _write(
        tmp_path,
        "c.csv",
        " AVATAR ,Name,TEXT,Full Background,First Name\n"
        "Margot,Hi {First Name},Hello {first_name} ({FIRST NAME}),yes,Ana\n",
    )
    ((_, _, fields),) = _lines_and_fields(path)
    assert set(fields) == {"avatar", "name", "text", "full_background", "first_name"}
    result = validate_rows(read_rows(path), avatars=AVATARS)
    assert result.ok, result.errors
    row = result.rows[0]
    assert (row.name, row.text, row.full_background, row.mode) == ("Hi Ana", "Hello Ana (Ana)", True, "full_background")


def test_two_spellings_of_one_column_are_a_duplicate(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", "avatar,name,text,First Name,first_name\n")
    with pytest.raises(CampaignFileError, match="'First Name' and 'first_name' are the same column"):
        read_rows(path)


def test_trailing_empty_columns_of_a_spreadsheet_are_dropped(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", "avatar,name,text,,\nMargot,A,Hi,,\n")
    assert _lines_and_fields(path) == [(1, 2, {"avatar": "Margot", "name": "A", "text": "Hi"})]
    with pytest.raises(CampaignFileError, match="line 2: 5 fields, but the header names 3"):
        read_rows(_write(tmp_path, "d.csv", "avatar,name,text,,\nMargot,A,Hi,,oops\n"))
    with pytest.raises(CampaignFileError, match="empty column name"):
        read_rows(_write(tmp_path, "e.csv", "avatar,,name,text\n"))


def test_jsonl_keys_match_the_same_way_and_lines_split_only_on_line_breaks(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "c.jsonl",
        '{"Avatar": "Margot", "Name": "A {First Name}", "Text": "one\u2028two", "First Name": "Ana"}\r\n\r\n'
        '{"avatar": "Aerin", "name": "B", "text": "Hi"}\r\n',
    )
    rows = _lines_and_fields(path)
    assert [(key, line) for key, line, _ in rows] == [(1, 1), (2, 3)]
    assert rows[0][2] == {"avatar": "Margot", "name": "A {First Name}", "text": "one\u2028two", "first_name": "Ana"}
    with pytest.raises(CampaignFileError, match="line 1: 'Avatar' and 'avatar' are the same column"):
        read_rows(_write(tmp_path, "d.jsonl", '{"Avatar": "a", "avatar": "b"}\n'))


def test_column_values_look_up_any_spelling() -> None:
    values = ColumnValues({"first_name": "Ana"})
    assert values["First Name"] == values["FIRST-NAME"] == "Ana"
    assert "first name" in values and len(values) == 1
    assert fill_placeholders("{First Name}/{first_name}", {"first_name": "Ana"}) == "Ana/Ana"


# --- encodings -------------------------------------------------------------------------------------------------------


def test_a_utf8_bom_is_accepted_with_or_without_a_named_encoding(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", codecs.BOM_UTF8 + "avatar;name;text\r\nMargot;Émilie;Héllo\r\n".encode())
    expected = [(1, 2, {"avatar": "Margot", "name": "Émilie", "text": "Héllo"})]
    assert _lines_and_fields(path) == expected
    assert _lines_and_fields(path, encoding="UTF8") == expected


def test_excel_unicode_text_utf16_tab_separated_is_read(tmp_path: Path) -> None:
    text = "avatar\tname\ttext\r\nMargot\tZoë\tHi\r\n"
    path = _write(tmp_path, "c.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert _lines_and_fields(path) == [(1, 2, {"avatar": "Margot", "name": "Zoë", "text": "Hi"})]


def test_utf32_with_its_bom_is_read(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", "avatar;name;text\nMargot;Zoë;Hi\n".encode("utf-32"))
    assert _lines_and_fields(path) == [(1, 2, {"avatar": "Margot", "name": "Zoë", "text": "Hi"})]


def test_json_nested_too_deeply_is_refused_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.jsonl", '{"avatar": "Margot", "name": "A", "text": "Hi"}\n' + "[" * 100_000 + "\n")
    with pytest.raises(CampaignFileError, match=r"line 2: not JSON"):
        read_rows(path)


def test_a_non_utf8_file_is_refused_with_its_line_and_a_hint(tmp_path: Path) -> None:
    # Before: a UnicodeDecodeError escaped (a traceback on the command line), with no line and no way round it.
    text = 'avatar,name,text\nMargot,A,"two\nlines"\nMargot,B,Café crème\n'
    path = _write(tmp_path, "c.csv", text.encode("cp1252"))
    with pytest.raises(CampaignFileError) as caught:
        read_rows(path)
    message = str(caught.value)
    assert message.startswith("line 4: not UTF-8 text (byte 0xe9)")
    assert "--encoding" in message and "cp1252" in message
    rows = _lines_and_fields(path, encoding="cp1252")
    assert rows[1] == (2, 4, {"avatar": "Margot", "name": "B", "text": "Café crème"})


def test_utf16_without_its_bom_is_refused_with_a_hint_and_read_when_named(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", "avatar,name,text\nMargot,A,Hi\n".encode("utf-16-le"))
    with pytest.raises(CampaignFileError, match=r"line 1: the file holds NUL characters.*--encoding.*utf-16-le"):
        read_rows(path)
    assert _lines_and_fields(path, encoding="utf-16-le") == [(1, 2, {"avatar": "Margot", "name": "A", "text": "Hi"})]


def test_a_wrong_or_unknown_encoding_named_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", "avatar,name,text\nMargot,A,Zoë\n")
    with pytest.raises(CampaignFileError, match="unknown encoding 'klingon'"):
        read_rows(path, encoding="klingon")
    with pytest.raises(CampaignFileError, match=r"line 2: not ascii text \(byte 0xc3\)"):
        read_rows(path, encoding="ascii")


def test_read_table_takes_the_columns_to_require(tmp_path: Path) -> None:
    path = _write(tmp_path, "c.csv", "Email;First Name\nana@example.com;Ana\n")
    assert read_table(path, required=["email"]) == [
        Record(line=2, fields={"email": "ana@example.com", "first_name": "Ana"})
    ]
    with pytest.raises(CampaignFileError, match=r"missing column\(s\) phone"):
        read_table(path, required=["phone"])
