"""Responses mapped to typed errors, by one function; 2xx bodies that say failure; bodies the contract forbids."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

import miraflow
from miraflow import (
    APIResponseValidationError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    InternalServerError,
    Miraflow,
    NotFoundError,
    RateLimitError,
)
from miraflow._exceptions import status_error

from .conftest import PHOTO_ID, FakeAPI, error, json_response


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        (400, "text is required", BadRequestError),
        (400, "not enough credits", InsufficientCreditsError),
        (401, "Invalid API key", AuthenticationError),
        (404, "Job not found", NotFoundError),
        (429, "slow down", RateLimitError),
        (500, "Internal server error", InternalServerError),
        (503, "unavailable", InternalServerError),
        (418, "I'm a teapot", APIStatusError),
    ],
)
def test_status_maps_to_its_error(
    make_client: Callable[..., Miraflow], api: FakeAPI, status: int, message: str, expected: type[APIStatusError]
) -> None:
    api.on("GET", "/api/video/job-1/status", error(status, message))
    with pytest.raises(APIStatusError) as caught:
        make_client(max_retries=0).jobs.retrieve("job-1")
    assert type(caught.value) is expected
    assert caught.value.status_code == status
    assert message in caught.value.message
    assert caught.value.body == {"result": "failure", "error": message}
    assert caught.value.response is not None and caught.value.response.status_code == status


def test_insufficient_credits_is_a_bad_request(client: Miraflow, api: FakeAPI) -> None:
    api.on("POST", "/api/video/create", error(400, "not enough credits"))
    with pytest.raises(BadRequestError) as caught:
        client.videos.create(avatar=PHOTO_ID, text="Hello", name="Hello")
    assert isinstance(caught.value, InsufficientCreditsError)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Avatar not found", NotFoundError),  # the spec documents it with 404
        ("Internal server error", InternalServerError),  # ... with 500
        ("not enough credits", InsufficientCreditsError),
        ("simulated failure (injected fault)", APIStatusError),  # not in the spec: the plain status error
    ],
)
def test_a_2xx_with_a_failure_body_raises_the_typed_error(
    client: Miraflow, api: FakeAPI, message: str, expected: type[APIStatusError]
) -> None:
    api.on("GET", "/api/videos", error(200, message))
    with pytest.raises(APIStatusError) as caught:
        client.videos.list()
    assert type(caught.value) is expected
    assert caught.value.status_code == 200
    assert message in str(caught.value) and "failure body" in str(caught.value)


def test_a_2xx_with_a_body_the_contract_forbids(client: Miraflow, api: FakeAPI) -> None:
    api.on("GET", "/api/videos", json_response(200, {"items": []}))
    api.on("GET", "/api/video/j/status", json_response(200, {"result": "success", "status": "inference_paused"}))
    with pytest.raises(APIResponseValidationError):
        client.videos.list()
    with pytest.raises(APIResponseValidationError):
        client.jobs.retrieve("j")


def test_a_complete_status_without_video_id_is_refused(client: Miraflow, api: FakeAPI) -> None:
    api.on("GET", "/api/video/j/status", json_response(200, {"result": "success", "status": "inference_complete"}))
    with pytest.raises(APIResponseValidationError):
        client.jobs.retrieve("j")


def test_a_non_json_error_body_keeps_its_text() -> None:
    response = httpx.Response(502, text="<html>Bad gateway</html>", request=httpx.Request("GET", "https://x/api/v"))
    mapped = status_error(response)
    assert isinstance(mapped, InternalServerError)
    assert mapped.body is None
    assert "Bad gateway" in mapped.message


def test_an_echoed_secret_is_redacted_from_the_message() -> None:
    response = httpx.Response(
        401, json={"result": "failure", "error": "bad key sk-123"}, request=httpx.Request("GET", "https://x/api/v")
    )
    assert "sk-123" not in str(status_error(response, secrets=("sk-123",)))


def test_the_hierarchy() -> None:
    assert issubclass(miraflow.APIStatusError, miraflow.APIError)
    assert issubclass(miraflow.APIError, miraflow.MiraflowError)
    assert issubclass(miraflow.APITimeoutError, miraflow.APIConnectionError)
    assert issubclass(miraflow.JobMayExistError, miraflow.APIConnectionError)
    assert issubclass(miraflow.InsufficientCreditsError, miraflow.BadRequestError)
    for cls in (miraflow.JobFailedError, miraflow.WaitTimeoutError, miraflow.MissingAPIKeyError):
        assert issubclass(cls, miraflow.MiraflowError) and not issubclass(cls, miraflow.APIError)
    assert issubclass(miraflow.ModeNotSupportedError, ValueError)
