"""What issue 15 saw, as tests that failed before the fix: each runs `miraflow` as a user would.

- global `--api-key`/`--base-url` (before `batch`) were ignored by `batch`;
- a dry run on a bad file counted errors as rows (and, with --json, printed them on stderr too);
- a host answering 404 to `avatars` was told "check the id" instead of "the base URL looks wrong";
- a single `create` with a script far above the usual size was sent without asking.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from miraflow_mock.testing import SimulatorHandle
from tests.cli.conftest import (
    KEY,
    PHOTO,
    SCALE,
    assert_one_line_error,
    env_for,
    run_cli,
    run_in_terminal,
    subprocess_env,
)

pytestmark = pytest.mark.timeout(120)


def _campaign(path: Path) -> Path:
    path.write_text(f"avatar,text,name\n{PHOTO},Hello there,First\n{PHOTO},Hello again,Second\n", encoding="utf-8")
    return path


def test_batch_honours_the_global_key_and_base_url(sim: SimulatorHandle, tmp_path: Path) -> None:
    file = _campaign(tmp_path / "c.csv")
    out = tmp_path / "out"
    dry = run_cli(
        "--api-key", KEY, "--base-url", sim.api_root, "batch", "run", str(file), "--out", str(out), "--dry-run"
    )
    assert dry.returncode == 0, dry.stderr  # before: "no API key" (exit 2), the global options never reached batch
    assert "2 rows, 2 valid" in dry.stdout
    done = run_cli(
        "--api-key",
        KEY,
        "--base-url",
        sim.api_root,
        "batch",
        "run",
        str(file),
        "--out",
        str(out),
        "--yes",
        "--json",
        "--time-scale",
        str(SCALE),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"]["downloaded"] == 2
    assert sim.count_requests("POST", "/api/video/create") == 2


def test_a_dry_run_on_a_bad_file_counts_rows_and_says_each_error_once(sim: SimulatorHandle, tmp_path: Path) -> None:
    file = tmp_path / "bad.csv"
    file.write_text(
        "avatar,text,name,full_background\nNobody,,a,maybe\nMargot,hi {x},b,\nMargot,hello there,c,\n", encoding="utf-8"
    )
    args = ("batch", "run", str(file), "--out", str(tmp_path / "out"), "--dry-run")
    text = run_cli(*args, env=env_for(sim))
    assert text.returncode == 2
    assert "3 rows, 1 valid, 2 invalid" in text.stdout
    lines = text.stderr.splitlines()
    assert len(lines) == 5  # four errors (three on line 2), then the one-line failure
    assert "2 rows are invalid (4 problems)" in lines[-1]  # before: "4 rows are invalid"
    assert sum("line 2:" in line for line in lines) == 3

    as_json = run_cli(*args, "--json", env=env_for(sim))
    assert as_json.returncode == 2
    plan = json.loads(as_json.stdout)
    assert (plan["rows"], plan["valid"], plan["invalid"], len(plan["errors"])) == (3, 1, 2, 4)
    assert as_json.stderr.count("\n") == 1 and "2 rows are invalid" in as_json.stderr  # before: every error again
    assert sim.count_requests("POST", "/api/video/create") == 0
    assert not (tmp_path / "out").exists()


def test_a_404_to_a_listing_says_the_base_url_looks_wrong(sim: SimulatorHandle, tmp_path: Path) -> None:
    wrong = sim.api_root.replace("/api", "/v1/api")  # a server that is not an API root there
    result = run_cli("avatars", env={"MIRAFLOW_API_KEY": KEY, "MIRAFLOW_BASE_URL": wrong})
    line = assert_one_line_error(result, 1)
    assert "base URL looks wrong" in line and "/api" in line and wrong in line
    assert "check the id" not in line  # before: "...: check the id (this key's account has no such item)"
    batch = run_cli(
        "batch", "run", str(_campaign(tmp_path / "c.csv")), "--out", str(tmp_path / "o"), "--dry-run",
        env={"MIRAFLOW_API_KEY": KEY, "MIRAFLOW_BASE_URL": wrong},
    )  # fmt: skip
    assert batch.returncode == 1 and "base URL looks wrong" in batch.stderr
    unknown_job = run_cli("status", "job-that-does-not-exist", env=env_for(sim))  # a missing item is still one
    assert "check the id" in unknown_job.stderr


def test_create_asks_before_a_script_far_above_the_usual_size(sim: SimulatorHandle) -> None:
    script = "Hello and welcome to our product tour. " * 60  # ~2,300 characters: far above the usual ~150
    refused = run_cli("create", "--avatar", PHOTO, "--text", script, env=env_for(sim))  # stdin is no terminal
    line = assert_one_line_error(refused, 2)
    assert "far above the usual size" in line and "--yes" in line
    assert sim.count_requests("POST", "/api/video/create") == 0  # before: created without asking
    confirmed = run_cli("create", "--avatar", PHOTO, "--text", script, "--yes", "--json", env=env_for(sim))
    assert confirmed.returncode == 0, confirmed.stderr
    assert sim.count_requests("POST", "/api/video/create") == 1
    usual = run_cli("create", "--avatar", PHOTO, "--text", "A usual script.", "--json", env=env_for(sim))
    assert usual.returncode == 0, usual.stderr  # a usual script is not asked about


def test_the_prompts_show_the_estimate_and_wait_for_an_answer(sim: SimulatorHandle, tmp_path: Path) -> None:
    file = _campaign(tmp_path / "c.csv")
    env = subprocess_env(env_for(sim))
    args = ["batch", "run", str(file), "--out", str(tmp_path / "out"), "--time-scale", str(SCALE)]
    code, shown = run_in_terminal(args, env, answers={"[y/N]:": "n\n"})
    assert code == 2, shown
    assert "estimated total: 2 credits for 2 video(s)" in shown and "an estimate" in shown
    assert "balance: 1,000 credits (from the local simulator's admin API): covers it" in shown
    assert "an estimated 2 credits?" in shown and "nothing was created" in shown
    assert sim.count_requests("POST", "/api/video/create") == 0

    script = "Hello and welcome to our product tour. " * 60
    code, shown = run_in_terminal(["create", "--avatar", PHOTO, "--text", script], env, answers={"[y/N]:": "y\n"})
    assert code == 0, shown
    assert "far above the usual size" in shown and "Created job" in shown
    assert sim.count_requests("POST", "/api/video/create") == 1
