"""Benchmark 3: `client.videos.download` throughput against raw httpx streaming of the same file.

One long video (about 8 MB) is rendered once; then rounds alternate between the SDK's download (temporary file,
Content-Length and content-type checks, fsync, atomic rename) and a raw `httpx.Client.stream` + `iter_bytes()` into a
file, each to a new file in the same folder (as a user downloads each video once; overwriting the same file every round
would time the freeing of the previous round's blocks, which only the fsynced copy has). Goal: at least 0.9x the raw
throughput. The raw stream followed by an fsync is shown too: on loopback a download takes milliseconds, so the disk's
fsync latency is what separates the two.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import httpx

from bench._common import BENCH_KEY, median, simulator, table
from miraflow import Miraflow
from miraflow_mock.testing import SimulatorHandle

SCRIPT = " ".join(["Every frame of this long narration makes the video file larger."] * 140)  # ~10 minutes of speech


def run(sim: SimulatorHandle, *, rounds: int = 25, time_scale: float = 1.0) -> str:
    """Run the benchmark on `sim` (a real-clock simulator with this time scale); return the report."""
    with (
        Miraflow(BENCH_KEY, base_url=sim.api_root) as client,
        httpx.Client(base_url=sim.url, headers={"x-api-key": BENCH_KEY}) as raw_client,
        tempfile.TemporaryDirectory() as folder,
    ):
        job = client.videos.create(avatar=client.avatars.list()[0], text=SCRIPT, name="download bench")
        status = client.jobs.wait(job, time_scale=time_scale)
        assert status.video_id is not None
        work = Path(folder)
        reference = client.videos.download(status.video_id, work / "reference.mp4")  # the simulator renders it once
        size = reference.stat().st_size
        expected = reference.read_bytes()

        def sdk(path: Path) -> None:
            client.videos.download(status.video_id, path)

        def raw(path: Path, *, fsync: bool = False) -> None:
            with raw_client.stream("GET", f"/api/video/{status.video_id}/download") as response:
                response.raise_for_status()
                with path.open("wb") as handle:
                    for chunk in response.iter_bytes():
                        handle.write(chunk)
                    if fsync:
                        handle.flush()
                        os.fsync(handle.fileno())

        calls = {
            "SDK download": sdk,
            "raw httpx stream": raw,
            "raw httpx stream + fsync": lambda path: raw(path, fsync=True),
        }
        for index in range(3):  # warm up every path
            for position, call in enumerate(calls.values()):
                call(work / f"warm-{index}-{position}.mp4")
        times: dict[str, list[float]] = {name: [] for name in calls}
        for index in range(rounds):
            # Every download goes to a new file, as a user's do; the files are removed between rounds, untimed, so
            # no round pays for freeing the blocks of the one before.
            for leftover in work.glob("*.mp4"):
                if leftover != reference:
                    leftover.unlink()
            os.sync()
            order = list(calls.items())
            written = {}
            for position, (name, call) in enumerate(order if index % 2 == 0 else reversed(order)):
                path = written[name] = work / f"round-{index}-{position}.mp4"
                started = time.perf_counter()
                call(path)
                times[name].append(time.perf_counter() - started)
            for name, path in written.items():  # checked after the round's timed calls, so none waits on a read
                if path.read_bytes() != expected:
                    raise AssertionError(f"{name} wrote a different file")
    rates = {name: size / median(values) / 1e6 for name, values in times.items()}
    ratio = rates["SDK download"] / rates["raw httpx stream"]
    rows = [[name, f"{median(times[name]) * 1000:.1f}", f"{rate:.0f}"] for name, rate in rates.items()]
    return "\n".join(
        [
            f"Download throughput: a {size / 1e6:.1f} MB MP4, median of {rounds} alternating rounds.",
            table(["method", "ms", "MB/s"], rows),
            f"SDK / raw throughput: {ratio:.2f}x (goal >= 0.9x: {'met' if ratio >= 0.9 else 'NOT met'}); "
            f"SDK / raw + fsync: {rates['SDK download'] / rates['raw httpx stream + fsync']:.2f}x",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args(argv)
    with simulator(time_scale=0.01) as sim:
        print(run(sim, rounds=args.rounds, time_scale=0.01))


if __name__ == "__main__":
    main()
