"""`with_raw_response` on every method (status, headers, the parsed body), and `with_options`, sync and async."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from miraflow import AsyncMiraflow, CompletedJob, Job, Miraflow, MiraflowError, RateLimitError, RawResponse

from .conftest import AVATARS, PHOTO_ID, FakeAPI, json_response, status_body

CREATE = ("POST", "/api/video/create")
STATUS = ("GET", "/api/video/job-1/status")
DOWNLOAD = ("GET", "/api/video/vid-1/download")
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(64)


@pytest.fixture(autouse=True)
def _routes(api: FakeAPI) -> None:
    api.on("GET", "/api/avatars", json_response(200, {"avatars": AVATARS}, {"x-request-id": "req-avatars"}))
    api.on(*CREATE, json_response(200, {"result": "success", "jobId": "job-1"}, {"x-request-id": "req-create"}))
    api.on(*STATUS, json_response(200, status_body("inference_complete", video_id="vid-1"), {"x-poll": "last"}))
    api.on(
        *DOWNLOAD,
        httpx.Response(200, headers={"content-type": "video/mp4", "content-length": str(len(MP4))}, content=MP4),
    )
    api.on("GET", "/api/videos", json_response(200, {"videos": []}, {"x-request-id": "req-videos"}))


def test_a_raw_list_has_status_headers_and_the_parsed_body(client: Miraflow) -> None:
    raw = client.avatars.with_raw_response.list()
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200
    assert raw.headers["x-request-id"] == "req-avatars"
    assert [avatar.id for avatar in raw.parse()] == [avatar["id"] for avatar in AVATARS]
    assert raw.http_response.request.url.path == "/api/avatars"


def test_a_raw_call_bypasses_the_cache_so_it_has_a_response(client: Miraflow, api: FakeAPI) -> None:
    client.avatars.list()
    raw = client.avatars.with_raw_response.list()
    assert raw.status_code == 200
    assert len(api.sent("GET", "/api/avatars")) == 2


def test_a_raw_create_is_the_create_response(client: Miraflow, api: FakeAPI) -> None:
    raw = client.videos.with_raw_response.create(avatar="Margot", text="Hi", name="Hi")
    assert raw.headers["x-request-id"] == "req-create"
    assert raw.parse() == Job(id="job-1", name="Hi", avatar_id=PHOTO_ID, mode="face_cropped")
    assert [response.request.url.path for response in raw.responses] == ["/api/avatars", "/api/video/create"]
    assert len(api.sent(*CREATE)) == 1  # a raw create is still sent once


def test_a_raw_wait_is_its_last_poll_and_a_raw_generate_its_download(client: Miraflow, tmp_path: Path) -> None:
    raw = client.jobs.with_raw_response.wait("job-1")
    assert raw.headers["x-poll"] == "last"
    assert raw.parse() == CompletedJob(job_id="job-1", status=raw.parse().status, video_id="vid-1")
    generated = client.with_raw_response.videos.generate(avatar="Margot", text="Hi", name="Hi", dest=tmp_path)
    assert generated.http_response.request.url.path == "/api/video/vid-1/download"
    assert generated.headers["content-type"] == "video/mp4"
    assert generated.parse().read_bytes() == MP4


def test_a_failing_raw_call_raises_as_the_plain_one_does(client: Miraflow, api: FakeAPI) -> None:
    api.on("GET", "/api/videos", json_response(429, {"result": "failure", "error": "slow down"}))
    with pytest.raises(RateLimitError):
        client.with_options(max_retries=0).videos.with_raw_response.list()


def test_every_public_method_has_a_raw_twin_with_its_signature() -> None:
    for client in (Miraflow(api_key="k"), AsyncMiraflow(api_key="k")):
        for name in ("avatars", "voices", "videos", "jobs"):
            resource = getattr(client, name)
            views = (resource.with_raw_response, getattr(client.with_raw_response, name))
            methods = [m for m, _ in inspect.getmembers(resource, inspect.ismethod) if not m.startswith("_")]
            assert methods, name
            for method in methods:
                for view in views:
                    wrapped = getattr(view, method)
                    assert inspect.signature(wrapped) == inspect.signature(getattr(resource, method)), method


async def test_the_async_twin_returns_raw_responses(make_async_client: Callable[..., AsyncMiraflow]) -> None:
    client = make_async_client()
    raw = await client.videos.with_raw_response.list()
    assert raw.status_code == 200 and raw.headers["x-request-id"] == "req-videos" and raw.parse() == []
    job = (await client.with_raw_response.videos.create(avatar="Margot", text="Hi", name="Hi")).parse()
    assert job.id == "job-1"
    done = await client.jobs.with_raw_response.wait(job)
    assert done.parse().video_id == "vid-1"
    await client.close()


def test_with_options_sets_the_timeout_of_each_request(make_client: Callable[..., Miraflow], api: FakeAPI) -> None:
    seen: list[object] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"]["read"])
        return json_response(200, {"videos": []})

    api.on("GET", "/api/videos", record)
    client = make_client(timeout=30.0)
    client.with_options(timeout=2.5).videos.list()
    client.videos.list()  # the original keeps its own
    client.with_options(timeout=httpx.Timeout(4.0)).videos.list()
    assert seen == [2.5, 30.0, 4.0]


def test_with_options_sets_the_retries(client: Miraflow, api: FakeAPI) -> None:
    api.on("GET", "/api/videos", json_response(503, {"result": "failure", "error": "down"}))
    with pytest.raises(Exception, match="down"):
        client.with_options(max_retries=0).videos.list()
    assert len(api.sent("GET", "/api/videos")) == 1
    api.requests.clear()
    with pytest.raises(Exception, match="down"):
        client.with_options(max_retries=3).videos.list()
    assert len(api.sent("GET", "/api/videos")) == 4
    assert client.max_retries != 3


def test_a_copy_shares_what_the_client_keeps_and_uses_its_own_resources(client: Miraflow, api: FakeAPI) -> None:
    client.avatars.list()
    quick = client.with_options(max_retries=0)
    assert type(quick) is Miraflow and quick is not client
    quick.avatars.list()  # the cache is shared: no second listing
    assert len(api.sent("GET", "/api/avatars")) == 1
    assert quick.videos._avatars is quick.avatars and quick.videos._jobs is quick.jobs
    assert quick.videos._voices is quick.voices
    job = quick.videos.create(avatar="Margot", text="Hi", name="Hi")
    assert client.jobs._known.recall(job.id) is not None  # known jobs are shared: the original plans its wait


def test_with_options_checks_its_arguments_before_any_request(client: Miraflow, api: FakeAPI) -> None:
    with pytest.raises(TypeError, match="max_retries"):
        client.with_options(max_retries="3")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_retries"):
        client.with_options(max_retries=-1)
    with pytest.raises(TypeError, match="timeout"):
        client.with_options(timeout="10s")  # type: ignore[arg-type]
    assert not api.requests


async def test_async_with_options(make_async_client: Callable[..., AsyncMiraflow], api: FakeAPI) -> None:
    api.on("GET", "/api/videos", json_response(503, {"result": "failure", "error": "down"}))
    client = make_async_client()
    quick = client.with_options(max_retries=0, timeout=1.0)
    assert type(quick) is AsyncMiraflow
    with pytest.raises(Exception, match="down"):
        await quick.videos.list()
    assert len(api.sent("GET", "/api/videos")) == 1
    await client.close()


async def test_an_async_raw_download_is_the_download_response(
    make_async_client: Callable[..., AsyncMiraflow], tmp_path: Path
) -> None:
    client = make_async_client()
    raw = await client.videos.with_raw_response.download("vid-1", tmp_path / "out.mp4")
    assert raw.status_code == 200 and raw.headers["content-type"] == "video/mp4"
    assert raw.parse() == tmp_path / "out.mp4" and raw.parse().read_bytes() == MP4
    await client.close()


def test_a_raw_call_that_needs_no_request_says_so(client: Miraflow, api: FakeAPI) -> None:
    avatar = client.avatars.retrieve("Margot")
    with pytest.raises(MiraflowError, match="made no request"):
        client.avatars.with_raw_response.retrieve(avatar)
    raw = client.avatars.with_raw_response.retrieve("Margot")  # by name: the cache steps aside
    assert raw.parse() == avatar and raw.status_code == 200


def test_raw_calls_nest_and_plain_calls_after_them_note_nothing(client: Miraflow) -> None:
    outer = client.with_raw_response.videos.create(avatar="Margot", text="Hi", name="Hi")
    assert outer.http_response.request.url.path == "/api/video/create"
    assert client.videos.list() == []  # a plain call after a raw one still works, and captures nothing
    assert len(outer.responses) == 2
