"""Every response the live run sees is checked against the spec: a status, a field or a type the spec does not
declare fails the check that sent it, and is a row of the drift report.

Installed as an httpx response hook on the target's clients (`Target.http()`, `Target.client()`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from jsonschema import Draft202012Validator, FormatChecker

from contract_tests.drift import DriftRecorder, evidence_of
from miraflow.spec import lifecycle, load_spec

__all__ = ["response_checker", "undeclared_fields"]

_METHODS = ("get", "put", "post", "delete", "patch")


@functools.cache
def _operations() -> list[tuple[str, re.Pattern[str], str, Mapping[str, Any]]]:
    """(METHOD, pattern matching the end of a URL path, operationId, operation) for every operation."""
    table = []
    for path, item in load_spec()["paths"].items():
        pattern = re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")
        for method, operation in item.items():
            if method in _METHODS:
                table.append((method.upper(), pattern, operation["operationId"], operation))
    table.sort(key=lambda row: row[1].pattern.count("[^/]+"))  # concrete paths first: /video/create is no videoId
    return table


def _operation(method: str, path: str) -> tuple[str, Mapping[str, Any]] | None:
    for verb, pattern, operation_id, operation in _operations():
        if verb == method and pattern.search(path):
            return operation_id, operation
    return None


def _resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = load_spec()
    while "$ref" in node:
        parts = str(node["$ref"]).lstrip("#/").split("/")
        target: Any = spec
        for part in parts:
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


@functools.cache
def _validator(operation_id: str, status: str, media_type: str) -> Draft202012Validator | None:
    for _, _, op_id, operation in _operations():
        if op_id == operation_id:
            response = _resolve(operation["responses"][status])
            schema = response.get("content", {}).get(media_type, {}).get("schema")
            if schema is None:
                return None
            root = {**schema, "components": load_spec()["components"]}
            return Draft202012Validator(root, format_checker=FormatChecker())
    return None


def undeclared_fields(schema: Mapping[str, Any], value: Any, where: str = "") -> list[str]:
    """The fields of `value` that `schema` does not declare (dotted paths), looking into the variant that matches."""
    schema = _resolve(schema)
    for combinator in ("oneOf", "anyOf"):
        if combinator in schema:
            components = load_spec()["components"]
            for option in schema[combinator]:
                if Draft202012Validator({**_resolve(option), "components": components}).is_valid(value):
                    return undeclared_fields(option, value, where)
            return []
    found: list[str] = []
    if isinstance(value, dict) and "properties" in schema and "additionalProperties" not in schema:
        properties = schema["properties"]
        for key, item in value.items():
            path = f"{where}.{key}" if where else key
            if key not in properties:
                found.append(path)
            else:
                found += undeclared_fields(properties[key], item, path)
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += undeclared_fields(schema["items"], item, f"{where}[{index}]")
    return found


def check_response(response: httpx.Response, drift: DriftRecorder) -> None:
    """Check one API response against the spec; record the verdict; raise when it is outside the spec."""
    request = response.request
    found = _operation(request.method, request.url.path)
    if found is None:
        return  # not an API operation (a signed file URL, say)
    operation_id, operation = found
    response.read()
    status = str(response.status_code)
    evidence = evidence_of(response)
    drift.seen.append(evidence)
    declared = operation["responses"]
    if status not in declared:
        raise drift.refute(
            "responses-inside-the-spec",
            evidence,
            f"{operation_id} may answer {status} (declare it, with its body)",
        )
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    media = _resolve(declared[status]).get("content", {})
    if media and content_type not in media:
        raise drift.refute(
            "responses-inside-the-spec",
            evidence,
            f"{operation_id} {status} answers {content_type or 'no content type'}, not {', '.join(media)}",
        )
    if content_type != "application/json":
        drift.confirm("responses-inside-the-spec", evidence)
        return
    try:
        body = response.json()
    except ValueError:
        raise drift.refute("responses-inside-the-spec", evidence, f"{operation_id} {status} answers JSON") from None
    if operation_id == "getJobStatus" and status == "200" and isinstance(body, dict):
        known = lifecycle().states
        drift.check(
            "job-status-enum",
            body.get("status") in known,
            evidence,
            f"a status among {', '.join(known)}, not {body.get('status')!r}",
        )
    validator = _validator(operation_id, status, content_type)
    if validator is not None:
        errors = sorted(validator.iter_errors(body), key=lambda error: list(error.absolute_path))
        if errors:
            error = errors[0]
            at = ".".join(str(part) for part in error.absolute_path) or "the body"
            raise drift.refute(
                "responses-inside-the-spec", evidence, f"{operation_id} {status}: {at} as sent ({error.message})"
            )
        extra = undeclared_fields(media[content_type]["schema"], body)
        if extra:
            raise drift.refute(
                "responses-inside-the-spec",
                evidence,
                f"{operation_id} {status} carries {', '.join(extra)}: declare {'them' if len(extra) > 1 else 'it'}",
            )
    drift.confirm("responses-inside-the-spec", evidence)


def response_checker(drift: DriftRecorder) -> Callable[[httpx.Response], None]:
    """An httpx response hook that checks every API response against the spec."""

    def hook(response: httpx.Response) -> None:
        check_response(response, drift)

    return hook
