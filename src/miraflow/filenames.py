"""File names made from video names: one safe path component, the same on every platform.

`safe_filename` is what the SDK's downloads name a file after its video, and what a campaign names each row's file.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["VIDEO_SUFFIX", "safe_filename"]

VIDEO_SUFFIX = ".mp4"
_MAX_NAME_BYTES = 200  # leaves room for a collision suffix and the temporary file's decorations under 255
_RESERVED_CHARACTERS = frozenset('<>:"/\\|?*')
_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(10)} | {f"LPT{i}" for i in range(10)}
)


def safe_filename(name: str, *, fallback: str = "video", suffix: str = VIDEO_SUFFIX) -> str:
    """A file name made from a video's `name`: one path component, printable, no `..`, ending in `suffix`.

    Control and format characters (bidi overrides included) become spaces, path separators and characters Windows
    reserves become `_`, whitespace collapses, runs of dots become one, leading and trailing dots and spaces go,
    Windows device names get a `_` prefix, and the result is cut to 200 bytes of UTF-8. An empty result uses
    `fallback` (sanitised the same way).
    """
    stem = _clean(name, suffix)
    if not stem:
        stem = _clean(fallback, suffix) or "video"
    return stem + suffix


def _clean(name: str, suffix: str) -> str:
    text = unicodedata.normalize("NFC", name)
    pieces = []
    for char in text:
        category = unicodedata.category(char)
        if category.startswith("C") or category in ("Zl", "Zp"):
            pieces.append(" ")
        elif char in _RESERVED_CHARACTERS:
            pieces.append("_")
        else:
            pieces.append(char)
    text = " ".join("".join(pieces).split())
    text = re.sub(r"\.{2,}", ".", text)
    text = text.strip(" .")
    if suffix and text.lower().endswith(suffix.lower()):
        text = text[: -len(suffix)].rstrip(" .")
    encoded = text.encode("utf-8")
    if len(encoded) > _MAX_NAME_BYTES:
        text = encoded[:_MAX_NAME_BYTES].decode("utf-8", errors="ignore").rstrip(" .")
    if text and text.split(".", 1)[0].upper() in _WINDOWS_DEVICES:
        text = "_" + text
    return text
