"""The API root a person configures, mapped onto the generated client's paths, in one place.

People configure the API root as the public docs give it (`https://miraflow.ai/api`). The contract's paths carry the
`/api` prefix themselves (mock servers ignore a server URL's base path), so the generated client wants the server root
(`https://miraflow.ai`). Both the prefix and the default come from the packaged spec.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from miraflow.environment import BASE_URL_ENV
from miraflow.spec import default_server, path_prefix

__all__ = ["BASE_URL_ENV", "api_prefix", "default_api_root", "resolve_api_root", "server_root"]


def api_prefix() -> str:
    """The path prefix every operation of the spec shares, such as `/api`."""
    return path_prefix()


def default_api_root() -> str:
    """The production API root: the spec's first server plus the path prefix (`https://miraflow.ai/api`)."""
    return default_server() + path_prefix()


def resolve_api_root(explicit: str | None = None) -> str:
    """The API root to use: `explicit` if given, else `MIRAFLOW_BASE_URL`, else production. Validated."""
    root = explicit or os.environ.get(BASE_URL_ENV) or default_api_root()
    server_root(root)  # validates
    return root.rstrip("/")


def server_root(api_root: str) -> str:
    """Map an API root (`http://host:port/api`) to the server root the generated client's paths hang from."""
    parts = urlsplit(api_root)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base URL must be an http(s) URL such as {default_api_root()}, not {api_root!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"base URL must not carry a query or fragment: {api_root!r}")
    path = parts.path.rstrip("/")
    prefix = api_prefix()
    if not path.endswith(prefix):
        raise ValueError(
            f"base URL must be the API root, ending in {prefix!r} (e.g. {default_api_root()}): {api_root!r}; "
            f"write {parts.scheme}://{parts.netloc}{path}{prefix}"
        )
    return f"{parts.scheme}://{parts.netloc}{path[: -len(prefix)]}"
