from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.job_complete import JobComplete
from ...models.job_errored import JobErrored
from ...models.job_failed import JobFailed
from ...models.job_queued import JobQueued
from ...models.job_working import JobWorking
from ...types import Response


def _get_kwargs(
    job_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/video/{job_id}/status".format(
            job_id=quote(str(job_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | JobComplete | JobErrored | JobFailed | JobQueued | JobWorking | None:
    if response.status_code == 200:

        def _parse_response_200(
            data: object,
        ) -> JobComplete | JobErrored | JobFailed | JobQueued | JobWorking:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_job_status_type_0 = JobQueued.from_dict(data)

                return componentsschemas_job_status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_job_status_type_1 = JobWorking.from_dict(data)

                return componentsschemas_job_status_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_job_status_type_2 = JobComplete.from_dict(data)

                return componentsschemas_job_status_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_job_status_type_3 = JobFailed.from_dict(data)

                return componentsschemas_job_status_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_job_status_type_4 = JobErrored.from_dict(data)

            return componentsschemas_job_status_type_4

        response_200 = _parse_response_200(response.json())

        return response_200

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

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
) -> Response[Error | JobComplete | JobErrored | JobFailed | JobQueued | JobWorking]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    job_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[Error | JobComplete | JobErrored | JobFailed | JobQueued | JobWorking]:
    """Get a job's status

     The current state of a video generation job. Poll it until the state is terminal
    (`inference_complete`, `inference_failed` or `inference_error`). Only `inference_complete` carries a
    `videoId`.

    Args:
        job_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | JobComplete | JobErrored | JobFailed | JobQueued | JobWorking]
    """

    kwargs = _get_kwargs(
        job_id=job_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    job_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Error | JobComplete | JobErrored | JobFailed | JobQueued | JobWorking | None:
    """Get a job's status

     The current state of a video generation job. Poll it until the state is terminal
    (`inference_complete`, `inference_failed` or `inference_error`). Only `inference_complete` carries a
    `videoId`.

    Args:
        job_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | JobComplete | JobErrored | JobFailed | JobQueued | JobWorking
    """

    return sync_detailed(
        job_id=job_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    job_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[Error | JobComplete | JobErrored | JobFailed | JobQueued | JobWorking]:
    """Get a job's status

     The current state of a video generation job. Poll it until the state is terminal
    (`inference_complete`, `inference_failed` or `inference_error`). Only `inference_complete` carries a
    `videoId`.

    Args:
        job_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | JobComplete | JobErrored | JobFailed | JobQueued | JobWorking]
    """

    kwargs = _get_kwargs(
        job_id=job_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    job_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Error | JobComplete | JobErrored | JobFailed | JobQueued | JobWorking | None:
    """Get a job's status

     The current state of a video generation job. Poll it until the state is terminal
    (`inference_complete`, `inference_failed` or `inference_error`). Only `inference_complete` carries a
    `videoId`.

    Args:
        job_id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | JobComplete | JobErrored | JobFailed | JobQueued | JobWorking
    """

    return (
        await asyncio_detailed(
            job_id=job_id,
            client=client,
        )
    ).parsed
