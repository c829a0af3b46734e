"""`/__admin/avatars` and `/__admin/voices`: load the avatar and voice ids your own app is configured with.

`POST` takes one object, a list, or `{"avatars": [...]}` (`{"voices": [...]}`), each validated against the spec's
`Avatar` (`Voice`) schema; `?tenant=NAME` (or key) makes them that tenant's own. `GET` lists what a tenant sees
(`?tenant=`; without it, what every tenant sees); `DELETE` forgets what the admin API added.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from miraflow_mock.simulator.admin import _error
from miraflow_mock.simulator.backend import Backend
from miraflow_mock.simulator.user_catalog import CatalogError, parse_avatars, parse_voices

__all__ = ["catalog_routes"]


async def _json_value(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError("malformed JSON body") from None


def catalog_routes(backend: Backend) -> list[Route]:
    """The catalog's admin routes, bound to one simulator's backend."""

    def tenant_key(request: Request) -> str | None:
        wanted = request.query_params.get("tenant")
        if wanted is None:
            return None
        for tenant in backend.tenants.values():
            if wanted in (tenant.name, tenant.key):
                return tenant.key
        raise CatalogError(f"no tenant has the name or key {wanted!r}")

    def handler(kind: str) -> Any:
        parse = parse_avatars if kind == "avatars" else parse_voices

        async def endpoint(request: Request) -> Response:
            try:
                tenant = tenant_key(request)
                if request.method == "DELETE":
                    backend.catalog.clear_added(avatars=kind == "avatars", voices=kind == "voices")
                elif request.method == "POST":
                    body = await _json_value(request)
                    if isinstance(body, dict) and set(body) == {kind}:
                        body = body[kind]
                    items = parse(body if isinstance(body, list) else [body], kind)
                    if kind == "avatars":
                        backend.catalog.add(tenant, items, ())
                    else:
                        backend.catalog.add(tenant, (), items)
                backend.store.save_meta("catalog", backend.catalog.added_record())
            except (CatalogError, ValueError) as exc:
                return _error(400, str(exc))
            listed = backend.catalog.avatars(tenant) if kind == "avatars" else backend.catalog.voices(tenant)
            return JSONResponse({kind: listed})

        return endpoint

    return [
        Route("/__admin/avatars", handler("avatars"), methods=["GET", "POST", "DELETE"]),
        Route("/__admin/voices", handler("voices"), methods=["GET", "POST", "DELETE"]),
    ]
