from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.create_video_from_audio_request import CreateVideoFromAudioRequest
from ...models.create_video_request import CreateVideoRequest
from ...models.create_video_response import CreateVideoResponse
from ...models.error import Error
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: CreateVideoRequest | CreateVideoFromAudioRequest | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/video/create",
    }

    if isinstance(body, CreateVideoRequest):
        _kwargs["json"] = body.to_dict()

        headers["Content-Type"] = "application/json"
    if isinstance(body, CreateVideoFromAudioRequest):
        _kwargs["files"] = body.to_multipart()

        headers["Content-Type"] = "multipart/form-data; boundary=+++"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CreateVideoResponse | Error | None:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> CreateVideoResponse | Error:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_0 = CreateVideoResponse.from_dict(data)

                return response_200_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_200_type_1 = Error.from_dict(data)

            return response_200_type_1

        response_200 = _parse_response_200(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 413:
        response_413 = Error.from_dict(response.json())

        return response_413

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[CreateVideoResponse | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: CreateVideoRequest | CreateVideoFromAudioRequest | Unset = UNSET,
) -> Response[CreateVideoResponse | Error]:
    """Create a video

     Starts a video generation job and answers at once with its `jobId`; poll the job's status to follow
    it.

    Send JSON with a text `script` for the avatar to speak, or multipart form data with the `mediaId` of
    an
    uploaded audio file (see `/api/media/initialize`).

    **Costs credits and is not idempotent.** A failed request (4xx) costs nothing; a request whose
    response was
    lost may still have created a job, so never retry a create blindly.

    **Business failures** ("Avatar not found", "not enough credits") come as a `{result: failure,
    error}` body.
    The guide's own client reads them from a 2xx answer; the docs' status codes suggest 400/404. Both
    are admitted
    here; `x-business-errors` says which one we hold most likely, and the live suite's drift report says
    which one
    the API uses.

    Args:
        body (CreateVideoRequest): Create a video from a text script.
        body (CreateVideoFromAudioRequest): Create a video whose speech is an uploaded audio file
            instead of a script.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateVideoResponse | Error | Error]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: CreateVideoRequest | CreateVideoFromAudioRequest | Unset = UNSET,
) -> CreateVideoResponse | Error | None:
    """Create a video

     Starts a video generation job and answers at once with its `jobId`; poll the job's status to follow
    it.

    Send JSON with a text `script` for the avatar to speak, or multipart form data with the `mediaId` of
    an
    uploaded audio file (see `/api/media/initialize`).

    **Costs credits and is not idempotent.** A failed request (4xx) costs nothing; a request whose
    response was
    lost may still have created a job, so never retry a create blindly.

    **Business failures** ("Avatar not found", "not enough credits") come as a `{result: failure,
    error}` body.
    The guide's own client reads them from a 2xx answer; the docs' status codes suggest 400/404. Both
    are admitted
    here; `x-business-errors` says which one we hold most likely, and the live suite's drift report says
    which one
    the API uses.

    Args:
        body (CreateVideoRequest): Create a video from a text script.
        body (CreateVideoFromAudioRequest): Create a video whose speech is an uploaded audio file
            instead of a script.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateVideoResponse | Error | Error
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: CreateVideoRequest | CreateVideoFromAudioRequest | Unset = UNSET,
) -> Response[CreateVideoResponse | Error]:
    """Create a video

     Starts a video generation job and answers at once with its `jobId`; poll the job's status to follow
    it.

    Send JSON with a text `script` for the avatar to speak, or multipart form data with the `mediaId` of
    an
    uploaded audio file (see `/api/media/initialize`).

    **Costs credits and is not idempotent.** A failed request (4xx) costs nothing; a request whose
    response was
    lost may still have created a job, so never retry a create blindly.

    **Business failures** ("Avatar not found", "not enough credits") come as a `{result: failure,
    error}` body.
    The guide's own client reads them from a 2xx answer; the docs' status codes suggest 400/404. Both
    are admitted
    here; `x-business-errors` says which one we hold most likely, and the live suite's drift report says
    which one
    the API uses.

    Args:
        body (CreateVideoRequest): Create a video from a text script.
        body (CreateVideoFromAudioRequest): Create a video whose speech is an uploaded audio file
            instead of a script.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CreateVideoResponse | Error | Error]
    """

    kwargs = _get_kwargs(
        body=body,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: CreateVideoRequest | CreateVideoFromAudioRequest | Unset = UNSET,
) -> CreateVideoResponse | Error | None:
    """Create a video

     Starts a video generation job and answers at once with its `jobId`; poll the job's status to follow
    it.

    Send JSON with a text `script` for the avatar to speak, or multipart form data with the `mediaId` of
    an
    uploaded audio file (see `/api/media/initialize`).

    **Costs credits and is not idempotent.** A failed request (4xx) costs nothing; a request whose
    response was
    lost may still have created a job, so never retry a create blindly.

    **Business failures** ("Avatar not found", "not enough credits") come as a `{result: failure,
    error}` body.
    The guide's own client reads them from a 2xx answer; the docs' status codes suggest 400/404. Both
    are admitted
    here; `x-business-errors` says which one we hold most likely, and the live suite's drift report says
    which one
    the API uses.

    Args:
        body (CreateVideoRequest): Create a video from a text script.
        body (CreateVideoFromAudioRequest): Create a video whose speech is an uploaded audio file
            instead of a script.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CreateVideoResponse | Error | Error
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed
