"""The simulator against Prism, on the same requests in one run, and the simulator's memory after 10,000 jobs.

    python -m bench.simulator [--seconds 5]

Throughput is measured with wrk (Debian package `wrk`), which shares the machine's cores with the server under test:
only the ratios mean something. Servers run one at a time, each on a free loopback port.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from miraflow_mock.prism import PrismProcess
from miraflow_mock.testing import SimulatorHandle, start_simulator

KEY = "sk-bench"
GOALS = {1: 2.5, 16: 4.0}  # simulator ÷ Prism, requests per second, at 1 and 16 connections


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wrk(url: str, connections: int, seconds: float, pid: int | None = None) -> tuple[float, float | None]:
    """Requests per second, and the server's CPU microseconds per request if its `pid` is given.

    CPU per request does not depend on what else shares the cores, so it tells a server's own cost apart from the
    machine's load; requests per second are what a client sees.
    """
    cpu_before = _cpu_seconds(pid) if pid else 0.0
    result = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-H", f"x-api-key: {KEY}", url],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    count = re.search(r"(\d+) requests in", result.stdout)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    if match is None or count is None or errors:
        raise RuntimeError(f"wrk against {url} failed:\n{result.stdout}")
    cpu = (_cpu_seconds(pid) - cpu_before) / int(count.group(1)) * 1e6 if pid else None
    return float(match.group(1)), cpu


def _drain(sim: SimulatorHandle) -> list[int]:
    """Read the server's stdout to its end on a thread, as a terminal would; the returned list counts the lines."""
    assert sim.process is not None and sim.process.stdout is not None
    stdout, lines = sim.process.stdout, [0]

    def read() -> None:
        for _ in stdout:
            lines[0] += 1

    threading.Thread(target=read, name="bench-stdout", daemon=True).start()
    return lines


def _throughput(
    root: str, job_id: str, seconds: float, pid: int | None = None
) -> dict[tuple[str, int], tuple[float, float | None]]:
    paths = {"GET /api/avatars": "/api/avatars", "GET status": f"/api/video/{job_id}/status"}
    results = {}
    for name, path in paths.items():
        _wrk(root + path, 4, 1)  # warm up
        for connections in GOALS:
            results[(name, connections)] = _wrk(root + path, connections, seconds, pid)
    return results


def _pid(sim: SimulatorHandle) -> int:
    assert sim.process is not None
    return sim.process.pid


def _create(client: httpx.Client, avatar: str = "cmdms9d3s001no401kqwbr0q5") -> str:
    response = client.post("video/create", json={"avatarId": avatar, "name": "bench", "text": "Hello there."})
    response.raise_for_status()
    return str(response.json()["jobId"])


def throughput(seconds: float) -> None:
    """Requests per second of Prism and of the simulator on GET /api/avatars and GET status, 1 and 16 connections."""
    with PrismProcess(mode="mock") as prism:
        prism_rps = _throughput(prism.url, "cm42ab3ou0008aggajj0jy5e2", seconds)
    serve = {"tenants": {KEY: 100_000_000}, "seed": 1}
    with start_simulator(**serve) as sim:
        with httpx.Client(base_url=sim.api_root + "/", headers={"x-api-key": KEY}) as client:
            job = _create(client)
        sim_runs = _throughput(sim.url, job, seconds, _pid(sim))
    with start_simulator(**serve, log_requests=True) as sim:
        logged = _drain(sim)
        with httpx.Client(base_url=sim.api_root + "/", headers={"x-api-key": KEY}) as client:
            job = _create(client)
        logged_runs = _throughput(sim.url, job, seconds, _pid(sim))
    sim_rps = {key: rps for key, (rps, _) in sim_runs.items()}
    if logged[0] == 0:
        raise RuntimeError("serve --log-requests printed no line")
    print(f"\nThroughput (wrk, {seconds:g} s per run; wrk shares the 2 cores, so only ratios count)")
    print(f"{'request':<20}{'conns':>6}{'Prism req/s':>14}{'simulator req/s':>18}{'ratio':>8}{'goal':>7}")
    for (name, connections), (prism_value, _) in prism_rps.items():
        ratio = sim_rps[(name, connections)] / prism_value
        goal = GOALS[connections]
        flag = "ok" if ratio >= goal else "BELOW"
        print(
            f"{name:<20}{connections:>6}{prism_value:>14,.0f}{sim_rps[(name, connections)]:>18,.0f}"
            f"{ratio:>7.2f}×{goal:>6.1f}× {flag}"
        )
    print("\nThe cost of serve --log-requests (a line per request, read from a pipe), same requests")
    print("(and the simulator's own CPU time per request, which the machine's other load does not change)")
    header = f"{'request':<20}{'conns':>6}{'without req/s':>15}{'with req/s':>12}{'ratio':>8}"
    print(f"{header}{'CPU µs/req':>18}{'ratio':>8}")
    for key, (plain, plain_cpu) in sim_runs.items():
        name, connections = key
        rps, cpu = logged_runs[key]
        assert cpu is not None and plain_cpu is not None
        print(
            f"{name:<20}{connections:>6}{plain:>15,.0f}{rps:>12,.0f}{rps / plain:>7.2f}×"
            f"{plain_cpu:>9.0f} → {cpu:<6.0f}{cpu / plain_cpu:>7.2f}×"
        )


def memory(jobs: int = 10_000) -> None:
    """The simulator's resident memory as jobs accumulate, then after they all completed and some were downloaded."""
    simulator = start_simulator(clock="manual", workers=100_000, tenants={KEY: 100_000_000})
    with simulator as sim, httpx.Client(base_url=sim.api_root + "/", headers={"x-api-key": KEY}) as client:
        assert sim.process is not None
        pid = sim.process.pid
        samples = [(0, _rss_kib(pid))]
        started = time.monotonic()
        created = []
        for count in range(1, jobs + 1):
            created.append(_create(client))
            if count in (1_000, 5_000, 10_000):
                samples.append((count, _rss_kib(pid)))
        rate = jobs / (time.monotonic() - started)
        httpx.post(f"{sim.admin_url}/__admin/clock/advance", json={"seconds": 10_000}).raise_for_status()
        videos = client.get("videos").json()["videos"]
        for video in videos[:200]:
            client.get(f"video/{video['id']}/download").raise_for_status()
        after = _rss_kib(pid)
    print(f"\nMemory of the simulator (RSS), {jobs:,} jobs created over HTTP at {rate:,.0f} creates/s")
    for count, kib in samples:
        print(f"  after {count:>6,} jobs: {kib / 1024:7.1f} MiB")
    print(f"  all {len(videos):,} complete, 200 MP4s rendered and downloaded: {after / 1024:7.1f} MiB")
    growth = (samples[-1][1] - samples[1][1]) / (samples[-1][0] - samples[1][0]) * 1024
    print(f"  growth from 1,000 to {jobs:,} jobs: {growth:,.0f} bytes per job (videos live on disk, not in memory)")


def main() -> int:
    """Run both measurements."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each wrk run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("bench.simulator needs wrk: apt-get install wrk", file=sys.stderr)
        return 2
    throughput(args.seconds)
    memory()
    return 0


if __name__ == "__main__":
    sys.exit(main())
