"""The live display of a campaign: one overall bar, the rows per state, and an ETA (rich).

Drawn on stderr, only when both stdout and stderr are terminals and `--json` is not given (`display_wanted`); rich
honours `NO_COLOR`. The bar counts rows that reached an end (downloaded, failed, ambiguous) out of those not skipped.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from miraflow.batch import RowState

__all__ = ["ProgressDisplay", "display_wanted", "state_summary"]

_ENDS = (RowState.DOWNLOADED, RowState.FAILED, RowState.AMBIGUOUS)
_LABELS = {
    RowState.PENDING: "to create",
    RowState.CREATING: "creating",
    RowState.CREATED: "rendering",
    RowState.COMPLETE: "to download",
    RowState.DOWNLOADED: "downloaded",
    RowState.FAILED: "failed",
    RowState.AMBIGUOUS: "ambiguous",
    RowState.SKIPPED: "skipped",
}


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if callable(isatty) else False


def display_wanted(*, json_output: bool) -> bool:
    """Whether to draw the live display: not with `--json`, and only on terminals."""
    return not json_output and _is_terminal(sys.stdout) and _is_terminal(sys.stderr)


def state_summary(counts: Mapping[RowState, int]) -> str:
    """`3 to create · 2 rendering · 10 downloaded`: the non-zero counts, in lifecycle order."""
    return " · ".join(f"{count} {_LABELS[state]}" for state, count in counts.items() if count)


class ProgressDisplay:
    """The campaign's live display; a `CampaignObserver`. Use as a context manager around the run."""

    def __init__(self, *, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("[bold]campaign"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[states]}", markup=False),
            console=console if console is not None else Console(stderr=True),
            transient=False,
        )
        self._task = self._progress.add_task("campaign", total=None, states="")

    def update(self, counts: Mapping[RowState, int]) -> None:
        """Show the counts after a row moved."""
        total = sum(counts.values()) - counts[RowState.SKIPPED]
        done = sum(counts[state] for state in _ENDS)
        self._progress.update(self._task, total=total, completed=done, states=state_summary(counts))

    def __enter__(self) -> ProgressDisplay:
        self._progress.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()
