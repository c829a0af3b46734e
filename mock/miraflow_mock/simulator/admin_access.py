"""Who may use the admin API (`/__admin`): clients from allowed addresses, or with the admin token.

The admin API can reset state, hand out credits and change the clock, so a simulator listening on a public address
must not let anyone on the network use it. By default only loopback clients (`127.0.0.1`, `::1`) may; `--admin-allow
ADDR` (an address or a network such as `10.0.0.0/8`, repeatable) replaces that list, and `--admin-token TOKEN` lets
any client in that presents `Authorization: Bearer TOKEN`.

In-process callers (an ASGI app called directly, without a server) must set the scope's `client` to a loopback
address, as `httpx.ASGITransport` does by default (`127.0.0.1`); a scope without a client is refused like any other
client that is not allowed.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["DEFAULT_ADMIN_ALLOW", "AdminAccess", "parse_network"]

DEFAULT_ADMIN_ALLOW = ("127.0.0.1", "::1")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_network(value: str) -> Network:
    """An address (`127.0.0.2`, `::1`) or a network (`10.0.0.0/8`) for `--admin-allow`; ValueError otherwise."""
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise ValueError(f"--admin-allow takes an IP address or network, not {value!r}") from None


class AdminAccess:
    """Decides, per request, whether the admin API answers it."""

    def __init__(self, allow: Iterable[str] = DEFAULT_ADMIN_ALLOW, token: str | None = None) -> None:
        self.networks = tuple(parse_network(value) for value in allow)
        self._token = f"Bearer {token}".encode() if token else None

    @property
    def has_token(self) -> bool:
        """Whether a token can open the admin API to clients from other addresses."""
        return self._token is not None

    def allows(self, scope: Mapping[str, Any]) -> bool:
        """Whether the request's client address is allowed, or it presents the admin token."""
        if self._token is not None:
            for name, value in scope.get("headers", ()):
                # compare_digest: how long the comparison takes says nothing about the token.
                if name == b"authorization" and hmac.compare_digest(value, self._token):
                    return True
        client = scope.get("client")
        if not client:
            return False
        try:
            address = ipaddress.ip_address(str(client[0]).split("%", 1)[0])  # drop an IPv6 zone (fe80::1%eth0)
        except ValueError:
            return False  # not an IP address (a test client's made-up name, a Unix socket's path)
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped  # a dual-stack socket shows 127.0.0.1 as ::ffff:127.0.0.1
        return any(address in network for network in self.networks)

    def __repr__(self) -> str:
        token = "set" if self._token else "none"
        return f"AdminAccess(allow={[str(n) for n in self.networks]}, token={token})"

    @property
    def local_only(self) -> bool:
        """Whether only loopback clients can reach the admin API (no token, and only loopback addresses allowed)."""
        return self._token is None and all(network.is_loopback for network in self.networks)
