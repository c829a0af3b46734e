"""What a campaign folder says about its campaign: the status (counts per state, the rows in trouble) and the report.

Both read the ledger only (no request, no key needed), and may run while a campaign runs in the same folder.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

import attrs

from miraflow.batch.ledger import Ledger, LedgerRow, RowState

__all__ = ["REPORT_COLUMNS", "CampaignStatus", "campaign_status", "format_status", "report_records", "write_report"]

REPORT_COLUMNS = ("row", "name", "jobId", "videoId", "file", "sha256", "state", "error", "attempts")
"""`attempts`: how many times the row was created (more than 1 after `--retry-failed` or `--recreate-ambiguous`)."""
_TROUBLE = (RowState.FAILED, RowState.AMBIGUOUS, RowState.SKIPPED)


@attrs.frozen
class CampaignStatus:
    """A campaign's counts per state and its rows in trouble (failed, ambiguous, skipped), each with its reason."""

    folder: Path
    campaign_id: str
    base_url: str | None
    counts: Mapping[RowState, int]
    troubles: tuple[LedgerRow, ...]

    @property
    def total(self) -> int:
        """Rows in the campaign."""
        return sum(self.counts.values())

    def to_json(self) -> dict[str, Any]:
        """The status as JSON (what `batch status --json` prints)."""
        return {
            "campaign": self.campaign_id,
            "folder": str(self.folder),
            "baseUrl": self.base_url,
            "rows": self.total,
            "counts": {str(state): count for state, count in self.counts.items()},
            "failures": [
                {
                    "row": row.key,
                    "line": row.line,
                    "name": row.name,
                    "state": str(row.state),
                    "failure": row.failure,
                    "error": row.error,
                    "jobId": row.job_id,
                    "attempts": row.attempt,
                    "earlierAttempts": [dict(entry) for entry in row.history],
                }
                for row in self.troubles
            ],
        }


def campaign_status(folder: str | Path) -> CampaignStatus:
    """Read the status of the campaign in `folder`. Raises `FileNotFoundError` if it holds none."""
    path = Path(folder)
    with Ledger.open(path, create=False) as ledger:
        return CampaignStatus(
            folder=path,
            campaign_id=ledger.campaign_id,
            base_url=ledger.meta("base_url"),
            counts=ledger.counts(),
            troubles=tuple(ledger.rows(*_TROUBLE)),
        )


def format_status(status: CampaignStatus) -> str:
    """The status for people: one line of counts, then one line per row in trouble."""
    counts = ", ".join(f"{count} {state}" for state, count in status.counts.items() if count)
    lines = [
        f"campaign {status.campaign_id} in {status.folder}: {status.total} rows" + (f": {counts}" if counts else "")
    ]
    for row in status.troubles:
        reason = row.error or row.failure or ""
        tries = f" (after {row.attempt} attempts)" if row.attempt > 1 else ""
        lines.append(f"  row {row.key} (line {row.line}) {row.name!r}: {row.state}{tries}: {reason}")
    return "\n".join(lines)


def report_records(folder: str | Path) -> list[dict[str, Any]]:
    """The campaign's report as records (`REPORT_COLUMNS` keys; null where the CSV has an empty cell), one per row.

    Raises `FileNotFoundError` if `folder` holds no campaign.
    """
    records = []
    with Ledger.open(Path(folder), create=False) as ledger:
        for row in ledger.rows():
            downloaded = row.state == RowState.DOWNLOADED
            values = (
                row.key,
                row.name,
                row.job_id or None,
                row.video_id or None,
                row.file if downloaded else None,
                row.sha256 if downloaded and row.sha256 else None,
                str(row.state),
                row.error or None,
                row.attempt,
            )
            records.append(dict(zip(REPORT_COLUMNS, values, strict=True)))
    return records


def write_report(folder: str | Path, stream: TextIO) -> int:
    """Write the campaign's CSV report (`REPORT_COLUMNS`, one line per row) to `stream`; return the rows written.

    The ledger is read first: a folder without a campaign raises `FileNotFoundError` before anything is written.
    """
    records = report_records(folder)
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for record in records:
        writer.writerow(["" if record[column] is None else record[column] for column in REPORT_COLUMNS])
    return len(records)
