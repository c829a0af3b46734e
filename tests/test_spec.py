"""The packaged spec and the lifecycle read from it."""

from __future__ import annotations

from typing import Any

import pytest

from miraflow.spec import SpecError, lifecycle, load_spec, parse_lifecycle, spec_path, status_variants
from tests.spec_copies import broken_spec


def test_packaged_spec_is_the_repository_spec() -> None:
    repo_spec = spec_path().resolve()
    assert repo_spec.name == "openapi.yaml"
    assert load_spec()["openapi"].startswith("3.1")


def test_states_come_from_the_status_schema() -> None:
    assert set(lifecycle().states) == set(status_variants(load_spec(), "JobStatus"))


def test_terminal_states_and_outcomes() -> None:
    lc = lifecycle()
    assert lc.initial == "inference_started"
    assert lc.success_state == "inference_complete"
    assert lc.failure_states == {"inference_failed", "inference_error"}
    assert lc.terminal_states == {"inference_complete", "inference_failed", "inference_error"}
    assert lc.progress_state == "inference_working"
    for state in lc.terminal_states:
        assert lc.reachable(state) == frozenset()


def test_observations_may_skip_states_but_never_go_back() -> None:
    lc = lifecycle()
    assert lc.can_observe("inference_started", "inference_complete")
    assert lc.can_observe("inference_working", "inference_working")
    assert not lc.can_observe("inference_working", "inference_started")
    assert not lc.can_observe("inference_complete", "inference_working")
    assert not lc.can_observe("inference_failed", "inference_complete")


@pytest.mark.parametrize(
    ("is_photo", "im2vid_full", "mode"),
    [
        (True, None, "face_cropped"),
        (True, False, "face_cropped"),
        (True, True, "full_background"),
        (False, None, "video_avatar"),
        (False, False, "video_avatar"),
        (False, True, "video_avatar"),
    ],
)
def test_mode_selection(is_photo: bool, im2vid_full: bool | None, mode: str) -> None:
    assert lifecycle().mode_for(is_photo=is_photo, im2vid_full=im2vid_full).name == mode


def test_modes_carry_the_documented_durations_and_aspects() -> None:
    lc = lifecycle()
    face, full = lc.mode("face_cropped"), lc.mode("full_background")
    assert (face.duration.min, face.duration.max) == (60, 120)
    assert (full.duration.min, full.duration.max) == (300, 600)
    assert face.aspect_ratio == 1.0
    assert full.aspect_ratio == pytest.approx(16 / 9)
    assert face.duration.scaled(0.01).contains(1.2)
    assert not face.duration.scaled(0.01).contains(1.3)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["x-job-lifecycle"]["states"].pop("inference_error"), "differ from JobStatus"),
        (lambda d: d["x-job-lifecycle"]["transitions"].update(inference_complete=["inference_working"]), "terminal"),
        (lambda d: d["x-job-lifecycle"]["states"]["inference_complete"].pop("carriesVideoId"), "carriesVideoId"),
        (lambda d: d["x-job-lifecycle"]["modes"]["full_background"].update(default=True), "default"),
        (lambda d: d["x-job-lifecycle"].update(initial="queued"), "initial"),
        (lambda d: d.pop("x-job-lifecycle"), "no x-job-lifecycle"),
    ],
)
def test_inconsistent_lifecycle_is_refused(mutate: Any, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_lifecycle(broken_spec(mutate))
