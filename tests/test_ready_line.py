"""The ready line: one format, written and parsed by `miraflow.ready_line` only."""

from __future__ import annotations

import subprocess
import sys

from miraflow.ready_line import ReadyLine


def test_the_simulators_line_round_trips() -> None:
    ready = ReadyLine("miraflow-mock serve", "http://127.0.0.1:4010", "http://127.0.0.1:4010/api", "http://127.0.0.1:9")
    line = ready.format()
    assert line == (
        "miraflow-mock serve: ready at http://127.0.0.1:4010 "
        "(API root http://127.0.0.1:4010/api, admin http://127.0.0.1:9/__admin)"
    )
    assert ReadyLine.parse(line + "\n") == ready


def test_prisms_line_has_no_admin() -> None:
    ready = ReadyLine("miraflow-mock prism", "http://[::1]:4010", "http://[::1]:4010/api")
    assert ReadyLine.parse(ready.format()) == ready


def test_other_lines_are_not_ready_lines() -> None:
    for line in ("", "INFO: listening", "miraflow-mock serve: ready at somewhere", "ready at http://x (API root y)"):
        assert ReadyLine.parse(line) is None


def test_the_printed_line_is_the_parsed_line() -> None:
    code = "from miraflow.ready_line import ReadyLine; ReadyLine('p', 'http://h:1', 'http://h:1/api', 'http://h:1').announce()"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert ReadyLine.parse(out) == ReadyLine("p", "http://h:1", "http://h:1/api", "http://h:1")
