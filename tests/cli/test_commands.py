"""Every command of `miraflow`, through typer's runner against the simulator: tables for people, JSON for programs."""

from __future__ import annotations

import json
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from miraflow_mock.testing import SimulatorHandle

from .conftest import KEY, PHOTO, SCALE, VIDEO_AVATAR, Invoke, env_for, journal_paths

CREATE = "/api/video/create"
COMMANDS = ["avatars", "voices", "videos", "create", "upload", "status", "wait", "download", "demo"]


def _creates(sim: SimulatorHandle) -> list[dict[str, Any]]:
    return [entry["body"] for entry in sim.requests() if entry["method"] == "POST" and entry["path"] == CREATE]


def _words(text: str) -> str:
    return " ".join(text.split())


def test_help_lists_the_commands_and_documents_the_exit_codes(invoke: Invoke) -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    text = _words(result.stdout)
    assert "Exit codes: 0 ok, 1 API error, 2 usage error, 3 job failed, 4 wait timed out, 130 interrupted" in text
    for command in [*COMMANDS, "mock"]:
        assert command in text
    assert "--install-completion" in text  # typer's shell completion


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(invoke: Invoke, command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert f"miraflow {command}" in result.stdout


@pytest.mark.parametrize("command", ["create", "upload"])
def test_the_video_commands_take_every_shared_option(invoke: Invoke, command: str) -> None:
    # Declared once in cli/options.VideoOptions and added to each command by `video_options`.
    text = invoke(command, "--help").stdout
    for flag in ["--wait", "--download", "--timeout", "--time-scale", "--json", "--quiet", "--api-key", "--base-url"]:
        assert flag in text, flag


def test_a_shared_option_reaches_the_command(sim: SimulatorHandle, invoke: Invoke) -> None:
    env = {name: value for name, value in env_for(sim).items() if name != "MIRAFLOW_API_KEY"}
    given = invoke("create", "-a", PHOTO, "-t", "Hello.", "--json", "-q", "--api-key", KEY, env=env)
    assert given.exit_code == 0, given.stderr
    assert json.loads(given.stdout)["jobId"]
    refused = invoke("create", "-a", PHOTO, "-t", "Hello.", "--api-key", "not-a-key", env=env)
    assert refused.exit_code == 1
    assert "not-a-key" not in refused.stdout + refused.stderr


def test_version(invoke: Invoke) -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("miraflow ")


def test_avatars_as_a_table_and_as_json(sim: SimulatorHandle, invoke: Invoke) -> None:
    table = invoke("avatars", env=env_for(sim))
    assert table.exit_code == 0, table.stderr
    assert "Margot" in table.stdout and "photo" in table.stdout and "video" in table.stdout

    listed = json.loads(invoke("avatars", "--json", env=env_for(sim)).stdout)
    by_name = {avatar["name"]: avatar for avatar in listed}
    assert by_name[PHOTO]["isPhoto"] is True
    assert by_name[VIDEO_AVATAR]["isPhoto"] is False
    assert {"id", "name", "createdAt", "voiceId", "isPhoto"} <= set(by_name[PHOTO])


def test_voices(sim: SimulatorHandle, invoke: Invoke) -> None:
    assert "Nova" in invoke("voices", env=env_for(sim)).stdout
    listed = json.loads(invoke("voices", "--json", env=env_for(sim)).stdout)
    assert {voice["name"] for voice in listed} >= {"Nova", "Aria"}


def test_videos_before_and_after_one_is_made(
    sim: SimulatorHandle, invoke: Invoke, make_video: Callable[..., dict[str, Any]]
) -> None:
    assert invoke("videos", env=env_for(sim)).stdout.strip() == "No videos."
    assert json.loads(invoke("videos", "--json", env=env_for(sim)).stdout) == []
    made = make_video()
    listed = json.loads(invoke("videos", "--json", env=env_for(sim)).stdout)
    assert [video["id"] for video in listed] == [made["videoId"]]
    assert made["videoId"] in invoke("videos", env=env_for(sim)).stdout


def test_key_and_base_url_as_flags_before_or_after_the_command(sim: SimulatorHandle, invoke: Invoke) -> None:
    after = invoke("avatars", "--json", "--api-key", KEY, "--base-url", sim.api_root)
    before = invoke("--api-key", KEY, "--base-url", sim.api_root, "avatars", "--json")
    assert after.exit_code == before.exit_code == 0
    assert json.loads(after.stdout) == json.loads(before.stdout)


@pytest.mark.parametrize(
    ("avatar", "flags", "mode", "im2vid_full"),
    [
        (PHOTO, [], "face_cropped", False),
        (PHOTO, ["--full-background"], "full_background", True),
        (VIDEO_AVATAR, [], "video_avatar", None),
    ],
)
def test_create_sends_the_mode_and_prints_the_job(
    sim: SimulatorHandle, invoke: Invoke, avatar: str, flags: list[str], mode: str, im2vid_full: bool | None
) -> None:
    result = invoke(
        "create", "--avatar", avatar, "--text", "Hello there.", "--name", "t", *flags, "--json", env=env_for(sim)
    )
    assert result.exit_code == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["mode"] == mode
    assert job["name"] == "t"
    (sent,) = _creates(sim)
    assert sent.get("im2vid_full") == im2vid_full
    assert ("im2vid_full" in sent) == (im2vid_full is not None)
    assert [entry["jobId"] for entry in sim.jobs()] == [job["jobId"]]

    human = invoke("create", "--avatar", avatar, "--text", "Hello there.", *flags, env=env_for(sim))
    assert human.exit_code == 0
    assert "Created job" in human.stdout and "miraflow wait" in human.stdout


def test_create_wait_download(sim: SimulatorHandle, invoke: Invoke, tmp_path: Path) -> None:
    folder = tmp_path / "new" / "videos"  # created by --download
    result = invoke(
        "create", "-a", PHOTO, "-t", "A short script.", "-n", "Clip", "--download", str(folder),
        "--time-scale", str(SCALE), "--json", env=env_for(sim),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == "inference_complete" and answer["outcome"] == "success"
    path = Path(answer["path"])
    assert path.parent == folder and path.name == "Clip.mp4"
    assert path.stat().st_size == answer["bytes"] > 0
    assert answer["videoId"] and answer["jobId"] != answer["videoId"]

    human = invoke(
        "create", "-a", PHOTO, "-t", "A short script.", "-n", "Clip", "--download", str(folder),
        "--time-scale", str(SCALE), env=env_for(sim),
    )  # fmt: skip
    assert human.exit_code == 0
    assert "Saved" in human.stdout and "Clip (1).mp4" in human.stdout  # never overwrites


def test_create_reads_the_script_from_a_file_or_stdin(sim: SimulatorHandle, invoke: Invoke, tmp_path: Path) -> None:
    script = tmp_path / "script.txt"
    script.write_text("Welcome to the spring campaign, everyone.\n", encoding="utf-8")
    from_file = invoke("create", "-a", PHOTO, "--text-file", str(script), "--json", env=env_for(sim))
    from_stdin = invoke("create", "-a", PHOTO, "--text-file", "-", "--json", env=env_for(sim), input="From stdin.")
    assert from_file.exit_code == from_stdin.exit_code == 0
    assert json.loads(from_file.stdout)["name"] == "Welcome to the spring campaign, everyone."
    texts = [body["text"] for body in _creates(sim)]
    assert texts == ["Welcome to the spring campaign, everyone.", "From stdin."]


def test_create_with_a_voice_by_name(sim: SimulatorHandle, invoke: Invoke) -> None:
    result = invoke("create", "-a", PHOTO, "-t", "Hi.", "--voice", "aria", "--json", env=env_for(sim))
    assert result.exit_code == 0, result.stderr
    (sent,) = _creates(sim)
    assert sent["voiceId"] == "wBPTRK6eIJgAFmDsfw29"


def test_status_of_a_running_and_a_complete_job(
    sim: SimulatorHandle, invoke: Invoke, make_video: Callable[..., dict[str, Any]]
) -> None:
    started = json.loads(
        invoke("create", "-a", PHOTO, "-t", "Hi.", "--full-background", "--json", env=env_for(sim)).stdout
    )
    running = json.loads(invoke("status", started["jobId"], "--json", env=env_for(sim)).stdout)
    assert running["jobId"] == started["jobId"]
    assert running["terminal"] is False and running["outcome"] is None and running["videoId"] is None
    assert running["status"] in {"inference_started", "inference_working"}

    done = make_video()
    complete = json.loads(invoke("status", done["jobId"], "--json", env=env_for(sim)).stdout)
    assert complete == {
        "jobId": done["jobId"],
        "status": "inference_complete",
        "progress": None,
        "videoId": done["videoId"],
        "terminal": True,
        "outcome": "success",
    }
    human = invoke("status", done["jobId"], env=env_for(sim))
    assert "inference_complete" in human.stdout and f"miraflow download {done['videoId']}" in human.stdout


def test_wait_then_download(sim: SimulatorHandle, invoke: Invoke, tmp_path: Path) -> None:
    job = json.loads(invoke("create", "-a", PHOTO, "-t", "Hi.", "-n", "Waited", "--json", env=env_for(sim)).stdout)
    result = invoke(
        "wait", job["jobId"], "--download", str(tmp_path), "--time-scale", str(SCALE), "--json", env=env_for(sim)
    )
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == "inference_complete"
    assert Path(answer["path"]) == tmp_path / "Waited.mp4"

    human = invoke("wait", job["jobId"], "--time-scale", str(SCALE), env=env_for(sim))
    assert human.exit_code == 0 and "had already completed" in human.stdout  # not "complete after 0.0 s"
    assert "complete after" not in human.stdout


def test_download_to_a_folder_or_a_file(
    sim: SimulatorHandle, invoke: Invoke, make_video: Callable[..., dict[str, Any]], tmp_path: Path
) -> None:
    video_id = make_video("--name", "Named")["videoId"]
    into_folder = invoke("download", video_id, "--out", str(tmp_path), "--json", env=env_for(sim))
    assert into_folder.exit_code == 0, into_folder.stderr
    saved = json.loads(into_folder.stdout)
    assert saved["videoId"] == video_id and Path(saved["path"]) == tmp_path / "Named.mp4"
    assert saved["bytes"] == (tmp_path / "Named.mp4").stat().st_size

    as_file = invoke("download", video_id, "-o", str(tmp_path / "exact.mp4"), env=env_for(sim))
    assert as_file.exit_code == 0 and "exact.mp4" in as_file.stdout
    assert (tmp_path / "exact.mp4").read_bytes() == (tmp_path / "Named.mp4").read_bytes()


def _wav(path: Path, seconds: float = 1.0) -> Path:
    with wave.open(str(path), "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(b"\0\0" * int(8000 * seconds))
    return path


def test_upload_creates_a_video_from_the_audio(sim: SimulatorHandle, invoke: Invoke, tmp_path: Path) -> None:
    audio = _wav(tmp_path / "voiceover.wav")
    result = invoke(
        "upload", str(audio), "--avatar", PHOTO, "--download", str(tmp_path / "out"), "--time-scale", str(SCALE),
        "--json", env=env_for(sim),
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["name"] == "voiceover" and answer["mode"] == "face_cropped"
    assert Path(answer["path"]).exists()
    paths = journal_paths(sim, "POST")
    assert paths.index("/api/media/initialize") < paths.index("/api/media/finalize") < paths.index(CREATE)
    (sent,) = _creates(sim)
    assert sent["mediaId"] and "text" not in sent

    human = invoke("upload", str(audio), "-a", VIDEO_AVATAR, "-n", "Voice", env=env_for(sim))
    assert human.exit_code == 0 and "Created job" in human.stdout and "video_avatar" in human.stdout
