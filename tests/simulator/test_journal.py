"""The request journal keeps responses, and `GET /__admin/requests` filters it; the dashboard's own routes."""

from __future__ import annotations

import json
import re
import time
from importlib import resources
from typing import Any

import httpx
import pytest

from miraflow.spec import lifecycle, load_spec
from miraflow_mock.simulator.journal import EXCERPT_BYTES
from miraflow_mock.testing import SimulatorHandle

MARGOT = "cmdms9d3s001no401kqwbr0q5"


def create(http: httpx.Client, name: str = "t") -> str:
    response = http.post("video/create", json={"avatarId": MARGOT, "name": name, "text": "Hello there."})
    assert response.status_code == 200, response.text
    return str(response.json()["jobId"])


def journal(sim: SimulatorHandle, query: str = "") -> list[dict[str, Any]]:
    return list(sim.admin("GET", f"/requests{query}")["requests"])


def wait_for_entry(sim: SimulatorHandle, query: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while not (found := journal(sim, query)):
        assert time.monotonic() < deadline, f"no journal entry for {query}"
        time.sleep(0.02)
    (entry,) = found
    return entry


def test_the_journal_keeps_each_response_and_never_the_key(sim: SimulatorHandle, http: httpx.Client) -> None:
    job = create(http, "launch")
    assert http.get(f"video/{job}/status").status_code == 200
    assert httpx.get(sim.api_root + "/avatars", headers={"x-api-key": "sk-not-a-tenant"}).status_code == 401
    made, polled, refused = journal(sim)
    assert made["jobId"] == job and made["tenant"] == "demo-1" and made["body"]["name"] == "launch"
    assert made["response"]["status"] == 200 and made["response"]["headers"]["content-type"] == "application/json"
    assert json.loads(made["response"]["body"]) == {"result": "success", "jobId": job}
    assert polled["jobId"] == job and json.loads(polled["response"]["body"])["status"] == lifecycle().progress_state
    assert refused["status"] == 401 and refused["tenant"] is None
    assert json.loads(refused["response"]["body"]) == {"result": "failure", "error": "Invalid API key"}
    assert all(entry["latencyMs"] > 0 for entry in (made, polled, refused))
    assert made["id"] < polled["id"] < refused["id"]
    text = json.dumps(sim.admin("GET", "/requests"))
    assert sim.key not in text and "sk-not-a-tenant" not in text


def test_a_long_body_is_kept_as_a_bounded_excerpt(sim: SimulatorHandle, http: httpx.Client) -> None:
    for index in range(40):
        create(http, f"video number {index} with a long enough name to fill the list")
    sim.advance(3600)
    listed = http.get("videos")
    assert len(listed.content) > EXCERPT_BYTES
    (entry,) = journal(sim, "?operationId=listVideos")
    response = entry["response"]
    assert response["bodyBytes"] == len(listed.content) and response["truncated"] is True
    assert response["body"] == listed.text[:EXCERPT_BYTES]


def test_signed_urls_and_videos_are_shown_without_signature_or_bytes(sim: SimulatorHandle, http: httpx.Client) -> None:
    create(http)
    sim.advance(3600)
    video_id = http.get("videos").json()["videos"][0]["id"]
    url = http.get(f"video/{video_id}").json()["downloadUrl"]
    signature = re.search(r"signature=([^&]+)", url)
    assert signature is not None
    assert httpx.get(url).status_code == 200
    (detail,) = journal(sim, "?operationId=getVideo")
    download = wait_for_entry(sim, "?path=/__files/*")  # journaled once its file is sent, maybe after the client has it
    assert detail["videoId"] == video_id and "signature=REDACTED" in detail["response"]["body"]
    assert download["path"].startswith("/__files/videos/") and download["query"].endswith("signature=REDACTED")
    assert re.fullmatch(r"<\d+ bytes of video/mp4>", download["response"]["body"])
    assert signature.group(1) not in json.dumps(sim.admin("GET", "/requests"))


def test_filters_by_method_path_status_tenant_and_since(sim: SimulatorHandle, http: httpx.Client) -> None:
    job = create(http)
    sim.advance(10)
    http.get(f"video/{job}/status")
    http.get("video/cnotajobnotajobnotajob000/status")
    other = httpx.get(sim.api_root + "/avatars", headers={"x-api-key": sim.keys[1]})
    assert other.status_code == 200

    def paths(query: str) -> list[str]:
        return [f"{entry['method']} {entry['path']} {entry['status']}" for entry in journal(sim, query)]

    assert paths("?method=post") == ["POST /api/video/create 200"]
    assert paths("?path=/api/avatars") == ["GET /api/avatars 200"]
    assert paths("?path=/api/video/{jobId}/status") == [
        f"GET /api/video/{job}/status 200",
        "GET /api/video/cnotajobnotajobnotajob000/status 404",
    ]
    assert len(paths("?path=/api/video/*")) == 3
    assert paths("?status=4xx") == ["GET /api/video/cnotajobnotajobnotajob000/status 404"]
    assert len(paths("?status=404,2xx")) == 4 and paths("?status=500") == []
    assert paths("?tenant=demo-2") == ["GET /api/avatars 200"]
    assert len(paths("?since=10")) == 3 and len(paths("?since=10.5")) == 0
    assert paths("?method=GET&status=200&tenant=demo-1") == [f"GET /api/video/{job}/status 200"]
    everything = journal(sim)
    assert journal(sim, f"?after={everything[1]['id']}") == everything[2:]
    assert journal(sim, "?limit=2") == everything[-2:]
    assert sim.requests(tenant="demo-2", status="2xx") == journal(sim, "?tenant=demo-2")


@pytest.mark.parametrize("query", ["?status=abc", "?status=99", "?since=yesterday", "?limit=-1", "?verb=GET"])
def test_a_bad_filter_is_a_400_in_the_error_shape(sim: SimulatorHandle, query: str) -> None:
    response = httpx.get(f"{sim.admin_url}/__admin/requests{query}")
    assert response.status_code == 400
    assert response.json()["result"] == "failure" and response.json()["error"]


def test_a_faulted_request_names_its_tenant_and_fault(sim: SimulatorHandle, http: httpx.Client) -> None:
    fault = sim.add_fault(operationId="listAvatars", status=503)
    assert http.get("avatars").status_code == 503
    (entry,) = journal(sim)
    assert entry["fault"] == fault and entry["tenant"] == "demo-1" and entry["response"]["status"] == 503


def test_jobs_show_their_plan_and_the_newest_can_be_asked_for(sim: SimulatorHandle, http: httpx.Client) -> None:
    jobs = [create(http, f"job {index}") for index in range(3)]  # two render slots: the third waits
    answer = sim.admin("GET", "/jobs?limit=2")
    assert [row["jobId"] for row in answer["jobs"]] == jobs[1:] and answer["total"] == 3
    rows = sim.jobs()
    first, _, third = (row["plan"] for row in rows)
    assert first["startAt"] == 0.0 and first["endAt"] == rows[0]["durationSeconds"]
    assert third["startAt"] == min(first["endAt"], rows[1]["plan"]["endAt"]) > 0
    assert {plan["outcome"] for plan in (first, third)} == {lifecycle().success_state}
    sim.advance(third["endAt"])
    assert all(row["completedAt"] == row["plan"]["endAt"] for row in sim.jobs())


def test_admin_leads_to_the_dashboard_served_from_package_files(sim: SimulatorHandle) -> None:
    for path in ("/__admin", "/__admin/", "/__admin/ui"):
        response = httpx.get(sim.admin_url + path)
        assert response.status_code == 307 and response.headers["location"] == "/__admin/ui/"
    page = httpx.get(sim.admin_url + "/__admin/ui/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    static = resources.files("miraflow_mock.simulator") / "static"
    for name in ("index.html", "dashboard.js", "dashboard.css"):
        text = (static / name).read_text(encoding="utf-8")
        assert httpx.get(f"{sim.admin_url}/__admin/ui/{name}").text == text
        assert not re.search(r"(?:src|href)=\"(?:https?:)?//", text), f"{name} loads something from the network"
    assert httpx.get(sim.admin_url + "/__admin/ui/nothing-here.js").status_code == 404


def test_the_dashboard_reads_operations_and_states_from_the_spec(sim: SimulatorHandle) -> None:
    meta = httpx.get(sim.admin_url + "/__admin/ui/meta.json").json()
    spec = load_spec()
    expected = {
        (method.upper(), path, operation["operationId"])
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert {(op["method"], op["path"], op["operationId"]) for op in meta["operations"]} == expected
    states = lifecycle()
    assert meta["lifecycle"] == {
        "initial": states.initial,
        "progress": states.progress_state,
        "success": states.success_state,
        "failures": sorted(states.failure_states),
    }
