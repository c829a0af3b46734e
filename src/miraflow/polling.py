"""Polling a job, for code built on the SDK (campaigns): the adaptive planner, the waiting rules, and their numbers.

`new_planner(mode, started_after=..., rng=...)` makes the planner `client.jobs.wait` uses (its estimate of the finish
from the mode's duration range in the spec, the observed progress and the render's start); `PollPlanner.set_lag_budget`
relaxes or tightens how late a finish may be seen; a `PaceHistory` shared by the planners of one client's jobs
(`new_planner(..., history=...)`) lets them stop probing once its jobs have kept the spec's pace. `WaitState`
applies the waiter's rules around the polls: terminal states by their outcome, transient failures waited out with
Retry-After honoured, the timeout.
"""

from __future__ import annotations

from miraflow._constants import POLL_LAG_BUDGET, POLL_MAX_INTERVAL, POLL_MIN_INTERVAL
from miraflow._waiter import PaceHistory, PollDecision, PollPlanner, ProgressCallback, WaitState, new_planner

__all__ = [
    "POLL_LAG_BUDGET",
    "POLL_MAX_INTERVAL",
    "POLL_MIN_INTERVAL",
    "PaceHistory",
    "PollDecision",
    "PollPlanner",
    "ProgressCallback",
    "WaitState",
    "new_planner",
]
