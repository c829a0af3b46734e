"""The one line a local server prints when it is ready, written and read only here.

```
miraflow-mock serve: ready at http://127.0.0.1:4010 (API root http://127.0.0.1:4010/api, admin http://127.0.0.1:4010/__admin)
```

A person reads where to point a client; a program (`start_simulator()`, the CLI's demo, the contract suite, the
benches) parses the same line with `ReadyLine.parse`. Imports nothing of the SDK, so the mock may use it too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ReadyLine"]

_ADMIN_PATH = "/__admin"
_LINE = re.compile(
    r"^(?P<program>[\w .-]+): ready at (?P<url>https?://\S+) \(API root (?P<api_root>https?://[^\s,)]+)"
    r"(?:, admin (?P<admin>https?://\S+?)" + re.escape(_ADMIN_PATH) + r")?\)$"
)


@dataclass(frozen=True)
class ReadyLine:
    """What a ready server announces: its root URL, its API root and (the simulator) where its admin API is."""

    program: str
    url: str
    api_root: str
    admin_url: str | None = None

    def format(self) -> str:
        """The line, as printed."""
        admin = f", admin {self.admin_url}{_ADMIN_PATH}" if self.admin_url else ""
        return f"{self.program}: ready at {self.url} (API root {self.api_root}{admin})"

    def announce(self) -> None:
        """Print the line to stdout, flushed: whoever started the server is waiting for it."""
        print(self.format(), flush=True)

    @classmethod
    def parse(cls, line: str) -> ReadyLine | None:
        """The ready line's fields, or None if `line` is not a ready line."""
        match = _LINE.match(line.strip())
        if match is None:
            return None
        return cls(match["program"], match["url"], match["api_root"], match["admin"])
