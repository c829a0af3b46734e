"""Miraflow: a typed Python toolkit for the Miraflow Photo Avatar API.

```python
from miraflow import Miraflow

client = Miraflow()  # the key from MIRAFLOW_API_KEY
path = client.videos.generate(avatar="Margot", text="Hello!", name="Hello", dest="videos/")
```

`Miraflow` and `AsyncMiraflow` are the SDK; its errors are typed (`MiraflowError` and below), its types are in
`miraflow.types`. `miraflow.spec` holds the packaged contract (openapi.yaml) and the job lifecycle it declares; the
generated, raw client is the separate `miraflow_client` package.
"""

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from miraflow._client import AsyncMiraflow, Miraflow
    from miraflow._constants import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT
    from miraflow._exceptions import (
        AmbiguousAvatarError,
        AmbiguousNameError,
        AmbiguousVoiceError,
        APIConnectionError,
        APIError,
        APIResponseValidationError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        DownloadError,
        IncompleteBodyError,
        InsufficientCreditsError,
        InternalServerError,
        InvalidBaseURLError,
        JobFailedError,
        JobMayExistError,
        MiraflowError,
        MissingAPIKeyError,
        ModeNotSupportedError,
        NotFoundError,
        RateLimitError,
        WaitTimeoutError,
    )
    from miraflow._response import RawResponse
    from miraflow.types import Avatar, CompletedJob, Job, JobState, JobStatus, Video, VideoDetail, Voice

# The SDK loads on first use: `import miraflow.spec` (which the mock and the contract suite do) must not pull in the
# client, the generated package or httpx.
_EXPORTS = {
    "AsyncMiraflow": "miraflow._client",
    "Miraflow": "miraflow._client",
    "DEFAULT_MAX_RETRIES": "miraflow._constants",
    "DEFAULT_TIMEOUT": "miraflow._constants",
    "AmbiguousAvatarError": "miraflow._exceptions",
    "AmbiguousNameError": "miraflow._exceptions",
    "AmbiguousVoiceError": "miraflow._exceptions",
    "APIConnectionError": "miraflow._exceptions",
    "APIError": "miraflow._exceptions",
    "APIResponseValidationError": "miraflow._exceptions",
    "APIStatusError": "miraflow._exceptions",
    "APITimeoutError": "miraflow._exceptions",
    "AuthenticationError": "miraflow._exceptions",
    "BadRequestError": "miraflow._exceptions",
    "DownloadError": "miraflow._exceptions",
    "IncompleteBodyError": "miraflow._exceptions",
    "InsufficientCreditsError": "miraflow._exceptions",
    "InternalServerError": "miraflow._exceptions",
    "InvalidBaseURLError": "miraflow._exceptions",
    "JobFailedError": "miraflow._exceptions",
    "JobMayExistError": "miraflow._exceptions",
    "MiraflowError": "miraflow._exceptions",
    "MissingAPIKeyError": "miraflow._exceptions",
    "ModeNotSupportedError": "miraflow._exceptions",
    "NotFoundError": "miraflow._exceptions",
    "RateLimitError": "miraflow._exceptions",
    "WaitTimeoutError": "miraflow._exceptions",
    "RawResponse": "miraflow._response",
    "Avatar": "miraflow.types",
    "CompletedJob": "miraflow.types",
    "Job": "miraflow.types",
    "JobState": "miraflow.types",
    "JobStatus": "miraflow.types",
    "Video": "miraflow.types",
    "VideoDetail": "miraflow.types",
    "Voice": "miraflow.types",
}


try:
    __version__ = version("miraflow")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
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
    "Miraflow",
    "MiraflowError",
    "MissingAPIKeyError",
    "ModeNotSupportedError",
    "NotFoundError",
    "RateLimitError",
    "RawResponse",
    "Video",
    "VideoDetail",
    "Voice",
    "WaitTimeoutError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'miraflow' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
