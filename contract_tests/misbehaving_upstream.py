"""A small loopback proxy in front of the simulator that breaks the contract in one named way: the live-like upstream
the blind-spot tests point the live run at (`test_blind_spots.py`). With no misbehaviour it forwards faithfully.

    with MisbehavingUpstream(simulator_api_root, "progress-goes-down") as upstream:
        ... MIRAFLOW_BASE_URL=upstream.api_root pytest contract_tests --target live ...
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
import uvicorn
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["MISBEHAVIOURS", "MisbehavingUpstream"]

# Each name breaks one promise the live run must catch within its default budget (or, where said, with the opt-in).
MISBEHAVIOURS: dict[str, str] = {
    "explicit-false-renders-full": "a photo avatar's explicit im2vid_full=false renders full background",
    "explicit-true-renders-cropped": "a photo avatar's explicit im2vid_full=true renders face-cropped",
    "video-avatar-true-errors": "a video avatar given im2vid_full=true is refused with a 400",
    "video-avatar-true-changes-output": "a video avatar given im2vid_full=true renders a photo avatar's face crop",
    "progress-goes-down": "every other status poll of a working job halves its progress",
    "terminal-state-changes": "a complete job reports inference_failed from its second complete poll on",
    "download-not-mp4": "the download endpoint answers 200 video/mp4 with bytes that are not an MP4",
    "download-other-video": "the download endpoint answers the first video downloaded, whatever the videoId",
    "status-outside-spec": "inference_working is reported as inference_rendering",
    "field-outside-spec": "status answers carry an undeclared `eta` field",
    "type-outside-spec": 'progress is a number (45), not a string ("45%")',
}
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


class MisbehavingUpstream:
    """The proxy, served by uvicorn in a background thread on a free loopback port."""

    def __init__(self, upstream_api_root: str, misbehaviour: str | None = None) -> None:
        if misbehaviour is not None and misbehaviour not in MISBEHAVIOURS:
            raise ValueError(f"unknown misbehaviour {misbehaviour!r}; known: {', '.join(MISBEHAVIOURS)}")
        self.upstream = upstream_api_root.rstrip("/")
        self.misbehaviour = misbehaviour
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._photo: dict[str, bool] = {}
        self._polls: dict[str, int] = {}
        self._complete_seen: set[str] = set()
        self._first_download: bytes | None = None
        self._client: httpx.AsyncClient | None = None  # one client, made in the server's event loop

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=120)
        return self._client

    @property
    def api_root(self) -> str:
        """The proxy's API root, for MIRAFLOW_BASE_URL."""
        return self.url + "/api"

    def __enter__(self) -> MisbehavingUpstream:
        config = uvicorn.Config(
            self._app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", interface="asgi3"
        )
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(target=server.run, daemon=True)
        self._thread.start()
        while not server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the misbehaving upstream did not start")
            threading.Event().wait(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)

    async def _app(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        response = await self._forward(request)
        await response(scope, receive, send)

    async def _forward(self, request: Request) -> Response:
        path = request.url.path.removeprefix("/api")
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS}
        key = request.headers.get("x-api-key", "")
        if request.method == "POST" and path == "/video/create" and body:
            early, body = await self._rewrite_create(body, key)
            if early is not None:
                return early
        answer = await self._http().request(
            request.method, f"{self.upstream}{path}", params=request.query_params, content=body, headers=headers
        )
        content = self._rewrite_answer(path, answer)
        out_headers = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_HEADERS}
        return Response(content, status_code=answer.status_code, headers=out_headers)

    async def _is_photo(self, avatar_id: str, key: str) -> bool | None:
        if not self._photo:
            listed = await self._http().get(f"{self.upstream}/avatars", headers={"x-api-key": key})
            self._photo = {a["id"]: bool(a["isPhoto"]) for a in listed.json().get("avatars", [])}
        return self._photo.get(avatar_id)

    async def _rewrite_create(self, raw: bytes, key: str) -> tuple[Response | None, bytes]:
        try:
            body = json.loads(raw)
        except ValueError:
            return None, raw
        if not isinstance(body, dict) or "im2vid_full" not in body:
            return None, raw
        photo = await self._is_photo(str(body.get("avatarId")), key)
        wanted, name = body["im2vid_full"], self.misbehaviour
        if photo and name == "explicit-false-renders-full" and wanted is False:
            body["im2vid_full"] = True
        elif photo and name == "explicit-true-renders-cropped" and wanted is True:
            body["im2vid_full"] = False
        elif photo is False and wanted is True and name == "video-avatar-true-errors":
            error = {"result": "failure", "error": "im2vid_full is only for photo avatars"}
            return Response(json.dumps(error), 400, media_type="application/json"), raw
        elif photo is False and wanted is True and name == "video-avatar-true-changes-output":
            body["avatarId"] = next(avatar for avatar, is_photo in self._photo.items() if is_photo)
            body["im2vid_full"] = False
        return None, json.dumps(body).encode()

    def _rewrite_answer(self, path: str, answer: httpx.Response) -> bytes:
        name, content = self.misbehaviour, answer.content
        if path.endswith("/download") and answer.status_code == 200:
            if name == "download-not-mp4":
                return content[::-1]
            if name == "download-other-video":
                self._first_download = self._first_download or content
                return self._first_download
            return content
        if not path.endswith("/status") or answer.status_code != 200:
            return content
        status = answer.json()
        job = path.split("/")[2]
        self._polls[job] = self._polls.get(job, 0) + 1
        state = status.get("status")
        if name == "progress-goes-down" and state == "inference_working" and self._polls[job] % 2 == 0:
            status["progress"] = f"{int(str(status.get('progress', '0%')).rstrip('%')) // 2}%"
        elif name == "terminal-state-changes" and state == "inference_complete":
            if job in self._complete_seen:
                status = {"result": "success", "status": "inference_failed"}
            self._complete_seen.add(job)
        elif name == "status-outside-spec" and state == "inference_working":
            status["status"] = "inference_rendering"
        elif name == "field-outside-spec":
            status["eta"] = 12
        elif name == "type-outside-spec" and "progress" in status:
            status["progress"] = int(str(status["progress"]).rstrip("%"))
        return json.dumps(status).encode()


def _main() -> None:  # pragma: no cover - a manual aid: python -m contract_tests.misbehaving_upstream ROOT NAME
    import sys

    with MisbehavingUpstream(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None) as upstream:
        print(f"misbehaving upstream: ready at {upstream.api_root}", flush=True)
        asyncio.run(asyncio.Event().wait())


if __name__ == "__main__":
    _main()
