"""The SDK client a command talks through, made from the options or the environment, in one place."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from miraflow import Miraflow, MiraflowError
from miraflow.base_url import BASE_URL_ENV
from miraflow.cli.errors import CLIError, Reporter

__all__ = ["connect"]


@contextlib.contextmanager
def connect(reporter: Reporter, *, api_key: str | None, base_url: str | None) -> Iterator[Miraflow]:
    """A `Miraflow` client, closed afterwards. None leaves the value to the SDK, which reads the environment.

    A malformed base URL is a usage error; a missing key raises the SDK's `MissingAPIKeyError` (also exit code 2).
    """
    try:
        client = Miraflow(api_key=api_key, base_url=base_url)
    except MiraflowError:
        raise
    except ValueError as exc:
        raise CLIError(f"{exc} (from --base-url or {BASE_URL_ENV})") from None
    reporter.base_url = client.base_url
    with client:
        yield client
