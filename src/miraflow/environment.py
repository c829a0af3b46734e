"""Every environment variable the toolkit reads, in one table: its name, and what it sets.

Read in one place each: the key, the API root, the log level and the time scale by the clients' constructors (the
CLI's `--time-scale` too); the balance and the crash points by the campaign command (the latter a test hook). This
module imports nothing, so light modules (`miraflow.base_url`) can name them too.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["API_KEY_ENV", "BALANCE_ENV", "BASE_URL_ENV", "CRASH_ENV", "ENVIRONMENT", "LOG_ENV", "TIME_SCALE_ENV"]

API_KEY_ENV = "MIRAFLOW_API_KEY"
BASE_URL_ENV = "MIRAFLOW_BASE_URL"
LOG_ENV = "MIRAFLOW_LOG"
TIME_SCALE_ENV = "MIRAFLOW_TIME_SCALE"
CRASH_ENV = "MIRAFLOW_BATCH_CRASH_AT"
BALANCE_ENV = "MIRAFLOW_BALANCE"

ENVIRONMENT: Mapping[str, str] = {
    API_KEY_ENV: "the API key, when no --api-key / api_key= is given",
    BASE_URL_ENV: "the API root (such as http://127.0.0.1:4010/api), when no --base-url / base_url= is given",
    LOG_ENV: "`debug` turns on the `miraflow` logger (and lets the CLI show a bug's traceback)",
    TIME_SCALE_ENV: "the SDK's time_scale= and the CLI's --time-scale, for a simulator running faster than real time",
    BALANCE_ENV: "the credit balance `miraflow batch run` checks a campaign's estimated cost against (--balance)",
    CRASH_ENV: "test hook: points at which `miraflow batch run` kills itself (see miraflow.batch.crashpoints)",
}
"""Each variable, and what it sets."""
