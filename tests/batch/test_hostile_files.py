"""Campaign files of random bytes, encodings and shapes: line-numbered errors, never a traceback.

`read_rows` either reads a file or raises `CampaignFileError` naming a line; `validate_rows` gives every invalid row
with its line. `miraflow batch run --dry-run` turns whatever it is given into lines on stderr and an exit code.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from miraflow.batch.errors import CampaignFileError
from miraflow.batch.rows import read_rows, validate_rows
from miraflow.cli.batch import batch_app
from miraflow.types import Avatar
from miraflow_mock.testing import SimulatorHandle

LINE = re.compile(r"^line (\d+): \S")
AVATARS = [
    Avatar(id="cmdms9d3s001no401kqwbr0q5", name="Margot", created_at=None, voice_id="v", is_photo=True),
    Avatar(id="cm2yaz9j10008l0qg9npyjgs3", name="Aerin", created_at=None, voice_id="v", is_photo=False),
]
SUFFIXES = (".csv", ".jsonl", ".txt", "")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-32", "latin-1", "cp1252", "utf-16-le")

_cells = st.text(max_size=30) | st.sampled_from(
    [
        "Margot",
        "Aerin",
        "cmdms9d3s001no401kqwbr0q5",
        "true",
        "no",
        "maybe",
        "{first}",
        "{",
        "}",
        "{0}",
        "{a.b}",
        "{x!r}",
    ]
)
_columns = st.sampled_from(["avatar", "text", "name", "full_background", "voice", "first"]) | st.text(max_size=8)
_records = st.lists(
    st.dictionaries(_columns, _cells | st.integers() | st.none() | st.booleans(), max_size=7), max_size=6
)


def _lines(data: bytes) -> int:
    return data.count(b"\n") + 1


def _check_read(path: Path) -> None:
    """Reading `path` gives rows or a CampaignFileError naming a line of the file; validating them, lined errors."""
    data = path.read_bytes()
    try:
        rows = read_rows(path)
    except CampaignFileError as exc:
        message = str(exc)
        match = LINE.match(message)
        assert match or message.startswith("the file is empty"), message
        if match:
            assert 1 <= int(match[1]) <= _lines(data) + 1, (message, data[:200])
        return
    validation = validate_rows(rows, avatars=AVATARS, voices=[])
    for error in validation.errors:
        assert LINE.match(str(error)), str(error)
        assert 1 <= error.line <= _lines(data) + 1


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=400), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_are_read_or_refused_with_a_line(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"campaign{suffix}"
        path.write_bytes(data)
        _check_read(path)


@st.composite
def campaign_files(draw: st.DrawFn) -> tuple[bytes, str]:
    records = draw(_records)
    suffix = draw(st.sampled_from(SUFFIXES))
    if suffix == ".jsonl" or (suffix in (".txt", "") and draw(st.booleans())):
        lines = []
        for record in records:
            line = json.dumps(record, ensure_ascii=draw(st.booleans()))
            if draw(st.integers(0, 9)) == 0:
                line = draw(st.sampled_from(["[1]", "{", "null", '"x"', "[" * 5000 + "]" * 5000, line[:-1]]))
            lines.append(line)
        text = draw(st.sampled_from(["\n", "\r\n"])).join(lines)
    else:
        out = io.StringIO()
        columns = list(dict.fromkeys(key for record in records for key in record)) or ["avatar", "text", "name"]
        writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
        writer.writerow(columns)
        for record in records:
            writer.writerow([record.get(column, "") for column in columns])
        text = out.getvalue()
    encoding = draw(st.sampled_from(ENCODINGS))
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    return data, suffix


@settings(max_examples=150, deadline=None)
@given(file=campaign_files())
def test_campaign_shaped_files_in_any_encoding_are_read_or_refused_with_lines(file: tuple[bytes, str]) -> None:
    data, suffix = file
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"campaign{suffix}"
        path.write_bytes(data)
        _check_read(path)


def test_a_utf16_spreadsheet_export_is_read(tmp_path: Path) -> None:
    path = tmp_path / "campaign.csv"
    path.write_bytes("avatar,text,name\nMargot,Grüß dich,één\n".encode("utf-16"))
    (row,) = read_rows(path)
    assert row.fields == {"avatar": "Margot", "text": "Grüß dich", "name": "één"}


def test_a_latin1_file_is_refused_with_the_line_of_the_first_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "campaign.csv"
    path.write_bytes("avatar,text,name\nMargot,hello,a\nMargot,Grüß,b\n".encode("latin-1"))
    with pytest.raises(CampaignFileError, match=r"^line 3: not UTF-8 text"):
        read_rows(path)


def test_a_json_string_may_hold_a_line_separator(tmp_path: Path) -> None:
    path = tmp_path / "campaign.jsonl"
    path.write_text(json.dumps({"avatar": "Margot", "text": "a\u2028b", "name": "n"}, ensure_ascii=False) + "\n")
    (row,) = read_rows(path)
    assert row.fields["text"] == "a\u2028b"


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(file=campaign_files() | st.tuples(st.binary(max_size=200), st.sampled_from(SUFFIXES)))
def test_batch_run_dry_run_never_prints_a_traceback(
    miraflow_simulator: SimulatorHandle, runner: CliRunner, tmp_path: Path, file: tuple[bytes, str]
) -> None:
    data, suffix = file
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        path = Path(folder) / f"campaign{suffix}"
        path.write_bytes(data)
        env = {"MIRAFLOW_API_KEY": miraflow_simulator.key, "MIRAFLOW_BASE_URL": miraflow_simulator.api_root}
        result = runner.invoke(batch_app, ["run", str(path), "--out", f"{folder}/out", "--dry-run"], env=env)
    output = result.stdout + result.stderr
    assert "Traceback" not in output and miraflow_simulator.key not in output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 2), (result.exit_code, output)
    if result.exit_code:
        *rows, last = result.stderr.strip().splitlines()
        assert last.startswith("miraflow batch: error: "), result.stderr
        assert "unexpected" not in last, last
        assert all(LINE.match(line.removeprefix("miraflow batch: ")) for line in rows), result.stderr
        if "line" not in last:  # a whole-file problem names no line only when it has none (an empty file)
            assert rows or "empty" in last or "invalid" in last, last
