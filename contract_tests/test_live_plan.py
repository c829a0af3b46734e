"""The live run's budgeted plan (see `live_budget.py` and `live_checks.py`): a few real videos, checked for every
documented fact and assumption they can show, with each verdict in the drift report (`reports/drift.md`).

Runs first on the live target, before anything else spends the budget; skipped on the other targets.
"""

from __future__ import annotations

import pytest

from contract_tests import live_checks
from contract_tests.conftest import Target
from contract_tests.live_budget import LivePlan
from contract_tests.live_checks import LiveRun

pytestmark = [pytest.mark.live_plan, pytest.mark.creates]


@pytest.fixture(scope="session")
def live_run(target: Target) -> LiveRun:
    """The planned videos, created and polled to their end (once per session)."""
    plan = LivePlan.from_environment()
    for line in plan.describe():
        print(line)
    return live_checks.run_plan(plan, target)


def test_planned_videos_render_the_mode_im2vid_full_asks_for(live_run: LiveRun) -> None:
    """An explicit im2vid_full=false on a photo avatar renders face-cropped output, an explicit true (opt-in) full
    background, and a video avatar given true is neither refused nor changed: seen in each MP4's frame aspect and in
    the time its job took.
    """
    live_checks.check_modes(live_run)


def test_jobs_follow_the_lifecycle_while_polled(live_run: LiveRun) -> None:
    """Every poll: a status of the enum, progress a whole percent that never goes down, allowed transitions, a
    videoId once complete, a terminal status that never changes; each job seen working several times.
    """
    live_checks.check_lifecycle(live_run)


def test_download_is_the_playable_mp4_of_the_download_url(live_run: LiveRun) -> None:
    """The download endpoint's bytes (fetched around Prism's proxy) are a playable MP4, the downloadUrl's file."""
    live_checks.check_downloads(live_run)


def test_business_errors_are_where_the_spec_says(live_run: LiveRun) -> None:
    """A create for an unknown avatar is a failure body; its 2xx or 4xx placement is compared with the spec's."""
    live_checks.check_business_errors(live_run)


def test_every_response_stays_inside_the_spec(live_run: LiveRun) -> None:
    """The lists and the videos' metadata carry the documented fields; every response was checked as it came."""
    live_checks.check_inside_the_spec(live_run)
