"""Before anything is sent: the account's avatars (and voices), the validated rows, and the plan a dry run prints.

`load_catalog` lists what validation needs (read-only requests, retried while transient). `plan_campaign` validates a
file and summarises it: videos per mode, each mode's expected render time from the spec (scaled), and the render time
in total, which the service spreads over its render slots. It creates nothing and writes nothing.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs

from miraflow import AsyncMiraflow
from miraflow.batch.rows import RawRow, Validation, read_rows, validate_rows, wants_voices
from miraflow.clock import AsyncClock, AsyncSystemClock
from miraflow.retries import retry_async
from miraflow.spec import lifecycle
from miraflow.types import Avatar, Voice

__all__ = ["Catalog", "ModePlan", "Plan", "load_catalog", "plan_campaign"]

READ_ATTEMPTS = 6
"""How often a read-only request (the listings) is tried before its transient failure ends the run."""


@attrs.frozen
class Catalog:
    """What validation checks rows against: the account's avatars, and its voices if a row names one."""

    avatars: tuple[Avatar, ...]
    voices: tuple[Voice, ...] | None


async def load_catalog(
    client: AsyncMiraflow,
    rows: Sequence[RawRow],
    *,
    clock: AsyncClock | None = None,
    rng: random.Random | None = None,
) -> Catalog:
    """List the account's avatars (fresh, not cached) and, if any row names a voice, its voices.

    Each listing is tried again after a transient failure (Retry-After honoured), sleeping on `clock`.
    """
    clock = clock if clock is not None else AsyncSystemClock()
    rng = rng if rng is not None else random.Random()
    avatars = await retry_async(lambda: client.avatars.list(refresh=True), attempts=READ_ATTEMPTS, clock=clock, rng=rng)
    voices = None
    if wants_voices(rows):
        voices = await retry_async(client.voices.list, attempts=READ_ATTEMPTS, clock=clock, rng=rng)
    return Catalog(tuple(avatars), None if voices is None else tuple(voices))


@attrs.frozen
class ModePlan:
    """The videos of one generation mode: how many, and how long each takes to render (seconds, scaled)."""

    mode: str
    videos: int
    min_seconds: float
    max_seconds: float

    @property
    def expected_seconds(self) -> float:
        """The render time of all of them, one after another, at the middle of the range."""
        return self.videos * (self.min_seconds + self.max_seconds) / 2


@attrs.frozen
class Plan:
    """What a campaign would do: its rows, the invalid ones, and the videos per mode."""

    file: Path
    rows: int
    validation: Validation
    modes: tuple[ModePlan, ...]
    time_scale: float

    @property
    def expected_seconds(self) -> float:
        """The render time of every video, one after another (the service renders several at once)."""
        return sum(mode.expected_seconds for mode in self.modes)

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON (what `batch run --dry-run --json` prints)."""
        return {
            "file": str(self.file),
            "rows": self.rows,
            "valid": len(self.validation.rows),
            "invalid": len({error.key for error in self.validation.errors}),
            "errors": [{"line": e.line, "row": e.key, "message": e.message} for e in self.validation.errors],
            "modes": {
                mode.mode: {"videos": mode.videos, "minSeconds": mode.min_seconds, "maxSeconds": mode.max_seconds}
                for mode in self.modes
            },
            "expectedRenderSeconds": round(self.expected_seconds, 3),
            "timeScale": self.time_scale,
        }


def summarise(file: Path, raw: Sequence[RawRow], validation: Validation, *, time_scale: float) -> Plan:
    """The plan of a validated file."""
    counts = Counter(row.mode for row in validation.rows)
    modes = []
    for name, mode in lifecycle().modes.items():
        if counts[name]:
            duration = mode.duration.scaled(time_scale)
            modes.append(ModePlan(name, counts[name], duration.min, duration.max))
    return Plan(file=file, rows=len(raw), validation=validation, modes=tuple(modes), time_scale=time_scale)


async def plan_campaign(
    file: str | Path, *, client: AsyncMiraflow, time_scale: float = 1.0, encoding: str | None = None
) -> Plan:
    """Validate `file` against the account and summarise what running it would create. Sends no create.

    `encoding` is the file's text encoding (None: UTF-8, or UTF-16/32 with a BOM).
    """
    path = Path(file)
    raw = read_rows(path, encoding=encoding)
    catalog = await load_catalog(client, raw)
    validation = validate_rows(raw, avatars=catalog.avatars, voices=catalog.voices)
    return summarise(path, raw, validation, time_scale=time_scale)
