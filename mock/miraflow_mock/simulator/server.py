"""Running the simulator: uvicorn on a loopback socket, one ready line, clean stop on SIGINT/SIGTERM.

With `validate`, the simulator listens on an internal port behind Prism's validation proxy (`prism proxy --errors`),
so every response is checked against openapi.yaml at run time.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import warnings
from collections.abc import Callable

import uvicorn

from miraflow.ready_line import ReadyLine
from miraflow_mock.prism import PrismProcess
from miraflow_mock.simulator.app import Simulator
from miraflow_mock.simulator.config import SimulatorConfig

__all__ = ["bind", "serve"]


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # A response can leave in more than one write (a held head flushed on its own, a streamed file); without
    # TCP_NODELAY, Nagle's algorithm holds the later ones back until the client's delayed ACK (40 ms a request).
    # Accepted connections inherit it from the listener.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def _http_protocol() -> type[asyncio.Protocol] | None:
    """The coalescing HTTP protocol if it works with the installed uvicorn; else None, with a warning."""
    try:
        from miraflow_mock.simulator.coalesce import CoalescingHttpToolsProtocol, probe  # needs httptools
    except ImportError as exc:
        problem: str | None = f"cannot import it ({exc})"
    else:
        problem = probe()
        if problem is None:
            return CoalescingHttpToolsProtocol
    warnings.warn(
        f"one write per response is off: uvicorn {uvicorn.__version__} does not fit simulator/coalesce.py "
        f"({problem}); serving with uvicorn's own HTTP protocol",
        RuntimeWarning,
        stacklevel=2,
    )
    return None


def _uvicorn_config(app: Simulator) -> uvicorn.Config:
    kwargs: dict[str, object] = {}
    if (protocol := _http_protocol()) is not None:
        kwargs["http"] = protocol
    # No `loop`: it only matters to uvicorn's own runner; `serve` below makes its loop with `_loop_factory()`.
    return uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        server_header=False,  # uvicorn checks each header of each response: one fewer to check
        proxy_headers=False,  # loopback only: no proxy's X-Forwarded-* to trust, and one middleware less per request
        lifespan="off",
        timeout_graceful_shutdown=3,
        **kwargs,  # type: ignore[arg-type]
    )


async def serve_in_task(server: uvicorn.Server, sock: socket.socket) -> asyncio.Task[None] | None:
    """Serve on `sock` in a task, returned once the server has started; None if it stopped before it started."""
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            await task
            return None
        await asyncio.sleep(0.01)
    return task


async def start_prism_in_front(prism: PrismProcess, server: uvicorn.Server, task: asyncio.Task[None]) -> str:
    """Start `prism` in front of the running `server` and return its URL; if Prism fails, the server is stopped."""
    try:
        await asyncio.to_thread(prism.start)
    except BaseException:
        server.should_exit = True
        await task
        raise
    return prism.url


async def _serve(
    simulator: Simulator, sock: socket.socket, announce: str, validate: bool, host: str, port: int
) -> None:
    server = uvicorn.Server(_uvicorn_config(simulator))
    task = await serve_in_task(server, sock)
    if task is None:
        return
    url = admin = f"http://{host}:{sock.getsockname()[1]}"
    prism: PrismProcess | None = None
    if validate:
        # The simulator answers bad requests itself; Prism checks what it answers.
        prism = PrismProcess(mode="proxy", host=host, port=port, upstream=url, errors=True, validate_request=False)
        url = await start_prism_in_front(prism, server, task)
    ReadyLine(announce, url, f"{url}/api", admin).announce()
    try:
        await task
    finally:
        if prism is not None:
            prism.stop()


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop to serve on: uvloop's when it is installed (uvicorn[standard] brings it), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def serve(config: SimulatorConfig, *, host: str = "127.0.0.1", port: int = 4010, validate: bool = False) -> int:
    """Run the simulator until SIGINT or SIGTERM; returns the exit code."""
    simulator = Simulator(config)
    sock = bind(host, 0 if validate else port)
    try:
        # Not asyncio.run(): uvicorn picks uvloop only when it makes the loop itself, and this loop is ours.
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(_serve(simulator, sock, "miraflow-mock serve", validate, host, port))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        simulator.close()
        if config.state is None:
            shutil.rmtree(simulator.files, ignore_errors=True)
    return 0
