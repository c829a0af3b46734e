"""The request journal behind `GET /__admin/requests`: what was asked, by which tenant (never its key), and answered.

Recording stays cheap on the hot path: an entry keeps references to what the response already holds (its header list,
its body when small) and does the formatting (excerpts, redaction, job ids) only when someone reads the journal.
"""

from __future__ import annotations

import fnmatch
import itertools
import json
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["EXCERPT_BYTES", "Entry", "EntryFilter", "Journal", "redact"]

# How much of a response body the journal keeps: enough to read an error or a status, bounded so memory stays flat.
EXCERPT_BYTES = 2048
# Signed file URLs (downloadUrl, uploadUrl, and requests to them) carry their signature in the query string.
_SIGNATURE = re.compile(r"(signature=)[^&\"\s]+")
_JSON = (b"content-type", b"application/json")
_TEXT_TYPES = ("application/json", "text/", "application/problem+json")


def redact(text: str) -> str:
    """`text` with the signatures of signed URLs replaced, so the journal and the log show no credential."""
    return _SIGNATURE.sub(r"\1REDACTED", text)


@dataclass(slots=True)
class Entry:
    """One request, and the response it got."""

    time: float
    method: str
    path: str
    query: bytes  # as it arrived: decoded when the journal is read
    operation_id: str | None
    status: int | None = None  # None: the connection was dropped without an answer
    tenant: str | None = None
    body: Any = None
    id: int = 0  # given by the journal: rises by one a request
    latency: float | None = None  # seconds from the request's arrival to its last byte handed to the server
    response_headers: Iterable[tuple[bytes, bytes]] | None = None  # None: a JSON reply's two standard headers
    response_body: bytes = b""  # at most EXCERPT_BYTES: the start of the body
    response_size: int = 0  # the whole body's length in bytes, when more than the excerpt (see `body_bytes`)
    fault: str | None = None  # the id of the injected fault the request suffered

    def keep_json_reply(self, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """Note a JSON reply sent in one piece (its status is set by the caller).

        Its header list is kept only if it holds more than content-length and content-type, which `response_json`
        can tell from the body: a list is tracked by the garbage collector, and one kept per entry of a full journal
        makes every collection slower. The body is bytes, which the collector ignores (and often shared).
        """
        if len(headers) > 2:
            self.response_headers = headers
        self.response_body = body
        if len(body) > EXCERPT_BYTES:
            self.response_body = body[:EXCERPT_BYTES]
            self.response_size = len(body)

    def job_id(self, params: Mapping[str, str]) -> str | None:
        """The job the request concerns: the path's jobId (`params`: the path's parameters), or a create's answer."""
        if (job := params.get("jobId")) is not None:
            return job
        if self.operation_id == "createVideo" and self.status == 200 and self.response_body:
            try:
                answer = json.loads(self.response_body)
            except ValueError:
                return None
            job = answer.get("jobId") if isinstance(answer, dict) else None
            return job if isinstance(job, str) else None
        return None

    @property
    def body_bytes(self) -> int:
        """The response body's whole length."""
        return max(self.response_size, len(self.response_body))

    def response_json(self) -> dict[str, Any]:
        """The response as the admin API shows it: status, headers, and an excerpt of the body."""
        raw = self.response_headers
        if raw is None:
            raw = [] if self.status is None else [(b"content-length", b"%d" % self.body_bytes), _JSON]
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in raw}
        content_type = headers.get("content-type", "")
        excerpt: str | None
        size = self.body_bytes
        if not size:
            excerpt = None
        elif content_type.startswith(_TEXT_TYPES):
            excerpt = redact(self.response_body.decode("utf-8", errors="replace"))
        else:
            excerpt = f"<{size} bytes of {content_type or 'unknown type'}>"
        return {
            "status": self.status,
            "headers": headers,
            "body": excerpt,
            "bodyBytes": size,
            "truncated": size > len(self.response_body) and content_type.startswith(_TEXT_TYPES),
        }

    def to_json(self, params: Mapping[str, str]) -> dict[str, Any]:
        """The entry as the admin API shows it (`params`: the path's parameters, from `Journal.params`)."""
        return {
            "id": self.id,
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": redact(self.query.decode("latin-1")),
            "operationId": self.operation_id,
            "status": self.status,
            "tenant": self.tenant,
            "body": self.body,
            "latencyMs": None if self.latency is None else round(self.latency * 1000, 3),
            "jobId": self.job_id(params),
            "videoId": params.get("videoId"),
            "fault": self.fault,
            "response": self.response_json(),
        }


@dataclass(frozen=True)
class EntryFilter:
    """Which entries `GET /__admin/requests` answers with; every criterion left None matches anything."""

    method: str | None = None
    path: str | None = None  # exact, a spec template (`/api/video/{jobId}/status`) or a glob (`/api/video/*`)
    status: str | None = None  # `404`, `4xx`, or several: `429,5xx`
    tenant: str | None = None
    operation_id: str | None = None
    since: float | None = None  # seconds on the simulator's clock: entries at or after it
    after: int | None = None  # entries whose id is greater (to follow the journal without missing one)
    limit: int | None = None  # only the most recent this many of those that match

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> EntryFilter:
        """Read the filter from a query string's parameters; ValueError names what is wrong."""
        known = {"method", "path", "status", "tenant", "operationId", "since", "after", "limit"}
        if unknown := sorted(set(query) - known):
            raise ValueError(f"unknown filter {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        status = query.get("status")
        if status is not None and not all(re.fullmatch(r"[1-5](\d\d|xx)", part) for part in status.split(",")):
            raise ValueError("status is a code (404), a class (4xx), or several separated by commas")
        return cls(
            method=query.get("method", "").upper() or None,
            path=query.get("path") or None,
            status=status,
            tenant=query.get("tenant") or None,
            operation_id=query.get("operationId") or None,
            since=_number(query, "since", float),
            after=_number(query, "after", int),
            limit=_number(query, "limit", int),
        )

    def predicate(self) -> Callable[[Entry], bool]:
        """A test of one entry (every criterion but `after` and `limit`, which the journal applies in order)."""
        tests: list[Callable[[Entry], bool]] = []
        if (method := self.method) is not None:
            tests.append(lambda entry: entry.method == method)
        if self.path is not None:
            pattern = _path_pattern(self.path)
            tests.append(lambda entry: pattern.fullmatch(entry.path) is not None)
        if self.status is not None:
            pattern = re.compile("|".join(part.replace("x", r"\d") for part in self.status.split(",")))
            tests.append(lambda entry: entry.status is not None and pattern.fullmatch(str(entry.status)) is not None)
        if (tenant := self.tenant) is not None:
            tests.append(lambda entry: entry.tenant == tenant)
        if (operation_id := self.operation_id) is not None:
            tests.append(lambda entry: entry.operation_id == operation_id)
        if (since := self.since) is not None:
            tests.append(lambda entry: entry.time >= since)
        return lambda entry: all(test(entry) for test in tests)


class Journal:
    """The most recent requests, oldest first, bounded so memory stays flat.

    `operations` maps each operationId to its path's pattern: an entry's path parameters are read from its path when
    the journal is read, rather than kept per entry (one dict fewer per request on the hot path).
    """

    def __init__(self, limit: int, operations: Mapping[str, re.Pattern[str]] | None = None) -> None:
        self._entries: deque[Entry] = deque(maxlen=limit)
        self._ids = itertools.count(1)
        self._operations = operations or {}

    def params(self, entry: Entry) -> Mapping[str, str]:
        """The entry's path parameters (jobId, videoId), by its operation's path template."""
        pattern = self._operations.get(entry.operation_id or "")
        match = pattern.match(entry.path) if pattern is not None else None
        return match.groupdict() if match is not None else {}

    def to_json(self, entry: Entry) -> dict[str, Any]:
        """An entry as the admin API shows it."""
        return entry.to_json(self.params(entry))

    def add(self, entry: Entry) -> None:
        """Record a request."""
        entry.id = next(self._ids)
        self._entries.append(entry)

    def entries(self, where: EntryFilter | None = None) -> list[Entry]:
        """The recorded requests that match `where` (all if None), oldest first."""
        if where is None:
            return list(self._entries)
        matches = where.predicate()
        found: list[Entry] = []
        for entry in reversed(self._entries):  # newest first: `after` and `limit` can stop early
            if where.after is not None and entry.id <= where.after:
                break
            if matches(entry):
                found.append(entry)
                if where.limit is not None and len(found) >= where.limit:
                    break
        found.reverse()
        return found

    def count(self, method: str | None = None, url_path: str | None = None) -> int:
        """How many recorded requests match the method and exact path given (either may be None: any)."""
        return sum(
            1
            for entry in self._entries
            if (method is None or entry.method == method.upper()) and (url_path is None or entry.path == url_path)
        )

    def clear(self) -> None:
        """Forget every request (ids go on rising, so a follower never mistakes a new entry for one it has seen)."""
        self._entries.clear()


def _path_pattern(path: str) -> re.Pattern[str]:
    """A pattern for a path filter: a spec template's `{name}` matches one segment, a glob's `*` anything."""
    if "{" in path:
        return re.compile(re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(path)))
    if any(char in path for char in "*?["):
        return re.compile(fnmatch.translate(path))
    return re.compile(re.escape(path))


def _number(query: Mapping[str, str], name: str, kind: type[int] | type[float]) -> Any:
    value = query.get(name)
    if value is None or value == "":
        return None
    try:
        number = kind(value)
    except ValueError:
        raise ValueError(f"{name} must be a {'whole ' if kind is int else ''}number, not {value!r}") from None
    if number < 0:
        raise ValueError(f"{name} must be 0 or more")
    return number
