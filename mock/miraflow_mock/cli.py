"""The `miraflow-mock` command: run a local stand-in for the Miraflow API."""

from __future__ import annotations

import argparse
import ipaddress
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from miraflow.ready_line import ReadyLine
from miraflow_mock.prism import NodeToolsError, PrismProcess, PrismStartError

__all__ = ["main"]


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _run_prism(args: argparse.Namespace) -> int:
    if args.command == "proxy":
        from miraflow.base_url import server_root

        try:
            upstream = server_root(args.upstream)
        except ValueError as exc:
            print(f"miraflow-mock proxy: {exc}", file=sys.stderr)
            return 2
        if args.record is not None:
            return _run_recorder(args, upstream)
        prism = PrismProcess(
            mode="proxy",
            host=args.host,
            port=args.port,
            upstream=upstream,
            errors=True,
            validate_request=not args.forward_invalid_requests,
            log_level=args.log_level,
        )
    else:
        prism = PrismProcess(mode="mock", host=args.host, port=args.port, log_level=args.log_level)
    try:
        prism.start()
    except (NodeToolsError, PrismStartError) as exc:
        return _prism_did_not_start("miraflow-mock", exc)
    ReadyLine(f"miraflow-mock {args.command}", prism.url, f"{prism.url}/api").announce()
    try:
        code = prism.wait()
    except KeyboardInterrupt:
        prism.stop()
        return 0
    print(f"miraflow-mock: Prism exited with code {code}", file=sys.stderr)
    return code or 1


def _prism_did_not_start(command: str, exc: NodeToolsError | PrismStartError) -> int:
    """Say in one line why Prism did not start; the exit code: 2 when Node's tools are missing, else 1."""
    if isinstance(exc, NodeToolsError):
        print(f"{command}: {exc}", file=sys.stderr)
        return 2
    print(f"{command}: Prism did not start: {exc}", file=sys.stderr)
    return 1


def _run_recorder(args: argparse.Namespace, upstream: str) -> int:
    from miraflow_mock.recorder import serve_recorder

    try:
        return serve_recorder(
            upstream,
            args.record,
            host=args.host,
            port=args.port,
            validate=not args.no_validate,
            log_level=args.log_level,
            validate_request=not args.forward_invalid_requests,
        )
    except (NodeToolsError, PrismStartError) as exc:
        return _prism_did_not_start("miraflow-mock proxy", exc)
    except OSError as exc:
        print(f"miraflow-mock proxy: {exc.strerror or exc}", file=sys.stderr)
        return 1


def _run_calibrate(args: argparse.Namespace) -> int:
    from miraflow_mock.calibration import CalibrationError, calibrate, write_calibration

    try:
        calibration = calibrate(args.directory)
        write_calibration(calibration, args.out)
    except CalibrationError as exc:
        print(f"miraflow-mock calibrate: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"miraflow-mock calibrate: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    for line in calibration.summary():
        print(line)
    print(f"miraflow-mock calibrate: wrote {args.out}")
    return 0


def _run_serve(args: argparse.Namespace) -> int:
    from miraflow_mock.simulator.admin_access import DEFAULT_ADMIN_ALLOW, AdminAccess
    from miraflow_mock.simulator.config import DEFAULT_TENANTS, SimulatorConfig, parse_tenant
    from miraflow_mock.simulator.server import serve

    try:
        tenants = tuple(parse_tenant(value, index) for index, value in enumerate(args.tenant, 1)) or DEFAULT_TENANTS
        catalog, calibration, tenants = _shape_options(args, tenants)
        config = SimulatorConfig(
            tenants=tenants,
            time_scale=args.time_scale,
            clock=args.clock,
            workers=args.workers,
            fail_rate=args.fail_rate,
            seed=args.seed,
            state=args.state,
            bugs=frozenset(args.bug),
            catalog=catalog,
            calibration=calibration,
            **({"business_errors": args.business_errors} if args.business_errors else {}),
            log_requests=args.log_requests,
            admin_allow=tuple(args.admin_allow) or DEFAULT_ADMIN_ALLOW,
            admin_token=args.admin_token or os.environ.get("MIRAFLOW_MOCK_ADMIN_TOKEN") or None,
        )
    except ValueError as exc:
        print(f"miraflow-mock serve: {exc}", file=sys.stderr)
        return 2
    access = AdminAccess(config.admin_allow, config.admin_token)
    if not _is_loopback(args.host) and access.local_only:
        print(
            f"miraflow-mock serve: listening on {args.host}, but the admin API (/__admin) is local-only: it answers "
            "127.0.0.1 and ::1; give --admin-token TOKEN (or --admin-allow ADDR) to reach it from elsewhere",
            file=sys.stderr,
            flush=True,
        )
    try:
        return serve(config, host=args.host, port=args.port, validate=args.validate)
    except (NodeToolsError, PrismStartError) as exc:  # Prism, in front with --validate
        return _prism_did_not_start("miraflow-mock serve", exc)
    except OSError as exc:
        print(f"miraflow-mock serve: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1


def _shape_options(args: argparse.Namespace, tenants: tuple[Any, ...]) -> tuple[Any, Any, tuple[Any, ...]]:
    """`--catalog` and `--calibration`: the catalog (and the tenants it adds), the calibrated planner."""
    catalog = calibration = None
    if args.catalog is not None:
        from miraflow_mock.simulator.user_catalog import load_catalog_file, merge_tenants

        catalog = load_catalog_file(args.catalog)
        tenants = merge_tenants(tenants, catalog)
        print(
            f"miraflow-mock serve: catalog {args.catalog}: {len(catalog.avatars)} avatar(s), {len(catalog.voices)}"
            f" voice(s), {len(catalog.tenants)} tenant(s) of its own{'' if catalog.stock else '; no stock avatars'}",
            flush=True,
        )
    if args.calibration is not None:
        from miraflow_mock.calibration import load_calibration

        calibration = load_calibration(args.calibration)
        print(f"miraflow-mock serve: {calibration.describe()}", flush=True)
    return catalog, calibration, tenants


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _add_listen_options(parser: argparse.ArgumentParser, *, log_level: bool = True) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=4010, help="port to listen on; 0 picks a free one (default: 4010)")
    if log_level:
        parser.add_argument(
            "--log-level", default="warn", choices=["fatal", "error", "warn"], help="Prism's log level (default: warn)"
        )


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
    _add_listen_options(prism)
    prism.set_defaults(run=_run_prism)

    proxy = commands.add_parser(
        "proxy",
        help="validate live traffic against openapi.yaml with Prism's proxy",
        description="Run Prism's validation proxy (prism proxy --errors) in front of UPSTREAM, an API root such as "
        "https://miraflow.ai/api: requests and responses that break openapi.yaml become errors naming the violation. "
        "Known Prism limitation: binary bodies (the MP4 download) are corrupted through the proxy; fetch them from "
        "the signed downloadUrl instead.",
    )
    proxy.add_argument("upstream", help="the API root to forward to, e.g. https://miraflow.ai/api")
    proxy.add_argument(
        "--forward-invalid-requests",
        action="store_true",
        help="forward requests that break the spec to the upstream (to check its answers) instead of refusing them",
    )
    proxy.add_argument(
        "--record",
        type=Path,
        default=None,
        metavar="DIR",
        help="write every exchange to DIR as it passes, one file per job (keys and signatures redacted)",
    )
    proxy.add_argument(
        "--no-validate",
        action="store_true",
        help="with --record: record without Prism's validation in front (no Node needed)",
    )
    _add_listen_options(proxy)
    proxy.set_defaults(run=_run_prism)

    calibrate = commands.add_parser(
        "calibrate",
        help="turn recordings (proxy --record) into a calibration file for serve --calibration",
        description="Read the recordings in DIR and write, per generation mode, the observed render durations, "
        "queue waits, progress curve shape and failure share, as JSON.",
    )
    calibrate.add_argument("directory", type=Path, metavar="DIR", help="a folder written by proxy --record")
    calibrate.add_argument("--out", type=Path, required=True, metavar="FILE", help="the calibration file to write")
    calibrate.set_defaults(run=_run_calibrate)

    from miraflow_mock.simulator.config import BUGS

    serve = commands.add_parser(
        "serve",
        help="run the stateful simulator of the Miraflow service",
        description="Run a stateful simulator of the Miraflow service: tenants, credits, jobs that progress "
        "through the spec's lifecycle, real MP4 output, an admin API under /__admin. See mock/README.md.",
    )
    _add_listen_options(serve, log_level=False)
    serve.add_argument(
        "--time-scale", type=float, default=1.0, metavar="S", help="multiply every job duration by S (default: 1.0)"
    )
    serve.add_argument(
        "--clock",
        choices=["real", "manual"],
        default="real",
        help="manual: time stands still until POST /__admin/clock/advance (default: real)",
    )
    serve.add_argument("--workers", type=int, default=2, metavar="N", help="render slots per tenant (default: 2)")
    serve.add_argument(
        "--tenant",
        action="append",
        default=[],
        metavar="KEY:CREDITS",
        help="an account (repeatable); replaces the defaults sk-demo-1:1000 and sk-demo-2:1000",
    )
    serve.add_argument("--fail-rate", type=float, default=0.0, metavar="P", help="share of jobs that fail (default: 0)")
    serve.add_argument("--seed", type=int, default=None, metavar="N", help="make every random choice reproducible")
    serve.add_argument(
        "--state", type=Path, default=None, metavar="FILE.sqlite", help="persist state in SQLite (default: memory)"
    )
    serve.add_argument(
        "--validate", action="store_true", help="serve through Prism's validation proxy (prism proxy --errors)"
    )
    serve.add_argument(
        "--catalog",
        type=Path,
        default=None,
        metavar="FILE",
        help="your own avatars and voices, for every tenant or per tenant (YAML or JSON; see mock/README.md)",
    )
    serve.add_argument(
        "--calibration",
        type=Path,
        default=None,
        metavar="FILE",
        help="plan jobs from a calibration file (miraflow-mock calibrate) instead of the spec's ranges",
    )
    serve.add_argument(
        "--log-requests",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="print one line per request: method, path, status, latency, tenant, job id (default: off)",
    )
    serve.add_argument(
        "--bug",
        action="append",
        default=[],
        choices=sorted(BUGS),
        metavar="NAME",
        help="break the contract on purpose (repeatable): " + ", ".join(sorted(BUGS)),
    )
    serve.add_argument(
        "--business-errors",
        choices=["2xx", "4xx"],
        default=None,
        help="answer a create's business failure (not enough credits, Avatar not found) in a 200 body or with its "
        "4xx status (default: what openapi.yaml's x-business-errors marks most likely)",
    )
    serve.add_argument(
        "--admin-allow",
        action="append",
        default=[],
        metavar="ADDR",
        help="a client address or network that may use /__admin (repeatable; default: 127.0.0.1 and ::1)",
    )
    serve.add_argument(
        "--admin-token",
        default=None,
        metavar="TOKEN",
        help="any client presenting `Authorization: Bearer TOKEN` may use /__admin "
        "(default: $MIRAFLOW_MOCK_ADMIN_TOKEN; unset: none)",
    )
    serve.set_defaults(run=_run_serve)
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
