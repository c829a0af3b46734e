"""`miraflow-mock serve --log-requests`: one line per request, naming the tenant and the job, never the key."""

from __future__ import annotations

import io
import re
import select
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from miraflow_mock.simulator.journal import Entry
from miraflow_mock.simulator.request_log import RequestLog, format_line

MARGOT = "cmdms9d3s001no401kqwbr0q5"
KEY = "sk-log-secret-1"


class Server:
    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "miraflow_mock", "serve", "--port", "0", "--clock", "manual", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        ready = self.line(60)
        match = re.search(r"ready at (\S+) ", ready)
        assert match, ready
        self.url = match.group(1)

    def line(self, timeout: float = 10) -> str:
        stdout = self.process.stdout
        assert stdout is not None
        readable, _, _ = select.select([stdout], [], [], timeout)
        assert readable, "no line on stdout"
        return stdout.readline().rstrip("\n")

    def stop(self) -> str:
        """Stop the server; the rest of its stdout."""
        if self.process.returncode is not None:
            return ""
        self.process.terminate()
        rest, _ = self.process.communicate(timeout=30)
        return str(rest)


@pytest.fixture
def logging_server() -> Iterator[Server]:
    server = Server("--log-requests", "--tenant", f"{KEY}:100")
    yield server
    server.stop()


def test_each_request_is_one_line_with_tenant_job_and_latency(logging_server: Server) -> None:
    http = httpx.Client(base_url=logging_server.url + "/api/", headers={"x-api-key": KEY})
    job = http.post("video/create", json={"avatarId": MARGOT, "name": "log", "text": "Hello."}).json()["jobId"]
    created = logging_server.line()
    assert re.search(rf"POST +/api/video/create +200 +\d+\.\d ms  tenant=tenant-1  job={job}$", created), created
    http.get(f"video/{job}/status")
    polled = logging_server.line()
    assert re.search(rf"GET +/api/video/{job}/status +200 +\d+\.\d ms  tenant=tenant-1  job={job}$", polled), polled
    httpx.get(logging_server.url + "/api/avatars", headers={"x-api-key": "sk-wrong"})
    assert re.search(r"GET +/api/avatars +401 .* tenant=-$", logging_server.line())
    httpx.post(logging_server.url + "/__admin/faults", json={"operationId": "listAvatars", "status": 429})
    http.get("avatars")
    assert re.search(r"GET +/api/avatars +429 .* tenant=tenant-1  fault=1$", logging_server.line())
    http.get("voices")
    rest = logging_server.stop()  # the last line is written before the server exits
    assert re.search(r"GET +/api/voices +200 .* tenant=tenant-1$", rest), rest
    assert KEY not in rest and "sk-wrong" not in rest
    assert "/__admin" not in rest  # the admin API (and the dashboard's polling) is not logged


def test_signed_urls_are_logged_without_their_query() -> None:
    entry = Entry(0.0, "GET", "/__files/videos/cabc.mp4", b"expires=1&signature=deadbeef", None, status=200)
    entry.latency = 0.0123
    line = format_line(entry, {}, wall_time=0.5)
    assert "deadbeef" not in line and "expires" not in line
    assert re.search(r"\.500 GET +/__files/videos/cabc\.mp4 +200 +12\.3 ms  tenant=-$", line)


def test_a_dropped_connection_says_so() -> None:
    entry = Entry(0.0, "POST", "/api/video/create", b"", "createVideo", status=None, tenant="demo-1", fault="3")
    line = format_line(entry, {}, wall_time=0.0)
    assert re.search(r"POST +/api/video/create +--- +tenant=demo-1  fault=3  \(connection dropped\)$", line)


def test_lines_written_outside_an_event_loop_go_out_at_once() -> None:
    stream = io.StringIO()
    log = RequestLog(lambda entry: {}, stream)
    log.write(Entry(0.0, "GET", "/api/avatars", b"", "listAvatars", status=200, tenant="demo-1"))
    assert stream.getvalue().count("\n") == 1 and "/api/avatars" in stream.getvalue()


def test_without_the_flag_only_the_ready_line_is_printed() -> None:
    server = Server("--tenant", f"{KEY}:100")
    try:
        assert httpx.get(server.url + "/api/avatars", headers={"x-api-key": KEY}).status_code == 200
    finally:
        rest = server.stop()
    assert rest == ""
