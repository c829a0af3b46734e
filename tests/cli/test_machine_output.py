"""Output for machines and logs: plain progress lines off a terminal, `-q/--quiet`, plain tables, `batch report
--json`, a closed pipe, and the help's names (issue 15, part 2 and the output fixes of part 3).

Each test of a "seen" item says what was seen before the change it guards.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from miraflow_mock.testing import SimulatorHandle

from .conftest import (
    PHOTO,
    SCALE,
    Invoke,
    assert_clean,
    cli_command,
    env_for,
    run_cli,
    subprocess_env,
)

_BOX = re.compile("[\u2500-\u257f]")  # box drawing: ─ │ ┏ ┃ ...
_PLACEHOLDER = re.compile(r"\{[A-Z_]+\}|<[a-z ]+>")  # typer's {JOB}, click's <str>, <int range>, <path>...


def _campaign(sim: SimulatorHandle, tmp_path: Path, rows: int = 2) -> Path:
    """A finished campaign folder made through `miraflow batch run`."""
    file = tmp_path / "campaign.csv"
    with file.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["avatar", "name", "text"])
        for n in range(1, rows + 1):
            writer.writerow([PHOTO, f"Hello {n}", f"Hi number {n}, this is your video."])
    out = tmp_path / "out"
    env = {**env_for(sim), "MIRAFLOW_TIME_SCALE": str(SCALE)}
    ran = run_cli("batch", "run", str(file), "--out", str(out), "--yes", env=env, timeout=120)
    assert ran.returncode == 0, ran.stderr
    return out


# --- seen: `batch report DIR | head -1` ended in "Broken pipe", exit 1 ----------------------------------------------


def _with_closed_stdout(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run `miraflow ARGS` with the reading end of its stdout closed before it writes (what `| head -1` leaves)."""
    process = subprocess.Popen(
        cli_command(*args),
        env=subprocess_env(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read()
    process.stderr.close()
    return process.wait(timeout=60), stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
def test_a_reader_that_goes_away_ends_every_command_quietly_with_0(sim: SimulatorHandle, tmp_path: Path) -> None:
    # Before: `miraflow batch report DIR | head -1` printed a BrokenPipeError and exited non-zero.
    out = _campaign(sim, tmp_path)
    env = env_for(sim)
    for args in (
        ["batch", "report", str(out)],
        ["batch", "report", str(out), "--json"],
        ["batch", "status", str(out)],
        ["avatars"],
        ["avatars", "--json"],
        ["voices", "-q"],
        ["create", "-a", PHOTO, "-t", "Hi.", "--wait", "--time-scale", str(SCALE)],  # lines through rich's console
        ["--help"],
        ["batch", "--help"],
    ):
        code, stderr = _with_closed_stdout(*args, env=env)
        assert (code, stderr) == (0, ""), args


# --- seen: `batch report` on a missing folder printed a header first ------------------------------------------------


def test_batch_report_on_a_missing_folder_prints_nothing_on_stdout(invoke: Invoke, tmp_path: Path) -> None:
    # Before: stdout got the CSV header (row,name,jobId,...) and then the error; a `> report.csv` kept a bogus file.
    result = invoke("batch", "report", str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and result.stdout == ""
    assert "no campaign" in result.stderr and len(result.stderr.splitlines()) == 1


# --- seen: `miraflow mock --help` titled `miraflow-mock serve` --------------------------------------------------------


def test_mock_help_is_titled_miraflow_mock() -> None:
    # Before: "usage: miraflow-mock serve [-h] ..." for a command the user typed as `miraflow mock`.
    for flag in ("--help", "-h"):
        helped = run_cli("mock", flag)
        assert helped.returncode == 0
        assert helped.stdout.startswith("usage: miraflow mock [-h]"), helped.stdout[:80]
        assert "miraflow-mock serve" not in helped.stdout
        second = helped.stdout.splitlines()[1]
        assert second.startswith(" " * len("usage: miraflow mock ")) and second[len("usage: miraflow mock ")] == "["


# --- seen: placeholders like {JOB}, <int range>, <str> in help ------------------------------------------------------

_COMMANDS = [
    [],
    ["avatars"],
    ["voices"],
    ["videos"],
    ["create"],
    ["upload"],
    ["status"],
    ["wait"],
    ["download"],
    ["demo"],
    ["batch"],
    ["batch", "run"],
    ["batch", "status"],
    ["batch", "report"],
]


@pytest.mark.parametrize("command", _COMMANDS, ids=lambda command: " ".join(command) or "miraflow")
def test_help_names_every_value_with_a_metavar(invoke: Invoke, command: list[str]) -> None:
    # Before: "Usage: miraflow status [OPTIONS] {JOB}", "JOB <str>", "--concurrency <int range>", "--api-key <str>".
    shown = invoke(*command, "--help", env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    assert not _PLACEHOLDER.findall(shown.stdout), _PLACEHOLDER.findall(shown.stdout)


def test_help_uses_the_declared_names(invoke: Invoke) -> None:
    assert "Usage: miraflow status [OPTIONS] JOB_ID" in invoke("status", "--help", env={"COLUMNS": "200"}).stdout
    assert "Usage: miraflow download [OPTIONS] VIDEO_ID" in invoke("download", "--help").stdout
    batch_run = invoke("batch", "run", "--help", env={"COLUMNS": "200"}).stdout
    assert "Usage: miraflow batch run [OPTIONS] FILE" in batch_run
    assert re.search(r"--concurrency\s+N\b", batch_run) and re.search(r"--api-key\s+KEY\b", batch_run)
    missing = invoke("wait")
    assert missing.exit_code == 2 and "Missing argument 'JOB_ID'" in missing.stderr


# --- plain progress lines off a terminal ------------------------------------------------------------------------------


def test_a_wait_without_a_terminal_prints_plain_progress_lines(sim: SimulatorHandle, tmp_path: Path) -> None:
    # Before: without a terminal (CI, `> file`), a wait printed nothing until the end.
    args = ["create", "-a", PHOTO, "-t", "Hello there.", "--download", str(tmp_path), "--time-scale", str(SCALE)]
    result = run_cli(*args, env=env_for(sim))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    progress = [line for line in lines if line.startswith("Hello there.: ")]
    states = [line.split(": ", 1)[1].split(",")[0].split(" ")[0] for line in progress]
    assert states[0] in ("queued", "rendering") and states[-1] == "complete", lines
    assert len(set(states)) == len(states) or "rendering" in states  # a line per state; more only while rendering
    assert all(re.search(r", \d+\.\d s$", line) for line in progress)  # each says the time elapsed
    assert len(progress) <= 15  # a sane rate: state changes and 10 % steps, not one line per poll
    assert any(line.startswith("Downloading video ") and "(100%)" in line for line in lines)
    assert not _BOX.search(result.stdout) and "\x1b[" not in result.stdout


def test_json_prints_no_progress_and_nothing_on_stderr(sim: SimulatorHandle) -> None:
    base = ["create", "-a", PHOTO, "-t", "Hello there.", "--wait", "--time-scale", str(SCALE)]
    as_json = run_cli(*base, "--json", env=env_for(sim))
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["status"] == "inference_complete"
    assert as_json.stderr == ""


def test_a_campaign_without_a_terminal_prints_plain_progress_lines(sim: SimulatorHandle, tmp_path: Path) -> None:
    file = tmp_path / "campaign.csv"
    file.write_text(f"avatar,name,text\n{PHOTO},One,Hello one.\n{PHOTO},Two,Hello two.\n", encoding="utf-8")
    env = {**env_for(sim), "MIRAFLOW_TIME_SCALE": str(SCALE)}
    result = run_cli("batch", "run", str(file), "--out", str(tmp_path / "out"), "--yes", env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("campaign: ")]
    assert lines and lines[-1].startswith("campaign: 2/2 done · 2 downloaded, "), result.stdout
    assert result.stderr == ""


# --- -q/--quiet: only the id ------------------------------------------------------------------------------------------


def test_quiet_prints_only_the_id(sim: SimulatorHandle, tmp_path: Path) -> None:
    env = env_for(sim)
    created = run_cli("create", "-q", "-a", PHOTO, "-t", "Hi.", env=env)
    assert created.returncode == 0 and created.stderr == ""
    (job_id,) = created.stdout.splitlines()  # JOB=$(miraflow create -q ...)
    assert job_id == sim.jobs()[0]["jobId"]

    waited = run_cli("wait", job_id, "-q", "--time-scale", str(SCALE), env=env)
    assert waited.returncode == 0
    (video_id,) = waited.stdout.splitlines()
    assert run_cli("status", job_id, "-q", env=env).stdout == "inference_complete\n"
    downloaded = run_cli("download", video_id, "-q", "--out", str(tmp_path), env=env)
    (path,) = downloaded.stdout.splitlines()
    assert Path(path).is_file() and Path(path).parent == tmp_path

    ids = run_cli("avatars", "-q", env=env).stdout.splitlines()
    listed = json.loads(run_cli("avatars", "--json", env=env).stdout)
    assert ids == [avatar["id"] for avatar in listed]
    assert run_cli("videos", "-q", env=env).stdout.splitlines() == [video_id]


def test_quiet_create_with_wait_prints_the_job_id_before_waiting(sim: SimulatorHandle) -> None:
    args = ["create", "-q", "-a", PHOTO, "-t", "Hi.", "--wait", "--time-scale", str(SCALE)]
    result = run_cli(*args, env=env_for(sim))
    assert result.returncode == 0 and result.stdout.splitlines() == [sim.jobs()[0]["jobId"]]


# --- piped tables -----------------------------------------------------------------------------------------------------


def test_piped_tables_are_plain_columns_with_whole_ids(sim: SimulatorHandle) -> None:
    long_name = "A very long avatar name " * 8
    long_id = "avatar-with-a-long-id-" + "0123456789" * 5
    sim.load_catalog([{"id": long_id, "name": long_name.strip(), "voiceId": "voice-" + "9" * 40, "isPhoto": True}])
    env = {**env_for(sim), "COLUMNS": "40"}  # a narrow terminal width must not fold a pipe's lines
    result = run_cli("avatars", env=env)
    assert result.returncode == 0, result.stderr
    assert not _BOX.search(result.stdout)
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["id", "name", "kind", "voice", "created"]
    listed = json.loads(run_cli("avatars", "--json", env=env).stdout)
    assert len(rows) == len(listed)
    for row, avatar in zip(rows, listed, strict=True):
        assert row.startswith(avatar["id"] + " ") and avatar["voiceId"] in row
    assert any(row.startswith(long_id + " ") and long_name.strip() in row for row in rows)
    assert_clean(result.stdout)


# --- batch report --json, batch status --json ------------------------------------------------------------------------


def test_batch_report_and_status_as_json(sim: SimulatorHandle, tmp_path: Path, invoke: Invoke) -> None:
    out = _campaign(sim, tmp_path)
    report = invoke("batch", "report", str(out), "--json")
    assert report.exit_code == 0, report.stderr
    records = json.loads(report.stdout)
    as_csv = list(csv.DictReader(io.StringIO(invoke("batch", "report", str(out)).stdout)))
    assert [record["name"] for record in records] == [record["name"] for record in as_csv] == ["Hello 1", "Hello 2"]
    assert all(record["state"] == "downloaded" and record["error"] is None for record in records)
    assert all(len(record["sha256"]) == 64 and record["jobId"] and record["videoId"] for record in records)
    status = json.loads(invoke("batch", "status", str(out), "--json").stdout)
    assert status["counts"]["downloaded"] == 2 and status["failures"] == []


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals")
def test_a_narrow_terminal_never_wraps_or_cuts_an_id(sim: SimulatorHandle) -> None:
    from .conftest import run_in_terminal

    long_id = "avatar-with-a-long-id-" + "0123456789" * 3
    sim.load_catalog([{"id": long_id, "name": "Long " * 12, "voiceId": "voice-" + "7" * 30, "isPhoto": True}])
    env = subprocess_env({**env_for(sim), "NO_COLOR": "1", "TERM": "xterm", "COLUMNS": "110"})
    code, shown = run_in_terminal(["avatars"], env)
    assert code == 0, shown
    assert "┃" in shown or "│" in shown  # a terminal still gets rich's table
    assert long_id in shown and "voice-" + "7" * 30 in shown  # whole, on one line, though the names fold
    assert_clean(shown)


def test_a_demo_that_fails_with_json_says_which_job_and_its_last_state(
    failing_sim: SimulatorHandle, invoke: Invoke, tmp_path: Path
) -> None:
    args = ["demo", "--yes", "--json", "--out", str(tmp_path), "--time-scale", str(SCALE)]
    result = invoke(*args, env=env_for(failing_sim))
    assert result.exit_code == 3, result.stderr
    document = json.loads(result.stdout)
    (job, *_) = failing_sim.jobs()
    assert document["error"]["type"] == "JobFailedError" and document["error"]["exitCode"] == 3
    assert document["job"]["jobId"] == job["jobId"] and document["job"]["outcome"] == "failure"
    assert len(result.stderr.splitlines()) == 1
