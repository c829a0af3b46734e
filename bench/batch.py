"""Benchmark: a campaign (`miraflow.batch`) against what the simulator's render slots allow, and its status calls.

1. Makespan. A 200-row campaign (mostly face-cropped previews, some video-avatar and full-background videos) runs on a
   simulator with `--workers` render slots. Its makespan (from the start of `run_campaign` until every video is
   downloaded) is compared with the ideal: the shortest schedule of the jobs' own render durations (from
   `/__admin/jobs`) on those slots. The lower bound max(sum / slots, longest job) is used as the ideal (an optimal
   schedule is at least that long); the LPT schedule's length is printed beside it. Goal: at most 1.1x the ideal.
2. Status calls per job: the campaign's one scheduler against the SDK's single-job waiter (`client.jobs.wait`) on the
   same mix of jobs, each job alone (a simulator with a render slot per job, so no job queues), and against one
   `jobs.wait` per job on the same queue as the campaign. Goal: fewer status calls per job than the single-job waiter.
3. `--scale N` instead: an N-row campaign (10,000 for the issue's check) run by `python -m miraflow.batch` in its own
   process; its peak resident memory (the kernel's high-water mark) and its largest resident size in each quarter of
   the run (flat: no growth with the rows done). Goal: under 200 MB.

`python -m bench.batch` (a minute and a half); `python -m bench.batch --scale 10000` (several minutes: the simulator
renders every MP4).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import heapq
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench._common import BENCH_KEY, table
from miraflow import AsyncMiraflow
from miraflow.batch import RowState, run_campaign
from miraflow_mock.testing import SimulatorHandle, start_simulator

MIX = {"face_cropped": 0.85, "video_avatar": 0.10, "full_background": 0.05}
SCRIPT = "Hi {first_name}, your offer {n} awaits you."


def write_campaign(path: Path, rows: int, *, mix: dict[str, float] = MIX, script: str = SCRIPT) -> Counter[str]:
    """A campaign file of `rows` rows with the modes mixed as `mix` says (spread through the file); the counts."""
    every = {mode: round(1 / share) for mode, share in mix.items() if share and mode != "face_cropped"}
    counts: Counter[str] = Counter()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["avatar", "name", "text", "full_background", "first_name", "n"])
        for n in range(1, rows + 1):
            mode, avatar, full = "face_cropped", "Margot", ""
            if "full_background" in every and n % every["full_background"] == 0:
                mode, full = "full_background", "true"
            elif "video_avatar" in every and n % every["video_avatar"] == 0:
                mode, avatar = "video_avatar", "Aerin"
            counts[mode] += 1
            writer.writerow([avatar, "Offer for {first_name} #{n}", script, full, f"Person{n}", n])
    return counts


def lower_bound(durations: list[float], slots: int) -> float:
    """No schedule of these jobs on `slots` slots is shorter than this."""
    return max(sum(durations) / slots, max(durations))


def lpt(durations: list[float], slots: int) -> float:
    """The length of the longest-processing-time-first schedule (within 4/3 of the optimum)."""
    free = [0.0] * slots
    for duration in sorted(durations, reverse=True):
        heapq.heapreplace(free, free[0] + duration)
    return max(free)


def _status_calls(sim: SimulatorHandle, since: int = 0) -> int:
    return sum(1 for entry in sim.requests()[since:] if entry["method"] == "GET" and entry["path"].endswith("/status"))


async def _waiters(sim: SimulatorHandle, counts: Counter[str], time_scale: float) -> float:
    """One `client.jobs.wait` per job, all at once, on `sim`; status calls per job."""
    since = len(sim.requests())
    async with AsyncMiraflow(BENCH_KEY, base_url=sim.api_root) as client:
        jobs = []
        for mode, count in counts.items():
            avatar = "Aerin" if mode == "video_avatar" else "Margot"
            for i in range(count):
                jobs.append(
                    await client.videos.create(
                        avatar=avatar,
                        text=SCRIPT.format(first_name="Solo", n=i),
                        name=f"solo {mode} {i}",
                        full_background=True if mode == "full_background" else None,
                    )
                )
        await asyncio.gather(*(client.jobs.wait(job, time_scale=time_scale) for job in jobs))
    return _status_calls(sim, since) / len(jobs)


def run(*, rows: int, workers: int, time_scale: float) -> str:
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    file = folder / "campaign.csv"
    counts = write_campaign(file, rows)
    tenants = {BENCH_KEY: 10_000_000}
    with start_simulator(clock="real", time_scale=time_scale, workers=workers, seed=7, tenants=tenants) as sim:
        begin = time.monotonic()
        result = asyncio.run(
            run_campaign(
                file,
                folder / "out",
                api_key=BENCH_KEY,
                base_url=sim.api_root,
                time_scale=time_scale,
                concurrency=8,
            )
        )
        makespan = time.monotonic() - begin
        assert result.counts[RowState.DOWNLOADED] == rows, result.counts
        jobs = sim.jobs()
        durations = [float(job["durationSeconds"]) for job in jobs]
        service = max(job["completedAt"] for job in jobs) - min(job["createdAt"] for job in jobs)
        batch_calls = _status_calls(sim) / rows
        queued_waiters = asyncio.run(_waiters_on_reset(sim, counts, time_scale))
    with start_simulator(clock="real", time_scale=time_scale, workers=rows, seed=7, tenants=tenants) as alone:
        single = asyncio.run(_waiters(alone, counts, time_scale))
    ideal, scheduled = lower_bound(durations, workers), lpt(durations, workers)
    ratio = makespan / ideal
    mix = ", ".join(f"{count} {mode}" for mode, count in counts.items())
    lines = [
        f"Campaign: {rows} rows ({mix}), simulator time scale {time_scale}, {workers} render slots "
        f"({time.monotonic() - started:.0f} s). Seconds are real ones.",
        table(
            ["figure", "seconds", "x ideal"],
            [
                ["campaign makespan (start to last download)", f"{makespan:.2f}", f"{ratio:.3f}"],
                ["service's own schedule (first create to last render)", f"{service:.2f}", f"{service / ideal:.3f}"],
                ["ideal: max(sum / slots, longest job)", f"{ideal:.2f}", "1.000"],
                ["LPT schedule of the same jobs", f"{scheduled:.2f}", f"{scheduled / ideal:.3f}"],
            ],
        ),
        table(
            ["status calls per job", "calls", "ratio"],
            [
                ["campaign (one scheduler)", f"{batch_calls:.2f}", "1.00"],
                ["single-job waiter, each job alone (no queue)", f"{single:.2f}", f"{single / batch_calls:.2f}"],
                ["one jobs.wait per job, same queue", f"{queued_waiters:.2f}", f"{queued_waiters / batch_calls:.2f}"],
            ],
        ),
        f"makespan {ratio:.3f}x the ideal (goal <= 1.1x: {'met' if ratio <= 1.1 else 'NOT met'}); "
        f"{single / batch_calls:.2f}x fewer status calls per job than the single-job waiter "
        f"(goal: fewer: {'met' if batch_calls < single else 'NOT met'}), "
        f"{queued_waiters / batch_calls:.1f}x fewer than one waiter per job on the same queue",
    ]
    return "\n".join(lines)


async def _waiters_on_reset(sim: SimulatorHandle, counts: Counter[str], time_scale: float) -> float:
    sim.reset()
    return await _waiters(sim, counts, time_scale)


def _memory_kib(pid: int) -> tuple[int, int] | None:
    """The process's resident memory now and its high-water mark (VmRSS, VmHWM), in KiB."""
    values: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    values[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        return None
    if len(values) < 2:
        return None
    return values["VmRSS"], values["VmHWM"]


@dataclass
class ScaleResult:
    rows: int
    elapsed: float
    peak_mb: float  # the kernel's high-water mark of the campaign process (VmHWM), last seen 0.25 s before exit
    quarters_mb: list[float]  # the largest sample in each quarter of the run
    counts: dict[str, int]

    @property
    def flat(self) -> bool:
        return max(self.quarters_mb) - min(self.quarters_mb) < 40


def measure_scale(*, rows: int, workers: int = 400, time_scale: float = 0.001, concurrency: int = 16) -> ScaleResult:
    """Run an N-row campaign in its own process (`python -m miraflow.batch`) and watch its resident memory."""
    started = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="bench-batch-scale-"))
    file = folder / "campaign.csv"
    write_campaign(file, rows, mix={"face_cropped": 1.0}, script="Hi {first_name}.")
    tenants = {BENCH_KEY: 10_000_000}
    with start_simulator(clock="real", time_scale=time_scale, workers=workers, seed=7, tenants=tenants) as sim:
        env = {
            **os.environ,
            "MIRAFLOW_API_KEY": BENCH_KEY,
            "MIRAFLOW_BASE_URL": sim.api_root,
            "MIRAFLOW_TIME_SCALE": str(time_scale),
        }
        command = [sys.executable, "-m", "miraflow.batch", "run", str(file), "--out", str(folder / "out")]
        command += ["--yes", "--json", "--concurrency", str(concurrency)]
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        samples: list[int] = []
        high = [0]

        def sample() -> None:
            while process.poll() is None:
                memory = _memory_kib(process.pid)
                if memory is not None:
                    samples.append(memory[0])
                    high[0] = max(high[0], memory[1])
                time.sleep(0.25)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        stdout, stderr = process.communicate()
        sampler.join()
        if process.returncode != 0:
            raise RuntimeError(f"the campaign failed ({process.returncode}): {stderr.strip()}")
    shutil.rmtree(folder, ignore_errors=True)
    quarter = max(1, len(samples) // 4)
    quarters = [max(samples[i * quarter : (i + 1) * quarter] or [0]) / 1024 for i in range(4)]
    counts = json.loads(stdout)["counts"]
    return ScaleResult(rows, time.monotonic() - started, high[0] / 1024, quarters, counts)


def scale(*, rows: int) -> str:
    result = measure_scale(rows=rows)
    goal = "met" if result.peak_mb < 200 and result.flat else "NOT met"
    return "\n".join(
        [
            f"Scale: {rows} rows run by `python -m miraflow.batch` in {result.elapsed:.0f} s "
            f"({result.counts['downloaded']} downloaded); 400 render slots, time scale 0.001, concurrency 16",
            f"resident memory of the campaign process: peak {result.peak_mb:.0f} MB (kernel high-water mark); "
            f"largest sample per quarter of the run: {', '.join(f'{mb:.0f}' for mb in result.quarters_mb)} MB",
            f"goal: under 200 MB, flat: {goal}",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200, help="rows of the campaign (default 200)")
    parser.add_argument("--workers", type=int, default=16, help="the simulator's render slots (default 16)")
    parser.add_argument("--time-scale", type=float, default=0.02, help="the simulator's time scale (default 0.02)")
    parser.add_argument("--scale", type=int, metavar="N", help="instead: the memory check with an N-row campaign")
    args = parser.parse_args(argv)
    if args.scale:
        print(scale(rows=args.scale))
    else:
        print(run(rows=args.rows, workers=args.workers, time_scale=args.time_scale))


if __name__ == "__main__":
    main()
