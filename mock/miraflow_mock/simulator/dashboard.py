"""The dashboard at `/__admin/ui/`: a page to watch and shape the simulator while developing.

Plain HTML, CSS and JavaScript shipped in the package (`static/`), served by the simulator itself: no build step, no
CDN. The page is a client of the admin API like any other; `meta.json` hands it what the spec says (operations, the
lifecycle's states), so the page spells no state or operation of its own.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from miraflow.spec import lifecycle

__all__ = ["UI_PATH", "dashboard_routes"]

UI_PATH = "/__admin/ui/"


class _PageFiles(StaticFiles):
    """The page's files; a missing one (or a method other than GET) answers in the API's error shape."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """The file at `path`, or an error."""
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:  # the simulator's router has no exception middleware to turn it into a response
            message = "Not found" if exc.status_code == 404 else str(exc.detail)
            return JSONResponse({"result": "failure", "error": message}, status_code=exc.status_code)


def _meta(operations: list[tuple[str, str, re.Pattern[str], str]]) -> dict[str, Any]:
    spec = lifecycle()
    return {
        "operations": [{"operationId": op, "method": method, "path": path} for method, path, _, op in operations],
        "lifecycle": {
            "initial": spec.initial,
            "progress": spec.progress_state,
            "success": spec.success_state,
            "failures": sorted(spec.failure_states),
        },
    }


def dashboard_routes(operations: list[tuple[str, str, re.Pattern[str], str]]) -> list[BaseRoute]:
    """The dashboard's routes: the page's files, its `meta.json`, and `/__admin` itself leading to it."""
    meta = _meta(operations)

    async def to_ui(request: Request) -> Response:
        return RedirectResponse(UI_PATH, status_code=307)

    async def meta_json(request: Request) -> Response:
        return JSONResponse(meta)

    return [
        Route("/__admin", to_ui, methods=["GET"]),
        Route("/__admin/", to_ui, methods=["GET"]),
        Route("/__admin/ui", to_ui, methods=["GET"]),
        Route(UI_PATH + "meta.json", meta_json, methods=["GET"]),
        Mount(UI_PATH.rstrip("/"), _PageFiles(packages=[("miraflow_mock.simulator", "static")], html=True)),
    ]
