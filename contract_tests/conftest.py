"""The contract suite's targets: one suite, run with `--target prism|simulator|live` (default: simulator).

Each target is a running server and what the suite may expect of it. Exclusions are per target, each with its reason
in code. The suite talks to servers through the generated client, schemathesis and plain HTTP: never through the SDK.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis.generation import GenerationMode

from contract_tests.drift import DriftRecorder, Evidence
from contract_tests.live_budget import LivePlan
from contract_tests.outside_spec import response_checker
from contract_tests.servers import ServerProcess
from miraflow.base_url import default_api_root, server_root
from miraflow.spec import spec_path
from miraflow_client import AuthenticatedClient

TARGETS = ("prism", "simulator", "live")
DEFAULT_SEED = 20261125
# The simulator target runs on a real clock this much faster than real time (a 60–120 s preview takes 30–60 ms).
SIMULATOR_TIME_SCALE = 0.0005
CONTRACT_KEYS = ("sk-contract-a", "sk-contract-b")
# Where a live run writes drift.md and drift.json (MIRAFLOW_DRIFT_DIR overrides it).
REPORTS = Path(os.environ.get("MIRAFLOW_DRIFT_DIR") or Path(__file__).parent.parent / "reports")
# The verdicts of this run on the spec's facts (written as reports/drift.* by a live run).
DRIFT = DriftRecorder()
_LIVE_STARTED = [False]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--target",
        choices=TARGETS,
        default="simulator",
        help="the server the contract suite checks: prism (the spec's examples), simulator, or live",
    )
    parser.addoption("--seed", type=int, default=None, help="seed of the simulator and of hypothesis")
    parser.addoption(
        "--no-shrink",
        action="store_true",
        help="report the first failing example as found, without shrinking it (the meta-test: fast failures)",
    )
    parser.addoption(
        "--simulator-bug",
        action="append",
        default=[],
        metavar="NAME",
        help="start the simulator target with `--bug NAME` (the meta-test's way to prove the suite catches it)",
    )


def pytest_configure(config: pytest.Config) -> None:
    from hypothesis import core

    # One seed drives the simulator and every hypothesis test (schemathesis included), so a failure reproduces.
    core.global_force_seed = _seed(config)
    if config.getoption("--no-shrink"):
        from hypothesis import Phase, settings

        # ...and stop at the first failing example instead of looking for more (report_multiple_bugs).
        settings.register_profile(
            "no-shrink", phases=[Phase.explicit, Phase.reuse, Phase.generate], report_multiple_bugs=False
        )
        settings.load_profile("no-shrink")
    for name in TARGETS:
        config.addinivalue_line("markers", f"{name}: runs only against the {name} target")
    config.addinivalue_line("markers", "stateful: needs a target that holds state (not Prism)")
    config.addinivalue_line("markers", "creates: creates videos (on live: only with MIRAFLOW_LIVE_CREATE=1)")
    config.addinivalue_line("markers", "live_plan: the live run's budgeted plan (runs first, on live only)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _live_plan_first(config, items)
    target = config.getoption("--target")
    for item in items:
        wanted = {name for name in TARGETS if item.get_closest_marker(name)}
        if item.get_closest_marker("live_plan") and target != "live":
            item.add_marker(pytest.mark.skip(reason="the budgeted live plan runs only against live"))
            continue
        if wanted and target not in wanted:
            item.add_marker(pytest.mark.skip(reason=f"runs only against {', '.join(sorted(wanted))}"))
        elif target == "prism" and item.get_closest_marker("stateful"):
            item.add_marker(pytest.mark.skip(reason="Prism holds no state: a created job never progresses"))
        elif target == "live" and item.get_closest_marker("creates") and os.environ.get("MIRAFLOW_LIVE_CREATE") != "1":
            item.add_marker(pytest.mark.skip(reason="creates cost credits: set MIRAFLOW_LIVE_CREATE=1 to run"))


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = [f"miraflow contract target: {config.getoption('--target')}, seed {_seed(config)}"]
    if config.getoption("--target") == "live":
        lines += LivePlan.from_environment().describe()  # the budget and the polling, before anything is spent
    return lines


def _live_plan_first(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On live, the budgeted plan runs first, so the mission's property gets the first videos."""
    if config.getoption("--target") == "live":
        items.sort(key=lambda item: 0 if item.nodeid.startswith("contract_tests/test_live_plan.py") else 1)


def pytest_runtest_setup(item: pytest.Item) -> None:
    DRIFT.seen.clear()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Facts whose checking test passed, was skipped or failed without a verdict get one from that outcome."""
    name = report.nodeid.split("[", 1)[0]
    checked = [
        row
        for row in DRIFT.rows.values()
        if row.fact.checked_by == name and row.verdict == "not exercised" and row.why is None
    ]
    if not checked:
        return
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        for row in checked:
            DRIFT.not_exercised(row.fact.id, f"{name} was skipped: {reason.removeprefix('Skipped: ')}")
    elif report.when == "call" and report.passed:
        seen = DRIFT.seen[-1] if DRIFT.seen else Evidence(name, None, "passed")
        for row in checked:
            DRIFT.confirm(row.fact.id, seen)
    elif report.failed:
        message = str(report.longrepr).strip().splitlines()[-1][:200] if report.longrepr else "failed"
        for row in checked:
            DRIFT.not_exercised(row.fact.id, f"{name} failed before reaching a verdict on it: {message}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """After a live run: write reports/drift.md and drift.json; a refuted fact fails the run, saying which kind."""
    if session.config.getoption("--target") != "live" or not _LIVE_STARTED[0]:
        return
    plan = LivePlan.from_environment()
    md, _ = DRIFT.write(REPORTS, target=plan.target_label(), settings=plan.settings())
    writer = session.config.get_terminal_writer()
    writer.line(f"drift report: {md} (and drift.json)")
    summary = DRIFT.summary()
    if summary:
        writer.line(summary, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _seed(config: pytest.Config) -> int:
    seed = config.getoption("--seed")
    return int(seed) if seed is not None else int(os.environ.get("MIRAFLOW_CONTRACT_SEED", DEFAULT_SEED))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed and call.when == "call":
        target, seed = item.config.getoption("--target"), _seed(item.config)
        command = f"pytest {shlex.quote(item.nodeid)} --target {target} --seed {seed}"
        report.sections.append(("reproduce", f"Reproduce with:\n    {command}"))


class CreateBudget:
    """How many more videos the suite may create on a target (None: no limit); shared by every test of a run."""

    def __init__(self, limit: int | None) -> None:
        self.left = limit

    def take(self) -> None:
        """Spend one create, or skip the test when none is left."""
        if self.left is not None:
            if self.left <= 0:
                pytest.skip("the create budget (MIRAFLOW_LIVE_MAX_VIDEOS) is spent")
            self.left -= 1

    @property
    def exhausted(self) -> bool:
        return self.left is not None and self.left <= 0


@dataclass(frozen=True)
class Target:
    """A server under test and what the suite may expect of it."""

    name: str
    api_root: str
    api_key: str
    # A second account's key, for tenant isolation (None: the target cannot tell tenants apart).
    other_key: str | None = None
    # The simulator's admin API; never used against live, which shows only what the public API shows.
    admin_url: str | None = None
    # Job durations on this target are the spec's ranges times this.
    time_scale: float = 1.0
    # How many videos the suite may create here.
    budget: CreateBudget = field(default_factory=lambda: CreateBudget(None))
    # Schemathesis checks that cannot hold on this target, each with its reason.
    excluded_checks: dict[str, str] = field(default_factory=dict)
    # Operations schemathesis must not call at random here, each with its reason.
    excluded_operations: dict[str, str] = field(default_factory=dict)
    # Why generated multipart bodies must carry only the schema's own fields on this target (None: no such limit).
    multipart_known_fields_only: str | None = None
    # Why a body that is not JSON cannot reach the API here (None: it can).
    non_json_reason: str | None = None
    # Why downloaded bytes must come from the signed downloadUrl rather than the download endpoint (None: no need).
    bytes_from_download_url: str | None = None
    # Where requests without a key go, when the usual API root cannot pass them on (and why); None: api_root.
    keyless_api_root: str | None = None
    keyless_reason: str | None = None
    # Where every response is checked against the spec and the verdicts recorded (None: not checked).
    drift: DriftRecorder | None = None

    def _hooks(self) -> dict[str, list[Any]]:
        return {"response": [response_checker(self.drift)]} if self.drift is not None else {}

    def client(self, key: str | None = None, **kwargs: Any) -> AuthenticatedClient:
        """The generated client, pointed at this target (the API root mapped onto the spec's /api paths)."""
        if self.drift is not None:
            kwargs.setdefault("httpx_args", {})["event_hooks"] = self._hooks()
        return AuthenticatedClient(
            base_url=server_root(self.api_root),
            token=key or self.api_key,
            prefix="",
            auth_header_name="x-api-key",
            raise_on_unexpected_status=True,
            timeout=httpx.Timeout(60.0),
            **kwargs,
        )

    def http(self, key: str | None = None, *, root: str | None = None) -> httpx.Client:
        """Plain HTTP to the API root (or `root`), authenticated as `key` (default: the target's key)."""
        return httpx.Client(
            base_url=(root or self.api_root) + "/",
            headers={"x-api-key": key or self.api_key},
            timeout=60.0,
            event_hooks=self._hooks(),
        )

    def admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call the simulator's admin API (simulator target only)."""
        assert self.admin_url, f"the {self.name} target has no admin API"
        response = httpx.request(method, f"{self.admin_url}/__admin{path}", json=body, timeout=30.0)
        response.raise_for_status()
        return response.json()

    def prepare(self, case: schemathesis.Case) -> None:
        """Adjust a generated case to what this target can take, as its exclusions say."""
        if self.keyless_reason and _drops_the_key(case):
            hypothesis.reject()  # a keyless case cannot reach the API here (see keyless_reason)
        if self.non_json_reason and case.media_type == "application/json" and isinstance(case.body, bytes | str):
            hypothesis.reject()  # see non_json_reason
        if (
            self.multipart_known_fields_only
            and case.media_type == "multipart/form-data"
            and isinstance(case.body, dict)
        ):
            schemas = case.operation.schema.raw_schema["components"]["schemas"]
            known = schemas["CreateVideoFromAudioRequest"]["properties"]
            case.body = {key: value for key, value in case.body.items() if key in known}


# Schema-valid requests that a stateful server may still refuse, because a step outside this API has not happened.
# Each exempts only the positive_data_acceptance check, for one operation and one answer.
STATE_DEPENDENT_REJECTIONS = {
    ("finalizeMedia", 400, "nothing was uploaded"): "finalize needs the bytes PUT to uploadUrl first, a step outside "
    "this API (uploadUrl is a signed storage URL) that schemathesis cannot take",
    ("createVideo", 400, "media is not finalized"): "a multipart create needs a finalized upload; see above",
}


def excluded_checks_for(case: schemathesis.Case, response: Any) -> list[Any]:
    """The checks to skip for this one response: positive_data_acceptance for a known state-dependent refusal."""
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    operation_id = case.operation.definition.raw.get("operationId")
    if response.status_code < 400:
        return []
    try:
        message = str(response.json().get("error", ""))
    except ValueError:
        return []
    for (operation, status, text), _reason in STATE_DEPENDENT_REJECTIONS.items():
        if operation == operation_id and status == response.status_code and text in message:
            return [positive_data_acceptance]
    return []


PRISM_NON_JSON = (
    "Prism 5.14.2 (mock and proxy) parses JSON bodies itself and answers one that does not parse with its own "
    '{"error": {"code": "invalid_json"}} 400, even with --validate-request=false'
)


def _drops_the_key(case: schemathesis.Case) -> bool:
    """Whether schemathesis means to send this case without x-api-key (its coverage phase's missing-header case)."""
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    return str(getattr(data, "parameter", "")).lower() == "x-api-key" or "x-api-key" not in {
        name.lower() for name in (case.headers or {})
    }


def _prism_target() -> Iterator[Target]:
    server = ServerProcess(["prism", "--port", "0"]).start()
    try:
        yield Target(
            name="prism",
            api_root=server.api_root,
            api_key="any-key-works-on-prism",
            excluded_checks={
                "ignored_auth": "Prism checks that x-api-key is present but accepts any value",
                "use_after_free": "Prism holds no state",
                "ensure_resource_availability": "Prism holds no state",
                "unsupported_method": "Prism answers undeclared methods itself, with a 405 but no Allow header",
            },
            non_json_reason=PRISM_NON_JSON,
            multipart_known_fields_only=(
                "Prism 5.14.2 exits on a multipart field name containing ';' (parse-multipart-data splits the "
                "Content-Disposition header on ';' and reads past the end), so extra generated fields are dropped"
            ),
        )
    finally:
        server.stop()


def _bug_args(config: pytest.Config) -> list[str]:
    return [arg for bug in config.getoption("--simulator-bug") for arg in ("--bug", bug)]


def _simulator_target(seed: int, bugs: list[str]) -> Iterator[Target]:
    args = ["serve", "--port", "0", "--seed", str(seed), "--time-scale", str(SIMULATOR_TIME_SCALE), *bugs]
    args += ["--workers", "64"]  # render slots are not what the contract is about: keep queues short
    for key in CONTRACT_KEYS:
        args += ["--tenant", f"{key}:1000000000"]  # schemathesis creates many videos
    server = ServerProcess(args).start()
    try:
        yield Target(
            name="simulator",
            api_root=server.api_root,
            api_key=CONTRACT_KEYS[0],
            other_key=CONTRACT_KEYS[1],
            admin_url=server.admin_url,
            time_scale=SIMULATOR_TIME_SCALE,
        )
    finally:
        server.stop()


def _live_target() -> Iterator[Target]:
    key = os.environ.get("MIRAFLOW_API_KEY")
    if not key:
        pytest.skip("MIRAFLOW_API_KEY is unset: the live target needs a real API key")
    upstream = os.environ.get("MIRAFLOW_BASE_URL") or default_api_root()
    budget = LivePlan.from_environment().budget
    _LIVE_STARTED[0] = True
    # Invalid requests (negative mode) go through to the API: its own answers to bad input are what is checked.
    server = ServerProcess(["proxy", upstream, "--port", "0", "--forward-invalid-requests"]).start()
    try:
        yield Target(
            name="live",
            api_root=server.api_root,
            api_key=key,
            other_key=os.environ.get("MIRAFLOW_API_KEY_2") or None,
            time_scale=float(os.environ.get("MIRAFLOW_LIVE_TIME_SCALE", "1.0")),
            budget=CreateBudget(budget),
            drift=DRIFT,
            excluded_operations={
                "createVideo": "creates cost credits: the live suite creates only through its budgeted tests",
            },
            excluded_checks={
                "ignored_auth": "Prism's proxy answers keyless requests itself; test_missing_or_wrong_key_is_401 "
                "sends them to the API directly",
                "missing_required_header": "the same: the missing header is x-api-key, which Prism answers itself",
                "unsupported_method": "Prism's proxy answers undeclared methods itself (405 without an Allow "
                "header) instead of forwarding them",
            },
            non_json_reason=PRISM_NON_JSON,
            keyless_api_root=upstream,
            keyless_reason=(
                "Prism 5.14.2's proxy answers a request without x-api-key itself (a problem+json 401), even with "
                "--validate-request=false, so keyless requests never reach the API through it"
            ),
            bytes_from_download_url=(
                "Prism 5.14.2's proxy decodes binary bodies as UTF-8 (stoplightio/prism#2349), so MP4 bytes "
                "through it are corrupted; the download endpoint's status and headers are still validated"
            ),
        )
    finally:
        server.stop()


_NO_SHRINK = [False]


@pytest.fixture(scope="session")
def seed(request: pytest.FixtureRequest) -> int:
    """The run's seed (simulator and hypothesis): `--seed`, else MIRAFLOW_CONTRACT_SEED, else a fixed default."""
    _NO_SHRINK[0] = bool(request.config.getoption("--no-shrink"))
    return _seed(request.config)


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest, seed: int) -> Iterator[Target]:
    name = request.config.getoption("--target")
    if name == "prism":
        yield from _prism_target()
    elif name == "simulator":
        yield from _simulator_target(seed, _bug_args(request.config))
    else:
        yield from _live_target()


@pytest.fixture(scope="session")
def manual_target(request: pytest.FixtureRequest, seed: int) -> Iterator[Target]:
    """A second simulator on a manual clock: the state machine moves its time and scripts its failures itself."""
    if request.config.getoption("--target") != "simulator":
        pytest.skip("only the simulator has a manual clock")
    args = ["serve", "--port", "0", "--seed", str(seed), "--clock", "manual"]
    # Two render slots: jobs queue, so the state machine sees every state, inference_started included.
    args += ["--workers", "2", "--tenant", f"{CONTRACT_KEYS[0]}:1000000000", *_bug_args(request.config)]
    server = ServerProcess(args).start()
    try:
        yield Target(name="simulator", api_root=server.api_root, api_key=CONTRACT_KEYS[0], admin_url=server.admin_url)
    finally:
        server.stop()


def _schema(target: Target, modes: list[GenerationMode], max_examples: int) -> Any:
    # Operations are not filtered here: schemathesis's lazy parametrisation (from_fixture) does not keep a filter
    # applied in the fixture, so excluded operations are skipped by the tests themselves, before anything is sent.
    schema = schemathesis.openapi.from_path(spec_path())
    schema.config.update(
        base_url=server_root(target.api_root), headers={"x-api-key": target.api_key}, request_timeout=60
    )
    schema.config.generation.update(modes=modes, max_examples=max_examples, no_shrink=_NO_SHRINK[0])
    schema.config.checks.update(excluded_check_names=list(target.excluded_checks))
    return schema


@pytest.fixture(scope="session")
def api_schema(target: Target, seed: int) -> Any:
    """Schemathesis over the spec, positive and negative, pointed at the target."""
    return _schema(target, [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=40)


@pytest.fixture(scope="session")
def stateful_schema(target: Target, seed: int) -> Any:
    """Schemathesis over the spec's links (create → status → video → download), positive data only.

    Creates are not excluded here: the stateful test spends the target's create budget on them itself.
    """
    return _schema(target, [GenerationMode.POSITIVE], max_examples=25)
