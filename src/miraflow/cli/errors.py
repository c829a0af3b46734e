"""What the `miraflow` command prints when something goes wrong, and the exit code it returns.

Every failure becomes one line on stderr (what went wrong, then what to do) and one of the documented exit codes;
never a traceback, never the key. `describe` maps the SDK's typed errors, the campaign library's (`miraflow.batch`)
and the CLI's own `CLIError` to that line and code, in one place; `outcome_exit_code` maps how a campaign run ended;
`reporting` applies them around a command (every command, `miraflow batch ...` too); `usage_failure` does the same
for the parse errors of typer's click (one line instead of a usage block in a box). With `--json`, a failure is also
one JSON object on stdout (`failure_json`: `{"error": {"type", "message", "status", "exitCode", ...}, "job": ...}`, the
job's last known state or null), with the same exit code. A closed stdout (`miraflow ... | head -1`) ends the command
quietly with exit code 0. No other module of the CLI turns an error into a message or an exit code
(tests/test_layers.py checks it).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from enum import IntEnum
from typing import Any, Literal

import attrs
import typer

import miraflow
from miraflow.base_url import api_prefix, default_api_root
from miraflow.batch import BatchError, InvalidRowsError, LedgerError, Outcome
from miraflow.cli.output import status_json
from miraflow.environment import API_KEY_ENV, BASE_URL_ENV, LOG_ENV
from miraflow.spec import load_spec

__all__ = [
    "API_KEY_ENV",
    "BATCH_EXIT_CODES_HELP",
    "EXIT_CODES_HELP",
    "CLIError",
    "ExitCode",
    "Failure",
    "Reporter",
    "describe",
    "emit",
    "emit_json",
    "failure_json",
    "interrupted",
    "json_requested",
    "note",
    "outcome_exit_code",
    "reporting",
    "run_command_line",
    "silence_stdout",
    "stdout_is_null",
    "stdout_pipe_closed",
    "usage_failure",
]


class ExitCode(IntEnum):
    """The exit codes of `miraflow`, as `--help` documents them."""

    OK = 0
    API_ERROR = 1
    USAGE = 2
    JOB_FAILED = 3
    WAIT_TIMEOUT = 4
    INTERRUPTED = 130


EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 API error, 2 usage error, 3 job failed, 4 wait timed out, 130 interrupted (Ctrl-C)."
)
BATCH_EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 API error or work left (rerun to resume), 2 usage error (invalid rows), 3 some rows failed, "
    "130 interrupted."
)

_OUTCOME_CODES = {
    Outcome.DONE: ExitCode.OK,
    Outcome.ROWS_FAILED: ExitCode.JOB_FAILED,
    Outcome.UNFINISHED: ExitCode.API_ERROR,
    Outcome.INTERRUPTED: ExitCode.INTERRUPTED,
}


def outcome_exit_code(outcome: Outcome) -> ExitCode:
    """The exit code of a campaign run that ended with `outcome` (3 when some rows failed, as for a failed job)."""
    return _OUTCOME_CODES[outcome]


class CLIError(Exception):
    """A failure the CLI found itself (a bad flag combination, a missing file...): its one-line message and code."""

    def __init__(self, message: str, code: ExitCode = ExitCode.USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@attrs.frozen
class Failure:
    """One line to print on stderr, and the exit code; `details` are printed first, a line each (say, invalid rows)."""

    message: str
    code: int
    details: tuple[str, ...] = ()


def _click_base(name: str) -> type[Exception]:
    """A base class of `typer.BadParameter`, by name: typer ≥ 0.2x runs on a vendored click, older typer on click."""
    for cls in typer.BadParameter.__mro__:
        if cls.__name__ == name and issubclass(cls, Exception):
            return cls
    raise ImportError(f"typer.BadParameter has no base class named {name}")  # pragma: no cover


ClickException = _click_base("ClickException")


def describe(exc: BaseException, *, base_url: str | None = None, on_api_error: str | None = None) -> Failure | None:
    """The line and exit code for `exc`, or None if it is not a failure the CLI knows (a bug: reported generically).

    `on_api_error` is appended to an API error's line (a campaign says its ledger is consistent).
    """
    if isinstance(exc, CLIError):
        return Failure(exc.message, exc.code)
    if isinstance(exc, KeyboardInterrupt):
        return Failure("interrupted", ExitCode.INTERRUPTED)
    if isinstance(exc, BatchError):
        return _describe_campaign(exc)
    if isinstance(exc, miraflow.MiraflowError):
        failure = _describe_sdk(exc, base_url=base_url)
        if on_api_error and isinstance(exc, miraflow.APIError) and not isinstance(exc, miraflow.AuthenticationError):
            return Failure(f"{failure.message}; {on_api_error}", failure.code)
        return failure
    if isinstance(exc, LedgerError):
        return Failure(f"the campaign's ledger: {exc}", ExitCode.API_ERROR)
    if isinstance(exc, OSError):  # a path the user named is wrong (a usage error), or the disk failed
        where = f" ({exc.filename})" if exc.filename else ""
        wrong_path = isinstance(exc, FileNotFoundError | IsADirectoryError | NotADirectoryError | PermissionError)
        code = ExitCode.USAGE if wrong_path else ExitCode.API_ERROR
        return Failure(f"{exc.strerror or exc}{where}: check the path and its permissions", code)
    return None


def _describe_campaign(exc: BatchError) -> Failure:
    """A campaign that cannot run as asked: a usage error (nothing was created because of it)."""
    if isinstance(exc, InvalidRowsError):
        return Failure(str(exc), ExitCode.USAGE, details=tuple(str(error) for error in exc.errors))
    return Failure(str(exc), ExitCode.USAGE)


def _describe_sdk(exc: miraflow.MiraflowError, *, base_url: str | None) -> Failure:
    """The one place an SDK error becomes a line and an exit code."""
    code = next((code for kind, code, _ in _CALL_LINES if isinstance(exc, kind)), ExitCode.API_ERROR)
    return Failure(_sdk_message(exc, where=base_url or "the API"), code)


# Each SDK error's line, a template filled by `_sdk_message`: what went wrong, then what to do. The first class that
# matches wins, so subclasses come before their bases. First the errors of a call or a job, raised without an error
# answer from the API, each with its exit code; then the API's answers and the transport's failures (exit code 1).
_CALL_LINES: tuple[tuple[type[miraflow.MiraflowError], ExitCode, str], ...] = (
    (
        miraflow.MissingAPIKeyError,
        ExitCode.USAGE,
        "no API key: pass --api-key KEY or set {key_env} (no key? `miraflow demo` runs on a local simulator)",
    ),
    (miraflow.InvalidBaseURLError, ExitCode.USAGE, "{exc} (from --base-url or {url_env})"),
    (miraflow.AmbiguousAvatarError, ExitCode.USAGE, "{exc} to --avatar (`miraflow avatars` lists them)"),
    (miraflow.AmbiguousVoiceError, ExitCode.USAGE, "{exc} to --voice (`miraflow voices` lists them)"),
    # A video avatar asked for full background has its own line (`_sdk_message`); any other says it well itself.
    (miraflow.ModeNotSupportedError, ExitCode.USAGE, "{exc}"),
    (
        miraflow.JobFailedError,
        ExitCode.JOB_FAILED,
        "{exc} Create it again; if it keeps failing, try another script or avatar",
    ),
    (miraflow.WaitTimeoutError, ExitCode.WAIT_TIMEOUT, "{exc}: `miraflow wait {exc.job_id}` waits for it again"),
)
_API_LINES: tuple[tuple[type[miraflow.MiraflowError], str], ...] = (
    (miraflow.AuthenticationError, "the API key was not accepted ({exc.message}): check --api-key or {key_env}"),
    (
        miraflow.InsufficientCreditsError,
        "{exc.message}: nothing was created and no credits were spent; add credits to the account, or use a shorter "
        "script",
    ),
    (miraflow.NotFoundError, "{exc.message}: check the id (this key's account has no such item)"),
    (miraflow.RateLimitError, "{exc.message}: the API is rate limiting this key; try again in a minute"),
    (miraflow.InternalServerError, "{exc.message}: the Miraflow service failed; try again later"),
    (
        miraflow.JobMayExistError,
        "the connection broke after the create of {exc.video_name!r} was sent, so the job may exist and may have cost "
        "credits: look for it with `miraflow videos` once it had time to render before creating it again",
    ),
    (miraflow.APITimeoutError, "{exc.message} talking to {where}: check the network and try again"),
    (
        miraflow.APIConnectionError,
        "cannot reach {where} ({exc.message}): check the network, or --base-url / {url_env}",
    ),
    (miraflow.DownloadError, "{exc.message}; nothing was saved: try the download again"),
    (
        miraflow.APIResponseValidationError,
        "{exc.message}: the API answered something its contract does not allow; try again, and report it if it "
        "persists",
    ),
    # Any other API error says it well itself.
    (miraflow.APIError, "{exc.message}"),
)


def sdk_template(exc: miraflow.MiraflowError) -> str:
    """The template of `exc`'s line: the first row of `_CALL_LINES` then `_API_LINES` whose class it is."""
    rows = [(kind, line) for kind, _, line in _CALL_LINES] + list(_API_LINES)
    return next((line for kind, line in rows if isinstance(exc, kind)), "{exc}")


def _sdk_message(exc: miraflow.MiraflowError, *, where: str) -> str:
    """An SDK error's line: the cases that need more than a template first, then `_CALL_LINES` and `_API_LINES`."""
    match exc:
        case miraflow.ModeNotSupportedError() if exc.avatar is not None and not exc.avatar.is_photo:
            return (
                f"avatar {exc.avatar.name!r} ({exc.avatar.id}) is a video avatar, and --full-background needs a photo "
                "avatar: nothing was sent and no credits were spent. Leave out --full-background, or pick a photo "
                "avatar (`miraflow avatars`)"
            )
        case miraflow.NotFoundError() if _is_listing(exc):
            return (
                f"{_root_of(exc) or where} answered 404 Not Found to {_path_of(exc)}, which every Miraflow API root "
                f"has: the base URL looks wrong (is /api missing, or is it another server?). Give the API root, such "
                f"as {default_api_root()}, with --base-url or {BASE_URL_ENV}"
            )
        case miraflow.NotFoundError() if exc.response is None:
            # An unknown avatar or voice, found before any request: its message lists what exists.
            return exc.message
    template = sdk_template(exc)
    try:
        return template.format(exc=exc, where=where, key_env=API_KEY_ENV, url_env=BASE_URL_ENV)
    except (AttributeError, LookupError):  # a template out of step with its class must not hide the error
        return str(exc)


def _listing_paths() -> frozenset[str]:
    """The spec's GET paths without a path parameter (`/api/avatars`...): they exist in every account."""
    return frozenset(str(path) for path, item in load_spec()["paths"].items() if "{" not in str(path) and "get" in item)


def _path_of(exc: miraflow.APIStatusError) -> str:
    return "" if exc.response is None else exc.response.request.url.path


def _root_of(exc: miraflow.APIStatusError) -> str | None:
    """The API root the failed request went to (its URL up to the spec's path), or None."""
    if exc.response is None:
        return None
    url = exc.response.request.url
    path = url.path
    for listing in _listing_paths():
        if path.endswith(listing):
            return str(url.copy_with(path=path[: -len(listing)] + api_prefix(), query=None))
    return None


def _is_listing(exc: miraflow.NotFoundError) -> bool:
    """A 404 to a listing (`GET /api/avatars`): not a missing item, a wrong server or path."""
    if exc.response is None or exc.response.request.method != "GET":
        return False
    path = exc.response.request.url.path
    return any(path.endswith(listing) for listing in _listing_paths())


def interrupted() -> Failure:
    """The failure of a command line interrupted before a command ran (Ctrl-C, or stdin closed at a prompt)."""
    failure = describe(KeyboardInterrupt())
    assert failure is not None
    return failure


def one_line(text: str) -> str:
    """`text` on one line: whitespace runs (newlines included) become one space."""
    return " ".join(text.split())


def note(message: str, *, prefix: str = "miraflow") -> None:
    """Print a line that is not the failure itself on stderr (a step taken, a detail of the failure)."""
    sys.stderr.write(f"{prefix}: {one_line(message)}\n")
    sys.stderr.flush()


def emit(failure: Failure, *, prefix: str = "miraflow") -> None:
    """Print a failure on stderr: its details, a line each, then its one line."""
    for detail in failure.details:
        note(detail, prefix=prefix)
    label = "" if failure.code == ExitCode.INTERRUPTED else "error: "
    sys.stderr.write(f"{prefix}: {label}{one_line(failure.message)}\n")
    sys.stderr.flush()


def _http_status(exc: BaseException) -> int | None:
    """The HTTP status of the answer that made `exc`, if an answer did."""
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def _error_type(exc: BaseException | None, failure: Failure) -> str:
    """The error's class name (the SDK's `NotFoundError`, ...); `UsageError` for the CLI's usage and parse errors."""
    if exc is None or isinstance(exc, ClickException) or (isinstance(exc, CLIError) and failure.code == ExitCode.USAGE):
        return "UsageError"
    if isinstance(exc, CLIError):
        return "CommandError"
    return type(exc).__name__


def _job_state(exc: BaseException | None, job: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The job's last known state: what the command saw, updated by the status the error carries."""
    state = dict(job) if job is not None else None
    last = getattr(exc, "status", None) if isinstance(exc, miraflow.JobFailedError) else None
    if isinstance(exc, miraflow.WaitTimeoutError):
        last = exc.last_status
    if isinstance(last, miraflow.JobStatus):
        state = {**(state or {}), **status_json(last)}
    job_id = getattr(exc, "job_id", None)
    if state is None and isinstance(job_id, str):
        state = {"jobId": job_id}
    return state


def failure_json(
    failure: Failure, exc: BaseException | None = None, *, job: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A failure as the one JSON object `--json` prints on stdout: the error, and the job's last known state (or null).

    `error.status` is the HTTP status of the API's answer (null when the failure did not come from one).
    """
    error: dict[str, Any] = {
        "type": _error_type(exc, failure),
        "message": one_line(failure.message),
        "status": _http_status(exc) if exc is not None else None,
        "exitCode": int(failure.code),
    }
    if failure.details:
        error["details"] = [one_line(detail) for detail in failure.details]
    return {"error": error, "job": _job_state(exc, job)}


def emit_json(document: Mapping[str, Any]) -> None:
    """Print a failure's JSON object on stdout (a closed stdout is ignored: the exit code still says it)."""
    with contextlib.suppress(BrokenPipeError, OSError, ValueError):
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        sys.stdout.flush()


def json_requested(args: Sequence[str] | None) -> bool:
    """Whether a command line asked for `--json` (before any `--`): its parse errors are then JSON too."""
    for arg in sys.argv[1:] if args is None else args:
        if arg == "--":
            return False
        if arg == "--json":
            return True
    return False


class Reporter:
    """What `reporting` knows while a command runs: its name, the API it talks to, and what to add to a failure."""

    def __init__(self, *, prog: str = "miraflow", on_api_error: str | None = None, json_output: bool = False) -> None:
        self.prog = prog
        self.json = json_output
        """With `--json`: a failure is also a JSON object on stdout."""
        self.job: dict[str, Any] | None = None
        """The job's last known state (camelCase, as `--json` prints it), for a failure's JSON object."""
        self.document_printed = False
        """The command already printed its JSON document (a campaign's summary before its exit code): no second."""
        self.base_url: str | None = None
        self.on_interrupt: str | None = None
        """Appended to "interrupted" (say, that the job keeps running and how to follow it)."""
        self.on_api_error = on_api_error
        """Appended to an API error's line (say, that rerunning resumes)."""


@contextlib.contextmanager
def reporting(
    *,
    prog: Literal["miraflow", "miraflow batch"] = "miraflow",
    on_api_error: str | None = None,
    json_output: bool = False,
) -> Iterator[Reporter]:
    """Run a command's body: any failure becomes its line on stderr and `typer.Exit` with its code.

    With `json_output` the failure is also one JSON object on stdout (`failure_json`).
    """
    reporter = Reporter(prog=prog, on_api_error=on_api_error, json_output=json_output)
    try:
        yield reporter
        sys.stdout.flush()  # here, not at the interpreter's exit: a reader that went away is handled below
    except (typer.Exit, typer.Abort):
        raise
    except BrokenPipeError:  # stdout's reader went away (`miraflow batch report DIR | head -1`): it has what it wanted
        silence_stdout()
        raise typer.Exit(int(ExitCode.OK)) from None
    except BaseException as exc:
        if isinstance(exc, SystemExit | GeneratorExit):
            raise
        failure = describe(exc, base_url=reporter.base_url, on_api_error=reporter.on_api_error)
        if failure is None:
            if os.environ.get(LOG_ENV, "").strip().lower() == "debug":
                raise
            failure = Failure(
                f"unexpected {type(exc).__name__}: {exc} (this is a bug in miraflow; MIRAFLOW_LOG=debug shows the "
                "traceback)",
                ExitCode.API_ERROR,
            )
        if failure.code == ExitCode.INTERRUPTED and reporter.on_interrupt:
            failure = Failure(f"{failure.message}; {reporter.on_interrupt}", failure.code)
        if reporter.json and not reporter.document_printed:
            emit_json(failure_json(failure, exc, job=reporter.job))
        emit(failure, prefix=reporter.prog)
        raise typer.Exit(int(failure.code)) from None


def _stdout_is_null() -> bool:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        return os.path.samestat(os.fstat(sys.stdout.fileno()), os.stat(os.devnull))
    return False


def stdout_pipe_closed(was_null: bool) -> bool:
    """Whether click or rich found stdout's reader gone, and exited 1 for it (help piped into `head -1`).

    click then swaps stdout for a wrapper; rich points stdout at the null device. `was_null`: whether stdout was the
    null device before the command ran (then that says nothing). The CLI exits 0 then, as for a closed pipe elsewhere.
    """
    return type(sys.stdout).__name__ == "PacifyFlushWrapper" or (not was_null and _stdout_is_null())


def stdout_is_null() -> bool:
    """Whether stdout is the null device (see `stdout_pipe_closed`)."""
    return _stdout_is_null()


def silence_stdout() -> None:
    """Point stdout at the null device, so the interpreter's final flush does not fail on the closed pipe again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


def run_command_line(invoke: Callable[[], object], args: Sequence[str] | None, *, prog: str = "miraflow") -> int:
    """Run a parsed command line (`invoke`: click's `main` with `standalone_mode=False`) and return its exit code.

    What a command does not report itself is reported here: a parse error as one line (and, with `--json` in `args`,
    one JSON object on stdout), Ctrl-C before a command ran, and a closed stdout (help piped into `head -1`: exit 0).
    """
    was_null = stdout_is_null()
    try:
        result = invoke()
        sys.stdout.flush()  # now, so a closed pipe is handled below, not at the interpreter's exit
    except ClickException as exc:
        failure, code = usage_failure(exc)
        if failure is not None:
            if json_requested(args):
                emit_json(failure_json(failure, exc))
            emit(failure, prefix=prog)
        return code
    except (typer.Abort, KeyboardInterrupt, EOFError):
        failure = interrupted()
        emit(failure, prefix=prog)
        return int(failure.code)
    except BrokenPipeError:  # stdout's reader went away (help piped into `head -1`): it has what it wanted
        silence_stdout()
        return 0
    except SystemExit as exc:
        if not stdout_pipe_closed(was_null):
            raise
        silence_stdout()
        return 0 if exc.code == 1 else int(exc.code or 0)
    return result if isinstance(result, int) else 0


def usage_failure(exc: Exception) -> tuple[Failure | None, int]:
    """A parse error of typer's click as one line (None: nothing to print) and its exit code."""
    code = int(getattr(exc, "exit_code", ExitCode.USAGE))
    if type(exc).__name__ == "NoArgsIsHelpError":  # the help was printed instead
        return None, code
    format_message = getattr(exc, "format_message", None)
    message = format_message() if callable(format_message) else str(exc)
    ctx = getattr(exc, "ctx", None)
    command = str(getattr(ctx, "command_path", "") or "miraflow")
    return Failure(f"{one_line(str(message)).rstrip('.')}; see `{command} --help`", code), code
