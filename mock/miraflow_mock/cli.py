"""The `miraflow-mock` command: run a local stand-in for the Miraflow API."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from miraflow_mock.prism import NodeToolsError, PrismProcess

__all__ = ["main"]


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _run_prism(args: argparse.Namespace) -> int:
    prism = PrismProcess(mode="mock", host=args.host, port=args.port, log_level=args.log_level)
    try:
        prism.start()
    except NodeToolsError as exc:
        print(f"miraflow-mock: {exc}", file=sys.stderr)
        return 2
    except (RuntimeError, TimeoutError) as exc:
        print(f"miraflow-mock: Prism did not start: {exc}", file=sys.stderr)
        return 1
    print(f"miraflow-mock prism: ready at {prism.url} (API root {prism.url}/api)", flush=True)
    try:
        code = prism.wait()
    except KeyboardInterrupt:
        prism.stop()
        return 0
    print(f"miraflow-mock: Prism exited with code {code}", file=sys.stderr)
    return code or 1


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of `miraflow-mock`."""
    parser = argparse.ArgumentParser(
        prog="miraflow-mock", description="Run a local stand-in for the Miraflow Photo Avatar API."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    prism = commands.add_parser(
        "prism",
        help="serve openapi.yaml's examples with Prism (stateless)",
        description="Serve openapi.yaml with Prism, pinned in mock/package.json. Stateless: every response is an "
        "example from the spec; send `Prefer: example=<name>` (e.g. complete) to pick one, `Prefer: code=404` "
        "for an error.",
    )
    prism.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    prism.add_argument("--port", type=int, default=4010, help="port to listen on; 0 picks a free one (default: 4010)")
    prism.add_argument(
        "--log-level", default="warn", choices=["fatal", "error", "warn"], help="Prism's log level (default: warn)"
    )
    prism.set_defaults(run=_run_prism)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `miraflow-mock`; returns the exit code."""
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        code = 130
    return code


if __name__ == "__main__":
    sys.exit(main())
