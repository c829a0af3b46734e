"""The simulated service's state and rules: tenants, credits, jobs, videos and uploads.

No HTTP here: the handlers parse requests, call these methods and serialise what they return; a broken rule raises
`ApiError` with the status and message the API would answer.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import secrets
import string
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from miraflow.spec import Mode, lifecycle
from miraflow_mock.simulator import jobs as joblib
from miraflow_mock.simulator.catalog import StockAvatar
from miraflow_mock.simulator.clock import Clock, ManualClock, iso
from miraflow_mock.simulator.config import SimulatorConfig
from miraflow_mock.simulator.jobs import Job, JobView, SlotSchedule, plan_job
from miraflow_mock.simulator.pricing import cost
from miraflow_mock.simulator.scenarios import ScenarioBook
from miraflow_mock.simulator.store import Store
from miraflow_mock.simulator.user_catalog import Catalog

__all__ = ["ApiError", "Backend", "Tenant", "Upload"]

_ID_ALPHABET = string.ascii_lowercase + string.digits


class ApiError(Exception):
    """A request the API refuses: answered as `{"result": "failure", "error": message}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Tenant:
    """An account."""

    key: str
    name: str
    credits: int


@dataclass
class Upload:
    """An audio upload: reserved by initialize, filled by the PUT, closed by finalize."""

    id: str
    tenant: str
    file_name: str
    content_type: str
    declared_size: int
    created_at: float
    received: int | None = None
    finalized: bool = False
    audio_seconds: float | None = None

    def to_record(self) -> dict[str, Any]:
        """A JSON-able record, for persistence."""
        return dict(self.__dict__)


class Backend:
    """The simulated service. Called from one event loop; rendering runs in threads and touches only files."""

    def __init__(self, config: SimulatorConfig, clock: Clock, store: Store, files: Path) -> None:
        self.config = config
        self.clock = clock
        self.store = store
        self.files = files
        (files / "videos").mkdir(parents=True, exist_ok=True)
        (files / "uploads").mkdir(parents=True, exist_ok=True)
        self.lifecycle = lifecycle()
        self._render_locks: dict[str, threading.Lock] = {}
        self._render_guard = threading.Lock()
        self._reset_state()
        self._restore()

    # --- state -------------------------------------------------------------------------------------------------

    def _reset_state(self) -> None:
        self.rng = random.Random(self.config.seed)
        self.secret = self.rng.randbytes(32) if self.config.seed is not None else secrets.token_bytes(32)
        self.tenants: dict[str, Tenant] = {t.key: Tenant(t.key, t.name, t.credits) for t in self.config.tenants}
        self.jobs: dict[str, Job] = {}
        self.jobs_by_tenant: dict[str, list[Job]] = {key: [] for key in self.tenants}
        self.videos: dict[str, Job] = {}  # videoId → its job (visible only once the job is complete)
        self.uploads: dict[str, Upload] = {}
        self.slots: dict[str, SlotSchedule] = {key: SlotSchedule(self.config.workers) for key in self.tenants}
        self.catalog = Catalog(self.config.catalog)  # the stock avatars and voices, the file's and the admin API's
        self.scenarios = ScenarioBook()  # POST /__admin/scenarios

    def _restore(self) -> None:
        saved = self.store.load()
        if not saved["meta"]:
            self._persist_initial()
            return
        self.secret = bytes.fromhex(saved["meta"]["secret"])
        if isinstance(self.clock, ManualClock):
            self.clock.set(float(saved["meta"].get("manual_now", 0.0)))
        for key, info in saved["tenants"].items():
            self._add_tenant(key, info["name"], info["credits"], persist=False)
        for record in saved["jobs"]:
            self._index_job(Job.from_record(record))
        for record in saved["uploads"]:
            upload = Upload(**record)
            self.uploads[upload.id] = upload
        if "catalog" in saved["meta"]:
            self.catalog.restore(saved["meta"]["catalog"])
        # A seeded generator restarts at its beginning: move it on past what the earlier run drew.
        self.rng = random.Random(f"{self.config.seed}:{len(self.jobs)}:{len(self.uploads)}")

    def _persist_initial(self) -> None:
        self.store.save_meta("secret", self.secret.hex())
        for tenant in self.tenants.values():
            self.store.save_tenant(tenant.key, tenant.name, tenant.credits)

    def reset(self) -> None:
        """Back to the state at start: configured tenants and credits, nothing else; a manual clock back to 0."""
        self.store.clear()
        self._reset_state()
        if isinstance(self.clock, ManualClock):
            self.clock.set(0.0)
        for folder in ("videos", "uploads"):
            for path in (self.files / folder).iterdir():
                path.unlink(missing_ok=True)
        self._persist_initial()

    def _add_tenant(self, key: str, name: str, credits: int, *, persist: bool = True) -> Tenant:
        tenant = self.tenants.get(key)
        if tenant is None:
            tenant = self.tenants[key] = Tenant(key, name, credits)
            self.jobs_by_tenant.setdefault(key, [])
            if key not in self.slots:
                self.slots[key] = SlotSchedule(self.config.workers)
        tenant.credits = credits
        if persist:
            self.store.save_tenant(key, tenant.name, credits)
        return tenant

    def set_tenant(self, key: str, credits: int, name: str | None = None) -> Tenant:
        """Add a tenant, or set an existing tenant's credits (admin)."""
        existing = self.tenants.get(key)
        if existing is not None and name:
            existing.name = name
        default_name = existing.name if existing else f"tenant-{len(self.tenants) + 1}"
        return self._add_tenant(key, name or default_name, credits)

    def _index_job(self, job: Job) -> None:
        self.jobs[job.id] = job
        self.jobs_by_tenant.setdefault(job.tenant, []).append(job)
        self.videos[job.video_id] = job
        if job.tenant not in self.slots:  # not setdefault: building a schedule costs O(workers)
            self.slots[job.tenant] = SlotSchedule(self.config.workers)
        self.slots[job.tenant].occupy(job.slot, job.ended_at)

    def new_id(self) -> str:
        """A fresh id shaped like the API's (a 25-character cuid), reproducible under `--seed`, never reused."""
        while True:
            candidate = "c" + "".join(self.rng.choice(_ID_ALPHABET) for _ in range(24))
            if candidate not in self.jobs and candidate not in self.videos and candidate not in self.uploads:
                return candidate

    # --- auth ----------------------------------------------------------------------------------------------------

    def authenticate(self, key: str | None) -> Tenant:
        """The tenant that owns `key`; 401 if the key is missing or unknown."""
        if key:
            tenant = self.tenants.get(key)
            if tenant is not None:
                return tenant
            if self.config.has_bug("accept-any-key"):
                return next(iter(self.tenants.values()))
        raise ApiError(401, "Invalid API key")

    # --- catalog -------------------------------------------------------------------------------------------------

    def avatars(self) -> list[StockAvatar]:
        """The avatars every tenant sees."""
        return [self.catalog.known_avatar(avatar["id"]) for avatar in self.catalog.avatars()]

    def avatar(self, avatar_id: str, tenant: Tenant | None = None) -> StockAvatar:
        """An avatar by id (among those `tenant` sees); 404 "Avatar not found" otherwise."""
        avatar = self.catalog.avatar(tenant.key if tenant else None, avatar_id)
        if avatar is None:
            raise ApiError(404, "Avatar not found")
        return avatar

    # --- jobs ----------------------------------------------------------------------------------------------------

    def create_video(
        self, tenant: Tenant, *, avatar_id: str, name: str, text: str, voice_id: str | None, im2vid_full: bool | None
    ) -> Job:
        """Start a job speaking `text` and charge its credits.

        404 for an unknown avatar or voice; 400 for too few credits; then nothing is charged.
        """
        from miraflow_mock.simulator.render import speech_seconds

        avatar = self.avatar(avatar_id, tenant)
        if voice_id is not None and not self.catalog.has_voice(tenant.key, voice_id):
            raise ApiError(404, "Voice not found")
        if not text.strip():
            raise ApiError(400, "text must not be blank")
        if self.config.has_bug("ignore-im2vid-full"):
            im2vid_full = None
        mode = self.lifecycle.mode_for(is_photo=avatar.is_photo, im2vid_full=im2vid_full)
        return self._start_job(tenant, avatar, name, mode, speech_seconds(text), media_id=None)

    def create_video_from_audio(
        self, tenant: Tenant, *, avatar_id: str, name: str, media_id: str, im2vid_full: bool | None = None
    ) -> Job:
        """Start a job lip-syncing a finalized upload; charges by the audio's length (and the mode, as a script)."""
        avatar = self.avatar(avatar_id, tenant)
        upload = self._upload(tenant, media_id)
        if not upload.finalized or upload.audio_seconds is None:
            raise ApiError(400, "media is not finalized: call /api/media/finalize first")
        if self.config.has_bug("ignore-im2vid-full"):
            im2vid_full = None
        mode = self.lifecycle.mode_for(is_photo=avatar.is_photo, im2vid_full=im2vid_full)
        return self._start_job(tenant, avatar, name, mode, upload.audio_seconds, media_id=media_id)

    def _start_job(
        self, tenant: Tenant, avatar: StockAvatar, name: str, mode: Mode, seconds: float, media_id: str | None
    ) -> Job:
        price = cost(mode, seconds)
        if price > tenant.credits:
            raise ApiError(400, "not enough credits")
        rule = self.scenarios.match(tenant_name=tenant.name, avatar_id=avatar.id, name=name, mode=mode.name)
        job = plan_job(
            rng=self.rng,
            job_id=self.new_id(),
            video_id=self.new_id(),
            tenant=tenant.key,
            avatar_id=avatar.id,
            name=name,
            mode=mode,
            cost=price,
            speech_seconds=seconds,
            now=self.clock.now(),
            slots=self.slots[tenant.key],
            time_scale=self.config.time_scale,
            fail_rate=self.config.fail_rate,
            media_id=media_id,
            planner=self.config.calibration,
            script=rule.script if rule else None,
        )
        if rule is not None:
            self.scenarios.applied(rule, job.id, job.video_id)
        tenant.credits -= price
        self._index_job(job)
        self.store.save_tenant(tenant.key, tenant.name, tenant.credits)
        self.store.save_job(job.to_record())
        return job

    def _visible(self, tenant: Tenant, owner: str) -> bool:
        return owner == tenant.key or self.config.has_bug("cross-tenant-leak")

    def job(self, tenant: Tenant, job_id: str) -> Job:
        """A tenant's job; 404 "Job not found" for an unknown id or another tenant's job."""
        job = self.jobs.get(job_id)
        if job is None or not self._visible(tenant, job.tenant):
            raise ApiError(404, "Job not found")
        return job

    def view(self, job: Job) -> JobView:
        """A job's state now (with the `--bug`s that distort it)."""
        now = self.clock.now()
        seen = joblib.view(job, now, spec=self.lifecycle)
        if (
            self.config.has_bug("terminal-not-absorbing")
            and seen.state in self.lifecycle.failure_states
            and now >= job.ended_at + job.duration / 2
        ):
            return JobView(self.lifecycle.success_state, None)
        if self.config.has_bug("progress-regress") and seen.progress is not None:
            job.polls += 1
            if job.polls % 2 == 0:
                return JobView(seen.state, seen.progress // 2)
        return seen

    def status(self, tenant: Tenant, job_id: str) -> tuple[JobView, str | None]:
        """What `GET /api/video/{jobId}/status` reports: the job's state and progress, and its videoId once complete."""
        job = self.job(tenant, job_id)
        seen = self.view(job)
        if seen.state == self.lifecycle.success_state and not self.config.has_bug("missing-video-id"):
            return seen, job.video_id
        return seen, None

    def completed_video(self, tenant: Tenant, video_id: str) -> Job:
        """The job behind a tenant's completed video; 404 "Video not found" until it is complete."""
        job = self.videos.get(video_id)
        if job is None or not self._visible(tenant, job.tenant) or not self._complete(job):
            raise ApiError(404, "Video not found")
        return job

    def _complete(self, job: Job) -> bool:
        return self.view(job).state == self.lifecycle.success_state

    def completed_videos(self, tenant: Tenant) -> list[Job]:
        """A tenant's completed videos, oldest first."""
        owners = (
            self.jobs_by_tenant.values()
            if self.config.has_bug("cross-tenant-leak")
            else [self.jobs_by_tenant.get(tenant.key, [])]
        )
        done = [job for jobs in owners for job in jobs if self._complete(job)]
        return sorted(done, key=lambda job: job.ended_at)

    def video_json(self, job: Job) -> dict[str, Any]:
        """A completed video as `GET /api/videos` lists it."""
        return {
            "id": job.video_id,
            "name": job.name,
            "sourceAvatarId": job.avatar_id,
            "createdAt": iso(self.clock.to_datetime(job.ended_at)),
        }

    def avatar_of(self, job: Job) -> StockAvatar:
        """The avatar a job speaks through."""
        return self.catalog.known_avatar(job.avatar_id)

    # --- files ---------------------------------------------------------------------------------------------------

    def video_path(self, job: Job) -> Path:
        """The job's MP4, rendered on first use (call from a worker thread: rendering takes a while)."""
        from miraflow_mock.simulator.render import render_video

        path = self.files / "videos" / f"{job.video_id}.mp4"
        if path.exists():
            return path
        with self._render_guard:
            lock = self._render_locks.setdefault(job.video_id, threading.Lock())
        with lock:
            if not path.exists():
                mode = self.lifecycle.mode(job.mode)
                audio = self.files / "uploads" / job.media_id if job.media_id else None
                render_video(
                    path,
                    title=self.catalog.known_avatar(job.avatar_id).name,
                    subtitle=mode.name.replace("_", " "),
                    aspect=mode.aspect,
                    seconds=job.speech_seconds,
                    seed=job.seed,
                    audio=audio,
                )
        return path

    def sign(self, path: str, expires: int) -> str:
        """The signature of a file URL's path and expiry."""
        return hmac.new(self.secret, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()[:32]

    def signed_query(self, path: str) -> str:
        """`expires=...&signature=...` for a URL to `path`, valid for the configured time."""
        expires = int(self.clock.now() + self.config.url_ttl)
        return f"expires={expires}&signature={self.sign(path, expires)}"

    def check_signature(self, path: str, expires: str | None, signature: str | None) -> None:
        """403 unless the signature matches and has not expired."""
        if not expires or not signature or not expires.isdigit():
            raise ApiError(403, "missing signature")
        if not hmac.compare_digest(self.sign(path, int(expires)), signature):
            raise ApiError(403, "bad signature")
        if int(expires) < self.clock.now():
            raise ApiError(403, "link expired; fetch a fresh downloadUrl")

    # --- uploads -------------------------------------------------------------------------------------------------

    def initialize_upload(self, tenant: Tenant, *, file_name: str, content_type: str, file_size: int) -> Upload:
        """Reserve an upload of `file_size` bytes."""
        upload = Upload(self.new_id(), tenant.key, file_name, content_type, file_size, self.clock.now())
        self.uploads[upload.id] = upload
        self.store.save_upload(upload.to_record())
        return upload

    def _upload(self, tenant: Tenant, media_id: str) -> Upload:
        upload = self.uploads.get(media_id)
        if upload is None or not self._visible(tenant, upload.tenant):
            raise ApiError(404, "Media not found")
        return upload

    def receive_upload(self, media_id: str, data: bytes) -> None:
        """Store the bytes PUT to an upload URL (the URL's signature was checked by the caller)."""
        upload = self.uploads.get(media_id)
        if upload is None:
            raise ApiError(404, "Media not found")
        if upload.finalized:
            raise ApiError(409, "upload already finalized")
        if len(data) > upload.declared_size:
            raise ApiError(400, f"upload is {len(data)} bytes but initialize said {upload.declared_size}")
        (self.files / "uploads" / media_id).write_bytes(data)
        upload.received = len(data)
        self.store.save_upload(upload.to_record())

    def finalize_upload(self, tenant: Tenant, media_id: str) -> None:
        """Close an upload: its size must match and it must be decodable audio."""
        from miraflow_mock.simulator.render import probe_audio_seconds

        upload = self._upload(tenant, media_id)
        if upload.finalized:
            return
        if upload.received is None:
            raise ApiError(400, "nothing was uploaded: PUT the file to uploadUrl first")
        if upload.received != upload.declared_size:
            raise ApiError(400, f"uploaded {upload.received} bytes but initialize said {upload.declared_size}")
        try:
            upload.audio_seconds = probe_audio_seconds(self.files / "uploads" / media_id)
        except (ValueError, OSError):
            # The renderer's message names a server-side path: not for the client.
            raise ApiError(400, "the upload is not audio the service can decode") from None
        upload.finalized = True
        self.store.save_upload(upload.to_record())

    # --- admin ---------------------------------------------------------------------------------------------------

    def job_admin_json(self, job: Job) -> dict[str, Any]:
        """A job as `GET /__admin/jobs` shows it (times on the simulator's clock)."""
        seen = joblib.view(job, self.clock.now(), spec=self.lifecycle)
        started = job.started_at if self.clock.now() >= job.started_at else None
        return {
            "jobId": job.id,
            "tenant": self.tenants[job.tenant].name if job.tenant in self.tenants else None,
            "avatarId": job.avatar_id,
            "name": job.name,
            "mode": job.mode,
            "state": seen.state,
            "progress": seen.progress,
            "videoId": job.video_id if seen.state == self.lifecycle.success_state else None,
            "cost": job.cost,
            "createdAt": job.created_at,
            "startedAt": started,
            "completedAt": job.ended_at if self.lifecycle.is_terminal(seen.state) else None,
            "durationSeconds": job.duration,
            # Its planned future, fixed at creation: when it gets a render slot, when it ends and how.
            "plan": {"slot": job.slot, "startAt": job.started_at, "endAt": job.ended_at, "outcome": job.outcome},
        }
