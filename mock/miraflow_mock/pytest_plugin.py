"""pytest plugin (registered through the `pytest11` entry point): a running Miraflow simulator for your tests.

```python
def test_my_integration(miraflow_simulator):
    app = MyApp(api_root=miraflow_simulator.api_root, api_key=miraflow_simulator.key)
    job = app.start_video()
    miraflow_simulator.advance(600)           # manual clock: ten minutes pass at once
    assert app.status(job) == "inference_complete"
```

`miraflow_simulator` is a manual-clock simulator (seed 1), reset before each test.
`miraflow_simulator_factory(**options)` takes `start_simulator()`'s options (e.g. `clock="real", time_scale=0.01`);
one simulator runs per option set for the whole session and is reset each time it is handed out.

`miraflow_mock` needs no server: a simulator in the test's own process, fresh for each test, answering every httpx and
requests call to `https://miraflow.ai` (see `miraflow_mock.inprocess`). Manual clock, seed 1; other options through
the marker: `@pytest.mark.miraflow_mock(clock="real", time_scale=0.01)`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from miraflow_mock.inprocess import InProcessSimulator
    from miraflow_mock.testing import SimulatorHandle

__all__ = ["miraflow_mock", "miraflow_simulator", "miraflow_simulator_factory", "pytest_configure"]


def pytest_configure(config: pytest.Config) -> None:
    """Register the `miraflow_mock` marker."""
    config.addinivalue_line(
        "markers", "miraflow_mock(**options): start_simulator() options for the test's in-process `miraflow_mock`"
    )


@pytest.fixture(scope="session")
def _miraflow_simulators() -> Iterator[dict[tuple[tuple[str, Any], ...], SimulatorHandle]]:
    running: dict[tuple[tuple[str, Any], ...], SimulatorHandle] = {}
    yield running
    for handle in running.values():
        handle.stop()


@pytest.fixture
def miraflow_simulator_factory(
    _miraflow_simulators: dict[tuple[tuple[str, Any], ...], SimulatorHandle],
) -> Callable[..., SimulatorHandle]:
    """A function that returns a reset simulator started with the given `start_simulator()` options."""
    from miraflow_mock.testing import start_simulator

    def factory(**options: Any) -> SimulatorHandle:
        key = tuple(sorted((name, repr(value)) for name, value in options.items()))
        handle = _miraflow_simulators.get(key)
        if handle is None or handle.process is None or handle.process.poll() is not None:
            handle = _miraflow_simulators[key] = start_simulator(**options)
        else:
            handle.reset()
        return handle

    return factory


@pytest.fixture
def miraflow_simulator(miraflow_simulator_factory: Callable[..., SimulatorHandle]) -> SimulatorHandle:
    """A manual-clock simulator (seed 1), reset for this test."""
    return miraflow_simulator_factory(clock="manual", seed=1)


@pytest.fixture
def miraflow_mock(request: pytest.FixtureRequest) -> Iterator[InProcessSimulator]:
    """A simulator in this process for this test (manual clock, seed 1): https://miraflow.ai is answered by it."""
    from miraflow_mock.inprocess import mock_miraflow

    marker = request.node.get_closest_marker("miraflow_mock")
    options: dict[str, Any] = {"clock": "manual", "seed": 1, **(marker.kwargs if marker else {})}
    with mock_miraflow(**options) as sim:
        yield sim
