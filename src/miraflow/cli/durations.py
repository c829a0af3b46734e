"""Durations as people type them on a command line: `90`, `90s`, `10m`, `1h`, `1h30m`, `1.5m`.

A bare number is seconds. Otherwise one or more parts, each a number and a unit, largest unit first and each unit at
most once: `h` (hours), `m` (minutes), `s` (seconds); case and spaces between parts do not matter (`1H 30M`).
`parse_duration` returns seconds as a float; `duration_option` is its typer parser, which the CLI's `--timeout` uses
(`typer.Option(..., parser=duration_option, metavar=DURATION_METAVAR)`), so a bad value is a usage error naming the
option and saying what to write.
"""

from __future__ import annotations

import math
import re

import typer

__all__ = ["DURATION_METAVAR", "duration_option", "format_duration", "parse_duration"]

DURATION_METAVAR = "DURATION"
"""The placeholder help shows for a duration option."""

_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0}
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_PART = re.compile(rf"\s*({_NUMBER})\s*([hms])", re.IGNORECASE)
_BARE = re.compile(rf"{_NUMBER}")
_EXAMPLES = "90, 90s, 10m, 1h, 1h30m or 1.5m"


def parse_duration(text: str) -> float:
    """The seconds `text` stands for (`"90"` → 90.0, `"10m"` → 600.0, `"1h30m"` → 5400.0).

    Raises `ValueError`, with a message saying what to write, for anything else (empty, negative, an unknown unit, a
    unit twice or out of order, a number too large to be a time).
    """
    value = text.strip()
    if _BARE.fullmatch(value):
        return _finite(float(value), text)
    position = 0
    total = 0.0
    seen: list[str] = []
    for match in _PART.finditer(value):
        if match.start() != position:
            break
        unit = match.group(2).lower()
        if seen and list(_UNITS).index(unit) <= list(_UNITS).index(seen[-1]):
            raise ValueError(f"{text!r} is not a duration: write each unit once, largest first ({_EXAMPLES})")
        seen.append(unit)
        total += float(match.group(1)) * _UNITS[unit]
        position = match.end()
    if not seen or position != len(value):
        raise ValueError(f"{text!r} is not a duration: write seconds or a number with a unit, such as {_EXAMPLES}")
    return _finite(total, text)


def _finite(seconds: float, text: str) -> float:
    if not math.isfinite(seconds):
        raise ValueError(f"{text!r} is too long to be a duration")
    return seconds


def format_duration(seconds: float) -> str:
    """`seconds` written back in the form `parse_duration` reads (`5400` → `"1h30m"`, `90.5` → `"1m30.5s"`)."""
    if seconds < 0 or not math.isfinite(seconds):
        raise ValueError(f"not a duration: {seconds!r}")
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{int(hours)}h" if hours else "", f"{int(minutes)}m" if minutes else ""]
    if secs or not (hours or minutes):
        parts.append(f"{secs:g}s")
    return "".join(parts)


def duration_option(value: str | float) -> float:
    """Typer's parser for a duration option: the seconds `value` stands for, or a `typer.BadParameter` saying why not.

    Typer reports the error as a usage error naming the option (exit code 2). A number (a default) passes through.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0 or not math.isfinite(value):
            raise typer.BadParameter(f"{value!r} is not a duration: a duration is zero or more seconds")
        return float(value)
    try:
        return parse_duration(str(value))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
