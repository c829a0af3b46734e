"""Mapping the configured API root onto the generated client's /api paths."""

from __future__ import annotations

import pytest

from miraflow.base_url import api_prefix, default_api_root, resolve_api_root, server_root


def test_default_is_the_documented_api_root() -> None:
    assert default_api_root() == "https://miraflow.ai/api"
    assert api_prefix() == "/api"


@pytest.mark.parametrize(
    ("api_root", "expected"),
    [
        ("https://miraflow.ai/api", "https://miraflow.ai"),
        ("http://127.0.0.1:4010/api/", "http://127.0.0.1:4010"),
        ("http://proxy.local/miraflow/api", "http://proxy.local/miraflow"),
    ],
)
def test_server_root(api_root: str, expected: str) -> None:
    assert server_root(api_root) == expected


@pytest.mark.parametrize(
    "bad", ["http://127.0.0.1:4010", "ftp://miraflow.ai/api", "miraflow.ai/api", "https://x/api?k=1"]
)
def test_bad_base_urls_are_refused_with_the_expected_form(bad: str) -> None:
    with pytest.raises(ValueError, match=r"miraflow\.ai/api|query"):
        server_root(bad)


def test_environment_variable_is_used_when_no_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIRAFLOW_BASE_URL", "http://127.0.0.1:9/api")
    assert resolve_api_root() == "http://127.0.0.1:9/api"
    assert resolve_api_root("http://127.0.0.1:8/api") == "http://127.0.0.1:8/api"
    monkeypatch.delenv("MIRAFLOW_BASE_URL")
    assert resolve_api_root() == "https://miraflow.ai/api"
