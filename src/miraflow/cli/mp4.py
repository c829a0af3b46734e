"""The length of an MP4 file, read from its movie header (`moov/mvhd`), for the demo's summary. No decoder needed."""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

__all__ = ["mp4_duration"]

_HEADER = struct.Struct(">I4s")


def mp4_duration(path: str | os.PathLike[str]) -> float | None:
    """The movie's duration in seconds, or None if the file is not an MP4 this can read."""
    try:
        with open(path, "rb") as handle:
            moov = _find_box(handle, b"moov", os.fstat(handle.fileno()).st_size)
            if moov is None:
                return None
            mvhd = _find_box(handle, b"mvhd", moov)
            if mvhd is None:
                return None
            return _read_mvhd(handle)
    except (OSError, struct.error):
        return None


def _find_box(handle: BinaryIO, kind: bytes, end: int) -> int | None:
    """Seek to the body of the first box of `kind` before offset `end`; return where that box ends, or None."""
    while handle.tell() + _HEADER.size <= end:
        start = handle.tell()
        size, found = _HEADER.unpack(handle.read(_HEADER.size))
        size = int(size)
        if size == 1:  # a 64-bit size follows
            size = int(struct.unpack(">Q", handle.read(8))[0])
        elif size == 0:  # the box runs to the end
            size = end - start
        if size < _HEADER.size:
            return None
        if found == kind:
            return start + size
        handle.seek(start + size)
    return None


def _read_mvhd(handle: BinaryIO) -> float | None:
    version = handle.read(4)[0]
    if version == 1:
        _created, _modified, timescale, duration = struct.unpack(">QQIQ", handle.read(28))
    else:
        _created, _modified, timescale, duration = struct.unpack(">IIII", handle.read(16))
    return duration / timescale if timescale else None
