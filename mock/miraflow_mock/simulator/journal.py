"""The request journal behind `GET /__admin/requests`: what was asked, by which tenant (never its key), and answered."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

__all__ = ["Entry", "Journal"]


@dataclass(slots=True)
class Entry:
    """One request."""

    time: float
    method: str
    path: str
    query: str
    operation_id: str | None
    status: int | None = None  # None: the connection was dropped without an answer
    tenant: str | None = None
    body: Any = None

    def to_json(self) -> dict[str, Any]:
        """The entry as the admin API shows it."""
        return {
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "operationId": self.operation_id,
            "status": self.status,
            "tenant": self.tenant,
            "body": self.body,
        }


class Journal:
    """The most recent requests, oldest first, bounded so memory stays flat."""

    def __init__(self, limit: int) -> None:
        self._entries: deque[Entry] = deque(maxlen=limit)

    def add(self, entry: Entry) -> None:
        """Record a request."""
        self._entries.append(entry)

    def entries(self) -> list[Entry]:
        """Every recorded request, oldest first."""
        return list(self._entries)

    def count(self, method: str | None = None, url_path: str | None = None) -> int:
        """How many recorded requests match the method and exact path given (either may be None: any)."""
        return sum(
            1
            for entry in self._entries
            if (method is None or entry.method == method.upper()) and (url_path is None or entry.path == url_path)
        )

    def clear(self) -> None:
        """Forget every request."""
        self._entries.clear()
