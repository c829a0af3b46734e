"""The SDK against the simulator (`miraflow-mock serve`): an end-to-end generate, faults injected through
`/__admin/faults`, what a create sends read from the request journal, and the key kept secret.

The simulator runs a manual clock; the client's clock advances it on every sleep, so waits take no real time.
"""

from __future__ import annotations

import asyncio
import logging
import random
import traceback
import uuid
import wave
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from miraflow import (
    APIConnectionError,
    APIStatusError,
    AsyncMiraflow,
    AuthenticationError,
    InternalServerError,
    JobMayExistError,
    Miraflow,
    MiraflowError,
    ModeNotSupportedError,
)
from miraflow.spec import lifecycle

testing = pytest.importorskip("miraflow_mock.testing", reason="the simulator is not installed")
SimulatorHandle = testing.SimulatorHandle

STATUS_PATH = "/api/video/{jobId}/status"


class SimClock:
    """The client's clock: every sleep moves the simulator's manual clock by as much."""

    def __init__(self, sim: SimulatorHandle) -> None:
        self.sim = sim
        self.time = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.time += seconds
        if seconds > 0:
            self.sim.advance(seconds)


class AsyncSimClock(SimClock):
    async def sleep(self, seconds: float) -> None:  # type: ignore[override]
        SimClock.sleep(self, seconds)


@pytest.fixture
def sim(miraflow_simulator: SimulatorHandle) -> SimulatorHandle:
    return miraflow_simulator


@pytest.fixture
def clock(sim: SimulatorHandle) -> SimClock:
    return SimClock(sim)


@pytest.fixture
def client(sim: SimulatorHandle, clock: SimClock) -> Miraflow:
    return Miraflow(sim.key, base_url=sim.api_root, _clock=clock, _rng=random.Random(0))


def _creates(sim: SimulatorHandle) -> list[dict[str, Any]]:
    return [entry for entry in sim.requests() if entry["method"] == "POST" and entry["path"] == "/api/video/create"]


def _status_polls(sim: SimulatorHandle, job_id: str) -> int:
    return sim.count_requests("GET", f"/api/video/{job_id}/status")


def test_generate_downloads_a_real_mp4(client: Miraflow, sim: SimulatorHandle, clock: SimClock, tmp_path: Path) -> None:
    seen = []
    path = client.videos.generate(
        avatar="Margot",
        text="Welcome to the product tour.",
        name="Product tour",
        dest=tmp_path,
        on_progress=seen.append,
    )
    assert path == tmp_path / "Product tour.mp4"
    data = path.read_bytes()
    assert data[4:8] == b"ftyp" and len(data) > 1000  # an MP4 file
    (job,) = sim.jobs()
    assert job["state"] == lifecycle().success_state and job["mode"] == "face_cropped"
    assert seen[-1].video_id == job["videoId"]
    polls = _status_polls(sim, job["jobId"])
    assert polls == len(seen) and polls <= 8  # fixed 5 s polling would make 12 to 24
    assert [p.name for p in tmp_path.iterdir()] == ["Product tour.mp4"]


@pytest.mark.parametrize(
    ("avatar", "full_background", "mode"), [("Margot", True, "full_background"), ("Aerin", None, "video_avatar")]
)
def test_each_mode_completes(
    client: Miraflow, sim: SimulatorHandle, avatar: str, full_background: bool | None, mode: str
) -> None:
    job = client.videos.create(avatar=avatar, text="Hello there.", name="m", full_background=full_background)
    assert job.mode == mode
    status = client.jobs.wait(job)
    (record,) = sim.jobs()
    assert record["mode"] == mode and status.video_id == record["videoId"]
    lag = sim.now() - record["completedAt"]
    assert 0 <= lag <= 5  # seen soon after it finished (the guide's 5 s polling: up to 5 s)


def test_429_with_retry_after_is_honoured(client: Miraflow, sim: SimulatorHandle, clock: SimClock) -> None:
    job = client.videos.create(avatar="Margot", text="Hi.", name="x")
    sim.add_fault(operationId="getJobStatus", status=429, retryAfter=1.5)
    assert client.jobs.retrieve(job).job_id == job.id
    assert clock.sleeps == [1.5]
    assert _status_polls(sim, job.id) == 2


def test_500s_on_a_get_are_retried(client: Miraflow, sim: SimulatorHandle) -> None:
    sim.add_fault(operationId="listAvatars", status=500, count=2)
    assert [avatar.name for avatar in client.avatars.list()][:3] == ["Margot", "Miraflow Muse", "Aerin"]
    assert sim.count_requests("GET", "/api/avatars") == 3


def test_a_500_on_create_is_not_retried(client: Miraflow, sim: SimulatorHandle) -> None:
    client.avatars.list()
    sim.add_fault(operationId="createVideo", status=500)
    with pytest.raises(InternalServerError, match="may or may not have been created"):
        client.videos.create(avatar="Margot", text="Hi.", name="x")
    assert len(_creates(sim)) == 1


def test_a_dropped_status_request_is_retried(client: Miraflow, sim: SimulatorHandle) -> None:
    job = client.videos.create(avatar="Margot", text="Hi.", name="x")
    sim.add_fault(operationId="getJobStatus", drop="before")
    assert client.jobs.retrieve(job).job_id == job.id
    assert _status_polls(sim, job.id) == 2


def test_a_create_dropped_after_it_was_handled_may_exist_and_the_advice_finds_it(
    client: Miraflow, sim: SimulatorHandle, clock: SimClock
) -> None:
    client.avatars.list()
    sim.add_fault(operationId="createVideo", drop="after")
    with pytest.raises(JobMayExistError) as caught:
        client.videos.create(avatar="Margot", text="Hi.", name="Lost in transit")
    assert len(_creates(sim)) == 1  # never retried
    assert len(sim.jobs()) == 1  # ... and indeed it exists
    assert "videos.list()" in str(caught.value)
    clock.sleep(300)
    assert "Lost in transit" in [video.name for video in client.videos.list()]


def test_a_truncated_download_is_retried(client: Miraflow, sim: SimulatorHandle, tmp_path: Path) -> None:
    status = client.jobs.wait(client.videos.create(avatar="Margot", text="Hi.", name="clip"))
    assert status.video_id is not None
    clean = client.videos.download(status.video_id, tmp_path / "clean.mp4").read_bytes()
    sim.add_fault(operationId="downloadVideo", truncate=True)
    assert client.videos.download(status.video_id, tmp_path / "retried.mp4").read_bytes() == clean
    sim.add_fault(operationId="downloadVideo", truncate=True, count=3)
    with pytest.raises(APIConnectionError):
        client.videos.download(status.video_id, tmp_path / "broken.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean.mp4", "retried.mp4"]


def test_a_200_with_a_failure_body_raises(client: Miraflow, sim: SimulatorHandle) -> None:
    sim.add_fault(operationId="listVideos", failureBody=True)
    with pytest.raises(APIStatusError) as caught:
        client.videos.list()
    assert caught.value.status_code == 200 and "simulated failure" in caught.value.message


def test_the_waiter_rides_out_failing_status_requests(client: Miraflow, sim: SimulatorHandle) -> None:
    job = client.videos.create(avatar="Margot", text="Hi.", name="x")
    client.jobs.retrieve(job)
    sim.add_fault(operationId="getJobStatus", status=503, count=4)
    sim.add_fault(operationId="getJobStatus", drop="before", count=3)
    assert client.jobs.wait(job).video_id


def test_timeouts_are_retried_then_raised(sim: SimulatorHandle, clock: SimClock) -> None:
    client = Miraflow(sim.key, base_url=sim.api_root, timeout=0.1, max_retries=1, _clock=clock)
    sim.add_fault(operationId="listVoices", latency=0.5, count=2)
    with pytest.raises(APIConnectionError, match="timed out"):
        client.voices.list()


AVATAR_REFS = st.sampled_from(["object", "id", "name"])


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), full_background=st.sampled_from([None, False, True]), ref=AVATAR_REFS)
def test_what_a_create_sends_for_every_avatar(
    sim: SimulatorHandle, client: Miraflow, data: st.DataObject, full_background: bool | None, ref: str
) -> None:
    avatars = client.avatars.list()
    avatar = data.draw(st.sampled_from(avatars))
    named = {"object": avatar, "id": avatar.id, "name": avatar.name}[ref]
    before = len(_creates(sim))
    if not avatar.is_photo and full_background:
        with pytest.raises(ModeNotSupportedError):
            client.videos.create(avatar=named, text="Hi.", name="p", full_background=full_background)
        assert len(_creates(sim)) == before  # nothing sent, no credits spent
        return
    job = client.videos.create(avatar=named, text="Hi.", name="p", full_background=full_background)
    sent = _creates(sim)[-1]["body"]
    assert sent["avatarId"] == avatar.id
    if avatar.is_photo:
        assert sent["im2vid_full"] is bool(full_background)
    else:
        assert "im2vid_full" not in sent
    recorded = next(record for record in sim.jobs() if record["jobId"] == job.id)
    assert (
        recorded["mode"]
        == job.mode
        == lifecycle().mode_for(is_photo=avatar.is_photo, im2vid_full=sent.get("im2vid_full")).name
    )


def test_the_key_stays_secret(
    sim: SimulatorHandle, clock: SimClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = f"sk-sim-{uuid.uuid4().hex}"
    sim.set_credits(key, 50)
    raised: list[BaseException] = []
    with caplog.at_level(logging.DEBUG):
        client = Miraflow(key, base_url=sim.api_root, _clock=clock)
        client.videos.generate(avatar="Theo", text="A secret test.", name="secret", dest=tmp_path)
        sim.add_fault(operationId="createVideo", drop="after")
        for call in (
            lambda: client.videos.create(avatar="Theo", text="Hi.", name="y"),
            lambda: Miraflow(key + "-wrong", base_url=sim.api_root, _clock=clock).avatars.list(),
        ):
            with pytest.raises(MiraflowError) as caught:
                call()
            raised.append(caught.value)
    assert isinstance(raised[1], AuthenticationError)
    texts = [caplog.text, repr(client), repr(client._generated)]
    texts += [text for exc in raised for text in (str(exc), repr(exc), "".join(traceback.format_exception(exc)))]
    assert all(key not in text for text in texts)
    assert all(key not in str(entry) for entry in sim.requests())  # the journal names tenants, not keys


def test_a_video_from_an_audio_file(client: Miraflow, sim: SimulatorHandle, tmp_path: Path) -> None:
    audio = tmp_path / "narration.wav"
    with wave.open(str(audio), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(16000)
        handle.writeframes(b"\0\0" * 16000 * 2)
    sim.add_fault(operationId="finalizeMedia", status=500)
    with pytest.raises(InternalServerError):
        client.videos.create_from_audio(avatar="Aerin", name="narrated", audio_path=audio)
    assert sim.count_requests("POST", "/api/media/finalize") == 1  # never retried
    job = client.videos.create_from_audio(avatar="Aerin", name="narrated", audio_path=audio)
    assert job.mode == "video_avatar"
    (create,) = _creates(sim)
    assert create["body"]["avatarId"] == client.avatars.retrieve("Aerin").id and create["body"]["mediaId"]
    assert client.videos.download(client.jobs.wait(job).video_id or "", tmp_path).read_bytes()[4:8] == b"ftyp"


def test_async_generate(sim: SimulatorHandle, tmp_path: Path) -> None:
    async def main() -> Path:
        async with AsyncMiraflow(sim.key, base_url=sim.api_root, _clock=AsyncSimClock(sim)) as client:
            return await client.videos.generate(avatar="Nadia", text="Async hello.", name="async", dest=tmp_path)

    path = asyncio.run(main())
    assert path.read_bytes()[4:8] == b"ftyp"
    assert sim.jobs()[0]["mode"] == "video_avatar"
