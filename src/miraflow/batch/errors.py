"""The errors a campaign raises, beside the SDK's own.

```
MiraflowError                   (the SDK's base)
└── BatchError                  a campaign cannot run as asked
    ├── CampaignFileError       FILE cannot be read as a campaign (format, columns)
    ├── InvalidRowsError        some rows are invalid (`errors`: every one, with its line); nothing was sent
    ├── LedgerConflictError     DIR holds a campaign that FILE contradicts (a started row changed)
    ├── InsufficientCreditsError  the balance given cannot cover the campaign's estimated credits
    └── CampaignBusyError       another process is running a campaign in DIR
```

Talking to the API raises the SDK's errors (`miraflow.APIError` and below).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from miraflow import MiraflowError

if TYPE_CHECKING:
    from miraflow.batch.cost import CostEstimate
    from miraflow.batch.rows import RowError

__all__ = [
    "BatchError",
    "CampaignBusyError",
    "CampaignFileError",
    "InsufficientCreditsError",
    "InvalidRowsError",
    "LedgerConflictError",
]


class BatchError(MiraflowError):
    """A campaign cannot run as asked (a usage error: nothing was created because of it)."""


class CampaignFileError(BatchError):
    """The campaign file cannot be read: an unknown format, a missing required column, a duplicate column."""


class InvalidRowsError(BatchError):
    """Some rows of the campaign file are invalid; `errors` lists every one with its line. Nothing was sent."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = tuple(errors)
        rows = len({error.key for error in self.errors})  # a row may have several errors: count the rows
        noun = "row is" if rows == 1 else "rows are"
        problems = f" ({len(self.errors)} problems)" if len(self.errors) != rows else ""
        super().__init__(
            f"{rows} {noun} invalid{problems}; nothing was created (fix them, or pass --skip-invalid to run the rest)"
        )

    @property
    def rows(self) -> int:
        """How many rows are invalid (each may have several errors)."""
        return len({error.key for error in self.errors})


class LedgerConflictError(BatchError):
    """The campaign folder's ledger contradicts the file: a row that was already sent is different now."""


class CampaignBusyError(BatchError):
    """Another process is running a campaign in the same folder."""


class InsufficientCreditsError(BatchError):
    """The balance given cannot cover the campaign's estimated credits; `estimate` has the figures. Nothing was sent."""

    def __init__(self, message: str, *, estimate: CostEstimate) -> None:
        self.estimate = estimate
        super().__init__(message)
