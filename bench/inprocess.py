"""The in-process mock (`mock_miraflow()`) against the subprocess simulator, in one run.

    python -m bench.inprocess [--runs 5]

Measures, as medians of `--runs` runs each: starting one (and stopping it), and the guide's preview flow (its own
client, unchanged: list avatars, create a face-cropped preview, poll until complete on a manual clock), over the
in-process interception and over loopback HTTP to `miraflow-mock serve`. Also what a test pays per test with each
pytest fixture: `miraflow_mock` starts, runs and stops a fresh one; `miraflow_simulator` resets a session-wide one.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import requests

from miraflow_mock import mock_miraflow
from miraflow_mock.testing import SimulatorHandle, start_simulator
from tests.simulator import guide_client

GUIDE_KEY = "YOUR_API_KEY"  # the guide's client hard-codes its placeholder key
OPTIONS: dict[str, Any] = {"clock": "manual", "seed": 3, "tenants": {GUIDE_KEY: 1000}}


class _SimulatorTime:
    """`time` as the guide's module sees it: the simulator's manual clock, which `sleep` moves forward."""

    def __init__(self, sim: SimulatorHandle) -> None:
        self.sim = sim

    def time(self) -> float:
        return self.sim.now()

    def sleep(self, seconds: float) -> None:
        self.sim.advance(seconds)


def _redirected_session(api_root: str) -> type[requests.Session]:
    """requests.Session sending the guide's https://miraflow.ai/api traffic to a simulator on loopback."""

    class RedirectedSession(requests.Session):
        def request(self, method: Any, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
            return super().request(method, str(url).replace("https://miraflow.ai/api", api_root), *args, **kwargs)

    return RedirectedSession


def preview_flow(sim: SimulatorHandle) -> None:
    """The guide's quick-preview step, with its own client: avatars, a face-cropped create, polling to the end."""
    guide_client.time = _SimulatorTime(sim)  # type: ignore[attr-defined]
    api = guide_client.MiraflowPhotoAvatarAPI(GUIDE_KEY)
    photo = next(avatar for avatar in api.get_avatars()["avatars"] if avatar["isPhoto"])
    created = api.create_video(
        avatar_id=photo["id"],
        name="Marketing Preview - Face Cropped",
        text="Hi there! This is a quick preview of our new product features.",
        is_photo=True,
        use_full_background=False,
    )
    with contextlib.redirect_stdout(io.StringIO()):
        status = api.wait_for_completion(created["jobId"], polling_interval=5, max_wait_time=180)
    assert status["status"] == "inference_complete", status


def _reset_and_run(sim: SimulatorHandle) -> None:
    """What a test using the session-wide `miraflow_simulator` fixture pays: a reset, then the flow."""
    sim.reset()
    preview_flow(sim)


def _median(runs: int, action: Callable[[], None]) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    """Measure both and print the ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs of each measurement (medians are shown)")
    args = parser.parse_args()
    real_session = requests.Session

    def start_then_stop(start: Callable[[], SimulatorHandle]) -> tuple[float, float]:
        started = time.perf_counter()
        handle = start()
        ready = time.perf_counter()
        handle.stop()
        return ready - started, time.perf_counter() - ready

    def medians(start: Callable[[], SimulatorHandle]) -> tuple[float, float]:
        samples = [start_then_stop(start) for _ in range(args.runs)]
        return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)

    def in_process_test() -> None:  # what the miraflow_mock fixture costs a test, flow included
        with mock_miraflow(**OPTIONS) as sim:
            preview_flow(sim)

    start_then_stop(lambda: mock_miraflow(**OPTIONS).start())  # warm up: imports, the spec
    in_start, in_stop = medians(lambda: mock_miraflow(**OPTIONS).start())
    sub_start, sub_stop = medians(lambda: start_simulator(**OPTIONS))
    rows = [("start one (until it answers)", in_start, sub_start), ("stop it", in_stop, sub_stop)]
    with mock_miraflow(**OPTIONS) as sim:
        flow_in = _median(args.runs, lambda: _reset_and_run(sim))
    with start_simulator(**OPTIONS) as server:
        guide_client.requests.Session = _redirected_session(server.api_root)  # type: ignore[misc]
        try:
            flow_sub = _median(args.runs, lambda: _reset_and_run(server))
        finally:
            guide_client.requests.Session = real_session  # type: ignore[misc]
    rows.append(("guide's preview flow", flow_in, flow_sub))
    rows.append(("per test: fresh in-process vs reset server", _median(args.runs, in_process_test), flow_sub))
    print(f"\nIn-process mock vs subprocess simulator (medians of {args.runs} runs; only ratios count)")
    print(f"{'measure':<44}{'in-process':>12}{'subprocess':>12}{'ratio':>8}")
    for name, inside, outside in rows:
        print(f"{name:<44}{inside * 1000:>10.1f}ms{outside * 1000:>10.1f}ms{outside / inside:>7.1f}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
