"""The audio file behind `videos.create_from_audio`: what `media/initialize` is told, and the body of its PUT.

The PUT to the signed upload URL is idempotent, so it is retried like a GET: its body is a factory, read afresh from
the file for each attempt.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

__all__ = ["AudioFile", "UploadProgress", "describe_audio"]

_CHUNK = 256 * 1024  # small enough for a progress bar to move on a slow uplink

UploadProgress = Callable[[int, int], object]
"""Called with the bytes handed to the connection so far and the file's size."""


@attrs.frozen
class AudioFile:
    """An audio file to upload: its path, name, size in bytes and media type (`audio/...`)."""

    path: Path
    name: str
    size: int
    content_type: str

    def put_kwargs(self, upload_url: str, on_progress: UploadProgress | None = None) -> dict[str, Any]:
        """Httpx `build_request` arguments for the sync client's PUT of this file to `upload_url`.

        `on_progress(sent, total)` is called as each chunk is handed to the connection; a retried PUT starts again
        from 0.
        """
        content = self._chunks(on_progress)
        return {"method": "PUT", "url": upload_url, "content": content, "headers": self._headers()}

    def aput_kwargs(self, upload_url: str, on_progress: UploadProgress | None = None) -> dict[str, Any]:
        """Httpx `build_request` arguments for the async client's PUT of this file (see `put_kwargs`)."""
        content = self._achunks(on_progress)
        return {"method": "PUT", "url": upload_url, "content": content, "headers": self._headers()}

    def _headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type, "Content-Length": str(self.size)}

    def _chunks(self, on_progress: UploadProgress | None = None) -> Iterator[bytes]:
        sent = 0
        if on_progress is not None:
            on_progress(0, self.size)
        with self.path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                yield chunk
                sent += len(chunk)
                if on_progress is not None:
                    on_progress(sent, self.size)

    async def _achunks(self, on_progress: UploadProgress | None = None) -> AsyncIterator[bytes]:
        for chunk in self._chunks(on_progress):
            yield chunk


def describe_audio(audio_path: str | os.PathLike[str]) -> AudioFile:
    """Check `audio_path` is a non-empty audio file (by its extension) and describe it for the upload."""
    path = Path(audio_path)
    if not path.is_file():
        raise FileNotFoundError(f"no audio file at {str(path)!r}")
    content_type, _ = mimetypes.guess_type(path.name)
    if content_type is None or not content_type.startswith("audio/"):
        raise ValueError(
            f"{path.name!r} does not look like an audio file (its type is {content_type or 'unknown'}); "
            "the upload takes audio such as .wav or .mp3"
        )
    size = path.stat().st_size
    if size == 0:
        raise ValueError(f"{path.name!r} is empty")
    return AudioFile(path=path, name=path.name, size=size, content_type=content_type)
