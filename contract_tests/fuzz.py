"""`nox -s fuzz`: every path of the simulator fuzzed, and not one 500 it did not mean.

Three parts, against one simulator started for the run:

1. schemathesis, stateless: every operation, positive and negative data, every check;
2. schemathesis, stateful: the spec's links and the links schemathesis infers, over every operation, with hooks
   (`fuzz_hooks.py`) taking the steps outside the API (the PUT to `uploadUrl`), so finalize and multipart creates
   see valid and invalid media;
3. hypothesis over the simulator's request parsing (`fuzz_parsing.py`): hostile JSON and multipart bodies, encodings,
   content types, path parameters, methods, and the admin API.

It prints the case count, which documented status of which operation was reached, and the server-error count:
responses with a 5xx nobody injected, plus the simulator's own count of unexpected exceptions (`GET /__admin/errors`).
That count must be 0, and every schemathesis check must pass; the exit code says whether both held.

    python -m contract_tests.fuzz --cases 10000 --seed 1
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import hypothesis
from hypothesis import HealthCheck, Phase

from contract_tests.conftest import excluded_checks_for
from contract_tests.fuzz_hooks import MediaHooks
from contract_tests.servers import ServerProcess
from miraflow.base_url import server_root
from miraflow.spec import load_spec, spec_path

__all__ = ["FuzzReport", "run"]

KEY = "sk-fuzz"
OTHER_KEY = "sk-fuzz-other"
# Jobs finish fast (a 5–10 min render in 30 ms), so the stateful links reach finished videos.
TIME_SCALE = 0.00005
_METHODS = ("get", "put", "post", "delete", "patch")


@dataclass
class FuzzReport:
    """What a fuzz run did and found."""

    cases: Counter[str] = field(default_factory=Counter)  # by part
    reached: Counter[tuple[str, int]] = field(default_factory=Counter)  # (operationId, status)
    server_errors: list[str] = field(default_factory=list)  # one line each, with a curl to reproduce
    check_failures: Counter[str] = field(default_factory=Counter)  # "operationId: title"
    examples: list[str] = field(default_factory=list)  # the first failures, in full
    crashes: int = 0  # the simulator's own count (GET /__admin/errors)
    uploads: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    restarts: int = 0  # stateful runs cut short by hypothesis (see `stateful`)

    @property
    def total(self) -> int:
        """Every case sent."""
        return sum(self.cases.values())

    def record(self, part: str, operation_id: str | None, status: int, describe: Any = None) -> None:
        """Count one case and its answer; a 5xx is a server error (nothing injects faults during a run)."""
        self.cases[part] += 1
        if operation_id:
            self.reached[(operation_id, status)] += 1
        if status >= 500:
            self.server_errors.append(f"{part}: {status} from {describe() if callable(describe) else describe}")

    def fail(self, key: str, detail: str) -> None:
        """Count one check failure; keep the first few in full."""
        self.check_failures[key] += 1
        if len(self.examples) < 10:
            self.examples.append(detail)

    @property
    def ok(self) -> bool:
        """No server error of any kind, and no failed check."""
        return not self.server_errors and not self.crashes and not self.check_failures

    def render(self) -> str:
        """The figures, as printed at the end of a run (and written into mock/README.md)."""
        documented = _documented_statuses()
        lines = [
            f"cases: {self.total:,} in {self.seconds:.0f} s ("
            + ", ".join(f"{part} {count:,}" for part, count in self.cases.items())
            + ")",
            "",
            "| operation | documented statuses reached | not reached | other statuses |",
            "| --- | --- | --- | --- |",
        ]
        for operation_id, statuses in documented.items():
            got = {status: count for (op, status), count in self.reached.items() if op == operation_id}
            reached = ", ".join(f"{s} ×{got[s]:,}" for s in sorted(statuses) if s in got) or "–"
            missing = ", ".join(str(s) for s in sorted(statuses) if s not in got) or "–"
            other = ", ".join(f"{s} ×{n:,}" for s, n in sorted(got.items()) if s not in statuses) or "–"
            lines.append(f"| `{operation_id}` | {reached} | {missing} | {other} |")
        covered = sum(1 for op, statuses in documented.items() for s in statuses if (op, s) in self.reached)
        possible = sum(len(statuses) for statuses in documented.values())
        lines += [
            "",
            f"documented (operation, status) pairs reached: {covered} of {possible}",
            f"stateful runs cut short (FlakyStrategyDefinition, then restarted): {self.restarts}",
            f"uploads by the hooks: {', '.join(f'{k} ×{v}' for k, v in sorted(self.uploads.items())) or 'none'}",
            f"server errors: {len(self.server_errors) + self.crashes} "
            f"(5xx answers: {len(self.server_errors)}, unexpected exceptions counted by the simulator: {self.crashes})",
            f"check failures: {sum(self.check_failures.values())}",
        ]
        lines += [f"  {key}: {count}" for key, count in self.check_failures.most_common()]
        lines += [f"  {line}" for line in self.server_errors[:10]]
        lines += [f"\n{example}" for example in self.examples]
        return "\n".join(lines)


def _documented_statuses() -> dict[str, set[int]]:
    spec = load_spec()
    return {
        operation["operationId"]: {int(code) for code in operation["responses"] if code.isdigit()}
        for item in spec["paths"].values()
        for method, operation in item.items()
        if method in _METHODS
    }


def _schema(api_root: str, max_examples: int) -> Any:
    import schemathesis
    from schemathesis.generation import GenerationMode

    schema = schemathesis.openapi.from_path(spec_path())
    schema.config.update(base_url=server_root(api_root), headers={"x-api-key": KEY}, request_timeout=60)
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=max_examples, no_shrink=True
    )
    return schema


def _operation_id(case: Any) -> str | None:
    return case.operation.definition.raw.get("operationId")  # type: ignore[no-any-return]


def _settings(max_examples: int, **extra: Any) -> hypothesis.settings:
    return hypothesis.settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # a fuzz run reports; it does not stop to shrink
        **extra,
    )


def _validate(case: Any, response: Any, hooks: MediaHooks, report: FuzzReport, **kwargs: Any) -> None:
    from schemathesis.core.failures import Failure, FailureGroup

    excluded = excluded_checks_for(case, response) + hooks.excluded_checks(case)
    try:
        case.validate_response(response, excluded_checks=excluded, **kwargs)
    except (Failure, FailureGroup) as exc:
        failures = exc.exceptions if isinstance(exc, FailureGroup) else [exc]
        for failure in failures:
            report.fail(f"{_operation_id(case)}: {failure.title}", f"{failure}\n    {case.as_curl_command()}")


def stateless(schema: Any, hooks: MediaHooks, report: FuzzReport, per_operation: int) -> None:
    """Schemathesis's generated cases for every operation, positive and negative, every check."""
    from schemathesis.generation import GenerationMode

    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @_settings(per_operation // 2)
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def one(case: Any) -> None:
                hooks.before_call(case)
                response = case.call()
                hooks.after_call(case, response)
                report.record("stateless", _operation_id(case), response.status_code, case.as_curl_command)
                _validate(case, response, hooks, report)

            # Unsatisfiable: nothing to make invalid (no parameters, no body): the operation has no negative cases.
            with contextlib.suppress(hypothesis.errors.Unsatisfiable):
                one()


def stateful(schema: Any, hooks: MediaHooks, report: FuzzReport, scenarios: int, steps: int) -> None:
    """Schemathesis's state machine over the spec's links (and those it infers), with the out-of-band hooks."""

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            hooks.before_call(case)

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            hooks.after_call(case, response)
            report.record("stateful", _operation_id(case), response.status_code, case.as_curl_command)
            if _operation_id(case) == "createVideo" and response.status_code == 200:
                time.sleep(600 * TIME_SCALE)  # the longest render: the status → video links can be followed

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            _validate(case, response, hooks, report, transport_kwargs=kwargs or None)

    # Short runs, each on its own seed: a long one ends in FlakyStrategyDefinition, because which rules are enabled
    # depends on what the server answered (links from real responses), which hypothesis's data tree cannot replay.
    from hypothesis import core

    seed = core.global_force_seed
    for run in range(max(1, scenarios // 20)):
        core.global_force_seed = None if seed is None else seed + run
        try:
            Workflow.run(settings=_settings(min(20, scenarios), stateful_step_count=steps))
        except hypothesis.errors.FlakyStrategyDefinition:
            report.restarts += 1  # that run's remaining scenarios are lost; the next run starts afresh
    core.global_force_seed = seed


def run(
    cases: int = 10_000, seed: int = 20261130, out: Any = sys.stdout, server: ServerProcess | None = None
) -> FuzzReport:
    """Run every part against a fresh simulator (or `server`), about `cases` requests in all; returns the report."""
    from hypothesis import core

    from contract_tests.fuzz_parsing import parsing

    core.global_force_seed = seed  # type: ignore[attr-defined]
    owned = server is None
    if server is None:
        args = ["serve", "--port", "0", "--seed", str(seed), "--time-scale", str(TIME_SCALE), "--workers", "64"]
        args += ["--tenant", f"{KEY}:1000000000", "--tenant", f"{OTHER_KEY}:1000000000"]
        server = ServerProcess(args).start()
    report = FuzzReport()
    started = time.monotonic()
    operations = len(_documented_statuses())
    # The split: ~45 % stateless, ~15 % stateful, ~40 % parsing (each stateful scenario is several requests).
    per_operation = max(4, int(cases * 0.45 / operations))
    scenarios, steps = max(4, int(cases * 0.15 / 6)), 10
    hooks = MediaHooks()
    try:
        schema = _schema(server.api_root, per_operation)
        print(f"fuzz: stateless, {operations} operations × ~{per_operation} cases", file=out, flush=True)
        stateless(schema, hooks, report, per_operation)
        print(f"fuzz: stateful, {scenarios} scenarios of up to {steps} steps", file=out, flush=True)
        stateful(schema, hooks, report, scenarios, steps)
        remaining = max(cases - report.total, cases // 10)
        print(f"fuzz: request parsing, {remaining} cases", file=out, flush=True)
        parsing(server.api_root, server.admin_url, KEY, report, remaining)
        errors = httpx.get(f"{server.admin_url}/__admin/errors", timeout=30).json()
        report.crashes = int(errors["count"])
        report.examples += [f"simulator error: {error}" for error in errors["errors"][:5]]
    finally:
        hooks.http.close()
        report.uploads = dict(hooks.uploads)
        report.seconds = time.monotonic() - started
        if owned:
            server.stop()
    print(report.render(), file=out, flush=True)
    return report


def main(argv: list[str] | None = None) -> int:
    """`python -m contract_tests.fuzz [--cases N] [--seed N]`; exit code 0 when nothing was found."""
    parser = argparse.ArgumentParser(prog="python -m contract_tests.fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="about how many requests to send (default 10000)")
    parser.add_argument("--seed", type=int, default=20261130, help="seed of the simulator and of hypothesis")
    args = parser.parse_args(argv)
    report = run(args.cases, args.seed)
    if report.total < args.cases:
        print(f"fuzz: only {report.total} cases ran, fewer than the {args.cases} asked for", file=sys.stderr)
        return 1
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
