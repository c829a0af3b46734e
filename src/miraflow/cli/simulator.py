"""The local simulator, run as a subprocess: `miraflow mock` (a pass-through) and the one `miraflow demo` starts.

The CLI never imports the simulator: it runs `python -m miraflow_mock serve ...` (installed by the `mock` extra) and
talks to it over HTTP, like any client. The child runs in its own process group, so a Ctrl-C in the terminal reaches
only the CLI, which then stops the child itself: forwarding the signal for `miraflow mock`, stopping it (SIGINT, then
SIGKILL if it lingers) when the demo ends, fails or is interrupted.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from types import FrameType, TracebackType
from typing import IO, Any

import attrs
import httpx

from miraflow.cli.errors import CLIError, ExitCode
from miraflow.ready_line import ReadyLine

__all__ = ["SIMULATOR_PACKAGE", "LocalSimulator", "require_simulator", "run_mock", "start_simulator"]

SIMULATOR_PACKAGE = "miraflow_mock"
_STOP_GRACE = 10.0
_FORWARDED = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT") if hasattr(signal, name)
)


def require_simulator() -> None:
    """Raise a `CLIError` saying how to install the simulator if `miraflow_mock` is missing."""
    if importlib.util.find_spec(SIMULATOR_PACKAGE) is None:
        raise CLIError(
            "the local simulator is not installed: install the project with its mock extra "
            "(pip install 'miraflow[mock]'), or run scripts/demo",
            ExitCode.API_ERROR,
        )


def _command(args: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", SIMULATOR_PACKAGE, "serve", *args]


def _own_group() -> dict[str, Any]:
    """Popen arguments that start the child in a process group of its own."""
    if sys.platform == "win32":  # pragma: no cover - Windows
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


_MOCK_PROG = "miraflow-mock serve"
_HELP_FLAGS = frozenset({"-h", "--help"})


def _mock_help(args: Sequence[str]) -> int:
    """`miraflow mock --help`: the simulator's help, titled with the command the user typed (`miraflow mock`)."""
    shown = subprocess.run(_command(args), stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    sys.stdout.write(_retitled(shown.stdout))
    sys.stdout.flush()
    sys.stderr.write(_retitled(shown.stderr))
    return shown.returncode


def _retitled(text: str, title: str = "miraflow mock") -> str:
    """The argparse text with `title` for its program name, the usage's continuation lines aligned again."""
    indent = " " * len(f"usage: {_MOCK_PROG} ")
    lines = [
        " " * len(f"usage: {title} ") + line[len(indent) :] if line.startswith(indent) and line.strip() else line
        for line in text.split("\n")
    ]
    return "\n".join(lines).replace(_MOCK_PROG, title)


def run_mock(args: Sequence[str]) -> int:
    """Run `miraflow-mock serve ARGS` in the foreground, forwarding signals; return its exit code.

    A person runs it to watch their app talk to the simulator, so it logs each request (`--log-requests`; the
    caller's `--no-log-requests`, coming later, wins). A child killed by a signal gives 128 + the signal's number,
    as a shell reports it.
    """
    require_simulator()
    if _HELP_FLAGS.intersection(args[: args.index("--")] if "--" in args else args):
        return _mock_help(args)
    process = subprocess.Popen(_command(["--log-requests", *args]), stdin=subprocess.DEVNULL, **_own_group())

    def forward(signum: int, frame: FrameType | None) -> None:
        if process.poll() is None:
            process.send_signal(signum)

    previous = {signum: signal.signal(signum, forward) for signum in _FORWARDED}
    try:
        code = process.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if process.poll() is None:
            _stop(process)
    return 128 - code if code < 0 else code


@attrs.define
class LocalSimulator(contextlib.AbstractContextManager["LocalSimulator"]):
    """A simulator this process started: its URLs, the key of its one tenant, and the process."""

    url: str
    api_root: str
    admin_url: str
    key: str
    time_scale: float
    process: subprocess.Popen[str]
    _log: IO[str]

    def count_requests(self, *, method: str | None = None, url_path: str | None = None) -> int:
        """How many requests its journal holds that match (`POST /__admin/requests/count`)."""
        body = {name: value for name, value in (("method", method), ("urlPath", url_path)) if value is not None}
        response = httpx.post(f"{self.admin_url}/__admin/requests/count", json=body, timeout=10.0)
        response.raise_for_status()
        return int(response.json()["count"])

    def stop(self) -> None:
        """Stop it (SIGINT, then SIGKILL after a grace period) and wait until it has exited."""
        _stop(self.process)
        self._log.close()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is not None:
        return
    try:
        if sys.platform == "win32":  # pragma: no cover - Windows
            process.terminate()
        else:
            process.send_signal(signal.SIGINT)
        process.wait(_STOP_GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    except KeyboardInterrupt:  # a second Ctrl-C while it stops: stop now
        process.kill()
        process.wait()
        raise


def start_simulator(
    *, key: str, credits: int, time_scale: float, seed: int | None, startup_timeout: float = 60.0
) -> LocalSimulator:
    """Start `miraflow-mock serve` on a free loopback port with one tenant; return once its ready line is read."""
    require_simulator()
    args = ["--host", "127.0.0.1", "--port", "0", "--time-scale", repr(time_scale), "--tenant", f"{key}:{credits}"]
    if seed is not None:
        args += ["--seed", str(seed)]
    # The simulator's stderr, shown if it fails to start; it lives as long as the simulator (closed by `stop`).
    log = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115
    process = subprocess.Popen(
        _command(args),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        **_own_group(),
    )
    try:
        match = _await_ready(process, startup_timeout)
    except BaseException:
        _stop(process)
        log.close()
        raise
    if match is None or match.admin_url is None:
        _stop(process)
        log.seek(0)
        last = [line.strip() for line in log.read().splitlines() if line.strip()][-1:]
        log.close()
        detail = f": {last[0]}" if last else ""
        raise CLIError(f"the local simulator did not start{detail}", ExitCode.API_ERROR)
    return LocalSimulator(
        url=match.url,
        api_root=match.api_root,
        admin_url=match.admin_url,
        key=key,
        time_scale=time_scale,
        process=process,
        log=log,
    )


def _await_ready(process: subprocess.Popen[str], timeout: float) -> ReadyLine | None:
    """Read the child's stdout (on a thread, so the wait has a deadline on every platform) until its ready line."""
    lines: queue.Queue[str | None] = queue.Queue()
    stdout = process.stdout
    assert stdout is not None

    def pump() -> None:
        for line in stdout:  # keeps draining after the ready line, so the child never blocks on a full pipe
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, name="miraflow-simulator-stdout", daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.0))
            if line is None:
                return None
            if (ready := ReadyLine.parse(line)) is not None:
                return ready
    except queue.Empty:
        return None
