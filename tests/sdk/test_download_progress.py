"""Download progress callbacks and the permissions of downloaded files, against the simulator."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from miraflow import AsyncMiraflow, Miraflow
from miraflow_mock.testing import SimulatorHandle


def _finished_video(sim: SimulatorHandle, client: Miraflow) -> str:
    job = client.videos.create(avatar="Margot", name="progress", text="Hello there, this is a progress test.")
    sim.advance(200)
    status = client.jobs.retrieve(job.id)
    assert status.video_id is not None
    return status.video_id


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_download_reports_bytes_and_publishes_a_normal_file(
    miraflow_simulator: SimulatorHandle, tmp_path: Path
) -> None:
    with Miraflow(api_key=miraflow_simulator.key, base_url=miraflow_simulator.api_root) as client:
        video = _finished_video(miraflow_simulator, client)
        seen: list[tuple[int, int | None]] = []
        path = client.videos.download(video, tmp_path, on_progress=lambda written, total: seen.append((written, total)))
    size = path.stat().st_size
    assert seen and seen[-1] == (size, size)
    assert [written for written, _ in seen] == sorted(written for written, _ in seen)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_umask()  # not mkstemp's 0600


@pytest.mark.asyncio
async def test_async_download_reports_bytes(miraflow_simulator: SimulatorHandle, tmp_path: Path) -> None:
    with Miraflow(api_key=miraflow_simulator.key, base_url=miraflow_simulator.api_root) as client:
        video = _finished_video(miraflow_simulator, client)
    seen: list[int] = []
    async with AsyncMiraflow(api_key=miraflow_simulator.key, base_url=miraflow_simulator.api_root) as client:
        path = await client.videos.download(video, tmp_path, on_progress=lambda written, total: seen.append(written))
    assert seen[-1] == path.stat().st_size
