"""`with_raw_response`: a method's HTTP response (status, headers) beside its parsed result, as in openai-python.

`to_raw_response_wrapper(method)` runs the method as usual while the resource seam (`_resource.py`) notes every
response it receives; the wrapper returns a `RawResponse` holding them and the method's own result. While a raw call
runs, caches are bypassed, so the response is always the one that made the result. The async wrapper is the twin.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from typing import Generic, ParamSpec, TypeVar

import httpx

from miraflow._exceptions import MiraflowError

__all__ = ["RawResponse", "async_to_raw_response_wrapper", "capturing", "note_response", "to_raw_response_wrapper"]

P = ParamSpec("P")
R = TypeVar("R")

_captured: ContextVar[list[httpx.Response] | None] = ContextVar("miraflow_raw_responses", default=None)


class RawResponse(Generic[R]):
    """What a `with_raw_response` call returns: the HTTP response (`status_code`, `headers`) and `parse()`.

    `http_response` is the last response the call received (the create of `videos.create`, the last status poll of
    `jobs.wait`, the download of `videos.generate`); `responses` is every response, in order. `parse()` is the
    method's usual result, already parsed (a raw call makes the same requests as the plain one, no more).
    """

    def __init__(self, responses: Sequence[httpx.Response], parsed: R) -> None:
        if not responses:
            raise MiraflowError("the call made no request, so it has no raw response (it was given the object itself)")
        self._responses = tuple(responses)
        self._parsed = parsed

    @property
    def http_response(self) -> httpx.Response:
        """The last HTTP response of the call."""
        return self._responses[-1]

    @property
    def responses(self) -> tuple[httpx.Response, ...]:
        """Every HTTP response of the call, in order (retried attempts that failed are not included)."""
        return self._responses

    @property
    def status_code(self) -> int:
        """The HTTP status of the last response."""
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        """The headers of the last response."""
        return self.http_response.headers

    @property
    def url(self) -> httpx.URL:
        """The URL of the last request."""
        return self.http_response.request.url

    def parse(self) -> R:
        """The method's usual result (what calling it without `with_raw_response` returns)."""
        return self._parsed

    def __repr__(self) -> str:
        request = self.http_response.request
        return f"<RawResponse [{self.status_code}] {request.method} {request.url.path}>"


def capturing() -> bool:
    """Whether a `with_raw_response` call is running (caches step aside: the result must come from a response)."""
    return _captured.get() is not None


def note_response(response: httpx.Response) -> None:
    """Record a response the seam received, if a raw call is running."""
    responses = _captured.get()
    if responses is not None:
        responses.append(response)


def to_raw_response_wrapper(method: Callable[P, R]) -> Callable[P, RawResponse[R]]:
    """`method`, returning a `RawResponse` of its result instead of the result."""

    @functools.wraps(method)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> RawResponse[R]:
        responses: list[httpx.Response] = []
        token = _captured.set(responses)
        try:
            parsed = method(*args, **kwargs)
        finally:
            _captured.reset(token)
        return RawResponse(responses, parsed)

    return wrapped


def async_to_raw_response_wrapper(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[RawResponse[R]]]:
    """The async twin of `to_raw_response_wrapper`."""

    @functools.wraps(method)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> RawResponse[R]:
        responses: list[httpx.Response] = []
        token = _captured.set(responses)
        try:
            parsed = await method(*args, **kwargs)
        finally:
            _captured.reset(token)
        return RawResponse(responses, parsed)

    return wrapped
