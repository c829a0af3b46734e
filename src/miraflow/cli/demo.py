"""`miraflow demo`: the marketing-campaign flow of Miraflow's photo-avatar guide, end to end, through the SDK.

List the avatars, pick a photo avatar, make a face-cropped preview, then a full-background video, each with a live
progress bar, download both MP4s, and print a summary: job and video ids, modes, durations, files and sizes, and the
status calls made (counted with the waiter's `on_progress`: one per status the SDK received).

Without a key it starts the local simulator (a subprocess, stopped at the end, on failure and on Ctrl-C) at a time
scale that makes the guide's 5–10 minute full-background render take seconds, and passes the same scale to the
SDK's waiter. With a key it uses that account, after a prompt, because that costs credits.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import typer

from miraflow import Avatar, JobStatus, Miraflow
from miraflow.cli.connection import connect
from miraflow.cli.errors import API_KEY_ENV, CLIError, ExitCode, Reporter
from miraflow.cli.folders import output_folder
from miraflow.cli.mp4 import mp4_duration
from miraflow.cli.output import Output, human_size, job_json, status_json
from miraflow.cli.simulator import start_simulator
from miraflow.spec import lifecycle

__all__ = ["DEMO_SEED", "DEMO_TIME_SCALE", "DemoOptions", "DemoVideo", "run"]

DEMO_TIME_SCALE = 0.02
"""The simulator's time scale: a 60–120 s preview takes 1.2–2.4 s, a 300–600 s full-background video 6–12 s."""
DEMO_SEED = 1
_DEMO_CREDITS = 100
_SIMULATOR_WAIT_LIMIT = 120.0  # seconds of wall time: a safety net on the simulator, never reached normally


@attrs.frozen
class DemoOptions:
    """What `miraflow demo` was asked for."""

    out_dir: Path
    yes: bool = False
    avatar: str | None = None
    time_scale: float | None = None
    seed: int | None = DEMO_SEED
    api_key: str | None = None
    base_url: str | None = None


@attrs.frozen
class _Step:
    """One video of the guide's campaign: its name and script are the guide's own."""

    role: str
    title: str
    name: str
    text: str
    full_background: bool
    file_name: str
    guide_interval: float  # the guide's fixed polling interval for this video, in seconds


_STEPS = (
    _Step(
        role="preview",
        title="Face-cropped preview",
        name="Marketing Preview - Face Cropped",
        text="Hi there! This is a quick preview of our new product features.",
        full_background=False,
        file_name="preview-face-cropped.mp4",
        guide_interval=5.0,
    ),
    _Step(
        role="final",
        title="Full-background video",
        name="Marketing Campaign - Full Background",
        text="Welcome to our revolutionary platform! Let me personally show you how our solution can transform your "
        "business and drive incredible results.",
        full_background=True,
        file_name="marketing-full-background.mp4",
        guide_interval=15.0,
    ),
)


@attrs.frozen
class DemoVideo:
    """One video the demo made."""

    role: str
    title: str
    name: str
    job_id: str
    video_id: str
    mode: str
    aspect: str
    render_seconds: float
    time_scale: float
    video_seconds: float | None
    path: Path
    size: int
    status_calls: int
    guide_interval: float
    guide_status_calls: int

    @property
    def service_seconds(self) -> float:
        """The render time at the service's speed (the measured time over the time scale)."""
        return self.render_seconds / self.time_scale

    def to_json(self) -> dict[str, Any]:
        """The video as the JSON summary shows it."""
        return {
            "role": self.role,
            "name": self.name,
            "jobId": self.job_id,
            "videoId": self.video_id,
            "mode": self.mode,
            "aspect": self.aspect,
            "renderSeconds": round(self.render_seconds, 3),
            "serviceSeconds": round(self.service_seconds, 1),
            "videoSeconds": None if self.video_seconds is None else round(self.video_seconds, 2),
            "path": str(self.path),
            "bytes": self.size,
            "statusCalls": self.status_calls,
            "guideStatusCalls": self.guide_status_calls,
        }


def run(out: Output, reporter: Reporter, options: DemoOptions) -> None:
    """Run the demo: on the local simulator without a key, else on the key's account after confirmation."""
    started = time.monotonic()
    key = options.api_key or os.environ.get(API_KEY_ENV)
    if key:
        with connect(reporter, api_key=key, base_url=options.base_url) as client:
            _confirm(out, options, client.base_url)
            out_dir = output_folder(options.out_dir, flag="--out")
            scale = options.time_scale or 1.0
            out.heading(f"Miraflow demo on {client.base_url} (your account: this costs credits)")
            _flow(client, out, reporter, options, out_dir, scale, started, simulator=False, timeout=None)
        return
    out_dir = output_folder(options.out_dir, flag="--out")
    scale = options.time_scale or DEMO_TIME_SCALE
    if options.base_url:
        out.line(f"No key given, so the demo runs on its own local simulator (not {options.base_url}).")
    out.line("Starting the local simulator (no key needed, no credits spent)...")
    with _simulated(reporter, scale, options.seed) as client:
        out.heading(f"Miraflow demo on the local simulator at {client.base_url}, time × {scale:g}")
        _flow(client, out, reporter, options, out_dir, scale, started, simulator=True, timeout=_SIMULATOR_WAIT_LIMIT)


@contextlib.contextmanager
def _simulated(reporter: Reporter, scale: float, seed: int | None) -> Iterator[Miraflow]:
    key = f"sk-demo-local-{secrets.token_hex(12)}"
    reporter.on_interrupt = "the local simulator was stopped"
    with (
        start_simulator(key=key, credits=_DEMO_CREDITS, time_scale=scale, seed=seed) as simulator,
        connect(reporter, api_key=simulator.key, base_url=simulator.api_root) as client,
    ):
        yield client


def _confirm(out: Output, options: DemoOptions, base_url: str) -> None:
    """Ask before spending the account's credits; refuse without a terminal to ask on (unless --yes)."""
    if options.yes:
        return
    question = (
        f"The demo makes two videos (a preview and a full-background one) with the account of {API_KEY_ENV} at "
        f"{base_url}. That costs credits. Go on?"
    )
    if not sys.stdin.isatty():
        raise CLIError(
            f"the demo would make two videos with the account of {API_KEY_ENV} at {base_url}, which costs "
            "credits: run it in a terminal to confirm, pass --yes, or unset the key to use the local simulator",
            ExitCode.USAGE,
        )
    if not typer.confirm(question, default=False, err=True):
        raise CLIError("not confirmed: nothing was created and no credits were spent", ExitCode.USAGE)


def _flow(
    client: Miraflow,
    out: Output,
    reporter: Reporter,
    options: DemoOptions,
    out_dir: Path,
    scale: float,
    started: float,
    *,
    simulator: bool,
    timeout: float | None,
) -> None:
    out.blank()
    out.heading("1. The account's avatars")
    avatars = client.avatars.list()
    out.avatars(avatars)
    avatar = _pick(client, avatars, options.avatar)
    out.line("Using photo avatar ", (avatar.name, "bold"), f" ({avatar.id}).")
    made = []
    for number, step in enumerate(_STEPS, start=2):
        out.blank()
        out.heading(f"{number}. {step.title}: {step.name!r}")
        made.append(_make(client, out, reporter, avatar, step, out_dir, scale, timeout, simulator=simulator))
    reporter.on_interrupt = None
    wall = time.monotonic() - started
    if out.json:
        out.data(
            {
                "simulator": simulator,
                "apiRoot": client.base_url,
                "timeScale": scale,
                "avatar": avatar.to_dict(),
                "videos": [video.to_json() for video in made],
                "statusCalls": sum(video.status_calls for video in made),
                "wallSeconds": round(wall, 2),
            }
        )
        return
    _summary(out, made, wall)


def _pick(client: Miraflow, avatars: list[Avatar], wanted: str | None) -> Avatar:
    """The photo avatar to use: the one asked for, else the first photo avatar listed (as the guide does)."""
    if wanted is not None:
        avatar = client.avatars.retrieve(wanted)
        if not avatar.is_photo:
            raise CLIError(f"avatar {avatar.name!r} ({avatar.id}) is a video avatar: the demo needs a photo avatar")
        return avatar
    for avatar in avatars:
        if avatar.is_photo:
            return avatar
    raise CLIError("the account has no photo avatar, and the demo needs one", ExitCode.API_ERROR)


def _make(
    client: Miraflow,
    out: Output,
    reporter: Reporter,
    avatar: Avatar,
    step: _Step,
    out_dir: Path,
    scale: float,
    timeout: float | None,
    *,
    simulator: bool,
) -> DemoVideo:
    job = client.videos.create(avatar=avatar, text=step.text, name=step.name, full_background=step.full_background)
    if simulator:
        reporter.on_interrupt = "the local simulator was stopped"
    else:
        reporter.on_interrupt = f"job {job.id} keeps running: `miraflow wait {job.id}` follows it"
    mode = lifecycle().mode(job.mode)
    width, height = mode.aspect
    out.line("Created job ", (job.id, "bold"), f" ({job.mode}, {width}:{height}).")
    reporter.job = job_json(job)  # a failure's JSON (--json) carries the job's last known state
    calls = 0
    started = time.monotonic()
    with out.job_progress(step.title) as show:

        def observe(status: JobStatus) -> None:
            nonlocal calls
            calls += 1
            reporter.job = {**job_json(job), **status_json(status)}
            show(status)

        final = client.jobs.wait(job, timeout=timeout, on_progress=observe, time_scale=scale)
    rendered = time.monotonic() - started
    assert final.video_id is not None  # a successful wait carries it
    at_speed = f" (about {rendered / scale:.0f} s at the service's speed)" if scale != 1 else ""
    out.line(f"Ready after {rendered:.1f} s{at_speed}: video {final.video_id}, {calls} status calls.")
    with out.transfer(f"Downloading {step.file_name}") as on_bytes:
        path = client.videos.download(final.video_id, out_dir / step.file_name, on_progress=on_bytes)
    size = path.stat().st_size
    out.line("Saved ", (str(path), "bold"), f" ({human_size(size)}).")
    return DemoVideo(
        role=step.role,
        title=step.title,
        name=step.name,
        job_id=job.id,
        video_id=final.video_id,
        mode=job.mode,
        aspect=f"{width}:{height}",
        render_seconds=rendered,
        time_scale=scale,
        video_seconds=mp4_duration(path),
        path=path,
        size=size,
        status_calls=calls,
        guide_interval=step.guide_interval,
        guide_status_calls=math.floor(rendered / scale / step.guide_interval) + 1,
    )


def _summary(out: Output, made: list[DemoVideo], wall: float) -> None:
    out.blank()
    out.heading("Summary")
    for video in made:
        at_speed = f" (about {video.service_seconds:.0f} s at the service's speed)" if video.time_scale != 1 else ""
        length = "unknown" if video.video_seconds is None else f"{video.video_seconds:.1f} s"
        out.line((f"  {video.title}", "bold"))
        out.fields(
            [
                ("job", video.job_id),
                ("video", video.video_id),
                ("mode", f"{video.mode} ({video.aspect})"),
                ("rendered in", f"{video.render_seconds:.1f} s{at_speed}"),
                ("video length", length),
                ("file", f"{video.path} ({human_size(video.size)})"),
                (
                    "status calls",
                    f"{video.status_calls} (polling every {video.guide_interval:g} s as the guide does: about "
                    f"{video.guide_status_calls})",
                ),
            ],
            indent=4,
        )
    total = sum(video.status_calls for video in made)
    guide = sum(video.guide_status_calls for video in made)
    out.line(
        ("Status calls made: ", "bold"),
        (str(total), "bold"),
        f" (the guide's fixed-interval polling would have made about {guide}).",
    )
    out.line(f"Done in {wall:.1f} s. The videos are in {made[0].path.parent}/.")
