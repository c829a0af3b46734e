"""The `miraflow` command: a typer app over the SDK, one function per command.

Each command parses its options, then runs inside `errors.reporting()`, which turns any failure into one line on stderr
and the documented exit code. What is printed goes through `output.Output` (tables, or JSON with `--json`). The key
and the API root come from `--api-key` / `--base-url` (given before or after the command), else from
`MIRAFLOW_API_KEY` / `MIRAFLOW_BASE_URL`, which the SDK reads.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import attrs
import typer

from miraflow import Avatar, Job, JobStatus, Miraflow, MiraflowError, __version__
from miraflow.cli import demo as demo_flow
from miraflow.cli.batch import batch_app
from miraflow.cli.connection import connect
from miraflow.cli.errors import EXIT_CODES_HELP, CLIError, Reporter, reporting, run_command_line
from miraflow.cli.folders import output_folder
from miraflow.cli.help_format import PlainHelpGroup
from miraflow.cli.large_script import confirm_large_script
from miraflow.cli.options import (
    ApiKeyOption,
    AvatarOption,
    BaseUrlOption,
    DownloadOption,
    JsonOption,
    QuietOption,
    TimeoutOption,
    TimeScaleOption,
    VideoOptions,
    video_options,
)
from miraflow.cli.output import Output, human_size, job_json, state_label, status_json
from miraflow.cli.simulator import run_mock

__all__ = ["app", "main"]

_SETTINGS = "miraflow.settings"


class MiraflowGroup(PlainHelpGroup):
    """The root command: parse errors become one line on stderr (exit code 2), and `main` returns the exit code.

    With `--json` on the command line, a parse error is also one JSON object on stdout; a closed stdout (`miraflow
    --help | head -1`) exits 0 quietly.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; exit (or, with `standalone_mode=False`, return) with its exit code."""
        parent = super().main
        code = run_command_line(
            lambda: parent(
                args,
                prog_name,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            ),
            args,
        )
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    name="miraflow",
    cls=MiraflowGroup,
    help="Make talking-avatar videos with the Miraflow Photo Avatar API, or with its local simulator.\n\n"
    "Start with `miraflow demo`: it needs no key.",
    epilog=EXIT_CODES_HELP,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# `miraflow batch ...`: campaigns (cli/batch.py, on the miraflow.batch library), which take their own options.
app.add_typer(batch_app, name="batch", help="Campaigns: one video per row of a CSV or JSONL file, each created once.")


@attrs.frozen
class Settings:
    """The connection options given before the command (`miraflow --api-key K avatars`)."""

    api_key: str | None = None
    base_url: str | None = None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"miraflow {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Make talking-avatar videos with the Miraflow Photo Avatar API, or with its local simulator."""
    ctx.meta[_SETTINGS] = Settings(api_key, base_url)


def _connect(
    ctx: typer.Context, reporter: Reporter, api_key: str | None, base_url: str | None
) -> contextlib.AbstractContextManager[Miraflow]:
    """A client for the key and API root the options (given after, else before the command) or the environment give."""
    given: Settings = ctx.meta.get(_SETTINGS, Settings())
    return connect(reporter, api_key=api_key or given.api_key, base_url=base_url or given.base_url)


# --- listing ------------------------------------------------------------------------------------------------------


def _listing(
    ctx: typer.Context,
    json_output: bool,
    api_key: str | None,
    base_url: str | None,
    fetch: Callable[[Miraflow], Sequence[Any]],
    show: Callable[[Output, Sequence[Any]], None],
    quiet: bool = False,
) -> None:
    """Fetch a list and print it: a table, the API's own fields as JSON, or (--quiet) the ids, one per line."""
    out = Output(json_output=json_output, quiet=quiet)
    with reporting(json_output=json_output) as reporter, _connect(ctx, reporter, api_key, base_url) as client:
        found = fetch(client)
        if out.json:
            out.data([item.to_dict() for item in found])
        elif out.quiet:
            out.ids(*(item.id for item in found))
        else:
            show(out, found)


def _listing_command(
    name: str, fetch: Callable[[Miraflow], Sequence[Any]], show: Callable[[Output, Sequence[Any]], None], doc: str
) -> None:
    """Register `miraflow NAME`: a command that lists what `fetch` returns (`_listing`)."""

    def command(
        ctx: typer.Context,
        json_output: JsonOption = False,
        quiet: QuietOption = False,
        api_key: ApiKeyOption = None,
        base_url: BaseUrlOption = None,
    ) -> None:
        _listing(ctx, json_output, api_key, base_url, fetch, show, quiet)

    command.__doc__ = doc
    app.command(name=name)(command)


_listing_command(
    "avatars",
    lambda client: client.avatars.list(),
    Output.avatars,
    "List the account's avatars. Photo avatars can make face-cropped or full-background videos.",
)
_listing_command(
    "voices",
    lambda client: client.voices.list(),
    Output.voices,
    "List the voices a video can be spoken with (`miraflow create --voice`).",
)
_listing_command("videos", lambda client: client.videos.list(), Output.videos, "List the account's completed videos.")


# --- making videos ------------------------------------------------------------------------------------------------


@app.command()
@video_options
def create(
    ctx: typer.Context,
    avatar: AvatarOption,
    text: Annotated[
        str | None, typer.Option("--text", "-t", metavar="TEXT", help="The script the avatar speaks.")
    ] = None,
    text_file: Annotated[
        str | None,
        typer.Option("--text-file", "-f", metavar="FILE", help="Read the script from FILE (- reads stdin)."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", "-n", metavar="NAME", help="The video's name. Default: the script's first words."),
    ] = None,
    full_background: Annotated[
        bool,
        typer.Option(
            "--full-background",
            help="Photo avatars only: keep the photo's background (16:9, slower, twice the credits). Default: "
            "face-cropped (square).",
        ),
    ] = False,
    voice: Annotated[
        str | None,
        typer.Option("--voice", metavar="ID|NAME", help="A voice (see `miraflow voices`). Default: the avatar's."),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before creating a script far above the usual size.")
    ] = False,
    *,
    options: VideoOptions,
) -> None:
    """Create a video of an avatar speaking a script; with --wait or --download, see it through."""
    out = Output(json_output=options.json_output, quiet=options.quiet)
    with reporting(json_output=options.json_output) as reporter:
        script = _script(text, text_file)
        confirm_large_script(script, yes=yes)
        folder = _download_folder(options.download)
        title = name or _name_from(script)
        with _connect(ctx, reporter, options.api_key, options.base_url) as client:
            chosen = client.avatars.retrieve(avatar)
            voice_id = client.voices.retrieve(voice).id if voice else None
            job = client.videos.create(
                avatar=chosen,
                text=script,
                name=title,
                full_background=True if full_background else None,
                voice=voice_id,
            )
            _follow(client, out, reporter, job, chosen, options, folder)


@app.command()
@video_options
def upload(
    ctx: typer.Context,
    audio: Annotated[
        Path,
        typer.Argument(
            metavar="AUDIO", exists=True, dir_okay=False, readable=True, help="An audio file (.wav, .mp3, ...)."
        ),
    ],
    avatar: AvatarOption,
    name: Annotated[
        str | None,
        typer.Option("--name", "-n", metavar="NAME", help="The video's name. Default: the audio file's name."),
    ] = None,
    *,
    options: VideoOptions,
) -> None:
    """Upload an audio file, then create a video of an avatar lip-syncing it."""
    out = Output(json_output=options.json_output, quiet=options.quiet)
    with reporting(json_output=options.json_output) as reporter:
        folder = _download_folder(options.download)
        title = name or audio.stem
        with _connect(ctx, reporter, options.api_key, options.base_url) as client:
            chosen = client.avatars.retrieve(avatar)
            try:
                with out.transfer(f"Uploading {audio.name}") as sent:
                    job = client.videos.create_from_audio(
                        avatar=chosen, name=title, audio_path=audio, on_upload_progress=sent
                    )
            except MiraflowError:
                raise
            except ValueError as exc:  # not an audio file, or an empty one
                raise CLIError(f"{exc}") from None
            _follow(client, out, reporter, job, chosen, options, folder)


def _follow(
    client: Miraflow,
    out: Output,
    reporter: Reporter,
    job: Job,
    avatar: Avatar,
    options: VideoOptions,
    folder: Path | None,
) -> None:
    """After a create: report the job; with --wait or a download folder, wait for it (and download it)."""
    reporter.on_interrupt = f"job {job.id} keeps running: `miraflow wait {job.id}` follows it"
    kind = "photo" if avatar.is_photo else "video"
    out.line("Created job ", (job.id, "bold"), f": {job.name!r}, avatar {avatar.name} ({kind}), {job.mode}")
    out.ids(job.id)
    payload = job_json(job)
    reporter.job = dict(payload)
    if options.wait or folder is not None:
        status = _wait(client, out, reporter, job.id, label=job.name, timeout=options.timeout, scale=options.time_scale)
        payload.update(status_json(status))
        if folder is not None:
            payload.update(_download(client, out, reporter, _video_id(status), folder))
    else:
        out.line(f"Follow it with `miraflow wait {job.id}`.")
    if out.json:
        out.data(payload)


# --- following jobs -------------------------------------------------------------------------------------------------


@app.command()
def status(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(metavar="JOB_ID", help="The job's id (what `miraflow create` printed).")],
    json_output: JsonOption = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the status (inference_working, ...), for scripts.")
    ] = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Show a job's status once (any state exits 0; `miraflow wait` exits 3 for a failed job)."""
    out = Output(json_output=json_output, quiet=quiet)
    with reporting(json_output=json_output) as reporter, _connect(ctx, reporter, api_key, base_url) as client:
        reporter.job = {"jobId": job_id}
        current = client.jobs.retrieve(job_id)
        if out.json:
            out.data(status_json(current))
            return
        out.ids(str(current.status))
        _print_status(out, current)


def _print_status(out: Output, current: JobStatus) -> None:
    progress = f" {current.progress}%" if current.progress is not None else ""
    label = state_label(current)
    detail = f"{current.status}{progress}" + ("" if label == current.status else f" ({label})")
    out.line("Job ", (current.job_id, "bold"), f": {detail}")
    if current.outcome == "success":
        out.line(f"Video {current.video_id}: `miraflow download {current.video_id}` saves it.")
    elif current.outcome == "failure":
        out.line(f"{current.state.description} No video was made.")


@app.command(name="wait")
def wait_command(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(metavar="JOB_ID", help="The job's id (what `miraflow create` printed).")],
    download: DownloadOption = None,
    timeout: TimeoutOption = None,
    time_scale: TimeScaleOption = 1.0,
    json_output: JsonOption = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="Print only the video's id (with --download, the file's path); no progress."
        ),
    ] = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Wait until a job finishes (exit code 3 if it failed, 4 on --timeout); optionally download its video."""
    out = Output(json_output=json_output, quiet=quiet)
    with reporting(json_output=json_output) as reporter:
        folder = _download_folder(download)
        with _connect(ctx, reporter, api_key, base_url) as client:
            reporter.on_interrupt = f"job {job_id} keeps running: `miraflow wait {job_id}` follows it"
            reporter.job = {"jobId": job_id}
            final = _wait(
                client,
                out,
                reporter,
                job_id,
                label=f"job {job_id}",
                timeout=timeout,
                scale=time_scale,
                may_be_done=True,
            )
            payload = status_json(final)
            if folder is not None:
                payload.update(_download(client, out, reporter, _video_id(final), folder))
            out.ids(payload.get("path") or _video_id(final))
            if out.json:
                out.data(payload)


def _wait(
    client: Miraflow,
    out: Output,
    reporter: Reporter,
    job_id: str,
    *,
    label: str,
    timeout: float | None,
    scale: float,
    may_be_done: bool = False,
) -> JobStatus:
    started = time.monotonic()
    seen: list[JobStatus] = []
    with out.job_progress(label) as show:

        def on_progress(status: JobStatus) -> None:
            seen.append(status)
            reporter.job = {**(reporter.job or {}), **status_json(status)}  # a failure's JSON carries the last state
            show(status)

        final = client.jobs.wait(job_id, timeout=timeout, on_progress=on_progress, time_scale=scale)
    elapsed = time.monotonic() - started
    if may_be_done and len(seen) == 1:  # its first status was already the last: it finished before we looked
        out.line("Job ", (job_id, "bold"), f" had already completed: video {final.video_id}")
    else:
        out.line("Job ", (job_id, "bold"), f" complete after {elapsed:.1f} s: video {final.video_id}")
    return final


def _video_id(final: JobStatus) -> str:
    assert final.video_id is not None  # a successful wait returns a status that carries it
    return final.video_id


# --- downloading ----------------------------------------------------------------------------------------------------


@app.command()
def download(
    ctx: typer.Context,
    video_id: Annotated[str, typer.Argument(metavar="VIDEO_ID", help="The video's id (`miraflow videos`).")],
    out_path: Annotated[
        str,
        typer.Option(
            "--out",
            "-o",
            metavar="PATH",
            help="A folder (the file is named after the video, never overwriting one) or the file's path.",
        ),
    ] = ".",
    json_output: JsonOption = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the saved file's path.")] = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Download a video's MP4 (into a temporary file, renamed into place only once complete)."""
    out = Output(json_output=json_output, quiet=quiet)
    with reporting(json_output=json_output) as reporter:
        target = Path(out_path)
        if not target.is_dir() and not out_path.endswith(("/", "\\")) and not target.parent.is_dir():
            raise CLIError(f"--out {out_path}: the folder {str(target.parent)!r} does not exist")
        with _connect(ctx, reporter, api_key, base_url) as client:
            saved = _download(client, out, reporter, video_id, out_path)
            out.ids(saved["path"])
            if out.json:
                out.data({"videoId": video_id, **saved})


def _download(client: Miraflow, out: Output, reporter: Reporter, video_id: str, dest: Path | str) -> dict[str, Any]:
    reporter.on_interrupt = f"nothing was saved; `miraflow download {video_id}` downloads the video"
    with out.transfer(f"Downloading video {video_id}") as on_bytes:
        path = client.videos.download(video_id, dest, on_progress=on_bytes)
    size = path.stat().st_size
    out.line("Saved ", (str(path), "bold"), f" ({human_size(size)})")
    reporter.on_interrupt = None
    return {"path": str(path), "bytes": size}


# --- the demo and the simulator -------------------------------------------------------------------------------------


@app.command()
def demo(
    ctx: typer.Context,
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", metavar="DIR", help="Where the two MP4s go (created if missing).")
    ] = Path("miraflow-demo"),
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="With a key: skip the prompt that the demo costs credits.")
    ] = False,
    avatar: Annotated[
        str | None,
        typer.Option("--avatar", "-a", metavar="ID|NAME", help="The photo avatar to use. Default: the first one."),
    ] = None,
    time_scale: Annotated[
        float | None,
        typer.Option(
            "--time-scale",
            min=1e-6,
            metavar="S",
            help=f"Job durations times S. Default: {demo_flow.DEMO_TIME_SCALE} on the simulator (the full-background "
            "video takes seconds, not minutes), 1 with a key.",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", metavar="N", help="The simulator's seed: the same durations every run."),
    ] = demo_flow.DEMO_SEED,
    json_output: JsonOption = False,
    api_key: ApiKeyOption = None,
    base_url: BaseUrlOption = None,
) -> None:
    """Make a face-cropped preview and a full-background video end to end, as Miraflow's guide does.

    Without a key (no --api-key, no MIRAFLOW_API_KEY) it starts the local simulator and costs nothing. With a key it
    uses that account, which costs credits: it asks first (--yes skips the question).
    """
    out = Output(json_output=json_output)
    given: Settings = ctx.meta.get(_SETTINGS, Settings())
    options = demo_flow.DemoOptions(
        out_dir=out_dir,
        yes=yes,
        avatar=avatar,
        time_scale=time_scale,
        seed=seed,
        api_key=api_key or given.api_key,
        base_url=base_url or given.base_url,
    )
    with reporting(json_output=json_output) as reporter:
        demo_flow.run(out, reporter, options)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []},
    add_help_option=False,
)
def mock(ctx: typer.Context) -> None:
    """Run the local simulator, a line per request: `miraflow-mock serve --log-requests` with these options."""
    with reporting():
        code = run_mock(ctx.args)
    raise typer.Exit(code)


# --- helpers --------------------------------------------------------------------------------------------------------


def _script(text: str | None, text_file: str | None) -> str:
    """The script, from --text or --text-file (exactly one)."""
    if (text is None) == (text_file is None):
        raise CLIError("give the script with either --text or --text-file (see `miraflow create --help`)")
    if text_file is not None:
        if text_file == "-":
            script = sys.stdin.read()
        else:
            try:
                script = Path(text_file).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                raise CLIError(f"--text-file {text_file}: {reason}") from None
    else:
        assert text is not None
        script = text
    script = script.strip()
    if not script:
        raise CLIError("the script is empty: give the avatar something to say")
    return script


def _name_from(script: str, words: int = 6, limit: int = 60) -> str:
    """A video name made of the script's first words."""
    name = " ".join(script.split()[:words])
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


def _download_folder(download: str | None) -> Path | None:
    """The --download folder, created now: a wrong path fails before any credits are spent."""
    if download is None:
        return None
    return output_folder(Path(download), flag="--download")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run `miraflow`; returns the exit code. SIGTERM is handled like Ctrl-C (cleanup runs, exit code 130)."""
    signal.signal(signal.SIGTERM, _interrupt)
    command = typer.main.get_command(app)
    return int(command.main(args=argv, prog_name="miraflow", standalone_mode=False))
