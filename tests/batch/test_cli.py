"""`miraflow batch` as a real subprocess: exit codes, one-line errors, JSON, status, report, Ctrl-C."""

from __future__ import annotations

import csv
import io
import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from miraflow.batch.ledger import LEDGER_NAME, Ledger, RowState
from miraflow.batch.report import REPORT_COLUMNS
from miraflow.cli.batch import batch_app
from miraflow_mock.testing import SimulatorHandle
from tests.batch.conftest import (
    BATCH_KEY,
    SIM_OPTIONS,
    assert_campaign_settled,
    batch_command,
    campaign_rows,
    cli_env,
    run_cli,
    write_csv,
)

pytestmark = pytest.mark.timeout(120)


def _clean(result: subprocess.CompletedProcess[str]) -> None:
    for stream in (result.stdout, result.stderr):
        assert BATCH_KEY not in stream
        assert "Traceback" not in stream


def test_run_status_report_and_json(sim: SimulatorHandle, tmp_path: Path) -> None:
    file = write_csv(tmp_path / "c.csv", campaign_rows(5, video_every=5))
    out = tmp_path / "out"
    result = run_cli(sim, "run", str(file), "--out", str(out), "--yes", "--json")
    _clean(result)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["counts"]["downloaded"] == 5 and summary["exitCode"] == 0
    assert summary["requests"]["creates"] == 5
    assert result.stderr == ""  # --json: no progress, no narrative
    assert_campaign_settled(sim, out, 5)

    status = run_cli(sim, "status", str(out), "--json")
    _clean(status)
    assert json.loads(status.stdout)["counts"]["downloaded"] == 5
    text = run_cli(sim, "status", str(out))
    assert "5 rows: 5 downloaded" in text.stdout

    report = run_cli(sim, "report", str(out))
    _clean(report)
    records = list(csv.DictReader(io.StringIO(report.stdout)))
    assert tuple(records[0]) == REPORT_COLUMNS
    assert [record["state"] for record in records] == ["downloaded"] * 5
    assert all(record["jobId"] and record["videoId"] and len(record["sha256"]) == 64 for record in records)
    assert (out / records[0]["file"]).is_file()


def test_invalid_rows_exit_2_with_every_line_and_send_nothing(sim: SimulatorHandle, tmp_path: Path) -> None:
    rows = campaign_rows(5)
    rows[0]["avatar"] = "Nobody"
    rows[2]["avatar"], rows[2]["full_background"] = "Aerin", "yes"
    rows[3]["name"] = rows[4]["name"] = "Same"
    file = write_csv(tmp_path / "c.csv", rows)
    result = run_cli(sim, "run", str(file), "--out", str(tmp_path / "out"), "--yes")
    _clean(result)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert [line.split(":")[1].strip() for line in lines[:3]] == ["line 2", "line 4", "line 6"]
    assert "unknown avatar 'Nobody'" in lines[0] and "video avatar" in lines[1] and "duplicate name" in lines[2]
    assert "3 rows are invalid" in lines[3]
    assert sim.count_requests("POST", "/api/video/create") == 0

    dry = run_cli(sim, "run", str(file), "--out", str(tmp_path / "out"), "--dry-run", "--skip-invalid", "--json")
    _clean(dry)
    assert dry.returncode == 0
    plan = json.loads(dry.stdout)
    assert (plan["rows"], plan["valid"], plan["invalid"]) == (5, 2, 3)
    assert sim.count_requests("POST", "/api/video/create") == 0
    assert not (tmp_path / "out").exists()


def test_dry_run_prints_the_plan_and_sends_no_create(sim: SimulatorHandle, tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "campaign.csv"
    result = run_cli(sim, "run", str(example), "--out", str(tmp_path / "out"), "--dry-run", "--time-scale", "1")
    _clean(result)
    assert result.returncode == 0, result.stderr
    assert "face_cropped: 2 video(s), 60 s–2 min each" in result.stdout
    assert "full_background: 1 video(s)" in result.stdout and "nothing was created" in result.stdout
    assert sim.count_requests("POST", None) == 0


def test_usage_errors_are_one_line(sim: SimulatorHandle, tmp_path: Path) -> None:
    file = write_csv(tmp_path / "c.csv", campaign_rows(1))
    no_key = run_cli(sim, "run", str(file), "--out", str(tmp_path / "o"), "--yes", MIRAFLOW_API_KEY="")
    assert no_key.returncode == 2
    assert no_key.stderr.strip().count("\n") == 0 and "MIRAFLOW_API_KEY" in no_key.stderr
    bad_key = run_cli(sim, "run", str(file), "--out", str(tmp_path / "o"), "--yes", "--api-key", "sk-wrong-key")
    assert bad_key.returncode == 1 and "not accepted" in bad_key.stderr and "sk-wrong-key" not in bad_key.stderr
    no_prompt = run_cli(sim, "run", str(file), "--out", str(tmp_path / "o"))  # stdin is not a terminal
    assert no_prompt.returncode == 2 and "--yes" in no_prompt.stderr
    missing = run_cli(sim, "run", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o"), "--yes")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    no_out = run_cli(sim, "run", str(file))
    assert no_out.returncode == 2 and "--out" in no_out.stderr and no_out.stderr.count("\n") == 1
    no_campaign = run_cli(sim, "status", str(tmp_path / "empty"))
    assert no_campaign.returncode == 2 and no_campaign.stderr.count("\n") == 1
    for result in (no_key, bad_key, no_prompt, missing, no_out, no_campaign):
        _clean(result)
    assert sim.count_requests("POST", "/api/video/create") == 0


def test_mountable_in_another_typer_app(sim: SimulatorHandle, tmp_path: Path) -> None:
    import typer

    app = typer.Typer()
    app.add_typer(batch_app, name="batch")
    file = write_csv(tmp_path / "c.csv", campaign_rows(2))
    runner = CliRunner()
    env = cli_env(sim)
    result = runner.invoke(app, ["batch", "run", str(file), "--out", str(tmp_path / "out"), "--yes", "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"]["downloaded"] == 2
    assert runner.invoke(app, ["batch", "--help"]).exit_code == 0


def _wait_for(predicate: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


def _created_rows(out: Path) -> int:
    if not (out / LEDGER_NAME).exists():
        return 0
    try:
        with Ledger.open(out, create=False) as ledger:
            return ledger.counts()[RowState.CREATED]
    except Exception:
        return 0


@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_exits_130_and_a_rerun_resumes(sim: SimulatorHandle, tmp_path: Path, presses: int) -> None:
    file = write_csv(tmp_path / "c.csv", campaign_rows(8, full_background_every=1))  # ~1 s renders at this scale
    out = tmp_path / "out"
    process = subprocess.Popen(
        batch_command("run", str(file), "--out", str(out), "--yes"),
        env=cli_env(sim),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for(lambda: _created_rows(out) >= 2)
    for _ in range(presses):
        process.send_signal(signal.SIGINT)
        time.sleep(0.05)
    stdout, stderr = process.communicate(timeout=30)
    # A second Ctrl-C that lands while the interpreter is already shutting down (its handlers reset) ends the process
    # by SIGINT itself, which a shell reports as 130 too.
    assert process.returncode in ((130,) if presses == 1 else (130, -signal.SIGINT)), (stdout, stderr)
    assert "Traceback" not in stderr and BATCH_KEY not in stderr + stdout
    if presses == 1:
        assert "interrupted" in stderr
    with Ledger.open(out, create=False) as ledger:
        assert ledger.counts()[RowState.DOWNLOADED] < 8
    rerun = run_cli(sim, "run", str(file), "--out", str(out), "--yes", "--recreate-ambiguous")
    _clean(rerun)
    assert rerun.returncode == 0, rerun.stderr
    assert_campaign_settled(sim, out, 8)


def test_failed_rows_exit_3_and_are_listed(
    miraflow_simulator_factory: Callable[..., SimulatorHandle], tmp_path: Path
) -> None:
    sim = miraflow_simulator_factory(**{**SIM_OPTIONS, "fail_rate": 0.35, "seed": 5})
    file = write_csv(tmp_path / "c.csv", campaign_rows(12))
    out = tmp_path / "out"
    result = run_cli(sim, "run", str(file), "--out", str(out), "--yes")
    _clean(result)
    assert result.returncode == 3, result.stderr
    assert result.stderr.count("\n") == 1 and "failed or are ambiguous" in result.stderr
    failed = [line for line in result.stdout.splitlines() if ": failed: job " in line]
    assert failed and all("inference_" in line for line in failed)
    status = json.loads(run_cli(sim, "status", str(out), "--json").stdout)
    assert len(status["failures"]) == len(failed) == status["counts"]["failed"]
