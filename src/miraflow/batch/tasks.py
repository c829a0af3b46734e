"""Background tasks of a campaign: started, kept referenced while they run, forgotten once done."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["spawn"]

T = TypeVar("T")


def spawn(coroutine: Coroutine[Any, Any, T], tasks: set[asyncio.Task[T]]) -> asyncio.Task[T]:
    """Run `coroutine` as a task held in `tasks` until it is done (the loop keeps only a weak reference to it)."""
    task = asyncio.ensure_future(coroutine)
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return task
