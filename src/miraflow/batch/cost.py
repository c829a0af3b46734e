"""The cost, before it is spent: estimated credits per row and in total, and whether a balance covers them.

The prices are the spec's (`x-pricing`, read through `miraflow.spec.pricing()`): one credit per started 30 s of
speech (a script's words at 150 a minute), at least one, times the generation mode's multiplier (2 for full
background). The simulator charges by the same rule. Miraflow publishes neither prices nor a balance endpoint, so the
spec marks them an assumption and every figure here is an **estimate**: show it as one. The balance is the caller's
to give (from the account's dashboard, or a simulator tenant's credits); without one, `covered` is None.

```python
estimate = estimate_cost(validation.rows, balance=120)
print(estimate.total, estimate.covered, estimate.affordable)
estimate.check(allow_partial=False)  # raises InsufficientCreditsError if 120 credits cannot cover it
```

A single create whose script is far above the usual size (`x-pricing.scriptCharacters.confirmAbove`, ten times the
guide's longest example) should be confirmed first: `large_script_warning` says so, and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import attrs

from miraflow.batch.errors import InsufficientCreditsError
from miraflow.spec import Pricing, pricing

__all__ = [
    "CostEstimate",
    "InsufficientCreditsError",
    "Priced",
    "RowCost",
    "estimate_cost",
    "large_script_warning",
    "script_needs_confirmation",
]


class Priced(Protocol):
    """What pricing a row needs: its number, name, generation mode and script (a validated `rows.Row` has them)."""

    @property
    def key(self) -> int: ...  # noqa: D102
    @property
    def name(self) -> str: ...  # noqa: D102
    @property
    def mode(self) -> str: ...  # noqa: D102
    @property
    def text(self) -> str: ...  # noqa: D102


@attrs.frozen
class RowCost:
    """The estimated credits of one row's create."""

    key: int
    name: str
    mode: str
    speech_seconds: float
    credits: int


@attrs.frozen
class CostEstimate:
    """Estimated credits per row (in file order) and in total, against a balance if one was given.

    Always an estimate: `assumptions` are the ids of the spec's `x-assumption` marks the prices rest on.
    """

    rows: tuple[RowCost, ...]
    balance: float | None
    unit: str
    assumptions: tuple[str, ...]

    @property
    def total(self) -> int:
        """The estimated credits of every row together."""
        return sum(row.credits for row in self.rows)

    @property
    def by_mode(self) -> Mapping[str, tuple[int, int]]:
        """Per generation mode present: (videos, estimated credits), in the order modes first appear."""
        result: dict[str, tuple[int, int]] = {}
        for row in self.rows:
            videos, credits = result.get(row.mode, (0, 0))
            result[row.mode] = (videos + 1, credits + row.credits)
        return result

    @property
    def covered(self) -> bool | None:
        """Whether the balance covers the whole campaign; None when no balance was given."""
        return None if self.balance is None else self.total <= self.balance

    @property
    def shortfall(self) -> float:
        """The credits missing to cover the whole campaign (0 when covered or when no balance was given)."""
        return 0.0 if self.balance is None else max(self.total - self.balance, 0.0)

    @property
    def affordable(self) -> int | None:
        """How many rows, taken in file order, the balance covers; None when no balance was given."""
        if self.balance is None:
            return None
        spent = 0.0
        for count, row in enumerate(self.rows):
            spent += row.credits
            if spent > self.balance:
                return count
        return len(self.rows)

    def check(self, *, allow_partial: bool = False) -> None:
        """Refuse a campaign the balance cannot cover: raise `InsufficientCreditsError` unless `allow_partial`.

        Nothing is refused when no balance was given (it cannot be known), or when the balance covers it all.
        """
        if self.covered is not False or allow_partial:
            return
        raise InsufficientCreditsError(
            f"the campaign needs an estimated {_amount(self.total)} {self.unit} but the balance is "
            f"{_amount(self.balance or 0.0)}: it covers the first {self.affordable} of {len(self.rows)} rows "
            f"(an estimate). Add {self.unit}, or pass --allow-partial to start anyway",
            estimate=self,
        )

    def to_json(self) -> dict[str, Any]:
        """The estimate as plain JSON data (for `--json`): per row, per mode, total, balance, and that it estimates."""
        return {
            "estimate": True,
            "unit": self.unit,
            "total": self.total,
            "balance": self.balance,
            "covered": self.covered,
            "shortfall": self.shortfall,
            "affordableRows": self.affordable,
            "byMode": {
                mode: {"videos": videos, "credits": credits} for mode, (videos, credits) in self.by_mode.items()
            },
            "rows": [
                {
                    "row": row.key,
                    "name": row.name,
                    "mode": row.mode,
                    "speechSeconds": row.speech_seconds,
                    "credits": row.credits,
                }
                for row in self.rows
            ],
            "assumptions": list(self.assumptions),
        }


def estimate_cost(
    rows: Iterable[Priced], *, balance: float | None = None, prices: Pricing | None = None
) -> CostEstimate:
    """Estimate the credits of creating every row (valid rows: each knows its mode), against `balance` if given.

    `prices` defaults to the spec's. Raises `KeyError` for a row whose mode the spec does not price, `ValueError`
    for a negative balance.
    """
    if balance is not None and balance < 0:
        raise ValueError(f"a balance cannot be negative: {balance!r}")
    table = prices or pricing()
    costs = tuple(
        RowCost(
            key=row.key,
            name=row.name,
            mode=row.mode,
            speech_seconds=table.speech_seconds(row.text),
            credits=table.script_credits(row.mode, row.text),
        )
        for row in rows
    )
    return CostEstimate(rows=costs, balance=balance, unit=table.unit, assumptions=table.assumptions)


def script_needs_confirmation(text: str, *, prices: Pricing | None = None) -> bool:
    """Whether a script is far above the usual size (more characters than the spec's `confirmAbove`)."""
    table = prices or pricing()
    return len(text.strip()) > table.confirm_script_characters


def large_script_warning(text: str, *, prices: Pricing | None = None) -> str | None:
    """The question to ask before creating a script far above the usual size, or None if it is not."""
    table = prices or pricing()
    if not script_needs_confirmation(text, prices=table):
        return None
    size = len(text.strip())
    return (
        f"this script is {size:,} characters, far above the usual size (up to about "
        f"{table.usual_script_characters:,}): it may take much longer to render, and cost more. Create it?"
    )


def _amount(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
