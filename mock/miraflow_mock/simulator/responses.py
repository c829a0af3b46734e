"""HTTP handlers of the public API: parse and validate the request, call the backend, serialise the answer.

No state and no business rules here (those are the backend's); validation comes from the spec's own schemas.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, Response

from miraflow.spec import business_errors
from miraflow_mock.simulator.backend import ApiError, Backend, Tenant
from miraflow_mock.simulator.jobs import JobView
from miraflow_mock.simulator.jsonbody import parse_json
from miraflow_mock.simulator.validation import RequestValidator

__all__ = ["Api", "Handler", "JsonReply", "error_response"]

_JSON = "application/json"
_MULTIPART = "multipart/form-data"
_MAX_UPLOAD = 100 * 1024 * 1024

Handler = Callable[[Request], Awaitable[Response]]

_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
_CONTENT_TYPE_JSON = (b"content-type", b"application/json")


class JsonReply(Response):
    """A JSON response, as Starlette's JSONResponse renders it, made with less work per request.

    `content` is a JSON value, or bytes already encoded (the catalog's fixed bodies). One encoder serves every
    request, and the headers are built directly as ASGI wants them.
    """

    media_type = _JSON

    def __init__(self, content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> None:
        body = content if isinstance(content, bytes) else _json_bytes(content)
        self.status_code = status_code
        self.background = None
        self.body = body
        self.raw_headers = [(b"content-length", str(len(body)).encode()), _CONTENT_TYPE_JSON]
        if headers:
            self.raw_headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JsonReply:
    """The API's error shape."""
    return JsonReply({"result": "failure", "error": message}, status, headers)


class Api:
    """The public API's handlers, bound to one backend. `handlers()` maps each operationId to its handler."""

    def __init__(self, backend: Backend, validator: RequestValidator) -> None:
        self.backend = backend
        self.validator = validator
        self._status_bodies: dict[JobView, bytes] = {}

    def handlers(self) -> dict[str, Handler]:
        """OperationId → handler, for every operation of the spec."""
        return {
            "listAvatars": self._guard(self.list_avatars),
            "listVoices": self._guard(self.list_voices),
            "listVideos": self._guard(self.list_videos),
            "createVideo": self._guard(self.create_video),
            "getJobStatus": self._guard(self.get_job_status),
            "getVideo": self._guard(self.get_video),
            "downloadVideo": self._guard(self.download_video),
            "initializeMedia": self._guard(self.initialize_media),
            "finalizeMedia": self._guard(self.finalize_media),
        }

    def _guard(self, handler: Callable[[Request, Tenant], Awaitable[Response]]) -> Handler:
        async def guarded(request: Request) -> Response:
            try:
                tenant = self.backend.authenticate(_api_key(request.scope))
                request.scope["miraflow.tenant"] = tenant.name
                return await handler(request, tenant)
            except ApiError as exc:
                return error_response(exc.status, exc.message)

        return guarded

    async def _body(self, request: Request, operation_id: str) -> dict[str, Any]:
        """The request body, parsed by its media type and validated against the spec; 400 otherwise."""
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        accepted = self.validator.media_types(operation_id)
        if media_type not in accepted:
            raise ApiError(400, f"Content-Type must be {' or '.join(accepted)}")
        body: Any
        if media_type == _MULTIPART:
            try:
                form = await request.form()
            except (ApiError, ClientDisconnect):
                raise  # a body over the size limit (413), or a client that went away: not a malformed body
            except Exception:  # python-multipart raises several unrelated types for a broken body
                raise ApiError(400, "malformed multipart body") from None
            body = {}
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    raise ApiError(400, f"{key} must be a form field, not a file")
                # A repeated part is an array, as OpenAPI encodes one in a form: the schema then says if one fits.
                body[key] = (
                    [*previous, value]
                    if isinstance(previous := body.get(key), list)
                    else ([previous, value] if key in body else value)
                )
        else:
            try:
                body = parse_json(await request.body())
            except ValueError as exc:
                raise ApiError(400, str(exc)) from None
        request.scope["miraflow.body"] = body
        if problem := self.validator.check(operation_id, media_type, body):
            raise ApiError(400, problem)
        assert isinstance(body, dict)
        return body

    async def list_avatars(self, request: Request, tenant: Tenant) -> Response:
        """`GET /api/avatars`."""
        # The catalog serialises each tenant's list once, until it changes (--catalog, POST /__admin/avatars).
        return JsonReply(self.backend.catalog.bodies(tenant.key, _json_bytes)[0])

    async def list_voices(self, request: Request, tenant: Tenant) -> Response:
        """`GET /api/voices`."""
        return JsonReply(self.backend.catalog.bodies(tenant.key, _json_bytes)[1])

    async def list_videos(self, request: Request, tenant: Tenant) -> Response:
        """`GET /api/videos`: the tenant's completed videos."""
        videos = self.backend.completed_videos(tenant)
        return JsonReply({"videos": [self.backend.video_json(job) for job in videos]})

    async def create_video(self, request: Request, tenant: Tenant) -> Response:
        """`POST /api/video/create`, JSON (a script) or multipart (an uploaded audio's mediaId).

        A business failure of a well-formed create is answered where `--business-errors` says: a 200 with the error
        body, or its 4xx status.
        """
        body = await self._body(request, "createVideo")
        try:
            return await self._create_video(tenant, body)
        except ApiError as exc:
            if self.backend.config.business_errors == "2xx" and business_errors().status_for(exc.message):
                return error_response(200, exc.message)
            raise

    async def _create_video(self, tenant: Tenant, body: dict[str, Any]) -> Response:
        if "mediaId" in body:  # the spec refuses a body with both text and mediaId
            job = self.backend.create_video_from_audio(
                tenant,
                avatar_id=body["avatarId"],
                name=body["name"],
                media_id=body["mediaId"],
                im2vid_full=_form_boolean(body, "im2vid_full"),
            )
        else:
            if "text" not in body:
                raise ApiError(400, "text is required")
            job = self.backend.create_video(
                tenant,
                avatar_id=body["avatarId"],
                name=body["name"],
                text=body["text"],
                voice_id=body.get("voiceId"),
                im2vid_full=body.get("im2vid_full"),
            )
        return JsonReply({"result": "success", "jobId": job.id})

    async def get_job_status(self, request: Request, tenant: Tenant) -> Response:
        """`GET /api/video/{jobId}/status`."""
        seen, video_id = self.backend.status(tenant, request.path_params["jobId"])
        if video_id is not None:
            return JsonReply(_status_json(seen, video_id))
        if seen.state in self.backend.lifecycle.failure_states:
            message = self.backend.jobs[request.path_params["jobId"]].message
            if message is not None:  # a scenario's failure message: Error's `error` field, beside the status
                return JsonReply({**_status_json(seen, None), "error": message})
        # Without a videoId the body depends on (state, progress) alone: a hundred-odd bodies, each encoded once.
        body = self._status_bodies.get(seen)
        if body is None:
            body = self._status_bodies[seen] = _json_bytes(_status_json(seen, None))
        return JsonReply(body)

    async def get_video(self, request: Request, tenant: Tenant) -> Response:
        """`GET /api/video/{videoId}`: metadata and a signed, expiring download URL."""
        job = self.backend.completed_video(tenant, request.path_params["videoId"])
        path = f"/__files/videos/{job.video_id}.mp4"
        body = self.backend.video_json(job)
        body["downloadUrl"] = f"{_root(request)}{path}?{self.backend.signed_query(path)}"
        return JsonReply(body)

    async def download_video(self, request: Request, tenant: Tenant) -> Response:
        """`GET /api/video/{videoId}/download`: the MP4, with Content-Length."""
        job = self.backend.completed_video(tenant, request.path_params["videoId"])
        return await self.video_file(job.video_id)

    async def video_file(self, video_id: str) -> Response:
        """A completed video's file, rendered on first use in a worker thread."""
        job = self.backend.videos[video_id]
        path = await run_in_threadpool(self.backend.video_path, job)
        media_type = "application/octet-stream" if self.backend.config.has_bug("wrong-download-type") else "video/mp4"
        return FileResponse(path, media_type=media_type, filename=f"{job.video_id}.mp4")

    async def initialize_media(self, request: Request, tenant: Tenant) -> Response:
        """`POST /api/media/initialize`: reserve an upload and hand out its signed PUT URL."""
        body = await self._body(request, "initializeMedia")
        upload = self.backend.initialize_upload(
            tenant, file_name=body["fileName"], content_type=body["contentType"], file_size=body["fileSize"]
        )
        path = f"/__files/uploads/{upload.id}"
        return JsonReply(
            {"mediaId": upload.id, "uploadUrl": f"{_root(request)}{path}?{self.backend.signed_query(path)}"}
        )

    async def finalize_media(self, request: Request, tenant: Tenant) -> Response:
        """`POST /api/media/finalize`."""
        body = await self._body(request, "finalizeMedia")
        await run_in_threadpool(self.backend.finalize_upload, tenant, body["mediaId"])
        return JsonReply({"success": True})

    # --- signed file URLs (not part of the API: they stand for the storage service behind it) ---------------------

    async def signed_video(self, request: Request) -> Response:
        """`GET /__files/videos/{videoId}.mp4?expires=...&signature=...`."""
        try:
            self.backend.check_signature(request.url.path, *_signature(request))
            video_id = request.path_params["videoId"]
            if video_id not in self.backend.videos:
                raise ApiError(404, "Video not found")
            return await self.video_file(video_id)
        except ApiError as exc:
            return error_response(exc.status, exc.message)

    async def signed_upload(self, request: Request) -> Response:
        """`PUT /__files/uploads/{mediaId}?expires=...&signature=...`: the upload's bytes."""
        try:
            self.backend.check_signature(request.url.path, *_signature(request))
            data = bytearray()
            async for chunk in request.stream():
                data += chunk
                if len(data) > _MAX_UPLOAD:
                    raise ApiError(413, "upload too large")
            self.backend.receive_upload(request.path_params["mediaId"], bytes(data))
            return Response(status_code=200)
        except ApiError as exc:
            return error_response(exc.status, exc.message)


def _status_json(seen: JobView, video_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"result": "success", "status": seen.state}
    if seen.progress is not None:
        body["progress"] = f"{seen.progress}%"
    if video_id is not None:
        body["videoId"] = video_id
    return body


def _form_boolean(body: dict[str, Any], name: str) -> bool | None:
    """A boolean field of a multipart body: a form field is text, so "true" or "false"; None when absent."""
    value = body.get(name)
    if value is None:
        return None
    if value in ("true", "false"):
        return str(value) == "true"
    raise ApiError(400, f"{name} must be true or false")


def _json_bytes(value: Any) -> bytes:
    return _encode(value).encode()


def _api_key(scope: Any) -> str | None:
    """The x-api-key header, read straight from the ASGI scope (names arrive lowercased)."""
    for name, value in scope["headers"]:
        if name == b"x-api-key":
            return str(value.decode("latin-1"))
    return None


def _root(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _signature(request: Request) -> tuple[str | None, str | None]:
    return request.query_params.get("expires"), request.query_params.get("signature")
