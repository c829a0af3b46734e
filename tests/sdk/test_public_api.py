"""The public surface: exported names, `__all__` everywhere, docstrings, and the sync/async twins matching."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import miraflow
from miraflow import AsyncMiraflow, Miraflow

EXPECTED = {
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AmbiguousAvatarError",
    "AmbiguousNameError",
    "AmbiguousVoiceError",
    "AsyncMiraflow",
    "AuthenticationError",
    "Avatar",
    "BadRequestError",
    "CompletedJob",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "DownloadError",
    "IncompleteBodyError",
    "InsufficientCreditsError",
    "InternalServerError",
    "InvalidBaseURLError",
    "Job",
    "JobFailedError",
    "JobMayExistError",
    "JobState",
    "JobStatus",
    "MiraflowError",
    "MissingAPIKeyError",
    "ModeNotSupportedError",
    "Miraflow",
    "NotFoundError",
    "RateLimitError",
    "RawResponse",
    "Video",
    "VideoDetail",
    "Voice",
    "WaitTimeoutError",
    "__version__",
}

SDK_MODULES = sorted(
    name
    for _, name, _ in pkgutil.walk_packages(miraflow.__path__, "miraflow.")
    if name not in {"miraflow.spec", "miraflow.base_url"} and not name.startswith("miraflow.cli")
)


def test_exported_names() -> None:
    assert set(miraflow.__all__) == EXPECTED
    for name in miraflow.__all__:
        assert hasattr(miraflow, name), name


@pytest.mark.parametrize("module_name", SDK_MODULES)
def test_every_module_declares_all_and_documents_its_public_names(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert module.__doc__, module_name
    assert isinstance(module.__all__, list | tuple), module_name
    for name in module.__all__:
        value = getattr(module, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__doc__, f"{module_name}.{name} has no docstring"


def _public_methods(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


def test_every_public_method_of_the_clients_and_resources_is_documented() -> None:
    for client in (Miraflow(api_key="k"), AsyncMiraflow(api_key="k")):
        for owner in (client, client.avatars, client.voices, client.videos, client.jobs):
            for name, member in inspect.getmembers(owner, inspect.ismethod):
                if not name.startswith("_"):
                    assert member.__doc__, f"{type(owner).__name__}.{name}"


def test_async_twins_mirror_the_sync_resources() -> None:
    sync, async_ = Miraflow(api_key="k"), AsyncMiraflow(api_key="k")
    for resource in ("avatars", "voices", "videos", "jobs"):
        sync_methods = _public_methods(type(getattr(sync, resource)))
        async_methods = _public_methods(type(getattr(async_, resource)))
        assert sync_methods.keys() == async_methods.keys(), resource
        for name, signature in sync_methods.items():
            assert list(signature.parameters) == list(async_methods[name].parameters), f"{resource}.{name}"
            assert inspect.iscoroutinefunction(getattr(type(getattr(async_, resource)), name)), f"{resource}.{name}"


def test_job_state_members_come_from_the_spec() -> None:
    from miraflow.spec import lifecycle

    assert [state.value for state in miraflow.JobState] == list(lifecycle().state_names)
    assert miraflow.JobState("inference_complete") == "inference_complete"


def test_py_typed_marker_ships() -> None:
    assert (importlib.resources.files("miraflow") / "py.typed").is_file()
