"""`miraflow` against a hostile server on a real socket: one line on stderr and an exit code, never a traceback.

The server answers every request with what hypothesis drew (any status, body, content type, Content-Length, huge
headers, a body cut short). The client's clock is a fake one, so retries and their Retry-After cost no time.
"""

from __future__ import annotations

import functools
import random
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import miraflow.cli.connection
from miraflow import Miraflow
from tests.sdk.conftest import FakeClock
from tests.sdk.test_hostile_responses import Answer, answers

from .conftest import KEY, Invoke


class HostileServer:
    """Answers every request on a loopback port with `self.answer`, then closes the connection."""

    def __init__(self) -> None:
        self.answer = Answer(200, (), b"{}", None)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def api_root(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/api"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        answer = self.answer
        with conn:
            try:
                conn.settimeout(5)
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    request += chunk
                head = f"HTTP/1.1 {answer.status} X\r\nconnection: close\r\n".encode()
                names = {name.lower() for name, _ in answer.headers}
                headers = list(answer.headers)
                if "content-length" not in names and answer.status >= 200 and answer.status not in (204, 304):
                    headers.append(("content-length", str(len(answer.body))))
                head += b"".join(f"{name}: {value}\r\n".encode("latin-1") for name, value in headers) + b"\r\n"
                body = answer.body if answer.cut_after is None else answer.body[: answer.cut_after]
                conn.sendall(head + body)
            except OSError:
                pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.listener.close()


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    hostile = HostileServer()
    yield hostile
    hostile.close()


@pytest.fixture
def fast_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's client, as made by `connect`, with a fake clock (retries sleep no time) and a 0.5 s timeout."""
    monkeypatch.setattr(
        miraflow.cli.connection,
        "Miraflow",
        functools.partial(Miraflow, _clock=FakeClock(), _rng=random.Random(0), timeout=0.5),
    )


COMMANDS = (
    ("avatars",),
    ("voices",),
    ("videos",),
    ("status", "cm42ab3ou0008aggajj0jy5e2"),
    ("wait", "cm42ab3ou0008aggajj0jy5e2", "--timeout", "60"),
    ("create", "-a", "Margot", "-t", "Hello there."),
    ("create", "-a", "Margot", "-t", "Hello there.", "--json"),
    ("download", "cm42ab9zz0010aggaxyzvid01", "-o", "{tmp}"),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(answer=answers(), command=st.sampled_from(COMMANDS))
def test_any_answer_gives_output_or_one_line_and_an_exit_code(
    server: HostileServer, fast_client: None, tmp_path: Path, answer: Answer, command: tuple[str, ...]
) -> None:
    server.answer = answer
    args = [part.replace("{tmp}", str(tmp_path)) for part in command]
    result = Invoke()(*args, env={"MIRAFLOW_API_KEY": KEY, "MIRAFLOW_BASE_URL": server.api_root})  # no traceback
    if result.exit_code != 0:
        assert result.exit_code in (1, 2, 3, 4), (result.exit_code, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert lines and lines[-1].startswith("miraflow: "), result.stderr
        assert "unexpected" not in result.stderr.lower(), result.stderr
