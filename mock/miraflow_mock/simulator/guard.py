"""The simulator's last line of defence: a body-size limit, and an answer in the API's shape for any crash.

A request whose body is larger than the spec's `x-request-limits.maxBodyBytes` gets a 413 before it is read whole:
a declared `Content-Length` is checked up front, a chunked body is counted as it streams. Any exception a handler did
not mean (anything but `ApiError`) becomes a 500 with the `Error` body, its traceback is logged once, and it is
counted in `ErrorLog`, which `GET /__admin/errors` shows, so a fuzz run can assert that none happened.
"""

from __future__ import annotations

import logging
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from miraflow_mock.simulator.backend import ApiError
from miraflow_mock.simulator.responses import error_response

__all__ = ["ErrorLog", "Guard", "RequestTooLarge", "ServerError", "error_routes"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

logger = logging.getLogger("miraflow_mock.simulator")

# Signed storage URLs stand for a separate service with its own limit (uploads of up to the spec's fileSize maximum).
_UNLIMITED_PREFIX = "/__files/"


class RequestTooLarge(ApiError):
    """A request body over the limit: answered 413 with the API's error shape."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than {limit} bytes")


@dataclass(frozen=True)
class ServerError:
    """One unexpected exception, as `GET /__admin/errors` shows it (no request body: it may hold a key)."""

    time: float
    method: str
    path: str
    type: str
    message: str

    def to_json(self) -> dict[str, Any]:
        """The error as the admin API shows it."""
        return {"time": self.time, "method": self.method, "path": self.path, "type": self.type, "message": self.message}


class ErrorLog:
    """Every unexpected exception since start: a count, and the most recent ones."""

    def __init__(self, keep: int = 100) -> None:
        self.count = 0
        self._recent: deque[ServerError] = deque(maxlen=keep)

    def add(self, error: ServerError) -> None:
        """Count an error and keep it among the recent ones."""
        self.count += 1
        self._recent.append(error)

    def recent(self) -> list[ServerError]:
        """The most recent errors, oldest first."""
        return list(self._recent)

    def clear(self) -> None:
        """Forget every error (the count goes back to 0)."""
        self.count = 0
        self._recent.clear()

    def to_json(self) -> dict[str, Any]:
        """`{"count": N, "errors": [...]}`, as `GET /__admin/errors` answers."""
        return {"count": self.count, "errors": [error.to_json() for error in self._recent]}


class Guard:
    """The body limit and the last-resort handler of one simulator."""

    def __init__(self, max_body_bytes: int, errors: ErrorLog, now: Callable[[], float]) -> None:
        self.max_body_bytes = max_body_bytes
        self.errors = errors
        self._now = now

    def limit_body(self, scope: Scope, receive: Receive) -> Receive:
        """`receive`, limited to the body size (raises `RequestTooLarge`).

        A declared length over the limit raises at once; a chunked body raises while it streams, once it grows past.
        """
        if scope["path"].startswith(_UNLIMITED_PREFIX):
            return receive
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                # The server has parsed it already (a malformed one never reaches the app): the body is that long.
                if value.isdigit() and int(value) > self.max_body_bytes:
                    raise RequestTooLarge(self.max_body_bytes)
                return receive
            if name == b"transfer-encoding":
                chunked = True
        return self._counting(receive) if chunked else receive

    def _counting(self, receive: Receive) -> Receive:
        limit = self.max_body_bytes
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise RequestTooLarge(limit)
            return message

        return counting_receive

    async def answer(self, exc: Exception, scope: Scope, send: Send) -> int | None:
        """Answer a request whose handling raised `exc`; returns the status sent (None: none could be).

        `ApiError` (a 413 from the limit, among others) is answered as meant. A client that went away gets nothing.
        Anything else is a server error: counted, its traceback logged once, answered 500 in the `Error` shape.
        """
        if isinstance(exc, ClientDisconnect):
            return None
        headers: dict[str, str] | None = None
        if isinstance(exc, ApiError):
            status, message = exc.status, exc.message
        elif isinstance(exc, HTTPException) and exc.status_code < 500:  # Starlette's routing: a 405 with its Allow
            status, message, headers = exc.status_code, exc.detail, dict(exc.headers or {})
        else:
            self.errors.add(
                ServerError(self._now(), scope.get("method", ""), scope.get("path", ""), type(exc).__name__, str(exc))
            )
            logger.error(
                "unexpected error answering %s %s\n%s",
                scope.get("method"),
                scope.get("path"),
                "".join(traceback.format_exception(exc)).rstrip(),
            )
            status, message = 500, "Internal server error"
        try:
            await error_response(status, message, headers)(scope, _no_receive, send)
        except Exception:  # the response had started: nothing more can be said on this connection
            return None
        return status


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def error_routes(errors: ErrorLog) -> list[Route]:
    """`GET /__admin/errors` (`{"count", "errors"}`) and `DELETE /__admin/errors` (count back to 0)."""

    async def errors_endpoint(request: Request) -> Response:
        if request.method == "DELETE":
            errors.clear()
            return JSONResponse({"cleared": True})
        return JSONResponse(errors.to_json())

    return [Route("/__admin/errors", errors_endpoint, methods=["GET", "DELETE"])]
