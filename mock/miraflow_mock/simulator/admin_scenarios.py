"""`/__admin/scenarios`: scripted outcomes per job (see scenarios.py and mock/README.md).

`POST` adds a rule and answers it with its id; `GET` lists the rules in force (with the jobs each has decided);
`DELETE` clears them all, `DELETE /__admin/scenarios/{id}` one.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from miraflow_mock.simulator.admin import _error, _json
from miraflow_mock.simulator.backend import Backend
from miraflow_mock.simulator.scenarios import ScenarioError

__all__ = ["scenario_routes"]


def scenario_routes(backend: Backend) -> list[Route]:
    """The scenarios' admin routes, bound to one simulator's backend."""

    async def scenarios(request: Request) -> Response:
        book = backend.scenarios
        if request.method == "DELETE":
            book.clear()
            return JSONResponse({"cleared": True})
        if request.method == "POST":
            try:
                body = await _json(request)
                tenants = {alias: t.name for t in backend.tenants.values() for alias in (t.key, t.name)}
                rule = book.add(body, tenants)
            except (ScenarioError, ValueError) as exc:
                return _error(400, str(exc))
            return JSONResponse(rule.to_json())
        return JSONResponse({"scenarios": [rule.to_json() for rule in book.rules()]})

    async def one(request: Request) -> Response:
        if not backend.scenarios.remove(request.path_params["id"]):
            return _error(404, f"no scenario {request.path_params['id']!r}")
        return JSONResponse({"removed": request.path_params["id"]})

    return [
        Route("/__admin/scenarios", scenarios, methods=["GET", "POST", "DELETE"]),
        Route("/__admin/scenarios/{id}", one, methods=["DELETE"]),
    ]
