"""Run a simulator from Python or from tests: `start_simulator()` and the `SimulatorHandle` it returns.

```python
from miraflow_mock.testing import start_simulator

with start_simulator(clock="manual", seed=1) as sim:
    client = MyIntegration(api_root=sim.api_root, api_key=sim.key)
    job = client.start_video()
    sim.advance(600)  # ten minutes on the simulator's clock, at once
    assert client.status(job) == "inference_complete"
```

The simulator runs as a subprocess (`python -m miraflow_mock serve`) on a free loopback port.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from miraflow.ready_line import ReadyLine
from miraflow_mock.simulator.config import DEFAULT_TENANTS

__all__ = ["SimulatorError", "SimulatorHandle", "start_simulator"]


class SimulatorError(RuntimeError):
    """The simulator did not start, or an admin call failed."""


@dataclass
class SimulatorHandle:
    """A running simulator: its URLs, its tenants' keys, and helpers for its admin API."""

    url: str
    admin_url: str
    keys: tuple[str, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    process: subprocess.Popen[str] | None = field(default=None, repr=False)
    _http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=30.0), repr=False)

    @property
    def api_root(self) -> str:
        """The API root to configure clients with, such as `http://127.0.0.1:PORT/api`."""
        return self.url + "/api"

    @property
    def key(self) -> str:
        """The first tenant's API key."""
        return self.keys[0]

    def admin(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """Call the admin API (`path` below `/__admin`) and return its JSON answer."""
        response = self._http.request(method, f"{self.admin_url}/__admin{path}", json=body)
        if response.status_code >= 400:
            raise SimulatorError(f"{method} /__admin{path}: {response.status_code} {response.text}")
        return response.json()

    def advance(self, seconds: float) -> float:
        """Move a manual clock forward; returns the new time."""
        return float(self.admin("POST", "/clock/advance", {"seconds": seconds})["now"])

    def now(self) -> float:
        """The simulator's clock."""
        return float(self.admin("GET", "/clock")["now"])

    def add_fault(self, **fault: Any) -> str:
        """Inject a fault (fields as in mock/README.md, e.g. `operationId="getJobStatus", status=429, retryAfter=1`)."""
        return str(self.admin("POST", "/faults", fault)["id"])

    def clear_faults(self) -> None:
        """Remove every pending fault."""
        self.admin("DELETE", "/faults")

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """The request journal, oldest first; `filters` as `GET /__admin/requests` takes them (`status="4xx"`, ...)."""
        query = "?" + urlencode(filters) if filters else ""
        return list(self.admin("GET", f"/requests{query}")["requests"])

    def count_requests(self, method: str | None = None, url_path: str | None = None) -> int:
        """How many journaled requests match the method and path (None: any)."""
        body = {key: value for key, value in (("method", method), ("urlPath", url_path)) if value is not None}
        return int(self.admin("POST", "/requests/count", body)["count"])

    def jobs(self) -> list[dict[str, Any]]:
        """Every job, with tenant, mode, state and its times on the simulator's clock."""
        return list(self.admin("GET", "/jobs")["jobs"])

    def tenants(self) -> list[dict[str, Any]]:
        """Every tenant's name, key hint and credits."""
        return list(self.admin("GET", "/tenants")["tenants"])

    def set_credits(self, key: str, credits: int) -> None:
        """Set a tenant's balance (adding the tenant if the key is new)."""
        self.admin("POST", "/tenants", {"key": key, "credits": credits})

    def reset(self) -> None:
        """Back to the state at start."""
        self.admin("POST", "/reset")

    def add_scenario(self, **rule: Any) -> str:
        """Script the jobs of matching creates; returns the rule's id.

        Fields as in mock/README.md, e.g. `match={"name": "bad-*"}, outcome="inference_failed", atProgress=40`.
        """
        return str(self.admin("POST", "/scenarios", rule)["id"])

    def scenarios(self) -> list[dict[str, Any]]:
        """The scenario rules in force, with the jobs each has decided."""
        return list(self.admin("GET", "/scenarios")["scenarios"])

    def clear_scenarios(self) -> None:
        """Remove every scenario rule."""
        self.admin("DELETE", "/scenarios")

    def load_catalog(
        self,
        avatars: Iterable[Mapping[str, Any]] = (),
        voices: Iterable[Mapping[str, Any]] = (),
        *,
        tenant: str | None = None,
    ) -> None:
        """Add avatars and voices (the spec's `Avatar` and `Voice` shapes), for every tenant or one (name or key)."""
        query = f"?tenant={quote(tenant)}" if tenant else ""
        if avatars := list(avatars):
            self.admin("POST", f"/avatars{query}", {"avatars": avatars})
        if voices := list(voices):
            self.admin("POST", f"/voices{query}", {"voices": voices})

    def stop(self) -> None:
        """Stop the simulator (SIGINT, then SIGKILL if it lingers)."""
        self._http.close()
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_simulator(
    *,
    clock: str = "real",
    time_scale: float = 1.0,
    workers: int = 2,
    fail_rate: float = 0.0,
    seed: int | None = None,
    tenants: Mapping[str, int] | None = None,
    bugs: Iterable[str] = (),
    state: Path | None = None,
    validate: bool = False,
    catalog: Path | None = None,
    calibration: Path | None = None,
    business_errors: str | None = None,
    log_requests: bool = False,
    host: str = "127.0.0.1",
    port: int = 0,
    startup_timeout: float = 60.0,
    admin_allow: Iterable[str] = (),
    admin_token: str | None = None,
) -> SimulatorHandle:
    """Start `miraflow-mock serve` with these options on a free loopback port; wait until it is ready.

    `admin_token` reaches the simulator through its environment (not its command line, which `ps` shows), and the
    handle presents it on every admin call.
    """
    args = ["serve", "--host", host, "--port", str(port), "--clock", clock, "--time-scale", str(time_scale)]
    args += ["--workers", str(workers), "--fail-rate", str(fail_rate)]
    if seed is not None:
        args += ["--seed", str(seed)]
    for key, credits in (tenants or {}).items():
        args += ["--tenant", f"{key}:{credits}"]
    for bug in bugs:
        args += ["--bug", bug]
    if state is not None:
        args += ["--state", str(state)]
    if validate:
        args.append("--validate")
    if catalog is not None:
        args += ["--catalog", str(catalog)]
    if calibration is not None:
        args += ["--calibration", str(calibration)]
    if business_errors is not None:
        args += ["--business-errors", business_errors]
    if log_requests:  # the lines go to the handle's process.stdout: read them, or the pipe fills
        args.append("--log-requests")
    for address in admin_allow:
        args += ["--admin-allow", address]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("MIRAFLOW_MOCK_ADMIN_TOKEN", None)
    if admin_token:
        env["MIRAFLOW_MOCK_ADMIN_TOKEN"] = admin_token
    process = subprocess.Popen(
        [sys.executable, "-m", "miraflow_mock", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline()
            if not line:
                break
            if (ready_line := ReadyLine.parse(line)) is not None and ready_line.admin_url:
                keys = tuple(tenants) if tenants else tuple(tenant.key for tenant in DEFAULT_TENANTS)
                options = {"clock": clock, "time_scale": time_scale, "workers": workers, "fail_rate": fail_rate}
                headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else None
                return SimulatorHandle(
                    url=ready_line.url,
                    admin_url=ready_line.admin_url,
                    keys=keys,
                    options=options,
                    process=process,
                    _http=httpx.Client(timeout=30.0, headers=headers),
                )
        elif process.poll() is not None:
            break
    process.kill()
    process.wait()
    raise SimulatorError(f"the simulator did not start (miraflow-mock {' '.join(args)})")
