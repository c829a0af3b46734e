"""WAV files for the simulator's upload tests, made in memory."""

from __future__ import annotations

import io
import wave

__all__ = ["wav_bytes"]


def wav_bytes(seconds: float, rate: int = 16000, sample: bytes = b"\x10\x00") -> bytes:
    """A mono 16-bit WAV file of `seconds` at `rate`, every sample `sample`."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(sample * int(seconds * rate))
    return buffer.getvalue()
