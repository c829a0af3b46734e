"""How few status calls any waiter could make on the replay's spec rows: an exact Bayesian planner as a yardstick.

The planner here knows the simulator's job model exactly (durations uniform over the mode's range, progress through
knots jittered by `--jitter` of a segment), keeps a sample of that model's jobs and, after each reading, only the
samples that show the same whole percent. It follows the waiter's rules: a probe a lag budget after the create, a poll
no later than the spec's shortest finish (every job seen rendering twice: the caller sees progress move), then each
poll a lag budget after the moment the job has finished with `--risk` chance. It polls the same jobs as
`bench.waiter_replay`'s `spec` rows.

With the simulator's own jitter (0.5) it shows the fewest calls any planner could make; with twice that (1.0: the
band the SDK's waiter assumes, `PROGRESS_SPREAD`) what an exact planner makes when it assumes progress as uneven as
the waiter does. Not a benchmark of the SDK: a bound for it, which also trusts the spec's durations wholly and has no
maximum interval (so on full background it makes far fewer calls than a waiter that must doubt them).
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

from bench._common import percentile, table
from bench.waiter_replay import fixed
from miraflow._constants import POLL_LAG_BUDGET, POLL_MIN_INTERVAL
from miraflow.spec import lifecycle
from miraflow_mock.simulator.jobs import Job, plan_jobs, view

SAMPLES = 600_000
KNOTS = 8  # the simulator's knots per progress curve (miraflow_mock.simulator.jobs)


class _Model:
    """A sample of the simulator's jobs of one mode: durations and progress knots."""

    def __init__(self, mode: str, jitter: float, seed: int) -> None:
        rng = np.random.default_rng(seed)
        duration = lifecycle().mode(mode).duration
        self.durations = rng.uniform(duration.min, duration.max, SAMPLES)
        segments = KNOTS - 1
        inner = np.arange(1, segments) + jitter * (2.0 * rng.random((SAMPLES, segments - 1)) - 1.0)
        steps = np.clip(np.sort(inner / segments, axis=1), 0.0, 1.0)
        self.knots = np.concatenate([np.zeros((SAMPLES, 1)), steps, np.ones((SAMPLES, 1))], axis=1)

    def readings(self, index: np.ndarray, now: float) -> np.ndarray:
        """The whole percent each sampled job in `index` shows at `now` (the simulator's rounding)."""
        position = np.clip(now / self.durations[index], 0.0, 1.0) * (KNOTS - 1)
        segment = np.minimum(position.astype(int), KNOTS - 2)
        low, high = self.knots[index, segment], self.knots[index, segment + 1]
        shown: np.ndarray = np.minimum(99, ((low + (high - low) * (position - segment)) * 100).astype(int))
        return shown


def _follow(model: _Model, job: Job, shortest: float, risk: float) -> tuple[int, float]:
    """Status calls and detection lag of the exact planner on `job`."""
    index = np.arange(SAMPLES)
    now, calls = POLL_LAG_BUDGET, 0
    while True:
        calls += 1
        state, shown_then = view(job, now)
        if state == job.outcome:
            return calls, now - job.ended_at
        progress = shown_then or 0
        alive = index[model.durations[index] > now]
        shown = model.readings(alive, now)
        index = alive[shown == progress]
        if len(index) < 200:  # too few samples show exactly that: a point either side
            index = alive[np.abs(shown - progress) <= 1]
        target = float(np.quantile(model.durations[index], risk)) + POLL_LAG_BUDGET
        if calls == 1:
            target = min(target, shortest)
        now = max(target, now + POLL_MIN_INTERVAL)


def run(jobs: int = 100, jitter: tuple[float, ...] = (0.5, 1.0), risk: float = 0.03) -> str:
    """Follow the replay's spec jobs with the exact planner for each assumed jitter; return the report."""
    rows = []
    for mode in ("face_cropped", "full_background"):
        planned = plan_jobs(lifecycle().mode(mode), count=jobs)
        fixed_calls = statistics.mean(calls for calls, _ in map(fixed, planned))
        shortest = lifecycle().mode(mode).duration.min
        for assumed in jitter:
            model = _Model(mode, assumed, seed=0)
            results = [_follow(model, job, shortest, risk) for job in planned]
            calls = statistics.mean(calls for calls, _ in results)
            lag = percentile([lag for _, lag in results], 0.95)
            rows.append(
                [
                    mode,
                    f"{assumed:g}",
                    f"{calls:.2f}",
                    f"{lag:.2f}",
                    f"{fixed_calls:.1f}",
                    f"{fixed_calls / calls:.2f}x",
                ]
            )
    headers = ["mode", "assumed jitter", "calls", "lag p95", "fixed 5 s calls", "fewer calls"]
    return (
        f"An exact Bayesian planner on the replay's spec jobs ({jobs} per mode; true jitter 0.5, risk {risk}).\n"
        + table(headers, rows)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=100, help="jobs per mode (default 100)")
    parser.add_argument("--risk", type=float, default=0.03, help="the late risk per poll (default 0.03)")
    args = parser.parse_args(argv)
    print(run(args.jobs, risk=args.risk))


if __name__ == "__main__":
    main()
