"""The SDK's logger, `miraflow`, and its switch: `MIRAFLOW_LOG=debug` (or `info`).

The SDK logs through the standard `logging` module only. Each retry and each poll decision is logged at debug, each
request's outcome too. Nothing logged carries the API key; signed URLs are logged without their query strings, in
httpx's own request log too (`HTTP Request: PUT https://...?<redacted>`), which an application logging at INFO would
otherwise print whole.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from miraflow._constants import LOGGER_NAME
from miraflow._redact import redact_url

__all__ = ["logger", "redact_signed_urls_in_httpx_log", "setup_logging"]

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


# Query parameters that make a URL a bearer credential (the simulator's, S3's, GCS's, Azure SAS's, CloudFront's).
_SIGNATURE_PARAMETERS = frozenset(
    {"signature", "sig", "x-amz-signature", "x-amz-security-token", "x-goog-signature", "token", "key-pair-id"}
)


def _is_signed_url(value: Any) -> bool:
    text = str(value) if isinstance(value, str | httpx.URL) else ""
    if "?" not in text or "://" not in text:
        return False
    query = urlsplit(text).query
    return any(name.lower() in _SIGNATURE_PARAMETERS for name, _ in parse_qsl(query, keep_blank_values=True))


class _SignedUrlFilter(logging.Filter):
    """Replaces a signed URL among a log record's arguments by its redacted form; lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(_is_signed_url(arg) for arg in args):
            record.args = tuple(redact_url(arg) if _is_signed_url(arg) else arg for arg in args)
        return True


def redact_signed_urls_in_httpx_log() -> None:
    """Make httpx's own INFO request log drop signed URLs' query strings (once per process; other URLs untouched)."""
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(existing, _SignedUrlFilter) for existing in httpx_logger.filters):
        httpx_logger.addFilter(_SignedUrlFilter())
