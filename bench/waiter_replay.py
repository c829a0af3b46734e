"""The waiter replayed offline: the planner against the simulator's own job model on a fake clock (no sleeps).

Deterministic and independent of the machine's load, unlike `bench.waiter` (which measures a running simulator on the
real clock). Per scenario (`spec`, `20x fast`, `3x slow`: the jobs' true durations against the range the planner is
told) and mode: mean status calls and p95 lag of the waiter and of fixed 5 s polling.
"""

from __future__ import annotations

import argparse
import random
import statistics

from bench._common import percentile, table
from miraflow._waiter import PollPlanner
from miraflow.spec import lifecycle
from miraflow.types import JobState, JobStatus
from miraflow_mock.simulator.jobs import Job, SlotSchedule, plan_job, view

SCENARIOS = {"spec": 1.0, "20x fast": 0.05, "3x slow": 3.0}


def _jobs(mode: str, factor: float, count: int) -> list[Job]:
    rng = random.Random(11)
    return [
        plan_job(
            rng=rng,
            job_id=f"job-{i}",
            video_id="v",
            tenant="t",
            avatar_id="a",
            name="n",
            mode=lifecycle().mode(mode),
            cost=1,
            speech_seconds=1.0,
            now=0.0,
            slots=SlotSchedule(1),
            time_scale=factor,
            fail_rate=0.0,
        )
        for i in range(count)
    ]


def _waiter(job: Job, mode: str) -> tuple[int, float]:
    planner = PollPlanner(duration=lifecycle().mode(mode).duration, started_after=0.0, rng=random.Random(job.seed))
    now, calls = 0.0, 0
    delay = planner.first_delay(now).delay
    while True:
        now += delay
        calls += 1
        state, progress = view(job, now)
        if state == job.outcome:
            return calls, now - job.ended_at
        planner.observe(now, JobStatus(job_id=job.id, status=JobState(state), progress=progress))
        delay = planner.next_delay(now).delay


def _fixed(job: Job, interval: float = 5.0) -> tuple[int, float]:
    now, calls = 0.0, 1
    while now < job.ended_at:
        now += interval
        calls += 1
    return calls, now - job.ended_at


def run(jobs: int = 100) -> str:
    """Replay `jobs` jobs per scenario and mode; return the report."""
    rows = []
    for scenario, factor in SCENARIOS.items():
        for mode in ("face_cropped", "full_background"):
            planned = _jobs(mode, factor, jobs)
            waiter = [_waiter(job, mode) for job in planned]
            fixed = [_fixed(job) for job in planned]
            waiter_calls = statistics.mean(calls for calls, _ in waiter)
            fixed_calls = statistics.mean(calls for calls, _ in fixed)
            rows.append(
                [
                    scenario,
                    mode,
                    f"{waiter_calls:.1f}",
                    f"{percentile([lag for _, lag in waiter], 0.95):.2f}",
                    f"{fixed_calls:.1f}",
                    f"{percentile([lag for _, lag in fixed], 0.95):.2f}",
                    f"{fixed_calls / waiter_calls:.1f}x",
                ]
            )
    headers = ["scenario", "mode", "waiter calls", "lag p95", "fixed 5 s calls", "lag p95", "fewer calls"]
    return f"Waiter replayed on a fake clock: {jobs} jobs per scenario and mode.\n" + table(headers, rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100, help="jobs per scenario and mode (default 100)")
    print(run(parser.parse_args(argv).jobs))


if __name__ == "__main__":
    main()
