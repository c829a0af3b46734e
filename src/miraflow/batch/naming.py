"""The unique name each video of a campaign gets: the row's name plus a token carrying the campaign and the row.

`Welcome Ana [mf-3fa9c2d1-17]` is row 17 of campaign `3fa9c2d1`. The token is what finds a video again when the
process died between sending its create and recording the answer: the run looks for the token among the account's
completed videos. A row created again after an ambiguous create gets a new token (`mf-3fa9c2d1-17-2`), so the two
can never be confused. The file in the campaign folder is named from the row's name alone.
"""

from __future__ import annotations

import re
import secrets

__all__ = ["api_name", "new_campaign_id", "token_in", "video_token"]

_TOKEN = re.compile(r"\[(mf-[0-9a-f]{8}-[0-9]+(?:-[0-9]+)?)\]\s*$")


def new_campaign_id() -> str:
    """A fresh campaign id: 8 random hex digits (one per campaign folder)."""
    return secrets.token_hex(4)


def video_token(campaign_id: str, key: int, attempt: int = 1) -> str:
    """The token of row `key`'s video in campaign `campaign_id`; attempts after the first carry their number."""
    token = f"mf-{campaign_id}-{key}"
    return token if attempt <= 1 else f"{token}-{attempt}"


def api_name(name: str, token: str) -> str:
    """The name sent with the create: the row's name, then its token in brackets."""
    return f"{name} [{token}]"


def token_in(video_name: str) -> str | None:
    """The campaign token a video's name ends with, or None."""
    match = _TOKEN.search(video_name)
    return match.group(1) if match else None
