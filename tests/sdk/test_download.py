"""Downloads: streamed to a temporary file beside the destination, verified, fsynced, renamed atomically; retried
when cut short; named after the video safely, never overwriting."""

from __future__ import annotations

import os
import string
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from miraflow import APIConnectionError, DownloadError, IncompleteBodyError, Miraflow
from miraflow._download import WRITEBACK_EVERY, safe_filename

from .conftest import PHOTO_ID, FakeAPI, json_response

VIDEO = "vid-1"
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40
DOWNLOAD = ("GET", f"/api/video/{VIDEO}/download")


def _mp4(body: bytes = MP4, *, length: int | None = None, content_type: str = "video/mp4") -> httpx.Response:
    headers = {"content-type": content_type, "content-length": str(len(body) if length is None else length)}
    return httpx.Response(200, headers=headers, content=body)


class _BreaksAfter(httpx.SyncByteStream):
    def __init__(self, body: bytes) -> None:
        self.body = body

    def __iter__(self) -> Iterator[bytes]:
        yield self.body
        raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


class _Chunks(httpx.SyncByteStream):
    def __init__(self, body: bytes, size: int) -> None:
        self.body, self.size = body, size

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.body), self.size):
            yield self.body[start : start + self.size]


def _broken() -> httpx.Response:
    headers = {"content-type": "video/mp4", "content-length": str(len(MP4))}
    return httpx.Response(200, headers=headers, stream=_BreaksAfter(MP4[:1000]))


def _detail(name: str) -> httpx.Response:
    return json_response(
        200,
        {
            "id": VIDEO,
            "name": name,
            "createdAt": "2025-08-21T10:15:00.000Z",
            "downloadUrl": f"https://cdn.test/{VIDEO}.mp4?expires=1&signature=abc",
        },
    )


def _leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".part"))


def test_download_to_a_folder_is_named_after_the_video(client: Miraflow, api: FakeAPI, tmp_path: Path) -> None:
    api.on("GET", f"/api/video/{VIDEO}", _detail("Quick / Product: Demo"))
    api.on(*DOWNLOAD, _mp4())
    path = client.videos.download(VIDEO, tmp_path)
    assert path == tmp_path / "Quick _ Product_ Demo.mp4"
    assert path.read_bytes() == MP4
    assert _leftovers(tmp_path) == []


def test_collisions_get_a_suffix_and_never_overwrite(client: Miraflow, api: FakeAPI, tmp_path: Path) -> None:
    api.on("GET", f"/api/video/{VIDEO}", _detail("Demo"))
    api.on(*DOWNLOAD, _mp4())
    (tmp_path / "Demo.mp4").write_bytes(b"mine")
    first = client.videos.download(VIDEO, tmp_path)
    second = client.videos.download(VIDEO, str(tmp_path) + os.sep)
    assert (first.name, second.name) == ("Demo (1).mp4", "Demo (2).mp4")
    assert (tmp_path / "Demo.mp4").read_bytes() == b"mine"
    assert first.read_bytes() == second.read_bytes() == MP4


def test_download_to_a_file_path_replaces_it(client: Miraflow, api: FakeAPI, tmp_path: Path) -> None:
    api.on(*DOWNLOAD, _mp4())
    target = tmp_path / "out.mp4"
    target.write_bytes(b"old")
    assert client.videos.download(VIDEO, target) == target
    assert target.read_bytes() == MP4
    assert not api.sent("GET", f"/api/video/{VIDEO}")  # the name was given: no metadata request


def test_a_missing_folder_ending_in_a_separator_is_created(client: Miraflow, api: FakeAPI, tmp_path: Path) -> None:
    api.on("GET", f"/api/video/{VIDEO}", _detail("Demo"))
    api.on(*DOWNLOAD, _mp4())
    path = client.videos.download(VIDEO, f"{tmp_path}/new/folder/")
    assert path == tmp_path / "new" / "folder" / "Demo.mp4"


def test_a_file_in_a_missing_folder_is_refused_before_downloading(
    client: Miraflow, api: FakeAPI, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        client.videos.download(VIDEO, tmp_path / "nope" / "out.mp4")
    assert not api.requests


def test_the_file_is_fsynced_before_the_rename(
    client: Miraflow, api: FakeAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.on(*DOWNLOAD, _mp4())
    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync")
        real_fsync(fd)

    def replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        events.append(f"replace {Path(source).name.endswith('.part')} -> {Path(target).name}")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    client.videos.download(VIDEO, tmp_path / "out.mp4")
    assert events[:2] == ["fsync", "replace True -> out.mp4"]


def test_a_large_body_is_handed_to_the_disk_while_it_streams(
    client: Miraflow, api: FakeAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = os.urandom(5 * WRITEBACK_EVERY // 2)
    headers = {"content-type": "video/mp4", "content-length": str(len(body))}
    api.on(*DOWNLOAD, httpx.Response(200, headers=headers, stream=_Chunks(body, 64 * 1024)))
    advised: list[tuple[int, int]] = []
    monkeypatch.setattr(os, "posix_fadvise", lambda fd, offset, length, advice: advised.append((offset, length)))
    assert client.videos.download(VIDEO, tmp_path / "big.mp4").read_bytes() == body
    assert advised == [(0, WRITEBACK_EVERY), (WRITEBACK_EVERY, WRITEBACK_EVERY)]  # the tail is left to the fsync


@pytest.mark.parametrize("content_type", ["application/octet-stream", "text/html", ""])
def test_a_wrong_content_type_is_refused_and_leaves_nothing(
    client: Miraflow, api: FakeAPI, tmp_path: Path, content_type: str
) -> None:
    api.on(*DOWNLOAD, _mp4(content_type=content_type))
    with pytest.raises(DownloadError, match="content type"):
        client.videos.download(VIDEO, tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []
    assert len(api.sent(*DOWNLOAD)) == 1  # not a transient failure: not retried


def test_a_content_type_with_parameters_is_accepted(client: Miraflow, api: FakeAPI, tmp_path: Path) -> None:
    api.on(*DOWNLOAD, _mp4(content_type="video/MP4; codecs=avc1"))
    assert client.videos.download(VIDEO, tmp_path / "a.mp4").read_bytes() == MP4


def test_a_body_shorter_than_its_content_length_is_retried(client: Miraflow, api: FakeAPI, tmp_path: Path) -> None:
    api.on(*DOWNLOAD, _mp4(MP4[:100], length=len(MP4)), _broken(), _mp4())
    path = client.videos.download(VIDEO, tmp_path / "out.mp4")
    assert path.read_bytes() == MP4
    assert len(api.sent(*DOWNLOAD)) == 3
    assert _leftovers(tmp_path) == []


def test_a_body_that_stays_short_fails_and_leaves_nothing(client: Miraflow, api: FakeAPI, tmp_path: Path) -> None:
    api.on(*DOWNLOAD, _mp4(MP4[:100], length=len(MP4)))
    with pytest.raises(IncompleteBodyError) as caught:
        client.videos.download(VIDEO, tmp_path / "out.mp4")
    assert (caught.value.expected, caught.value.received) == (len(MP4), 100)
    assert list(tmp_path.iterdir()) == []
    assert len(api.sent(*DOWNLOAD)) == 3


def test_a_connection_that_keeps_breaking_fails_and_leaves_nothing(
    client: Miraflow, api: FakeAPI, tmp_path: Path
) -> None:
    target = tmp_path / "out.mp4"
    target.write_bytes(b"previous")
    api.on(*DOWNLOAD, lambda request: _broken())
    with pytest.raises(APIConnectionError):
        client.videos.download(VIDEO, target)
    assert target.read_bytes() == b"previous"  # the old file stands; no partial file replaced it
    assert _leftovers(tmp_path) == []
    assert len(api.sent(*DOWNLOAD)) == 3


def test_generate_checks_the_destination_before_spending_credits(
    client: Miraflow, api: FakeAPI, tmp_path: Path
) -> None:
    with pytest.raises(FileNotFoundError):
        client.videos.generate(avatar=PHOTO_ID, text="Hi", name="Hi", dest=tmp_path / "missing" / "x.mp4")
    assert not api.sent("POST", "/api/video/create")


def test_generate_creates_waits_and_downloads(client: Miraflow, api: FakeAPI, tmp_path: Path) -> None:
    api.on("POST", "/api/video/create", json_response(200, {"result": "success", "jobId": "job-7"}))
    api.on(
        "GET",
        "/api/video/job-7/status",
        json_response(200, {"result": "success", "status": "inference_working", "progress": "50%"}),
        json_response(200, {"result": "success", "status": "inference_complete", "videoId": VIDEO}),
    )
    api.on(*DOWNLOAD, _mp4())
    path = client.videos.generate(avatar="Margot", text="Hi", name="My first video", dest=tmp_path)
    assert path == tmp_path / "My first video.mp4" and path.read_bytes() == MP4
    assert not api.sent("GET", f"/api/video/{VIDEO}")  # named after the create's name: no metadata request


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Quick Product Demo", "Quick Product Demo.mp4"),
        ("../../etc/passwd", "_._etc_passwd.mp4"),
        ("..", "video-vid-1.mp4"),
        ("a\\b/c", "a_b_c.mp4"),
        ("line\nbreak\ttab\x00nul", "line break tab nul.mp4"),
        ("evil\u202egnp.exe", "evil gnp.exe.mp4"),
        ("  .hidden. ", "hidden.mp4"),
        ("clip.MP4", "clip.mp4"),
        ("CON", "_CON.mp4"),
        ("", "video-vid-1.mp4"),
        ('what? <a|b> "c":*', "what_ _a_b_ _c___.mp4"),
        ("Café ☕", "Café ☕.mp4"),
    ],
)
def test_safe_filename(name: str, expected: str) -> None:
    assert safe_filename(name, fallback=f"video-{VIDEO}") == expected


def test_a_long_name_is_cut_to_fit() -> None:
    name = safe_filename("é" * 500)
    assert len(name.encode()) <= 204 and name.endswith(".mp4")


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_any_name_makes_one_safe_path_component(name: str) -> None:
    result = safe_filename(name, fallback="video-x")
    stem = result.removesuffix(".mp4")
    assert result.endswith(".mp4") and stem
    assert "/" not in result and "\\" not in result and ".." not in result
    assert not result.startswith(".") and Path(result).name == result
    assert all(char.isprintable() or char == " " for char in result)
    assert len(result.encode()) <= 255
    assert not set(result) & set('<>:"|?*') - set(string.ascii_letters)
