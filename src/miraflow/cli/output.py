"""What the `miraflow` command prints on stdout: rich tables and lines for people, JSON for programs, progress bars.

With `--json`, stdout carries exactly one JSON document and nothing else (no table, no progress, no narrative).
With `-q/--quiet`, only the id a script wants (`JOB=$(miraflow create -q ...)`), one per line. Progress bars are drawn
only when stdout is a terminal and neither is given; when stdout is not a terminal (CI logs, `> file`, a pipe), long
work prints plain progress lines instead (`plain_progress`: state, progress, elapsed, at a rate a log can bear). Rich
honours `NO_COLOR` and prints no escape codes when stdout is not a terminal; there, tables are plain columns (no box
drawing) and ids are never wrapped or cut, on a terminal either. User data (names, paths) is printed as plain text,
never parsed as rich markup.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from rich.console import Console
from rich.filesize import decimal
from rich.markup import escape
from rich.padding import Padding
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from miraflow import Avatar, Job, JobStatus, Video, Voice
from miraflow.cli.plain_progress import JobLines, TransferLines
from miraflow.spec import lifecycle

__all__ = ["Output", "human_size", "job_json", "state_label", "status_json"]

_PIPE_WIDTH = 200  # columns of the console when stdout is not a terminal (and COLUMNS does not say)

ProgressCallback = Callable[[JobStatus], None]


def human_size(size: int) -> str:
    """A byte count for people: `1.2 MB`."""
    return decimal(size)


def state_label(status: JobStatus) -> str:
    """A short word for a job's state, from the spec's lifecycle: queued, rendering, complete, or the failure state."""
    info = status.state
    if info.outcome == "success":
        return "complete"
    if info.outcome == "failure":
        return str(status.status)
    if status.status == lifecycle().initial:
        return "queued"
    return "rendering" if info.has_progress else str(status.status)


def job_json(job: Job) -> dict[str, Any]:
    """A created job as JSON (camelCase, like the API)."""
    return {"jobId": job.id, "name": job.name, "avatarId": job.avatar_id, "mode": job.mode}


def status_json(status: JobStatus) -> dict[str, Any]:
    """A job's status as JSON (camelCase, like the API), with whether it is terminal and its outcome."""
    return {
        "jobId": status.job_id,
        "status": str(status.status),
        "progress": status.progress,
        "videoId": status.video_id,
        "terminal": status.is_terminal,
        "outcome": status.outcome,
    }


class _Console(Console):
    """A rich console on which a reader gone from stdout raises `BrokenPipeError` (rich itself would exit 1).

    `errors.reporting` then ends the command quietly with exit code 0.
    """

    def on_broken_pipe(self) -> None:
        """Raise `BrokenPipeError` (rich would exit 1)."""
        raise BrokenPipeError


def _stdout_is_terminal() -> bool:
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty()) if callable(isatty) else False


class Output:
    """Where one command's results go: JSON, or tables, lines and progress bars on stdout."""

    def __init__(self, *, json_output: bool, quiet: bool = False) -> None:
        self.json = json_output
        self.quiet = quiet and not json_output
        """`-q/--quiet`: only ids on stdout (`--json` wins over it)."""
        terminal = _stdout_is_terminal()
        self.terminal = terminal
        width = None if terminal or os.environ.get("COLUMNS") else _PIPE_WIDTH
        self.console: Console = _Console(highlight=False, width=width)
        self.progress = terminal and not json_output and not self.quiet
        """Whether progress bars are drawn (stdout is a terminal, no --json, no --quiet)."""
        self.plain_progress = not terminal and not json_output and not self.quiet
        """Whether progress is plain lines (stdout is not a terminal, no --json, no --quiet)."""

    # --- JSON -------------------------------------------------------------------------------------------------------

    def data(self, payload: Any) -> None:
        """Print `payload` as the command's one JSON document (only with --json)."""
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        sys.stdout.flush()

    # --- scripts ----------------------------------------------------------------------------------------------------

    def ids(self, *values: str) -> None:
        """With --quiet, print `values` a line each, at once (a script may read them before the command ends)."""
        if not self.quiet:
            return
        for value in values:
            sys.stdout.write(f"{value}\n")
        sys.stdout.flush()

    # --- people -----------------------------------------------------------------------------------------------------

    def line(self, *parts: str | tuple[str, str]) -> None:
        """Print one line made of plain strings and (text, style) pairs; nothing with --json or --quiet."""
        if self.json or self.quiet:
            return
        self.console.print(Text.assemble(*parts), soft_wrap=True)

    def blank(self) -> None:
        """An empty line (not with --json or --quiet)."""
        if not self.json and not self.quiet:
            self.console.print()

    def heading(self, text: str) -> None:
        """A bold line that starts a step (not with --json)."""
        self.line((text, "bold"))

    def table(
        self, title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], *, ids: Sequence[str] = ("id",)
    ) -> None:
        """A table of plain-text cells titled with its row count, or "No <title>." (not with --json or --quiet).

        The `ids` columns are never wrapped or cut. Off a terminal the table is plain columns: a header line, then a
        line per row, cells padded with spaces, no title and no box drawing (`awk`, `cut` and `head` read it).
        """
        if self.json or self.quiet:
            return
        if not rows:
            self.line(f"No {title.lower()}.")
            return
        if not self.terminal:
            self._plain_table(columns, rows)
            return
        table = Table(title=f"{title} ({len(rows)})", title_justify="left", title_style="bold")
        for index, column in enumerate(columns):
            if column in ids:
                widest = max(len(column), *(len(row[index]) for row in rows))
                table.add_column(column, no_wrap=True, overflow="ignore", min_width=widest)
            else:
                table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))
        self.console.print(table)

    def _plain_table(self, columns: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        cells = [[" ".join(cell.split()) for cell in row] for row in [columns, *rows]]
        widths = [max(len(row[index]) for row in cells) for index in range(len(columns))]
        for row in cells:
            line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            sys.stdout.write(line + "\n")
        sys.stdout.flush()

    def fields(self, rows: Sequence[tuple[str, str]], *, indent: int = 2) -> None:
        """Label/value pairs, aligned (not with --json or --quiet)."""
        if self.json or self.quiet:
            return
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(overflow="fold")
        for label, value in rows:
            grid.add_row(Text(label), Text(value))
        self.console.print(Padding(grid, (0, 0, 0, indent), expand=False))

    def avatars(self, avatars: Sequence[Avatar]) -> None:
        """The avatars table."""
        rows = [
            (avatar.id, avatar.name, "photo" if avatar.is_photo else "video", avatar.voice_id, _date(avatar))
            for avatar in avatars
        ]
        self.table("Avatars", ("id", "name", "kind", "voice", "created"), rows, ids=("id", "voice"))

    def voices(self, voices: Sequence[Voice]) -> None:
        """The voices table."""
        self.table("Voices", ("id", "name"), [(voice.id, voice.name) for voice in voices])

    def videos(self, videos: Sequence[Video]) -> None:
        """The videos table."""
        rows = [(video.id, video.name, video.created_at.isoformat(timespec="seconds")) for video in videos]
        self.table("Videos", ("id", "name", "created"), rows)

    # --- progress ---------------------------------------------------------------------------------------------------

    @contextlib.contextmanager
    def job_progress(self, label: str) -> Iterator[ProgressCallback]:
        """A live progress bar for a job, fed by the waiter's `on_progress` (the callback yielded).

        Off a terminal, plain lines instead (`plain_progress.JobLines`).
        """
        if self.plain_progress:
            yield JobLines(label, state_label)
            return
        if not self.progress:
            yield _ignore
            return
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[state]}"),
            TimeElapsedColumn(),
            console=self.console,
        )
        with progress:
            task = progress.add_task(escape(label), total=100, state="queued")

            def update(status: JobStatus) -> None:
                if status.outcome == "success":
                    progress.update(task, completed=100, state=state_label(status))
                elif status.progress is not None:
                    progress.update(task, completed=status.progress, state=state_label(status))
                else:
                    progress.update(task, state=state_label(status))

            yield update

    @contextlib.contextmanager
    def transfer(self, label: str) -> Iterator[Callable[[int, int | None], object]]:
        """A byte-counting progress bar for a download or an upload, fed by the SDK's `(bytes, total)` callbacks.

        Off a terminal, plain lines instead (`plain_progress.TransferLines`).
        """
        if self.plain_progress:
            yield TransferLines(label)
            return
        if not self.progress:
            yield _ignore_bytes
            return
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=self.console,
            transient=True,
        )
        with progress:
            task = progress.add_task(escape(label), total=None)

            def update(written: int, total: int | None) -> None:
                progress.update(task, completed=written, total=total)

            yield update


def _ignore(status: JobStatus) -> None:
    return None


def _ignore_bytes(written: int, total: int | None) -> None:
    return None


def _date(avatar: Avatar) -> str:
    return avatar.created_at.date().isoformat()
