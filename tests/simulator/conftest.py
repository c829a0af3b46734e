"""Fixtures the simulator's API tests share: the session's simulator and an HTTP client holding its key."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from miraflow_mock.testing import SimulatorHandle


@pytest.fixture
def sim(miraflow_simulator: SimulatorHandle) -> SimulatorHandle:
    """The simulator the pytest plugin runs for the session."""
    return miraflow_simulator


@pytest.fixture
def http(sim: SimulatorHandle) -> Iterator[httpx.Client]:
    """A client of the simulator's API root that sends its key."""
    with httpx.Client(base_url=sim.api_root + "/", headers={"x-api-key": sim.key}, timeout=30) as client:
        yield client
