"""The campaign folder on disk: one run at a time, no partial file left standing, downloaded files verified.

Downloads themselves are the SDK's (`videos.download`: streamed into a temporary `.NAME.RANDOM.part` beside the
destination, checked, fsynced, renamed atomically). A process killed mid-download cannot remove its temporary file:
`remove_partial_files` does, before a run starts and after it ends (one run holds the folder's lock, so any
`.part` file there is stale). A file recorded as downloaded is checked against its SHA-256 on every later run and
fetched again if it is missing or changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from miraflow.batch.errors import CampaignBusyError

__all__ = ["PARTIAL_SUFFIX", "file_digest", "folder_lock", "partial_files", "remove_partial_files"]

PARTIAL_SUFFIX = ".part"
_CHUNK = 1 << 20

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks; one run per folder is then the user's job
    fcntl = None  # type: ignore[assignment]


def file_digest(path: Path) -> tuple[str, int]:
    """The SHA-256 (hex) and size of the file at `path`."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def partial_files(folder: Path) -> list[Path]:
    """The temporary files of unfinished downloads in `folder` (`.NAME.RANDOM.part`)."""
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.name.startswith(".") and path.name.endswith(PARTIAL_SUFFIX) and path.is_file()
    )


def remove_partial_files(folder: Path) -> list[Path]:
    """Remove the temporary files unfinished downloads left in `folder`; return their paths."""
    removed = []
    for path in partial_files(folder):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


@contextlib.contextmanager
def folder_lock(folder: Path) -> Iterator[None]:
    """Hold the campaign folder for one run: raises `CampaignBusyError` if another process holds it.

    An advisory lock on the folder itself: nothing is written, and the kernel releases it when the process dies.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if fcntl is None:  # pragma: no cover
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CampaignBusyError(
                f"another `miraflow batch run` is working in {str(folder)!r}; wait for it, or stop it first"
            ) from None
        yield
    finally:
        os.close(fd)
