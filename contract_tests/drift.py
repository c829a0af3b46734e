"""The drift report: one verdict per documented fact and per assumption of the spec, with its evidence.

The live run records what it saw against each fact (`miraflow.spec.facts()`): `confirmed`, `refuted` (and what the
spec should say instead) or `not exercised` (and why). A refuted documented fact means the API broke its contract; a
refuted assumption means our spec guessed wrong. Both fail the run, and the message says which.
`reports/drift.md` and `reports/drift.json` are written at the end of the session.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx

from miraflow.spec import Fact, facts

__all__ = ["DriftRecorder", "Evidence", "Refuted", "evidence_of"]

Verdict = Literal["confirmed", "refuted", "not exercised"]
_EXCERPT = 240
_MAX_EVIDENCE = 3
# A signed URL's query string is its credential: evidence keeps the URL and drops the query.
_SIGNED_QUERY = re.compile(r"(https?://[^\s\"'?]+)\?[^\s\"']*")


def redact(text: str) -> str:
    """`text` with every URL's query string (signatures, expiry) replaced by `?…`."""
    return _SIGNED_QUERY.sub(r"\1?…", text)


@dataclass(frozen=True)
class Evidence:
    """What was seen: the request (method and path, never a key or a signature), the status and an excerpt."""

    request: str
    status: int | None
    excerpt: str


def evidence_of(response: httpx.Response, excerpt: str | None = None) -> Evidence:
    """The evidence of one response: its request line (query strings dropped: they carry signatures) and body."""
    request = response.request
    if excerpt is None:
        excerpt = _excerpt(response)
    return Evidence(f"{request.method} {request.url.path}", response.status_code, redact(excerpt)[:_EXCERPT])


def _excerpt(response: httpx.Response) -> str:
    content_type = response.headers.get("content-type", "")
    if "json" in content_type or "text" in content_type:
        return " ".join(response.text.split())
    return f"{content_type or 'no content-type'}, {len(response.content)} bytes"


class Refuted(AssertionError):
    """A check that refuted a fact; its message says whether the API broke its contract or our spec guessed wrong."""


@dataclass
class Row:
    """The verdict on one fact."""

    fact: Fact
    verdict: Verdict = "not exercised"
    evidence: list[Evidence] = field(default_factory=list)
    should_say: str | None = None
    why: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The row as drift.json holds it."""
        return {
            "id": self.fact.id,
            "kind": self.fact.kind,
            "source": self.fact.source,
            "statement": self.fact.statement,
            "where": self.fact.where,
            "checkedBy": self.fact.checked_by,
            "verdict": self.verdict,
            "evidence": [asdict(item) for item in self.evidence],
            "shouldSay": self.should_say,
            "why": self.why,
        }


def refutation_message(fact: Fact, evidence: Evidence, should_say: str) -> str:
    """The failure message of a refuted fact: which of the two kinds of drift it is, what was seen, what to change."""
    seen = f"{evidence.request} → {evidence.status}: {evidence.excerpt}"
    if fact.kind == "documented":
        return (
            f"the API broke its contract: {fact.id} ({fact.source}: {fact.statement}) is refuted by {seen}. "
            f"Expected: {should_say}"
        )
    return (
        f"our spec guessed wrong, fix it: assumption {fact.id} ({fact.source}, at {fact.where}: {fact.statement}) is "
        f"refuted by {seen}. The spec should say instead: {should_say}"
    )


class DriftRecorder:
    """Verdicts on the spec's facts, collected during a run."""

    def __init__(self, known: tuple[Fact, ...] | None = None) -> None:
        self.rows = {fact.id: Row(fact) for fact in (known if known is not None else facts())}
        # The API responses of the test running now (the generic evidence of a passing test).
        self.seen: list[Evidence] = []

    def _row(self, fact_id: str) -> Row:
        try:
            return self.rows[fact_id]
        except KeyError:
            raise KeyError(f"the spec has no fact {fact_id!r}") from None

    def confirm(self, fact_id: str, evidence: Evidence) -> None:
        """Record evidence that the fact holds (a refuted fact stays refuted)."""
        row = self._row(fact_id)
        if row.verdict != "refuted":
            row.verdict = "confirmed"
            row.why = None
            if len(row.evidence) < _MAX_EVIDENCE:
                row.evidence.append(evidence)

    def refute(self, fact_id: str, evidence: Evidence, should_say: str) -> Refuted:
        """Record evidence against the fact; returns the error to raise (its message says which kind of drift)."""
        row = self._row(fact_id)
        if row.verdict != "refuted":
            row.evidence = []
        row.verdict, row.should_say, row.why = "refuted", should_say, None
        if len(row.evidence) < _MAX_EVIDENCE:
            row.evidence.append(evidence)
        return Refuted(refutation_message(row.fact, evidence, should_say))

    def check(self, fact_id: str, holds: bool, evidence: Evidence, should_say: str) -> None:
        """Confirm the fact if `holds`, else refute it and raise."""
        if holds:
            self.confirm(fact_id, evidence)
        else:
            raise self.refute(fact_id, evidence, should_say)

    def not_exercised(self, fact_id: str, why: str) -> None:
        """Say why the run could not check this fact (kept only if nothing else was recorded)."""
        row = self._row(fact_id)
        if row.verdict == "not exercised":
            row.why = why

    def refuted(self) -> list[Row]:
        """The refuted rows, documented facts first."""
        rows = [row for row in self.rows.values() if row.verdict == "refuted"]
        return sorted(rows, key=lambda row: row.fact.kind != "documented")

    def summary(self) -> str | None:
        """A failure message naming each refuted fact and its kind of drift, or None when nothing was refuted."""
        refuted = self.refuted()
        if not refuted:
            return None
        lines = []
        for row in refuted:
            kind = "the API broke its contract" if row.fact.kind == "documented" else "our spec guessed wrong, fix it"
            lines.append(f"{kind}: {row.fact.id} — should say: {row.should_say}")
        return "drift: " + "; ".join(lines)

    def write(self, folder: Path, *, target: str, settings: dict[str, Any]) -> tuple[Path, Path]:
        """Write drift.json and drift.md into `folder`; returns their paths."""
        folder.mkdir(parents=True, exist_ok=True)
        rows = list(self.rows.values())
        counts = {verdict: sum(row.verdict == verdict for row in rows) for verdict in _VERDICTS}
        when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        document = {"target": target, "when": when, "settings": settings, "counts": counts}
        document["rows"] = [row.to_json() for row in rows]
        json_path, md_path = folder / "drift.json", folder / "drift.md"
        json_path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        md_path.write_text(self.markdown(target=target, when=when, settings=settings), encoding="utf-8")
        return md_path, json_path

    def markdown(self, *, target: str, when: str, settings: dict[str, Any]) -> str:
        """The report as Markdown: a summary line, then one table row per fact."""
        rows = list(self.rows.values())
        counts = ", ".join(f"{sum(row.verdict == v for row in rows)} {v}" for v in _VERDICTS)
        lines = [
            f"# Drift report: {target}",
            "",
            f"{when}; {', '.join(f'{key} {value}' for key, value in settings.items())}.",
            "",
            f"{len(rows)} facts: {counts}.",
            "",
            "| fact | kind | source | verdict | evidence or reason |",
            "| --- | --- | --- | --- | --- |",
        ]
        order = {"refuted": 0, "confirmed": 1, "not exercised": 2}
        for row in sorted(rows, key=lambda row: (order[row.verdict], row.fact.kind != "documented")):
            detail = _cell(row)
            lines.append(f"| `{row.fact.id}` | {row.fact.kind} | {row.fact.source} | {row.verdict} | {detail} |")
        return "\n".join(lines) + "\n"


_VERDICTS: tuple[Verdict, ...] = ("confirmed", "refuted", "not exercised")


def _cell(row: Row) -> str:
    if row.verdict == "not exercised":
        if row.why:
            text = row.why
        elif row.fact.checked_by.startswith("tests/"):
            text = f"checked against a fake server by {row.fact.checked_by}; the live run does not provoke it"
        else:
            text = f"{row.fact.checked_by} did not run"
    else:
        first = row.evidence[0]
        status = f" → {first.status}" if first.status is not None else ""
        text = f"`{first.request}`{status}: {first.excerpt[:120]}"
        if row.verdict == "refuted":
            text += f" — should say: {row.should_say}"
    return text.replace("|", "\\|").replace("\n", " ")
