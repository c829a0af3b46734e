"""`miraflow batch`: campaigns from the command line (`batch_app`, a typer app; `python -m miraflow.batch` runs it).

```
miraflow batch run FILE --out DIR [--concurrency N] [--dry-run] [--yes] [--skip-invalid] [--recreate-ambiguous]
                                  [--time-scale S] [--json] [--api-key KEY] [--base-url URL]
miraflow batch status DIR [--json]
miraflow batch report DIR
```

Self-contained, so the main `miraflow` command mounts it with one line (`app.add_typer(batch_app, name="batch")`): it
takes `--api-key`/`--base-url` (else `MIRAFLOW_API_KEY`/`MIRAFLOW_BASE_URL`, read by the SDK) and `--time-scale`
(else `MIRAFLOW_TIME_SCALE`) itself. Errors are one line on stderr, never a traceback, never the key. Exit codes: 0 ok,
1 API error (or work left unfinished: rerun to resume), 2 usage error (invalid rows), 3 some rows failed or are
ambiguous, 130 interrupted. Ctrl-C stops creating, records the creates in flight and exits 130; a second Ctrl-C exits
at once. Either way the ledger is consistent and rerunning the same command resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from miraflow._client import AsyncMiraflow
from miraflow._exceptions import APIError, AuthenticationError, MiraflowError, MissingAPIKeyError
from miraflow.batch.crashpoints import CRASH_ENV, CrashingTransport, CrashPoints
from miraflow.batch.errors import BatchError, InvalidRowsError
from miraflow.batch.ledger import LedgerError, RowState
from miraflow.batch.plan import Plan, plan_campaign
from miraflow.batch.progress import ProgressDisplay, display_wanted, state_summary
from miraflow.batch.report import campaign_status, format_status, write_report
from miraflow.batch.runner import DEFAULT_CONCURRENCY, CampaignResult, run_campaign

__all__ = ["EXIT_CODES", "TIME_SCALE_ENV", "batch_app", "main"]

TIME_SCALE_ENV = "MIRAFLOW_TIME_SCALE"
EXIT_CODES = (
    "Exit codes: 0 ok, 1 API error or work left (rerun to resume), 2 usage error (invalid rows), 3 some rows failed, "
    "130 interrupted."
)
_PROG = "miraflow batch"

batch_app = typer.Typer(
    name="batch",
    help="Campaigns: one personalised video per row of a CSV or JSONL file, each created exactly once, resumable. "
    + EXIT_CODES,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _Failure(Exception):
    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _fail(message: str, code: int) -> NoReturn:
    raise _Failure(message, code)


def _say(message: str) -> None:
    sys.stderr.write(f"{_PROG}: {' '.join(message.split())}\n")
    sys.stderr.flush()


@contextlib.contextmanager
def _reporting() -> Iterator[None]:
    """Turn any failure into one line on stderr and its exit code (`typer.Exit`)."""
    try:
        yield
    except (typer.Exit, typer.Abort):
        raise
    except _Failure as failure:
        _say(f"error: {failure.message}")
        raise typer.Exit(failure.code) from None
    except InvalidRowsError as exc:
        for error in exc.errors:
            _say(str(error))
        _say(f"error: {exc}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        _say("interrupted; rerun the same command to resume")
        raise typer.Exit(130) from None
    except BaseException as exc:
        if isinstance(exc, SystemExit | GeneratorExit):
            raise
        message, code = _describe(exc)
        _say(f"error: {message}")
        raise typer.Exit(code) from None


def _describe(exc: BaseException) -> tuple[str, int]:
    """The one line and exit code of a failure."""
    if isinstance(exc, MissingAPIKeyError):
        return "no API key: pass --api-key KEY or set MIRAFLOW_API_KEY", 2
    if isinstance(exc, BatchError):
        return str(exc), 2
    if isinstance(exc, AuthenticationError):
        return f"the API key was not accepted ({exc.message}): check --api-key or MIRAFLOW_API_KEY", 1
    if isinstance(exc, APIError):
        return f"{exc.message}; the ledger is consistent: rerun the same command to resume", 1
    if isinstance(exc, MiraflowError):
        return str(exc), 1
    if isinstance(exc, FileNotFoundError | IsADirectoryError | NotADirectoryError | PermissionError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or exc}{where}", 2
    if isinstance(exc, LedgerError):
        return f"the campaign's ledger: {exc}", 1
    if isinstance(exc, ValueError):
        return str(exc), 2
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror or exc}{where}", 1
    return f"unexpected {type(exc).__name__}: {exc} (a bug in miraflow; MIRAFLOW_LOG=debug shows more)", 1


def _print_json(document: object) -> None:
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
    sys.stdout.flush()


def _client(api_key: str | None, base_url: str | None, crash: CrashPoints) -> AsyncMiraflow:
    transport = None
    if "download" in crash.at:
        import httpx

        transport = CrashingTransport(httpx.AsyncHTTPTransport(), crash)
    return AsyncMiraflow(api_key, base_url=base_url, max_retries=0, transport=transport)


def _crash_points() -> CrashPoints:
    try:
        return CrashPoints.parse(os.environ.get(CRASH_ENV))
    except ValueError as exc:
        _fail(str(exc), 2)


def _plan_text(plan: Plan) -> str:
    lines = [f"{plan.file}: {plan.rows} rows, {len(plan.validation.rows)} valid"]
    for mode in plan.modes:
        lines.append(
            f"  {mode.mode}: {mode.videos} video(s), {_duration(mode.min_seconds)}–{_duration(mode.max_seconds)} "
            "each to render"
        )
    lines.append(
        f"expected render time: about {_duration(plan.expected_seconds)} in all, one video after another; the "
        "service renders several at once"
    )
    lines.append("dry run: nothing was created")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.3g} s"
    if seconds < 7200:
        return f"{seconds / 60:.3g} min"
    return f"{seconds / 3600:.3g} h"


def _result_text(result: CampaignResult) -> str:
    lines = [f"{result.total} rows: {state_summary(result.counts)}; files in {result.folder}"]
    for row in result.problems:
        if row.state not in (RowState.FAILED, RowState.AMBIGUOUS, RowState.SKIPPED):
            continue
        lines.append(
            f"  row {row.key} (line {row.line}) {row.name!r}: {row.state}" + (f": {row.error}" if row.error else "")
        )
    return "\n".join(lines)


def _install_interrupts(stop: asyncio.Event) -> None:
    """First Ctrl-C: stop creating, record what is in flight, exit 130. Second: exit at once.

    A plain signal handler (not the loop's): it stays in force after the loop is gone, so a second Ctrl-C at any
    moment up to the process's exit ends it with 130 at once.
    """
    loop = asyncio.get_running_loop()
    pressed = False

    def first_press() -> None:
        stop.set()
        _say("stopping: recording the creates in flight (Ctrl-C again to exit at once)")

    def interrupted(signum: int, frame: object) -> None:
        nonlocal pressed
        if pressed:
            os._exit(130)  # the ledger commits each move atomically: dying here leaves it consistent
        pressed = True
        try:
            loop.call_soon_threadsafe(first_press)
        except RuntimeError:  # the run is over already (its loop is closed): nothing is in flight
            os._exit(130)

    signal.signal(signal.SIGINT, interrupted)


TimeScale = Annotated[
    float,
    typer.Option(
        "--time-scale",
        envvar=TIME_SCALE_ENV,
        help="For a simulator faster than real time: scales the expected durations and poll intervals.",
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option("--api-key", help="The API key (default: MIRAFLOW_API_KEY).", show_default=False),
]
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="The API root, such as https://miraflow.ai/api (default: MIRAFLOW_BASE_URL).",
        show_default=False,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print a machine-readable summary on stdout, and nothing else.")]


@batch_app.command("run")
def run_command(
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="The campaign: CSV or JSONL, one video per row.", show_default=False),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", metavar="DIR", help="The campaign folder: its ledger and the videos.", show_default=False
        ),
    ],
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="Creates in flight at most.")] = (
        DEFAULT_CONCURRENCY
    ),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and print the plan; send nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before creating (it costs credits).")] = False,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Run the valid rows even if some are invalid.")
    ] = False,
    recreate_ambiguous: Annotated[
        bool,
        typer.Option("--recreate-ambiguous", help="Create again the rows whose create may not have reached the API."),
    ] = False,
    time_scale: TimeScale = 1.0,
    json_output: Json = False,
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Create, follow and download one video per row of FILE into DIR; rerun the same command to resume."""
    with _reporting():
        if not time_scale > 0:
            _fail(f"--time-scale must be more than 0, not {time_scale:g}", 2)
        crash = _crash_points()
        if dry_run:
            _dry_run(
                file,
                api_key=api_key,
                base_url=base_url,
                time_scale=time_scale,
                skip_invalid=skip_invalid,
                json_output=json_output,
            )
            return
        if not yes:
            _confirm(file, api_key=api_key, base_url=base_url, time_scale=time_scale, skip_invalid=skip_invalid)
        result = asyncio.run(
            _run(
                file,
                out,
                api_key=api_key,
                base_url=base_url,
                concurrency=concurrency,
                time_scale=time_scale,
                skip_invalid=skip_invalid,
                recreate_ambiguous=recreate_ambiguous,
                json_output=json_output,
                crash=crash,
            )
        )
        if json_output:
            _print_json(result.to_json())
        else:
            sys.stdout.write(_result_text(result) + "\n")
        if result.interrupted:
            _say("interrupted; rerun the same command to resume")
        elif result.halted:
            _say(f"error: {result.halted}")
        elif result.unfinished:
            _say(f"error: {result.unfinished} row(s) left unfinished; rerun the same command to resume")
        elif result.exit_code:
            failed = result.counts[RowState.FAILED] + result.counts[RowState.AMBIGUOUS]
            _say(f"error: {failed} row(s) failed or are ambiguous: `{_PROG} status {out}` lists them with the reasons")
        if result.exit_code:
            raise typer.Exit(result.exit_code)


async def _run(
    file: Path,
    out: Path,
    *,
    api_key: str | None,
    base_url: str | None,
    concurrency: int,
    time_scale: float,
    skip_invalid: bool,
    recreate_ambiguous: bool,
    json_output: bool,
    crash: CrashPoints,
) -> CampaignResult:
    stop = asyncio.Event()
    _install_interrupts(stop)
    async with _client(api_key, base_url, crash) as client:
        display = ProgressDisplay() if display_wanted(json_output=json_output) else None
        with display if display is not None else contextlib.nullcontext():
            return await run_campaign(
                file,
                out,
                client=client,
                concurrency=concurrency,
                time_scale=time_scale,
                skip_invalid=skip_invalid,
                recreate_ambiguous=recreate_ambiguous,
                observer=display,
                stop=stop,
                crash_points=crash,
            )


def _plan(file: Path, *, api_key: str | None, base_url: str | None, time_scale: float) -> Plan:
    async def go() -> Plan:
        async with AsyncMiraflow(api_key, base_url=base_url, max_retries=2) as client:
            return await plan_campaign(file, client=client, time_scale=time_scale)

    return asyncio.run(go())


def _dry_run(
    file: Path, *, api_key: str | None, base_url: str | None, time_scale: float, skip_invalid: bool, json_output: bool
) -> None:
    plan = _plan(file, api_key=api_key, base_url=base_url, time_scale=time_scale)
    if json_output:
        _print_json(plan.to_json())
    else:
        sys.stdout.write(_plan_text(plan) + "\n")
    if plan.validation.errors:
        for error in plan.validation.errors:
            _say(str(error))
        if not skip_invalid:
            raise InvalidRowsError(plan.validation.errors)


def _confirm(file: Path, *, api_key: str | None, base_url: str | None, time_scale: float, skip_invalid: bool) -> None:
    plan = _plan(file, api_key=api_key, base_url=base_url, time_scale=time_scale)
    if plan.validation.errors and not skip_invalid:
        raise InvalidRowsError(plan.validation.errors)
    count = len(plan.validation.rows)
    if not sys.stdin.isatty():
        _fail(f"this campaign creates up to {count} video(s), which costs credits: pass --yes to confirm", 2)
    question = (
        f"Create up to {count} video(s) from {file} (rows already created in this campaign are not created again)? "
        "It costs credits."
    )
    if not typer.confirm(question, default=False, err=True):
        _fail("nothing was created", 2)


@batch_app.command("status")
def status_command(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="The campaign folder.", show_default=False)],
    json_output: Json = False,
) -> None:
    """Counts per state, and the rows that failed, are ambiguous or were skipped, with their reasons."""
    with _reporting():
        status = campaign_status(folder)
        if json_output:
            _print_json(status.to_json())
        else:
            sys.stdout.write(format_status(status) + "\n")


@batch_app.command("report")
def report_command(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="The campaign folder.", show_default=False)],
) -> None:
    """A CSV on stdout, one line per row: row, name, jobId, videoId, file, sha256, state, error."""
    with _reporting():
        write_report(folder, sys.stdout)


def _click_exception() -> type[Exception]:
    for cls in typer.BadParameter.__mro__:
        if cls.__name__ == "ClickException" and issubclass(cls, Exception):
            return cls
    raise ImportError("typer.BadParameter has no ClickException base")  # pragma: no cover


def main(argv: Sequence[str] | None = None) -> int:
    """Run `miraflow batch` with `argv` (default: the process's arguments); return the exit code."""
    command = typer.main.get_command(batch_app)
    click_exception = _click_exception()
    try:
        result: Any = command.main(
            args=list(argv) if argv is not None else None, prog_name=_PROG, standalone_mode=False
        )
    except click_exception as exc:
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else str(exc)
        _say(f"error: {message.rstrip('.')} (see `{_PROG} --help`)")
        return int(getattr(exc, "exit_code", 2))
    except (KeyboardInterrupt, EOFError):
        _say("interrupted")
        return 130
    except typer.Abort:
        _say("interrupted")
        return 130
    return result if isinstance(result, int) else 0
