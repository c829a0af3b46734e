"""Record the real API: a forwarding proxy that writes every exchange to a folder as it passes.

`miraflow-mock proxy UPSTREAM --record DIR` runs it behind Prism's validation proxy (the client talks to Prism, Prism
to the recorder, the recorder to UPSTREAM), so what is recorded is what the upstream really answered. Each exchange is
one JSON line; the lines about one job (its create, its status polls, its video's detail and download) go to
`DIR/job-<jobId>.jsonl`, the rest to `DIR/other.jsonl`.

Secrets never reach the files: API keys and other credentials in headers, signed-URL signatures in query strings and
in URLs inside bodies are replaced by `[redacted]`. Binary bodies (the MP4) are recorded by SHA-256 and size only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from starlette.requests import Request
from starlette.responses import Response

from miraflow.spec import lifecycle, load_spec

__all__ = ["REDACTED", "RecordingProxy", "redact_query", "redact_value"]

REDACTED = "[redacted]"
# Header names whose values are credentials (compared lowercased).
_SECRET_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization", "cookie", "set-cookie"})
# Query parameters that carry credentials or URL signatures (S3, GCS, Azure, CloudFront and our simulator's).
_SECRET_PARAMS = frozenset(
    {
        "signature",
        "sig",
        "token",
        "key",
        "api_key",
        "apikey",
        "x-api-key",
        "access_token",
        "x-amz-signature",
        "x-amz-credential",
        "x-amz-security-token",
        "x-goog-signature",
        "x-goog-credential",
        "awsaccesskeyid",
        "policy",
        "key-pair-id",
        "se",
        "sp",
        "sv",
        "skoid",
    }
)
# JSON fields whose values are secrets wherever they appear.
_SECRET_FIELDS = frozenset({"apikey", "api_key", "x-api-key", "key", "token", "secret", "password"})
# Hop-by-hop headers, and those the proxy sets itself.
_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"}
)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def redact_query(query: str) -> str:
    """A query string with credential and signature parameters' values replaced."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(name, REDACTED if name.lower() in _SECRET_PARAMS else value) for name, value in pairs])


def _redact_url(text: str) -> str:
    if "?" not in text or not text.startswith(("http://", "https://")):
        return text
    parts = urlsplit(text)
    return urlunsplit(parts._replace(query=redact_query(parts.query)))


def redact_value(value: Any) -> Any:
    """A JSON value with secret fields and URL signatures replaced, at any depth."""
    if isinstance(value, Mapping):
        return {
            key: REDACTED if str(key).lower() in _SECRET_FIELDS else redact_value(item) for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    if isinstance(value, str):
        return _redact_url(value)
    return value


def _headers(pairs: list[tuple[str, str]]) -> dict[str, str]:
    return {name: REDACTED if name.lower() in _SECRET_HEADERS else value for name, value in pairs}


def _body(content: bytes, content_type: str) -> Any:
    """How a body is recorded: parsed and redacted if JSON, else by hash and size."""
    if not content:
        return None
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        try:
            return {"json": redact_value(json.loads(content))}
        except (json.JSONDecodeError, UnicodeDecodeError):
            pass
    return {"sha256": hashlib.sha256(content).hexdigest(), "size": len(content), "contentType": media or None}


def _operations() -> list[tuple[str, re.Pattern[str], str]]:
    """(METHOD, compiled path pattern, operationId) for every operation of the spec, concrete paths first."""
    table = []
    for path, item in load_spec()["paths"].items():
        pattern = re.compile("^" + re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")
        for method, operation in item.items():
            if isinstance(operation, Mapping) and "operationId" in operation:
                table.append((method.upper(), pattern, str(operation["operationId"]), path.count("{")))
    table.sort(key=lambda row: row[3])
    return [(method, pattern, operation_id) for method, pattern, operation_id, _ in table]


class RecordingProxy:
    """An ASGI app forwarding every request to `upstream` (a server root) and recording each exchange in `directory`."""

    def __init__(self, upstream: str, directory: Path, *, timeout: float = 300.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self._operations = _operations()
        self._avatar_is_photo: dict[str, bool] = {}
        self._video_jobs: dict[str, str] = {}  # videoId → jobId, learnt from complete statuses
        self._jobs: set[str] = set()  # jobs created through the proxy or answered for: the others get no file

    async def aclose(self) -> None:
        """Close the upstream connections."""
        await self._client.aclose()

    def _operation(self, method: str, path: str) -> tuple[str | None, dict[str, str]]:
        for want, pattern, operation_id in self._operations:
            if want == method and (match := pattern.match(path)):
                return operation_id, match.groupdict()
        return None, {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Forward one request, answer with the upstream's response, and record the exchange."""
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        content = await request.body()
        headers = [(name, value) for name, value in request.headers.items() if name.lower() not in _HOP]
        headers = [(name, value) for name, value in headers if name.lower() != "accept-encoding"]
        headers.append(("accept-encoding", "identity"))  # record bodies as sent, not compressed
        query = scope.get("query_string", b"").decode("latin-1")
        url = self.upstream + scope["path"] + (f"?{query}" if query else "")
        started, clock = time.time(), time.perf_counter()
        try:
            upstream = await self._client.request(scope["method"], url, headers=headers, content=content)
        except httpx.HTTPError as exc:
            self._record(scope, request, content, query, started, clock, None, f"{type(exc).__name__}")
            reply = Response(
                json.dumps(
                    {"result": "failure", "error": f"recording proxy: upstream unreachable ({type(exc).__name__})"}
                ),
                status_code=502,
                media_type="application/json",
            )
            await reply(scope, receive, send)
            return
        # httpx hands over the body decoded: its Content-Encoding no longer applies.
        answer = [
            (name, value)
            for name, value in upstream.headers.multi_items()
            if name.lower() not in _HOP and name.lower() != "content-encoding"
        ]
        reply = Response(upstream.content, status_code=upstream.status_code)
        reply.raw_headers = [(b"content-length", str(len(upstream.content)).encode())] + [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in answer
        ]
        await self._note(scope, request, content, query, started, clock, upstream)
        await reply(scope, receive, send)

    async def _note(
        self,
        scope: Any,
        request: Request,
        content: bytes,
        query: str,
        started: float,
        clock: float,
        upstream: httpx.Response,
    ) -> None:
        # Learning a create's mode is best effort; the exchange itself is recorded whatever happens.
        with contextlib.suppress(httpx.HTTPError, ValueError, KeyError, TypeError):
            await self._learn(scope, request, content, upstream)
        self._record(scope, request, content, query, started, clock, upstream, None)

    async def _learn(self, scope: Any, request: Request, content: bytes, upstream: httpx.Response) -> None:
        """Keep what later records need: avatars' kinds (for a create's mode), a video's job."""
        operation_id, params = self._operation(scope["method"], scope["path"])
        if upstream.status_code != 200 or not upstream.headers.get("content-type", "").startswith("application/json"):
            return
        body = upstream.json()
        if operation_id == "listAvatars":
            self._avatar_is_photo.update({a["id"]: bool(a["isPhoto"]) for a in body.get("avatars", [])})
        elif operation_id == "getJobStatus" and isinstance(body.get("videoId"), str):
            self._video_jobs[body["videoId"]] = params["jobId"]
        elif operation_id == "createVideo" and isinstance(body.get("jobId"), str):
            sent = await _sent_fields(request, content)
            avatar_id = str(sent.get("avatarId", ""))
            if avatar_id not in self._avatar_is_photo:
                # Ask the upstream with the same key; this lookup is not recorded and costs no credits.
                key = request.headers.get("x-api-key", "")
                found = await self._client.get(self.upstream + "/api/avatars", headers={"x-api-key": key})
                if found.status_code == 200:
                    self._avatar_is_photo.update({a["id"]: bool(a["isPhoto"]) for a in found.json().get("avatars", [])})
            scope["miraflow.job"] = {"jobId": body["jobId"], "avatarId": avatar_id, "name": sent.get("name")}
            if avatar_id in self._avatar_is_photo:
                im2vid_full = sent.get("im2vid_full")
                if isinstance(im2vid_full, str):  # a form field
                    im2vid_full = im2vid_full.lower() == "true"
                mode = lifecycle().mode_for(is_photo=self._avatar_is_photo[avatar_id], im2vid_full=im2vid_full)
                scope["miraflow.job"]["mode"] = mode.name

    def _record(
        self,
        scope: Any,
        request: Request,
        content: bytes,
        query: str,
        started: float,
        clock: float,
        upstream: httpx.Response | None,
        error: str | None,
    ) -> None:
        operation_id, params = self._operation(scope["method"], scope["path"])
        record: dict[str, Any] = {
            "time": started,
            "latencyMs": round((time.perf_counter() - clock) * 1000, 3),
            "operationId": operation_id,
            "method": scope["method"],
            "path": scope["path"],
            "query": redact_query(query),
            "request": {
                "headers": _headers(list(request.headers.items())),
                "body": _body(content, request.headers.get("content-type", "")),
            },
        }
        if upstream is not None:
            record["response"] = {
                "status": upstream.status_code,
                "headers": _headers(list(upstream.headers.multi_items())),
                "body": _body(upstream.content, upstream.headers.get("content-type", "")),
            }
        else:
            record["error"] = error
        job = scope.get("miraflow.job")
        if job is not None:
            record["job"] = job
        job_id = (job or {}).get("jobId") or params.get("jobId") or self._video_jobs.get(params.get("videoId", ""))
        if job_id and job_id not in self._jobs:
            if upstream is None or upstream.status_code != 200:
                job_id = None  # an unknown id: not a job's life
            else:
                self._jobs.add(job_id)
        name = f"job-{job_id}.jsonl" if job_id and _SAFE_NAME.match(job_id) else "other.jsonl"
        with (self.directory / name).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


async def _sent_fields(request: Request, content: bytes) -> dict[str, Any]:
    """The fields of a create's body: JSON, or multipart form fields."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": content, "more_body": False}

        form = await Request(request.scope, replay).form()
        return {key: value for key, value in form.items() if isinstance(value, str)}
    parsed = json.loads(content)
    return parsed if isinstance(parsed, dict) else {}


async def _run(
    proxy: RecordingProxy,
    host: str,
    port: int,
    validate: bool,
    directory: Path,
    log_level: str,
    validate_request: bool,
) -> None:
    import uvicorn

    from miraflow_mock.prism import PrismProcess
    from miraflow_mock.simulator.server import bind, serve_in_task, start_prism_in_front

    sock = bind(host, 0 if validate else port)
    config = uvicorn.Config(proxy, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=3)
    server = uvicorn.Server(config)
    prism: PrismProcess | None = None
    try:
        task = await serve_in_task(server, sock)
        if task is None:
            return
        url = f"http://{host}:{sock.getsockname()[1]}"
        if validate:
            # Prism validates what the client sends and what the recorder passes back from the upstream.
            prism = PrismProcess(
                mode="proxy",
                host=host,
                port=port,
                upstream=url,
                errors=True,
                validate_request=validate_request,
                log_level=log_level,
            )
            url = await start_prism_in_front(prism, server, task)
        print(
            f"miraflow-mock proxy: ready at {url} (API root {url}/api), recording to {directory}"
            + ("" if validate else " (not validating)"),
            flush=True,
        )
        await task
    finally:
        if prism is not None:
            prism.stop()
        await proxy.aclose()
        sock.close()


def serve_recorder(
    upstream: str,
    directory: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 4010,
    validate: bool = True,
    log_level: str = "warn",
    validate_request: bool = True,
) -> int:
    """Run the recording proxy (behind Prism's validation proxy unless `validate` is false) until SIGINT/SIGTERM."""
    import asyncio

    proxy = RecordingProxy(upstream, directory)
    try:
        with asyncio.Runner() as runner:
            runner.run(_run(proxy, host, port, validate, directory, log_level, validate_request))
    except KeyboardInterrupt:
        pass
    return 0
