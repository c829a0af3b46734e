"""A campaign run's settings in one value: what `run_campaign` takes, what `miraflow batch run` fills from its flags."""

from __future__ import annotations

import attrs

__all__ = ["DEFAULT_CONCURRENCY", "DEFAULT_MAX_ATTEMPTS", "CampaignOptions"]

DEFAULT_CONCURRENCY = 4
DEFAULT_MAX_ATTEMPTS = 2
"""With `retry_failed`: a row whose job failed is created at most this many times in all."""


def _at_least_one(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 1:
        raise ValueError(f"{attribute.name} must be at least 1, not {value}")


@attrs.frozen(kw_only=True)
class CampaignOptions:
    """How a campaign runs (every setting has its default; a bad count raises `ValueError` before anything is sent).

    `concurrency`: creates in flight at most. `time_scale`: for a simulator running faster than real time.
    `skip_invalid`: run the valid rows even if some are invalid. `recreate_ambiguous`: create again the rows whose
    create may not have reached the API. `retry_failed`: create again the rows whose job failed, until a row has had
    `max_attempts` attempts (kept in the ledger: the bound holds across runs). `encoding`: the file's text encoding
    (None: UTF-8, or UTF-16/32 with a BOM). `allow_partial`: start even if the balance covers only part of the rows.
    """

    concurrency: int = attrs.field(default=DEFAULT_CONCURRENCY, validator=_at_least_one)
    time_scale: float = 1.0
    skip_invalid: bool = False
    recreate_ambiguous: bool = False
    retry_failed: bool = False
    max_attempts: int = attrs.field(default=DEFAULT_MAX_ATTEMPTS, validator=_at_least_one)
    encoding: str | None = None
    allow_partial: bool = False

    @property
    def attempts_bound(self) -> int | None:
        """How often a row may be created in all; None without `retry_failed` (a created row is not created again)."""
        return self.max_attempts if self.retry_failed else None
