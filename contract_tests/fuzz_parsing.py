"""Hypothesis over the simulator's request parsing: the requests schemathesis does not write.

JSON and multipart bodies with extra, missing, duplicated and wrongly typed fields; huge and deeply nested bodies;
odd encodings and content types; raw bytes; path parameters with slashes, dots, percent signs and unicode; methods no
operation declares; and the admin API's JSON bodies. Every answer must be below 500, and every 4xx must be the spec's
`Error` shape, JSON (the one exception: a request so broken that the HTTP server refuses it before the simulator sees
it, which uvicorn answers in plain text).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
import hypothesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st

from miraflow.spec import load_spec, max_request_body_bytes

__all__ = ["RawRequest", "parsing", "raw_requests"]

_METHODS = ("get", "put", "post", "delete", "patch")
_UVICORN_REFUSAL = b"Invalid HTTP request received."
_CONTENT_TYPES = (
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=utf-16",
    "application/JSON",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",  # without a boundary
    "multipart/form-data; boundary=",
    "multipart/mixed; boundary=x",
    "application/octet-stream",
    "",
    "ünïcode/type",
)
_ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1")


@dataclass(frozen=True)
class RawRequest:
    """One request, as bytes on the wire would carry it."""

    method: str
    path: str
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    operation_id: str | None  # the operation it is aimed at, if any
    kind: str  # which strategy made it

    def describe(self) -> str:
        """A short line for reports."""
        shown = self.body[:120] + (b"..." if len(self.body) > 120 else b"")
        return f"{self.kind}: {self.method} {self.path} {dict(self.headers)!r} body={shown!r} ({len(self.body)} bytes)"


def _operations() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(METHOD, path template, operationId, {media type: schema}) for every operation."""
    table = []
    for path, item in load_spec()["paths"].items():
        for method, operation in item.items():
            if method in _METHODS:
                content = operation.get("requestBody", {}).get("content", {})
                table.append((method.upper(), path, operation["operationId"], content))
    return table


def _fields(content: dict[str, Any]) -> list[str]:
    schemas = load_spec()["components"]["schemas"]
    names: list[str] = []
    for media in content.values():
        ref = media["schema"].get("$ref", "")
        names += list(schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}))
    return sorted(set(names))


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
_names = st.text(min_size=0, max_size=12) | st.sampled_from(["avatarId", "name", "text", "mediaId", "__proto__", ""])
_path_texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from(["/", ".", "%", "?", "#"]),
    min_size=0,
    max_size=40,
) | st.sampled_from(["..", ".", "../..", "%2F", "%00", "a/b", "ü", "😀", " ", "cm42ab3ou0008aggajj0jy5e2/../x"])


@st.composite
def _json_body(draw: st.DrawFn, fields: list[str]) -> tuple[bytes, str]:
    chosen = draw(st.lists(st.sampled_from(fields), unique=True)) if fields else []
    members = [(name, draw(_json_values | st.text(min_size=1, max_size=20))) for name in chosen]
    members += draw(st.lists(st.tuples(_names, _json_values), max_size=3))  # extra fields
    if members and draw(st.booleans()):
        members.append(draw(st.sampled_from(members)))  # a field given twice
    text = "{" + ",".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in members) + "}"
    if draw(st.integers(0, 9)) == 0:
        text = draw(st.sampled_from(["[", "{", "null", "[]", '"x"', "1e999", "{" * 3, text[: len(text) // 2]]))
    encoding = draw(st.sampled_from(_ENCODINGS))
    try:
        body = text.encode(encoding)
    except UnicodeEncodeError:
        body = text.encode("utf-8")
    content_type = draw(st.sampled_from(("application/json",) * 6 + _CONTENT_TYPES))
    return body, content_type


@st.composite
def _multipart_body(draw: st.DrawFn, fields: list[str]) -> tuple[bytes, str]:
    boundary = draw(st.sampled_from(["b0undary", "x" * 70, "with space", "ü", "--"]))
    chosen = draw(st.lists(st.sampled_from(fields), unique=True)) if fields else []
    parts = [(name, draw(st.text(max_size=30) | st.sampled_from(["true", "false", "", "ü" * 3]))) for name in chosen]
    parts += draw(st.lists(st.tuples(_names, st.text(max_size=10)), max_size=3))
    if parts and draw(st.booleans()):
        parts.append(draw(st.sampled_from(parts)))  # a field given twice
    chunks = []
    for name, value in parts:
        disposition = f'form-data; name="{name}"'
        if draw(st.integers(0, 7)) == 0:
            disposition += '; filename="a.wav"'  # a file where a field belongs
        chunks.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n{value}\r\n".encode())
    body = b"".join(chunks) + (f"--{boundary}--\r\n".encode() if draw(st.booleans()) or not chunks else b"")
    if draw(st.integers(0, 9)) == 0:
        body = body[: draw(st.integers(0, len(body)))]  # cut short
    header = draw(
        st.sampled_from(
            [f"multipart/form-data; boundary={boundary}"] * 5
            + [f'multipart/form-data; boundary="{boundary}"', "multipart/form-data", "multipart/form-data; boundary=z"]
        )
    )
    return body, header


@st.composite
def raw_requests(draw: st.DrawFn, limit: int) -> RawRequest:
    """Any of the hostile requests this module sends."""
    operations = _operations()
    method, template, operation_id, content = draw(st.sampled_from(operations))
    path = template
    for name in re.findall(r"\{(\w+)\}", template):
        value = draw(_path_texts | st.just("cm42ab3ou0008aggajj0jy5e2"))
        path = path.replace("{" + name + "}", quote(value, safe=draw(st.sampled_from(["", "/", "/.%"]))))
    kind = draw(
        st.sampled_from(["json", "json", "json", "multipart", "multipart", "raw", "deep", "huge", "method", "headers"])
    )
    fields = _fields(content)
    headers: list[tuple[bytes, bytes]] = [(b"x-api-key", b"sk-fuzz")]
    body = b""
    if kind == "json":
        body, content_type = draw(_json_body(fields))
        headers.append((b"content-type", content_type.encode()))
    elif kind == "multipart":
        body, content_type = draw(_multipart_body(fields))
        headers.append((b"content-type", content_type.encode()))
    elif kind == "raw":
        body = draw(st.binary(max_size=300))
        headers.append((b"content-type", draw(st.sampled_from(_CONTENT_TYPES)).encode("utf-8")))
    elif kind == "deep":
        depth = draw(st.integers(1, 200_000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        inner = (opener * depth + "1" + closer * depth).encode()
        body = inner if opener == "[" else b'{"avatarId": "x", "name": "n", "text": "t", "deep": ' + inner + b"}"
        headers.append((b"content-type", b"application/json"))
    elif kind == "huge":
        size = draw(st.sampled_from([limit - 100, limit + 1, limit * 2, limit * 30]))
        body = b'{"avatarId": "x", "name": "n", "text": "' + b"a" * max(0, size - 45) + b'"}'
        headers.append((b"content-type", b"application/json"))
    elif kind == "method":
        method = draw(st.sampled_from(["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"]))
        operation_id = None
    else:  # headers: odd keys, duplicated and long headers
        key = draw(st.binary(max_size=40).map(lambda raw: bytes(c for c in raw if c not in b"\r\n\0")))
        headers = [(b"x-api-key", key)]
        if draw(st.booleans()):
            headers.append((b"x-api-key", b"sk-fuzz"))
        headers.append((b"x-padding", b"p" * draw(st.sampled_from([10, 8_000, 60_000]))))
    return RawRequest(method, path, tuple(headers), body, operation_id, kind)


def check(request: RawRequest, response: httpx.Response, limit: int) -> str | None:
    """What is wrong with the answer to `request`, or None."""
    status = response.status_code
    if status >= 500:
        return f"a {status}"
    if status == 413 and len(request.body) <= limit:
        return f"a 413 for a body of {len(request.body)} bytes, within the limit of {limit}"
    if len(request.body) > limit and status != 413:
        return f"a {status} for a body of {len(request.body)} bytes, over the limit of {limit}"
    if status >= 400 and request.method != "HEAD":
        if response.content == _UVICORN_REFUSAL or (status == 431 and not response.content):
            return None  # refused by the HTTP server before the simulator saw it
        if response.headers.get("content-type") != "application/json":
            return f"a {status} that is not JSON ({response.headers.get('content-type')}): {response.content[:80]!r}"
        body = response.json()
        if not (isinstance(body, dict) and body.get("result") == "failure" and isinstance(body.get("error"), str)):
            return f"a {status} whose body is not the Error shape: {body!r}"
    return None


def _admin_requests() -> st.SearchStrategy[tuple[str, str, bytes]]:
    paths = st.sampled_from(
        [
            ("POST", "/requests/count"),
            ("POST", "/tenants"),
            ("POST", "/clock/advance"),
            ("POST", "/faults"),
            ("GET", "/requests"),
            ("GET", "/jobs"),
            ("GET", "/errors"),
            ("DELETE", "/faults"),
            ("PUT", "/jobs"),
            ("GET", "/nothing-here"),
        ]
    )
    bodies = _json_values.map(lambda value: json.dumps(value).encode()) | st.binary(max_size=50)
    bodies |= st.fixed_dictionaries(
        {},
        optional={
            "operationId": st.sampled_from(["getJobStatus", "nope", ""]) | _json_values,
            "method": _json_values | st.sampled_from(["GET", "get"]),
            "path": _json_values | st.just("/api/avatars"),
            "count": _json_values,
            "status": _json_values | st.sampled_from([200, 429, 500, 99, 600]),
            "latency": _json_values,
            "drop": _json_values | st.sampled_from(["before", "after"]),
            "truncate": _json_values,
            "retryAfter": _json_values,
            "key": _json_values,
            "credits": _json_values,
            "seconds": _json_values | st.just(1e308),
            "urlPath": _json_values,
        },
    ).map(lambda value: json.dumps(value).encode())
    return st.tuples(paths, bodies).map(lambda pair: (pair[0][0], pair[0][1], pair[1]))


def parsing(api_root: str, admin_url: str, key: str, report: Any, cases: int) -> None:
    """Send about `cases` hostile requests (a tenth of them to the admin API), checking every answer."""
    limit = max_request_body_bytes()
    root = api_root.removesuffix("/api")
    settings = hypothesis.settings(
        max_examples=max(1, cases - cases // 10),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )
    with httpx.Client(base_url=root, timeout=60) as http:

        def send(request: RawRequest) -> httpx.Response:
            url = httpx.URL(root).copy_with(raw_path=request.path.encode("ascii"))  # as is: no dot-segment cleanup
            built = http.build_request(request.method, url, headers=list(request.headers), content=request.body)
            return http.send(built)

        @settings
        @hypothesis.given(request=raw_requests(limit))
        def api(request: RawRequest) -> None:
            try:
                response = send(request)
            except httpx.LocalProtocolError:
                hypothesis.reject()  # httpx would not send it (a header value h11 refuses): nothing to learn
            except httpx.TransportError as exc:
                report.fail("parsing: no answer", f"{type(exc).__name__}: {exc}\n    {request.describe()}")
                return
            report.record("parsing", request.operation_id, response.status_code, request.describe)
            if problem := check(request, response, limit):
                report.fail(
                    f"parsing ({request.kind}): {problem.split(':')[0]}", f"{problem}\n    {request.describe()}"
                )

        api()

        @hypothesis.settings(settings, max_examples=max(1, cases // 10))
        @hypothesis.given(request=_admin_requests())
        def admin(request: tuple[str, str, bytes]) -> None:
            method, path, body = request
            response = http.request(method, f"{admin_url}/__admin{path}", content=body)
            report.record("admin", None, response.status_code, lambda: f"{method} /__admin{path} {body[:80]!r}")
            if path == "/faults" and method == "POST" and response.status_code == 200:
                http.delete(f"{admin_url}/__admin/faults")  # a fault would break the next request on purpose
            dummy = RawRequest(method, path, (), body, None, "admin")
            if problem := check(dummy, response, limit):
                report.fail(f"admin {method} {path}: {problem.split(':')[0]}", f"{problem}\n    {dummy.describe()}")

        admin()
