"""Parsing a JSON request body strictly: what JSON allows, and nothing Python's parser adds or silently rewrites.

Python's `json` accepts `NaN` and `Infinity`, turns `1e999` into infinity, keeps the last of two members with one name,
and recurses once per nesting level. Each of those would surface later (a journal that cannot be serialised, a fault
that waits forever, a field read from the wrong member, a RecursionError): here they are one `ValueError` whose
message is fit for a 400.
"""

from __future__ import annotations

import json
import math
from typing import Any

__all__ = ["parse_json"]


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number out of range: {text[:20]}")
    return value


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"{key} is given more than once")
            seen.add(key)
    return result


def parse_json(raw: bytes) -> Any:
    """The JSON value of `raw`; ValueError with a short, client-fit message otherwise."""
    try:
        return json.loads(raw, parse_float=_float, parse_constant=_constant, object_pairs_hook=_members)
    except RecursionError:
        raise ValueError("JSON body is nested too deeply") from None
    except json.JSONDecodeError:
        raise ValueError("malformed JSON body") from None
    except UnicodeDecodeError:
        raise ValueError("malformed JSON body: not UTF-8, UTF-16 or UTF-32") from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):  # more digits than Python converts
            raise ValueError("number out of range") from None
        raise
