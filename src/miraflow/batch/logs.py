"""The campaigns' logger, `miraflow.batch` (under the SDK's `miraflow` logger: `MIRAFLOW_LOG=debug` shows it)."""

from __future__ import annotations

import logging

__all__ = ["logger"]

logger = logging.getLogger("miraflow.batch")
