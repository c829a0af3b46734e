"""Reconciling creates that may or may not have made a job: found by name, or ambiguous once it surely would be done."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from types import SimpleNamespace

import httpx

from miraflow._exceptions import status_error
from miraflow.batch.naming import api_name, video_token
from miraflow.batch.pacing import Pacing, RateGate
from miraflow.batch.reconcile import RECONCILE_MARGIN, Reconciler, Suspect, find_tokens, give_up_after
from miraflow.spec import lifecycle
from miraflow.types import Video

CAMPAIGN = "0123abcd"


def _video(video_id: str, name: str) -> Video:
    return Video(id=video_id, name=name, created_at=datetime(2025, 1, 1, tzinfo=UTC))


class FakeTime:
    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:  # the run's clock: the reconciler reads it and sleeps on it
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds
        await asyncio.sleep(0)


def _reconciler(
    fake: FakeTime, videos: list[Video], *, prior_open: bool | None = None, time_scale: float = 1.0
) -> tuple[Reconciler, list[tuple[int, str]], list[int], list[float]]:
    found: list[tuple[int, str]] = []
    missing: list[int] = []
    sweeps: list[float] = []

    async def list_videos() -> list[Video]:
        sweeps.append(fake.t)
        return list(videos)

    reconciler = Reconciler(
        list_videos=list_videos,
        pacing=Pacing(fake, RateGate(fake), time_scale),
        events=SimpleNamespace(
            prior_open=lambda suspect: bool(prior_open) if prior_open is not None else fake.t < 1300.0,
            suspect_found=lambda suspect, video: found.append((suspect.key, video.id)),
            suspect_missing=lambda suspect: missing.append(suspect.key),
        ),
    )
    return reconciler, found, missing, sweeps


async def test_a_video_that_appears_resumes_its_row() -> None:
    fake = FakeTime()
    videos: list[Video] = [_video("other", "unrelated"), _video("x", api_name("A", video_token("ffffffff", 1)))]
    reconciler, found, missing, sweeps = _reconciler(fake, videos, prior_open=False)
    reconciler.add(Suspect(1, video_token(CAMPAIGN, 1), "face_cropped", seq=1, intent_at=fake.t))
    reconciler.close()
    task = asyncio.ensure_future(reconciler.run())
    while len(sweeps) < 2:
        await asyncio.sleep(0)
    videos.append(_video("v1", api_name("Hello", video_token(CAMPAIGN, 1))))  # its job completes
    await asyncio.wait_for(task, 5)
    assert found == [(1, "v1")] and missing == []


async def test_not_found_only_after_its_queue_cleared_and_the_longest_render() -> None:
    fake = FakeTime()
    start = fake.t
    reconciler, found, missing, sweeps = _reconciler(fake, [])  # earlier jobs run until t=1300
    reconciler.add(Suspect(3, video_token(CAMPAIGN, 3), "face_cropped", seq=3, intent_at=start))
    reconciler.close()
    await asyncio.wait_for(reconciler.run(), 5)
    window = give_up_after("face_cropped", 1.0)
    assert window >= lifecycle().mode("face_cropped").duration.max + RECONCILE_MARGIN
    assert found == [] and missing == [3]
    assert sweeps[-1] >= 1300.0 + window  # the last look came after the deadline
    assert all(b - a <= 30.0 + 1e-6 for a, b in itertools.pairwise(sweeps))  # half the shortest render


async def test_an_ambiguous_row_gets_one_more_look() -> None:
    fake = FakeTime()
    reconciler, _, missing, sweeps = _reconciler(fake, [], prior_open=True)
    reconciler.add(Suspect(4, video_token(CAMPAIGN, 4), "full_background", 4, intent_at=fake.t - 5000, recheck=True))
    reconciler.close()
    await asyncio.wait_for(reconciler.run(), 5)
    assert missing == [4] and len(sweeps) == 1


def test_find_tokens_matches_whole_tokens_only() -> None:
    videos = [
        _video("a", api_name("X", video_token(CAMPAIGN, 1))),
        _video("b", api_name("X", video_token(CAMPAIGN, 1))),
        _video("c", api_name("Y", video_token(CAMPAIGN, 12))),
        _video("d", api_name("Z", video_token(CAMPAIGN, 2, 2))),
    ]
    found = find_tokens(videos, {video_token(CAMPAIGN, 1), video_token(CAMPAIGN, 2)})
    assert {token: video.id for token, video in found.items()} == {video_token(CAMPAIGN, 1): "a"}


async def test_a_rate_limited_listing_honours_retry_after_and_pauses_the_batch() -> None:
    fake = FakeTime()
    slept: list[float] = []

    class Recording(FakeTime):
        async def sleep(self, seconds: float) -> None:
            slept.append(seconds)
            await super().sleep(seconds)

    clock = Recording()
    gate = RateGate(clock)
    answers: list[list[Video] | Exception] = [
        status_error(
            httpx.Response(
                429, json={"error": "slow"}, headers={"Retry-After": "7"}, request=httpx.Request("GET", "https://x/")
            )
        ),
        [_video("v5", api_name("E", video_token(CAMPAIGN, 5)))],
    ]

    async def list_videos() -> list[Video]:
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    found: list[int] = []
    reconciler = Reconciler(
        list_videos=list_videos,
        pacing=Pacing(clock, gate),
        events=SimpleNamespace(
            prior_open=lambda suspect: False,
            suspect_found=lambda suspect, video: found.append(suspect.key),
            suspect_missing=lambda suspect: None,
        ),
    )
    reconciler.add(Suspect(5, video_token(CAMPAIGN, 5), "face_cropped", seq=5, intent_at=fake.t))
    reconciler.close()
    await asyncio.wait_for(reconciler.run(), 5)
    assert found == [5]
    assert slept[0] == 7.0  # the server's Retry-After, not a backoff of its own
    assert gate.pauses == 1  # and the whole batch paused with it
