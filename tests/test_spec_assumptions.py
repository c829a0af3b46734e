"""The spec says which source each fact rests on: every known assumption is marked where it is written.

Spectral (`.spectral.yaml`, rule miraflow-known-assumptions-marked) checks that each of these nodes carries an
`x-assumption`; this test checks the ids each must carry, that every fact is well formed, and that the test each one
names as `checkedBy` exists.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from miraflow.spec import SpecError, business_errors, facts, load_spec, parse_facts

ROOT = Path(__file__).parent.parent

# Facts that neither the guide nor Miraflow's docs state, known to us, by the node that says them (JSON pointer).
KNOWN_ASSUMPTIONS = {
    "/x-job-lifecycle/modes/face_cropped": {
        "face-cropped-when-absent",  # im2vid_full absent means face-cropped
        "face-cropped-aspect-1-1",
        "face-cropped-duration-bounds",  # the guide's "~1–2 min" as hard bounds
    },
    "/x-job-lifecycle/modes/full_background": {"full-background-aspect-16-9", "full-background-duration-bounds"},
    "/x-job-lifecycle/modes/video_avatar": {"video-avatar-duration-and-aspect"},
    "/x-job-lifecycle/transitions": {"transition-graph", "terminal-states-absorbing"},
    "/paths/~1api~1video~1create/post": {"create-not-idempotent", "rejected-create-costs-nothing"},
    "/paths/~1api~1video~1create/post/x-business-errors": {"business-errors-placement"},
    "/paths/~1api~1video~1create/post/responses/400": {"business-errors-400"},
    "/paths/~1api~1video~1create/post/responses/404": {"business-errors-404"},
    "/paths/~1api~1video~1{videoId}~1download/get/responses/200": {"download-codec-h264-aac"},
    "/paths/~1api~1media~1finalize/post": {"finalize-400-size-mismatch", "finalize-not-repeatable"},
    "/components/schemas/JobWorking/properties/progress": {"progress-whole-percent", "progress-never-decreases"},
    "/components/schemas/JobComplete/properties/videoUrl": {"complete-status-video-url"},
    "/components/schemas/Error/properties/error": {"error-wordings"},
    "/components/responses/TooManyRequests": {"rate-limit-429"},
    "/components/schemas/VoiceList": {"voices-list-key"},
    "/components/schemas/Video/properties/createdAt": {"created-at-date-time"},
}


def test_every_known_assumption_is_marked_where_it_is_written() -> None:
    """Each known assumption is an x-assumption on the node that states it."""
    marked: dict[str, set[str]] = {}
    for fact in facts():
        if fact.kind == "assumption":
            marked.setdefault(fact.where, set()).add(fact.id)
    missing = {where: ids - marked.get(where, set()) for where, ids in KNOWN_ASSUMPTIONS.items()}
    assert not {where: ids for where, ids in missing.items() if ids}, f"unmarked assumptions: {missing}"


def test_no_prose_assumption_is_left_unmarked() -> None:
    """The old prose "Assumption:" notes are all x-assumption nodes now."""
    text = (ROOT / "openapi.yaml").read_text(encoding="utf-8")
    assert "Assumption:" not in text


def test_every_fact_names_a_test_that_exists() -> None:
    """Every fact's checkedBy is `path.py::test_name` of a test in this repository."""
    for fact in facts():
        path, _, name = fact.checked_by.partition("::")
        source = ROOT / path
        assert source.is_file(), f"{fact.id}: checkedBy names {path}, which does not exist"
        assert re.search(rf"^(async )?def {re.escape(name)}\(", source.read_text(), re.MULTILINE), (
            f"{fact.id}: checkedBy names {name}, which {path} does not define"
        )


def test_facts_rest_on_the_sources_the_guide_ranks() -> None:
    """Documented facts cite the guide or the docs; assumptions a third-party page or our inference."""
    kinds = {fact.kind for fact in facts()}
    assert kinds == {"documented", "assumption"}
    for fact in facts():
        allowed = {"guide", "docs"} if fact.kind == "documented" else {"third-party", "inferred"}
        assert fact.source in allowed, fact


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"id": "x", "source": "inferred", "note": "n"}, "lacks checkedBy"),
        ({"id": "x", "source": "guide", "note": "n", "checkedBy": "t"}, "is not one of"),
        ("just a note", "must be a mapping"),
    ],
)
def test_a_malformed_assumption_is_refused(entry: Any, problem: str) -> None:
    """An x-assumption without its source, note or test, or with a strong source, is a spec error."""
    document = {"components": {"schemas": {"A": {"type": "string", "x-assumption": entry}}}}
    with pytest.raises(SpecError, match=problem):
        parse_facts(document)


def test_fact_ids_are_unique() -> None:
    """Two facts with one id would share a row of the drift report."""
    twice = {"id": "same", "source": "inferred", "note": "n", "checkedBy": "t"}
    with pytest.raises(SpecError, match="more than once"):
        parse_facts({"a": {"x-assumption": twice}, "b": {"x-assumption": twice}})


def test_business_errors_name_a_default_placement_and_statuses() -> None:
    """The spec holds one placement most likely, and the 4xx status of each known business message."""
    errors = business_errors()
    assert errors.default in ("2xx", "4xx")
    assert errors.status_for("not enough credits") == 400
    assert errors.status_for("Avatar not found") == 404
    assert errors.status_for("text is required") is None
    create = load_spec()["paths"]["/api/video/create"]["post"]["responses"]["200"]["content"]["application/json"]
    assert {ref["$ref"].rsplit("/", 1)[-1] for ref in create["schema"]["oneOf"]} == {"CreateVideoResponse", "Error"}
