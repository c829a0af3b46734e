r"""The unique name each video of a campaign gets: the row's name plus a tag carrying the campaign and the row.

The name sent with each create is `{name} [{tag}]`: the row's name (placeholders filled), one space, then the tag in
square brackets, at the very end. The tag's format:

```
mf-{campaign}-{row}            first attempt           Welcome Ana [mf-3fa9c2d1-17]
mf-{campaign}-{row}-{attempt}  attempt 2 and later     Welcome Ana [mf-3fa9c2d1-17-2]
```

- `mf-` is a fixed prefix;
- `{campaign}` is the campaign's id: 8 lowercase hex digits, drawn at random when a campaign folder's ledger is made
  and kept in it (`miraflow batch status DIR --json` shows it as `campaign`), so two campaigns never share a tag;
- `{row}` is the row's number in the file (its `key`: 1 for the first record, blank lines not counted);
- `{attempt}` (2, 3, ...) is added when a row is created again (after an ambiguous create, or a failed job with
  `--retry-failed`), so a late video from an earlier attempt can never be taken for the new one.

The tag is how a resumed run finds its videos: when the process died (or the connection dropped) between sending a
create and recording its answer, the run looks for the row's tag at the end of the account's completed videos' names
(`token_in`, matched by `\[(mf-[0-9a-f]{8}-[0-9]+(?:-[0-9]+)?)\]\s*$`). Renaming a campaign's video in Miraflow
before its campaign has finished hides it from that search. The file in the campaign folder is named from the row's
name alone, without the tag.
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
