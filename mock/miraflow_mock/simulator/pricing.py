"""What a create costs, in credits: the simulator's documented rule (the real price list is not public)."""

from __future__ import annotations

import math

from miraflow.spec import Mode

__all__ = ["SECONDS_PER_CREDIT", "cost"]

SECONDS_PER_CREDIT = 30.0
# Full-background output takes 2–3× longer to render; it costs twice as much.
_MODE_FACTOR = {"full_background": 2}


def cost(mode: Mode, speech_seconds: float) -> int:
    """Credits for a video of `speech_seconds` in `mode`.

    One credit per started 30 s of speech (at least one), doubled for full-background output.
    """
    base = max(1, math.ceil(speech_seconds / SECONDS_PER_CREDIT))
    return base * _MODE_FACTOR.get(mode.name, 1)
