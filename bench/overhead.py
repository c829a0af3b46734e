"""Benchmark 2: the SDK's cost per request against a raw httpx call of the same endpoint with JSON parsing.

Sequential requests on one keep-alive connection each, alternating rounds of SDK and raw calls so both see the same
server. Measured: `client.avatars.list(refresh=True)` (the cache bypassed, so each call is a request) and
`client.jobs.retrieve(job_id)`, against `httpx.Client.get(...)` + `raise_for_status()` + `.json()`. The cached
`avatars.list()` is shown too. Goal: at most 1.3x the raw call's time.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import httpx

from bench._common import BENCH_KEY, median, simulator, table
from miraflow import Miraflow
from miraflow_mock.testing import SimulatorHandle


def _per_call(call: Callable[[], object], count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        call()
    return (time.perf_counter() - started) / count


def _compare(
    sdk: Callable[[], object], raw: Callable[[], object], *, rounds: int, per_round: int
) -> tuple[float, float]:
    """Median seconds per call of `sdk` and `raw`, over alternating rounds."""
    for _ in range(20):  # warm up both
        sdk()
        raw()
    sdk_times, raw_times = [], []
    for index in range(rounds):
        pair = [(sdk, sdk_times), (raw, raw_times)]
        for call, times in pair if index % 2 == 0 else reversed(pair):
            times.append(_per_call(call, per_round))
    return median(sdk_times), median(raw_times)


def run(sim: SimulatorHandle, *, rounds: int = 20, per_round: int = 50) -> str:
    """Run the benchmark on `sim`; return the report."""
    with (
        Miraflow(BENCH_KEY, base_url=sim.api_root) as client,
        httpx.Client(base_url=sim.url, headers={"x-api-key": BENCH_KEY}) as raw_client,
    ):
        job = client.videos.create(avatar=client.avatars.list()[0], text="Overhead.", name="overhead")

        def raw(path: str) -> Callable[[], object]:
            def call() -> object:
                response = raw_client.get(path)
                response.raise_for_status()
                return response.json()

            return call

        results = {
            "avatars.list(refresh=True)": _compare(
                lambda: client.avatars.list(refresh=True), raw("/api/avatars"), rounds=rounds, per_round=per_round
            ),
            "jobs.retrieve(job_id)": _compare(
                lambda: client.jobs.retrieve(job.id),
                raw(f"/api/video/{job.id}/status"),
                rounds=rounds,
                per_round=per_round,
            ),
        }
        cached = _per_call(client.avatars.list, 2000)
    rows = [
        [name, f"{sdk * 1e6:.0f}", f"{raw_time * 1e6:.0f}", f"{sdk / raw_time:.2f}x", _verdict(sdk / raw_time)]
        for name, (sdk, raw_time) in results.items()
    ]
    rows.append(["avatars.list() (cached)", f"{cached * 1e6:.1f}", "-", "-", "no request at all"])
    return "\n".join(
        [
            f"Overhead vs raw httpx + JSON: median of {rounds} alternating rounds of {per_round} sequential calls.",
            table(["call", "SDK µs/call", "raw µs/call", "ratio", "goal <= 1.3x"], rows),
        ]
    )


def _verdict(ratio: float) -> str:
    return "met" if ratio <= 1.3 else "NOT met"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--per-round", type=int, default=50)
    args = parser.parse_args(argv)
    with simulator(time_scale=1.0) as sim:
        print(run(sim, rounds=args.rounds, per_round=args.per_round))


if __name__ == "__main__":
    main()
