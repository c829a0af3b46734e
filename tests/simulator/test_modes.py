"""The simulator's run modes: --bug, --state, --fail-rate, --validate, real clock and time scale, and the command."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from miraflow.spec import lifecycle
from miraflow_mock.simulator.config import BUGS
from miraflow_mock.testing import SimulatorHandle, start_simulator

MARGOT, AERIN = "cmdms9d3s001no401kqwbr0q5", "cm2yaz9j10008l0qg9npyjgs3"


def _create(sim: SimulatorHandle, key: str | None = None, **body: Any) -> str:
    payload = {"avatarId": MARGOT, "name": "t", "text": "Hello there, friends.", **body}
    response = httpx.post(f"{sim.api_root}/video/create", json=payload, headers={"x-api-key": key or sim.key})
    assert response.status_code == 200, response.text
    return str(response.json()["jobId"])


def _status(sim: SimulatorHandle, job: str, key: str | None = None) -> httpx.Response:
    return httpx.get(f"{sim.api_root}/video/{job}/status", headers={"x-api-key": key or sim.key})


def test_every_bug_name_is_accepted_and_unknown_names_refused() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "miraflow_mock", "serve", "--bug", "no-such-bug"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "invalid choice" in result.stderr and "Traceback" not in result.stderr
    assert set(BUGS) == {
        "progress-regress",
        "missing-video-id",
        "ignore-im2vid-full",
        "cross-tenant-leak",
        "wrong-download-type",
        "terminal-not-absorbing",
        "accept-any-key",
    }


def test_bad_tenant_option_is_one_line_and_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "miraflow_mock", "serve", "--tenant", "nocredits"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "KEY:CREDITS" in result.stderr


@pytest.mark.parametrize("failure", ["exits", "never listens"])
def test_serve_validate_says_in_one_line_that_prism_did_not_start(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str], failure: str
) -> None:
    from miraflow_mock import cli, prism

    if failure == "exits":
        monkeypatch.setattr(prism.PrismProcess, "command", lambda self: [sys.executable, "-c", "raise SystemExit(3)"])
        said = "exited with code 3"
    else:
        monkeypatch.setattr(
            prism.PrismProcess, "command", lambda self: [sys.executable, "-c", "import time; time.sleep(30)"]
        )
        waited = prism.wait_for_port
        monkeypatch.setattr(
            prism,
            "wait_for_port",
            lambda host, port, *, timeout, process: waited(host, port, timeout=0.5, process=process),
        )
        said = "nothing listened"
    code = cli.main(["serve", "--validate", "--host", "127.0.0.1", "--port", "0"])
    error = capfd.readouterr().err.strip()
    assert code == 1
    assert error.startswith("miraflow-mock serve: Prism did not start:") and said in error
    assert "\n" not in error and "Traceback" not in error


@pytest.mark.parametrize("bug", sorted(BUGS))
def test_each_bug_breaks_its_promise(miraflow_simulator_factory: Any, bug: str) -> None:
    sim: SimulatorHandle = miraflow_simulator_factory(clock="manual", seed=5, bugs=(bug,), fail_rate=0.5)
    spec = lifecycle()
    if bug == "accept-any-key":
        assert httpx.get(f"{sim.api_root}/avatars", headers={"x-api-key": "nope"}).status_code == 200
        return
    if bug == "ignore-im2vid-full":
        job = _create(sim, im2vid_full=True)
        assert next(j for j in sim.jobs() if j["jobId"] == job)["mode"] == "face_cropped"
        return
    jobs = [_create(sim) for _ in range(8)]
    if bug == "progress-regress":
        sim.advance(40)
        seen = [int(_status(sim, jobs[0]).json()["progress"].rstrip("%")) for _ in range(4)]
        assert seen != sorted(seen)
        return
    sim.advance(10_000)
    states = {job: _status(sim, job).json() for job in jobs}
    complete = [job for job, body in states.items() if body["status"] == spec.success_state]
    if bug == "missing-video-id":
        assert complete and all("videoId" not in states[job] for job in complete)
    elif bug == "cross-tenant-leak":
        assert _status(sim, jobs[0], key=sim.keys[1]).status_code == 200
    elif bug == "wrong-download-type":
        video = states[complete[0]]["videoId"]
        response = httpx.get(f"{sim.api_root}/video/{video}/download", headers={"x-api-key": sim.key})
        assert response.headers["content-type"] == "application/octet-stream"
    elif bug == "terminal-not-absorbing":
        failed = [row for row in sim.jobs() if row["state"] in spec.failure_states]
        assert failed, "the seed should make some jobs fail"
        assert all(states[row["jobId"]]["status"] == spec.success_state for row in failed)


def test_without_bugs_the_same_checks_hold(miraflow_simulator_factory: Any) -> None:
    sim: SimulatorHandle = miraflow_simulator_factory(clock="manual", seed=5, fail_rate=0.5)
    assert httpx.get(f"{sim.api_root}/avatars", headers={"x-api-key": "nope"}).status_code == 401
    jobs = [_create(sim) for _ in range(8)]
    sim.advance(10_000)
    assert _status(sim, jobs[0], key=sim.keys[1]).status_code == 404
    for row in sim.jobs():
        body = _status(sim, row["jobId"]).json()
        assert body["status"] == row["state"]
        assert ("videoId" in body) == (row["state"] == lifecycle().success_state)


def test_fail_rate_ends_jobs_in_both_failure_states(miraflow_simulator_factory: Any) -> None:
    sim: SimulatorHandle = miraflow_simulator_factory(clock="manual", seed=11, fail_rate=1.0, workers=50)
    jobs = [_create(sim) for _ in range(30)]
    sim.advance(10_000)
    assert {_status(sim, job).json()["status"] for job in jobs} == set(lifecycle().failure_states)
    assert httpx.get(f"{sim.api_root}/videos", headers={"x-api-key": sim.key}).json() == {"videos": []}


def test_seed_makes_runs_reproducible() -> None:
    plans = []
    for _ in range(2):
        with start_simulator(clock="manual", seed=42) as sim:
            _create(sim)
            _create(sim, avatarId=AERIN)
            plans.append([(j["jobId"], j["durationSeconds"], j["mode"]) for j in sim.jobs()])
    assert plans[0] == plans[1]


def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "sim.sqlite"
    with start_simulator(clock="manual", seed=1, state=state) as sim:
        job = _create(sim)
        duration = sim.jobs()[0]["durationSeconds"]
        sim.advance(duration / 2)
        before = _status(sim, job).json()
        credits = sim.tenants()[0]["credits"]
    assert before["status"] == "inference_working"
    with start_simulator(clock="manual", seed=1, state=state) as sim:
        assert _status(sim, job).json() == before  # the manual clock resumed where it was
        assert sim.tenants()[0]["credits"] == credits
        sim.advance(duration)
        video = _status(sim, job).json()["videoId"]
        download = httpx.get(f"{sim.api_root}/video/{video}/download", headers={"x-api-key": sim.key})
        assert download.status_code == 200 and download.content[4:8] == b"ftyp"
        second = _create(sim)
        assert second != job and len(sim.jobs()) == 2


def test_real_clock_with_time_scale(miraflow_simulator_factory: Any) -> None:
    sim: SimulatorHandle = miraflow_simulator_factory(clock="real", time_scale=0.005, seed=2)
    job = _create(sim)
    deadline = time.monotonic() + 10
    while _status(sim, job).json()["status"] != "inference_complete":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    row = sim.jobs()[0]
    elapsed = row["completedAt"] - row["createdAt"]
    assert lifecycle().mode("face_cropped").duration.scaled(0.005).contains(elapsed, tolerance=0.01)
    assert httpx.post(f"{sim.admin_url}/__admin/clock/advance", json={"seconds": 1}).status_code == 409


@pytest.mark.prism
def test_validate_runs_behind_prisms_proxy() -> None:
    with start_simulator(clock="manual", seed=1, validate=True) as sim:
        assert sim.url != sim.admin_url  # Prism in front, the admin API straight to the simulator
        job = _create(sim)
        sim.advance(1000)
        body = _status(sim, job).json()
        assert body["status"] == "inference_complete"
        response = httpx.get(f"{sim.api_root}/video/{body['videoId']}", headers={"x-api-key": sim.key})
        assert response.status_code == 200 and "downloadUrl" in response.json()
        rejected = httpx.post(f"{sim.api_root}/video/create", json=[], headers={"x-api-key": sim.key})
        assert rejected.status_code in (400, 422)  # Prism validates the request before the simulator sees it


@pytest.mark.prism
def test_validate_turns_a_contract_violation_into_an_error_naming_it() -> None:
    with start_simulator(clock="manual", seed=1, validate=True, bugs=("missing-video-id",)) as sim:
        job = _create(sim)
        sim.advance(1000)
        response = _status(sim, job)
    assert response.status_code == 500
    violations = response.json()["validation"]
    assert any("videoId" in violation["message"] for violation in violations), violations


def test_sigterm_stops_cleanly() -> None:
    sim = start_simulator(clock="manual")
    assert sim.process is not None
    sim.process.send_signal(signal.SIGTERM)
    assert sim.process.wait(10) == 0
    sim.stop()
