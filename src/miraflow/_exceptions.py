"""Every error the SDK raises, and the one function that maps an HTTP response to its error.

```
MiraflowError
├── MissingAPIKeyError                  no `api_key` argument and no MIRAFLOW_API_KEY
├── InvalidBaseURLError (ValueError)     a base URL that is not the API root (says what to write)
├── AmbiguousNameError (ValueError)      a name several avatars or voices share (`candidates`: their ids)
│   ├── AmbiguousAvatarError             ... avatars
│   └── AmbiguousVoiceError              ... voices
├── ModeNotSupportedError (ValueError)   `full_background=True` with a video avatar (found before any request)
├── JobFailedError                       a job ended in a failure state (`state`, `job_id`, `status`)
├── WaitTimeoutError                     `jobs.wait(timeout=...)` ran out (`job_id`, `last_status`)
└── APIError                             something went wrong talking to the API (`message`, `request`)
    ├── APIStatusError                   the API answered an error (`status_code`, `body`, `response`)
    │   ├── BadRequestError              400
    │   │   └── InsufficientCreditsError 400 "not enough credits"
    │   ├── AuthenticationError          401
    │   ├── NotFoundError                404; also an unknown avatar, found before any create
    │   ├── RateLimitError               429
    │   └── InternalServerError          5xx
    ├── APIConnectionError               no answer: the connection failed or broke
    │   ├── APITimeoutError              no answer in time
    │   └── JobMayExistError             a create's connection broke after it was sent: the job may exist
    ├── APIResponseValidationError       a 2xx answer the contract does not allow
    └── DownloadError                    a download's type was wrong, or its body stayed incomplete
        └── IncompleteBodyError          fewer bytes than Content-Length (retried before it surfaces)
```

`status_error` is the one place a response becomes an error; `connection_error` is the one place an httpx
exception does. A 2xx whose body is `{"result": "failure", "error": ...}` raises what the spec documents for that
message (say, 404 for "Avatar not found"), or a plain `APIStatusError` for a message the spec does not list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

import miraflow
from miraflow.spec import documented_error_statuses, lifecycle

if TYPE_CHECKING:
    from miraflow.types import Avatar, JobStatus


_INSUFFICIENT_CREDITS = "not enough credits"
_MAX_MESSAGE_BODY = 500


class MiraflowError(Exception):
    """The base of every error the SDK raises."""


class InvalidBaseURLError(MiraflowError, ValueError):
    """A base URL that is not the API root (`https://miraflow.ai/api`); the message says what to write instead."""


class MissingAPIKeyError(MiraflowError):
    """No API key was given: neither the `api_key` argument nor the `MIRAFLOW_API_KEY` environment variable."""


class AmbiguousNameError(MiraflowError, ValueError):
    """An avatar or voice was named by a name several of the account's share; `candidates` are their ids."""

    def __init__(self, message: str, *, candidates: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


class AmbiguousAvatarError(AmbiguousNameError):
    """An avatar was named by a name that several of the account's avatars share; pass its id instead."""


class AmbiguousVoiceError(AmbiguousNameError):
    """A voice was named by a name that several of the account's voices share; pass its id instead."""


class ModeNotSupportedError(MiraflowError, ValueError):
    """The requested generation mode does not exist for this avatar (full background needs a photo avatar).

    `avatar` is the avatar that was asked for it, when known.
    """

    def __init__(self, message: str, *, avatar: Avatar | None = None) -> None:
        super().__init__(message)
        self.avatar = avatar


class JobFailedError(MiraflowError):
    """A job ended in one of the lifecycle's failure states; no video was made.

    `state` is the terminal state (`inference_failed` or `inference_error`), `job_id` the job, `status` the last
    `JobStatus` observed.
    """

    def __init__(self, job_id: str, status: JobStatus) -> None:
        self.job_id = job_id
        self.state = str(status.status)
        self.status = status
        description = lifecycle().states[self.state].description
        super().__init__(f"job {job_id} ended in {self.state}: {description} No video was made.")


class WaitTimeoutError(MiraflowError):
    """`jobs.wait` reached its timeout before the job reached a terminal state.

    `last_status` is the last `JobStatus` observed (None if no status request succeeded). The job goes on: wait again,
    or check it later with `jobs.retrieve`.
    """

    def __init__(self, job_id: str, timeout: float, last_status: JobStatus | None) -> None:
        self.job_id = job_id
        self.timeout = timeout
        self.last_status = last_status
        if last_status is None:
            seen = "no status was received"
        elif last_status.progress is None:
            seen = f"last seen {last_status.status}"
        else:
            seen = f"last seen {last_status.status} at {last_status.progress}%"
        super().__init__(f"job {job_id} did not finish within {timeout:g} s ({seen}); it keeps running")


class APIError(MiraflowError):
    """Talking to the API failed. `message` says how; `request` is the request, when one was built."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APIStatusError(APIError):
    """The API answered with an error: `status_code`, the parsed `body` (or None) and the `response`.

    `response` is None only for errors found before a request (an unknown avatar).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: object = None,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message, request=response.request if response is not None else None)
        self.status_code = status_code
        self.body = body
        self.response = response


class BadRequestError(APIStatusError):
    """400: the request was invalid; nothing was created and no credits were spent."""


class InsufficientCreditsError(BadRequestError):
    """400 "not enough credits": the account cannot pay for this video. Nothing was created."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or not valid."""


class NotFoundError(APIStatusError):
    """404: no such avatar, job, video or upload belongs to the account."""


class RateLimitError(APIStatusError):
    """429: too many requests. Idempotent requests were retried (honouring Retry-After) before this surfaced."""


class InternalServerError(APIStatusError):
    """5xx: the service failed. Idempotent requests were retried before this surfaced."""


class APIConnectionError(APIError):
    """No answer: the connection could not be made or broke before the response arrived."""


class APITimeoutError(APIConnectionError):
    """No answer within the client's timeout."""


class JobMayExistError(APIConnectionError):
    """The connection broke after a create was sent: the job may exist (and cost credits). It was not retried.

    `video_name` is the name the create gave; look for it in `client.videos.list()` once it had time to render.
    """

    def __init__(self, message: str, *, video_name: str, request: httpx.Request | None = None) -> None:
        super().__init__(message, request=request)
        self.video_name = video_name


class APIResponseValidationError(APIError):
    """The API answered 2xx with a body the contract does not allow (`response` holds it)."""

    def __init__(self, message: str, *, response: httpx.Response) -> None:
        super().__init__(message, request=response.request)
        self.response = response


class DownloadError(APIError):
    """A download could not be completed: wrong content type, or a body shorter than its Content-Length.

    No file is left at the destination.
    """


class IncompleteBodyError(DownloadError):
    """The body ended before its Content-Length (`expected` and `received` bytes). Retried before it surfaces."""

    def __init__(self, message: str, *, expected: int, received: int, request: httpx.Request | None = None) -> None:
        super().__init__(message, request=request)
        self.expected = expected
        self.received = received


def failure_body(response: httpx.Response) -> Mapping[str, Any] | None:
    """The body of a 2xx response that nonetheless says `{"result": "failure"}`, else None."""
    content = response.content
    if b"failure" not in content:  # cheap pre-check: success bodies are never parsed twice
        return None
    body = _json(response)
    if isinstance(body, Mapping) and body.get("result") == "failure":
        return body
    return None


def status_error(response: httpx.Response, *, hint: str = "", secrets: tuple[str, ...] = ()) -> APIStatusError:
    """Map an error response (or a 2xx with a failure body) to its typed error. The only place that does.

    `hint` is appended to the message (what the caller should know, such as "the job may exist"); any of `secrets`
    found in the server's message is redacted, so an echoing server cannot leak the key into exception text.
    """
    body = _json(response)
    server_message = _server_message(body, response)
    for secret in secrets:
        server_message = server_message.replace(secret, "<redacted>")
    status = response.status_code
    effective = status
    if response.is_success:
        effective = _documented_status(server_message) or status
    cls = _class_for(effective, server_message)
    reason = f"{status} {response.reason_phrase}".strip()
    if response.is_success:
        reason = f"{reason} with a failure body"
    message = f"{reason}: {server_message}" if server_message else reason
    if hint:
        message = f"{message}. {hint}"
    return cls(message, status_code=status, body=body, response=response)


def connection_error(
    exc: httpx.TransportError | httpx.DecodingError, *, request: httpx.Request | None, video_name: str | None = None
) -> APIConnectionError:
    """Map an httpx transport error to the SDK's. The only place that does.

    `video_name` marks a create: if the request may have reached the service, the error says the job may exist.
    """
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if video_name is not None and _maybe_sent(exc):
        return JobMayExistError(
            f"the connection broke after the create of video {video_name!r} was sent ({what}), so the job may "
            "exist and may have cost credits; it was not retried. To check, look for a video named "
            f"{video_name!r} in client.videos.list() once it had time to render (or in the Miraflow dashboard) "
            "before creating it again",
            video_name=video_name,
            request=request,
        )
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"the request timed out ({what})", request=request)
    return APIConnectionError(f"connection error ({what})", request=request)


def _maybe_sent(exc: httpx.TransportError | httpx.DecodingError) -> bool:
    """Whether the request may have reached the server: anything but a failure to connect."""
    not_sent = (
        httpx.ConnectError,
        httpx.ConnectTimeout,
        httpx.PoolTimeout,
        httpx.UnsupportedProtocol,
        httpx.ProxyError,
        httpx.LocalProtocolError,
    )
    return not isinstance(exc, not_sent)


def _class_for(status: int, server_message: str) -> type[APIStatusError]:
    if _INSUFFICIENT_CREDITS in server_message.casefold():
        return InsufficientCreditsError
    if status == 400:
        return BadRequestError
    if status == 401:
        return AuthenticationError
    if status == 404:
        return NotFoundError
    if status == 429:
        return RateLimitError
    if status >= 500:
        return InternalServerError
    return APIStatusError


def _json(response: httpx.Response) -> object:
    try:
        return response.json()
    except (ValueError, UnicodeError, LookupError):  # LookupError: a charset Python does not know
        return None


def _server_message(body: object, response: httpx.Response) -> str:
    if isinstance(body, Mapping) and isinstance(body.get("error"), str):
        return str(body["error"])
    try:
        text = response.text.strip()
    except (UnicodeError, LookupError):  # a declared charset that does not fit the bytes (or does not exist)
        text = response.content.decode("utf-8", "replace").strip()
    if len(text) > _MAX_MESSAGE_BODY:
        text = text[:_MAX_MESSAGE_BODY] + "…"
    return text


def _documented_status(server_message: str) -> int | None:
    """The error status the spec documents for this error message, if exactly one."""
    return documented_error_statuses().get(server_message.casefold())


def _exported_errors() -> list[str]:
    """The errors `miraflow` exports: its `__all__` lists them, once."""
    return [
        name
        for name in miraflow.__all__
        if isinstance(error := globals().get(name), type) and issubclass(error, MiraflowError)
    ]


__all__ = [*_exported_errors(), "connection_error", "failure_body", "status_error"]
