"""The simulator's MP4 renderer, checked by decoding its output with PyAV."""

from __future__ import annotations

import threading
import wave
from io import BytesIO
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from miraflow_mock.simulator import render
from miraflow_mock.simulator.render import probe_audio_seconds, render_video, speech_seconds

TOLERANCE = 0.25


def _render(dest: Path, **overrides: Any) -> int:
    arguments: dict[str, Any] = {
        "title": "Margot",
        "subtitle": "face-cropped",
        "aspect": (1, 1),
        "seconds": 2.0,
        "seed": 7,
    }
    arguments.update(overrides)
    return render_video(dest, **arguments)


def _frames(path: Path) -> list[npt.NDArray[np.uint8]]:
    with av.open(str(path)) as container:
        return [np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8) for frame in container.decode(video=0)]


def _audio(path: Path) -> npt.NDArray[np.float32]:
    with av.open(str(path)) as container:
        chunks = [np.asarray(frame.to_ndarray(), dtype=np.float32).reshape(-1) for frame in container.decode(audio=0)]
    return np.concatenate(chunks)


def _duration(path: Path) -> float:
    with av.open(str(path)) as container:
        assert container.duration is not None
        return container.duration / 1_000_000


def _write_wav(path: Path, seconds: float, *, rate: int = 44_100, channels: int = 2, gated: bool = False) -> None:
    """A 220 Hz tone; `gated` switches it on and off four times a second, then leaves the second half silent."""
    t = np.arange(round(seconds * rate)) / rate
    tone = np.sin(2 * np.pi * 220 * t)
    if gated:
        tone *= (np.sin(2 * np.pi * 2 * t) > 0) * (t < seconds / 2)
    samples = (tone * 12_000).astype(np.int16)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.repeat(samples, channels).tobytes())


def _png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(out, format="PNG")
    return out.getvalue()


def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name not in keep)


# --- speech_seconds ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("", 1.0),
        ("hello", 1.0),
        ("one two three four five", 2.0),
        (" ".join(["word"] * 150), 60.0),
        (" ".join(["word"] * 75) + "\n\n\t", 30.0),
    ],
)
def test_speech_runs_at_150_words_a_minute_and_at_least_a_second(text: str, seconds: float) -> None:
    assert speech_seconds(text) == pytest.approx(seconds)


# --- the container and its streams ---------------------------------------------------------------------------------


def test_output_is_h264_yuv420p_and_aac_in_mp4(tmp_path: Path) -> None:
    dest = tmp_path / "v.mp4"
    size = _render(dest, aspect=(16, 9))
    assert size == dest.stat().st_size > 0
    assert dest.read_bytes()[4:8] == b"ftyp"
    with av.open(str(dest)) as container:
        assert "mp4" in container.format.name
        (video,) = container.streams.video
        (sound,) = container.streams.audio
        assert video.codec_context.name == "h264"
        assert video.format is not None and video.format.name == "yuv420p"
        assert sound.codec_context.name == "aac"
        assert sound.channels == 1
        assert sound.rate in (22_050, 24_000)


@pytest.mark.parametrize(
    ("aspect", "size"),
    [((1, 1), (320, 320)), ((2, 2), (320, 320)), ((16, 9), (480, 270)), ((4, 3), (480, 360)), ((9, 16), (480, 854))],
)
def test_frame_size_follows_the_aspect(tmp_path: Path, aspect: tuple[int, int], size: tuple[int, int]) -> None:
    dest = tmp_path / "v.mp4"
    _render(dest, aspect=aspect, seconds=0.5)
    frames = _frames(dest)
    assert frames
    assert {frame.shape for frame in frames} == {(size[1], size[0], 3)}


@pytest.mark.parametrize("aspect", [(0, 1), (16, 0), (-16, 9), (1, 100)])
def test_bad_aspects_are_refused(tmp_path: Path, aspect: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="aspect"):
        _render(tmp_path / "v.mp4", aspect=aspect)
    assert _leftovers(tmp_path, set()) == []


@pytest.mark.parametrize(("seconds", "expected"), [(0.1, 0.5), (1.0, 1.0), (2.73, 2.73), (6.0, 6.0)])
def test_duration_follows_seconds(tmp_path: Path, seconds: float, expected: float) -> None:
    dest = tmp_path / "v.mp4"
    _render(dest, seconds=seconds)
    assert _duration(dest) == pytest.approx(expected, abs=TOLERANCE)
    frames = _frames(dest)
    assert len(frames) == pytest.approx(expected * 10, abs=1)
    assert len(_audio(dest)) / 24_000 == pytest.approx(expected, abs=TOLERANCE)


def test_non_finite_seconds_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="finite"):
        _render(tmp_path / "v.mp4", seconds=float("nan"))


# --- what the frames and the sound show ----------------------------------------------------------------------------


def test_frames_move(tmp_path: Path) -> None:
    dest = tmp_path / "v.mp4"
    _render(dest, seconds=3.0)
    frames = _frames(dest)
    distinct = {frame.tobytes() for frame in frames}
    assert len(distinct) > len(frames) // 2
    # The progress line along the bottom grows: more bright pixels in the last rows at the end than at the start.
    bottom = [int((frame[-8:].mean(axis=2) > 150).sum()) for frame in (frames[0], frames[-1])]
    assert bottom[1] > bottom[0] * 5


def test_seed_title_and_subtitle_change_the_picture(tmp_path: Path) -> None:
    _render(tmp_path / "base.mp4", seconds=0.5)
    _render(tmp_path / "seed.mp4", seconds=0.5, seed=8)
    _render(tmp_path / "title.mp4", seconds=0.5, title="Miraflow Muse")
    _render(tmp_path / "subtitle.mp4", seconds=0.5, subtitle="full background")
    base, seed, title, subtitle = (
        _frames(tmp_path / f"{name}.mp4")[0].astype(int) for name in ("base", "seed", "title", "subtitle")
    )
    assert np.abs(base[:8, :8] - seed[:8, :8]).max() > 20  # another background colour
    top, low = slice(0, 60), slice(240, 290)  # where a 320x320 frame shows the title and the subtitle
    assert np.abs(base[top] - title[top]).mean() > 1
    assert np.abs(base[low] - title[low]).mean() < 1
    assert np.abs(base[low] - subtitle[low]).mean() > 1
    assert np.abs(base[top] - subtitle[top]).mean() < 1


def test_synthesized_sound_is_not_silence(tmp_path: Path) -> None:
    dest = tmp_path / "v.mp4"
    _render(dest, seconds=3.0)
    samples = _audio(dest)
    assert float(np.sqrt(np.mean(np.square(samples)))) > 0.02
    # Speech-like: loud syllables and quiet gaps, not one steady tone.
    windows = samples[: samples.size // 2400 * 2400].reshape(-1, 2400)
    loudness = np.sqrt(np.mean(np.square(windows), axis=1))
    assert loudness.min() < loudness.max() / 4


def test_same_arguments_give_the_same_bytes_also_from_threads(tmp_path: Path) -> None:
    sizes: dict[str, int] = {}

    def work(name: str) -> None:
        sizes[name] = _render(tmp_path / name, seconds=1.5, seed=11)

    threads = [threading.Thread(target=work, args=(f"{index}.mp4",)) for index in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(sizes) == 3
    contents = {(tmp_path / name).read_bytes() for name in sizes}
    assert len(contents) == 1
    _render(tmp_path / "other.mp4", seconds=1.5, seed=12)
    assert (tmp_path / "other.mp4").read_bytes() not in contents


# --- audio files ---------------------------------------------------------------------------------------------------


def test_probe_reads_a_wav(tmp_path: Path) -> None:
    _write_wav(tmp_path / "a.wav", 2.5)
    _write_wav(tmp_path / "b.wav", 1.25, rate=16_000, channels=1)
    assert probe_audio_seconds(tmp_path / "a.wav") == pytest.approx(2.5, abs=1e-6)
    assert probe_audio_seconds(tmp_path / "b.wav") == pytest.approx(1.25, abs=1e-6)


def test_probe_reads_the_sound_of_an_mp4(tmp_path: Path) -> None:
    _render(tmp_path / "v.mp4", seconds=2.0)
    assert probe_audio_seconds(tmp_path / "v.mp4") == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("garbage.wav", bytes(range(256)) * 40),
        ("empty.mp3", b""),
        ("text.wav", b"hello, this is not audio\n" * 100),
        ("fake-riff.wav", b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 64),
    ],
)
def test_probe_refuses_what_is_not_audio(tmp_path: Path, name: str, content: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ValueError, match="not decodable audio") as caught:
        probe_audio_seconds(path)
    assert "\n" not in str(caught.value)


def test_probe_refuses_zero_length_audio_and_pictures(tmp_path: Path) -> None:
    with wave.open(str(tmp_path / "empty.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
    with pytest.raises(ValueError, match="zero length"):
        probe_audio_seconds(tmp_path / "empty.wav")
    frames_only = tmp_path / "still.png"
    frames_only.write_bytes(_png())
    with pytest.raises(ValueError, match="no audio stream"):
        probe_audio_seconds(frames_only)


def test_probe_of_a_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        probe_audio_seconds(tmp_path / "nope.wav")


def test_audio_file_sets_the_soundtrack_and_the_length(tmp_path: Path) -> None:
    wav = tmp_path / "a.wav"
    _write_wav(wav, 2.5, gated=True)
    dest = tmp_path / "v.mp4"
    _render(dest, aspect=(16, 9), seconds=probe_audio_seconds(wav), audio=wav)
    assert _duration(dest) == pytest.approx(2.5, abs=TOLERANCE)
    samples = _audio(dest)
    assert len(samples) / 24_000 == pytest.approx(2.5, abs=TOLERANCE)
    first, second = samples[:24_000], samples[int(1.35 * 24_000) :]
    assert float(np.abs(first).max()) > 0.2  # the tone came through
    assert float(np.abs(second).max()) < 0.05  # and the silence too
    # The mouth moves while the file speaks and stays still while it is silent.
    faces = [frame[60:200, 160:320].astype(int) for frame in _frames(dest)]
    speaking = max(np.abs(faces[i] - faces[i + 1]).mean() for i in range(0, 11))
    silent = max(np.abs(faces[i] - faces[i + 1]).mean() for i in range(15, len(faces) - 1))
    assert speaking > 3
    assert silent < 1  # (a keyframe every 2 s re-encodes the picture with slight differences)


@pytest.mark.parametrize(("seconds", "expected"), [(1.0, 1.0), (4.0, 4.0)])
def test_audio_is_trimmed_or_padded_to_seconds(tmp_path: Path, seconds: float, expected: float) -> None:
    wav = tmp_path / "a.wav"
    _write_wav(wav, 2.5, rate=22_050, channels=1)
    dest = tmp_path / "v.mp4"
    _render(dest, seconds=seconds, audio=wav)
    assert _duration(dest) == pytest.approx(expected, abs=TOLERANCE)
    samples = _audio(dest)
    assert len(samples) / 24_000 == pytest.approx(expected, abs=0.1)  # AAC adds at most 2 frames of 1024 samples
    if expected > 2.5:
        assert float(np.abs(samples[int(2.8 * 24_000) :]).max()) < 0.05


def test_undecodable_audio_is_a_value_error_and_writes_nothing(tmp_path: Path) -> None:
    junk = tmp_path / "junk.wav"
    junk.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(ValueError, match="not decodable audio"):
        _render(tmp_path / "v.mp4", audio=junk)
    assert _leftovers(tmp_path, {"junk.wav"}) == []


# --- atomic writes -------------------------------------------------------------------------------------------------


def test_a_failure_midway_leaves_no_file_and_no_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = render._picture
    calls = 0

    def failing(*args: Any, **kwargs: Any) -> npt.NDArray[np.uint8]:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise RuntimeError("encoder exploded")
        return original(*args, **kwargs)

    monkeypatch.setattr(render, "_picture", failing)
    with pytest.raises(RuntimeError, match="encoder exploded"):
        _render(tmp_path / "v.mp4", seconds=2.0)
    assert calls == 5
    assert _leftovers(tmp_path, set()) == []


def test_a_failure_keeps_an_older_file_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dest = tmp_path / "v.mp4"
    dest.write_bytes(b"older")

    def failing(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(render, "_picture", failing)
    with pytest.raises(KeyboardInterrupt):
        _render(dest)
    assert dest.read_bytes() == b"older"
    assert _leftovers(tmp_path, {"v.mp4"}) == []


def test_a_failing_final_rename_removes_the_temporary_file(tmp_path: Path) -> None:
    dest = tmp_path / "v.mp4"
    dest.mkdir()  # os.replace cannot put a file there, after the whole video was encoded
    with pytest.raises(OSError):
        _render(dest)
    assert dest.is_dir()
    assert list(dest.iterdir()) == []
    assert _leftovers(tmp_path, {"v.mp4"}) == []


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        _render(tmp_path / "missing" / "v.mp4")
    assert _leftovers(tmp_path, set()) == []


def test_a_new_render_replaces_an_older_file(tmp_path: Path) -> None:
    dest = tmp_path / "v.mp4"
    dest.write_bytes(b"older")
    size = _render(dest, seconds=1.0)
    assert dest.stat().st_size == size
    assert _duration(dest) == pytest.approx(1.0, abs=TOLERANCE)
    assert _leftovers(tmp_path, {"v.mp4"}) == []
