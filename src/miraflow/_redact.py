"""Keeping secrets out of reprs, logs and messages.

The API key travels as a `Secret`: a `str` (so httpx sends it as the header's value) whose `repr` never shows it, so
the generated client's attrs-made repr, a debugger or a traceback printing locals shows `'<redacted>'` instead.
Signed URLs (`downloadUrl`, `uploadUrl`) carry their signature in the query string: `redact_url` drops it for logs.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["REDACTED", "Secret", "redact_url"]

REDACTED = "<redacted>"


class Secret(str):
    """A string that hides its value from `repr` (it still is the value, for the one header that needs it)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(REDACTED)


def redact_url(url: str | object) -> str:
    """The URL without its query string, user info or fragment (`https://cdn/x.mp4?<redacted>`), for logs."""
    text = str(url)
    parts = urlsplit(text)
    if not (parts.query or parts.fragment or "@" in parts.netloc):
        return text
    netloc = parts.netloc.rsplit("@", 1)[-1]
    query = REDACTED if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
