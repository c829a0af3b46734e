"""Observing jobs through the public API and checking, at every observation, what the spec's lifecycle promises.

Used by the state machine (manual clock), the isPhoto/im2vid_full property and the live lifecycle test alike.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import av

from miraflow.spec import Mode, lifecycle, load_spec, status_variants
from miraflow_client import AuthenticatedClient
from miraflow_client.api.videos import get_job_status
from miraflow_client.models import JobComplete

_PROGRESS = re.compile(r"^(\d{1,3})%$")


@dataclass
class Observation:
    """One status seen: when (on the observer's clock, before and after the request) and what."""

    sent: float
    received: float
    body: dict[str, Any]

    @property
    def state(self) -> str:
        return str(self.body["status"])


@dataclass
class JobObserver:
    """Everything seen of one job, with the lifecycle's invariants checked at each new observation."""

    job_id: str
    mode: Mode
    created_sent: float
    created_received: float
    seen: list[Observation] = field(default_factory=list)

    def observe(self, sent: float, received: float, body: dict[str, Any]) -> Observation:
        """Record a status body and check it against the spec and against what was seen before."""
        spec = lifecycle()
        assert body.get("result") == "success", f"status of {self.job_id} is not a success body: {body}"
        state = body.get("status")
        assert state in spec.states, f"status {state!r} of {self.job_id} is not in the spec's enum {spec.state_names}"
        assert ("videoId" in body) == spec.states[state].carries_video_id, (
            f"videoId must be present exactly when the status is {spec.success_state}: {body}"
        )
        if state == spec.success_state:
            assert body["videoId"] != self.job_id, "the videoId must differ from the jobId"
        progress = body.get("progress")
        if progress is not None:
            assert state == spec.progress_state, f"progress on a {state} status: {body}"
            match = _PROGRESS.match(str(progress))
            assert match and 0 <= int(match.group(1)) <= 100, f"progress {progress!r} is not a percentage 0-100%"
        observation = Observation(sent, received, body)
        if self.seen:
            before = self.seen[-1]
            assert spec.can_observe(before.state, state), f"{self.job_id} went from {before.state} to {state}"
            if before.state in spec.terminal_states:
                assert before.body == body, f"terminal status of {self.job_id} changed: {before.body} → {body}"
            if before.body.get("progress") is not None and progress is not None:
                assert _percent(progress) >= _percent(before.body["progress"]), (
                    f"progress of {self.job_id} went down: {before.body['progress']} → {progress}"
                )
        self.seen.append(observation)
        return observation

    @property
    def terminal(self) -> bool:
        return bool(self.seen) and self.seen[-1].state in lifecycle().terminal_states

    @property
    def complete(self) -> bool:
        return bool(self.seen) and self.seen[-1].state == lifecycle().success_state

    @property
    def video_id(self) -> str | None:
        return self.seen[-1].body.get("videoId") if self.seen else None

    def completion_window(self) -> tuple[float, float]:
        """Bounds on the job's render time (from leaving the queue to completing): (at least, at most).

        Sound whether or not the job waited for a render slot: rendering began after the last status seen queued (or
        the create) and no later than the first seen rendering; it ended after the last status seen unfinished and no
        later than the first seen complete. A server answers between a request's `sent` and `received`.
        """
        spec = lifecycle()
        done_at = next(i for i, o in enumerate(self.seen) if o.state == spec.success_state)
        first_done = self.seen[done_at]
        # Seen before it, in order: on a manual clock a status can be received at the very time the next is sent.
        earlier = [o for o in self.seen[:done_at] if o.received <= first_done.sent]
        queued = [o for o in earlier if o.state == spec.initial]
        working = [o for o in earlier if o.state == spec.progress_state]
        started_after = queued[-1].sent if queued else self.created_sent
        at_most = first_done.received - started_after
        at_least = earlier[-1].sent - working[0].received if working and earlier else 0.0
        return max(at_least, 0.0), at_most

    def check_duration(self, time_scale: float, slack: float) -> None:
        """A complete job took a time within its mode's range (times the time scale), give or take `slack` s."""
        at_least, at_most = self.completion_window()
        expected = self.mode.duration.scaled(time_scale)
        assert at_most >= expected.min - slack and at_least <= expected.max + slack, (
            f"{self.job_id} ({self.mode.name}) rendered for {at_least:.3f}–{at_most:.3f} s; the spec's range "
            f"times {time_scale} is {expected.min:.3f}–{expected.max:.3f} s"
        )


def _percent(progress: str) -> int:
    return int(str(progress).rstrip("%"))


def fetch_status(
    client: AuthenticatedClient, job_id: str, clock: Callable[[], float]
) -> tuple[float, float, dict[str, Any]]:
    """GET the job's status through the generated client; returns (sent, received, raw body), times from `clock`.

    The generated client's parse of the same response must agree with the raw body: a complete status parses to
    JobComplete (with its videoId), any other to the class of its state.
    """
    sent = clock()
    detailed = get_job_status.sync_detailed(job_id, client=client)
    received = clock()
    assert detailed.status_code == 200, f"status of {job_id}: {detailed.status_code} {detailed.content!r}"
    body = json.loads(detailed.content)
    parsed = detailed.parsed
    assert parsed is not None and getattr(parsed, "status", None) == body.get("status"), (
        f"the generated client misreads {body}"
    )
    assert isinstance(parsed, JobComplete) == (body.get("status") == lifecycle().success_state)
    return sent, received, body


def wait_until_terminal(
    observer: JobObserver, client: AuthenticatedClient, *, deadline: float, interval: Callable[[JobObserver], float]
) -> None:
    """Poll in wall-clock time until the job is terminal; fail at `deadline` (time.monotonic)."""
    while not observer.terminal:
        assert time.monotonic() < deadline, f"{observer.job_id} was not terminal by its deadline"
        observer.observe(*fetch_status(client, observer.job_id, time.monotonic))
        if not observer.terminal:
            time.sleep(interval(observer))


def mp4_aspect(data: bytes) -> float:
    """The frame aspect (width / height) of an MP4; fails unless it is an H.264 MP4 that decodes."""
    assert data[4:8] == b"ftyp", "the download is not an MP4 (no ftyp box)"
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264", f"video codec {stream.codec_context.name}, not h264"
        frame = next(container.decode(stream))
        return float(frame.width) / float(frame.height)


def status_names() -> set[str]:
    """The states the spec's JobStatus schema admits."""
    return set(status_variants(load_spec(), "JobStatus"))
