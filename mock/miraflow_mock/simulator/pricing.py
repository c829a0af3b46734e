"""What a create costs, in credits: the spec's `x-pricing` rule (an assumption: the real price list is not public)."""

from __future__ import annotations

from miraflow.spec import Mode, pricing

__all__ = ["SECONDS_PER_CREDIT", "cost"]

SECONDS_PER_CREDIT = pricing().seconds_per_credit


def cost(mode: Mode, speech_seconds: float) -> int:
    """Credits for a video of `speech_seconds` in `mode`.

    One credit per started 30 s of speech (at least one), doubled for full-background output: `x-pricing`, which the
    SDK's cost estimate reads too.
    """
    return pricing().credits(mode.name, speech_seconds)
