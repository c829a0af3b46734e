"""Broken copies of the spec, for tests that check a parser refuses what it must."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from miraflow.spec import load_spec

__all__ = ["broken_spec"]


def broken_spec(mutate: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """A deep copy of the spec with `mutate` applied to it; the loaded spec itself is left as it is."""
    document = copy.deepcopy(dict(load_spec()))
    mutate(document)
    return document
