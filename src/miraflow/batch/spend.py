"""Which rows a run is about to pay for: what the cost estimate and the balance check count.

A row costs credits when it is created: the rows still `pending`, the creates the API refused (nothing was made, so
they are sent again), and, with `--retry-failed`, the rows whose job failed that still have attempts left. Rows
already created (or downloaded) are not counted again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from miraflow.batch.ledger import LEDGER_NAME, Ledger, LedgerRow, RowState, retryable_failure

__all__ = ["rows_to_create", "unsent_rows"]

R = TypeVar("R")


def will_create(row: LedgerRow, *, max_attempts: int | None) -> bool:
    """Whether a run creates `row` (`max_attempts`: the `--retry-failed` bound, None without it)."""
    if row.state == RowState.PENDING or (row.state == RowState.FAILED and row.retryable):
        return True
    return max_attempts is not None and retryable_failure(row) and row.attempt < max_attempts


def rows_to_create(rows: Iterable[LedgerRow], *, max_attempts: int | None = None) -> list[LedgerRow]:
    """The ledger rows a run would create, in key order."""
    return [row for row in rows if will_create(row, max_attempts=max_attempts)]


def unsent_rows(rows: Sequence[R], folder: str | Path, *, key: str = "key", max_attempts: int | None = None) -> list[R]:
    """The file's `rows` (validated rows, each with a `key`) that a run in `folder` would create.

    Without a campaign in `folder`, all of them; otherwise those its ledger has not created yet (or will retry).
    """
    if not (Path(folder) / LEDGER_NAME).is_file():
        return list(rows)
    with Ledger.open(folder, create=False) as ledger:
        done = {
            row.key
            for row in ledger.rows()
            if row.state != RowState.SKIPPED and not will_create(row, max_attempts=max_attempts)
        }
    return [row for row in rows if getattr(row, key) not in done]
