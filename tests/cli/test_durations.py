"""`--timeout` values as people type them: 90, 90s, 10m, 1h, 1h30m, 1.5m."""

from __future__ import annotations

import json
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from miraflow.cli.durations import DURATION_METAVAR, duration_option, format_duration, parse_duration
from miraflow_mock.testing import SimulatorHandle

from .conftest import PHOTO, Invoke, assert_one_line_error, env_for


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90", 90.0),
        ("0", 0.0),
        ("2.5", 2.5),
        (".5", 0.5),
        ("90s", 90.0),
        ("10m", 600.0),
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("1.5m", 90.0),
        ("1h2m3s", 3723.0),
        ("2m30s", 150.0),
        ("1H 30M", 5400.0),
        (" 45s ", 45.0),
        ("0.25h", 900.0),
        ("90m", 5400.0),  # a unit may run over the next one's size
    ],
)
def test_durations_that_parse(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text",
    ["", "  ", "s", "m5", "-1", "-5m", "10x", "10 minutes", "1m1m", "30s1m", "1h 2", "1 5m", "1.2.3s", "abc", "1e3"],
)
def test_bad_durations_say_what_to_write(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration") as caught:
        parse_duration(text)
    assert "10m" in str(caught.value) or "largest first" in str(caught.value)


def test_too_long_is_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_duration("9" * 400)


@pytest.mark.parametrize(("seconds", "text"), [(0, "0s"), (90, "1m30s"), (5400, "1h30m"), (3600, "1h"), (0.5, "0.5s")])
def test_format_duration_round_trips(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
    assert parse_duration(text) == seconds


def test_the_typer_parser_converts_and_fails_as_a_usage_error() -> None:
    seen: list[float | None] = []
    app = typer.Typer()

    @app.command()
    def command(
        timeout: Annotated[
            float | None, typer.Option("--timeout", parser=duration_option, metavar=DURATION_METAVAR)
        ] = None,
    ) -> None:
        seen.append(timeout)

    runner = CliRunner()
    assert runner.invoke(app, ["--timeout", "10m"]).exit_code == 0
    assert runner.invoke(app, []).exit_code == 0
    assert seen == [600.0, None]
    bad = runner.invoke(app, ["--timeout", "soon"])
    assert bad.exit_code == 2
    assert "Invalid value for '--timeout'" in bad.output and "not a duration" in bad.output
    assert duration_option(30) == 30.0
    with pytest.raises(typer.BadParameter):
        duration_option(-1)
    assert DURATION_METAVAR in runner.invoke(app, ["--help"]).output


# --- wired into the CLI's --timeout ----------------------------------------------------------------------------------


def test_wait_takes_a_timeout_with_a_unit(frozen_sim: SimulatorHandle, invoke: Invoke) -> None:
    env = env_for(frozen_sim)
    created = invoke("create", "-a", PHOTO, "-t", "Hi.", "--json", env=env)
    assert created.exit_code == 0, created.stderr
    job = json.loads(created.stdout)["jobId"]
    # Before: "--timeout 0.2s" was refused ("'0.2s' is not a valid float"); only bare seconds were read.
    assert_one_line_error(invoke("wait", job, "--timeout", "0.2s", env=env), 4, stdout_empty=False)  # progress lines
    line = assert_one_line_error(invoke("wait", job, "--timeout", "10x", env=env), 2)
    assert "--timeout" in line and "not a duration" in line and "10m" in line
    assert "DURATION" in invoke("wait", "--help").stdout
