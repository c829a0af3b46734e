"""`miraflow demo`: end to end on its own simulator (both MP4s decoded), on an account with a key, and on Ctrl-C."""

from __future__ import annotations

import json
import re
import signal
import sys
from pathlib import Path

import av
import httpx
import pytest

from miraflow_mock.testing import SimulatorHandle

from .conftest import (
    KEY,
    SCALE,
    Invoke,
    assert_clean,
    assert_one_line_error,
    env_for,
    run_cli,
    run_in_terminal,
    start_cli,
    subprocess_env,
)

CREATE = "/api/video/create"


def _frame_size(path: Path) -> tuple[int, int]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frame = next(container.decode(stream))
        return frame.width, frame.height


def test_demo_end_to_end_on_its_own_simulator(tmp_path: Path) -> None:
    result = run_cli("demo", cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    for step in ("1. The account's avatars", "2. Face-cropped preview", "3. Full-background video", "Summary"):
        assert step in out
    assert "Margot" in out and "Status calls made:" in out

    folder = tmp_path / "miraflow-demo"
    preview, final = folder / "preview-face-cropped.mp4", folder / "marketing-full-background.mp4"
    assert sorted(path.name for path in folder.iterdir()) == sorted([preview.name, final.name])
    width, height = _frame_size(preview)
    assert width == height
    width, height = _frame_size(final)
    assert width * 9 == height * 16

    api_root = re.search(r"local simulator at (\S+),", out)
    assert api_root, out
    with pytest.raises(httpx.ConnectError):  # the simulator it started is gone
        httpx.get(f"{api_root.group(1)}/avatars")


def test_demo_with_a_key_uses_that_account_after_yes(sim: SimulatorHandle, invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("demo", "--yes", "--json", "--time-scale", str(SCALE), "--out", str(tmp_path), env=env_for(sim))
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["simulator"] is False and summary["apiRoot"] == sim.api_root
    assert summary["avatar"]["isPhoto"] is True
    preview, final = summary["videos"]
    assert (preview["mode"], preview["aspect"]) == ("face_cropped", "1:1")
    assert (final["mode"], final["aspect"]) == ("full_background", "16:9")
    for video in summary["videos"]:
        assert Path(video["path"]).stat().st_size == video["bytes"] > 0
        assert video["videoSeconds"] > 0
        polls = sim.count_requests("GET", f"/api/video/{video['jobId']}/status")
        assert video["statusCalls"] == polls  # the count the summary reports is the count the service saw
    assert summary["statusCalls"] == preview["statusCalls"] + final["statusCalls"]
    sent = [entry["body"]["im2vid_full"] for entry in sim.requests() if entry["path"] == CREATE]
    assert sent == [False, True]


def test_demo_with_a_key_and_no_terminal_refuses_without_yes(
    sim: SimulatorHandle, invoke: Invoke, tmp_path: Path
) -> None:
    folder = tmp_path / "miraflow-demo"
    line = assert_one_line_error(invoke("demo", "--out", str(folder), env=env_for(sim)), 2)
    assert "--yes" in line and "credits" in line
    assert sim.requests() == []  # nothing was asked of the account
    assert not folder.exists()  # nor written


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals")
def test_demo_with_a_key_asks_first_on_a_terminal(sim: SimulatorHandle, tmp_path: Path) -> None:
    env = subprocess_env(env_for(sim))
    code, shown = run_in_terminal(["demo", "--out", str(tmp_path)], env, answers={"[y/N]:": "n\n"})
    assert code == 2
    assert "costs credits" in " ".join(shown.split()) and "not confirmed" in shown
    assert_clean(shown)
    assert sim.requests() == []


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_stops_the_demo_and_its_simulator(tmp_path: Path) -> None:
    process = start_cli("demo", "--time-scale", "1", cwd=tmp_path)  # real time: it cannot finish first
    try:
        assert process.stdout is not None
        api_root = None
        for line in process.stdout:
            if match := re.search(r"local simulator at (\S+),", line):
                api_root = match.group(1)
            if "Created job" in line:  # the preview is rendering
                break
        assert api_root, "the demo did not start its simulator"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130
    assert stderr.strip() == "miraflow: interrupted; the local simulator was stopped"
    assert_clean(stdout, stderr)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{api_root}/avatars", headers={"x-api-key": KEY})
    assert [path.name for path in (tmp_path / "miraflow-demo").iterdir()] == []


def test_demo_refuses_a_video_avatar(sim: SimulatorHandle, invoke: Invoke, tmp_path: Path) -> None:
    args = ["demo", "--yes", "--avatar", "Aerin", "--out", str(tmp_path), "--json"]
    line = assert_one_line_error(invoke(*args, env=env_for(sim)), 2, json_error=True)
    assert "video avatar" in line
    assert sim.count_requests("POST", CREATE) == 0
