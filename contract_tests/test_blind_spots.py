"""No blind spot within the default budget: the live run, at a user's defaults (one key, MIRAFLOW_LIVE_CREATE=1, a
budget of 2), pointed at a live-like upstream that breaks the contract in one way, must fail and name the fact it
refuted; pointed at a faithful one, it must pass. The upstream is the simulator behind a small misbehaving proxy.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from contract_tests import live_checks
from contract_tests.conftest import CreateBudget, Target
from contract_tests.drift import DriftRecorder
from contract_tests.live_budget import LivePlan
from contract_tests.misbehaving_upstream import MISBEHAVIOURS, MisbehavingUpstream
from contract_tests.servers import ServerProcess

# Slow enough that a face-cropped job (60–120 s × this) is seen working several times on a busy machine.
TIME_SCALE = 0.02
KEY = "sk-blind-spots"
# Live runs at the same time: each mostly waits for its jobs (rendered on the simulator's scaled real clock).
PARALLEL = 4
# The fact each misbehaviour must refute, and whether it needs the full-background opt-in.
CAUGHT_AS = {
    "explicit-false-renders-full": ("im2vid-full-false-face-cropped", False),
    "explicit-true-renders-cropped": ("im2vid-full-true-full-background", True),
    "video-avatar-true-errors": ("im2vid-full-ignored-for-video-avatars", False),
    "video-avatar-true-changes-output": ("im2vid-full-ignored-for-video-avatars", False),
    "progress-goes-down": ("progress-never-decreases", False),
    "terminal-state-changes": ("terminal-states-absorbing", False),
    "download-not-mp4": ("download-is-mp4", False),
    "download-other-video": ("download-is-mp4", False),
    "status-outside-spec": ("job-status-enum", False),
    "field-outside-spec": ("responses-inside-the-spec", False),
    "type-outside-spec": ("responses-inside-the-spec", False),
}


@pytest.fixture(scope="module")
def simulator() -> Iterator[ServerProcess]:
    args = ["serve", "--port", "0", "--time-scale", str(TIME_SCALE), "--seed", "11", "--tenant", f"{KEY}:100000"]
    args += ["--workers", "64"]  # enough render slots that the runs made at the same time never queue each other's
    server = ServerProcess(args).start()
    try:
        yield server
    finally:
        server.stop()


LiveResult = tuple[list[str], DriftRecorder]


@pytest.fixture(scope="module")
def live_runs(
    request: pytest.FixtureRequest, simulator: ServerProcess
) -> Iterator[dict[str | None, Future[LiveResult]]]:
    """The live runs this session selected, against the faithful upstream (None, full background included) and each
    misbehaving one, started together (PARALLEL at a time) the first time one is needed.
    """
    wanted: dict[str | None, bool] = {}
    for item in request.session.items:
        if getattr(item, "module", None) is request.module:
            callspec = getattr(item, "callspec", None)
            name = callspec.params.get("misbehaviour") if callspec is not None else None
            wanted[name] = CAUGHT_AS[name][1] if name is not None else True
    with ThreadPoolExecutor(PARALLEL) as pool:
        futures = {
            name: pool.submit(_live_run_through, simulator, name, full_background)
            for name, full_background in wanted.items()
        }
        yield futures
        for future in futures.values():
            future.cancel()


def _live_run_through(simulator: ServerProcess, misbehaviour: str | None, full_background: bool) -> LiveResult:
    with MisbehavingUpstream(simulator.api_root, misbehaviour) as upstream:
        return _live_run(upstream, full_background=full_background)


def _live_run(upstream: MisbehavingUpstream, *, full_background: bool) -> tuple[list[str], DriftRecorder]:
    """The live plan and its checks at a user's defaults (budget 2), in this process, against `upstream`.

    Returns the checks' failure messages and the drift verdicts. Prism's proxy is left out here (the CI
    live-against-simulator run goes through it); the download's bytes are still fetched the way the live target
    fetches them around it.
    """
    drift = DriftRecorder()
    plan = LivePlan(
        creates=True,
        max_videos=2,
        full_background=full_background,
        time_scale=TIME_SCALE,
        second_key=False,
        base_url=upstream.api_root,
        label=None,
    )
    target = Target(
        name="live",
        api_root=upstream.api_root,
        api_key=KEY,
        time_scale=TIME_SCALE,
        budget=CreateBudget(plan.budget),
        drift=drift,
        keyless_api_root=upstream.api_root,
        bytes_from_download_url="as on the live target: the download's bytes come from the API root directly",
    )
    run = live_checks.run_plan(plan, target)
    failures = []
    for check in CHECKS:
        try:
            check(run)
        except AssertionError as exc:
            failures.append(str(exc))
        except pytest.skip.Exception as exc:
            failures.append(f"skipped: {exc}")
    return failures, drift


CHECKS = [
    live_checks.check_modes,
    live_checks.check_lifecycle,
    live_checks.check_downloads,
    live_checks.check_business_errors,
    live_checks.check_inside_the_spec,
]


@pytest.mark.simulator
def test_the_live_checks_pass_against_a_faithful_upstream(live_runs: dict[str | None, Future[LiveResult]]) -> None:
    """Nothing broken, full background included: every check passes and confirms each fact the others refute."""
    failures, drift = live_runs[None].result()
    assert not failures, "\n".join(failures)
    assert not drift.refuted()
    for fact in {fact for fact, _ in CAUGHT_AS.values()}:
        assert drift.rows[fact].verdict == "confirmed", (fact, drift.rows[fact])


@pytest.mark.simulator
@pytest.mark.parametrize("misbehaviour", sorted(MISBEHAVIOURS))
def test_the_live_checks_catch_a_misbehaving_upstream(
    live_runs: dict[str | None, Future[LiveResult]], misbehaviour: str
) -> None:
    """Each misbehaviour fails the live checks at the default budget (the full-background one with its opt-in),
    refuting the fact it breaks, with a message that says which kind of drift it is.
    """
    fact, _ = CAUGHT_AS[misbehaviour]
    failures, drift = live_runs[misbehaviour].result()
    refuted = sorted(row.fact.id for row in drift.refuted())
    print(f"{misbehaviour}: refuted {refuted}")
    assert failures, f"the live checks did not catch {misbehaviour}"
    assert drift.rows[fact].verdict == "refuted", f"{misbehaviour} should refute {fact}; refuted: {refuted}"
    kind = "the API broke its contract" if drift.rows[fact].fact.kind == "documented" else "our spec guessed wrong"
    assert any(kind in failure and fact in failure for failure in failures), "\n".join(failures)
