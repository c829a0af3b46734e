"""The waiter: its adaptive schedule, every terminal state of the spec, transient failures, Retry-After, timeouts."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

import httpx
import pytest

from miraflow import JobFailedError, JobStatus, Miraflow, NotFoundError, WaitTimeoutError
from miraflow._constants import (
    MAX_CONSECUTIVE_POLL_FAILURES,
    POLL_LAG_BUDGET,
    POLL_MAX_INTERVAL,
    POLL_MIN_INTERVAL,
)
from miraflow._waiter import PollPlanner
from miraflow.spec import lifecycle
from miraflow.types import JobState

from .conftest import PHOTO_ID, FakeAPI, FakeClock, error, json_response, status_body

LC = lifecycle()
FACE, FULL = LC.mode("face_cropped"), LC.mode("full_background")
QUEUED, WORKING, COMPLETE = LC.initial, LC.progress_state, LC.success_state
STATUS = "/api/video/job-1/status"


def _status(state: str, progress: int | None = None) -> JobStatus:
    return JobStatus(job_id="j", status=JobState(state), progress=progress)


def _planner(mode_duration=FACE.duration, *, started_after: float | None = 0.0, time_scale: float = 1.0) -> PollPlanner:
    return PollPlanner(duration=mode_duration, started_after=started_after, rng=random.Random(3), time_scale=time_scale)


def _follow_linear_job(duration: float, mode_duration=FACE.duration) -> tuple[list[float], float]:
    """Poll a job whose progress is linear and which finishes at `duration`; return the delays and the lag."""
    planner = _planner(mode_duration)
    now, delays = 0.0, []
    delay = planner.first_delay(now).delay
    while True:
        delays.append(delay)
        now += delay
        if now >= duration:
            return delays, now - duration
        planner.observe(now, _status(WORKING, int(100 * now / duration)))
        delay = planner.next_delay(now).delay


def test_a_fresh_job_is_probed_then_polled_when_it_may_be_done() -> None:
    planner = _planner()
    probe = planner.first_delay(0.0).delay
    assert probe <= POLL_LAG_BUDGET  # the spec's durations may be wrong: a probe sees how fast the job renders
    planner.observe(probe, _status(WORKING, 5))  # a pace the spec's range explains
    delay = planner.next_delay(probe).delay
    assert 0.5 * FACE.duration.min <= probe + delay <= FACE.duration.min + POLL_LAG_BUDGET + 0.1 * FACE.duration.min
    assert _planner(started_after=None).first_delay(0.0).delay == 0.0  # a job of unknown age: at once


def test_the_maximum_interval_bounds_the_wait_for_long_modes() -> None:
    assert _planner(FULL.duration).first_delay(0.0).delay <= POLL_MAX_INTERVAL


def test_time_scale_scales_every_interval_and_duration() -> None:
    normal, fast = _planner(), _planner(time_scale=0.01)
    assert fast.first_delay(0.0).delay == pytest.approx(normal.first_delay(0.0).delay * 0.01)
    for planner, scale in ((normal, 1.0), (fast, 0.01)):
        planner.observe(70 * scale, _status(WORKING, 70))
    assert fast.next_delay(0.7).delay == pytest.approx(normal.next_delay(70).delay * 0.01)


@pytest.mark.parametrize("duration", [64.0, 75.0, 90.0, 105.0, 119.0])
def test_polls_are_sparse_early_and_dense_near_the_finish(duration: float) -> None:
    delays, lag = _follow_linear_job(duration)
    assert delays[0] <= POLL_LAG_BUDGET  # a probe: how fast does this job render?
    assert delays[1] == max(delays)  # then the long wait
    assert all(POLL_MIN_INTERVAL <= delay <= POLL_MAX_INTERVAL for delay in delays[1:])
    assert len(delays) <= 8  # fixed 5 s polling makes 13 to 24 calls for these jobs
    assert lag < 5.0  # never later than the guide's fixed 5 s polling can be


def test_lag_and_calls_over_the_mode_range() -> None:
    results = [_follow_linear_job(60.5 + i * 0.5) for i in range(119)]
    lags = sorted(lag for _, lag in results)
    calls = [len(delays) for delays, _ in results]
    assert lags[int(0.95 * len(lags))] <= POLL_LAG_BUDGET
    assert sum(calls) / len(calls) <= 5.5


def test_a_queued_job_is_probed_ever_more_sparsely() -> None:
    planner = _planner(started_after=0.0)
    now, delays = 0.0, []
    for _ in range(6):
        planner.observe(now, _status(QUEUED))
        delays.append(planner.next_delay(now).delay)
        now += delays[-1]
    assert delays[0] <= POLL_LAG_BUDGET
    assert delays[-1] >= 3 * delays[0]  # the probes spread out as the queue lasts


def test_a_job_outlasting_the_spec_range_still_gets_bounded_polls() -> None:
    planner = _planner()
    for now in (100.0, 200.0, 300.0):
        planner.observe(now, _status(WORKING, 99))
        delay = planner.next_delay(now).delay
        assert POLL_MIN_INTERVAL <= delay <= POLL_MAX_INTERVAL


# The wait, through the client and a scripted API.


def _scripted(api: FakeAPI, *bodies: dict | httpx.Response | Exception) -> None:
    api.on("GET", STATUS, *[body if not isinstance(body, dict) else json_response(200, body) for body in bodies])


@pytest.mark.parametrize("terminal", sorted(LC.terminal_states))
def test_every_terminal_state_of_the_spec_ends_the_wait(client: Miraflow, api: FakeAPI, terminal: str) -> None:
    video_id = "video-9" if LC.states[terminal].carries_video_id else None
    _scripted(api, status_body(QUEUED), status_body(WORKING, progress=40), status_body(terminal, video_id=video_id))
    seen: list[JobStatus] = []
    outcome = LC.states[terminal].outcome
    if outcome == "success":
        final = client.jobs.wait("job-1", on_progress=seen.append)
        assert final.status == terminal and final.video_id == "video-9" and final.is_terminal
    else:
        with pytest.raises(JobFailedError) as caught:
            client.jobs.wait("job-1", on_progress=seen.append)
        assert caught.value.state == terminal and caught.value.job_id == "job-1"
        assert terminal in str(caught.value)
    assert [(status.status, status.progress) for status in seen] == [(QUEUED, None), (WORKING, 40), (terminal, None)]
    assert len(api.sent("GET", STATUS)) == 3


def test_a_transient_status_failure_is_waited_out(client: Miraflow, api: FakeAPI, clock: FakeClock) -> None:
    _scripted(
        api,
        status_body(WORKING, progress=10),
        *[error(500, "boom")] * 3,  # the request's own retries (2) are exhausted: the waiter carries on
        *[error(429, "slow down", {"Retry-After": "7"})] * 3,
        httpx.ConnectError("refused"),
        httpx.ConnectError("refused"),
        httpx.ConnectError("refused"),
        status_body(COMPLETE, video_id="v"),
    )
    assert client.jobs.wait("job-1").video_id == "v"
    assert len(api.sent("GET", STATUS)) == 11
    assert 7.0 in clock.sleeps  # Retry-After honoured by the request's retries
    assert max(clock.sleeps) >= 7.0


def test_a_permanent_status_failure_is_raised(client: Miraflow, api: FakeAPI) -> None:
    _scripted(api, status_body(WORKING, progress=10), error(404, "Job not found"))
    with pytest.raises(NotFoundError):
        client.jobs.wait("job-1")
    assert len(api.sent("GET", STATUS)) == 2


def test_without_a_timeout_endless_failures_end_eventually(make_client: Callable[..., Miraflow], api: FakeAPI) -> None:
    _scripted(api, error(503, "down"))
    with pytest.raises(Exception, match="503"):
        make_client(max_retries=0).jobs.wait("job-1")
    assert len(api.sent("GET", STATUS)) == MAX_CONSECUTIVE_POLL_FAILURES


def test_the_timeout_raises_with_the_last_status(client: Miraflow, api: FakeAPI, clock: FakeClock) -> None:
    _scripted(api, status_body(WORKING, progress=5), status_body(WORKING, progress=7))
    started = clock.time
    with pytest.raises(WaitTimeoutError) as caught:
        client.jobs.wait("job-1", timeout=30)
    assert caught.value.last_status is not None and caught.value.last_status.progress == 7
    assert caught.value.job_id == "job-1"
    assert clock.time - started == pytest.approx(30.0)  # the last poll is at the deadline, never past it
    assert "30 s" in str(caught.value)


def test_a_job_created_by_the_client_is_first_probed_a_lag_budget_after_its_create(
    client: Miraflow, api: FakeAPI, clock: FakeClock
) -> None:
    created = {"result": "success", "jobId": "job-1"}
    api.on("POST", "/api/video/create", json_response(200, created), json_response(200, {**created, "jobId": "job-2"}))
    _scripted(api, status_body(COMPLETE, video_id="v"))
    api.on("GET", "/api/video/job-2/status", json_response(200, status_body(COMPLETE, video_id="v")))
    job = client.videos.create(avatar=PHOTO_ID, text="Hello", name="Hello")
    client.jobs.wait(job.id)  # by id: the client remembers its mode and when it was sent
    assert clock.sleeps[0] == pytest.approx(POLL_LAG_BUDGET, rel=0.1)  # a probe, from when the create was sent
    clock.sleeps.clear()
    client.jobs.wait(client.videos.create(avatar=PHOTO_ID, text="Hi", name="Hi"), time_scale=0.01)
    assert clock.sleeps[0] == pytest.approx(POLL_LAG_BUDGET * 0.01, rel=0.1)


def test_a_job_of_unknown_age_is_polled_at_once(client: Miraflow, api: FakeAPI, clock: FakeClock) -> None:
    _scripted(api, status_body(COMPLETE, video_id="v"))
    client.jobs.wait("job-1")
    assert clock.sleeps == []


def test_each_poll_decision_is_logged_at_debug(
    client: Miraflow, api: FakeAPI, caplog: pytest.LogCaptureFixture
) -> None:
    _scripted(
        api, status_body(WORKING, progress=30), status_body(WORKING, progress=80), status_body(COMPLETE, video_id="v")
    )
    with caplog.at_level(logging.DEBUG, logger="miraflow"):
        client.jobs.wait("job-1")
    decisions = [record.getMessage() for record in caplog.records if "next poll in" in record.getMessage()]
    assert len(decisions) == 2
    assert "inference_working 30%" in decisions[0] and "finish expected" in decisions[0]
