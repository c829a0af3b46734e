"""Start a local server (`miraflow-mock ...`) as a subprocess for the suite, and stop it afterwards."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from miraflow.ready_line import ReadyLine


@dataclass
class ServerProcess:
    """A `miraflow-mock` subcommand run as a child process; `url` is the server root it printed when ready."""

    args: Sequence[str]
    startup_timeout: float = 90.0
    process: subprocess.Popen[str] | None = None
    url: str = ""
    admin_url: str = ""

    def start(self) -> ServerProcess:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "miraflow_mock", *self.args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stdout], [], [], 0.5)
            if ready:
                line = self.process.stdout.readline()
                if not line:
                    break
                if (ready := ReadyLine.parse(line)) is not None:
                    self.url = ready.url.rstrip("/")
                    self.admin_url = ready.admin_url or ""
                    return self
            elif self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError(
            f"`miraflow-mock {' '.join(self.args)}` did not print its URL within {self.startup_timeout} s"
        )

    @property
    def api_root(self) -> str:
        return self.url + "/api"

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
