"""The admin API under `/__admin` (WireMock's conventions where they fit): journal, jobs, tenants, clock, faults, reset.

Documented in mock/README.md. No key needed; never shows a tenant's key.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from miraflow_mock.simulator.backend import Backend
from miraflow_mock.simulator.clock import ManualClock
from miraflow_mock.simulator.faults import FaultError, FaultStore
from miraflow_mock.simulator.journal import EntryFilter, Journal
from miraflow_mock.simulator.jsonbody import parse_json

__all__ = ["admin_routes"]


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"result": "failure", "error": message}, status_code=status)


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw:
        return {}
    body = parse_json(raw)  # ValueError with a message fit for a 400
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def admin_routes(backend: Backend, journal: Journal, faults: FaultStore) -> list[Route]:
    """The `/__admin` routes, bound to one simulator's state."""

    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            journal.clear()
            return JSONResponse({"cleared": True})
        try:
            where = EntryFilter.from_query(request.query_params) if request.query_params else None
        except ValueError as exc:
            return _error(400, str(exc))
        return JSONResponse({"requests": [journal.to_json(entry) for entry in journal.entries(where)]})

    async def count(request: Request) -> Response:
        try:
            body = await _json(request)
        except ValueError as exc:
            return _error(400, str(exc))
        method, url_path = body.get("method"), body.get("urlPath")
        if not isinstance(method, str | None) or not isinstance(url_path, str | None):
            return _error(400, "method and urlPath must be strings")
        return JSONResponse({"count": journal.count(method, url_path)})

    async def jobs(request: Request) -> Response:
        selected = list(backend.jobs.values())
        if limit := request.query_params.get("limit"):  # the newest N (the dashboard's view)
            if not limit.isdigit():
                return _error(400, "limit must be a whole number")
            selected = selected[-int(limit) :] if int(limit) else []
        return JSONResponse({"jobs": [backend.job_admin_json(job) for job in selected], "total": len(backend.jobs)})

    async def tenants(request: Request) -> Response:
        if request.method == "POST":
            try:
                body = await _json(request)
            except ValueError as exc:
                return _error(400, str(exc))
            key, credits = body.get("key"), body.get("credits")
            if not isinstance(key, str) or not key or not isinstance(credits, int) or credits < 0:
                return _error(400, "give key (a string) and credits (a whole number, 0 or more)")
            backend.set_tenant(key, credits, body.get("name"))
        return JSONResponse(
            {
                "tenants": [
                    {"name": tenant.name, "keyHint": tenant.key[-4:], "credits": tenant.credits}
                    for tenant in backend.tenants.values()
                ]
            }
        )

    async def clock(request: Request) -> Response:
        return JSONResponse(
            {
                "now": backend.clock.now(),
                "mode": "manual" if backend.clock.manual else "real",
                "timeScale": backend.config.time_scale,
            }
        )

    async def advance(request: Request) -> Response:
        if not isinstance(backend.clock, ManualClock):
            return _error(409, "the clock is real; start the simulator with --clock manual to move it")
        try:
            body = await _json(request)
        except ValueError as exc:
            return _error(400, str(exc))
        seconds = body.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            return _error(400, "seconds must be a number, 0 or more")
        now = backend.clock.advance(float(seconds))
        backend.store.save_meta("manual_now", now)
        return JSONResponse({"now": now})

    async def fault_list(request: Request) -> Response:
        if request.method == "DELETE":
            faults.clear()
            return JSONResponse({"cleared": True})
        if request.method == "POST":
            try:
                fault = faults.add(await _json(request))
            except (ValueError, FaultError) as exc:
                return _error(400, str(exc))
            return JSONResponse({"id": fault.id, "operationId": fault.operation_id})
        return JSONResponse({"faults": [fault.to_json() for fault in faults.pending()]})

    async def reset(request: Request) -> Response:
        backend.reset()
        journal.clear()
        faults.clear()
        return JSONResponse({"reset": True})

    return [
        Route("/__admin/requests", requests, methods=["GET", "DELETE"]),
        Route("/__admin/requests/count", count, methods=["POST"]),
        Route("/__admin/jobs", jobs, methods=["GET"]),
        Route("/__admin/tenants", tenants, methods=["GET", "POST"]),
        Route("/__admin/clock", clock, methods=["GET"]),
        Route("/__admin/clock/advance", advance, methods=["POST"]),
        Route("/__admin/faults", fault_list, methods=["GET", "POST", "DELETE"]),
        Route("/__admin/reset", reset, methods=["POST"]),
    ]
