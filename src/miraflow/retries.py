"""Retrying, for code built on the SDK (campaigns): the SDK's one retry policy, honouring `Retry-After` everywhere.

`retry_async(call, attempts=..., clock=..., rng=...)` runs a call again after a transient `APIError` (connection
errors, 408, 429, 5xx), waiting `delay_after(error, attempt)`: the server's `Retry-After` (seconds or an HTTP date, up
to a ceiling), else exponential backoff with jitter. `is_transient` says which errors are worth another try. The client
itself retries idempotent requests the same way (`max_retries`).
"""

from __future__ import annotations

from miraflow._retry import delay_after, is_transient, retry_after, retry_async, retry_delay

__all__ = ["delay_after", "is_transient", "retry_after", "retry_async", "retry_delay"]
