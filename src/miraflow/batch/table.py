"""Reading a campaign file as spreadsheets and scripts write it: CSV, TSV or JSONL, into records with their lines.

What is accepted, so that a file saved by Excel, LibreOffice or Google Sheets reads as it looks:

- **Format**: JSONL (one object per line) for a `.jsonl`/`.ndjson` suffix, or for another suffix than
  `.csv`/`.tsv` when the text starts with `{`; a delimited table (with a header line) otherwise.
- **Delimiter**: sniffed from the header line among comma, semicolon and tab (the delimiter under which the header
  names the most of the known columns wins; then the one splitting it into the most columns; a `.tsv` suffix
  prefers tab on a tie). Excel's `sep=;` first line is honoured.
- **Encoding**: UTF-8, with or without a byte-order mark; UTF-16 (Excel's "Unicode text") or UTF-32 with its
  byte-order mark.
  Anything else is refused with the line of its first undecodable byte and a hint to name the encoding
  (`encoding="cp1252"`, `--encoding` on the command line). An explicit `encoding` is used as given (a UTF-8 BOM is
  still dropped).
- **Column names**: matched case-insensitively, ignoring surrounding white space, with any run of inner white space
  or hyphens read as one underscore: `" AVATAR "` is `avatar`, `"Full Background"` is `full_background` and
  `"First Name"` is `first_name`. Every column is keyed by this normal form (`column_key`), so two headers that
  normalise alike (`First Name`, `first_name`) are one column named twice, an error. `ColumnValues` looks
  placeholders up the same way, so `{First Name}` and `{first_name}` both read that column. Empty column names at the
  end of the header (a spreadsheet's untouched trailing columns) are dropped if their cells are empty too.
- **Lines**: each record carries the line it starts on, counted as an editor counts them, also when a quoted CSV
  field spans several lines.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Collection, Iterator, Mapping
from pathlib import Path

import attrs

from miraflow.batch.errors import CampaignFileError

__all__ = ["DELIMITERS", "ColumnValues", "Record", "column_key", "read_table"]

DELIMITERS = (",", ";", "\t")
"""The delimiters sniffed, in order of preference on a tie."""

_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
_TABLE_SUFFIXES = frozenset({".csv", ".tsv"})
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_SEP_LINE = re.compile(r"sep=(.)\r?\n?$", re.IGNORECASE)
_INNER_SPACE = re.compile(r"[\s\-]+")
_ENCODING_HINT = "save it as UTF-8, or name its encoding (encoding=..., --encoding on the command line; such as cp1252)"


@attrs.frozen
class Record:
    """One record of the file as read: the line it starts on, and its fields keyed by `column_key`."""

    line: int
    fields: Mapping[str, str]


def column_key(name: str) -> str:
    """The normal form a column name is matched by: case-folded, trimmed, inner spaces and hyphens as one `_`."""
    return _INNER_SPACE.sub("_", name.strip()).casefold()


class ColumnValues(Mapping[str, str]):
    """A row's values looked up by column name in any spelling `column_key` equates (`{First Name}`, `{first_name}`)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = {column_key(name): value for name, value in values.items()}

    def __getitem__(self, name: str) -> str:
        return self._values[column_key(name)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def read_table(
    path: str | Path, *, required: Collection[str] = (), known: Collection[str] = (), encoding: str | None = None
) -> list[Record]:
    """Read a campaign file into records, in file order, skipping blank lines.

    `required` are the columns a delimited file's header must name (as `column_key`s); `known` are further columns the
    delimiter sniffing looks for. `encoding` is the file's text encoding; None accepts UTF-8 (a BOM or not), and UTF-16
    or UTF-32 with a BOM. Raises `CampaignFileError` for a file that cannot be a campaign (undecodable text, no header,
    a missing or repeated column, a line of JSONL that is not an object...), `OSError` if it cannot be read.
    """
    file = Path(path)
    text = _decode(file.read_bytes(), encoding)
    if _is_jsonl(file, text):
        return list(_read_jsonl(text))
    return list(_read_delimited(text, file=file, required=required, known=known))


def _decode(data: bytes, encoding: str | None) -> str:
    if encoding is not None:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise CampaignFileError(f"unknown encoding {encoding!r} (such as utf-8, cp1252, latin-1)") from None
        codec = "utf-8-sig" if codec == "utf-8" else codec
    elif data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: its BOM starts the same
        codec = "utf-32"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec = "utf-16"
    else:
        codec = "utf-8-sig"
    try:
        text = data.decode(codec).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(codec, errors="replace").count("\n") + 1
        bad = data[exc.start : exc.start + 1].hex()
        what = "UTF-8" if codec == "utf-8-sig" else encoding or codec.upper()
        hint = _ENCODING_HINT if encoding is None else "check the encoding named"
        raise CampaignFileError(f"line {line}: not {what} text (byte 0x{bad}); {hint}") from None
    if "\x00" in text:  # valid UTF-8, but no text file holds NUL: UTF-16 saved without its byte-order mark
        line = text[: text.index("\x00")].count("\n") + 1
        raise CampaignFileError(
            f"line {line}: the file holds NUL characters, as UTF-16 without a byte-order mark does; "
            "name its encoding (encoding=..., --encoding on the command line; such as utf-16-le)"
        )
    return text


def _is_jsonl(file: Path, text: str) -> bool:
    suffix = file.suffix.lower()
    if suffix in _JSONL_SUFFIXES:
        return True
    if suffix in _TABLE_SUFFIXES:
        return False
    return text.lstrip().startswith("{")


def _read_delimited(text: str, *, file: Path, required: Collection[str], known: Collection[str]) -> Iterator[Record]:
    first, _, _ = text.partition("\n")
    declared = _SEP_LINE.match(first.strip(" "))
    delimiter = declared.group(1) if declared else _sniff(first, file=file, wanted=(*required, *known))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        if declared:
            next(reader)
        header = next(reader)
    except StopIteration:
        raise CampaignFileError("the file is empty: it needs a header line naming its columns") from None
    except csv.Error as exc:
        raise CampaignFileError(f"line 1: not CSV ({exc})") from None
    header_line = reader.line_num
    columns = _columns(header, line=header_line, delimiter=delimiter, required=required)
    line = reader.line_num + 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
                raise CampaignFileError(f"line {start}: {len(cells)} fields, but the header names {len(columns)}")
            fields = {column: (cells[i] if i < len(cells) else "") for i, column in enumerate(columns)}
            yield Record(line=start, fields=fields)
    except csv.Error as exc:
        raise CampaignFileError(f"line {reader.line_num}: not valid CSV ({exc})") from None


def _sniff(header: str, *, file: Path, wanted: Collection[str]) -> str:
    """The delimiter under which `header` names the most wanted columns, then splits into the most columns."""
    preferred = ("\t", ",", ";") if file.suffix.lower() == ".tsv" else DELIMITERS
    targets = {column_key(column) for column in wanted}

    def score(delimiter: str) -> tuple[int, int, int]:
        try:
            names = next(csv.reader([header], delimiter=delimiter), [])
        except csv.Error:
            return (-1, 0, 0)
        found = len(targets & {column_key(name) for name in names})
        return (found, len(names), -preferred.index(delimiter))

    return max(preferred, key=score)


def _columns(header: list[str], *, line: int, delimiter: str, required: Collection[str]) -> list[str]:
    names = list(header)
    while names and not names[-1].strip():
        names.pop()  # a spreadsheet's untouched trailing columns
    columns: list[str] = []
    spelled: dict[str, str] = {}
    for name in names:
        key = column_key(name)
        if not key:
            raise CampaignFileError(f"line {line}: the header has an empty column name")
        if key in spelled:
            alike = f" ({spelled[key]!r} and {name!r} are the same column)" if spelled[key] != name else ""
            raise CampaignFileError(f"line {line}: the column {name.strip()!r} appears twice{alike}")
        spelled[key] = name
        columns.append(key)
    if not columns:
        raise CampaignFileError(f"line {line}: the header line is empty: it must name the columns")
    missing = [column for column in required if column_key(column) not in spelled]
    if missing:
        tried = ", ".join(_DELIMITER_NAMES[candidate] for candidate in DELIMITERS)
        shape = (
            f"the header reads as one column {names[0]!r} (delimiters tried: {tried})"
            if len(names) == 1
            else f"the header names {', '.join(repr(name) for name in names)} "
            f"(split at each {_DELIMITER_NAMES.get(delimiter, repr(delimiter))})"
        )
        raise CampaignFileError(
            f"line {line}: missing column(s) {', '.join(missing)} (every row needs {', '.join(required)}); {shape}"
        )
    return columns


def _read_jsonl(text: str) -> Iterator[Record]:
    # Lines end at \n only: splitlines() would also split at U+2028 and other characters valid inside a JSON string.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except RecursionError:
            raise CampaignFileError(f"line {number}: not JSON (nested too deeply)") from None
        except ValueError as exc:
            raise CampaignFileError(f"line {number}: not JSON ({exc})") from None
        if not isinstance(value, dict):
            raise CampaignFileError(f"line {number}: each line must be a JSON object, not {type(value).__name__}")
        fields: dict[str, str] = {}
        spelled: dict[str, str] = {}
        for name, cell in value.items():
            if isinstance(cell, dict | list):
                raise CampaignFileError(f"line {number}: the value of {name!r} must be a string, number or boolean")
            key = column_key(str(name))
            if key in spelled:
                raise CampaignFileError(f"line {number}: {spelled[key]!r} and {name!r} are the same column")
            spelled[key] = str(name)
            fields[key] = _as_text(cell)
        yield Record(line=number, fields=fields)


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
