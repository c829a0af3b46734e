"""Hypothesis properties of the contract: isPhoto/im2vid_full, tenant isolation, credits and errors."""

from __future__ import annotations

import math
import time
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from contract_tests.conftest import Target
from contract_tests.observe import JobObserver, fetch_status, mp4_aspect, wait_until_terminal
from miraflow.spec import business_errors, lifecycle
from miraflow_client.api.avatars import list_avatars
from miraflow_client.api.videos import get_job_status
from miraflow_client.models import AvatarList, Error

SCRIPTS = st.sampled_from(
    [
        "Hi there!",
        "Hi there! This is a quick preview of our new product features.",
        "Welcome to our revolutionary platform! Let me personally show you how our solution can transform your "
        "business and drive incredible results.",
    ]
)
IM2VID_FULL = st.sampled_from([None, False, True])


def _avatars(target: Target) -> list[Any]:
    with target.client() as client:
        listed = list_avatars.sync(client=client)
    assert isinstance(listed, AvatarList)
    return list(listed.avatars)


def _create(target: Target, avatar_id: str, name: str, text: str, im2vid_full: bool | None) -> tuple[str, float, float]:
    target.budget.take()
    body: dict[str, Any] = {"avatarId": avatar_id, "name": name, "text": text}
    if im2vid_full is not None:
        body["im2vid_full"] = im2vid_full
    with target.http() as http:
        sent = time.monotonic()
        response = http.post("video/create", json=body)
        received = time.monotonic()
    assert response.status_code == 200, (
        f"create with im2vid_full={im2vid_full!r} for avatar {avatar_id} was refused: {response.status_code} "
        f"{response.text} (the guide says im2vid_full is safe to send for every avatar)"
    )
    return str(response.json()["jobId"]), sent, received


def _video_bytes(target: Target, video_id: str) -> bytes:
    with target.http() as http:
        download = http.get(f"video/{video_id}/download")
        assert download.status_code == 200
        assert download.headers["content-type"].split(";")[0] == "video/mp4"
        if target.bytes_from_download_url:
            detail = http.get(f"video/{video_id}")
            return httpx.get(detail.json()["downloadUrl"], timeout=120).content
        assert int(download.headers["content-length"]) == len(download.content)
        return download.content


def _interval(target: Target) -> Any:
    # Poll often enough to measure the time to complete within a few percent of the mode's range.
    def interval(observer: JobObserver) -> float:
        return max(0.002, observer.mode.duration.min * target.time_scale / 20)

    return interval


@pytest.mark.stateful
@pytest.mark.creates
def test_im2vid_full_selects_the_output_of_photo_avatars_only(target: Target) -> None:
    """For every listed avatar and im2vid_full in {absent, false, true}: a photo avatar's output follows im2vid_full
    (absent means face-cropped), seen in the MP4's frame aspect and in a time to complete within that mode's range;
    a video avatar gives its single mode whatever im2vid_full is, and sending it is never an error.
    """
    avatars = _avatars(target)
    assert any(a.is_photo for a in avatars), "the target lists no photo avatar"
    spec = lifecycle()

    @settings(
        max_examples=12 if target.budget.left is None else 1,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(avatar=st.sampled_from(avatars), im2vid_full=IM2VID_FULL, text=SCRIPTS)
    def check(avatar: Any, im2vid_full: bool | None, text: str) -> None:
        if target.budget.left is not None:  # live: only short face-cropped videos
            assume(avatar.is_photo and not im2vid_full and text == "Hi there!")
        mode = spec.mode_for(is_photo=avatar.is_photo, im2vid_full=im2vid_full)
        job_id, sent, received = _create(target, avatar.id, f"contract {mode.name}", text, im2vid_full)
        observer = JobObserver(job_id, mode, sent, received)
        deadline = time.monotonic() + mode.duration.max * target.time_scale * 3 + 30
        with target.client() as client:
            wait_until_terminal(observer, client, deadline=deadline, interval=_interval(target))
        assert observer.complete, f"{job_id} ended {observer.seen[-1].state}"
        observer.check_duration(target.time_scale, slack=0.05 if target.time_scale < 1 else 15)
        aspect = mp4_aspect(_video_bytes(target, observer.video_id or ""))
        assert aspect == pytest.approx(mode.aspect_ratio, rel=0.02), (
            f"{avatar.name} (isPhoto={avatar.is_photo}) with im2vid_full={im2vid_full!r} should give "
            f"{mode.name} output ({mode.aspect[0]}:{mode.aspect[1]}), got aspect {aspect:.3f}"
        )

    check()


@pytest.mark.stateful
@pytest.mark.creates
def test_tenants_see_nothing_of_each_other(target: Target) -> None:
    """Nothing that one key created (a job, its video, an upload) is visible to another key, by id or in any list."""
    if target.other_key is None:
        pytest.skip("needs a second account's key (live: MIRAFLOW_API_KEY_2)")
    photo = next(a for a in _avatars(target) if a.is_photo)
    job_id, sent, received = _create(target, photo.id, "contract isolation", "Hi there!", None)
    observer = JobObserver(job_id, lifecycle().mode_for(is_photo=True, im2vid_full=None), sent, received)
    deadline = time.monotonic() + observer.mode.duration.max * target.time_scale * 3 + 30
    with target.client() as client:
        wait_until_terminal(observer, client, deadline=deadline, interval=_interval(target))
    video_id = observer.video_id
    with target.http() as http:
        upload = http.post("media/initialize", json={"fileName": "a.wav", "contentType": "audio/wav", "fileSize": 10})
        media_id = upload.json()["mediaId"]
    with target.http(target.other_key) as other:
        probes = [other.get(f"video/{job_id}/status"), other.post("media/finalize", json={"mediaId": media_id})]
        if video_id:
            probes += [other.get(f"video/{video_id}"), other.get(f"video/{video_id}/download")]
        for response in probes:
            assert response.status_code == 404, f"{response.request.url.path} leaked to another key"
            assert response.json()["result"] == "failure"
        listed = other.get("videos").json()["videos"]
        assert video_id not in {video["id"] for video in listed}
        assert job_id not in {video["id"] for video in listed}


@pytest.mark.simulator
@given(
    plans=st.lists(st.tuples(st.sampled_from([None, False, True]), st.integers(1, 200), st.booleans()), max_size=6),
)
@settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_credits_change_by_exactly_the_documented_cost(target: Target, plans: list[tuple[Any, int, bool]]) -> None:
    """Each accepted create changes the balance by exactly its documented cost (one credit per started 30 s of
    speech at 150 words a minute, doubled for full background); a rejected create changes nothing; a create beyond
    the balance is refused with "not enough credits".
    """
    key = "sk-contract-credits"
    placement = business_errors()  # the simulator answers business failures where the spec holds most likely

    def refusal(message: str) -> int:
        return 200 if placement.default == "2xx" else placement.status_for(message) or 400

    target.admin("POST", "/tenants", {"key": key, "credits": 12})
    balance = 12
    avatars = {a.is_photo: a.id for a in _avatars(target)}
    with target.http(key) as http:
        for im2vid_full, words, photo in plans:
            body: dict[str, Any] = {"avatarId": avatars[photo], "name": "credits", "text": " ".join(["word"] * words)}
            if im2vid_full is not None:
                body["im2vid_full"] = im2vid_full
            mode = lifecycle().mode_for(is_photo=photo, im2vid_full=im2vid_full)
            cost = max(1, math.ceil(words / 150 * 60 / 30)) * (2 if mode.name == "full_background" else 1)
            response = http.post("video/create", json=body)
            if cost <= balance:
                assert response.status_code == 200 and response.json()["result"] == "success", response.text
                balance -= cost
            else:
                assert response.status_code == refusal("not enough credits")
                assert response.json() == {"result": "failure", "error": "not enough credits"}
            bad = http.post("video/create", json={**body, "avatarId": "no-such-avatar"})
            assert (bad.status_code, bad.json()["result"]) == (refusal("Avatar not found"), "failure")
            mine = next(t for t in target.admin("GET", "/tenants")["tenants"] if t["keyHint"] == key[-4:])
            assert mine["credits"] == balance


@pytest.mark.parametrize("key", [None, "sk-not-a-real-key"])
def test_missing_or_wrong_key_is_401_with_the_error_shape(target: Target, key: str | None) -> None:
    """Every operation refuses a missing or unknown key with 401 and an Error body (not on Prism: any key works)."""
    if target.name == "prism" and key is not None:
        pytest.skip("Prism accepts any key value")
    headers = {} if key is None else {"x-api-key": key}
    root = target.keyless_api_root if key is None and target.keyless_api_root else target.api_root
    with httpx.Client(base_url=root + "/", headers=headers, timeout=60) as http:
        for response in (http.get("avatars"), http.get("videos"), http.get("video/x/status"), http.get("video/x")):
            assert response.status_code == 401, f"{response.request.url.path}: {response.status_code}"
            assert Error.from_dict(response.json()).result == "failure"


@pytest.mark.stateful
def test_unknown_ids_are_404_with_the_error_shape(target: Target) -> None:
    """Unknown job, video and media ids give 404 with an Error body; the generated client parses it to Error."""
    unknown = "cunknown000000000000000000"
    with target.http() as http:
        for response in (
            http.get(f"video/{unknown}/status"),
            http.get(f"video/{unknown}"),
            http.get(f"video/{unknown}/download"),
            http.post("media/finalize", json={"mediaId": unknown}),
        ):
            assert response.status_code == 404, f"{response.request.url.path}: {response.status_code}"
            body = response.json()
            assert set(body) == {"result", "error"} and body["result"] == "failure" and body["error"]
    with target.client() as client:
        parsed = get_job_status.sync(unknown, client=client)
    assert isinstance(parsed, Error)


def test_status_parses_through_the_generated_client(target: Target) -> None:
    """The status endpoint's answer, whatever the target gives, parses to one of the spec's states."""
    if target.name != "prism":
        pytest.skip("covered with real jobs by the other properties")
    with target.client() as client:
        _, _, body = fetch_status(client, "any-job", time.monotonic)
    assert body["status"] in lifecycle().states
