"""Calibrate the simulator from recordings: `miraflow-mock calibrate DIR --out FILE`, `serve --calibration FILE`.

`calibrate` reads the job files `proxy --record` wrote and measures, per generation mode: how long jobs rendered, how
long they waited before rendering, the shape of their progress curve, and what share ended in each failure state.
Each job's moments are estimated from its polls: it ended halfway between the last poll before its terminal state and
the first that saw it; it started where a straight line through its progress polls meets 0 % (bounded by the last poll
that saw it queued, or its create, and the first that saw it working). Finer polling gives finer figures; the file
keeps every sample.

`Calibration` is a `jobs.Planner`: with `serve --calibration FILE` a job's render time and queue wait are drawn from
the recorded samples (interpolated between them), its progress follows the recorded mean curve (jittered per job as
usual) and it fails as often as recorded jobs of its mode did. Modes the file has no completed job of keep the spec's
ranges and `--fail-rate`.
"""

from __future__ import annotations

import datetime
import itertools
import json
import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from miraflow.spec import Mode, lifecycle
from miraflow_mock.simulator.jobs import SPEC_PLANNER

__all__ = [
    "KNOTS",
    "Calibration",
    "CalibrationError",
    "ModeCalibration",
    "calibrate",
    "load_calibration",
    "write_calibration",
]

KIND = "miraflow-calibration"
VERSION = 1
KNOTS = 8  # progress curve points, evenly spaced over the render (as the simulator's own curve)


class CalibrationError(ValueError):
    """Recordings that cannot be calibrated from, or a calibration file that cannot be used."""


@dataclass
class ModeCalibration:
    """What the recordings say about one generation mode."""

    jobs: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    durations: list[float] = field(default_factory=list)  # completed jobs' render seconds
    queue_waits: list[float] = field(default_factory=list)
    curve: list[float] = field(default_factory=list)  # KNOTS fractions from 0 to 1, rising

    def failure_share(self) -> dict[str, float]:
        """Each failure state's share of the jobs that ended."""
        ended = sum(self.outcomes.values())
        return {
            state: (self.outcomes.get(state, 0) / ended if ended else 0.0)
            for state in sorted(lifecycle().failure_states)
        }

    def to_json(self) -> dict[str, Any]:
        """The mode's section of the calibration file."""
        return {
            "jobs": self.jobs,
            "outcomes": dict(sorted(self.outcomes.items())),
            "failureShare": self.failure_share(),
            "durationSeconds": _summary(self.durations),
            "queueSeconds": _summary(self.queue_waits),
            "progressCurve": [round(value, 4) for value in self.curve],
        }


def _summary(samples: Sequence[float]) -> dict[str, Any]:
    ordered = sorted(round(value, 3) for value in samples)
    if not ordered:
        return {"samples": [], "min": None, "median": None, "max": None}
    return {"samples": ordered, "min": ordered[0], "median": statistics.median(ordered), "max": ordered[-1]}


@dataclass
class Calibration:
    """A calibration: per mode, recorded samples to plan jobs from (a `jobs.Planner`)."""

    modes: dict[str, ModeCalibration]
    source: str = ""
    created_at: str = ""

    # --- the Planner protocol ------------------------------------------------------------------------------------

    def _usable(self, mode: Mode) -> ModeCalibration | None:
        found = self.modes.get(mode.name)
        return found if found is not None and found.durations else None

    def duration(self, rng: random.Random, mode: Mode) -> float:
        """A render time drawn from the recorded ones (the spec's range for a mode without any)."""
        found = self._usable(mode)
        return _draw(rng, found.durations) if found else SPEC_PLANNER.duration(rng, mode)

    def failure(self, rng: random.Random, mode: Mode, fail_rate: float) -> str | None:
        """A failure state as often as recorded jobs of the mode ended in it."""
        found = self._usable(mode)
        if found is None:
            return SPEC_PLANNER.failure(rng, mode, fail_rate)
        draw = rng.random()
        for state, share in found.failure_share().items():
            if draw < share:
                return state
            draw -= share
        return None

    def queue(self, rng: random.Random, mode: Mode) -> float:
        """A queue wait drawn from the recorded ones."""
        found = self._usable(mode)
        return _draw(rng, found.queue_waits) if found and found.queue_waits else 0.0

    def curve(self, mode: Mode) -> Sequence[float] | None:
        """The recorded mean progress curve."""
        found = self._usable(mode)
        return found.curve if found and len(found.curve) >= 2 else None

    # --- reporting -----------------------------------------------------------------------------------------------

    def describe(self) -> str:
        """One line for `serve`'s start: that jobs are planned from this file, and from what."""
        parts = []
        for name, found in self.modes.items():
            if found.durations:
                low, high = min(found.durations), max(found.durations)
                failed = sum(found.failure_share().values())
                parts.append(f"{name}: {len(found.durations)} jobs, {low:.1f}-{high:.1f} s, {failed:.0%} failed")
        spec_modes = [name for name in lifecycle().modes if name not in self.modes or not self.modes[name].durations]
        tail = f"; spec ranges for {', '.join(spec_modes)}" if spec_modes else ""
        return f"planning jobs from calibration {self.source} ({'; '.join(parts) or 'no modes'}){tail}"

    def summary(self) -> list[str]:
        """Lines for `calibrate` to print, one per mode."""
        lines = []
        for name, found in self.modes.items():
            durations = _summary(found.durations)
            queue = _summary(found.queue_waits)
            lines.append(
                f"{name}: {found.jobs} job(s); render {durations['min']}-{durations['max']} s"
                f" (median {durations['median']}); queue median {queue['median']} s;"
                f" failed {sum(found.failure_share().values()):.0%}"
            )
        return lines

    def to_json(self) -> dict[str, Any]:
        """The calibration file's content."""
        return {
            "kind": KIND,
            "version": VERSION,
            "source": self.source,
            "createdAt": self.created_at,
            "modes": {name: found.to_json() for name, found in self.modes.items()},
        }


def _draw(rng: random.Random, samples: Sequence[float]) -> float:
    """A value from the samples' distribution: the inverse of their empirical CDF, linear between samples."""
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    position = rng.random() * (len(ordered) - 1)
    index = int(position)
    return ordered[index] + (ordered[min(index + 1, len(ordered) - 1)] - ordered[index]) * (position - index)


# --- reading recordings ------------------------------------------------------------------------------------------


def _job_observations(lines: list[dict[str, Any]]) -> tuple[str | None, float, list[tuple[float, str, int | None]]]:
    """A job file's mode, its create's time, and its status polls (time, state, progress)."""
    mode: str | None = None
    created: float | None = None
    polls = []
    for record in lines:
        response = record.get("response") or {}
        body = (response.get("body") or {}).get("json")
        if response.get("status") != 200 or not isinstance(body, dict):
            continue
        # The moment the server answered is best estimated by the middle of the round trip.
        moment = float(record["time"]) + float(record.get("latencyMs", 0.0)) / 2000.0
        if record.get("operationId") == "createVideo" and body.get("result") == "success":
            mode = (record.get("job") or {}).get("mode")
            created = moment
        elif record.get("operationId") == "getJobStatus" and isinstance(body.get("status"), str):
            progress = body.get("progress")
            percent = (
                int(progress.rstrip("%")) if isinstance(progress, str) and progress.rstrip("%").isdigit() else None
            )
            polls.append((moment, body["status"], percent))
    polls.sort()
    return mode, created if created is not None else (polls[0][0] if polls else 0.0), polls


def _measure(
    found: ModeCalibration, created: float, polls: list[tuple[float, str, int | None]]
) -> list[tuple[float, float]]:
    """Add one job's figures to its mode; returns its progress points (share of render, fraction) for the curve."""
    spec = lifecycle()
    terminal_at = next((index for index, poll in enumerate(polls) if spec.is_terminal(poll[1])), None)
    if terminal_at is None:
        return []  # never seen to end: it tells nothing about durations or outcomes
    found.jobs += 1
    state = polls[terminal_at][1]
    found.outcomes[state] = found.outcomes.get(state, 0) + 1
    before = polls[:terminal_at]
    working = [poll for poll in before if poll[1] == spec.progress_state]
    if not working:
        return []
    first_working = working[0][0]
    lower = max([poll[0] for poll in before if poll[1] == spec.initial and poll[0] < first_working], default=created)
    end = (before[-1][0] + polls[terminal_at][0]) / 2.0 if state == spec.success_state else None
    start = _estimate_start(working, lower, first_working, end)
    found.queue_waits.append(max(0.0, start - created))
    if end is None or end <= start:
        return []
    duration = end - start
    found.durations.append(duration)
    return [((moment - start) / duration, percent / 100.0) for moment, _, percent in working if percent is not None]


def _estimate_start(
    working: list[tuple[float, str, int | None]], lower: float, upper: float, end: float | None
) -> float:
    """When rendering began: from the progress polls (progress rises about linearly), within what the polls allow.

    With two or more progress values, a straight line through (progress, time) meets 0 % at the start; with one, the
    line from it to the end (100 %) does. Without either, halfway between the last queued poll and the first working.
    """
    points = [(float(percent), moment) for moment, _, percent in working if percent is not None]
    estimate = (lower + upper) / 2.0
    if len({percent for percent, _ in points}) >= 2:
        fit = statistics.linear_regression([p for p, _ in points], [t for _, t in points])
        estimate = fit.intercept
    elif points and end is not None and points[0][0] < 100:
        share = points[0][0] / 100.0
        estimate = (points[0][1] - share * end) / (1.0 - share)
    return min(max(estimate, lower), upper)


def _curve(points: list[tuple[float, float]]) -> list[float]:
    """The mean progress at KNOTS evenly spaced moments of the render, rising from 0 to 1."""
    segments = KNOTS - 1
    sums = [0.0] * KNOTS
    counts = [0] * KNOTS
    for share, fraction in points:
        index = round(min(max(share, 0.0), 1.0) * segments)
        sums[index] += fraction
        counts[index] += 1
    known = {index: sums[index] / counts[index] for index in range(1, segments) if counts[index]}
    known[0], known[segments] = 0.0, 1.0
    curve = []
    for index in range(KNOTS):  # fill moments without polls by interpolating their neighbours
        if index in known:
            curve.append(known[index])
            continue
        low = max(key for key in known if key < index)
        high = min(key for key in known if key > index)
        curve.append(known[low] + (known[high] - known[low]) * (index - low) / (high - low))
    rising: list[float] = []
    for value in curve:
        rising.append(min(1.0, max(value, rising[-1] if rising else 0.0)))
    return rising


def calibrate(directory: Path) -> Calibration:
    """Measure the recordings in `directory` (written by `proxy --record`)."""
    if not directory.is_dir():
        raise CalibrationError(f"{directory} is not a folder of recordings")
    files = sorted(directory.glob("job-*.jsonl"))
    if not files:
        raise CalibrationError(f"{directory} holds no job recordings (job-*.jsonl): record with proxy --record")
    modes: dict[str, ModeCalibration] = {}
    points: dict[str, list[tuple[float, float]]] = {}
    for path in files:
        try:
            lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, json.JSONDecodeError) as exc:
            raise CalibrationError(f"{path} is not a recording: {exc}") from None
        mode, created, polls = _job_observations(lines)
        if mode is None or mode not in lifecycle().modes:
            continue
        found = modes.setdefault(mode, ModeCalibration())
        points.setdefault(mode, []).extend(_measure(found, created, polls))
    if not any(found.jobs for found in modes.values()):
        raise CalibrationError(f"no job in {directory} was recorded from its create to its end")
    for mode, found in modes.items():
        found.curve = _curve(points.get(mode, []))
    created_at = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return Calibration(modes=dict(sorted(modes.items())), source=str(directory), created_at=created_at)


def write_calibration(calibration: Calibration, path: Path) -> None:
    """Write the calibration file (JSON)."""
    path.write_text(json.dumps(calibration.to_json(), indent=2) + "\n", encoding="utf-8")


# --- reading a calibration file ----------------------------------------------------------------------------------


def load_calibration(path: Path) -> Calibration:
    """Read and check a calibration file written by `calibrate`."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CalibrationError(f"cannot read {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise CalibrationError(f"{path} is not JSON: {exc}") from None
    if not isinstance(document, Mapping) or document.get("kind") != KIND or document.get("version") != VERSION:
        raise CalibrationError(f"{path} is not a calibration file (write one with miraflow-mock calibrate)")
    spec = lifecycle()
    modes: dict[str, ModeCalibration] = {}
    for name, section in (document.get("modes") or {}).items():
        if name not in spec.modes:
            raise CalibrationError(f"{path}: unknown mode {name!r}; the spec's modes are {', '.join(spec.modes)}")
        try:
            found = ModeCalibration(
                jobs=int(section["jobs"]),
                outcomes={str(state): int(count) for state, count in section["outcomes"].items()},
                durations=[float(value) for value in section["durationSeconds"]["samples"]],
                queue_waits=[float(value) for value in section["queueSeconds"]["samples"]],
                curve=[float(value) for value in section["progressCurve"]],
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CalibrationError(f"{path}: mode {name} is malformed ({exc!r})") from None
        if unknown := set(found.outcomes) - set(spec.terminal_states):
            raise CalibrationError(f"{path}: mode {name} has unknown outcome(s) {', '.join(sorted(unknown))}")
        if any(value <= 0 for value in found.durations) or any(value < 0 for value in found.queue_waits):
            raise CalibrationError(f"{path}: mode {name} has durations that are not positive")
        curve = found.curve
        if curve and (len(curve) < 2 or any(b < a for a, b in itertools.pairwise(curve)) or curve[-1] > 1):
            raise CalibrationError(f"{path}: mode {name}'s progressCurve must rise from 0 to at most 1")
        modes[name] = found
    return Calibration(modes=modes, source=str(path), created_at=str(document.get("createdAt", "")))
