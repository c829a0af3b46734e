"""The spec's pricing facts (`x-pricing`): every mode priced, marked an estimate, refused when inconsistent."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from miraflow.spec import SpecError, lifecycle, load_spec, parse_pricing, pricing
from tests.spec_copies import broken_spec

ROOT = Path(__file__).resolve().parents[1]


def test_pricing_prices_every_mode_and_is_marked_an_estimate() -> None:
    prices = pricing()
    assert set(prices.mode_multiplier) == set(lifecycle().modes)
    assert prices.unit == "credits"
    assert prices.script_credits("full_background", "Hi.") == 2 * prices.script_credits("face_cropped", "Hi.")
    assert prices.script_credits("face_cropped", " ".join(["w"] * 150)) == 2  # 60 s of speech: two 30 s blocks
    # No Miraflow source states a price: the extension says it rests on assumptions, and which test checks each.
    marks = load_spec()["x-pricing"]["x-assumption"]
    assert prices.assumptions == tuple(mark["id"] for mark in marks)
    assert set(prices.assumptions) == {"credits-by-mode-and-speech", "usual-script-size"}
    for mark in marks:
        assert mark["source"] in ("inferred", "third-party")
        assert len(mark["note"]) > 10
        path, _, name = mark["checkedBy"].partition("::")
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        assert name in {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}, mark["checkedBy"]


def test_the_usual_script_size_is_the_guides() -> None:
    prices = pricing()
    # The spec's create examples are the guide's scripts; the usual size is the longest, "far above" ten times it.
    examples = load_spec()["paths"]["/api/video/create"]["post"]["requestBody"]["content"]["application/json"]
    longest = max(len(example["value"]["text"]) for example in examples["examples"].values())
    assert prices.usual_script_characters == longest
    assert prices.confirm_script_characters == 10 * longest


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("x-pricing"), "no x-pricing"),
        (lambda d: d["x-pricing"]["modeMultiplier"].pop("video_avatar"), "the modes are"),
        (lambda d: d["x-pricing"]["modeMultiplier"].update(face_cropped=0), "below 1"),
        (lambda d: d["x-pricing"].update(secondsPerCredit=0), "must be positive"),
        (lambda d: d["x-pricing"]["scriptCharacters"].update(confirmAbove=10), "usual < confirmAbove"),
        (lambda d: d["x-pricing"].pop("x-assumption"), "must carry its x-assumption"),
    ],
)
def test_inconsistent_pricing_is_refused(mutate: Any, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_pricing(broken_spec(mutate))
