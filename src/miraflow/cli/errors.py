"""What the `miraflow` command prints when something goes wrong, and the exit code it returns.

Every failure becomes one line on stderr (what went wrong, then what to do) and one of the documented exit codes;
never a traceback, never the key. `describe` maps the SDK's typed errors (and the CLI's own `CLIError`) to that line
and code, in one place; `reporting` applies it around a command; `usage_failure` does the same for the parse errors of
typer's click (one line instead of a usage block in a box).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from enum import IntEnum

import attrs
import typer

from miraflow import (
    AmbiguousAvatarError,
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    DownloadError,
    InsufficientCreditsError,
    InternalServerError,
    JobFailedError,
    JobMayExistError,
    MiraflowError,
    MissingAPIKeyError,
    ModeNotSupportedError,
    NotFoundError,
    RateLimitError,
    WaitTimeoutError,
)
from miraflow.base_url import BASE_URL_ENV

__all__ = [
    "EXIT_CODES_HELP",
    "CLIError",
    "ExitCode",
    "Failure",
    "Reporter",
    "describe",
    "emit",
    "reporting",
    "usage_failure",
]

API_KEY_ENV = "MIRAFLOW_API_KEY"


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


class CLIError(Exception):
    """A failure the CLI found itself (a bad flag combination, a missing file...): its one-line message and code."""

    def __init__(self, message: str, code: ExitCode = ExitCode.USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@attrs.frozen
class Failure:
    """One line to print on stderr, and the exit code."""

    message: str
    code: int


def _click_base(name: str) -> type[Exception]:
    """A base class of `typer.BadParameter`, by name: typer ≥ 0.2x runs on a vendored click, older typer on click."""
    for cls in typer.BadParameter.__mro__:
        if cls.__name__ == name and issubclass(cls, Exception):
            return cls
    raise ImportError(f"typer.BadParameter has no base class named {name}")  # pragma: no cover


ClickException = _click_base("ClickException")


def describe(exc: BaseException, *, base_url: str | None = None) -> Failure | None:
    """The line and exit code for `exc`, or None if it is not a failure the CLI knows (a bug: reported generically)."""
    if isinstance(exc, CLIError):
        return Failure(exc.message, exc.code)
    if isinstance(exc, KeyboardInterrupt):
        return Failure("interrupted", ExitCode.INTERRUPTED)
    if isinstance(exc, MiraflowError):
        return _describe_sdk(exc, base_url=base_url)
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return Failure(f"{exc.strerror or exc}{where}: check the path and its permissions", ExitCode.API_ERROR)
    return None


def _describe_sdk(exc: MiraflowError, *, base_url: str | None) -> Failure:
    """The one place an SDK error becomes a line and an exit code. Most specific classes first."""
    where = base_url or "the API"
    match exc:
        case MissingAPIKeyError():
            return Failure(
                f"no API key: pass --api-key KEY or set {API_KEY_ENV} (no key? `miraflow demo` runs on a local "
                "simulator)",
                ExitCode.USAGE,
            )
        case AmbiguousAvatarError():
            return Failure(f"{exc} to --avatar (`miraflow avatars` lists them)", ExitCode.USAGE)
        case ModeNotSupportedError():
            return Failure(f"{exc}", ExitCode.USAGE)
        case JobFailedError():
            return Failure(
                f"{exc} Create it again; if it keeps failing, try another script or avatar", ExitCode.JOB_FAILED
            )
        case WaitTimeoutError():
            return Failure(f"{exc}: `miraflow wait {exc.job_id}` waits for it again", ExitCode.WAIT_TIMEOUT)
        case AuthenticationError():
            return Failure(
                f"the API key was not accepted ({exc.message}): check --api-key or {API_KEY_ENV}", ExitCode.API_ERROR
            )
        case InsufficientCreditsError():
            return Failure(
                f"{exc.message}: nothing was created and no credits were spent; add credits to the account, or use "
                "a shorter script",
                ExitCode.API_ERROR,
            )
        case NotFoundError() if exc.response is None:  # found before any request: the message lists what exists
            return Failure(exc.message, ExitCode.API_ERROR)
        case NotFoundError():
            return Failure(f"{exc.message}: check the id (this key's account has no such item)", ExitCode.API_ERROR)
        case RateLimitError():
            return Failure(
                f"{exc.message}: the API is rate limiting this key; try again in a minute", ExitCode.API_ERROR
            )
        case InternalServerError():
            return Failure(f"{exc.message}: the Miraflow service failed; try again later", ExitCode.API_ERROR)
        case JobMayExistError():
            return Failure(
                f"the connection broke after the create of {exc.video_name!r} was sent, so the job may exist and may "
                f"have cost credits: look for it with `miraflow videos` once it had time to render before creating "
                "it again",
                ExitCode.API_ERROR,
            )
        case APITimeoutError():
            return Failure(f"{exc.message} talking to {where}: check the network and try again", ExitCode.API_ERROR)
        case APIConnectionError():
            return Failure(
                f"cannot reach {where} ({exc.message}): check the network, or --base-url / {BASE_URL_ENV}",
                ExitCode.API_ERROR,
            )
        case DownloadError():
            return Failure(f"{exc.message}; nothing was saved: try the download again", ExitCode.API_ERROR)
        case APIResponseValidationError():
            return Failure(
                f"{exc.message}: the API answered something its contract does not allow; try again, and report it "
                "if it persists",
                ExitCode.API_ERROR,
            )
        case APIStatusError() | APIError():
            return Failure(exc.message, ExitCode.API_ERROR)
        case _:
            return Failure(str(exc), ExitCode.API_ERROR)


def one_line(text: str) -> str:
    """`text` on one line: whitespace runs (newlines included) become one space."""
    return " ".join(text.split())


def emit(failure: Failure, *, prefix: str = "miraflow") -> None:
    """Print a failure's line on stderr."""
    label = "" if failure.code == ExitCode.INTERRUPTED else "error: "
    sys.stderr.write(f"{prefix}: {label}{one_line(failure.message)}\n")
    sys.stderr.flush()


class Reporter:
    """What `reporting` knows while a command runs: the API it talks to, and what to say if it is interrupted."""

    def __init__(self) -> None:
        self.base_url: str | None = None
        self.on_interrupt: str | None = None
        """Appended to "interrupted" (say, that the job keeps running and how to follow it)."""


@contextlib.contextmanager
def reporting() -> Iterator[Reporter]:
    """Run a command's body: any failure becomes its line on stderr and `typer.Exit` with its code."""
    reporter = Reporter()
    try:
        yield reporter
    except (typer.Exit, typer.Abort):
        raise
    except BrokenPipeError:  # stdout's reader went away (`miraflow videos --json | head -1`): nothing to say
        _silence_stdout()
        raise typer.Exit(int(ExitCode.API_ERROR)) from None
    except BaseException as exc:
        if isinstance(exc, SystemExit | GeneratorExit):
            raise
        failure = describe(exc, base_url=reporter.base_url)
        if failure is None:
            if os.environ.get("MIRAFLOW_LOG", "").strip().lower() == "debug":
                raise
            failure = Failure(
                f"unexpected {type(exc).__name__}: {exc} (this is a bug in miraflow; MIRAFLOW_LOG=debug shows the "
                "traceback)",
                ExitCode.API_ERROR,
            )
        if failure.code == ExitCode.INTERRUPTED and reporter.on_interrupt:
            failure = Failure(f"{failure.message}; {reporter.on_interrupt}", failure.code)
        emit(failure)
        raise typer.Exit(int(failure.code)) from None


def _silence_stdout() -> None:
    """Point stdout at the null device, so the interpreter's final flush does not fail on the closed pipe again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


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
