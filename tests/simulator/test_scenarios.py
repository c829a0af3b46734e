"""Scripted outcomes per job (`POST /__admin/scenarios`): one job fails exactly as told, the others are untouched."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from miraflow.spec import lifecycle
from miraflow_mock.testing import SimulatorError, SimulatorHandle

MARGOT, AERIN = "cmdms9d3s001no401kqwbr0q5", "cm2yaz9j10008l0qg9npyjgs3"


def create(http: httpx.Client, name: str = "t", avatar: str = MARGOT, **extra: Any) -> str:
    response = http.post("video/create", json={"avatarId": avatar, "name": name, "text": "Hello there.", **extra})
    assert response.status_code == 200, response.text
    return str(response.json()["jobId"])


def status(http: httpx.Client, job: str) -> dict[str, Any]:
    response = http.get(f"video/{job}/status")
    assert response.status_code == 200, response.text
    return dict(response.json())


def run_to_end(sim: SimulatorHandle, http: httpx.Client, job: str, step: float = 1.0) -> list[dict[str, Any]]:
    """Poll `job` every `step` seconds of the manual clock until it is terminal; every status seen."""
    seen = [status(http, job)]
    while not lifecycle().is_terminal(seen[-1]["status"]):
        sim.advance(step)
        seen.append(status(http, job))
        assert len(seen) < 5000
    return seen


def test_exactly_one_job_fails_at_the_given_progress_with_its_message(sim: SimulatorHandle, http: httpx.Client) -> None:
    rule = sim.add_scenario(
        match={"name": "checkout-*"}, outcome="inference_failed", message="no face found", atProgress=40
    )
    doomed = create(http, "checkout-42")
    fine = create(http, "welcome")
    seen = run_to_end(sim, http, doomed)
    assert seen[-1] == {"result": "success", "status": "inference_failed", "error": "no face found"}
    progress = [int(s["progress"].rstrip("%")) for s in seen if "progress" in s]
    assert progress and max(progress) < 40 <= max(progress) + 3, progress  # it got close to 40 %, then failed
    assert run_to_end(sim, http, fine)[-1]["status"] == "inference_complete"
    [listed] = sim.scenarios()
    assert listed["id"] == rule and listed["jobIds"] == [doomed] and listed["matched"] == 1


def test_the_next_n_creates_then_back_to_normal(sim: SimulatorHandle, http: httpx.Client) -> None:
    sim.add_scenario(count=2, outcome="inference_error")
    jobs = [create(http) for _ in range(3)]
    sim.advance(10_000)
    assert [status(http, job)["status"] for job in jobs] == ["inference_error", "inference_error", "inference_complete"]
    assert sim.scenarios() == []  # used up


def test_match_by_avatar_tenant_and_mode(sim: SimulatorHandle, http: httpx.Client) -> None:
    sim.add_scenario(match={"avatarId": AERIN}, outcome="inference_failed")
    sim.add_scenario(match={"tenant": "demo-2"}, outcome="inference_error")
    sim.add_scenario(match={"mode": "full_background"}, durationSeconds=1000)
    video_avatar = create(http, avatar=AERIN)
    full = create(http, im2vid_full=True)
    plain = create(http)
    with httpx.Client(base_url=sim.api_root + "/", headers={"x-api-key": sim.keys[1]}) as other:
        theirs = create(other)
        sim.advance(900)
        assert status(other, theirs)["status"] == "inference_error"
    assert status(http, video_avatar)["status"] == "inference_failed"
    assert status(http, plain)["status"] == "inference_complete"
    assert status(http, full)["status"] == "inference_working"  # 1000 s, beyond the spec's 600 s
    durations = {job["jobId"]: job["durationSeconds"] for job in sim.jobs()}
    assert durations[full] == 1000


def test_a_fault_on_one_jobs_status_and_download(sim: SimulatorHandle, http: httpx.Client) -> None:
    sim.add_scenario(match={"name": "flaky"}, fault={"on": "status", "status": 503, "count": 2, "retryAfter": 1})
    sim.add_scenario(match={"name": "broken-download"}, fault={"on": "download", "status": 500})
    flaky, other, broken = create(http, "flaky"), create(http, "steady"), create(http, "broken-download")
    assert http.get(f"video/{other}/status").status_code == 200  # other jobs are untouched
    first, second = http.get(f"video/{flaky}/status"), http.get(f"video/{flaky}/status")
    assert (first.status_code, second.status_code) == (503, 503)
    assert first.headers["retry-after"] == "1" and first.json()["result"] == "failure"
    assert http.get(f"video/{flaky}/status").status_code == 200  # count used up
    sim.advance(10_000)
    video = status(http, broken)["videoId"]
    assert http.get(f"video/{video}/download").status_code == 500
    assert http.get(f"video/{video}/download").status_code == 200


def test_a_scripted_success_overrides_the_fail_rate(miraflow_simulator_factory: Any) -> None:
    sim = miraflow_simulator_factory(clock="manual", fail_rate=1.0, seed=3)
    sim.add_scenario(match={"name": "must-work"}, outcome="inference_complete")
    with httpx.Client(base_url=sim.api_root + "/", headers={"x-api-key": sim.key}) as http:
        good, bad = create(http, "must-work"), create(http, "other")
        sim.advance(10_000)
        assert status(http, good)["status"] == "inference_complete"
        assert status(http, bad)["status"] in lifecycle().failure_states


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({}, "a rule needs an effect"),
        ({"outcome": "inference_exploded"}, "outcome must be one of"),
        ({"outcome": "inference_complete", "message": "x"}, "message is a string, for a failure outcome"),
        ({"outcome": "inference_failed", "atProgress": 100}, "atProgress is a percentage"),
        ({"durationSeconds": -1}, "durationSeconds must be a positive number"),
        ({"match": {"tenant": "nobody"}, "outcome": "inference_failed"}, "no tenant has the name or key"),
        ({"match": {"nameRegex": "("}, "outcome": "inference_failed"}, "not a regular expression"),
        ({"match": {"colour": "red"}, "outcome": "inference_failed"}, "unknown match field(s) colour"),
        ({"count": 0, "outcome": "inference_failed"}, "count must be a positive whole number"),
        ({"fault": {"on": "create", "status": 500}}, "`on` is one of status, video, download"),
        ({"fault": {"on": "status", "status": 200}}, "fault: status must be an error status"),
        ({"outcom": "inference_failed"}, "unknown field(s) outcom"),
    ],
)
def test_bad_rules_are_refused_in_the_error_shape(sim: SimulatorHandle, rule: dict[str, Any], message: str) -> None:
    response = httpx.post(f"{sim.admin_url}/__admin/scenarios", json=rule)
    assert response.status_code == 400
    body = response.json()
    assert body["result"] == "failure" and message in body["error"], body
    assert sim.scenarios() == []


def test_rules_are_listed_removed_and_cleared_by_reset(sim: SimulatorHandle) -> None:
    first = sim.add_scenario(outcome="inference_failed", match={"tenant": sim.key})
    second = sim.add_scenario(outcome="inference_error")
    listed = sim.scenarios()
    assert [rule["id"] for rule in listed] == [first, second]
    assert listed[0]["match"] == {"tenant": "demo-1"}  # a key given is shown as the tenant's name, never the key
    assert sim.key not in str(listed)
    sim.admin("DELETE", f"/scenarios/{first}")
    assert [rule["id"] for rule in sim.scenarios()] == [second]
    with pytest.raises(SimulatorError, match="404"):
        sim.admin("DELETE", f"/scenarios/{first}")
    sim.reset()
    assert sim.scenarios() == []
