"""The waiter replayed offline: the planner against the simulator's own job model on a fake clock (no sleeps).

Deterministic and independent of the machine's load, unlike `bench.waiter` (which measures a running simulator on the
real clock). Per scenario (`spec`, `20x fast`, `3x slow`: the jobs' true durations against the range the planner is
told; `noisy curve`: spec durations, but progress far less even than the simulator's, each job's knots redrawn as sorted
uniform draws, so "50 %" may come anywhere from a quarter to three quarters of the render) and mode: mean status calls
and p95 lag of the waiter and of fixed 5 s polling. The waiter follows each job twice: as a fresh client (a new
process per job, as `miraflow create --wait` is), and as one client following the jobs in turn, which learns their
pace (`PaceHistory`: after a few jobs at the spec's pace it trusts the spec's range and stops probing).

Goals (issue 15): spec jobs >= 5x fewer calls than fixed 5 s polling at no worse p95 lag; 20x fast p95 lag <= 5 s;
3x slow >= 3x fewer calls at no worse p95 lag. The noisy curve has no goal: it shows what a wilder service costs.
`bench.waiter_bound` follows the spec rows' jobs with an exact Bayesian planner: the fewest calls any waiter could make.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics

from bench._common import percentile, table
from miraflow._waiter import PaceHistory, new_planner
from miraflow.spec import lifecycle
from miraflow.types import JobState, JobStatus
from miraflow_mock.simulator.jobs import Job, plan_jobs, view

SCENARIOS = {"spec": 1.0, "20x fast": 0.05, "3x slow": 3.0, "noisy curve": 1.0}  # the jobs' true time scale
NOISY = {"noisy curve"}


def _noisy(job: Job) -> Job:
    """`job` with its progress knots redrawn as sorted uniform draws (from its own seed): a far wilder curve."""
    rng = random.Random(job.seed + 1)
    inner = sorted(rng.random() for _ in range(len(job.knots) - 2))
    return dataclasses.replace(job, knots=(0.0, *inner, 1.0))


def follow(job: Job, mode: str, history: PaceHistory | None = None) -> tuple[int, float, list[int]]:
    """Follow `job` with the planner told the spec's range of `mode`: its status calls, its lag, the progress seen.

    With a `history`, as a client that followed the jobs before (`PaceHistory`); without, as a fresh client.
    """
    planner = new_planner(mode, started_after=0.0, rng=random.Random(job.seed), history=history)
    now, calls, seen = 0.0, 0, []
    delay = planner.first_delay(now).delay
    while True:
        now += delay
        calls += 1
        state, progress = view(job, now)
        planner.observe(now, JobStatus(job_id=job.id, status=JobState(state), progress=progress))
        if state == job.outcome:
            return calls, now - job.ended_at, seen
        seen.append(progress or 0)
        delay = planner.next_delay(now).delay


def fixed(job: Job, interval: float = 5.0) -> tuple[int, float]:
    """Fixed polling of `job` (a first call at once, then one every `interval`): its status calls and its lag."""
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
            planned = plan_jobs(lifecycle().mode(mode), count=jobs, time_scale=factor)
            if scenario in NOISY:
                planned = [_noisy(job) for job in planned]
            fresh = [follow(job, mode)[:2] for job in planned]
            history = PaceHistory()
            one_client = [follow(job, mode, history)[:2] for job in planned]
            fixed_polling = [fixed(job) for job in planned]
            fixed_calls = statistics.mean(calls for calls, _ in fixed_polling)
            row = [scenario, mode]
            for followed in (fresh, one_client, fixed_polling):
                row += [
                    f"{statistics.mean(calls for calls, _ in followed):.1f}",
                    f"{percentile([lag for _, lag in followed], 0.95):.2f}",
                ]
            for followed in (fresh, one_client):
                row.append(f"{fixed_calls / statistics.mean(calls for calls, _ in followed):.1f}x")
            rows.append(row)
    headers = [
        "scenario",
        "mode",
        "fresh client calls",
        "lag p95",
        "one client calls",
        "lag p95",
        "fixed 5 s calls",
        "lag p95",
        "fewer (fresh)",
        "fewer (one)",
    ]
    return (
        f"Waiter replayed on a fake clock: {jobs} jobs per scenario and mode, each followed by a fresh client and, in "
        "turn, by one client that learns their pace.\n" + table(headers, rows)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100, help="jobs per scenario and mode (default 100)")
    print(run(parser.parse_args(argv).jobs))


if __name__ == "__main__":
    main()
