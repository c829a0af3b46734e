"""Before anything is sent: the account's avatars (and voices), the validated rows, and the plan a dry run prints.

`load_catalog` lists what validation needs (read-only requests, retried while transient). `plan_campaign` validates a
file and summarises it: videos per mode, each mode's expected render time from the spec (scaled), and the render time
in total, which the service spreads over its render slots. It creates nothing and writes nothing.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs

from miraflow._client import AsyncMiraflow
from miraflow._exceptions import APIError, APIStatusError
from miraflow._retry import is_transient, retry_delay
from miraflow.batch.rows import RawRow, Validation, read_rows, validate_rows, wants_voices
from miraflow.spec import lifecycle
from miraflow.types import Avatar, Voice

__all__ = ["Catalog", "ModePlan", "Plan", "load_catalog", "plan_campaign", "with_retries"]

T = TypeVar("T")

_READ_ATTEMPTS = 6


async def with_retries(call: Callable[[], Awaitable[T]], *, attempts: int = _READ_ATTEMPTS) -> T:
    """Run a read-only request, again after a transient failure (honouring Retry-After), up to `attempts` times."""
    rng = random.Random()
    for attempt in range(attempts):
        try:
            return await call()
        except APIError as error:
            if not is_transient(error) or attempt + 1 >= attempts:
                raise
            response = error.response if isinstance(error, APIStatusError) else None
            headers = response.headers if response is not None else None
            await asyncio.sleep(retry_delay(attempt, headers=headers, rng=rng))  # Retry-After honoured
    raise AssertionError("unreachable")  # pragma: no cover


@attrs.frozen
class Catalog:
    """What validation checks rows against: the account's avatars, and its voices if a row names one."""

    avatars: tuple[Avatar, ...]
    voices: tuple[Voice, ...] | None


async def load_catalog(client: AsyncMiraflow, rows: Sequence[RawRow]) -> Catalog:
    """List the account's avatars (fresh, not cached) and, if any row names a voice, its voices."""
    avatars = await with_retries(lambda: client.avatars.list(refresh=True))
    voices = await with_retries(client.voices.list) if wants_voices(rows) else None
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


async def plan_campaign(file: str | Path, *, client: AsyncMiraflow, time_scale: float = 1.0) -> Plan:
    """Validate `file` against the account and summarise what running it would create. Sends no create."""
    path = Path(file)
    raw = read_rows(path)
    catalog = await load_catalog(client, raw)
    validation = validate_rows(raw, avatars=catalog.avatars, voices=catalog.voices)
    return summarise(path, raw, validation, time_scale=time_scale)
