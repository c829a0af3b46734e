"""The options commands share, declared once: typer's annotated types, and the set every video-making command takes.

`video_options` gives a command the shared options of `VideoOptions` as its own (typer sees each one, in `--help`
too) and passes them to it as one `VideoOptions`, so `create` and `upload` do not each list them again.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Annotated

import attrs
import typer

from miraflow.cli.durations import DURATION_METAVAR, duration_option
from miraflow.environment import API_KEY_ENV, BASE_URL_ENV, TIME_SCALE_ENV

__all__ = [
    "ApiKeyOption",
    "AvatarOption",
    "BaseUrlOption",
    "DownloadOption",
    "JsonOption",
    "QuietOption",
    "TimeScaleOption",
    "TimeoutOption",
    "VideoOptions",
    "WaitOption",
    "video_options",
]

_CONNECTION = "Connection"

ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        metavar="KEY",
        help=f"The API key. Default: ${API_KEY_ENV}.",
        show_default=False,
        rich_help_panel=_CONNECTION,
    ),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        metavar="URL",
        help=f"The API root, such as http://127.0.0.1:4010/api for a local simulator. Default: ${BASE_URL_ENV}, "
        "else https://miraflow.ai/api.",
        show_default=False,
        rich_help_panel=_CONNECTION,
    ),
]
JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help='Print the result as JSON on stdout, and nothing else there; a failure as {"error": ..., "job": ...}.',
    ),
]
QuietOption = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Print only the id, for scripts (JOB=$(miraflow create -q ...)); no progress."),
]
TimeoutOption = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        parser=duration_option,
        metavar=DURATION_METAVAR,
        help="Give up waiting after this long: seconds, or 90s, 10m, 1h30m (exit code 4).",
    ),
]
TimeScaleOption = Annotated[
    float,
    typer.Option(
        "--time-scale",
        min=1e-6,
        metavar="S",
        envvar=TIME_SCALE_ENV,
        help="For a simulator started with --time-scale S: scales the waiter's intervals and expected durations.",
    ),
]
WaitOption = Annotated[bool, typer.Option("--wait", "-w", help="Wait until the video is ready.")]
DownloadOption = Annotated[
    str | None,
    typer.Option(
        "--download",
        "-d",
        metavar="DIR",
        help="Wait, then download the MP4 into DIR (created if missing).",
        show_default=False,
    ),
]
AvatarOption = Annotated[
    str, typer.Option("--avatar", "-a", metavar="ID|NAME", help="The avatar, by id or name (see `miraflow avatars`).")
]


@attrs.frozen
class VideoOptions:
    """What a command that makes a video does after the create, how it prints, and where it connects."""

    wait: WaitOption = False
    download: DownloadOption = None
    timeout: TimeoutOption = None
    time_scale: TimeScaleOption = 1.0
    json_output: JsonOption = False
    quiet: QuietOption = False
    api_key: ApiKeyOption = None
    base_url: BaseUrlOption = None


def video_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give `command` the options of `VideoOptions`, after its own, passed to it as `options=VideoOptions(...)`."""
    hints = typing.get_type_hints(VideoOptions, include_extras=True)
    shared = [
        inspect.Parameter(
            field.name, inspect.Parameter.KEYWORD_ONLY, default=field.default, annotation=hints[field.name]
        )
        for field in attrs.fields(VideoOptions)
    ]
    own = [param for param in inspect.signature(command, eval_str=True).parameters.values() if param.name != "options"]

    @functools.wraps(command)
    def run(*args: object, **kwargs: object) -> None:
        given = {field.name: kwargs.pop(field.name, field.default) for field in attrs.fields(VideoOptions)}
        command(*args, options=VideoOptions(**given), **kwargs)  # type: ignore[arg-type]

    signature = inspect.Signature([*own, *shared])
    # typer reads a command's parameters from its signature and their types from its annotations.
    run.__signature__ = signature  # type: ignore[attr-defined]
    run.__annotations__ = {param.name: param.annotation for param in signature.parameters.values()}
    return run
