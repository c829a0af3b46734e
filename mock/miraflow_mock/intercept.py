"""Send HTTP requests for chosen server roots to an in-process app: httpx through respx, requests through responses.

`AppTransport` is the one bridge from httpx to an `AppThread` (sync and async); respx's routes call it, and so does
the in-process handle's own admin client. requests goes through a `responses` callback on the same `AppThread`.
Requests for any other URL pass through to the network untouched, as under moto's `mock_aws`.

What a client sees matches a socket: a connection dropped before an answer is a transport error (httpx's
`RemoteProtocolError`, requests' `ConnectionError`), a truncated body fails while it is read, and a read timeout
shorter than an injected latency is a timeout.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import requests
import responses
import respx

from miraflow_mock.asgi_thread import AppThread, Exchange, ExchangeTimeout

__all__ = ["AppTransport", "Interceptor", "ServerRoot"]

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Framing belongs to the connection, not the message: a body handed over whole carries no chunk markers.
_HOP_BY_HOP = {b"transfer-encoding", b"connection", b"keep-alive"}
# Set while respx resolves a request of an httpx.AsyncClient: the side effect then returns a coroutine.
_ASYNC_CALLER: ContextVar[bool] = ContextVar("miraflow_mock_async_caller", default=False)


@dataclass(frozen=True)
class ServerRoot:
    """A server root to answer (`https://miraflow.ai`): scheme, host, port and the path above the app."""

    url: str

    @functools.cached_property
    def root_path(self) -> str:
        """The path the app sits under (empty for `https://miraflow.ai`)."""
        return urlsplit(self.url).path.rstrip("/")

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        """Matches every URL below this root."""
        parts = urlsplit(self.url)
        default = {"http": ":80", "https": ":443"}.get(parts.scheme, "")
        host = re.escape(f"{parts.scheme}://{parts.hostname}")
        port = re.escape(f":{parts.port}") if parts.port else f"(?:{re.escape(default)})?"
        return re.compile(f"^{host}{port}{re.escape(self.root_path)}(?:[/?#]|$)", re.IGNORECASE)


def _response_headers(exchange: Exchange) -> list[tuple[bytes, bytes]]:
    return [(name, value) for name, value in exchange.headers if name.lower() not in _HOP_BY_HOP]


def _declared_length(exchange: Exchange) -> int | None:
    for name, value in exchange.headers:
        if name.lower() == b"content-length" and value.isdigit():
            return int(value)
    return None


class _CutShortStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body the server stopped sending part-way: its bytes, then the error httpx raises for a closed connection."""

    def __init__(self, exchange: Exchange, request: httpx.Request) -> None:
        self._body = exchange.body
        self._expected = _declared_length(exchange)
        self._request = request

    def _error(self) -> httpx.RemoteProtocolError:
        expected = f", expected {self._expected}" if self._expected is not None else ""
        message = f"peer closed connection without sending complete message body: received {len(self._body)} bytes"
        return httpx.RemoteProtocolError(message + expected, request=self._request)

    def __iter__(self) -> Iterator[bytes]:
        if self._body:
            yield self._body
        raise self._error()

    async def __aiter__(self) -> Any:
        if self._body:
            yield self._body
        raise self._error()


class AppTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """An httpx transport (sync and async) whose requests the in-process app answers."""

    def __init__(self, app: AppThread, root: ServerRoot) -> None:
        self._app = app
        self._root = root

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Answer `request` from the app."""
        body = request.read()
        try:
            exchange = self._app.exchange(
                request.method,
                str(request.url),
                request.headers.raw,
                body,
                root_path=self._root.root_path,
                timeout=_read_timeout(request),
            )
        except ExchangeTimeout as exc:
            raise httpx.ReadTimeout(str(exc), request=request) from None
        return _httpx_response(exchange, request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer `request` from the app, without blocking the caller's event loop."""
        body = await request.aread()
        try:
            exchange = await self._app.aexchange(
                request.method,
                str(request.url),
                request.headers.raw,
                body,
                root_path=self._root.root_path,
                timeout=_read_timeout(request),
            )
        except ExchangeTimeout as exc:
            raise httpx.ReadTimeout(str(exc), request=request) from None
        return _httpx_response(exchange, request)


def _read_timeout(request: httpx.Request) -> float | None:
    timeout = request.extensions.get("timeout")
    value = timeout.get("read") if isinstance(timeout, dict) else None
    return float(value) if value is not None else None


def _httpx_response(exchange: Exchange, request: httpx.Request) -> httpx.Response:
    if exchange.status is None:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
    headers = _response_headers(exchange)
    if exchange.complete:
        return httpx.Response(exchange.status, headers=headers, content=exchange.body, request=request)
    return httpx.Response(exchange.status, headers=headers, stream=_CutShortStream(exchange, request), request=request)


class _Router(respx.MockRouter):
    """respx's router, telling the side effect whether it serves an async client (respx calls one for both)."""

    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        """Resolve a request from an `httpx.AsyncClient`."""
        token = _ASYNC_CALLER.set(True)
        try:
            return await super().async_handler(request)
        finally:
            _ASYNC_CALLER.reset(token)


class Interceptor:
    """While started, httpx and requests traffic for `roots` is answered by `app`; all other traffic passes through."""

    def __init__(self, app: AppThread, roots: Sequence[ServerRoot]) -> None:
        self._app = app
        self._roots = tuple(roots)
        self._router = _Router(assert_all_called=False, assert_all_mocked=False)
        for root in self._roots:
            transport = AppTransport(app, root)
            self._router.route(url__regex=root.pattern.pattern).mock(side_effect=self._httpx_side_effect(transport))
        self._router.route().pass_through()
        self._requests = responses.RequestsMock(assert_all_requests_are_fired=False)
        for root in self._roots:
            for method in _METHODS:
                self._requests.add_callback(
                    method, root.pattern, callback=self._requests_callback(root), content_type=None
                )
        self._requests.add_passthru(re.compile(".*"))

    def start(self) -> None:
        """Begin answering."""
        self._router.start()
        try:
            self._requests.start()
        except BaseException:
            self._router.stop(quiet=True)
            raise

    def stop(self) -> None:
        """Stop answering: requests go to the network again."""
        try:
            self._requests.stop(allow_assert=False)
            self._requests.reset()
        finally:
            self._router.stop(quiet=True)

    @staticmethod
    def _httpx_side_effect(transport: AppTransport) -> Any:
        def side_effect(request: httpx.Request) -> Any:
            if _ASYNC_CALLER.get():
                return transport.handle_async_request(request)
            return transport.handle_request(request)

        return side_effect

    def _requests_callback(self, root: ServerRoot) -> Any:
        def callback(request: requests.PreparedRequest) -> Any:
            url = str(request.url)
            headers = [(_latin1(name), _latin1(value)) for name, value in request.headers.items()]
            try:
                exchange = self._app.exchange(
                    str(request.method),
                    url,
                    headers,
                    _body_bytes(request.body),
                    root_path=root.root_path,
                    timeout=_requests_read_timeout(request),
                )
            except ExchangeTimeout as exc:
                return requests.exceptions.ReadTimeout(str(exc), request=request)
            if exchange.status is None:
                return requests.exceptions.ConnectionError(
                    "Connection aborted: the server closed the connection without a response", request=request
                )
            # A truncated body keeps its full Content-Length: urllib3 then fails while reading it, as over a socket.
            headers_out = [
                (name.decode("latin-1"), value.decode("latin-1")) for name, value in _response_headers(exchange)
            ]
            return exchange.status, headers_out, exchange.body

        return callback


def _latin1(value: str | bytes) -> bytes:
    return value.encode("latin-1") if isinstance(value, str) else value


def _requests_read_timeout(request: requests.PreparedRequest) -> float | None:
    timeout = getattr(request, "req_kwargs", {}).get("timeout")
    if isinstance(timeout, tuple):
        timeout = timeout[1]
    return float(timeout) if isinstance(timeout, int | float) else None


def _body_bytes(body: Any) -> bytes:
    """A prepared request's body as bytes (requests leaves it as bytes, text, a file or an iterable of chunks)."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data: str | bytes = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if isinstance(body, Iterable):
        chunks: Iterable[str | bytes] = body
        return b"".join(chunk.encode("utf-8") if isinstance(chunk, str) else bytes(chunk) for chunk in chunks)
    raise TypeError(f"cannot send a request body of type {type(body).__name__}")
