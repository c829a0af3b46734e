"""`mock_miraflow()`: the simulator in the test's own process, answering https://miraflow.ai for httpx and requests."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import av
import httpx
import pytest
import requests

from miraflow import AsyncMiraflow, Miraflow
from miraflow.base_url import BASE_URL_ENV
from miraflow_mock import mock_miraflow
from miraflow_mock.inprocess import InProcessSimulator
from miraflow_mock.prism import free_port
from miraflow_mock.testing import SimulatorHandle
from tests.simulator import guide_client
from tests.simulator.audio import wav_bytes
from tests.simulator.test_guide import GUIDE_KEY, SimulatorTime

MARGOT = "cmdms9d3s001no401kqwbr0q5"
API = "https://miraflow.ai/api"


def _create(key: str, name: str = "x") -> str:
    response = requests.post(
        f"{API}/video/create", json={"avatarId": MARGOT, "name": name, "text": "Hello!"}, headers={"x-api-key": key}
    )
    response.raise_for_status()
    return str(response.json()["jobId"])


def test_the_guides_client_runs_unchanged_inside_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with mock_miraflow(clock="manual", seed=3, tenants={GUIDE_KEY: 1000}) as sim:
        monkeypatch.setattr(guide_client, "time", SimulatorTime(sim))  # its sleeps move the manual clock
        guide_client.create_personalized_marketing_campaign()
        out = capsys.readouterr().out
        assert "Using photo avatar: Margot" in out
        assert out.count("✅ Video creation completed successfully!") == 2
        assert "🎉 Marketing video is ready for download!" in out
        assert "Error" not in out and "failed" not in out
        assert [(job["mode"], job["state"]) for job in sim.jobs()] == [
            ("face_cropped", "inference_complete"),
            ("full_background", "inference_complete"),
        ]
        sim.set_credits(GUIDE_KEY, 0)
        guide_client.handle_video_creation_errors()
        # The guide's own failure branch: a 2xx body with result "failure" (the spec's default placement)
        assert "Error: Please add more credits to your account" in capsys.readouterr().out
        assert sim.requests()[-1]["tenant"] == "tenant-1"


def test_miraflow_with_no_base_url_creates_waits_and_downloads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    with mock_miraflow(clock="manual", seed=1) as sim, Miraflow(sim.key) as client:
        job = client.videos.create(avatar="Margot", text="Hello there!", name="in process")
        sim.advance(600)
        status = client.jobs.retrieve(job)
        assert status.video_id is not None
        path = client.videos.download(status.video_id, tmp_path)
        with av.open(str(path)) as container:  # a real, playable MP4 came through the interception
            assert container.streams.video[0].codec_context.width > 0
        signed = client.videos.retrieve(status.video_id).download_url
        assert signed.startswith("https://miraflow.ai/__files/")
        assert requests.get(signed).content == path.read_bytes()
        assert sim.count_requests("POST", "/api/video/create") == 1


def test_an_audio_upload_goes_through_the_signed_url_too(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    audio = tmp_path / "hello.wav"
    audio.write_bytes(wav_bytes(3.0))
    with mock_miraflow(clock="manual", seed=1) as sim, Miraflow(sim.key) as client:
        job = client.videos.create_from_audio(avatar=MARGOT, name="spoken", audio_path=audio)
        assert [job["jobId"] for job in sim.jobs()] == [job.id]
        assert sim.count_requests("PUT") == 1  # the bytes went to the signed upload URL, answered in process


async def test_async_clients_are_answered_without_blocking_their_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    with mock_miraflow(clock="manual", seed=1) as sim:
        sim.add_fault(operationId="listAvatars", latency=0.3)
        async with httpx.AsyncClient() as http:
            slow = asyncio.ensure_future(http.get(f"{API}/avatars", headers={"x-api-key": sim.key}))
            await asyncio.sleep(0.05)
            ticks = 0
            while not slow.done():  # this loop keeps running while the simulator delays its answer
                ticks += 1
                await asyncio.sleep(0.01)
            assert (await slow).status_code == 200 and ticks > 5
        async with AsyncMiraflow(sim.key) as client:
            job = await client.videos.create(avatar=MARGOT, text="Hi", name="async", full_background=True)
            sim.advance(900)
            assert (await client.jobs.retrieve(job)).status == "inference_complete"


def test_faults_look_like_a_socket_to_both_libraries() -> None:
    with mock_miraflow(clock="manual") as sim:
        headers = {"x-api-key": sim.key}
        sim.add_fault(operationId="listAvatars", drop="before", count=2)
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(f"{API}/avatars", headers=headers)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{API}/avatars", headers=headers)
        sim.add_fault(operationId="listAvatars", truncate=True, count=2)
        with pytest.raises(httpx.RemoteProtocolError, match="received"):
            httpx.get(f"{API}/avatars", headers=headers)
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            requests.get(f"{API}/avatars", headers=headers)
        sim.add_fault(operationId="listAvatars", latency=5)
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{API}/avatars", headers=headers, timeout=0.2)
        sim.add_fault(operationId="getJobStatus", status=429, retryAfter=2)
        answer = httpx.get(f"{API}/video/nope/status", headers=headers)
        assert answer.status_code == 429 and answer.headers["retry-after"] == "2"
        assert answer.json()["result"] == "failure"


def test_admin_calls_reach_it_as_from_loopback_and_reset_works() -> None:
    with mock_miraflow(clock="manual", tenants={"sk-a": 5}) as sim:
        assert isinstance(sim, SimulatorHandle) and sim.keys == ("sk-a",)
        assert sim.api_root == API
        _create("sk-a")
        assert [tenant["credits"] for tenant in sim.tenants()] == [4]
        seen = []
        app = sim.simulator
        assert app is not None
        inner = app.router

        async def spy(scope, receive, send):  # type: ignore[no-untyped-def]
            seen.append(scope["client"])
            await inner(scope, receive, send)

        app.router = spy  # type: ignore[assignment]
        assert sim.now() == 0.0
        assert seen and seen[-1][0] == "127.0.0.1"
        app.router = inner
        sim.reset()
        assert sim.jobs() == [] and [tenant["credits"] for tenant in sim.tenants()] == [5]


def test_other_api_roots_are_answered_and_signed_urls_use_them() -> None:
    root = "http://staging.test:8080/miraflow/api"
    with mock_miraflow(clock="manual", api_roots=[root]) as sim:
        headers = {"x-api-key": sim.key}
        assert requests.get(f"{root}/avatars", headers=headers).status_code == 200
        job = _create(sim.key)
        sim.advance(600)
        video_id = httpx.get(f"{root}/video/{job}/status", headers=headers).json()["videoId"]
        url = httpx.get(f"{root}/video/{video_id}", headers=headers).json()["downloadUrl"]
        assert url.startswith("http://staging.test:8080/miraflow/__files/videos/")
        with av.open(io.BytesIO(httpx.get(url).content)) as container:
            assert container.streams.video


def test_other_traffic_passes_through_and_nothing_is_intercepted_after_it(
    miraflow_simulator: SimulatorHandle,
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api"  # nothing listens there: only the mock can answer
    with mock_miraflow(clock="manual", api_roots=[closed]) as inner:
        assert httpx.get(f"{closed}/avatars", headers={"x-api-key": inner.key}).status_code == 200
        # The subprocess simulator on loopback is reached for real, by both libraries.
        assert httpx.get(f"{miraflow_simulator.api_root}/avatars", headers={"x-api-key": "sk-demo-1"}).is_success
        assert requests.get(f"{miraflow_simulator.api_root}/avatars", headers={"x-api-key": "sk-demo-1"}).ok
        assert miraflow_simulator.count_requests("GET", "/api/avatars") == 2
        assert inner.count_requests() == 1
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{closed}/avatars", timeout=2)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{closed}/avatars", timeout=2)


def test_as_a_decorator_each_call_gets_a_fresh_simulator() -> None:
    mocked = mock_miraflow(clock="manual", seed=2)
    job_counts = []

    @mocked
    def create_one() -> None:
        _create(mocked.handle.key)
        job_counts.append(len(mocked.handle.jobs()))

    create_one()
    create_one()
    assert job_counts == [1, 1]
    with pytest.raises(RuntimeError, match="not active"):
        mocked.handle  # noqa: B018

    @mock_miraflow
    async def list_async() -> int:
        async with httpx.AsyncClient() as http:
            response = await http.get(f"{API}/avatars", headers={"x-api-key": "sk-demo-1"})
        return len(response.json()["avatars"])

    assert asyncio.run(list_async()) >= 3


def test_options_are_checked_like_the_servers() -> None:
    with pytest.raises(ValueError, match="time-scale"):
        mock_miraflow(time_scale=0).start()
    with pytest.raises(ValueError, match="validate"):
        mock_miraflow(validate=True).start()


def test_the_fixture_gives_a_fresh_manual_clock_simulator(miraflow_mock: InProcessSimulator) -> None:
    assert miraflow_mock.options["clock"] == "manual" and miraflow_mock.jobs() == []
    _create(miraflow_mock.key)
    assert miraflow_mock.advance(60) == 60.0


@pytest.mark.miraflow_mock(clock="real", time_scale=0.5, tenants={"sk-marked": 3})
def test_the_fixture_takes_options_from_its_marker(miraflow_mock: InProcessSimulator) -> None:
    assert miraflow_mock.keys == ("sk-marked",)
    assert miraflow_mock.admin("GET", "/clock")["timeScale"] == 0.5
