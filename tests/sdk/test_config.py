"""Configuration: the key (argument, else MIRAFLOW_API_KEY, read only in the constructor) and the base URL."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from miraflow import Miraflow, MissingAPIKeyError

from .conftest import AVATARS, KEY, FakeAPI, json_response


def test_the_key_comes_from_the_argument_else_the_environment(monkeypatch: pytest.MonkeyPatch, api: FakeAPI) -> None:
    monkeypatch.setenv("MIRAFLOW_API_KEY", "sk-from-env")
    transport = httpx.MockTransport(api)
    Miraflow(base_url="https://a.test/api", transport=transport).avatars.list()
    Miraflow("sk-from-arg", base_url="https://a.test/api", transport=transport).avatars.list()
    assert [request.headers["x-api-key"] for request in api.requests] == ["sk-from-env", "sk-from-arg"]


@pytest.mark.parametrize("value", [None, ""])
def test_a_missing_key_names_the_argument_and_the_variable(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("MIRAFLOW_API_KEY", raising=False)
    else:
        monkeypatch.setenv("MIRAFLOW_API_KEY", value)
    with pytest.raises(MissingAPIKeyError) as caught:
        Miraflow()
    assert "api_key" in str(caught.value)
    assert "MIRAFLOW_API_KEY" in str(caught.value)


def test_the_environment_is_read_only_in_the_constructor(monkeypatch: pytest.MonkeyPatch, api: FakeAPI) -> None:
    monkeypatch.setenv("MIRAFLOW_API_KEY", "sk-first")
    monkeypatch.setenv("MIRAFLOW_BASE_URL", "http://first.test/api")
    client = Miraflow(transport=httpx.MockTransport(api))
    monkeypatch.setenv("MIRAFLOW_API_KEY", "sk-second")
    monkeypatch.setenv("MIRAFLOW_BASE_URL", "http://second.test/api")
    client.avatars.list()
    (request,) = api.requests
    assert request.headers["x-api-key"] == "sk-first"
    assert str(request.url) == "http://first.test/api/avatars"


def test_base_url_is_the_api_root_as_the_docs_give_it(make_client: Callable[..., Miraflow], api: FakeAPI) -> None:
    api.on("GET", "/miraflow/api/avatars", json_response(200, {"avatars": AVATARS}))
    make_client(base_url="http://127.0.0.1:9/miraflow/api/").avatars.list()
    assert str(api.requests[0].url) == "http://127.0.0.1:9/miraflow/api/avatars"


def test_default_base_url_is_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIRAFLOW_BASE_URL", raising=False)
    assert Miraflow(api_key=KEY).base_url == "https://miraflow.ai/api"


def test_a_wrong_base_url_is_refused() -> None:
    with pytest.raises(ValueError, match="API root"):
        Miraflow(api_key=KEY, base_url="https://miraflow.ai")


def test_timeout_and_max_retries_are_applied(make_client: Callable[..., Miraflow], api: FakeAPI) -> None:
    seen: list[object] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return json_response(200, {"avatars": AVATARS})

    api.on("GET", "/api/avatars", record)
    make_client(timeout=7.5).avatars.list()
    assert seen == [{"connect": 7.5, "read": 7.5, "write": 7.5, "pool": 7.5}]
    with pytest.raises(ValueError, match="max_retries"):
        make_client(max_retries=-1)


def test_the_client_is_a_context_manager(make_client: Callable[..., Miraflow]) -> None:
    with make_client() as client:
        assert client.avatars.list()
