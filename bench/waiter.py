"""Benchmark 1: the SDK's adaptive waiter against fixed-interval polling, side by side on one simulator.

For each mode (face-cropped previews and full-background videos) it creates `--jobs` jobs per strategy and follows
them all at once:

- `waiter`: `client.jobs.wait(job, time_scale=S)`;
- `fixed 5 s`: poll every 5 s (scaled), as the guide does for previews;
- `guide`: the guide's own rates, 5 s for previews and 15 s for full background (scaled).

Per job it measures the status calls (from the simulator's request journal) and the detection lag: from the job's
completion on the simulator's clock (`/__admin/jobs`) to the moment the strategy returned. Lags are printed in
service seconds (real seconds divided by the time scale), so they compare with the guide's 5 s.
Goal: at least 5x fewer status calls than fixed 5 s polling, with a p95 lag no worse.

Three scenarios run one after the other on the one simulator, the client never told how wrong the spec is: `spec`
(the client is told the simulator's time scale), `20x faster` (told a scale 20 times the simulator's: every job renders
20 times faster than the range it expects; goal p95 lag <= 5 s) and `3x slower` (told a third of it; goal: p95 lag no
worse than fixed polling's, >= 3x fewer calls). Lags are in the client's service seconds. A fourth, `spec, in turn`,
follows twice as many face-cropped jobs in five waves, each started once the one before has finished, on the same
clients: the waiter's client learns the jobs' pace in the first wave (`PaceHistory`) and stops probing in the next
ones, as a script that makes videos batch after batch would see. (All jobs of the other scenarios start at once:
their waiter never saw a job finish when it plans the first poll, so they measure a client that has not learned yet.)

What the waiter gains depends on how well progress tracks the share of the render done. The simulator's progress is
linear with jitter (each of 8 knots off the line by up to half a segment); the waiter assumes a band about twice as
wide (`PROGRESS_SPREAD`). `python -m bench.waiter_replay` replays the same planner offline on a fake clock, and its
`noisy curve` row against a far noisier curve (knots at sorted uniform draws: "50 %" anywhere from a quarter to three
quarters of the render): 4.0x (face-cropped) and 7.5x (full background) fewer calls than fixed 5 s polling, with p95
lags of 11.3 s and 26.6 s against fixed polling's 4.7 s (8.8 s and 35.3 s before the waiter leaned on the spec's
shortest finish; on 400 face-cropped jobs 10.4 s before and 10.2 s after: 100 such jobs make a jumpy p95). With doubt
in the spec's durations, a curve that stalls early reads as a far longer job: such a service costs much lag.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter
from dataclasses import dataclass

from bench._common import BENCH_KEY, clock_offset, percentile, simulator, table
from miraflow import AsyncMiraflow, Job
from miraflow_mock.testing import SimulatorHandle

MODES = {"face_cropped": False, "full_background": True}  # mode -> full_background
SCRIPT = "Welcome to the tour: this short script takes a few seconds to speak."


SCENARIOS = {"spec": 1.0, "20x faster": 20.0, "3x slower": 1.0 / 3.0, "spec, in turn": 1.0}  # told scale / simulator's
IN_TURN = "spec, in turn"  # face-cropped jobs in waves, one after the other, on the same clients: the waiter learns
WAVES = 5


@dataclass
class Outcome:
    scenario: str
    mode: str
    strategy: str
    job_id: str
    returned_at: float  # time.monotonic()


def _intervals(mode: str) -> dict[str, float | None]:
    """Each strategy's fixed interval in service seconds (None: the SDK's waiter)."""
    return {"waiter": None, "fixed 5 s": 5.0, "guide": 15.0 if mode == "full_background" else 5.0}


async def _follow(client: AsyncMiraflow, job: Job, interval: float | None, time_scale: float) -> float:
    if interval is None:
        await client.jobs.wait(job, time_scale=time_scale)
        return time.monotonic()
    while True:  # the guide's loop: check, and sleep a fixed interval until the job is done
        status = await client.jobs.retrieve(job)
        if status.is_terminal:
            return time.monotonic()
        await asyncio.sleep(interval * time_scale)


async def _run_all(sim: SimulatorHandle, jobs: int, time_scale: float, scenario: str) -> list[Outcome]:
    clients = {name: AsyncMiraflow(BENCH_KEY, base_url=sim.api_root) for name in _intervals("face_cropped")}
    try:
        avatar = (await clients["waiter"].avatars.list())[0]
        for client in clients.values():
            await client.avatars.list()  # warm every client's cache and connection

        one_at_a_time = asyncio.Lock()  # creates go out one by one, as a user's would; the follows overlap

        async def one(scenario: str, mode: str, strategy: str, index: int) -> Outcome:
            client = clients[strategy]
            async with one_at_a_time:
                job = await client.videos.create(
                    avatar=avatar,
                    text=SCRIPT,
                    name=f"bench {scenario} {mode} {strategy} {index}",
                    full_background=MODES[mode],
                )
            told = time_scale * SCENARIOS[scenario]
            returned = await _follow(client, job, _intervals(mode)[strategy], told)
            return Outcome(scenario, mode, strategy, job.id, returned)

        modes = ["face_cropped"] if scenario == IN_TURN else list(MODES)
        waves = WAVES if scenario == IN_TURN else 1
        outcomes: list[Outcome] = []
        for wave in range(waves):  # a wave starts once the one before has finished
            tasks = [
                one(scenario, mode, strategy, index)
                for index in range(wave * jobs // waves, (wave + 1) * jobs // waves)
                for mode in modes
                for strategy in _intervals(mode)
                if scenario == "spec" or strategy != "guide"
            ]
            outcomes += await asyncio.gather(*tasks)
        return outcomes
    finally:
        for client in clients.values():
            await client.close()


def run(sim: SimulatorHandle, *, jobs: int = 50, time_scale: float = 0.1, wrong_spec_jobs: int = 20) -> str:
    """Run the benchmark on `sim` (a real-clock simulator started with this time scale); return the report.

    The scenarios run one after the other (fixed polling of the `3x slower` one is busy enough to slow the others'
    clocks); `wrong_spec_jobs` per mode and strategy in the two wrong-spec scenarios.
    """
    started = time.monotonic()
    outcomes: list[Outcome] = []
    calls: Counter[str] = Counter()
    for scenario in SCENARIOS:
        # In turn: twice as many jobs (five waves of 20 a strategy take no longer than of 10), for a steadier p95.
        count = {"spec": jobs, IN_TURN: 2 * jobs}.get(scenario, wrong_spec_jobs)
        mine = asyncio.run(_run_all(sim, count, time_scale, scenario))
        outcomes += mine
        ids = {outcome.job_id for outcome in mine}
        calls.update(  # counted after each scenario: the simulator's journal keeps only the latest requests
            entry["path"].split("/")[3]
            for entry in sim.requests()
            if entry["method"] == "GET" and entry["path"].endswith("/status") and entry["path"].split("/")[3] in ids
        )
    offset = clock_offset(sim)
    completed = {record["jobId"]: record["completedAt"] for record in sim.jobs()}
    rows, summary = [], {}
    for scenario, factor in SCENARIOS.items():
        told = time_scale * factor
        for mode in MODES:
            for strategy in _intervals(mode):
                mine = [o for o in outcomes if (o.scenario, o.mode, o.strategy) == (scenario, mode, strategy)]
                if not mine:
                    continue
                counts = [calls[outcome.job_id] for outcome in mine]
                lags = [(o.returned_at + offset - completed[o.job_id]) / told for o in mine]
                summary[scenario, mode, strategy] = (statistics.mean(counts), percentile(lags, 0.95))
                rows.append(
                    [
                        scenario,
                        mode,
                        strategy,
                        f"{statistics.mean(counts):.1f}",
                        f"{percentile(counts, 0.5):.0f}",
                        f"{percentile(counts, 0.95):.0f}",
                        f"{percentile(lags, 0.5):.2f}",
                        f"{percentile(lags, 0.95):.2f}",
                        f"{max(lags):.2f}",
                    ]
                )
    lines = [
        f"Waiter vs fixed polling: {jobs} jobs per mode and strategy ({wrong_spec_jobs} in the wrong-spec scenarios), "
        f"time scale {time_scale} "
        f"({time.monotonic() - started:.0f} s). Lags in service seconds, as the client counts them.",
        table(
            ["scenario", "mode", "strategy", "calls/job", "p50", "p95", "lag p50", "lag p95", "lag max"],
            rows,
        ),
    ]
    goals = {"spec": (5.0, None), "20x faster": (None, 5.0), "3x slower": (3.0, None), IN_TURN: (5.0, None)}
    for scenario in SCENARIOS:
        for mode in MODES:
            if (scenario, mode, "waiter") not in summary:
                continue
            (waiter_calls, waiter_lag) = summary[scenario, mode, "waiter"]
            (fixed_calls, fixed_lag) = summary[scenario, mode, "fixed 5 s"]
            ratio = fixed_calls / waiter_calls
            min_ratio, lag_bound = goals[scenario]
            lag_limit = fixed_lag if lag_bound is None else lag_bound
            parts = [f"{scenario}, {mode}: {ratio:.1f}x fewer status calls than fixed 5 s"]
            if min_ratio is not None:
                parts.append(f"(goal >= {min_ratio:g}x: {'met' if ratio >= min_ratio else 'NOT met'})")
            limit_text = f"{lag_limit:.2f} s" + (" (fixed 5 s)" if lag_bound is None else "")
            verdict = "met" if waiter_lag <= lag_limit else "NOT met"
            parts.append(f"; lag p95 {waiter_lag:.2f} s vs {limit_text}: {verdict}")
            if scenario == "spec":
                guide_calls, _ = summary[scenario, mode, "guide"]
                parts.append(f"; {guide_calls / waiter_calls:.1f}x fewer than the guide")
            lines.append(" ".join(parts).replace(" ;", ";"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=50, help="jobs per mode and strategy (default 50)")
    parser.add_argument("--time-scale", type=float, default=0.1, help="the simulator's time scale (default 0.1)")
    args = parser.parse_args(argv)
    with simulator(time_scale=args.time_scale) as sim:
        print(run(sim, jobs=args.jobs, time_scale=args.time_scale))


if __name__ == "__main__":
    main()
