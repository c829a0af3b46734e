"""Record, calibrate, replay: `proxy --record` in front of the simulator, `calibrate`, then `serve --calibration`.

The simulator stands in for the real API (a real clock, time scale 0.02: a face-cropped job renders in 1.2–2.4 s).
"""

from __future__ import annotations

import hashlib
import json
import re
import select
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from miraflow.spec import lifecycle
from miraflow_mock.recorder import REDACTED, redact_query, redact_value
from miraflow_mock.testing import SimulatorHandle, start_simulator

MARGOT, AERIN = "cmdms9d3s001no401kqwbr0q5", "cm2yaz9j10008l0qg9npyjgs3"
TIME_SCALE = 0.02
JOBS = 8


class Process:
    """A `python -m miraflow_mock ...` child; `lines` holds what it printed up to its ready line."""

    def __init__(self, *args: str) -> None:
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "miraflow_mock", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        assert self.popen.stdout is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if select.select([self.popen.stdout], [], [], 0.2)[0]:
                line = self.popen.stdout.readline()
                if not line:
                    break
                self.lines.append(line)
                if match := re.search(r"ready at (http://[^\s,)]+)", line):
                    self.url = match.group(1)
                    return
        self.stop()
        raise RuntimeError(f"did not start: {self.lines} {self.popen.stderr.read() if self.popen.stderr else ''}")

    def stop(self) -> None:
        self.popen.terminate()
        self.popen.wait(15)


@pytest.fixture(scope="module")
def upstream() -> Iterator[SimulatorHandle]:
    with start_simulator(clock="real", time_scale=TIME_SCALE, fail_rate=0.25, seed=11) as sim:
        # Warm it up (its first create loads the renderer's libraries), so recorded polls start on time.
        httpx.post(
            sim.api_root + "/video/create",
            headers={"x-api-key": sim.keys[1]},
            json={"avatarId": MARGOT, "name": "warm-up", "text": "Hi."},
            timeout=60,
        ).raise_for_status()
        yield sim


def poll_all_to_end(http: httpx.Client, jobs: list[str]) -> dict[str, dict[str, Any]]:
    """Poll every job in turn, every 30 ms, until each is terminal; their final statuses."""
    finals: dict[str, dict[str, Any]] = {}
    while len(finals) < len(jobs):
        for job in jobs:
            if job not in finals:
                body = dict(http.get(f"video/{job}/status").json())
                if lifecycle().is_terminal(body["status"]):
                    finals[job] = body
        time.sleep(0.03)
    return finals


@pytest.fixture(scope="module")
def recording(upstream: SimulatorHandle, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Drive a session through the recording proxy; what the client saw, and where it was recorded."""
    directory = tmp_path_factory.mktemp("recordings")
    proxy = Process("proxy", upstream.api_root, "--record", str(directory), "--no-validate", "--port", "0")
    seen: dict[str, Any] = {"dir": directory, "lines": proxy.lines, "jobs": {}, "downloads": {}, "urls": []}
    try:
        with httpx.Client(base_url=proxy.url + "/api/", headers={"x-api-key": upstream.key}, timeout=30) as http:
            assert http.get("avatars").status_code == 200
            jobs = [
                http.post("video/create", json={"avatarId": MARGOT, "name": f"r{i}", "text": "Hi."}).json()["jobId"]
                for i in range(JOBS)
            ]
            # A video avatar whose kind the proxy has not seen listed: it asks the upstream.
            seen["video_avatar_job"] = http.post(
                "video/create", json={"avatarId": AERIN, "name": "v", "text": "Hi."}
            ).json()["jobId"]
            jobs.append(seen["video_avatar_job"])
            seen["jobs"] = poll_all_to_end(http, jobs)
            for job, final in seen["jobs"].items():
                if "videoId" in final and len(seen["downloads"]) < 2:  # rendering takes a while: two will do
                    detail = http.get(f"video/{final['videoId']}").json()
                    seen["urls"].append(detail["downloadUrl"])
                    seen["downloads"][job] = http.get(f"video/{final['videoId']}/download").content
            assert http.get("video/not-a-job/status").status_code == 404
    finally:
        proxy.stop()
    return seen


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_every_exchange_is_recorded_one_file_per_job(recording: dict[str, Any]) -> None:
    directory: Path = recording["dir"]
    assert "recording to" in recording["lines"][-1] and "not validating" in recording["lines"][-1]
    assert {path.name for path in directory.glob("job-*.jsonl")} == {f"job-{job}.jsonl" for job in recording["jobs"]}
    for job, final in recording["jobs"].items():
        lines = records(directory / f"job-{job}.jsonl")
        create, *rest = lines
        assert create["operationId"] == "createVideo" and create["response"]["body"]["json"]["jobId"] == job
        assert create["job"]["mode"] == ("video_avatar" if create["job"]["avatarId"] == AERIN else "face_cropped")
        assert create["request"]["body"]["json"]["text"] == "Hi."
        polls = [line for line in rest if line["operationId"] == "getJobStatus"]
        statuses = [line["response"]["body"]["json"]["status"] for line in polls]
        assert statuses[-1] == final["status"] and len(statuses) >= 2
        if job in recording["downloads"]:
            download = next(line for line in rest if line["operationId"] == "downloadVideo")
            content = recording["downloads"][job]
            assert download["response"]["body"] == {
                "sha256": hashlib.sha256(content).hexdigest(),
                "size": len(content),
                "contentType": "video/mp4",
            }
            assert any(line["operationId"] == "getVideo" for line in rest)
    other = records(directory / "other.jsonl")
    assert [line["operationId"] for line in other] == ["listAvatars", "getJobStatus"]
    assert other[1]["response"]["status"] == 404


def test_no_key_or_signature_lands_in_a_recording(recording: dict[str, Any], upstream: SimulatorHandle) -> None:
    text = "\n".join(path.read_text() for path in recording["dir"].iterdir())
    assert upstream.key not in text
    signatures = [re.search(r"signature=([0-9a-f]+)", url).group(1) for url in recording["urls"]]  # type: ignore[union-attr]
    assert signatures and not any(signature in text for signature in signatures)
    assert '"x-api-key": "[redacted]"' in text and "signature=%5Bredacted%5D" in text
    assert "ftyp" not in text  # no MP4 bytes


def finals_by_id(recording: dict[str, Any], outcome: str) -> set[str]:
    """The face-cropped jobs that ended in `inference_<outcome>`."""
    return {
        job
        for job, final in recording["jobs"].items()
        if final["status"] == f"inference_{outcome}" and job != recording["video_avatar_job"]
    }


def test_calibrate_then_serve_plans_jobs_from_the_recordings(
    recording: dict[str, Any], upstream: SimulatorHandle, tmp_path: Path
) -> None:
    out = tmp_path / "calibration.json"
    done = subprocess.run(
        [sys.executable, "-m", "miraflow_mock", "calibrate", str(recording["dir"]), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "face_cropped:" in done.stdout and f"wrote {out}" in done.stdout
    calibration = json.loads(out.read_text())
    face = calibration["modes"]["face_cropped"]
    spec_range = lifecycle().mode("face_cropped").duration.scaled(TIME_SCALE)
    finals = [final for job, final in recording["jobs"].items() if job != recording["video_avatar_job"]]
    assert face["jobs"] == JOBS and len(face["durationSeconds"]["samples"]) == face["outcomes"]["inference_complete"]
    assert face["outcomes"]["inference_complete"] == sum(f["status"] == "inference_complete" for f in finals)
    # Estimated from polls, and progress is jittered by up to 7 points: near the upstream's true render times.
    durations = face["durationSeconds"]
    true = [job["durationSeconds"] for job in upstream.jobs() if job["jobId"] in finals_by_id(recording, "complete")]
    assert durations["median"] == pytest.approx(statistics.median(true), rel=0.15), (durations, true)
    assert spec_range.min * 0.5 <= durations["min"] <= durations["max"] <= spec_range.max * 1.5, durations
    assert max(face["queueSeconds"]["samples"]) > 0.3  # eight jobs on two render slots: most waited
    curve = face["progressCurve"]
    assert len(curve) == 8 and curve[0] == 0 and curve[-1] == 1 and curve == sorted(curve)
    assert sum(face["failureShare"].values()) == pytest.approx(1 - face["outcomes"]["inference_complete"] / JOBS)

    served = Process("serve", "--port", "0", "--clock", "manual", "--seed", "5", "--calibration", str(out))
    try:
        assert any("planning jobs from calibration" in line and "spec ranges for" in line for line in served.lines)
        admin = served.url + "/__admin"
        with httpx.Client(base_url=served.url + "/api/", headers={"x-api-key": "sk-demo-1"}) as http:
            for i in range(30):
                assert http.post("video/create", json={"avatarId": MARGOT, "name": f"c{i}", "text": "Hi."}).is_success
            jobs = httpx.get(admin + "/jobs").json()["jobs"]
            durations = [job["durationSeconds"] for job in jobs]
            low, high = face["durationSeconds"]["min"], face["durationSeconds"]["max"]
            assert all(low - 1e-9 <= duration <= high + 1e-9 for duration in durations), (durations, low, high)
            httpx.post(admin + "/clock/advance", json={"seconds": 1000})
            states = [http.get(f"video/{job['jobId']}/status").json()["status"] for job in jobs]
            if sum(face["failureShare"].values()) > 0:
                assert set(states) & lifecycle().failure_states
    finally:
        served.stop()


def test_calibrate_refuses_what_it_cannot_use(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    bad = tmp_path / "bad.json"
    bad.write_text('{"kind": "something else"}')
    for args in (["calibrate", str(empty), "--out", str(tmp_path / "x.json")], ["serve", "--calibration", str(bad)]):
        command = [sys.executable, "-m", "miraflow_mock", *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert (
        "no job recordings"
        in subprocess.run(
            [sys.executable, "-m", "miraflow_mock", "calibrate", str(empty), "--out", str(tmp_path / "x.json")],
            capture_output=True,
            text=True,
        ).stderr
    )


def test_record_behind_prisms_validation(upstream: SimulatorHandle, tmp_path: Path) -> None:
    proxy = Process("proxy", upstream.api_root, "--record", str(tmp_path), "--port", "0")
    try:
        assert "not validating" not in proxy.lines[-1]
        with httpx.Client(base_url=proxy.url + "/api/", headers={"x-api-key": upstream.key}, timeout=30) as http:
            job = http.post("video/create", json={"avatarId": MARGOT, "name": "p", "text": "Hi."}).json()["jobId"]
            assert http.get(f"video/{job}/status").status_code == 200
            invalid = http.post("video/create", json={"avatarId": MARGOT})  # Prism refuses it before the upstream
            assert invalid.status_code >= 400
    finally:
        proxy.stop()
    lines = records(tmp_path / f"job-{job}.jsonl")
    assert [line["operationId"] for line in lines] == ["createVideo", "getJobStatus"]
    assert not (tmp_path / "other.jsonl").exists()  # Prism refused the invalid create: it never reached the upstream
    assert upstream.key not in (tmp_path / f"job-{job}.jsonl").read_text()


def test_redaction_covers_cloud_signed_urls_and_secret_fields() -> None:
    body = {
        "downloadUrl": "https://bucket.s3.amazonaws.com/v.mp4?X-Amz-Credential=AKIA123&X-Amz-Signature=abc123&X-Amz-Expires=3600",
        "items": [{"url": "https://storage.googleapis.com/b/o?X-Goog-Signature=def456&alt=media"}],
        "apiKey": "sk-live-secret",
        "name": "kept",
    }
    text = json.dumps(redact_value(body))
    for secret in ("AKIA123", "abc123", "def456", "sk-live-secret"):
        assert secret not in text
    assert "X-Amz-Expires=3600" in text and "alt=media" in text and '"name": "kept"' in text
    assert redact_query("expires=1&signature=f00d") == f"expires=1&signature={REDACTED}".replace("[", "%5B").replace(
        "]", "%5D"
    )
