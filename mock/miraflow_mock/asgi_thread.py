"""An ASGI app served without a socket: its own event loop in a background thread, one exchange per request.

The in-process mock (`miraflow_mock.inprocess`) answers intercepted HTTP requests with the simulator's ASGI app through
this. The app keeps all its state in that one loop, as it does under uvicorn, so sync callers (requests, httpx.Client)
and async callers (httpx.AsyncClient, on any loop of their own) can share one simulator. Nothing here knows httpx or
requests: an `Exchange` is the bytes a server would have put on the wire, and whether it finished.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

__all__ = ["LOOPBACK_CLIENT", "AppThread", "Exchange", "ExchangeTimeout"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]
T = TypeVar("T")

# An in-process request comes from this process: the app sees a loopback client, as it would over 127.0.0.1
# (so whatever the app allows only from the local machine, such as its admin API, stays allowed).
LOOPBACK_CLIENT = ("127.0.0.1", 0)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_log = logging.getLogger("miraflow_mock.inprocess")


class ExchangeTimeout(TimeoutError):
    """The app did not answer within the caller's read timeout."""


@dataclass
class Exchange:
    """What came back for one request: as a client would have read it off a connection."""

    status: int | None  # None: the connection closed before a response began
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""
    complete: bool = False  # False: the connection closed part-way (a dropped or truncated response)


class _Transport:
    """The part of a connection's transport an app may use to hang up (the simulator's drop and truncate faults)."""

    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        """Close the connection: nothing more reaches the client."""
        self.closed = True

    def is_closing(self) -> bool:
        """Tell whether the connection is closed."""
        return self.closed


class _Connection:
    """One request's connection: the app's `receive` and `send` (bound, with a `transport`, as uvicorn's is)."""

    def __init__(self, body: bytes) -> None:
        self.transport = _Transport()
        self._body: bytes | None = body
        self._finished = asyncio.Event()
        self.status: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.complete = False

    async def receive(self) -> Message:
        """The request's body in one message, then (once the response is done) a disconnect."""
        if self._body is not None:
            body, self._body = self._body, None
            return {"type": "http.request", "body": body, "more_body": False}
        await self._finished.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        """Take the response's start and body messages; anything after a hang-up or the end is lost, as on a socket."""
        if self.transport.closed or self.complete:
            return
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = [(bytes(name), bytes(value)) for name, value in message.get("headers", [])]
        elif message["type"] == "http.response.body" and self.status is not None:
            self.chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                self.complete = True
                self._finished.set()

    def finish(self) -> Exchange:
        """What the client got."""
        self._finished.set()
        if self.status is None:
            return Exchange(None)
        return Exchange(self.status, self.headers, b"".join(self.chunks), self.complete and not self.transport.closed)


class AppThread:
    """An ASGI app on an event loop of its own, in a daemon thread; `exchange` sends it one request."""

    def __init__(self, app: ASGIApp, *, name: str = "miraflow-mock") -> None:
        self.app = app
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()
        self._closed = False

    def run(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule `coroutine` on the app's loop."""
        if self._closed:
            coroutine.close()
            raise RuntimeError("the in-process simulator has stopped")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def exchange(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        *,
        root_path: str = "",
        timeout: float | None = None,
    ) -> Exchange:
        """Send one request and wait for its whole response (raises `ExchangeTimeout` after `timeout` seconds)."""
        future = self.run(self._serve(_scope(method, url, headers, root_path), body))
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ExchangeTimeout(f"no response within {timeout:g} s") from None

    async def aexchange(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        *,
        root_path: str = "",
        timeout: float | None = None,
    ) -> Exchange:
        """`exchange` for a caller on an event loop: waits without blocking that loop."""
        future = self.run(self._serve(_scope(method, url, headers, root_path), body))
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except TimeoutError:
            raise ExchangeTimeout(f"no response within {timeout:g} s") from None

    async def _serve(self, scope: Scope, body: bytes) -> Exchange:
        connection = _Connection(body)
        try:
            await self.app(scope, connection.receive, connection.send)
        except Exception:
            # What uvicorn does with an app's exception: log it, and answer 500 if no response had begun.
            _log.exception("the simulator failed on %s %s", scope["method"], scope["path"])
            if connection.status is None and not connection.transport.closed:
                text = b"Internal Server Error"
                headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"%d" % len(text))]
                return Exchange(500, headers, text, True)
        return connection.finish()

    def close(self) -> None:
        """Cancel what is still running on the loop, stop it and wait for the thread."""
        if self._closed:
            return
        self._closed = True

        async def cancel_all() -> None:
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(cancel_all(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        if not self._thread.is_alive():
            self._loop.close()


def _scope(method: str, url: str, headers: Sequence[tuple[bytes, bytes]], root_path: str) -> Scope:
    """The ASGI scope uvicorn would give a request for `url` (`root_path`: the part of its path above the app)."""
    parts = urlsplit(url)
    scheme = parts.scheme or "http"
    host = parts.hostname or "localhost"
    port = parts.port or _DEFAULT_PORTS.get(scheme, 80)
    raw_path = parts.path or "/"
    if root_path and raw_path.startswith(root_path):
        raw_path = raw_path[len(root_path) :] or "/"
    header_list = [(name.lower(), value) for name, value in headers]
    if not any(name == b"host" for name, _ in header_list):
        header_list.insert(0, (b"host", parts.netloc.encode("ascii")))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": scheme,
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("ascii", errors="replace"),
        "query_string": parts.query.encode("ascii", errors="replace"),
        "root_path": root_path,
        "headers": header_list,
        "client": LOOPBACK_CLIENT,
        "server": (host, port),
        "state": {},
    }
