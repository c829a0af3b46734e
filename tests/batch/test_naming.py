"""The tag each campaign video's name carries: its format is the one README.md and naming.py document."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from miraflow.batch import naming
from miraflow.batch.naming import api_name, new_campaign_id, token_in, video_token

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_tag_format() -> None:
    campaign = new_campaign_id()
    assert re.fullmatch(r"[0-9a-f]{8}", campaign)
    assert video_token("3fa9c2d1", 17) == "mf-3fa9c2d1-17"
    assert video_token("3fa9c2d1", 17, attempt=1) == "mf-3fa9c2d1-17"
    assert video_token("3fa9c2d1", 17, attempt=2) == "mf-3fa9c2d1-17-2"
    assert api_name("Welcome Ana", "mf-3fa9c2d1-17") == "Welcome Ana [mf-3fa9c2d1-17]"


@pytest.mark.parametrize(
    ("video_name", "tag"),
    [
        ("Welcome Ana [mf-3fa9c2d1-17]", "mf-3fa9c2d1-17"),
        ("Welcome Ana [mf-3fa9c2d1-17-2]  ", "mf-3fa9c2d1-17-2"),
        ("[mf-0] Welcome [mf-3fa9c2d1-1]", "mf-3fa9c2d1-1"),  # the tag at the end counts
        ("Welcome Ana [mf-3fa9c2d1-17] (renamed)", None),  # not at the end: not found
        ("Welcome Ana [mf-3FA9C2D1-17]", None),  # campaign ids are lowercase hex
        ("Welcome Ana mf-3fa9c2d1-17", None),  # brackets are part of the format
        ("Welcome Ana", None),
    ],
)
def test_a_tag_is_found_only_at_the_end_of_a_name(video_name: str, tag: str | None) -> None:
    assert token_in(video_name) == tag


def test_every_example_the_docs_give_is_read_back() -> None:
    for text in (README.read_text(encoding="utf-8"), naming.__doc__ or ""):
        examples = re.findall(r"[A-Z][a-z]+ [A-Z][a-z]+ \[mf-[^\]]+\]", text)
        assert examples, "the docs show an example name"
        for example in examples:
            tag = token_in(example)
            assert tag is not None, example
            name = example.partition(" [")[0]
            parts = tag.split("-")
            attempt = int(parts[3]) if len(parts) == 4 else 1
            assert api_name(name, video_token(parts[1], int(parts[2]), attempt)) == example
