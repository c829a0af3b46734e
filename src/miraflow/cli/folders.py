"""The folders a command writes videos into, created before anything costs credits."""

from __future__ import annotations

from pathlib import Path

from miraflow.cli.errors import CLIError

__all__ = ["output_folder"]


def output_folder(folder: Path, *, flag: str) -> Path:
    """`folder` (given as `flag`), created now: a wrong path is a usage error before any request is sent."""
    if folder.exists() and not folder.is_dir():
        raise CLIError(f"{flag} {folder}: not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CLIError(f"{flag} {folder}: {exc.strerror or exc}") from None
    return folder
