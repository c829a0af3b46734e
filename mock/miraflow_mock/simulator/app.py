"""The simulator's ASGI application: routes from the spec, plus the layer that journals requests and injects faults.

Routing (this module), request handling (responses.py), state and rules (backend.py) and the job lifecycle (jobs.py)
are kept apart, as in moto's urls/responses/models split.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from pathlib import Path
from time import perf_counter
from types import MappingProxyType
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, Router

from miraflow.spec import load_spec, max_request_body_bytes
from miraflow_mock.simulator.admin import admin_routes
from miraflow_mock.simulator.admin_access import AdminAccess
from miraflow_mock.simulator.admin_catalog import catalog_routes
from miraflow_mock.simulator.admin_scenarios import scenario_routes
from miraflow_mock.simulator.backend import ApiError, Backend
from miraflow_mock.simulator.clock import Clock, ManualClock, RealClock
from miraflow_mock.simulator.config import SimulatorConfig
from miraflow_mock.simulator.dashboard import dashboard_routes
from miraflow_mock.simulator.faults import Fault, FaultStore
from miraflow_mock.simulator.guard import ErrorLog, Guard, error_routes
from miraflow_mock.simulator.journal import EXCERPT_BYTES, Entry, Journal
from miraflow_mock.simulator.request_log import RequestLog
from miraflow_mock.simulator.responses import Api, Handler, JsonReply, _api_key, error_response
from miraflow_mock.simulator.store import MemoryStore, SqliteStore, Store
from miraflow_mock.simulator.validation import RequestValidator

__all__ = ["Simulator"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_METHODS = ("get", "put", "post", "delete", "patch")
_NO_PARAMS: Mapping[str, str] = MappingProxyType({})  # shared by every request to a concrete path: read-only


class Simulator:
    """One simulated Miraflow service: its state, and the ASGI app serving it (the instance is the app)."""

    def __init__(self, config: SimulatorConfig, files: Path | None = None) -> None:
        self.config = config
        self.clock: Clock = ManualClock() if config.clock == "manual" else RealClock()
        store: Store = SqliteStore(config.state) if config.state else MemoryStore()
        if files is None:
            files = Path(f"{config.state}.files") if config.state else Path(tempfile.mkdtemp(prefix="miraflow-sim-"))
        self.files = files
        self.backend = Backend(config, self.clock, store, files)
        spec = load_spec()
        self.errors = ErrorLog()
        self.guard = Guard(max_request_body_bytes(spec), self.errors, self.clock.now)
        self.admin_access = AdminAccess(config.admin_allow, config.admin_token)
        self._operations = _operation_table(spec)
        self.journal = Journal(config.journal_limit, {op: pattern for _, _, pattern, op in self._operations})
        self.request_log = RequestLog(self.journal.params) if config.log_requests else None
        self.faults = FaultStore({(method, path): op for method, path, _, op in self._operations})
        self.api = Api(self.backend, RequestValidator(spec))
        handlers = self.api.handlers()
        # API requests are dispatched straight from the operation table (one match per request); Starlette routes
        # the rest, and answers a known path with an undeclared method (405 with Allow).
        self._exact: dict[tuple[str, str], tuple[str, Handler, Mapping[str, str]]] = {}
        self._dispatch: dict[str, list[tuple[re.Pattern[str], str, Handler]]] = {}
        for method, path, pattern, op in self._operations:
            if "{" in path:
                self._dispatch.setdefault(method, []).append((pattern, op, handlers[op]))
            else:  # a concrete path: one dict lookup, no pattern to try
                self._exact[(method, path)] = (op, handlers[op], _NO_PARAMS)
        routes = [
            *(Route(path, handlers[op], methods=[method]) for method, path, _, op in self._operations),
            Route("/__files/videos/{videoId}.mp4", self.api.signed_video, methods=["GET"]),
            Route("/__files/uploads/{mediaId}", self.api.signed_upload, methods=["PUT"]),
            *admin_routes(self.backend, self.journal, self.faults),
            *catalog_routes(self.backend),
            *scenario_routes(self.backend),
            *dashboard_routes(self._operations),
            *error_routes(self.errors),
        ]
        self.router = Router(routes=routes, default=_not_found)

    def close(self) -> None:
        """Release the persistence store (and write the request log's last lines)."""
        if self.request_log is not None:
            self.request_log.flush()
        self.backend.store.close()

    def _match(self, method: str, path: str) -> tuple[str, Handler, Mapping[str, str]] | None:
        if (found := self._exact.get((method, path))) is not None:
            return found
        for pattern, operation_id, handler in self._dispatch.get(method, ()):
            if match := pattern.match(path):
                return operation_id, handler, match.groupdict()
        return None

    async def _route(
        self, scope: Scope, receive: Receive, send: Send, found: tuple[str, Handler, Mapping[str, str]] | None
    ) -> None:
        if found is None:
            scope["app"] = self  # Starlette's routes then raise a 405 for the guard to answer in the API's shape
            await self.router(scope, receive, send)
            return
        response = await _handle(scope, receive, found)
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection event: journal it, inject a pending fault if one applies, else route it."""
        if scope["type"] != "http":
            await self.router(scope, receive, send)
            return
        if (path := scope["path"]).startswith("/__admin"):
            await self._admin(scope, receive, send)
            return
        started = perf_counter()
        method = scope["method"]
        found = self._match(method, path)
        entry = Entry(
            self.clock.now(),
            method,
            path,
            scope.get("query_string", b""),
            found[0] if found else None,
        )
        try:
            receive = self.guard.limit_body(scope, receive)
            fault = self.faults.take(entry.operation_id)
            if fault is None and found is not None and self.backend.scenarios.has_faults:
                fault = self.backend.scenarios.take_fault(found[0], found[2])  # a scenario's fault on one job
            if fault is not None:
                entry.fault = fault.id
                if (tenant := self.backend.tenants.get(_api_key(scope) or "")) is not None:
                    scope["miraflow.tenant"] = tenant.name  # a fault answers before the handler knows the tenant
                await self._misbehave(fault, found, scope, receive, _recording(entry, send), send)
            elif found is None:
                scope["app"] = self  # as in _route
                await self.router(scope, receive, _recording(entry, send))
            else:
                # The hot path: an API operation, no fault. A JSON reply's status is known before it is sent, so
                # its messages go straight to the server; only files (which may answer 206) pass through a recorder.
                response = await _handle(scope, receive, found)
                if type(response) is JsonReply:
                    entry.status = response.status_code
                    body: bytes = response.body  # type: ignore[assignment]  # a JsonReply's body is bytes
                    entry.response_body = body
                    if len(body) > EXCERPT_BYTES or len(response.raw_headers) > 2:  # rare: let the entry trim it
                        entry.keep_json_reply(response.raw_headers, body)
                    await response(scope, receive, send)
                else:
                    await response(scope, receive, _recording(entry, send))
        except Exception as exc:  # the last resort: a 413 from the limit, or a 500 in the API's shape, never plain text
            status = await self.guard.answer(exc, scope, send)
            if status is not None:
                entry.status = status
        finally:
            entry.latency = perf_counter() - started
            entry.tenant = scope.get("miraflow.tenant")
            entry.body = scope.get("miraflow.body")
            self.journal.add(entry)
            if self.request_log is not None:
                self.request_log.write(entry)

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve `/__admin` to allowed clients (admin_access.py); 403 in the API's error shape to others."""
        try:
            if not self.admin_access.allows(scope):
                raise ApiError(403, "the admin API answers only allowed addresses (--admin-allow) or its token")
            scope["app"] = self  # as in _route
            await self.router(scope, self.guard.limit_body(scope, receive), send)
        except Exception as exc:
            await self.guard.answer(exc, scope, send)

    async def _misbehave(
        self,
        fault: Fault,
        found: tuple[str, Handler, Mapping[str, str]] | None,
        scope: Scope,
        receive: Receive,
        send: Send,
        raw_send: Send,
    ) -> None:
        if fault.latency:
            await asyncio.sleep(fault.latency)
        if fault.status is not None:
            headers = {"Retry-After": _seconds(fault.retry_after)} if fault.retry_after is not None else None
            await error_response(fault.status, f"simulated {fault.status} (injected fault)", headers)(
                scope, receive, send
            )
        elif fault.failure_body:
            await JsonReply({"result": "failure", "error": "simulated failure (injected fault)"})(scope, receive, send)
        elif fault.drop == "before":
            # Read the whole request first (answering an Expect: 100-continue, as a server that then fails would):
            # closing with part of it unread would make the kernel answer with a reset instead of a clean close,
            # and which one the client sees would depend on timing.
            await _drain(receive)
            await _drop(raw_send)
        elif fault.drop == "after":

            async def swallow(message: Message) -> None:
                return None

            await self._route(scope, receive, swallow, found)
            await _drop(raw_send)
        elif fault.truncate:
            await self._route(scope, receive, _truncating(send, raw_send), found)
        else:
            await self._route(scope, receive, send, found)


async def _handle(scope: Scope, receive: Receive, found: tuple[str, Handler, Mapping[str, str]]) -> Response:
    """The response of the API operation `_match` found for this request."""
    scope["path_params"] = found[2]
    return await found[1](Request(scope, receive))


def _operation_table(spec: Any) -> list[tuple[str, str, re.Pattern[str], str]]:
    """(METHOD, path template, compiled pattern, operationId) for every operation of the spec."""
    table = []
    for path, item in spec["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")
        for method, operation in item.items():
            if method in _METHODS:
                table.append((method.upper(), path, pattern, operation["operationId"]))
    # Concrete paths before templated ones: POST /api/video/create is not getVideo.
    table.sort(key=lambda row: row[1].count("{"))
    return table


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    response: Response = error_response(404, "Not found")
    await response(scope, receive, send)


def _recording(entry: Entry, send: Send) -> Send:
    """A `send` that notes the response in the journal entry: its status, headers, size and the start of its body."""

    async def recording_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            entry.status = message["status"]
            entry.response_headers = message.get("headers", ())
        elif body := message.get("body", b""):
            if (room := EXCERPT_BYTES - len(entry.response_body)) > 0:
                entry.response_body += body[:room]
            entry.response_size += len(body)
        await send(message)

    return recording_send


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


async def _drain(receive: Receive) -> None:
    """Receive the request's body to its end."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _drop(raw_send: Send) -> None:
    """Close the client's connection without an answer."""
    # uvicorn gives the app its connection's bound `send`; the transport behind it is the only way to hang up
    # without a response. Simulator-only: a server that hides it gets headers and then a closed connection.
    transport = getattr(getattr(raw_send, "__self__", None), "transport", None)
    if transport is not None:
        transport.close()
        for _ in range(3):  # let the server notice, so it does not try to answer on the closed connection
            await asyncio.sleep(0)
        return
    await raw_send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})


def _truncating(send: Send, raw_send: Send) -> Send:
    """A `send` that passes the full Content-Length but only half the body, then hangs up."""
    state = {"limit": -1, "sent": 0, "done": False}

    async def truncating_send(message: Message) -> None:
        if state["done"]:
            return
        if message["type"] == "http.response.start":
            length = dict(message.get("headers", [])).get(b"content-length", b"0")
            state["limit"] = int(length) // 2
            await send(message)
            return
        body: bytes = message.get("body", b"")
        room = state["limit"] - state["sent"]
        if len(body) < room:
            state["sent"] += len(body)
            await send({**message, "more_body": True})
            return
        await send({"type": "http.response.body", "body": body[:room], "more_body": True})
        state["done"] = True
        await _drop(raw_send)

    return truncating_send
