"""Where a campaign's credit balance comes from, for the cost check before it starts.

Miraflow has no balance endpoint (the guide and the public docs name none), so the balance is the user's to give:

1. `--balance N` on `miraflow batch run`;
2. else `MIRAFLOW_BALANCE` (say, set by CI from the account's dashboard);
3. else, only for an API root on this machine (a local simulator: 127.0.0.1, ::1, localhost), the simulator's own
   admin API: `GET /__admin/tenants` lists each tenant's credits with the key's last four characters (`keyHint`), and
   the one tenant whose hint matches the key is the balance. Anything else (Prism, another server, two tenants with
   the same hint, no answer) gives no balance.

Without a balance, nothing can be refused: the prompt and the dry run say the balance is unknown.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import attrs
import httpx

from miraflow.base_url import resolve_api_root, server_root
from miraflow.cli.errors import CLIError
from miraflow.environment import API_KEY_ENV, BALANCE_ENV

__all__ = ["BALANCE_ENV", "Balance", "find_balance", "parse_balance"]

_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
_ADMIN_TIMEOUT = 3.0


@attrs.frozen
class Balance:
    """A credit balance and where it came from (`--balance`, `MIRAFLOW_BALANCE`, or the simulator)."""

    credits: float
    source: str


def parse_balance(text: str, *, flag: str) -> float:
    """A balance as given: a number of credits, 0 or more. Raises `CLIError` naming `flag` otherwise."""
    try:
        value = float(text.strip().replace(",", "").replace("_", ""))
    except ValueError:
        raise CLIError(f"{flag} must be a number of credits, such as 1200, not {text!r}") from None
    if value != value or value < 0 or value == float("inf"):
        raise CLIError(f"{flag} must be a number of credits, 0 or more, not {text!r}")
    return value


def find_balance(given: float | None, *, api_key: str | None, base_url: str | None) -> Balance | None:
    """The balance to check a campaign against: `given`, else `MIRAFLOW_BALANCE`, else a local simulator's; or None."""
    if given is not None:
        return Balance(given, "--balance")
    from_env = os.environ.get(BALANCE_ENV, "").strip()
    if from_env:
        return Balance(parse_balance(from_env, flag=BALANCE_ENV), BALANCE_ENV)
    key = api_key or os.environ.get(API_KEY_ENV)
    if not key:
        return None
    try:
        root = resolve_api_root(base_url)
    except ValueError:
        return None
    if urlsplit(root).hostname not in _LOCAL_HOSTS:
        return None
    credits = _simulator_credits(server_root(root), key)
    return None if credits is None else Balance(credits, "the local simulator's admin API")


def _simulator_credits(server: str, key: str) -> float | None:
    """The credits of the simulator tenant whose key hint matches `key`, or None (not a simulator, no single match)."""
    try:
        response = httpx.get(f"{server}/__admin/tenants", timeout=_ADMIN_TIMEOUT)
        if response.status_code != 200:
            return None
        tenants = response.json().get("tenants", [])
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    matches = [
        tenant
        for tenant in tenants
        if isinstance(tenant, dict)
        and tenant.get("keyHint") == key[-4:]
        and isinstance(tenant.get("credits"), int | float)
    ]
    return float(matches[0]["credits"]) if len(matches) == 1 else None
