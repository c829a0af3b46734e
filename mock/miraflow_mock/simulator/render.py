"""Real, playable MP4 output for the simulator: H.264 video + AAC audio, rendered locally with PyAV and Pillow.

A video shows the avatar's name (`title`) and the mode (`subtitle`) on a background colour derived from `seed`, a
simple face whose mouth opens with the loudness of the soundtrack, and a progress line along the bottom. The
soundtrack is either a synthesized speech-like signal (deterministic from `seed`) or an uploaded audio file.

Rendering is cheap on purpose: 10 frames a second, a handful of pre-drawn frames (one per mouth opening) reused for
every frame, x264's fastest preset and the AAC encoder's fast coder. The same arguments give the same bytes.
Nothing here keeps state between calls, so worker threads may render concurrently.
"""

from __future__ import annotations

import colorsys
import itertools
import math
import os
import random
import tempfile
from math import gcd
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

from miraflow.durable import fsync_folder
from miraflow.spec import pricing

__all__ = ["probe_audio_seconds", "render_video", "speech_seconds"]

WORDS_PER_MINUTE = pricing().words_per_minute  # the spec's speech rate, which its prices are by
MIN_SPEECH_SECONDS = pricing().min_speech_seconds
MIN_VIDEO_SECONDS = 0.5
FPS = 10
SAMPLE_RATE = 24_000
AUDIO_BIT_RATE = 32_000
KEYFRAME_INTERVAL = 2 * FPS
MOUTH_LEVELS = 6
SQUARE_SIZE = 320
WIDTH = 480
MAX_HEIGHT = 1920

_Samples = npt.NDArray[np.float32]
_Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def speech_seconds(text: str) -> float:
    """Seconds a script takes to speak at the spec's `x-pricing.wordsPerMinute` (150); at least 1.0."""
    return pricing().speech_seconds(text)


def probe_audio_seconds(path: Path) -> float:
    """Duration of an audio file (any format FFmpeg/PyAV can decode).

    The file is decoded in full, so the answer is exact even when the container's header has no (or a wrong)
    duration. Raises ValueError with a one-line reason if it is not decodable audio (no audio stream, garbage bytes,
    zero length), and FileNotFoundError if there is no such file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such audio file: {path}")
    samples_by_rate: dict[int, int] = {}  # exact counts: summing per-frame fractions of a second would drift
    try:
        with av.open(str(path), "r") as container:
            if not container.streams.audio:
                raise ValueError(f"not decodable audio: {path.name}: no audio stream")
            stream = container.streams.audio[0]
            for frame in container.decode(stream):
                rate = int(frame.sample_rate)
                if rate > 0:
                    samples_by_rate[rate] = samples_by_rate.get(rate, 0) + int(frame.samples)
    except av.FFmpegError as exc:
        raise ValueError(f"not decodable audio: {path.name}: {_one_line(exc)}") from exc
    seconds = float(sum(count / rate for rate, count in samples_by_rate.items()))
    if seconds <= 0.0:
        raise ValueError(f"not decodable audio: {path.name}: zero length")
    return seconds


def render_video(
    dest: Path,
    *,
    title: str,
    subtitle: str,
    aspect: tuple[int, int],
    seconds: float,
    seed: int,
    audio: Path | None = None,
) -> int:
    """Write an MP4 (H.264 video + AAC audio) of `seconds` length to `dest` atomically; returns its size in bytes.

    The file is written to a temporary file in dest's folder, fsynced and moved onto `dest` with os.replace: after
    any exception nothing new stands at `dest` and the temporary file is gone. `aspect` (1, 1) gives 320x320 frames;
    any other aspect is 480 pixels wide (16:9 gives 480x270). `seconds` is clamped to at least 0.5. With `audio`
    (a file PyAV can decode) that file is the soundtrack, padded with silence or trimmed to `seconds`; without it
    the soundtrack is synthesized speech-like sound. Raises ValueError for a bad `aspect`, a non-finite `seconds`
    or an `audio` file that is not decodable audio.
    """
    dest = Path(dest)
    width, height = _frame_size(aspect)
    if not math.isfinite(seconds):
        raise ValueError(f"seconds must be finite, got {seconds!r}")
    seconds = max(MIN_VIDEO_SECONDS, float(seconds))
    sample_count = round(seconds * SAMPLE_RATE)
    samples = _synth_speech(seed, sample_count) if audio is None else _load_audio(Path(audio), sample_count)
    levels = _mouth_levels(samples, max(1, round(seconds * FPS)))
    frames = _draw_frames(width, height, title=title, subtitle=subtitle, seed=seed)

    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _encode(tmp, frames, levels, samples)
        with tmp.open("rb") as written:
            os.fsync(written.fileno())
        os.chmod(tmp, 0o644)
        size = tmp.stat().st_size
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_folder(dest.parent)
    return size


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _frame_size(aspect: tuple[int, int]) -> tuple[int, int]:
    """Frame width and height for an aspect ratio: 320x320 for 1:1, else 480 wide; both even."""
    across, down = aspect
    if across <= 0 or down <= 0:
        raise ValueError(f"aspect must be two positive integers, got {aspect!r}")
    divisor = gcd(across, down)
    if (across // divisor, down // divisor) == (1, 1):
        return SQUARE_SIZE, SQUARE_SIZE
    height = 2 * round(WIDTH * down / across / 2)
    if not 16 <= height <= MAX_HEIGHT:
        raise ValueError(f"aspect {across}:{down} is too extreme")
    return WIDTH, height


def _synth_speech(seed: int, sample_count: int) -> _Samples:
    """Speech-like mono sound: a voiced tone with harmonics under a syllable-rate envelope, with pauses."""
    rng = np.random.default_rng(seed % 2**64)
    t = np.arange(sample_count, dtype=np.float64) / SAMPLE_RATE
    pitch = rng.uniform(110.0, 220.0)
    intonation = pitch * (1.0 + 0.08 * np.sin(2 * np.pi * rng.uniform(0.2, 0.5) * t + rng.uniform(0, 2 * np.pi)))
    phase = 2 * np.pi * np.cumsum(intonation) / SAMPLE_RATE
    harmonics = rng.uniform(0.2, 1.0, size=5) / np.arange(1, 6)
    voice = sum(float(weight) * np.sin((k + 1) * phase) for k, weight in enumerate(harmonics))

    envelope = np.zeros(sample_count, dtype=np.float64)
    cursor = int(rng.uniform(0.05, 0.15) * SAMPLE_RATE)
    syllables_left = int(rng.integers(2, 7))
    while cursor < sample_count:
        length = int(rng.uniform(0.12, 0.28) * SAMPLE_RATE)
        end = min(cursor + length, sample_count)
        envelope[cursor:end] = rng.uniform(0.5, 1.0) * np.hanning(length)[: end - cursor]
        cursor = end + int(rng.uniform(0.03, 0.09) * SAMPLE_RATE)
        syllables_left -= 1
        if syllables_left == 0:  # a pause between words
            cursor += int(rng.uniform(0.15, 0.4) * SAMPLE_RATE)
            syllables_left = int(rng.integers(2, 7))

    signal = voice * envelope + 0.01 * rng.standard_normal(sample_count) * envelope
    peak = float(np.max(np.abs(signal))) if sample_count else 0.0
    if peak > 0.0:
        signal *= 0.5 / peak
    return signal.astype(np.float32)


def _load_audio(path: Path, sample_count: int) -> _Samples:
    """An audio file as mono float samples at SAMPLE_RATE, padded with silence or trimmed to `sample_count`."""
    if not path.is_file():
        raise FileNotFoundError(f"no such audio file: {path}")
    chunks: list[_Samples] = []
    have = 0
    try:
        with av.open(str(path), "r") as container:
            if not container.streams.audio:
                raise ValueError(f"not decodable audio: {path.name}: no audio stream")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="fltp", layout="mono", rate=SAMPLE_RATE)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunk = np.asarray(out.to_ndarray(), dtype=np.float32).reshape(-1)
                    chunks.append(chunk)
                    have += chunk.size
                if have >= sample_count:
                    break
            else:
                for out in resampler.resample(None):
                    chunks.append(np.asarray(out.to_ndarray(), dtype=np.float32).reshape(-1))
    except av.FFmpegError as exc:
        raise ValueError(f"not decodable audio: {path.name}: {_one_line(exc)}") from exc
    if not chunks:
        raise ValueError(f"not decodable audio: {path.name}: zero length")
    samples = np.concatenate(chunks)[:sample_count]
    if samples.size < sample_count:
        samples = np.pad(samples, (0, sample_count - samples.size))
    return np.ascontiguousarray(np.clip(samples, -1.0, 1.0), dtype=np.float32)


def _mouth_levels(samples: _Samples, frame_count: int) -> list[int]:
    """How far the mouth is open (0 to MOUTH_LEVELS - 1) in each video frame, from the sound's loudness."""
    bounds = np.linspace(0, samples.size, frame_count + 1).round().astype(np.int64)
    loudness = np.array(
        [float(np.sqrt(np.mean(np.square(samples[a:b])))) if b > a else 0.0 for a, b in itertools.pairwise(bounds)]
    )
    reference = float(np.percentile(loudness, 95)) if loudness.size else 0.0
    if reference <= 1e-6:
        return [0] * frame_count
    scaled = np.clip(loudness / reference, 0.0, 1.0) * (MOUTH_LEVELS - 1)
    return [int(level) for level in np.rint(scaled)]


def _background(seed: int) -> tuple[int, int, int]:
    hue = random.Random(seed).random()
    red, green, blue = colorsys.hsv_to_rgb(hue, 0.45, 0.55)
    return round(red * 255), round(green * 255), round(blue * 255)


def _fitted_font(draw: ImageDraw.ImageDraw, text: str, size: int, max_width: int) -> tuple[_Font, str]:
    """The largest font (from `size` down) at which `text` fits `max_width`; the text is shortened if it never does."""
    minimum = max(8, size // 2)
    while True:
        font = ImageFont.load_default(size=size)
        if draw.textlength(text, font=font) <= max_width or size <= minimum:
            break
        size = max(minimum, size * 7 // 8)
    while len(text) > 1 and draw.textlength(text, font=font) > max_width:
        text = text[:-2].rstrip() + "…"
    return font, text


def _draw_frames(width: int, height: int, *, title: str, subtitle: str, seed: int) -> list[npt.NDArray[np.uint8]]:
    """One yuv420p picture per mouth opening, as the (height * 3 / 2, width) arrays PyAV takes."""
    background = _background(seed)
    base = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(base)
    short = min(width, height)
    margin = max(4, width // 20)

    title_font, title_text = _fitted_font(draw, title, max(12, short // 9), width - 2 * margin)
    draw.text((width / 2, height * 0.05), title_text, font=title_font, fill=(255, 255, 255), anchor="mt")
    subtitle_font, subtitle_text = _fitted_font(draw, subtitle, max(10, short // 16), width - 2 * margin)
    draw.text((width / 2, height * 0.80), subtitle_text, font=subtitle_font, fill=(235, 235, 235), anchor="mt")

    centre_x, centre_y, radius = width / 2, height * 0.48, short * 0.2
    draw.ellipse((centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius), fill=(242, 205, 170))
    eye = radius * 0.12
    for side in (-1, 1):
        eye_x, eye_y = centre_x + side * radius * 0.38, centre_y - radius * 0.22
        draw.ellipse((eye_x - eye, eye_y - eye, eye_x + eye, eye_y + eye), fill=(40, 30, 30))
    # The progress strip: dark grey (neutral chroma), on even rows, so the moving line can be drawn in luma alone.
    strip_top = height - 2 * max(3, height // 45)
    draw.rectangle((0, strip_top, width, height), fill=(32, 32, 32))

    mouth_half_width, mouth_y = radius * 0.42, centre_y + radius * 0.45
    pictures = []
    for level in range(MOUTH_LEVELS):
        image = base.copy()
        half_height = 1.5 + radius * 0.05 * level
        ImageDraw.Draw(image).ellipse(
            (centre_x - mouth_half_width, mouth_y - half_height, centre_x + mouth_half_width, mouth_y + half_height),
            fill=(120, 30, 40),
        )
        rgb = av.VideoFrame.from_ndarray(np.asarray(image, dtype=np.uint8), format="rgb24")
        yuv = np.asarray(rgb.reformat(format="yuv420p").to_ndarray(), dtype=np.uint8)
        pictures.append(np.ascontiguousarray(yuv))
    return pictures


def _progress_rows(height: int) -> slice:
    strip_top = height - 2 * max(3, height // 45)
    inset = (height - strip_top) // 3
    return slice(strip_top + inset, height - inset)


def _picture(
    pictures: list[npt.NDArray[np.uint8]], level: int, index: int, frame_count: int, height: int
) -> npt.NDArray[np.uint8]:
    """Frame `index`: the pre-drawn picture for its mouth opening with the progress line drawn in."""
    picture = pictures[level].copy()
    width = picture.shape[1]
    picture[_progress_rows(height), : round(width * (index + 1) / frame_count)] = 220
    return picture


def _encode(path: Path, pictures: list[npt.NDArray[np.uint8]], levels: list[int], samples: _Samples) -> None:
    """Encode the pictures (one per entry of `levels`) and the samples into an MP4 at `path`."""
    height = pictures[0].shape[0] * 2 // 3
    width = pictures[0].shape[1]
    frame_count = len(levels)
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        video = container.add_stream(
            "libx264", rate=FPS, options={"preset": "ultrafast", "crf": "30", "g": str(KEYFRAME_INTERVAL)}
        )
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.codec_context.thread_count = 1
        # The "fast" coder takes a third of the default coder's CPU time, for a somewhat larger file.
        sound = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono", options={"aac_coder": "fast"})
        sound.bit_rate = AUDIO_BIT_RATE
        block = sound.codec_context.frame_size or 1024

        sent = 0
        for index, level in enumerate(levels):
            frame = av.VideoFrame.from_ndarray(_picture(pictures, level, index, frame_count, height), format="yuv420p")
            frame.pts = index
            container.mux(video.encode(frame))
            until = min(samples.size, round((index + 1) * SAMPLE_RATE / FPS))
            if index == frame_count - 1:
                until = samples.size
            while sent < until:
                chunk = samples[sent : min(sent + block, until)]
                audio_frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="fltp", layout="mono")
                audio_frame.sample_rate = SAMPLE_RATE
                audio_frame.pts = sent
                container.mux(sound.encode(audio_frame))
                sent += chunk.size
        container.mux(video.encode(None))
        container.mux(sound.encode(None))
