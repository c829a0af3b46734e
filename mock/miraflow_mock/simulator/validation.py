"""Request validation compiled from openapi.yaml's own request schemas: the contract is the only rulebook."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from miraflow.spec import load_spec

__all__ = ["RequestValidator"]

_SPEC_URI = "urn:miraflow:openapi"


class RequestValidator:
    """Validates request bodies against the schemas the spec gives each operation and media type."""

    def __init__(self, document: Mapping[str, Any] | None = None) -> None:
        document = document or load_spec()
        registry: Registry[Any] = Registry().with_resource(
            _SPEC_URI, Resource.from_contents(dict(document), default_specification=DRAFT202012)
        )
        self._validators: dict[tuple[str, str], Draft202012Validator] = {}
        for path, item in document["paths"].items():
            for method, operation in item.items():
                body = operation.get("requestBody", {}).get("content", {})
                for media_type, content in body.items():
                    pointer = _pointer(content["schema"], path, method, media_type)
                    self._validators[(operation["operationId"], media_type)] = Draft202012Validator(
                        {"$ref": f"{_SPEC_URI}#{pointer}"}, registry=registry
                    )

    def media_types(self, operation_id: str) -> list[str]:
        """The media types the spec accepts for an operation's body."""
        return [media for (operation, media) in self._validators if operation == operation_id]

    def check(self, operation_id: str, media_type: str, body: Any) -> str | None:
        """A one-line description of what is wrong with `body`, or None if the spec accepts it."""
        validator = self._validators[(operation_id, media_type)]
        errors = sorted(validator.iter_errors(body), key=_error_rank)
        return _describe(errors[0]) if errors else None


def _pointer(schema: Mapping[str, Any], path: str, method: str, media_type: str) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).removeprefix("#")
    escaped = path.replace("~", "~0").replace("/", "~1")
    return f"/paths/{escaped}/{method}/requestBody/content/{media_type.replace('/', '~1')}/schema"


def _error_rank(error: ValidationError) -> tuple[int, int]:
    # Report a missing field before a malformed one, and shallow problems before deep ones.
    return (0 if error.validator == "required" else 1, len(error.absolute_path))


def _describe(error: ValidationError) -> str:
    where = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        field = f"{where}.{missing}" if where else missing
        return f"{field} is required"
    if error.validator == "type" and where:
        return f"{where} must be of type {error.validator_value}"
    if error.validator == "not" and isinstance(error.validator_value, dict) and "required" in error.validator_value:
        fields = " and ".join(error.validator_value["required"])
        return f"{where}: {fields} must not be sent here" if where else f"{fields} must not be sent in this body"
    if error.validator == "minLength" and where:
        return f"{where} must not be empty"
    message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    return f"{where}: {message}" if where else f"request body: {message}"
