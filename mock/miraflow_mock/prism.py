"""Running Prism, pinned in mock/package.json, as a mock of openapi.yaml or as a validating proxy in front of a server.

Prism is a Node program. Its exact version comes from `package.json` and `package-lock.json`: in a source checkout the
ones in `mock/`, in an installed wheel the copies packaged beside this module, installed with `npm ci` into a cache
folder the first time they are needed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from miraflow.spec import spec_path

__all__ = [
    "NodeToolsError",
    "PrismProcess",
    "PrismStartError",
    "ensure_node_tools",
    "free_port",
    "node_tools_dir",
    "prism_binary",
    "wait_for_port",
]

_PACKAGE_DIR = Path(__file__).resolve().parent


class NodeToolsError(RuntimeError):
    """Node, npm or the pinned Node packages are missing and cannot be installed."""


class PrismStartError(RuntimeError):
    """Prism was started but did not come up: it exited, or nothing listened on its port in time."""


def node_tools_dir() -> Path:
    """The folder holding the pinned package.json, where `npm ci` installs node_modules.

    `MIRAFLOW_NODE_DIR` overrides it. A source checkout uses `mock/` itself; an installed wheel copies its packaged
    manifest into a per-version cache folder.
    """
    if override := os.environ.get("MIRAFLOW_NODE_DIR"):
        return Path(override)
    checkout = _PACKAGE_DIR.parent
    if (checkout / "package.json").is_file():
        return checkout
    packaged = _PACKAGE_DIR / "node"
    cache_root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "miraflow" / "node-tools"
    target = cache_root / _lock_digest(packaged / "package-lock.json")
    target.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        if not (target / name).is_file():
            shutil.copyfile(packaged / name, target / name)
    return target


def _lock_digest(lock: Path) -> str:
    return hashlib.sha256(lock.read_bytes()).hexdigest()[:16]


def ensure_node_tools(directory: Path | None = None) -> Path:
    """Install the pinned Node packages with `npm ci` if they are missing; return the folder."""
    directory = directory or node_tools_dir()
    if (directory / "node_modules" / ".bin" / "prism").exists():
        return directory
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise NodeToolsError("Prism needs Node.js 20+ and npm on PATH; install them, then try again")
    print(f"miraflow-mock: installing the pinned Prism with `npm ci` in {directory}", file=sys.stderr)
    completed = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=directory,
        stdout=sys.stderr,
        check=False,
    )
    if completed.returncode != 0:
        raise NodeToolsError(f"`npm ci` failed in {directory} (exit {completed.returncode})")
    return directory


def prism_binary() -> Path:
    """The pinned Prism executable, installed first if needed."""
    return ensure_node_tools() / "node_modules" / ".bin" / "prism"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on `host` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(host: str, port: int, *, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    """Block until something accepts TCP connections on host:port; fail early if `process` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before it listened on {port}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listened on {host}:{port} within {timeout:.0f} s")


@dataclass
class PrismProcess:
    """Prism as a child process: `mock` serves the spec's examples; `proxy` validates traffic to an upstream server.

    Use it as a context manager, or call `start()` and `stop()`. Prism's binary is started directly, so there is one
    process to stop. Its log level stays at `warn` or quieter: info logging halves its throughput.
    """

    mode: str = "mock"
    host: str = "127.0.0.1"
    port: int = 0
    upstream: str | None = None
    errors: bool = False
    # Proxy mode: whether Prism refuses requests that break the spec itself (422) instead of forwarding them.
    validate_request: bool = True
    log_level: str = "warn"
    extra_args: Sequence[str] = ()
    startup_timeout: float = 60.0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in ("mock", "proxy"):
            raise ValueError(f"mode must be 'mock' or 'proxy', not {self.mode!r}")
        if self.mode == "proxy" and not self.upstream:
            raise ValueError("proxy mode needs an upstream URL")
        if self.port == 0:
            self.port = free_port(self.host)

    @property
    def url(self) -> str:
        """The server's root URL; the API root is this plus `/api`."""
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        """The command line that starts Prism."""
        args = [str(prism_binary()), self.mode, "-h", self.host, "-p", str(self.port), "-v", self.log_level]
        if self.errors:
            args.append("--errors")
        if self.mode == "proxy" and not self.validate_request:
            args.append("--validate-request=false")
        args.extend(self.extra_args)
        args.append(str(spec_path()))
        if self.mode == "proxy":
            assert self.upstream is not None
            args.append(self.upstream)
        return args

    def start(self) -> PrismProcess:
        """Start Prism and wait until it accepts connections."""
        self._process = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=sys.stderr,
            start_new_session=True,  # a terminal's Ctrl-C reaches us; we stop Prism ourselves
        )
        try:
            wait_for_port(self.host, self.port, timeout=self.startup_timeout, process=self._process)
        except (RuntimeError, TimeoutError) as exc:
            self.stop()
            raise PrismStartError(str(exc)) from exc
        except BaseException:
            self.stop()
            raise
        return self

    def wait(self) -> int:
        """Block until Prism exits; return its exit code."""
        assert self._process is not None, "start() first"
        return self._process.wait()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop Prism: SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> PrismProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
