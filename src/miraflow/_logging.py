"""The SDK's logger, `miraflow`, and its switch: `MIRAFLOW_LOG=debug` (or `info`).

The SDK logs through the standard `logging` module only. Each retry and each poll decision is logged at debug, each
request's outcome too. Nothing logged carries the API key; signed URLs are logged without their query strings.
"""

from __future__ import annotations

import logging

from miraflow._constants import LOGGER_NAME

__all__ = ["logger", "setup_logging"]

logger = logging.getLogger(LOGGER_NAME)

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_configured = False


def setup_logging(setting: str | None) -> None:
    """Turn the `miraflow` logger on at the level `setting` names (the value of `MIRAFLOW_LOG`), once per process.

    A handler writing to stderr is added only if the logger has none, so an application's own configuration wins.
    """
    global _configured
    level = _LEVELS.get((setting or "").strip().lower())
    if level is None or _configured:
        return
    _configured = True
    logger.setLevel(level)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
        logger.addHandler(handler)
