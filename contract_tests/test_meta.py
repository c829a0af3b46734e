"""Proof that the suite can fail: for each of the simulator's `--bug`s, the tests of this suite that catch it run
against a simulator started with that bug, and every one of them must fail (not error). A bug that one of its
catchers lets through fails this meta-test, and so does a bug with no catchers; the control
(`test_a_bug_that_is_not_caught_fails_the_meta_test`) proves the check itself can fail.

Only the catchers run for a bug: each of them also runs, and passes, against the faithful simulator in the same
`--target simulator` run, so "passes without the bug, fails with it" holds for each. The bug runs are subprocesses
(a simulator's bugs are fixed when it starts), a few at a time. Each run uses the suite's seed and reports the first
failing example unshrunk (`--no-shrink`), so it is deterministic and stops at the first failure.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from miraflow_mock.simulator.config import BUGS

HERE = Path(__file__).parent
_IM2VID = "test_properties.py::test_im2vid_full_selects_the_output_of_photo_avatars_only"
_ROUND_TRIP = "test_generated_client.py::test_generated_client_round_trips_a_real_job"
_STATEFUL = "test_stateful.py::test_workflow_follows_the_links"
# The tests that must catch each bug (several where more than one check of the contract sees it).
CATCHERS: dict[str, tuple[str, ...]] = {
    "progress-regress": (_ROUND_TRIP, _IM2VID),
    "missing-video-id": (_ROUND_TRIP, _STATEFUL),
    "ignore-im2vid-full": (_IM2VID, "test_properties.py::test_credits_change_by_exactly_the_documented_cost"),
    "cross-tenant-leak": ("test_properties.py::test_tenants_see_nothing_of_each_other",),
    "wrong-download-type": (_IM2VID, _STATEFUL),
    "terminal-not-absorbing": ("test_state_machine.py::test_polling_state_machine",),
    "accept-any-key": ("test_properties.py::test_missing_or_wrong_key_is_401_with_the_error_shape[sk-not-a-real-key]",),
}
# A test that runs against the (bugged) simulator but cannot see this bug: the control for the proof above.
NOT_A_CATCHER = ("accept-any-key", ("test_properties.py::test_unknown_ids_are_404_with_the_error_shape",))
# Bug runs at the same time: each is a pytest and a simulator, mostly busy on the CPU.
PARALLEL = max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class BugRun:
    """One run of some tests against a simulator started with `--bug <bug>`."""

    bug: str
    tests: tuple[str, ...]
    returncode: int
    stdout: str

    @property
    def failed(self) -> set[str]:
        """The node ids (relative to contract_tests/) that failed."""
        found = re.findall(r"^FAILED (\S+)", self.stdout, flags=re.MULTILINE)
        return {node.removeprefix(f"{HERE.name}/") for node in found}

    @property
    def errors(self) -> list[str]:
        return re.findall(r"^ERROR (\S+)", self.stdout, flags=re.MULTILINE)


def run_against_bug(bug: str, tests: tuple[str, ...], seed: int) -> BugRun:
    """Run `tests` (ids relative to contract_tests/) against `miraflow-mock serve --bug <bug>`."""
    command = [
        sys.executable, "-m", "pytest", *(f"{HERE.name}/{test}" for test in tests),
        "--target", "simulator", "--simulator-bug", bug, "--seed", str(seed), "--no-shrink",
        "-q", "-rfE", "-p", "no:cacheprovider", "-o", "addopts=",
        # Plain asserts: with PYTHONDONTWRITEBYTECODE set, pytest would rewrite every module of schemathesis and
        # hypothesis again in each run (about 3 s of CPU); the catchers' own assert messages still show.
        "--assert=plain",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=HERE.parent)
    return BugRun(bug, tests, result.returncode, result.stdout)


def assert_caught(run: BugRun) -> None:
    """Every catcher failed on the bug, by an assertion (not an error in setup), and nothing else went wrong."""
    tail = run.stdout[-3000:]
    missed = sorted(set(run.tests) - run.failed)
    assert run.returncode == 1 and not missed, (
        f"the contract suite did not catch --bug {run.bug} (exit {run.returncode}): "
        f"{', '.join(missed) or 'no test'} passed against it:\n{tail}"
    )
    assert not run.errors, f"errors, not failures, with --bug {run.bug}:\n{tail}"


@pytest.fixture(scope="module")
def bug_runs(request: pytest.FixtureRequest, seed: int) -> Iterator[dict[str, Future[BugRun]]]:
    """The bug runs this session selected, started together (PARALLEL at a time) the first time one is needed."""
    wanted = {"not-caught": NOT_A_CATCHER}
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if getattr(item, "module", None) is request.module and callspec is not None and "bug" in callspec.params:
            bug = callspec.params["bug"]
            wanted[bug] = (bug, CATCHERS.get(bug, ()))
    with ThreadPoolExecutor(PARALLEL) as pool:
        futures = {
            name: pool.submit(run_against_bug, bug, tests, seed) for name, (bug, tests) in wanted.items() if tests
        }
        yield futures
        for future in futures.values():
            future.cancel()


def test_every_bug_has_catchers() -> None:
    """Each `--bug` the simulator knows is listed with at least one test that must catch it."""
    assert set(CATCHERS) == set(BUGS)
    assert all(CATCHERS.values())


@pytest.mark.simulator
@pytest.mark.parametrize("bug", sorted(BUGS))
def test_the_suite_catches_the_bug(bug: str, bug_runs: dict[str, Future[BugRun]]) -> None:
    """Run the bug's catchers against `miraflow-mock serve --bug <bug>`: each must fail."""
    assert bug in bug_runs, f"--bug {bug} has no catcher in CATCHERS"
    run = bug_runs[bug].result()
    print(f"--bug {bug}: caught by {', '.join(sorted(run.failed)) or 'nothing'}")
    assert_caught(run)


@pytest.mark.simulator
def test_a_bug_that_is_not_caught_fails_the_meta_test(bug_runs: dict[str, Future[BugRun]]) -> None:
    """The control: a test that cannot see --bug accept-any-key passes against it, and the meta-test's check fails."""
    run = bug_runs["not-caught"].result()
    assert run.returncode == 0 and not run.failed, run.stdout[-3000:]
    with pytest.raises(AssertionError, match="did not catch --bug accept-any-key"):
        assert_caught(run)
