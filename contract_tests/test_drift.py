"""The drift report's recorder: verdicts, the two kinds of drift, the files it writes, and no secrets in them."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from contract_tests.drift import DriftRecorder, Evidence, Refuted, evidence_of
from miraflow.spec import facts


def test_every_fact_of_the_spec_gets_a_row() -> None:
    """One row per documented fact and per assumption, none exercised before a check says so."""
    drift = DriftRecorder()
    assert set(drift.rows) == {fact.id for fact in facts()}
    assert {row.verdict for row in drift.rows.values()} == {"not exercised"}
    assert {row.fact.kind for row in drift.rows.values()} == {"documented", "assumption"}


def test_a_refuted_documented_fact_says_the_api_broke_its_contract() -> None:
    drift = DriftRecorder()
    seen = Evidence("GET /api/video/j/status", 200, '{"status": "inference_rendering"}')
    with pytest.raises(Refuted, match=r"^the API broke its contract: job-status-enum"):
        drift.check("job-status-enum", False, seen, "a status of the enum")
    assert drift.rows["job-status-enum"].verdict == "refuted"


def test_a_refuted_assumption_says_our_spec_guessed_wrong() -> None:
    drift = DriftRecorder()
    seen = Evidence("GET /api/video/j/status", 200, '{"progress": "21%"}')
    with pytest.raises(Refuted, match=r"^our spec guessed wrong, fix it: assumption progress-never-decreases"):
        drift.check("progress-never-decreases", False, seen, "progress may go down")
    drift.confirm("progress-never-decreases", seen)  # a later confirmation does not hide a refutation
    assert drift.rows["progress-never-decreases"].verdict == "refuted"
    assert "our spec guessed wrong" in (drift.summary() or "")


def test_the_report_is_written_as_markdown_and_json(tmp_path: Path) -> None:
    drift = DriftRecorder()
    drift.confirm("avatar-fields", Evidence("GET /api/avatars", 200, '{"avatars": []}'))
    drift.not_exercised("business-errors-400", "needs an account without credits")
    md, js = drift.write(tmp_path, target="simulator (test)", settings={"budget": 2})
    document = json.loads(js.read_text())
    rows = {row["id"]: row for row in document["rows"]}
    assert rows["avatar-fields"]["verdict"] == "confirmed"
    assert rows["avatar-fields"]["evidence"] == [
        {"request": "GET /api/avatars", "status": 200, "excerpt": '{"avatars": []}'}
    ]
    assert rows["business-errors-400"]["why"] == "needs an account without credits"
    text = md.read_text()
    assert text.startswith("# Drift report: simulator (test)")
    assert "| `avatar-fields` | documented | guide | confirmed |" in text


def test_evidence_never_keeps_a_signed_query_or_the_key() -> None:
    """Signed URLs in a body lose their query; the request line has no query; headers are never recorded."""
    request = httpx.Request("GET", "http://api/api/video/v?token=abc", headers={"x-api-key": "sk-secret"})
    body = {"downloadUrl": "https://cdn.example/v.mp4?expires=1&signature=s3cr3t"}
    evidence = evidence_of(httpx.Response(200, json=body, request=request))
    assert evidence.request == "GET /api/video/v"
    assert "s3cr3t" not in evidence.excerpt and "https://cdn.example/v.mp4?…" in evidence.excerpt
    assert "sk-secret" not in repr(evidence)
