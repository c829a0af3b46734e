"""Run the three benchmarks against one simulator and print their figures and ratios (about five minutes)."""

from __future__ import annotations

import argparse
import time

from bench import download, overhead, waiter
from bench._common import simulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=50, help="waiter: jobs per mode and strategy (default 50)")
    parser.add_argument("--time-scale", type=float, default=0.1, help="the simulator's time scale (default 0.1)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with simulator(time_scale=args.time_scale) as sim:
        for report in (
            lambda: waiter.run(sim, jobs=args.jobs, time_scale=args.time_scale),
            lambda: overhead.run(sim),
            lambda: download.run(sim, time_scale=args.time_scale),
        ):
            print(report(), end="\n\n", flush=True)
    print(f"all benchmarks: {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
