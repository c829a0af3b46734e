"""The cost lines of `miraflow batch run`'s dry run and confirmation prompt: credits per row and in total, estimated.

The figures are `miraflow.batch.estimate_cost`'s (the spec's `x-pricing`, an assumption: Miraflow publishes no
prices), so every line says "estimated". The balance comes from `balance.find_balance`.
"""

from __future__ import annotations

from miraflow.batch import CostEstimate
from miraflow.cli.balance import Balance

__all__ = ["cost_lines", "estimate_json"]

_ROWS_SHOWN = 20  # a prompt for a campaign of thousands lists the first rows, then the totals per mode


def _amount(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def cost_lines(estimate: CostEstimate, balance: Balance | None, *, already_created: int = 0) -> list[str]:
    """Lines for people: each row's estimated credits (the first ones), the total per mode and in all, the balance."""
    unit = estimate.unit
    lines = [f"estimated cost (an estimate from the spec's pricing assumptions, not Miraflow's bill), in {unit}:"]
    for row in estimate.rows[:_ROWS_SHOWN]:
        lines.append(f"  row {row.key} {row.name!r}: {row.mode}, ~{row.speech_seconds:.0f} s of speech: {row.credits}")
    if len(estimate.rows) > _ROWS_SHOWN:
        lines.append(f"  ... and {len(estimate.rows) - _ROWS_SHOWN} more row(s)")
    for mode, (videos, credits) in estimate.by_mode.items():
        lines.append(f"  {mode}: {videos} video(s), {credits} {unit}")
    skipped = f" ({already_created} row(s) already created are not counted)" if already_created else ""
    lines.append(f"estimated total: {estimate.total} {unit} for {len(estimate.rows)} video(s){skipped}")
    if balance is None:
        lines.append("balance: unknown (pass --balance N or set MIRAFLOW_BALANCE to check it before starting)")
    elif estimate.covered:
        lines.append(f"balance: {_amount(balance.credits)} {unit} (from {balance.source}): covers it")
    else:
        lines.append(
            f"balance: {_amount(balance.credits)} {unit} (from {balance.source}): {_amount(estimate.shortfall)} short, "
            f"covers the first {estimate.affordable} of {len(estimate.rows)} row(s); a run refuses to start without "
            "--allow-partial"
        )
    return lines


def estimate_json(estimate: CostEstimate, balance: Balance | None) -> dict[str, object]:
    """The estimate as JSON (the dry run's `cost`), with where the balance came from."""
    return {**estimate.to_json(), "balanceSource": None if balance is None else balance.source}
