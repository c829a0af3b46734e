"""`miraflow` as a real process: errors, Ctrl-C (SIGINT) during a wait and a download, `miraflow mock`, shell
completion, and the progress bar on a terminal (a pseudo-terminal here)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from miraflow.ready_line import ReadyLine
from miraflow_mock.testing import SimulatorHandle

from .conftest import (
    KEY,
    PHOTO,
    SCALE,
    WRONG_KEY,
    assert_clean,
    assert_one_line_error,
    cli_command,
    env_for,
    eventually,
    files_in,
    run_cli,
    run_in_terminal,
    start_cli,
    subprocess_env,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and pseudo-terminals")


def test_errors_as_a_process_are_one_line_with_the_documented_codes(sim: SimulatorHandle) -> None:
    assert "401" in assert_one_line_error(run_cli("avatars", env=env_for(sim, key=WRONG_KEY)), 1)
    assert_one_line_error(run_cli("create", "--text", "hi", env=env_for(sim)), 2)
    assert_one_line_error(run_cli("avatars"), 2)  # no key


def test_debug_logging_never_shows_the_key(sim: SimulatorHandle) -> None:
    result = run_cli("avatars", "--json", env={**env_for(sim), "MIRAFLOW_LOG": "debug"})
    assert result.returncode == 0
    assert "GET" in result.stderr  # the SDK's debug log is on, on stderr
    json.loads(result.stdout)  # ... and stdout holds only the JSON


def _interrupt(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert_clean(stdout, stderr)
    return stdout, stderr


def test_ctrl_c_while_waiting_exits_130_and_leaves_no_file(
    frozen_sim: SimulatorHandle, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    folder = tmp_path / "downloads"
    args = ["create", "-a", PHOTO, "-t", "Hello.", "--wait", "--download", str(folder), "--time-scale", str(SCALE)]
    process = start_cli(*args, env=env_for(frozen_sim))
    processes.append(process)

    def polled() -> bool:
        return any(path.endswith("/status") for path in (entry["path"] for entry in frozen_sim.requests()))

    eventually(polled, what="a status poll")  # it is waiting now; the manual clock keeps the job running
    _, stderr = _interrupt(process)
    assert process.returncode == 130
    (job,) = frozen_sim.jobs()
    job_id = job["jobId"]
    assert stderr.strip() == f"miraflow: interrupted; job {job_id} keeps running: `miraflow wait {job_id}` follows it"
    assert files_in(folder) == []


@pytest.mark.parametrize("command", ["wait", "download"])
def test_ctrl_c_during_a_download_exits_130_and_leaves_no_file(
    sim: SimulatorHandle,
    make_video: Callable[..., dict[str, Any]],
    tmp_path: Path,
    processes: list[subprocess.Popen[str]],
    command: str,
) -> None:
    made = make_video()
    sim.add_fault(operationId="downloadVideo", latency=60)  # the download hangs until interrupted
    if command == "wait":
        args = ["wait", made["jobId"], "--download", str(tmp_path), "--time-scale", str(SCALE)]
    else:
        args = ["download", made["videoId"], "--out", str(tmp_path)]
    process = start_cli(*args, env=env_for(sim))
    processes.append(process)
    eventually(lambda: sim.admin("GET", "/faults")["faults"] == [], what="the download request")  # fault taken
    _, stderr = _interrupt(process)
    assert process.returncode == 130
    assert stderr.startswith("miraflow: interrupted; nothing was saved") and len(stderr.splitlines()) == 1
    assert files_in(tmp_path) == []


def _read_ready_line(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()
    ready = ReadyLine.parse(line)
    assert ready is not None, line
    return ready.api_root


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_mock_runs_the_simulator_and_passes_signals_and_exit_codes_through(
    signum: int, processes: list[subprocess.Popen[str]]
) -> None:
    process = start_cli("mock", "--port", "0", "--time-scale", "0.01", "--tenant", f"{KEY}:10")
    processes.append(process)
    api_root = _read_ready_line(process)
    response = httpx.get(f"{api_root}/avatars", headers={"x-api-key": KEY})
    assert response.status_code == 200 and response.json()["avatars"]
    assert process.stdout is not None  # `miraflow mock` logs each request, naming the tenant and never the key
    assert re.search(r"GET +/api/avatars +200 .* tenant=tenant-1$", logged := process.stdout.readline()), logged
    process.send_signal(signum)
    process.communicate(timeout=30)
    assert process.returncode == 0  # miraflow-mock serve stops cleanly, and miraflow passes its code through
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{api_root}/avatars", headers={"x-api-key": KEY})


def test_mock_help_and_a_bad_option_come_from_miraflow_mock_serve() -> None:
    helped = run_cli("mock", "--help")
    assert helped.returncode == 0 and "--time-scale" in helped.stdout and "--fail-rate" in helped.stdout
    assert "--no-log-requests" in helped.stdout
    refused = run_cli("mock", "--port", "not-a-port")
    assert refused.returncode == 2 and "--port" in refused.stderr


def test_shell_completion() -> None:
    env = subprocess_env({"_MIRAFLOW_COMPLETE": "complete_bash", "COMP_WORDS": "miraflow av", "COMP_CWORD": "1"})
    completed = subprocess.run(cli_command(), env=env, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 0 and completed.stdout.split() == ["avatars"]
    script = run_cli("--show-completion", "bash")
    assert script.returncode == 0 and "_MIRAFLOW_COMPLETE" in script.stdout


_COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;[25];[0-9;]+)m")


def test_a_terminal_gets_a_progress_bar_without_colour_under_no_color(sim: SimulatorHandle) -> None:
    env = subprocess_env({**env_for(sim), "NO_COLOR": "1", "TERM": "xterm-256color"})
    args = ["create", "-a", PHOTO, "-t", "Hello there.", "--wait", "--time-scale", str(SCALE)]
    code, shown = run_in_terminal(args, env)
    assert code == 0, shown
    assert "━" in shown and "100%" in shown  # rich's bar, finished
    assert not _COLOUR.search(shown)
    assert_clean(shown)

    code, shown = run_in_terminal([*args, "--json"], env)
    assert code == 0
    assert json.loads(shown)["status"] == "inference_complete"  # only the JSON: no bar, no escape codes
