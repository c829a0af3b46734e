"""Checking a public method's arguments before any request: a wrong type is a `TypeError` naming the parameter.

Type checkers catch these in typed code; this catches them in untyped code (and data read from files) before a
request, or a create that costs credits, is sent. `bool` is never taken for a number, nor a number for a `bool`.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import attrs
import httpx

from miraflow.types import Avatar, Job, Voice

__all__ = [
    "AVATAR",
    "CALLBACK",
    "FLAG",
    "JOB",
    "OPTIONAL_FLAG",
    "OPTIONAL_SECONDS",
    "OPTIONAL_VOICE",
    "PATH",
    "SCALE",
    "TEXT",
    "TIMEOUT",
    "VOICE",
    "Rule",
    "check_arguments",
    "wait_arguments",
]


@attrs.frozen
class Rule:
    """What a parameter accepts (`accepts`), and how to say it in an error (`wanted`)."""

    accepts: Callable[[object], bool]
    wanted: str


def _of(*kinds: type, optional: bool = False) -> Callable[[object], bool]:
    def accepts(value: object) -> bool:
        if value is None:
            return optional
        if isinstance(value, bool) and bool not in kinds:
            return False
        return isinstance(value, kinds)

    return accepts


TEXT = Rule(_of(str), "a str")
AVATAR = Rule(_of(Avatar, str), "an Avatar, or an avatar's id or name (a str)")
VOICE = Rule(_of(Voice, str), "a Voice, or a voice's id or name (a str)")
OPTIONAL_VOICE = Rule(_of(Voice, str, optional=True), "a Voice, a voice's id or name (a str), or None")
JOB = Rule(_of(Job, str), "a Job, or its job id (a str)")
FLAG = Rule(_of(bool), "a bool")
OPTIONAL_FLAG = Rule(_of(bool, optional=True), "a bool or None")
OPTIONAL_SECONDS = Rule(_of(int, float, optional=True), "a number of seconds or None")
SCALE = Rule(_of(int, float, optional=True), "a number or None")
PATH = Rule(_of(str, os.PathLike), "a path (a str or an os.PathLike)")
CALLBACK = Rule(lambda value: value is None or callable(value), "a callable or None")
TIMEOUT = Rule(_of(int, float, httpx.Timeout, optional=True), "seconds (a number), an httpx.Timeout, or None")


def check_arguments(call: str, /, **arguments: tuple[object, Rule]) -> None:
    """Raise `TypeError` for the first argument its rule does not accept, naming `call` and the parameter.

    ```python
    check_arguments("videos.create", avatar=(avatar, AVATAR), text=(text, TEXT))
    ```
    """
    for name, (value, rule) in arguments.items():
        if not rule.accepts(value):
            raise TypeError(f"{call}(): {name} must be {rule.wanted}, not {type(value).__name__} ({_show(value)})")


def wait_arguments(timeout: object, on_progress: object, time_scale: object) -> dict[str, tuple[object, Rule]]:
    """A wait's own arguments and their rules, for `check_arguments` (`jobs.wait`, `videos.generate`)."""
    return {
        "timeout": (timeout, OPTIONAL_SECONDS),
        "on_progress": (on_progress, CALLBACK),
        "time_scale": (time_scale, SCALE),
    }


def _show(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."
