"""Making a rename survive a crash: fsync the folder that holds it.

Shared by the SDK's downloads and the simulator's renderer (the simulator may import this small module, as it does
`miraflow.spec`; see DESIGN.md), which both publish files by writing a temporary file and renaming it into place.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["fsync_folder"]


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX); a no-op where folders cannot be opened or synced."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
