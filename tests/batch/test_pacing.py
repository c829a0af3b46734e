"""Pacing: a 429 pauses every request for its Retry-After; the creates in flight shrink on one and grow back."""

from __future__ import annotations

import asyncio

import httpx

from miraflow._exceptions import APIStatusError, status_error
from miraflow.batch.crashpoints import CrashPoints
from miraflow.batch.pacing import CreateLimiter, RateGate


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


def _limited(retry_after: str | None) -> APIStatusError:
    request = httpx.Request("POST", "https://x/api/video/create")
    headers = {"Retry-After": retry_after} if retry_after else {}
    return status_error(
        httpx.Response(429, json={"result": "failure", "error": "slow"}, headers=headers, request=request)
    )


async def test_a_429_holds_every_request_back_for_its_retry_after() -> None:
    clock = FakeClock()
    gate = RateGate(clock)
    await gate.wait()
    assert clock.slept == []
    assert gate.rate_limited(_limited("2.5")) == 2.5
    gate.pause(1.0)  # a shorter pause does not cut the longer one short
    assert gate.paused
    await asyncio.gather(gate.wait(), gate.wait())
    assert clock.t == 2.5 and not gate.paused
    first = gate.rate_limited(_limited(None))
    second = gate.rate_limited(_limited(None))
    assert 0 < first < second  # no Retry-After: exponential backoff
    gate.succeeded()
    assert gate.rate_limited(_limited(None)) < second


async def test_creates_in_flight_halve_on_a_429_and_grow_back() -> None:
    limiter = CreateLimiter(8)
    for _ in range(8):
        await limiter.acquire()
    assert limiter.in_flight == 8
    blocked = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0)
    assert not blocked.done()
    limiter.rate_limited()
    limiter.rate_limited()
    assert limiter.limit == 2
    for _ in range(6):
        limiter.release()
    await asyncio.sleep(0)
    assert not blocked.done()  # 2 in flight, limit 2
    limiter.release()
    await asyncio.wait_for(blocked, 1)
    for _ in range(50):
        limiter.accepted()
    assert limiter.limit == 8


def test_crash_points_parse() -> None:
    points = CrashPoints.parse("intent:3, download")
    assert points.at == {"intent": 3, "download": 1}
    assert not CrashPoints.parse(None)
    for bad in ("nowhere:1", "intent:0"):
        try:
            CrashPoints.parse(bad)
        except ValueError:
            continue
        raise AssertionError(bad)
