"""The simulator over HTTP, as clients see it: every operation, tenants, credits, lifecycle, uploads and files."""

from __future__ import annotations

import io
import itertools
import math
from typing import Any

import av
import httpx
import pytest

from miraflow.spec import business_errors, lifecycle
from miraflow_mock.testing import SimulatorHandle
from tests.simulator.audio import wav_bytes

MARGOT, MUSE, AERIN = "cmdms9d3s001no401kqwbr0q5", "cme8if4yk007ko9013856uc33", "cm2yaz9j10008l0qg9npyjgs3"
SCRIPT = "Hi there! Welcome to our new product demonstration. Let me show you the amazing features we have built."


def business_status(message: str) -> int:
    """The status a create's business failure gets from a simulator at its default (the spec's likeliest placement)."""
    placement = business_errors()
    return 200 if placement.default == "2xx" else placement.status_for(message) or 400


def create(http: httpx.Client, avatar: str = MARGOT, **extra: Any) -> str:
    response = http.post("video/create", json={"avatarId": avatar, "name": "t", "text": SCRIPT, **extra})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["result"] == "success"
    return str(body["jobId"])


def status(http: httpx.Client, job: str) -> dict[str, Any]:
    response = http.get(f"video/{job}/status")
    assert response.status_code == 200, response.text
    return dict(response.json())


def admin_job(sim: SimulatorHandle, job: str) -> dict[str, Any]:
    return next(row for row in sim.jobs() if row["jobId"] == job)


def test_guide_avatars_are_listed_verbatim(http: httpx.Client) -> None:
    avatars = {avatar["id"]: avatar for avatar in http.get("avatars").json()["avatars"]}
    assert avatars[MARGOT] == {
        "id": MARGOT,
        "name": "Margot",
        "createdAt": "2025-07-28T07:25:02.489Z",
        "voiceId": "Nhs7eitvQWFTQBsf0yiT",
        "isPhoto": True,
    }
    assert avatars[MUSE]["isPhoto"] is True and avatars[MUSE]["name"] == "Miraflow Muse"
    assert avatars[AERIN]["isPhoto"] is False and avatars[AERIN]["voiceId"] == "wBPTRK6eIJgAFmDsfw29"
    assert http.get("voices").json()["voices"]


@pytest.mark.parametrize("key", [None, "", "sk-wrong"])
def test_missing_or_unknown_key_is_401(sim: SimulatorHandle, key: str | None) -> None:
    headers = {} if key is None else {"x-api-key": key}
    response = httpx.get(sim.api_root + "/avatars", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"result": "failure", "error": "Invalid API key"}


def test_progress_rises_unevenly_but_near_the_share_rendered(sim: SimulatorHandle, http: httpx.Client) -> None:
    # Jitter, not a random curve: within a knot's jitter (half of one seventh of the render) of the straight line.
    from miraflow_mock.simulator.jobs import _KNOTS, PROGRESS_JITTER

    bound = 100 * PROGRESS_JITTER / (_KNOTS - 1) + 1  # points, with one for the whole-percent rounding
    deviations = []
    for _ in range(4):
        job = create(http, im2vid_full=False)
        planned = admin_job(sim, job)
        start, duration = planned["startedAt"], planned["durationSeconds"]
        for step in range(1, 40):
            sim.advance(start + duration * step / 40 - sim.now())
            progress = int(status(http, job)["progress"].rstrip("%"))
            deviations.append(progress - 100 * step / 40)
        sim.advance(duration)
    assert max(abs(d) for d in deviations) <= bound
    assert max(abs(d) for d in deviations) >= 2  # not a straight line


def test_lifecycle_follows_the_spec_on_a_manual_clock(sim: SimulatorHandle, http: httpx.Client) -> None:
    job = create(http, im2vid_full=False)
    planned = admin_job(sim, job)
    assert planned["mode"] == "face_cropped"
    duration = planned["durationSeconds"]
    assert lifecycle().mode("face_cropped").duration.contains(duration)

    seen, progress = [], []
    for _ in range(12):
        body = status(http, job)
        seen.append(body["status"])
        if body["status"] == "inference_working":
            assert "videoId" not in body
            progress.append(int(body["progress"].rstrip("%")))
        sim.advance(duration / 10)
    final = status(http, job)
    assert final["status"] == "inference_complete"
    assert final["videoId"] and final["videoId"] != job
    assert progress == sorted(progress) and len(set(progress)) > 2 and all(0 <= p < 100 for p in progress)
    for before, after in itertools.pairwise(seen):
        assert lifecycle().can_observe(before, after)
    sim.advance(10_000)
    assert status(http, job) == final  # terminal states never change


def test_render_slots_queue_extra_jobs(sim: SimulatorHandle, http: httpx.Client) -> None:
    jobs = [create(http) for _ in range(3)]  # two render slots per tenant by default
    assert [status(http, job)["status"] for job in jobs] == ["inference_working"] * 2 + ["inference_started"]
    first_end = min(admin_job(sim, job)["durationSeconds"] for job in jobs[:2])
    sim.advance(first_end + 0.001)
    assert status(http, jobs[2])["status"] == "inference_working"


@pytest.mark.parametrize(
    ("avatar", "im2vid_full", "mode"),
    [
        (MARGOT, None, "face_cropped"),
        (MARGOT, False, "face_cropped"),
        (MARGOT, True, "full_background"),
        (AERIN, None, "video_avatar"),
        (AERIN, True, "video_avatar"),
        (AERIN, False, "video_avatar"),
    ],
)
def test_im2vid_full_selects_the_mode_only_for_photo_avatars(
    sim: SimulatorHandle, http: httpx.Client, avatar: str, im2vid_full: bool | None, mode: str
) -> None:
    extra = {} if im2vid_full is None else {"im2vid_full": im2vid_full}
    job = create(http, avatar, **extra)
    row = admin_job(sim, job)
    assert row["mode"] == mode
    assert lifecycle().mode(mode).duration.contains(row["durationSeconds"])


def test_output_is_a_real_mp4_with_the_modes_aspect(sim: SimulatorHandle, http: httpx.Client) -> None:
    face, full = create(http, im2vid_full=False), create(http, im2vid_full=True)
    sim.advance(1000)
    for job, aspect in ((face, 1.0), (full, 16 / 9)):
        video = status(http, job)["videoId"]
        response = http.get(f"video/{video}/download")
        assert response.status_code == 200
        assert response.headers["content-type"] == "video/mp4"
        assert int(response.headers["content-length"]) == len(response.content)
        with av.open(io.BytesIO(response.content)) as container:
            codecs = {stream.type: stream.codec_context.name for stream in container.streams}
            width, height = container.streams.video[0].codec_context.width, container.streams.video[0].height
            seconds = float(container.duration) / 1e6
        assert codecs == {"video": "h264", "audio": "aac"}
        assert width / height == pytest.approx(aspect, rel=0.01)
        words = len(SCRIPT.split())
        assert seconds == pytest.approx(words / 150 * 60, abs=0.5)  # 150 words a minute


def test_video_detail_gives_a_signed_expiring_url(sim: SimulatorHandle, http: httpx.Client) -> None:
    job = create(http)
    sim.advance(1000)
    video = status(http, job)["videoId"]
    assert http.get(f"video/{job}").status_code == 404  # a jobId is not a videoId
    detail = http.get(f"video/{video}").json()
    assert detail["id"] == video and detail["name"] == "t"
    url = detail["downloadUrl"]
    assert httpx.get(url).content[4:8] == b"ftyp"
    assert httpx.get(url.replace("signature=", "signature=0")).status_code == 403
    sim.advance(4000)  # past the URL's lifetime
    assert httpx.get(url).status_code == 403
    assert httpx.get(http.get(f"video/{video}").json()["downloadUrl"]).status_code == 200


def test_videos_lists_only_completed_videos(sim: SimulatorHandle, http: httpx.Client) -> None:
    fast, slow = create(http, im2vid_full=False), create(http, im2vid_full=True)
    sim.advance(200)
    listed = [video["id"] for video in http.get("videos").json()["videos"]]
    assert listed == [status(http, fast)["videoId"]]
    assert status(http, slow)["status"] != "inference_complete"


def test_tenants_are_isolated(sim: SimulatorHandle, http: httpx.Client) -> None:
    job = create(http)
    sim.advance(1000)
    video = status(http, job)["videoId"]
    other = {"x-api-key": sim.keys[1]}
    for path in (f"video/{job}/status", f"video/{video}", f"video/{video}/download"):
        response = httpx.get(f"{sim.api_root}/{path}", headers=other)
        assert response.status_code == 404, path
        assert response.json()["result"] == "failure"
    assert httpx.get(f"{sim.api_root}/videos", headers=other).json() == {"videos": []}


def test_credits_are_charged_by_the_documented_rule(sim: SimulatorHandle, http: httpx.Client) -> None:
    def balance() -> int:
        return next(t["credits"] for t in sim.tenants() if t["name"] == "demo-1")

    start = balance()
    long_text = " ".join(["word"] * 160)  # 64 s of speech: 3 started half-minutes
    response = http.post("video/create", json={"avatarId": MARGOT, "name": "long", "text": long_text})
    job = response.json()["jobId"]
    assert admin_job(sim, job)["cost"] == math.ceil(64 / 30) == 3
    assert balance() == start - 3
    full = create(http, im2vid_full=True)
    assert admin_job(sim, full)["cost"] == 2  # a short script, doubled for full background
    assert balance() == start - 5

    sim.set_credits(sim.key, 1)
    refused = http.post("video/create", json={"avatarId": MARGOT, "name": "x", "text": SCRIPT, "im2vid_full": True})
    assert refused.status_code == business_status("not enough credits")
    assert refused.json() == {"result": "failure", "error": "not enough credits"}
    assert balance() == 1
    assert len(sim.jobs()) == 2


@pytest.mark.parametrize(
    ("body", "headers", "status_code", "message"),
    [
        (b"{not json", {"content-type": "application/json"}, 400, "malformed JSON body"),
        (b"[]", {"content-type": "application/json"}, 400, "request body"),
        (b'{"avatarId": "x", "name": "n"}', {"content-type": "application/json"}, 400, "text is required"),
        (
            b'{"avatarId": "x", "name": "n", "text": "hi"}',
            {"content-type": "application/json"},
            business_status("Avatar not found"),
            "Avatar not found",
        ),
        (
            b'{"avatarId": "cmdms9d3s001no401kqwbr0q5", "name": "n", "text": "hi", "im2vid_full": "yes"}',
            {"content-type": "application/json"},
            400,
            "im2vid_full must be of type boolean",
        ),
        (b"avatarId=x", {"content-type": "text/plain"}, 400, "Content-Type must be"),
    ],
)
def test_bad_requests_get_the_error_shape_and_cost_nothing(
    sim: SimulatorHandle, http: httpx.Client, body: bytes, headers: dict[str, str], status_code: int, message: str
) -> None:
    response = http.post("video/create", content=body, headers=headers)
    assert response.status_code == status_code
    assert response.json()["result"] == "failure"
    assert message in response.json()["error"]
    assert sim.jobs() == []
    assert {t["credits"] for t in sim.tenants()} == {1000}


def test_audio_upload_then_multipart_create(sim: SimulatorHandle, http: httpx.Client) -> None:
    audio = wav_bytes(4.0)
    init = http.post("media/initialize", json={"fileName": "a.wav", "contentType": "audio/wav", "fileSize": len(audio)})
    assert init.status_code == 200
    media, upload_url = init.json()["mediaId"], init.json()["uploadUrl"]
    early = http.post("video/create", files={"avatarId": (None, AERIN), "name": (None, "n"), "mediaId": (None, media)})
    assert early.status_code == business_status("media is not finalized") and "finalize" in early.json()["error"]
    assert http.post("media/finalize", json={"mediaId": media}).status_code == 400  # nothing uploaded yet
    assert httpx.put(upload_url, content=audio, headers={"content-type": "audio/wav"}).status_code == 200
    assert http.post("media/finalize", json={"mediaId": media}).json() == {"success": True}
    created = http.post(
        "video/create", files={"avatarId": (None, AERIN), "name": (None, "n"), "mediaId": (None, media)}
    )
    assert created.status_code == 200, created.text
    sim.advance(1000)
    video = status(http, created.json()["jobId"])["videoId"]
    with av.open(io.BytesIO(http.get(f"video/{video}/download").content)) as container:
        assert float(container.duration) / 1e6 == pytest.approx(4.0, abs=0.3)
    other = {"x-api-key": sim.keys[1]}
    assert httpx.post(f"{sim.api_root}/media/finalize", json={"mediaId": media}, headers=other).status_code == 404


def test_upload_size_must_match(sim: SimulatorHandle, http: httpx.Client) -> None:
    audio = wav_bytes(1.0)
    init = http.post("media/initialize", json={"fileName": "a.wav", "contentType": "audio/wav", "fileSize": 10**6})
    httpx.put(init.json()["uploadUrl"], content=audio)
    refused = http.post("media/finalize", json={"mediaId": init.json()["mediaId"]})
    assert refused.status_code == 400 and "initialize said" in refused.json()["error"]


def test_journal_names_tenants_never_keys(sim: SimulatorHandle, http: httpx.Client) -> None:
    create(http)
    http.get("avatars")
    entries = sim.requests()
    assert [(e["method"], e["path"], e["status"], e["tenant"]) for e in entries] == [
        ("POST", "/api/video/create", 200, "demo-1"),
        ("GET", "/api/avatars", 200, "demo-1"),
    ]
    assert entries[0]["body"]["avatarId"] == MARGOT
    assert sim.key not in str(entries)
    assert sim.count_requests("POST", "/api/video/create") == 1
    assert sim.key not in str(sim.tenants())


@pytest.mark.parametrize("status_code", [429, 500, 503])
def test_injected_status_faults(sim: SimulatorHandle, http: httpx.Client, status_code: int) -> None:
    sim.add_fault(operationId="listAvatars", count=2, status=status_code, retryAfter=3)
    for _ in range(2):
        response = http.get("avatars")
        assert response.status_code == status_code
        assert response.headers["retry-after"] == "3"
        assert response.json()["result"] == "failure"
    assert http.get("avatars").status_code == 200


def test_injected_drop_after_create_leaves_the_job(sim: SimulatorHandle, http: httpx.Client) -> None:
    sim.add_fault(method="POST", path="/api/video/create", drop="after")
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("video/create", json={"avatarId": MARGOT, "name": "t", "text": SCRIPT})
    assert len(sim.jobs()) == 1  # the create happened; only the answer was lost
    sim.add_fault(operationId="createVideo", drop="before")
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("video/create", json={"avatarId": MARGOT, "name": "t", "text": SCRIPT})
    assert len(sim.jobs()) == 1


def test_injected_truncated_download_and_failure_body(sim: SimulatorHandle, http: httpx.Client) -> None:
    job = create(http)
    sim.advance(1000)
    video = status(http, job)["videoId"]
    sim.add_fault(operationId="downloadVideo", truncate=True)
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(f"video/{video}/download")
    sim.add_fault(operationId="getJobStatus", failureBody=True)
    assert status(http, job) == {"result": "failure", "error": "simulated failure (injected fault)"}
    assert status(http, job)["status"] == "inference_complete"


def test_bad_fault_descriptions_are_refused(sim: SimulatorHandle) -> None:
    for fault in ({"operationId": "nope", "status": 500}, {"operationId": "listAvatars"}, {"status": 500}):
        with pytest.raises(Exception, match="400"):
            sim.add_fault(**fault)


def test_reset_restores_the_start(sim: SimulatorHandle, http: httpx.Client) -> None:
    create(http)
    sim.advance(5)
    sim.add_fault(operationId="listAvatars", status=500)
    sim.reset()
    assert sim.jobs() == [] and sim.requests() == [] and sim.now() == 0.0
    assert http.get("avatars").status_code == 200
    assert {t["credits"] for t in sim.tenants()} == {1000}


@pytest.mark.parametrize("placement", ["2xx", "4xx"])
def test_business_errors_go_where_the_flag_says(miraflow_simulator_factory: Any, placement: str) -> None:
    """`--business-errors 2xx` answers a create's business failure in a 200 body (as the guide's client reads it),
    `4xx` with the spec's status for its message; a malformed create is a 400 either way, and nothing is charged.
    """
    sim: SimulatorHandle = miraflow_simulator_factory(clock="manual", business_errors=placement)
    statuses = business_errors()
    with httpx.Client(base_url=sim.api_root + "/", headers={"x-api-key": sim.key}, timeout=30) as http:
        unknown = http.post("video/create", json={"avatarId": "nope", "name": "n", "text": "hi"})
        sim.set_credits(sim.key, 0)
        poor = http.post("video/create", json={"avatarId": MARGOT, "name": "n", "text": "hi"})
        malformed = http.post("video/create", json={"avatarId": MARGOT, "name": "n"})
    for response, message in ((unknown, "Avatar not found"), (poor, "not enough credits")):
        expected = 200 if placement == "2xx" else statuses.status_for(message)
        assert (response.status_code, response.json()) == (expected, {"result": "failure", "error": message})
    assert malformed.status_code == 400
    assert sim.jobs() == []
