"""The live run's budgeted plan and its checks: a few real videos, checked for every documented fact and assumption
they can show. `test_live_plan.py` runs them on the live target; `test_blind_spots.py` runs them against misbehaving
upstreams.

Each check records its verdict in a drift recorder (the run's `reports/drift.md`); a refuted fact fails the check with
a message that says whether the API broke its contract or our spec guessed wrong.
"""

from __future__ import annotations

import hashlib
import io
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import av
import httpx
import pytest

from contract_tests.conftest import Target
from contract_tests.drift import DriftRecorder, Evidence, Refuted, evidence_of
from contract_tests.live_budget import PHOTO_TRUE, POLLS_AFTER_TERMINAL, SHORT_SCRIPT, LivePlan, PlannedVideo
from contract_tests.observe import JobObserver
from miraflow.spec import Mode, business_errors, lifecycle

UNKNOWN_AVATAR = "cm-contract-no-such-avatar"
# A job must be seen working at least this often: otherwise the polling is too slow to see progress go down.
MIN_WORKING_POLLS = 3
# The assumption an observer's complaint refutes, by the words of its message (see observe.JobObserver.observe).
_OBSERVER_FACTS = [
    ("went down", "progress-never-decreases"),
    ("is not a percentage", "progress-whole-percent"),
    ("progress on a", "progress-while-working"),
    ("videoId must be present", "video-id-when-complete"),
    ("videoId must differ", "video-id-when-complete"),
    ("not in the spec's enum", "job-status-enum"),
    ("went from", "transition-graph"),
    ("not a success body", "responses-inside-the-spec"),
]


@dataclass(frozen=True)
class Mp4:
    """What a downloaded file shows: its frame aspect, codecs, and a digest of its bytes."""

    aspect: float
    video_codec: str
    audio_codec: str | None
    sha256: str
    size: int


def read_mp4(data: bytes) -> Mp4:
    """Decode an MP4 far enough to know it plays: its first video frame, and its audio stream's codec.

    Raises ValueError when the bytes are not a playable MP4.
    """
    if data[4:8] != b"ftyp":
        raise ValueError(f"not an MP4 (no ftyp box; starts {data[:12]!r})")
    try:
        with av.open(io.BytesIO(data)) as container:
            stream = container.streams.video[0]
            frame = next(container.decode(stream))
            audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
            return Mp4(
                aspect=float(frame.width) / float(frame.height),
                video_codec=stream.codec_context.name,
                audio_codec=audio,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
            )
    except (av.error.FFmpegError, IndexError, StopIteration) as exc:
        raise ValueError(f"does not decode as video: {exc}") from None


@dataclass
class PlannedJob:
    """One planned video as the run saw it."""

    video: PlannedVideo
    avatar: dict[str, Any]
    create: httpx.Response
    observer: JobObserver | None = None
    problems: list[str] = field(default_factory=list)
    next_poll: float = 0.0
    polls_after_terminal: int = 0
    deadline: float = 0.0
    metadata: httpx.Response | None = None
    url_bytes: bytes | None = None

    @property
    def mode(self) -> Mode:
        """The mode the spec says this video's create selects."""
        return self.video.mode

    @property
    def working_polls(self) -> int:
        """How many polls saw the job rendering."""
        spec = lifecycle()
        return sum(o.state == spec.progress_state for o in self.observer.seen) if self.observer else 0


@dataclass
class LiveRun:
    """Everything the plan created and saw, shared by the checks below."""

    plan: LivePlan
    target: Target
    drift: DriftRecorder
    avatars: list[dict[str, Any]]
    jobs: list[PlannedJob]


class Verdicts:
    """Collects the refutations of one test, so that every fact gets its row before the test fails."""

    def __init__(self, drift: DriftRecorder) -> None:
        self.drift = drift
        self.failures: list[str] = []

    def check(self, fact_id: str, holds: bool, evidence: Evidence, should_say: str) -> bool:
        """Record the verdict on `fact_id`; a refutation is kept for `done()` instead of raised at once."""
        try:
            self.drift.check(fact_id, holds, evidence, should_say)
        except Refuted as exc:
            self.failures.append(str(exc))
        return holds

    def add(self, problem: str) -> None:
        """A failure that refutes no fact of its own (say, a create that was never accepted)."""
        self.failures.append(problem)

    def done(self) -> None:
        """Fail with every refutation and problem collected, if any."""
        assert not self.failures, "\n".join(self.failures)


def run_plan(plan: LivePlan, target: Target) -> LiveRun:
    """Create the planned videos (the budget's first spending), polling each job from the moment it exists, to its
    end and a few polls beyond; then fetch each finished video's metadata and its downloadUrl's bytes.
    """
    drift = target.drift
    assert drift is not None, "the plan records its verdicts in the target's drift recorder"
    with target.http() as http:
        listed = http.get("avatars")
    avatars = list(listed.json()["avatars"])
    for video in plan.wanted[len(plan.videos) :]:
        _not_possible(drift, video, f"not in the budget ({plan.budget} videos)")
    if not plan.full_background:
        _not_possible(drift, PHOTO_TRUE, "a full-background video costs more: MIRAFLOW_LIVE_FULL_BACKGROUND=1 adds one")
    jobs = _create_and_poll(plan, target, drift, avatars)
    with target.http() as http:
        for job in jobs:
            if job.observer is not None and job.observer.video_id and job.observer.complete:
                try:
                    job.metadata = http.get(f"video/{job.observer.video_id}")
                    url = _json(job.metadata).get("downloadUrl")
                    if url:
                        job.url_bytes = httpx.get(str(url), timeout=120).content
                except Refuted as exc:
                    job.problems.append(str(exc))
    return LiveRun(plan, target, drift, avatars, jobs)


def _create(
    target: Target, drift: DriftRecorder, http: httpx.Client, video: PlannedVideo, avatars: list[dict[str, Any]]
) -> PlannedJob | None:
    """Spend one create of the budget on `video`; None when the account has no avatar of its kind."""
    avatar = next((a for a in avatars if bool(a.get("isPhoto")) == video.avatar_is_photo), None)
    if avatar is None:
        _not_possible(drift, video, f"the account lists no {'photo' if video.avatar_is_photo else 'video'} avatar")
        return None
    target.budget.take()
    body = {"avatarId": avatar["id"], "name": f"contract {video.mode.name}", "text": SHORT_SCRIPT}
    body["im2vid_full"] = video.im2vid_full
    sent = time.monotonic()
    try:
        response = http.post("video/create", json=body)
    except Refuted as exc:  # outside the spec: recorded; the checks report it
        return PlannedJob(video, avatar, httpx.Response(599), problems=[str(exc)])
    received = time.monotonic()
    job = PlannedJob(video, avatar, response)
    answer = _json(response)
    if response.status_code == 200 and answer.get("result") == "success" and answer.get("jobId"):
        job.observer = JobObserver(str(answer["jobId"]), video.mode, sent, received)
        job.deadline = received + video.mode.duration.max * target.time_scale * 3 + 30
    return job


def _not_possible(drift: DriftRecorder, video: PlannedVideo, why: str) -> None:
    for fact_id in _facts_of(video):
        drift.not_exercised(fact_id, f"{video.label}: {why}")


def _facts_of(video: PlannedVideo) -> list[str]:
    if not video.avatar_is_photo:
        return ["im2vid-full-ignored-for-video-avatars", *["video-avatar-duration-and-aspect"] * 2]
    if video.im2vid_full:
        return ["im2vid-full-true-full-background", "full-background-aspect-16-9", "full-background-duration-bounds"]
    return ["im2vid-full-false-face-cropped", "face-cropped-aspect-1-1", "face-cropped-duration-bounds"]


def _create_and_poll(
    plan: LivePlan, target: Target, drift: DriftRecorder, avatars: list[dict[str, Any]]
) -> list[PlannedJob]:
    """Create the planned videos one by one and poll every job at its mode's interval, from its create until it is
    terminal and has been seen so a few more times. A due poll goes before the next create, so a job is watched
    from the start even when creates are slow.
    """
    jobs: list[PlannedJob] = []
    pending = list(plan.videos)
    active: list[PlannedJob] = []
    with target.http() as http:
        while pending or active:
            now = time.monotonic()
            due = min(active, key=lambda j: j.next_poll) if active else None
            if pending and (due is None or due.next_poll > now):
                created = _create(target, drift, http, pending.pop(0), avatars)
                if created is not None:
                    jobs.append(created)
                    if created.observer is not None:
                        active.append(created)
                continue
            assert due is not None
            time.sleep(max(0.0, due.next_poll - time.monotonic()))
            observer = due.observer
            assert observer is not None
            if time.monotonic() > due.deadline:
                due.problems.append(f"{observer.job_id} was not terminal within 3× its mode's longest render")
                active.remove(due)
                continue
            try:
                sent = time.monotonic()
                response = http.get(f"video/{observer.job_id}/status")
                received = time.monotonic()
                _observe(due, drift, response, sent, received)
            except (Refuted, AssertionError) as exc:
                due.problems.append(str(exc))
                active.remove(due)
                continue
            if observer.terminal:
                due.polls_after_terminal += 1
                if due.polls_after_terminal > POLLS_AFTER_TERMINAL:
                    active.remove(due)
            due.next_poll = time.monotonic() + plan.poll_interval(due.mode)
    return jobs


def _observe(
    job: PlannedJob, drift: DriftRecorder | None, response: httpx.Response, sent: float, received: float
) -> None:
    """Hand one status to the job's observer; a complaint refutes the fact it concerns."""
    observer = job.observer
    assert observer is not None and drift is not None
    evidence = evidence_of(response)
    was_terminal = observer.terminal
    try:
        observer.observe(sent, received, _json(response))
    except AssertionError as exc:
        message = str(exc).splitlines()[0]
        if was_terminal:
            raise drift.refute(
                "terminal-states-absorbing",
                evidence,
                f"a terminal status can change ({message}): drop terminal-states-absorbing and list the transition",
            ) from None
        fact_id = next((fact for words, fact in _OBSERVER_FACTS if words in message), "transition-graph")
        raise drift.refute(fact_id, evidence, message) from None


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _photo_modes() -> dict[str, Mode]:
    return {mode.name: mode for mode in lifecycle().modes.values() if mode.avatar_is_photo}


def check_modes(live_run: LiveRun) -> None:
    """Each planned video was accepted and rendered the mode its im2vid_full selects: an explicit false on a photo
    avatar is face-cropped, an explicit true full background (opt-in), and a video avatar given true is neither
    refused nor changed. The mode shows in the MP4's frame aspect and in the time the job took.
    """
    verdicts = Verdicts(live_run.drift)
    if not live_run.jobs:
        pytest.skip("no planned video could be created (see the drift report)")
    for job in live_run.jobs:
        video, mode, response = job.video, job.mode, job.create
        answer = _json(response)
        accepted = response.status_code == 200 and answer.get("result") == "success" and bool(answer.get("jobId"))
        if not video.avatar_is_photo:
            verdicts.check(
                "im2vid-full-ignored-for-video-avatars",
                accepted,
                evidence_of(response),
                "a create for a video avatar with im2vid_full: true is accepted like any other",
            )
        verdicts.check(
            "create-answers-job-id",
            accepted or not video.avatar_is_photo,
            evidence_of(response),
            "an accepted create answers {result: success, jobId}",
        )
        if not accepted or job.observer is None:
            verdicts.add(f"{video.label}: the create was not accepted: {response.status_code} {response.text[:200]}")
            continue
        observer = job.observer
        if not observer.complete:
            state = observer.seen[-1].state if observer.seen else "never polled"
            verdicts.add(f"{video.label}: job {observer.job_id} ended {state}: {'; '.join(job.problems)}")
            continue
        if job.url_bytes is None:
            verdicts.add(f"{video.label}: no downloadUrl bytes to look at: {'; '.join(job.problems)}")
            continue
        try:
            mp4 = read_mp4(job.url_bytes)
        except ValueError as exc:
            verdicts.check(
                "download-is-mp4",
                False,
                Evidence("GET downloadUrl", 200, str(exc)),
                "the downloadUrl serves a playable MP4",
            )
            continue
        at_least, at_most = observer.completion_window()
        rendered = f"{video.label}: {mp4.aspect:.3f} aspect, rendered in {at_least:.3f}–{at_most:.3f} s"
        seen = Evidence(f"GET downloadUrl of {observer.video_id}", 200, rendered)
        _check_mode(verdicts, video, mode, mp4, observer, seen, live_run.plan.time_scale)
    verdicts.done()


def _check_mode(
    verdicts: Verdicts,
    video: PlannedVideo,
    mode: Mode,
    mp4: Mp4,
    observer: JobObserver,
    seen: Evidence,
    time_scale: float,
) -> None:
    """Tell a wrong mode (the API broke the guide's promise) from a wrong aspect or duration (our guess was off)."""
    mode_fact, aspect_fact, duration_fact = _facts_of(video)
    tolerance = 0.02
    slack = 0.05 if time_scale < 1 else 15.0

    def aspect_of(candidate: Mode) -> bool:
        return abs(mp4.aspect - candidate.aspect_ratio) <= tolerance * candidate.aspect_ratio

    def took(candidate: Mode) -> bool:
        at_least, at_most = observer.completion_window()
        expected = candidate.duration.scaled(time_scale)
        return at_most >= expected.min - slack and at_least <= expected.max + slack

    others = [m for m in _photo_modes().values() if m.name != mode.name] if video.avatar_is_photo else []
    if not video.avatar_is_photo:
        # A video avatar's output must not take on a photo mode's shape because im2vid_full was sent.
        others = [m for m in _photo_modes().values() if m.aspect != mode.aspect]
    wrong = next((m for m in others if aspect_of(m) and not aspect_of(mode)), None)
    if wrong is not None:
        verdicts.check(mode_fact, False, seen, f"{video.label} renders {mode.name} output, not {wrong.name}")
        return
    slower = next((m for m in others if took(m) and not took(mode)), None)
    if slower is not None and video.avatar_is_photo:
        verdicts.check(mode_fact, False, seen, f"{video.label} renders {mode.name}, not as long as {slower.name}")
        return
    verdicts.check(mode_fact, True, seen, "")
    verdicts.check(
        aspect_fact,
        aspect_of(mode),
        seen,
        f"{mode.name} output's aspect is {mp4.aspect:.3f}, not {mode.aspect[0]}:{mode.aspect[1]}",
    )
    at_least, at_most = observer.completion_window()
    verdicts.check(
        duration_fact,
        took(mode),
        seen,
        f"{mode.name} renders in {at_least / time_scale:.0f}–{at_most / time_scale:.0f} s, outside "
        f"{mode.duration.min:g}–{mode.duration.max:g} s",
    )


def check_lifecycle(live_run: LiveRun) -> None:
    """Every poll of every planned job: a status of the spec's enum, progress a whole percent that never goes down,
    transitions the lifecycle allows, a videoId once complete, and a terminal status that never changes again.
    """
    verdicts = Verdicts(live_run.drift)
    spec = lifecycle()
    observed = [job for job in live_run.jobs if job.observer is not None and job.observer.seen]
    if not observed:
        pytest.skip("no planned job was polled (see the drift report)")
    for job in observed:
        observer = job.observer
        assert observer is not None
        for problem in job.problems:
            verdicts.add(f"{job.video.label}: {problem}")
        if job.problems:
            continue
        last = observer.seen[-1]
        seen = Evidence(
            f"GET /api/video/{observer.job_id}/status ×{len(observer.seen)}",
            200,
            f"{job.working_polls} polls saw {spec.progress_state}; last {last.body}",
        )
        for fact_id in ("job-status-enum", "transition-graph", "progress-whole-percent"):
            live_run.drift.confirm(fact_id, seen)
        if job.working_polls >= 2:
            live_run.drift.confirm("progress-never-decreases", seen)
            live_run.drift.confirm("progress-while-working", seen)
        if observer.complete and job.working_polls < MIN_WORKING_POLLS:
            verdicts.add(
                f"{job.video.label}: seen working only {job.working_polls} times; poll more often than every "
                f"{live_run.plan.poll_interval(job.mode):.3g} s to see progress move"
            )
        if observer.complete:
            live_run.drift.confirm("video-id-when-complete", seen)
            if job.polls_after_terminal > 1:
                live_run.drift.confirm("terminal-states-absorbing", seen)
            extra = sorted(set(last.body) - {"result", "status", "videoId", "videoUrl"})
            urls = [key for key in extra if str(last.body[key]).startswith("http")]
            verdicts.check(
                "complete-status-video-url",
                not urls,
                seen,
                f"the complete status's URL is `{urls[0] if urls else ''}`, not `videoUrl`",
            )
    verdicts.done()


def check_downloads(live_run: LiveRun) -> None:
    """`GET /api/video/{videoId}/download` answers 200 video/mp4 with the bytes of a playable MP4, the same file as
    the signed downloadUrl; its bytes are fetched around Prism's proxy, which corrupts binary bodies.
    """
    target = live_run.target
    verdicts = Verdicts(live_run.drift)
    done = [job for job in live_run.jobs if job.observer is not None and job.observer.complete and job.url_bytes]
    if not done:
        pytest.skip("no planned video completed (see the drift report)")
    for job in done:
        video_id = job.observer.video_id if job.observer else None
        with target.http() as http:
            proxied = http.get(f"video/{video_id}/download")
        verdicts.check(
            "download-is-mp4", proxied.status_code == 200, evidence_of(proxied), "the download answers 200 with the MP4"
        )
        # Around Prism's proxy (it decodes binary bodies as UTF-8): the API root itself, with the key.
        direct_root = target.keyless_api_root if target.bytes_from_download_url else None
        with httpx.Client(headers={"x-api-key": target.api_key}, timeout=120) as plain:
            direct = plain.get(f"{direct_root or target.api_root}/video/{video_id}/download")
        try:
            mp4 = read_mp4(direct.content)
        except ValueError as exc:
            verdicts.check(
                "download-is-mp4",
                False,
                evidence_of(direct, f"{len(direct.content)} bytes, {exc}"),
                "the download's bytes are a playable MP4",
            )
            continue
        reference = read_mp4(job.url_bytes or b"")
        same = mp4.sha256 == reference.sha256
        excerpt = f"{mp4.size} bytes, sha256 {mp4.sha256[:16]}…; downloadUrl {reference.size} bytes"
        verdicts.check(
            "download-is-mp4",
            same and direct.status_code == 200,
            evidence_of(direct, excerpt),
            f"the download is the downloadUrl's file (sha256 {reference.sha256[:16]}…)",
        )
        codecs = f"video {mp4.video_codec}, audio {mp4.audio_codec}"
        verdicts.check(
            "download-codec-h264-aac",
            (mp4.video_codec, mp4.audio_codec) == ("h264", "aac"),
            evidence_of(direct, codecs),
            f"the download's codecs are {codecs}",
        )
        length = direct.headers.get("content-length")  # Prism's proxy re-encodes the body: its length is not the file's
        verdicts.check(
            "download-content-length",
            length is not None and int(length) == mp4.size,
            evidence_of(direct, f"Content-Length {length}; {mp4.size} bytes"),
            "the download has no (or another) Content-Length",
        )
    verdicts.done()


def check_business_errors(live_run: LiveRun) -> None:
    """A create for an avatar that does not exist (it costs nothing) is a `{result: failure}` body saying "Avatar not
    found"; whether it arrives in a 2xx or a 4xx answer is compared with the spec's x-business-errors.
    """
    verdicts = Verdicts(live_run.drift)
    placement = business_errors()
    with live_run.target.http() as http:
        response = http.post("video/create", json={"avatarId": UNKNOWN_AVATAR, "name": "contract", "text": "Hi!"})
    body = _json(response)
    seen = evidence_of(response)
    verdicts.check(
        "business-failure-in-body",
        body.get("result") == "failure" and "Avatar not found" in str(body.get("error")),
        seen,
        '{"result": "failure", "error": "Avatar not found"}',
    )
    used = "2xx" if 200 <= response.status_code < 300 else "4xx"
    verdicts.check(
        "business-errors-placement",
        used == placement.default,
        seen,
        f"x-business-errors default: {used} (business failures arrive in {used} answers)",
    )
    if used == "4xx":
        expected = placement.status_for("Avatar not found")
        verdicts.check(
            "business-errors-404",
            response.status_code == expected,
            seen,
            f"an unknown avatar in a create is a {response.status_code}, not {expected}",
        )
    else:
        live_run.drift.not_exercised("business-errors-404", "the API answers business failures in a 2xx body")
    live_run.drift.not_exercised("business-errors-400", "needs an account without credits (never spent on purpose)")
    verdicts.done()


def check_inside_the_spec(live_run: LiveRun) -> None:
    """The lists and the planned videos' metadata carry the documented fields (avatars with isPhoto, videos with
    sourceAvatarId and a date-time createdAt, voices under the key the spec admits); every response of the run was
    checked against the spec as it arrived.
    """
    verdicts = Verdicts(live_run.drift)
    with live_run.target.http() as http:
        avatars, voices, videos = http.get("avatars"), http.get("voices"), http.get("videos")
    required = {"id", "name", "createdAt", "voiceId", "isPhoto"}
    listed = _json(avatars).get("avatars", [])
    lacking = [a.get("id") for a in listed if not required <= set(a)]
    verdicts.check(
        "avatar-fields",
        bool(listed) and not lacking,
        evidence_of(avatars),
        f"avatars carry {', '.join(sorted(required))} (these lack some: {lacking})",
    )
    keys = set(_json(voices)) & {"voices", "avatars"}
    verdicts.check(
        "voices-list-key",
        len(keys) == 1,
        evidence_of(voices),
        "the voices list sits under exactly one of `voices` and `avatars`",
    )
    listed_videos = {v.get("id"): v for v in _json(videos).get("videos", [])}
    complete = [job for job in live_run.jobs if job.observer and job.observer.complete and job.metadata is not None]
    for job in complete:
        video_id = job.observer.video_id if job.observer else None
        verdicts.check(
            "videos-lists-completed",
            video_id in listed_videos,
            evidence_of(videos),
            f"GET /api/videos lists the completed video {video_id}",
        )
        meta = _json(job.metadata) if job.metadata is not None else {}
        fields = {"id", "name", "sourceAvatarId", "createdAt", "downloadUrl"}
        verdicts.check(
            "video-metadata-fields",
            fields <= set(meta) and meta.get("sourceAvatarId") == job.avatar["id"],
            evidence_of(job.metadata) if job.metadata is not None else Evidence("GET video", None, ""),
            f"the metadata carries {', '.join(sorted(fields))}, sourceAvatarId the avatar used",
        )
        for value in (meta.get("createdAt"), listed_videos.get(video_id, {}).get("createdAt")):
            verdicts.check(
                "created-at-date-time",
                _is_date_time(value),
                Evidence(f"GET /api/video/{video_id}", 200, f"createdAt {value!r}"),
                f"createdAt is {value!r}: type it `format: date`, as the docs do",
            )
    if not complete:
        for fact_id in ("videos-lists-completed", "video-metadata-fields", "created-at-date-time"):
            live_run.drift.not_exercised(fact_id, "no planned video completed")
    verdicts.done()


def _is_date_time(value: Any) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True
