"""The numbers and names the SDK's behaviour depends on, in one place.

Durations are seconds. Poll intervals are for a service running in real time; `jobs.wait(time_scale=...)` multiplies
them (and the spec's expected durations) for a simulator running faster.
"""

from __future__ import annotations

from miraflow.environment import API_KEY_ENV, LOG_ENV, TIME_SCALE_ENV

__all__ = [
    "API_KEY_ENV",
    "AVATAR_CACHE_TTL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "INITIAL_RETRY_DELAY",
    "LOGGER_NAME",
    "LOG_ENV",
    "MAX_CONSECUTIVE_POLL_FAILURES",
    "MAX_RETRY_DELAY",
    "POLL_COARSE_POINTS",
    "POLL_DOUBT_SPAN",
    "POLL_EXCESS_LAG",
    "POLL_FINEST_CELL",
    "POLL_GRID_POINTS",
    "POLL_JITTER",
    "POLL_LAG_BUDGET",
    "POLL_LATE_FLOOR",
    "POLL_LATE_RISK",
    "POLL_LATE_SHARE",
    "POLL_LOCAL_FROM",
    "POLL_LOCAL_MIN_RISE",
    "POLL_LOCAL_RATE_SPREAD",
    "POLL_MAX_INTERVAL",
    "POLL_MIN_INTERVAL",
    "POLL_READINGS_KEPT",
    "POLL_READING_GAP",
    "POLL_SPEC_DOUBT",
    "POLL_START_POINTS",
    "POLL_SUPPORT_TAIL",
    "POLL_TRUST_AFTER",
    "PROGRESS_FLOOR",
    "PROGRESS_OUTLIER_SHARE",
    "PROGRESS_SPREAD",
    "RETRYABLE_STATUS_CODES",
    "RETRY_AFTER_CEILING",
    "RETRY_JITTER",
    "TIME_SCALE_ENV",
]

# Configuration, read only in the clients' constructors.
LOGGER_NAME = "miraflow"

# Requests.
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2

# Retries of idempotent requests: exponential backoff from INITIAL_RETRY_DELAY, doubling, capped at MAX_RETRY_DELAY,
# shortened by up to RETRY_JITTER of itself. A server's Retry-After replaces it, capped at RETRY_AFTER_CEILING.
RETRYABLE_STATUS_CODES = frozenset({408, 429})  # and every 5xx
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
RETRY_JITTER = 0.25
RETRY_AFTER_CEILING = 60.0

# `avatars.list()` is cached this long; `refresh=True` bypasses it.
AVATAR_CACHE_TTL = 300.0

# The waiter (see `_waiter`). It keeps a distribution of the moment the job finishes and polls when the chance that the
# job finished more than POLL_LAG_BUDGET earlier reaches POLL_LATE_RISK (or the expected lag beyond the budget reaches
# POLL_EXCESS_LAG), never sooner than POLL_MIN_INTERVAL after the last poll nor later than POLL_MAX_INTERVAL (which
# bounds how late a failure is seen). The guide's fixed 5 s polling sees a finish up to 5 s late.
POLL_MIN_INTERVAL = 1.0
POLL_MAX_INTERVAL = 75.0
POLL_LAG_BUDGET = 4.5
POLL_LATE_RISK = 0.03
POLL_EXCESS_LAG = 0.1  # seconds: the expected lag beyond the budget a poll may risk (bounds long sleeps)
POLL_JITTER = 0.05  # each wait is shortened by up to this share of itself, at most half the lag budget
POLL_GRID_POINTS = 200  # durations considered across the mode's range
POLL_START_POINTS = 7  # start times considered when the render's start is known only within a window
# How a progress reading relates to the share x of the render done: a band around it, widest mid-way (±10 points at
# 50 %: sqrt(2)·SPREAD·sqrt(x)·(1-x)), shrinking as sqrt(x) near the start and as (1-x) near the end (the counter
# reaches 100 % at the finish), plus FLOOR (whole percents), with an OUTLIER_SHARE of readings allowed to say nothing
# at all (progress is not linear). The band is about twice as wide as the simulator's jitter; a service whose progress
# strays further costs lag, not correctness (see bench/waiter.py's notes).
PROGRESS_SPREAD = 0.2
PROGRESS_FLOOR = 0.005
PROGRESS_OUTLIER_SHARE = 0.05
MAX_CONSECUTIVE_POLL_FAILURES = 10  # transient status failures in a row tolerated by a wait without a timeout

# The waiter doubts the spec's durations (an assumption, not a documented fact): POLL_SPEC_DOUBT of its prior is spread
# over every scale of the spec's range from POLL_DOUBT_SPAN[0] to POLL_DOUBT_SPAN[1] times it (evenly in log scale), so
# progress readings that contradict the range move the schedule. Until a reading shows the render's pace, polls are at
# most a lag budget (or the time already waited) apart. Up to POLL_READINGS_KEPT readings at least POLL_READING_GAP of
# progress apart are weighed together. The finish distribution is found on POLL_COARSE_POINTS durations over the
# whole prior, then POLL_GRID_POINTS over the stretch holding all but POLL_SUPPORT_TAIL (each side) of it.
POLL_SPEC_DOUBT = 0.05
POLL_DOUBT_SPAN = (0.02, 20.0)
POLL_READINGS_KEPT = 3
POLL_READING_GAP = 0.1
POLL_COARSE_POINTS = 60
POLL_SUPPORT_TAIL = 0.0005
# Near an uncertain end many polls each risk a late sighting: a poll also goes where a finish before it would be seen
# later than the budget for at most POLL_LATE_SHARE of the chance that it finished by then (or POLL_LATE_FLOOR).
POLL_LATE_SHARE = 0.04
POLL_LATE_FLOOR = 0.02
# The local pace: once a reading is past POLL_LOCAL_FROM and rose at least POLL_LOCAL_MIN_RISE since the one before,
# the finish lies where that slope reaches 100 %, within POLL_LOCAL_RATE_SPREAD of the time left (log scale; a share of
# such guesses, PROGRESS_OUTLIER_SHARE, may be wrong at all).
POLL_LOCAL_FROM = 0.5
POLL_LOCAL_MIN_RISE = 0.02
POLL_LOCAL_RATE_SPREAD = 0.35
POLL_FINEST_CELL = 0.05  # of the minimum interval: the finest step of the time left the grid resolves
# A client that saw POLL_TRUST_AFTER jobs of a mode in a row last at least the spec's shortest render (less a lag
# budget) trusts that range for its next job of the mode: no probe, the first poll at the spec's shortest finish. One
# job seen finished by then ends the trust (each wait planned while trusted sees its job late once; later ones probe).
POLL_TRUST_AFTER = 3
