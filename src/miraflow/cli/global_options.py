"""The connection options given before a command group (`miraflow --api-key K batch run ...`), for its commands.

The root command (`app.root`) keeps `--api-key` / `--base-url` in the click context's `meta`, which every sub-command's
context shares; a command's own options win over them. `miraflow batch` run on its own (`python -m miraflow.batch`)
has no root: nothing is found, and the command's options (or the environment, read by the SDK) decide.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SETTINGS_KEY", "connection_options"]

SETTINGS_KEY = "miraflow.settings"
"""The `ctx.meta` key the root command stores its settings under (an object with `api_key` and `base_url`)."""


def connection_options(ctx: Any, api_key: str | None, base_url: str | None) -> tuple[str | None, str | None]:
    """The key and API root for a command: its own options, else those given before it (`ctx` is its context)."""
    meta = getattr(ctx, "meta", None) or {}
    given = meta.get(SETTINGS_KEY)
    return (
        api_key or getattr(given, "api_key", None),
        base_url or getattr(given, "base_url", None),
    )
