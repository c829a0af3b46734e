"""Reading a campaign file (CSV or JSONL) and validating every row before anything is sent.

One video per row. Columns: `avatar` (an id or a name), `text`, `name`, and optionally `full_background` and `voice`
(an id or a name); any other column fills the `{placeholders}` of `text` and `name` ("Hi {first_name}, ...").

`read_rows` parses the file and numbers its records (`key`, from 1) with the line each starts on. `validate_rows`
checks all of them against the account's avatars (and voices, if a row names one) and returns every problem at once,
each with its line: an unknown avatar, `full_background` on a video avatar (the SDK's own mode rule decides), an
empty text or name, a missing placeholder, a duplicate name, two names that would make the same file.
"""

from __future__ import annotations

import csv
import io
import json
import string
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import attrs

from miraflow._avatars import find_avatar
from miraflow._download import safe_filename
from miraflow._exceptions import AmbiguousAvatarError, ModeNotSupportedError
from miraflow._modes import choose_mode
from miraflow.batch.errors import CampaignFileError
from miraflow.types import Avatar, Voice

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "RawRow",
    "Row",
    "RowError",
    "Validation",
    "fill_placeholders",
    "parse_flag",
    "read_rows",
    "validate_rows",
    "wants_voices",
]

REQUIRED_COLUMNS = ("avatar", "text", "name")
OPTIONAL_COLUMNS = ("full_background", "voice")
_TEMPLATED = ("text", "name")
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})


@attrs.frozen
class RawRow:
    """One record of the file as read: its number (`key`, from 1), the line it starts on, and its fields."""

    key: int
    line: int
    fields: Mapping[str, str]


@attrs.frozen
class RowError:
    """Why one row is invalid, with its line in the file."""

    key: int
    line: int
    message: str
    name: str = ""
    """The row's name as far as it could be made (for reports), else empty."""

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@attrs.frozen
class Row:
    """A valid row: what to create, and where its file goes.

    `name` is the video's name with its placeholders filled; `file` the name of its MP4 in the campaign folder;
    `mode` the spec's generation mode the create selects.
    """

    key: int
    line: int
    name: str
    text: str
    avatar: Avatar
    full_background: bool | None
    voice_id: str | None
    mode: str
    file: str


@attrs.frozen
class Validation:
    """The outcome of `validate_rows`: the valid rows and every error, both in file order."""

    rows: tuple[Row, ...]
    errors: tuple[RowError, ...]

    @property
    def ok(self) -> bool:
        """Whether every row is valid."""
        return not self.errors


def read_rows(path: str | Path) -> list[RawRow]:
    """Read a campaign file: CSV (with a header) or JSONL (one object per line), told apart by suffix or content.

    Raises `CampaignFileError` for a file that cannot be a campaign (no header, a missing required column, a line of
    JSONL that is not an object...), `OSError` if it cannot be read.
    """
    file = Path(path)
    data = _decode(file.read_bytes())
    return list(_read_jsonl(data)) if _is_jsonl(file, data) else list(_read_csv(data))


# Spreadsheets save "Unicode text" as UTF-16 with a byte-order mark: read those too. UTF-32 first (it starts like 16).
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def _decode(raw: bytes) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark), or UTF-16/32 with one; else a line-numbered error."""
    encoding = next((name for bom, name in _BOMS if raw.startswith(bom)), "utf-8-sig")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1 if encoding == "utf-8-sig" else 1
        raise CampaignFileError(
            f"line {line}: not {encoding.removesuffix('-sig').upper()} text (byte {raw[exc.start]:#04x}); "
            "save the file as UTF-8"
        ) from None


def _is_jsonl(file: Path, data: str) -> bool:
    if file.suffix.lower() in _JSONL_SUFFIXES:
        return True
    if file.suffix.lower() == ".csv":
        return False
    return data.lstrip().startswith("{")


def _read_csv(data: str) -> Iterator[RawRow]:
    reader = csv.reader(io.StringIO(data, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise CampaignFileError("the file is empty: it needs a header line naming its columns") from None
    except csv.Error as exc:
        raise CampaignFileError(f"line 1: not CSV ({exc})") from None
    columns = [column.strip() for column in header]
    _check_columns(columns)
    key = 0
    line = reader.line_num + 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue  # a blank line
            key += 1
            if len(record) > len(columns):
                extra = record[len(columns) :]
                if any(cell.strip() for cell in extra):
                    raise CampaignFileError(f"line {start}: {len(record)} fields, but the header names {len(columns)}")
            fields = {column: (record[i] if i < len(record) else "") for i, column in enumerate(columns)}
            yield RawRow(key=key, line=start, fields=fields)
    except csv.Error as exc:
        raise CampaignFileError(f"line {reader.line_num}: not valid CSV ({exc})") from None


def _check_columns(columns: Sequence[str]) -> None:
    seen: set[str] = set()
    for column in columns:
        if not column:
            raise CampaignFileError("line 1: the header has an empty column name")
        if column in seen:
            raise CampaignFileError(f"line 1: the column {column!r} appears twice")
        seen.add(column)
    missing = [column for column in REQUIRED_COLUMNS if column not in seen]
    if missing:
        raise CampaignFileError(
            f"line 1: missing column(s) {', '.join(missing)} (every row needs {', '.join(REQUIRED_COLUMNS)})"
        )


def _read_jsonl(data: str) -> Iterator[RawRow]:
    key = 0
    # Lines end at \n only (splitlines would also split at U+2028 and other characters valid inside a JSON string).
    for number, text in enumerate(data.split("\n"), start=1):
        if not text.strip():
            continue
        key += 1
        try:
            value = json.loads(text)
        except RecursionError:
            raise CampaignFileError(f"line {number}: not JSON (nested too deeply)") from None
        except ValueError as exc:
            raise CampaignFileError(f"line {number}: not JSON ({exc})") from None
        if not isinstance(value, dict):
            raise CampaignFileError(f"line {number}: each line must be a JSON object, not {type(value).__name__}")
        fields: dict[str, str] = {}
        for column, cell in value.items():
            if isinstance(cell, dict | list):
                raise CampaignFileError(f"line {number}: the value of {column!r} must be a string, number or boolean")
            fields[str(column).strip()] = _as_text(cell)
        yield RawRow(key=key, line=number, fields=fields)


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_flag(value: str) -> bool | None:
    """`full_background` as given: empty → None (the default), true/yes/1/on → True, false/no/0/off → False.

    Raises `ValueError` for anything else.
    """
    text = value.strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"full_background must be true or false, not {value!r}")


def fill_placeholders(template: str, values: Mapping[str, str]) -> str:
    """`template` with each `{column}` replaced by that column's value (`{{` and `}}` are literal braces).

    Raises `ValueError` naming what is wrong: a placeholder with no column or an empty value, a malformed brace.
    """
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"malformed placeholder ({exc}); write {{{{ and }}}} for literal braces") from None
    missing: list[str] = []
    for _, field, _, _ in parsed:
        if field is None:
            continue
        if not field or field.isdigit() or "." in field or "[" in field:
            raise ValueError(f"placeholder {{{field}}} must name a column, such as {{first_name}}")
        if not values.get(field, "").strip():
            missing.append(field)
    if missing:
        names = ", ".join(f"{{{field}}}" for field in dict.fromkeys(missing))
        raise ValueError(f"missing placeholder value(s) {names}: no such column, or empty in this row")
    try:
        return template.format_map(values)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"cannot fill the placeholders ({exc})") from None


def wants_voices(rows: Iterable[RawRow]) -> bool:
    """Whether any row names a voice (then validation needs the account's voices)."""
    return any(row.fields.get("voice", "").strip() for row in rows)


def validate_rows(
    rows: Sequence[RawRow], *, avatars: Sequence[Avatar], voices: Sequence[Voice] | None = None
) -> Validation:
    """Check every row against the account's `avatars` (and `voices`); return the valid rows and every error.

    `voices` is needed only if a row names one (`wants_voices`); without it such a row is an error.
    """
    valid: list[Row] = []
    errors: list[RowError] = []
    names: dict[str, int] = {}  # name → line of its first row
    files: dict[str, tuple[int, str]] = {}  # file name, case-folded → (line, name)
    for raw in rows:
        row, problems = _validate(raw, avatars=avatars, voices=voices)
        if row is not None:
            if (first := names.get(row.name)) is not None:
                problems.append(f"duplicate name {row.name!r} (first on line {first})")
            elif (clash := files.get(row.file.casefold())) is not None:
                problems.append(f"name {row.name!r} makes the same file name {row.file!r} as line {clash[0]}")
        if problems:
            name = row.name if row is not None else raw.fields.get("name", "").strip()
            errors.extend(RowError(key=raw.key, line=raw.line, message=problem, name=name) for problem in problems)
            continue
        assert row is not None
        names[row.name] = raw.line
        files[row.file.casefold()] = (raw.line, row.name)
        valid.append(row)
    return Validation(rows=tuple(valid), errors=tuple(errors))


def _validate(
    raw: RawRow, *, avatars: Sequence[Avatar], voices: Sequence[Voice] | None
) -> tuple[Row | None, list[str]]:
    fields = raw.fields
    problems: list[str] = []
    values = {column: value for column, value in fields.items() if column not in _TEMPLATED}
    filled: dict[str, str] = {}
    for column in _TEMPLATED:
        template = fields.get(column, "")
        if not template.strip():
            problems.append(f"empty {column}")
            continue
        try:
            filled[column] = fill_placeholders(template, values).strip()
        except ValueError as exc:
            problems.append(f"{column}: {exc}")
            continue
        if not filled[column]:
            problems.append(f"empty {column} once its placeholders are filled")
    avatar = _avatar(fields.get("avatar", "").strip(), avatars, problems)
    full_background: bool | None = None
    try:
        full_background = parse_flag(fields.get("full_background", ""))
    except ValueError as exc:
        problems.append(str(exc))
    mode = ""
    if avatar is not None:
        try:
            mode = choose_mode(avatar, full_background=full_background).mode.name
        except ModeNotSupportedError:
            problems.append(
                f"full_background is set, but {avatar.name!r} is a video avatar: full-background output needs a "
                "photo avatar (leave full_background empty for this row)"
            )
    voice_id = _voice(fields.get("voice", "").strip(), voices, problems)
    if problems or avatar is None or "name" not in filled or "text" not in filled:
        return None, problems
    name = filled["name"]
    row = Row(
        key=raw.key,
        line=raw.line,
        name=name,
        text=filled["text"],
        avatar=avatar,
        full_background=full_background,
        voice_id=voice_id,
        mode=mode,
        file=safe_filename(name, fallback=f"row-{raw.key}"),
    )
    return row, problems


def _avatar(ref: str, avatars: Sequence[Avatar], problems: list[str]) -> Avatar | None:
    if not ref:
        problems.append("empty avatar")
        return None
    try:
        found = find_avatar(ref, avatars)
    except AmbiguousAvatarError as exc:
        problems.append(str(exc))
        return None
    if found is None:
        known = ", ".join(sorted({avatar.name for avatar in avatars})[:8])
        problems.append(f"unknown avatar {ref!r} (the account has: {known})" if known else f"unknown avatar {ref!r}")
    return found


def _voice(ref: str, voices: Sequence[Voice] | None, problems: list[str]) -> str | None:
    if not ref:
        return None
    if voices is None:
        problems.append(f"voice {ref!r} cannot be checked: the account's voices were not listed")
        return None
    for voice in voices:
        if voice.id == ref:
            return voice.id
    matches = [voice for voice in voices if voice.name.casefold() == ref.casefold()]
    if len(matches) == 1:
        return matches[0].id
    if matches:
        problems.append(f"{len(matches)} voices are named {ref!r}; give the voice's id instead")
    else:
        problems.append(f"unknown voice {ref!r}")
    return None
