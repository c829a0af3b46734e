"""The simulator in your own process, no server: `mock_miraflow()`, a context manager and decorator (moto's `mock_aws`).

```python
from miraflow_mock import mock_miraflow

with mock_miraflow(clock="manual", seed=1) as sim:
    client = Miraflow(api_key=sim.key)          # https://miraflow.ai/api, answered in process
    job = client.videos.create(...)
    sim.advance(600)                            # ten minutes pass at once
    assert sim.jobs()[0]["state"] == "inference_complete"
```

Inside it, httpx (sync and async) and requests traffic to `https://miraflow.ai` (and to any other API root given) is
answered by the same ASGI app `miraflow-mock serve` runs, on an event loop in a background thread: no port, no
subprocess. The handle has every method of `SimulatorHandle` (it is one, its admin calls going through the same app).
"""

from __future__ import annotations

import functools
import inspect
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, cast, overload

import httpx

from miraflow.base_url import default_api_root, server_root
from miraflow_mock.asgi_thread import AppThread
from miraflow_mock.intercept import AppTransport, Interceptor, ServerRoot
from miraflow_mock.simulator.app import Simulator
from miraflow_mock.simulator.config import DEFAULT_TENANTS, SimulatorConfig, parse_tenant
from miraflow_mock.testing import SimulatorHandle

__all__ = ["InProcessSimulator", "MiraflowMock", "mock_miraflow"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class InProcessSimulator(SimulatorHandle):
    """A simulator running in this process: `SimulatorHandle`'s URLs and helpers, plus `transport` and `simulator`.

    `transport` is an httpx transport (sync and async) straight into the simulator, for clients you build yourself:
    `Miraflow(api_key=sim.key, transport=sim.transport)` needs no interception at all.
    """

    simulator: Simulator | None = field(default=None, repr=False)
    transport: AppTransport | None = field(default=None, repr=False)
    _app: AppThread | None = field(default=None, repr=False)
    _interceptor: Interceptor | None = field(default=None, repr=False)

    def stop(self) -> None:
        """Stop intercepting, stop the simulator's loop and delete its files."""
        interceptor, self._interceptor = self._interceptor, None
        if interceptor is not None:
            interceptor.stop()
        super().stop()
        app, self._app = self._app, None
        if app is not None:
            app.close()
        simulator, self.simulator = self.simulator, None
        if simulator is not None:
            simulator.close()
            if simulator.config.state is None:
                shutil.rmtree(simulator.files, ignore_errors=True)


def _config(
    *,
    clock: str,
    time_scale: float,
    workers: int,
    fail_rate: float,
    seed: int | None,
    tenants: Mapping[str, int] | None,
    bugs: Iterable[str],
    state: Path | None,
    **more: Any,
) -> SimulatorConfig:
    """The configuration `start_simulator()` would give `miraflow-mock serve` for the same options."""
    given = enumerate((tenants or {}).items(), 1)
    specs = tuple(parse_tenant(f"{key}:{credits}", index) for index, (key, credits) in given)
    return SimulatorConfig(
        tenants=specs or DEFAULT_TENANTS,
        time_scale=time_scale,
        clock=clock,
        workers=workers,
        fail_rate=fail_rate,
        seed=seed,
        state=state,
        bugs=frozenset(bugs),
        **more,  # any further SimulatorConfig field, by its name
    )


def start_in_process(
    *,
    clock: str = "real",
    time_scale: float = 1.0,
    workers: int = 2,
    fail_rate: float = 0.0,
    seed: int | None = None,
    tenants: Mapping[str, int] | None = None,
    bugs: Iterable[str] = (),
    state: Path | None = None,
    api_roots: Iterable[str] = (),
    **more: Any,
) -> InProcessSimulator:
    """Start a simulator in this process and intercept traffic to `https://miraflow.ai` and `api_roots`.

    Takes `start_simulator()`'s options (not `validate`, `host` or `port`: there is no server); any other keyword is a
    `SimulatorConfig` field. Call `stop()` on the handle to end it, or use `mock_miraflow()`, which does.
    """
    if more.pop("validate", False):
        raise ValueError("validate needs Prism in front of a server: use start_simulator(validate=True)")
    config = _config(
        clock=clock,
        time_scale=time_scale,
        workers=workers,
        fail_rate=fail_rate,
        seed=seed,
        tenants=tenants,
        bugs=bugs,
        state=state,
        **more,
    )
    roots = [ServerRoot(server_root(root).rstrip("/")) for root in (default_api_root(), *api_roots)]
    simulator = Simulator(config)
    app = AppThread(simulator)
    interceptor = Interceptor(app, roots)
    transport = AppTransport(app, roots[0])
    url = roots[0].url
    options = {"clock": clock, "time_scale": time_scale, "workers": workers, "fail_rate": fail_rate}
    handle = InProcessSimulator(
        url=url,
        admin_url=url,
        keys=tuple(tenant.key for tenant in config.tenants),
        options=options,
        _http=httpx.Client(transport=transport, timeout=30.0),
        simulator=simulator,
        transport=transport,
        _app=app,
    )
    try:
        interceptor.start()
    except BaseException:
        handle.stop()
        raise
    handle._interceptor = interceptor
    return handle


class MiraflowMock:
    """What `mock_miraflow()` returns: a context manager yielding the handle, and a decorator (fresh for each call)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._handle: InProcessSimulator | None = None

    @property
    def handle(self) -> InProcessSimulator:
        """The running simulator (inside the `with` block, or the decorated function)."""
        if self._handle is None:
            raise RuntimeError("mock_miraflow is not active: use it in a `with` block or as a decorator")
        return self._handle

    def start(self) -> InProcessSimulator:
        """Start the simulator and the interception; returns the handle."""
        if self._handle is not None:
            raise RuntimeError("this mock_miraflow is already active")
        self._handle = start_in_process(**self._options)
        return self._handle

    def stop(self) -> None:
        """Stop the interception and the simulator."""
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.stop()

    def __enter__(self) -> InProcessSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __call__(self, func: F) -> F:
        """Decorate `func`: each call runs inside a fresh simulator (reach it through this object's `handle`)."""
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await func(*args, **kwargs)

            return cast(F, async_wrapper)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return cast(F, wrapper)


@overload
def mock_miraflow(func: F, /) -> F: ...


@overload
def mock_miraflow(func: None = None, /, **options: Any) -> MiraflowMock: ...


def mock_miraflow(func: Callable[..., Any] | None = None, /, **options: Any) -> Any:
    """Answer Miraflow API traffic from a simulator in this process, as a `with` block or a decorator.

    Options are `start_simulator()`'s (`clock`, `time_scale`, `workers`, `fail_rate`, `seed`, `tenants`, `bugs`,
    `state`), plus `api_roots`: more API roots to answer besides `https://miraflow.ai/api`. As a bare decorator
    (`@mock_miraflow`) it uses the defaults.
    """
    mock = MiraflowMock(**options)
    return mock if func is None else mock(func)
