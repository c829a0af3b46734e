"""`miraflow batch`: campaigns from the command line (`run`, `status`, `report`), beside the other commands.

```
miraflow batch run FILE --out DIR [--concurrency N] [--dry-run] [--yes] [--skip-invalid] [--recreate-ambiguous]
                                  [--retry-failed] [--max-attempts N] [--encoding NAME] [--balance N]
                                  [--allow-partial] [--time-scale S] [--json] [--api-key KEY] [--base-url URL]
miraflow batch status DIR [--json]
miraflow batch report DIR [--json]
```

The commands drive the `miraflow.batch` library inside `errors.reporting()`, like every other command: a failure is
one line on stderr, never a traceback, never the key, and its exit code comes from `errors` (how a run ended, too:
`errors.outcome_exit_code`): 0 ok, 1 API error (or work left unfinished: rerun to resume), 2 usage error (invalid
rows), 3 some rows failed or are ambiguous, 130 interrupted. Ctrl-C stops creating, records the creates in flight and
exits 130; a second Ctrl-C exits at once. Either way the ledger is consistent and rerunning the same command resumes.
`--api-key`/`--base-url` default to `MIRAFLOW_API_KEY`/`MIRAFLOW_BASE_URL` (read by the SDK), `--time-scale` to
`MIRAFLOW_TIME_SCALE`; given before `batch` (`miraflow --api-key K batch run ...`) they count too. The dry run and
the prompt show each row's estimated credits and the total; with a balance (`--balance`, `MIRAFLOW_BALANCE`, or a
local simulator's admin API: `balance.py`) a campaign it cannot cover is refused unless `--allow-partial`.
`python -m miraflow.batch` runs this command on its own (`main`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Annotated, Final

import attrs
import httpx
import typer

from miraflow import AsyncMiraflow
from miraflow.batch import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_ATTEMPTS,
    CampaignOptions,
    CampaignResult,
    CostEstimate,
    InvalidRowsError,
    Outcome,
    Plan,
    RowState,
    campaign_status,
    estimate_cost,
    plan_campaign,
    run_campaign,
    write_report,
)
from miraflow.batch.crashpoints import CrashingTransport, CrashPoints
from miraflow.batch.report import format_status, report_records
from miraflow.batch.spend import unsent_rows
from miraflow.cli.balance import Balance, find_balance, parse_balance
from miraflow.cli.campaign_cost import cost_lines, estimate_json
from miraflow.cli.campaign_progress import ProgressDisplay, display_wanted, state_summary
from miraflow.cli.errors import (
    BATCH_EXIT_CODES_HELP,
    CLIError,
    Reporter,
    note,
    outcome_exit_code,
    reporting,
    run_command_line,
)
from miraflow.cli.global_options import connection_options
from miraflow.cli.help_format import PlainHelpGroup
from miraflow.cli.plain_progress import CampaignLines
from miraflow.environment import CRASH_ENV, TIME_SCALE_ENV

__all__ = ["batch_app", "main"]

_PROG: Final = "miraflow batch"
_REPORTERS: list[Reporter] = []  # the running command's reporter (`_reporting`), told when its JSON is printed

batch_app = typer.Typer(
    name="batch",
    help="Campaigns: one personalised video per row of a CSV or JSONL file, each created exactly once, resumable. "
    + BATCH_EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=PlainHelpGroup,
)


@contextlib.contextmanager
def _reporting(*, json_output: bool = False) -> Iterator[Reporter]:
    """`errors.reporting()` for a campaign command: its name, and that rerunning resumes after an API error."""
    resume = "the ledger is consistent: rerun the same command to resume"
    with reporting(prog=_PROG, on_api_error=resume, json_output=json_output) as reporter:
        reporter.on_interrupt = "rerun the same command to resume"
        _REPORTERS.append(reporter)
        try:
            yield reporter
        finally:
            _REPORTERS.remove(reporter)


def _say(message: str) -> None:
    note(message, prefix=_PROG)


def _print_json(document: object) -> None:
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
    sys.stdout.flush()
    for reporter in _REPORTERS:  # the command's one JSON document is out: a failure after it prints no second one
        reporter.document_printed = True


def _client(api_key: str | None, base_url: str | None, crash: CrashPoints) -> AsyncMiraflow:
    transport = None
    if "download" in crash.at:
        transport = CrashingTransport(httpx.AsyncHTTPTransport(), crash)
    return AsyncMiraflow(api_key, base_url=base_url, max_retries=0, transport=transport)


def _crash_points() -> CrashPoints:
    try:
        return CrashPoints.parse(os.environ.get(CRASH_ENV))
    except ValueError as exc:
        raise CLIError(str(exc)) from None


def _plan_text(plan: Plan) -> str:
    invalid = len({error.key for error in plan.validation.errors})
    lines = [
        f"{plan.file}: {plan.rows} rows, {len(plan.validation.rows)} valid"
        + (f", {invalid} invalid" if invalid else "")
    ]
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
        metavar="S",
        envvar=TIME_SCALE_ENV,
        help="For a simulator faster than real time: scales the expected durations and poll intervals.",
    ),
]
ApiKey = Annotated[
    str | None,
    typer.Option("--api-key", metavar="KEY", help="The API key (default: MIRAFLOW_API_KEY).", show_default=False),
]
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        metavar="URL",
        help="The API root, such as https://miraflow.ai/api (default: MIRAFLOW_BASE_URL).",
        show_default=False,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print a machine-readable summary on stdout, and nothing else.")]


@batch_app.command("run")
def run_command(
    ctx: typer.Context,
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
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, metavar="N", help="Creates in flight at most.")
    ] = DEFAULT_CONCURRENCY,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and print the plan; send nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before creating (it costs credits).")] = False,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Run the valid rows even if some are invalid.")
    ] = False,
    recreate_ambiguous: Annotated[
        bool,
        typer.Option("--recreate-ambiguous", help="Create again the rows whose create may not have reached the API."),
    ] = False,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed",
            help="Create again, once per retry, the rows whose job failed (inference_failed, inference_error).",
        ),
    ] = False,
    max_attempts: Annotated[
        int,
        typer.Option(
            "--max-attempts",
            min=1,
            metavar="N",
            help="With --retry-failed: create a row at most N times in all (kept in the ledger, across runs).",
        ),
    ] = DEFAULT_MAX_ATTEMPTS,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            metavar="NAME",
            help="FILE's text encoding, such as cp1252 (default: UTF-8, or UTF-16/32 with a BOM).",
            show_default=False,
        ),
    ] = None,
    balance: Annotated[
        str | None,
        typer.Option(
            "--balance",
            metavar="CREDITS",
            help="The account's credits (the API cannot tell): refuse a campaign that costs more (estimated). "
            "Default: $MIRAFLOW_BALANCE, else a local simulator's own.",
            show_default=False,
        ),
    ] = None,
    allow_partial: Annotated[
        bool,
        typer.Option("--allow-partial", help="Start even if the balance covers only part of the campaign."),
    ] = False,
    time_scale: TimeScale = 1.0,
    json_output: Json = False,
    api_key: ApiKey = None,
    base_url: BaseUrl = None,
) -> None:
    """Create, follow and download one video per row of FILE into DIR; rerun the same command to resume."""
    with _reporting(json_output=json_output):
        if not time_scale > 0:
            raise CLIError(f"--time-scale must be more than 0, not {time_scale:g}")
        api_key, base_url = connection_options(ctx, api_key, base_url)
        given_balance = None if balance is None else parse_balance(balance, flag="--balance")
        crash = _crash_points()
        campaign = _campaign_options(ctx)
        options = _Options(out, api_key, base_url, campaign)
        if dry_run:
            _dry_run(file, options, json_output=json_output, given_balance=given_balance)
            return
        found_balance = find_balance(given_balance, api_key=api_key, base_url=base_url)
        if not yes:
            _confirm(file, options, balance=found_balance)
        run = functools.partial(
            run_campaign,
            file,
            out,
            campaign,
            balance=None if found_balance is None else found_balance.credits,
            crash_points=crash,
        )
        result = asyncio.run(_run(run, api_key=api_key, base_url=base_url, crash=crash, json_output=json_output))
        if json_output:
            _print_json({**result.to_json(), "exitCode": int(outcome_exit_code(result.outcome))})
        else:
            sys.stdout.write(_result_text(result) + "\n")
        if result.outcome != Outcome.DONE:
            raise _ended(result, out)


async def _run(
    campaign: Callable[..., Awaitable[CampaignResult]],
    *,
    api_key: str | None,
    base_url: str | None,
    crash: CrashPoints,
    json_output: bool,
) -> CampaignResult:
    """Run `campaign` (`run_campaign` with the command's options) with a client, Ctrl-C handling and the display."""
    stop = asyncio.Event()
    _install_interrupts(stop)
    async with _client(api_key, base_url, crash) as client:
        display: ProgressDisplay | CampaignLines | None = None
        if display_wanted(json_output=json_output):
            display = ProgressDisplay()
        elif not json_output:  # no terminal to draw on (CI, a file, a pipe): plain lines
            display = CampaignLines(state_summary)
        with display if display is not None else contextlib.nullcontext():
            return await campaign(client=client, observer=display, stop=stop)


def _campaign_options(ctx: typer.Context) -> CampaignOptions:
    """How the campaign runs, from `batch run`'s flags: each of `CampaignOptions`' fields has its flag, by its name."""
    return CampaignOptions(**{field.name: ctx.params[field.name] for field in attrs.fields(CampaignOptions)})


@attrs.frozen
class _Options:
    """`batch run`'s options: the folder, the connection, and how the campaign runs (the dry run and the prompt too)."""

    out: Path
    api_key: str | None
    base_url: str | None
    campaign: CampaignOptions


def _plan(file: Path, options: _Options) -> Plan:
    async def go() -> Plan:
        async with AsyncMiraflow(options.api_key, base_url=options.base_url, max_retries=2) as client:
            return await plan_campaign(
                file, client=client, time_scale=options.campaign.time_scale, encoding=options.campaign.encoding
            )

    return asyncio.run(go())


def _estimate(plan: Plan, options: _Options, balance: Balance | None) -> tuple[CostEstimate, int]:
    """The estimated cost of the valid rows a run would create (not those created already), and how many are not."""
    rows = unsent_rows(plan.validation.rows, options.out, max_attempts=options.campaign.attempts_bound)
    estimate = estimate_cost(rows, balance=None if balance is None else balance.credits)
    return estimate, len(plan.validation.rows) - len(rows)


def _dry_run(file: Path, options: _Options, *, json_output: bool, given_balance: float | None) -> None:
    plan = _plan(file, options)
    balance = find_balance(given_balance, api_key=options.api_key, base_url=options.base_url)
    estimate, already = _estimate(plan, options, balance)
    if json_output:
        _print_json({**plan.to_json(), "cost": estimate_json(estimate, balance)})
    else:
        text = _plan_text(plan).rsplit("\n", 1)
        sys.stdout.write("\n".join([text[0], *cost_lines(estimate, balance, already_created=already), text[1]]) + "\n")
    if plan.validation.errors:
        failure = InvalidRowsError(plan.validation.errors)
        if json_output:  # the document lists every error already: say it once
            if not options.campaign.skip_invalid:
                raise CLIError(str(failure))
            return
        if not options.campaign.skip_invalid:
            raise failure  # `errors` prints every row's line
        for error in plan.validation.errors:
            _say(str(error))


def _confirm(file: Path, options: _Options, *, balance: Balance | None) -> None:
    plan = _plan(file, options)
    if plan.validation.errors and not options.campaign.skip_invalid:
        raise InvalidRowsError(plan.validation.errors)
    estimate, already = _estimate(plan, options, balance)
    estimate.check(allow_partial=options.campaign.allow_partial)  # refused before asking: the answer could not be yes
    count = len(estimate.rows)
    if not sys.stdin.isatty():
        raise CLIError(
            f"this campaign creates up to {count} video(s), an estimated {estimate.total} {estimate.unit}: pass --yes "
            "to confirm"
        )
    for line in cost_lines(estimate, balance, already_created=already):
        sys.stderr.write(line + "\n")
    question = (
        f"Create up to {count} video(s) from {file} (rows already created in this campaign are not created again), "
        f"an estimated {estimate.total} {estimate.unit}?"
    )
    if not typer.confirm(question, default=False, err=True):
        raise CLIError("nothing was created")


@batch_app.command("status")
def status_command(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="The campaign folder.", show_default=False)],
    json_output: Json = False,
) -> None:
    """Counts per state, and the rows that failed, are ambiguous or were skipped, with their reasons."""
    with _reporting(json_output=json_output):
        status = campaign_status(folder)
        if json_output:
            _print_json(status.to_json())
        else:
            sys.stdout.write(format_status(status) + "\n")


@batch_app.command("report")
def report_command(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="The campaign folder.", show_default=False)],
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the rows as a JSON list of objects instead of CSV.")
    ] = False,
) -> None:
    """A CSV on stdout, one line per row: row, name, jobId, videoId, file, sha256, state, error."""
    with _reporting(json_output=json_output):
        if json_output:
            _print_json(report_records(folder))
        else:
            write_report(folder, sys.stdout)


def _ended(result: CampaignResult, out: Path) -> CLIError:
    """What a run that did not end `DONE` reports; its exit code is `errors.outcome_exit_code`'s."""
    code = outcome_exit_code(result.outcome)
    if result.outcome == Outcome.INTERRUPTED:
        return CLIError("interrupted", code)  # `_reporting` adds that rerunning resumes
    if result.halted:
        return CLIError(result.halted, code)
    if result.outcome == Outcome.UNFINISHED:
        return CLIError(f"{result.unfinished} row(s) left unfinished; rerun the same command to resume", code)
    failed = result.counts[RowState.FAILED] + result.counts[RowState.AMBIGUOUS]
    return CLIError(
        f"{failed} row(s) failed or are ambiguous: `{_PROG} status {out}` lists them with the reasons", code
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run `miraflow batch` with `argv` (default: the process's arguments); return the exit code."""
    command = typer.main.get_command(batch_app)
    return run_command_line(
        lambda: command.main(args=list(argv) if argv is not None else None, prog_name=_PROG, standalone_mode=False),
        argv,
        prog=_PROG,
    )
