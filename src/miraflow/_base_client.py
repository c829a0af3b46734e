"""The machinery under both clients: configuration, the generated client, and the request loop with its retries.

Requests are never hand-built: each starts from the generated operation's `_get_kwargs`, goes out through the
generated client's httpx client, and its 200 body is parsed by the generated `_parse_response`. This module adds what
the generated layer leaves out: errors as exceptions (`_exceptions.status_error`), the 2xx-with-failure-body check,
retries of idempotent requests (decided in `_retry`), streaming for downloads, and debug logging. `SyncAPIClient`
and `AsyncAPIClient` are twins, shaped the same.
"""

from __future__ import annotations

import logging
import math
import os
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable
from urllib.parse import urlsplit

import attrs
import httpx

from miraflow._constants import API_KEY_ENV, LOG_ENV, TIME_SCALE_ENV
from miraflow._deadline import aread_within, read_within
from miraflow._exceptions import (
    APIResponseValidationError,
    APIStatusError,
    IncompleteBodyError,
    InvalidBaseURLError,
    MissingAPIKeyError,
    connection_error,
    failure_body,
    status_error,
)
from miraflow._logging import logger, redact_signed_urls_in_httpx_log, setup_logging
from miraflow._redact import Secret, redact_url
from miraflow._retry import retry_delay, should_retry
from miraflow.base_url import resolve_api_root, server_root
from miraflow.clock import AsyncClock, AsyncSystemClock, Clock, SystemClock
from miraflow.spec import api_key_header, lifecycle
from miraflow.types import JobState, JobStatus, parse_progress
from miraflow_client import AuthenticatedClient
from miraflow_client.models import Error

__all__ = ["AsyncAPIClient", "RequestSpec", "SyncAPIClient", "api_key_header", "expect", "job_status", "parse_body"]

T = TypeVar("T")
P = TypeVar("P")
ClockT = TypeVar("ClockT", Clock, AsyncClock)
TransportT = TypeVar("TransportT", httpx.BaseTransport, httpx.AsyncBaseTransport)


@attrs.frozen
class RequestSpec:
    """One request to make, and how it may be retried.

    `operation` is its operationId (for logs); `kwargs` makes the arguments of httpx's `build_request` (the generated
    `_get_kwargs`), called again for each attempt; `idempotent` requests may be retried.

    `send_key=False` strips the API key (a signed URL on another host needs none). `video_name` marks a create: a
    connection lost after sending raises `JobMayExistError`, and a 5xx says the job may exist.
    """

    operation: str
    kwargs: Callable[[], dict[str, Any]]
    idempotent: bool
    send_key: bool = True
    video_name: str | None = None


def parse_body(parse: Callable[..., P], client: AuthenticatedClient, response: httpx.Response) -> P:
    """Parse a 2xx body with the generated operation's `_parse_response` (a body it rejects is an error)."""
    try:
        return parse(client=client, response=response)
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise APIResponseValidationError(
            f"{response.request.method} {redact_url(response.request.url.path)} answered "
            f"{response.status_code} with a body the contract does not allow ({type(exc).__name__}: {exc})",
            response=response,
        ) from exc


def expect(value: object, kind: type[T], response: httpx.Response) -> T:
    """`value` if it is a `kind`, else an `APIResponseValidationError` (a 2xx parsed as something else)."""
    if isinstance(value, kind):
        return value
    raise APIResponseValidationError(
        f"{response.request.method} {response.request.url.path} answered {response.status_code} with a body that is "
        f"not a {kind.__name__}",
        response=response,
    )


@runtime_checkable
class _StatusModel(Protocol):
    """What every generated JobStatus variant offers: its `status` const, and its fields by their wire names."""

    @property
    def status(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


def job_status(job_id: str, parsed: object, response: httpx.Response) -> JobStatus:
    """The SDK's `JobStatus` from the generated model of a status response, read as the spec's lifecycle says.

    Which state carries a progress and which a `videoId` comes from `lifecycle()`, not from the model's class.
    """
    if isinstance(parsed, Error) or not isinstance(parsed, _StatusModel):
        raise APIResponseValidationError(f"job {job_id}: the status response is not a JobStatus", response=response)
    status = JobState(parsed.status)
    info = lifecycle().states[status]
    fields = parsed.to_dict()
    progress = parse_progress(fields.get("progress")) if info.has_progress else None
    video_id = fields.get("videoId") if info.carries_video_id else None
    if info.carries_video_id and not (isinstance(video_id, str) and video_id):
        raise APIResponseValidationError(f"job {job_id} is {status} but its status has no videoId", response=response)
    return JobStatus(job_id=job_id, status=status, progress=progress, video_id=video_id)


def _time_scale(argument: float | None, environment: str | None) -> float:
    """The client's time scale: the argument, else `MIRAFLOW_TIME_SCALE`, else 1 (a service in real time)."""
    if argument is None:
        if not environment:
            return 1.0
        try:
            argument = float(environment)
        except ValueError:
            raise ValueError(f"{TIME_SCALE_ENV} must be a number more than 0, not {environment!r}") from None
    if not (math.isfinite(argument) and argument > 0):
        raise ValueError(f"time_scale must be a number more than 0, not {argument!r}")
    return argument


class _BaseClient(Generic[ClockT, TransportT]):
    """Configuration shared by the twins: the key, the API root, timeouts and retries. HTTP machinery only.

    The clients (`Miraflow`, `AsyncMiraflow`) declare the arguments, with their defaults, and pass them all here.
    """

    def __init__(
        self,
        api_key: str | None,
        *,
        base_url: str | None,
        timeout: float | httpx.Timeout,
        max_retries: int,
        transport: TransportT | None,
        time_scale: float | None,
        clock: ClockT | None,
        rng: random.Random | None,
    ) -> None:
        self._clock: ClockT = clock if clock is not None else self._system_clock()
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        if not key:
            raise MissingAPIKeyError(
                f"no API key: pass api_key=... to {type(self).__name__}(), or set the {API_KEY_ENV} environment "
                "variable"
            )
        setup_logging(os.environ.get(LOG_ENV))
        redact_signed_urls_in_httpx_log()
        try:
            self.base_url = resolve_api_root(base_url)
        except ValueError as exc:
            raise InvalidBaseURLError(str(exc)) from None
        self._set_options(timeout=timeout, max_retries=max_retries)
        self.time_scale = _time_scale(time_scale, os.environ.get(TIME_SCALE_ENV))
        self._secret = Secret(key)
        self._rng = rng if rng is not None else random.Random()
        self._key_header = api_key_header()
        self._generated = self._generated_client({"transport": transport} if transport is not None else {})

    def _system_clock(self) -> ClockT:
        raise NotImplementedError

    def _set_options(self, *, timeout: float | httpx.Timeout | None, max_retries: int | None) -> None:
        """Set the timeout and the retries (None keeps the current value), checked before any request."""
        if max_retries is not None:
            if isinstance(max_retries, bool) or not isinstance(max_retries, int):
                raise TypeError(f"max_retries must be an int, not {type(max_retries).__name__}")
            if max_retries < 0:
                raise ValueError(f"max_retries must be at least 0, not {max_retries}")
            self.max_retries = max_retries
        if timeout is not None:
            if isinstance(timeout, bool) or not isinstance(timeout, int | float | httpx.Timeout):
                raise TypeError(f"timeout must be seconds (a number) or an httpx.Timeout, not {type(timeout).__name__}")
            self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries})"

    def _generated_client(self, httpx_args: dict[str, Any]) -> AuthenticatedClient:
        return AuthenticatedClient(
            base_url=server_root(self.base_url),
            token=self._secret,
            prefix="",
            auth_header_name=self._key_header,
            timeout=self.timeout,
            httpx_args=httpx_args,
        )

    def _same_origin(self, url: str) -> bool:
        """Whether `url` is on the API's own host (only then may it receive the key)."""
        mine, theirs = urlsplit(self.base_url), urlsplit(url)
        return (mine.scheme, mine.netloc) == (theirs.scheme, theirs.netloc)

    def _build_request(self, http: httpx.Client | httpx.AsyncClient, spec: RequestSpec) -> httpx.Request:
        request = http.build_request(**spec.kwargs(), timeout=self.timeout)
        if not spec.send_key:
            request.headers.pop(self._key_header, None)
        return request

    def _raise_for_failure_body(self, response: httpx.Response) -> httpx.Response:
        if failure_body(response) is not None:
            raise status_error(response, secrets=(self._secret,))
        return response

    def _status_error(self, response: httpx.Response, spec: RequestSpec) -> APIStatusError:
        hint = ""
        if spec.video_name is not None and response.status_code >= 500:
            hint = (
                f"The job may or may not have been created: look for a video named {spec.video_name!r} in "
                "client.videos.list() once it had time to render before creating it again"
            )
        return status_error(response, hint=hint, secrets=(self._secret,))

    def _retry_or_raise(
        self,
        spec: RequestSpec,
        request: httpx.Request,
        attempt: int,
        error: httpx.TransportError | httpx.DecodingError | IncompleteBodyError,
    ) -> float:
        """The delay before retrying after `error`, or raise it (translated) if it is not retried."""
        if should_retry(idempotent=spec.idempotent, retries_left=self.max_retries - attempt, error=error):
            return retry_delay(attempt, rng=self._rng)
        if isinstance(error, httpx.TransportError | httpx.DecodingError):  # a body its Content-Encoding cannot decode
            raise connection_error(error, request=request, video_name=spec.video_name) from error
        raise error

    def _log_retry(self, request: httpx.Request, attempt: int, delay: float, reason: str) -> None:
        logger.debug(
            "retrying %s %s in %.2f s (retry %d of %d) after %s",
            request.method,
            redact_url(request.url),
            delay,
            attempt + 1,
            self.max_retries,
            reason,
        )

    @staticmethod
    def _log_response(request: httpx.Request, response: httpx.Response, started: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d %s (%.1f ms)",
                request.method,
                redact_url(request.url),
                response.status_code,
                response.reason_phrase,
                (time.perf_counter() - started) * 1000,
            )


class SyncAPIClient(_BaseClient[Clock, httpx.BaseTransport]):
    """The request loop of `Miraflow`."""

    def _system_clock(self) -> Clock:
        return SystemClock()

    def close(self) -> None:
        """Close the connection pool. The client cannot be used afterwards."""
        self._generated.get_httpx_client().close()

    def __enter__(self) -> SyncAPIClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _request(self, spec: RequestSpec) -> httpx.Response:
        """Send `spec` (retrying as allowed) and return its 2xx response, read; raise the typed error otherwise."""
        return self._send(spec, self._raise_for_failure_body, stream=False)

    def _stream(self, spec: RequestSpec, consume: Callable[[httpx.Response], T]) -> T:
        """Send `spec` with a streamed response and return what `consume` makes of a 2xx.

        A `consume` that fails with a broken connection or an incomplete body is retried with the whole request.
        """
        return self._send(spec, consume, stream=True)

    def _send(self, spec: RequestSpec, consume: Callable[[httpx.Response], T], *, stream: bool) -> T:
        http = self._generated.get_httpx_client()
        attempt = 0
        while True:
            request = self._build_request(http, spec)
            started = time.perf_counter()
            response: httpx.Response | None = None
            try:
                response = http.send(request, stream=True)
                self._log_response(request, response, started)
                if not stream or not response.is_success:
                    read_within(response, self.timeout.read)  # a whole body, not a byte a minute forever
                if response.is_success:
                    return consume(response)
                if not should_retry(
                    idempotent=spec.idempotent, retries_left=self.max_retries - attempt, response=response
                ):
                    raise self._status_error(response, spec)
                delay = retry_delay(attempt, headers=response.headers, rng=self._rng)
                reason = f"{response.status_code} {response.reason_phrase}"
            except (httpx.TransportError, httpx.DecodingError, IncompleteBodyError) as error:
                delay = self._retry_or_raise(spec, request, attempt, error)
                reason = type(error).__name__
            finally:
                if response is not None:
                    response.close()
            self._log_retry(request, attempt, delay, reason)
            self._clock.sleep(delay)
            attempt += 1


class AsyncAPIClient(_BaseClient[AsyncClock, httpx.AsyncBaseTransport]):
    """The request loop of `AsyncMiraflow`: the twin of `SyncAPIClient`."""

    def _system_clock(self) -> AsyncClock:
        return AsyncSystemClock()

    async def close(self) -> None:
        """Close the connection pool. The client cannot be used afterwards."""
        await self._generated.get_async_httpx_client().aclose()

    async def __aenter__(self) -> AsyncAPIClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _request(self, spec: RequestSpec) -> httpx.Response:
        """Send `spec` (retrying as allowed) and return its 2xx response, read; raise the typed error otherwise."""

        async def checked(response: httpx.Response) -> httpx.Response:
            return self._raise_for_failure_body(response)

        return await self._send(spec, checked, stream=False)

    async def _stream(self, spec: RequestSpec, consume: Callable[[httpx.Response], Awaitable[T]]) -> T:
        """Send `spec` with a streamed response and return what `consume` makes of a 2xx (see the sync twin)."""
        return await self._send(spec, consume, stream=True)

    async def _send(self, spec: RequestSpec, consume: Callable[[httpx.Response], Awaitable[T]], *, stream: bool) -> T:
        http = self._generated.get_async_httpx_client()
        attempt = 0
        while True:
            request = self._build_request(http, spec)
            started = time.perf_counter()
            response: httpx.Response | None = None
            try:
                response = await http.send(request, stream=True)
                self._log_response(request, response, started)
                if not stream or not response.is_success:
                    await aread_within(response, self.timeout.read)  # as in the sync twin
                if response.is_success:
                    return await consume(response)
                if not should_retry(
                    idempotent=spec.idempotent, retries_left=self.max_retries - attempt, response=response
                ):
                    raise self._status_error(response, spec)
                delay = retry_delay(attempt, headers=response.headers, rng=self._rng)
                reason = f"{response.status_code} {response.reason_phrase}"
            except (httpx.TransportError, httpx.DecodingError, IncompleteBodyError) as error:
                delay = self._retry_or_raise(spec, request, attempt, error)
                reason = type(error).__name__
            finally:
                if response is not None:
                    await response.aclose()
            self._log_retry(request, attempt, delay, reason)
            await self._clock.sleep(delay)
            attempt += 1
