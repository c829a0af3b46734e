"""The polling state machine: hypothesis drives creates, polls, clock moves, waits and downloads on a manual clock.

Invariants, checked at every observation (contract_tests/observe.py): every status is in the spec's enum; observed
transitions follow the spec's lifecycle (a poll may skip states, never go back); progress parses to 0–100 and never
decreases; videoId is present exactly when the status is inference_complete; terminal states never change; video
detail and download work exactly for completed jobs; time to complete is within the mode's range.

Failures are scripted per job (`POST /__admin/scenarios`), not drawn at a global rate: hypothesis chooses which
creates fail, in which failure state and at what progress, so every job's end is known and checked too.
"""

from __future__ import annotations

from typing import Any

import hypothesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from contract_tests.conftest import Target
from contract_tests.observe import JobObserver, fetch_status, mp4_aspect
from miraflow.spec import lifecycle
from miraflow_client.api.avatars import list_avatars

OBSERVED: list[list[JobObserver]] = []  # every run's observers, to prove every state was seen at least once
SCRIPTS = st.sampled_from(["Hi.", "Hi there! This is a quick preview.", " ".join(["word"] * 40)])


def test_polling_state_machine(manual_target: Target) -> None:
    """Any sequence of creates, polls, clock moves, waits and downloads keeps every lifecycle invariant."""
    target = manual_target
    spec = lifecycle()
    with target.client() as client:
        avatars = list(list_avatars.sync(client=client).avatars)  # type: ignore[union-attr]

    class JobLifecycle(RuleBasedStateMachine):
        jobs = Bundle("jobs")

        def __init__(self) -> None:
            super().__init__()
            target.admin("POST", "/reset")
            self.now = 0.0
            self.scripted: dict[str, tuple[str, int] | None] = {}  # jobId → (failure state, at progress), or None
            self.client = target.client()
            self.http = target.http()
            self.observers: list[JobObserver] = []
            OBSERVED.append(self.observers)

        def clock(self) -> float:
            return self.now

        def teardown(self) -> None:
            self.client.__exit__(None, None, None)
            self.http.close()

        @rule(
            target=jobs,
            avatar=st.sampled_from(avatars),
            im2vid_full=st.sampled_from([None, False, True]),
            text=SCRIPTS,
            failure=st.none() | st.tuples(st.sampled_from(sorted(spec.failure_states)), st.integers(0, 99)),
        )
        def create(
            self, avatar: Any, im2vid_full: bool | None, text: str, failure: tuple[str, int] | None
        ) -> JobObserver:
            name = f"state machine {len(self.observers)}"
            if failure is not None:
                rule = {"match": {"name": name}, "count": 1, "outcome": failure[0], "atProgress": failure[1]}
                target.admin("POST", "/scenarios", rule)
            body: dict[str, Any] = {"avatarId": avatar.id, "name": name, "text": text}
            if im2vid_full is not None:
                body["im2vid_full"] = im2vid_full
            response = self.http.post("video/create", json=body)
            assert response.status_code == 200, response.text
            mode = spec.mode_for(is_photo=avatar.is_photo, im2vid_full=im2vid_full)
            observer = JobObserver(response.json()["jobId"], mode, self.now, self.now)
            self.observers.append(observer)
            self.scripted[observer.job_id] = failure
            return observer

        @rule(job=jobs)
        def poll(self, job: JobObserver) -> None:
            job.observe(*fetch_status(self.client, job.job_id, self.clock))

        @rule(seconds=st.floats(min_value=0, max_value=700, allow_nan=False))
        def advance(self, seconds: float) -> None:
            self.now = float(target.admin("POST", "/clock/advance", {"seconds": seconds})["now"])

        @rule(job=jobs, steps=st.integers(min_value=2, max_value=30))
        def wait(self, job: JobObserver, steps: int) -> None:
            """Poll and move the clock in small steps until the job is terminal."""
            step = job.mode.duration.max / steps
            for _ in range(steps * 3):
                job.observe(*fetch_status(self.client, job.job_id, self.clock))
                if job.terminal:
                    return
                self.advance(step)
            raise AssertionError(f"{job.job_id} was not terminal after {job.mode.duration.max * 3:.0f} s")

        @rule(job=jobs)
        def download(self, job: JobObserver) -> None:
            job.observe(*fetch_status(self.client, job.job_id, self.clock))
            assert self.http.get(f"video/{job.job_id}").status_code == 404, "a jobId must not work as a videoId"
            if job.complete:
                detail = self.http.get(f"video/{job.video_id}")
                assert detail.status_code == 200 and detail.json()["id"] == job.video_id
                download = self.http.get(f"video/{job.video_id}/download")
                assert download.status_code == 200
                assert download.headers["content-type"] == "video/mp4"
                assert abs(mp4_aspect(download.content) - job.mode.aspect_ratio) < 0.02, "output aspect ≠ the mode's"
                listed = {video["id"] for video in self.http.get("videos").json()["videos"]}
                assert job.video_id in listed

        @invariant()
        def completed_jobs_took_their_modes_time(self) -> None:
            for job in self.observers:
                if job.complete:
                    job.check_duration(time_scale=1.0, slack=1e-6)

        @invariant()
        def jobs_end_as_scripted(self) -> None:
            for job in self.observers:
                if not job.terminal:
                    continue
                failure = self.scripted[job.job_id]
                expected = failure[0] if failure else spec.success_state
                assert job.seen[-1].state == expected, f"{job.job_id} ended {job.seen[-1].state}, not {expected}"
                if failure is not None:
                    shown = [int(str(o.body["progress"]).rstrip("%")) for o in job.seen if "progress" in o.body]
                    assert max(shown, default=0) <= failure[1], f"{job.job_id} passed {failure[1]}% before failing"

    JobLifecycle.TestCase.settings = hypothesis.settings(
        max_examples=12,
        stateful_step_count=25,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    hypothesis.stateful.run_state_machine_as_test(JobLifecycle, settings=JobLifecycle.TestCase.settings)
    seen = {observation.state for observers in OBSERVED for observer in observers for observation in observer.seen}
    assert seen == set(spec.states), f"the state machine never observed {sorted(set(spec.states) - seen)}"
