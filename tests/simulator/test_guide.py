"""Miraflow's photo-avatar guide against the simulator: its own Python client unchanged, its flow via our client."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from typing import Any

import av
import pytest
import requests

from miraflow.base_url import server_root
from miraflow.spec import lifecycle
from miraflow_client import AuthenticatedClient
from miraflow_client.api.avatars import list_avatars
from miraflow_client.api.videos import create_video, download_video, get_job_status, get_video
from miraflow_client.models import AvatarList, CreateVideoRequest, CreateVideoResponse, JobComplete, VideoDetail
from miraflow_client.types import File
from miraflow_mock.testing import SimulatorHandle
from tests.simulator import guide_client

GUIDE_KEY = "YOUR_API_KEY"  # the guide's client hard-codes its placeholder key


class SimulatorTime:
    """`time` as the guide's module sees it: the simulator's manual clock, which `sleep` moves forward."""

    def __init__(self, sim: SimulatorHandle) -> None:
        self.sim = sim

    def time(self) -> float:
        return self.sim.now()

    def sleep(self, seconds: float) -> None:
        self.sim.advance(seconds)


def _session_for(sim: SimulatorHandle, avatar_id: str | None = None) -> type[requests.Session]:
    """A requests.Session that sends the guide's https://miraflow.ai/api traffic to the simulator instead.

    With `avatar_id`, a create names that avatar instead (the guide's own code is left as it is).
    """

    class RedirectedSession(requests.Session):
        def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
            target = str(url).replace("https://miraflow.ai/api", sim.api_root)
            if avatar_id is not None and isinstance(kwargs.get("json"), dict):
                kwargs["json"] = {**kwargs["json"], "avatarId": avatar_id}
            return super().request(method, target, *args, **kwargs)

    return RedirectedSession


def _guide_sim(factory: Any, monkeypatch: pytest.MonkeyPatch, **options: Any) -> SimulatorHandle:
    sim: SimulatorHandle = factory(clock="manual", seed=3, tenants={GUIDE_KEY: 1000}, **options)
    monkeypatch.setattr(guide_client, "time", SimulatorTime(sim))
    monkeypatch.setattr(guide_client.requests, "Session", _session_for(sim))
    return sim


@pytest.fixture
def guide_sim(miraflow_simulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> SimulatorHandle:
    return _guide_sim(miraflow_simulator_factory, monkeypatch)


def test_guides_marketing_campaign_runs_unchanged(
    guide_sim: SimulatorHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    guide_client.create_personalized_marketing_campaign()
    out = capsys.readouterr().out
    assert "Using photo avatar: Margot" in out
    assert out.count("✅ Video creation completed successfully!") == 2
    assert "🎉 Marketing video is ready for download!" in out
    assert "Error" not in out and "failed" not in out
    jobs = guide_sim.jobs()
    assert [(job["name"], job["mode"], job["state"]) for job in jobs] == [
        ("Marketing Preview - Face Cropped", "face_cropped", "inference_complete"),
        ("Marketing Campaign - Full Background", "full_background", "inference_complete"),
    ]
    creates = [entry for entry in guide_sim.requests() if entry["path"] == "/api/video/create"]
    assert [entry["body"]["im2vid_full"] for entry in creates] == [False, True]


def test_guides_error_handling_takes_its_failure_branches_with_2xx_business_errors(
    miraflow_simulator_factory: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The guide's handle_video_creation_errors(), unchanged, through each of its three branches: success, "not
    enough credits" and "Avatar not found", read from create answers that pass its raise_for_status().
    """
    sim = _guide_sim(miraflow_simulator_factory, monkeypatch, business_errors="2xx")
    guide_client.handle_video_creation_errors()
    assert "Success: Job created with ID c" in capsys.readouterr().out
    sim.set_credits(GUIDE_KEY, 0)
    guide_client.handle_video_creation_errors()
    assert capsys.readouterr().out == "Error: Please add more credits to your account\n"
    sim.set_credits(GUIDE_KEY, 1000)
    # The guide's example hard-codes Margot's id: an account without that avatar is what "Avatar not found" means.
    monkeypatch.setattr(guide_client.requests, "Session", _session_for(sim, avatar_id="cm-no-such-avatar"))
    guide_client.handle_video_creation_errors()
    assert capsys.readouterr().out == "Error: Avatar does not exist or is not accessible\n"
    assert len(sim.jobs()) == 1  # only the first, successful create made a job
    answers = [entry["status"] for entry in sim.requests() if entry["path"] == "/api/video/create"]
    assert answers == [200, 200, 200]


def test_guides_error_handling_sees_4xx_business_errors_as_http_errors(
    miraflow_simulator_factory: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With business errors in 4xx, the guide's raise_for_status() turns them into its "Network error" branch."""
    sim = _guide_sim(miraflow_simulator_factory, monkeypatch, business_errors="4xx")
    sim.set_credits(GUIDE_KEY, 0)
    guide_client.handle_video_creation_errors()
    assert "Network error: 400 Client Error" in capsys.readouterr().out


def test_guide_flow_through_the_generated_client(miraflow_simulator: SimulatorHandle) -> None:
    sim = miraflow_simulator
    with AuthenticatedClient(
        base_url=server_root(sim.api_root), token=sim.key, prefix="", auth_header_name="x-api-key"
    ) as client:
        avatars = list_avatars.sync(client=client)
        assert isinstance(avatars, AvatarList)
        photo = next(avatar for avatar in avatars.avatars if avatar.is_photo)
        results = []
        for full in (False, True):
            created = create_video.sync(
                client=client,
                body=CreateVideoRequest(avatar_id=photo.id, name=f"guide-{full}", text="Hi there!", im2vid_full=full),
            )
            assert isinstance(created, CreateVideoResponse)
            mode = lifecycle().mode_for(is_photo=True, im2vid_full=full)
            sim.advance(mode.duration.max)
            status = get_job_status.sync(created.job_id, client=client)
            assert isinstance(status, JobComplete)
            assert isinstance(get_video.sync(status.video_id, client=client), VideoDetail)
            file = download_video.sync(status.video_id, client=client)
            assert isinstance(file, File)
            with av.open(io.BytesIO(file.payload.read())) as container:
                stream = container.streams.video[0]
                results.append(round(stream.codec_context.width / stream.codec_context.height, 2))
    assert results == [1.0, round(16 / 9, 2)]


# The guide's three curl examples, verbatim (shared/photo-avatar-api-guide.txt); the text copy folds each onto one line.
GUIDE_CURLS = [
    r'curl -X GET https://miraflow.ai/api/avatars \ -H "x-api-key: YOUR_API_KEY"',
    r'curl -X POST https://miraflow.ai/api/video/create \ -H "Content-Type: application/json" \ '
    r'-H "x-api-key: YOUR_API_KEY" \ -d '
    r"""'{ "avatarId": "cmdms9d3s001no401kqwbr0q5", "name": "Quick Product Demo", "text": "Hi there! Welcome to our """
    r"""new product demonstration. Let me show you the amazing features we have built for you.", """
    r""""im2vid_full": false }'""",
    r'curl -X POST https://miraflow.ai/api/video/create \ -H "Content-Type: application/json" \ '
    r'-H "x-api-key: YOUR_API_KEY" \ -d '
    r"""'{ "avatarId": "cmdms9d3s001no401kqwbr0q5", "name": "Executive Welcome Message", "text": "Hi there! """
    r"""Welcome to our company! I am excited to personally introduce you to our revolutionary platform that will """
    r"""transform how you work and collaborate.", "im2vid_full": true }'""",
]


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl command")
def test_guides_curl_examples_run_unchanged(miraflow_simulator_factory: Any) -> None:
    sim: SimulatorHandle = miraflow_simulator_factory(clock="manual", seed=3, tenants={GUIDE_KEY: 1000})
    answers = []
    for command in GUIDE_CURLS:
        # Restore the line continuations the folded copy turned into "\ "; only the host changes.
        script = command.replace(" \\ ", " \\\n").replace("https://miraflow.ai/api", sim.api_root)
        result = subprocess.run(["sh", "-c", script + " -sS"], capture_output=True, text=True, check=True)
        answers.append(json.loads(result.stdout))
    assert [avatar["name"] for avatar in answers[0]["avatars"]][:3] == ["Margot", "Miraflow Muse", "Aerin"]
    assert answers[1]["result"] == answers[2]["result"] == "success"
    assert [job["mode"] for job in sim.jobs()] == ["face_cropped", "full_background"]
