"""Running `miraflow` in tests: in-process through typer's runner, or as a real subprocess, against the simulator.

Every simulator here knows one tenant whose key is unique to this test session (`KEY`); `assert_clean` checks that
neither it nor a traceback ever shows up in what a command printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from miraflow.cli import app
from miraflow_mock.testing import SimulatorHandle

KEY = f"sk-unique-{uuid.uuid4().hex}"
"""The only key the test simulators accept; no output may ever contain it."""
WRONG_KEY = f"sk-unique-wrong-{uuid.uuid4().hex}"
"""A key no simulator accepts; no output may contain it either."""
SCALE = 0.01  # the real-clock simulators' time scale: a preview takes 0.6–1.2 s, a full-background video 3–6 s
PHOTO, VIDEO_AVATAR = "Margot", "Aerin"  # stock avatars of the simulator (the guide's)


def assert_clean(*texts: str) -> None:
    """No key and no traceback in any of `texts`."""
    for text in texts:
        assert KEY not in text
        assert WRONG_KEY not in text
        assert "Traceback" not in text


def assert_one_line_error(
    result: Result | subprocess.CompletedProcess[str],
    code: int,
    *,
    stdout_empty: bool = True,
    json_error: bool = False,
) -> str:
    """The command failed with `code`, printing exactly one line on stderr; returns the line.

    `stdout_empty`: and nothing on stdout (a command that made progress before failing, such as a create before its
    wait, has said so there). `json_error` (the command had --json): stdout is exactly the failure's JSON object.
    """
    stdout, stderr = result.stdout, result.stderr
    code_seen = result.exit_code if isinstance(result, Result) else result.returncode
    assert code_seen == code, (code_seen, stdout, stderr)
    if json_error:
        assert_json_error(stdout, code, stderr)
    elif stdout_empty:
        assert stdout == ""
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("miraflow: ")
    assert_clean(stdout, stderr)
    return lines[0]


def assert_json_error(stdout: str, code: int, stderr: str | None = None) -> dict[str, Any]:
    """`stdout` is exactly one JSON object `{"error": {type, message, status, exitCode}, "job": ...}` for `code`.

    With `stderr`, the error's message is the one the stderr line says.
    """
    import json

    document: dict[str, Any] = json.loads(stdout)  # one document: json.loads refuses trailing data
    assert set(document) == {"error", "job"}, document
    error = document["error"]
    assert {"type", "message", "status", "exitCode"} <= set(error), error
    assert error["exitCode"] == code and isinstance(error["type"], str) and error["type"]
    if stderr is not None:
        assert error["message"] in stderr
    return document


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing from the developer's environment: no key, no base URL, no debug logging."""
    for name in ("MIRAFLOW_API_KEY", "MIRAFLOW_BASE_URL", "MIRAFLOW_LOG", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sim(miraflow_simulator_factory: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    """A real-clock simulator at `SCALE`, reset for this test."""
    return miraflow_simulator_factory(clock="real", time_scale=SCALE, seed=7, tenants={KEY: 1000})


@pytest.fixture
def frozen_sim(miraflow_simulator_factory: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    """A manual-clock simulator: its jobs never finish unless a test advances the clock."""
    return miraflow_simulator_factory(clock="manual", seed=7, tenants={KEY: 1000})


@pytest.fixture
def failing_sim(miraflow_simulator_factory: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    """A real-clock simulator where every job fails."""
    return miraflow_simulator_factory(clock="real", time_scale=SCALE, seed=7, fail_rate=1.0, tenants={KEY: 1000})


def env_for(handle: SimulatorHandle, key: str = KEY) -> dict[str, str]:
    """The environment that points `miraflow` at a simulator."""
    return {"MIRAFLOW_API_KEY": key, "MIRAFLOW_BASE_URL": handle.api_root}


class Invoke:
    """`miraflow ARGS` in-process, through typer's runner; stdout and stderr apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        result = self.runner.invoke(app, list(args), env=env, input=input, prog_name="miraflow")
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        assert_clean(result.stdout, result.stderr)
        return result


@pytest.fixture
def invoke() -> Invoke:
    return Invoke()


def cli_command(*args: str) -> list[str]:
    """The command line that runs `miraflow ARGS` as a subprocess of this interpreter."""
    return [sys.executable, "-m", "miraflow.cli", *args]


def subprocess_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without MIRAFLOW_* (and unbuffered), plus `extra`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("MIRAFLOW_")}
    env.pop("NO_COLOR", None)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `miraflow ARGS` to completion as a subprocess; check no key or traceback was printed."""
    result = subprocess.run(
        cli_command(*args),
        env=subprocess_env(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )
    assert_clean(result.stdout, result.stderr)
    return result


def start_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen[str]:
    """Start `miraflow ARGS` as a subprocess (stdout and stderr piped)."""
    return subprocess.Popen(
        cli_command(*args),
        env=subprocess_env(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run_in_terminal(
    args: Sequence[str], env: dict[str, str], *, answers: dict[str, str] | None = None
) -> tuple[int, str]:
    """Run `miraflow ARGS` on a pseudo-terminal (stdin, stdout and stderr); return its code and what it showed.

    `answers`: when what it showed ends with a key (a prompt), type the value.
    """
    import pty
    import select

    leader, follower = pty.openpty()
    process = subprocess.Popen(cli_command(*args), stdin=follower, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    shown = b""
    pending = dict(answers or {})
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the terminal closed: the process is gone
                    break
                if not chunk:
                    break
                shown += chunk
                for prompt, answer in list(pending.items()):
                    if shown.decode("utf-8", errors="replace").rstrip().endswith(prompt):
                        os.write(leader, answer.encode())
                        del pending[prompt]
            elif process.poll() is not None:
                break
    finally:
        os.close(leader)
    return process.wait(timeout=60), shown.decode("utf-8", errors="replace")


def eventually(check: Callable[[], Any], *, within: float = 30.0, what: str = "the condition") -> Any:
    """Poll `check` until it returns something truthy (not a timed assertion: a generous bound on a wait)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {within} s")


def files_in(folder: Path) -> list[str]:
    """Every entry of `folder`, hidden ones (a `.name.part` left behind) included."""
    return sorted(os.listdir(folder)) if folder.exists() else []


@pytest.fixture
def make_video(sim: SimulatorHandle, invoke: Invoke) -> Callable[..., dict[str, Any]]:
    """Make a complete video on `sim` through the CLI; returns `create --wait --json`'s answer."""
    import json

    def make(*extra: str) -> dict[str, Any]:
        args = ["create", "--avatar", PHOTO, "--text", "Hello from the CLI tests.", "--wait", "--json"]
        result = invoke(*args, "--time-scale", str(SCALE), *extra, env=env_for(sim))
        assert result.exit_code == 0, result.stderr
        answer: dict[str, Any] = json.loads(result.stdout)
        return answer

    return make


def stop(process: subprocess.Popen[str]) -> None:
    """Kill a subprocess a test started, if it still runs."""
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=30)


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Subprocesses a test starts; any still running at its end are killed."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        stop(process)


def journal_paths(handle: SimulatorHandle, method: str | None = None) -> Sequence[str]:
    """The paths of the requests the simulator's journal holds (of `method`, if given)."""
    return [entry["path"] for entry in handle.requests() if method is None or entry["method"] == method]
