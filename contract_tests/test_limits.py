"""The request-body limit of `x-request-limits` (an assumption): a larger body is a 413 in the `Error` shape."""

from __future__ import annotations

import httpx
import pytest

from contract_tests.conftest import Target
from miraflow.spec import max_request_body_bytes


@pytest.mark.simulator
@pytest.mark.live
def test_a_body_over_the_limit_is_413_with_the_error_shape(target: Target) -> None:
    """Finalize costs nothing, so live runs it too (straight to the API: Prism's proxy would buffer the body)."""
    limit = max_request_body_bytes()
    body = b'{"mediaId": "cm42media0001aggaxyzmed01", "padding": "' + b" " * limit + b'"}'
    root = target.keyless_api_root or target.api_root
    response = httpx.post(
        f"{root}/media/finalize",
        content=body,
        headers={"x-api-key": target.api_key, "content-type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 413, response.text[:200]
    assert response.headers["content-type"].split(";")[0] == "application/json"
    error = response.json()
    assert error["result"] == "failure" and isinstance(error["error"], str)
