"""The simulator's configuration: what `miraflow-mock serve` was started with."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from miraflow_mock.simulator.jobs import Planner
    from miraflow_mock.simulator.user_catalog import CatalogSpec

from miraflow.spec import BUSINESS_PLACEMENTS, business_errors

__all__ = ["BUGS", "DEFAULT_TENANTS", "SimulatorConfig", "TenantSpec", "parse_tenant"]

# Each name breaks one promise of the contract on purpose, so the contract suite can prove it catches it.
BUGS: dict[str, str] = {
    "progress-regress": "progress sometimes goes down",
    "missing-video-id": "a complete job's status has no videoId",
    "ignore-im2vid-full": "photo avatars always render face-cropped",
    "cross-tenant-leak": "any tenant can see any tenant's jobs and videos",
    "wrong-download-type": "downloads are served as application/octet-stream",
    "terminal-not-absorbing": "a failed job later reports inference_complete",
    "accept-any-key": "any x-api-key value is accepted",
}


@dataclass(frozen=True)
class TenantSpec:
    """An account: its API key, a display name (shown in the admin API instead of the key) and its credits."""

    key: str
    name: str
    credits: int


DEFAULT_TENANTS = (TenantSpec("sk-demo-1", "demo-1", 1000), TenantSpec("sk-demo-2", "demo-2", 1000))


def parse_tenant(value: str, index: int) -> TenantSpec:
    """Parse `KEY:CREDITS` (the `--tenant` option); the tenant is named `tenant-<index>`."""
    key, sep, credits = value.rpartition(":")
    if not sep or not key or not credits.isdigit():
        raise ValueError(f"--tenant takes KEY:CREDITS with a whole number of credits, not {value!r}")
    return TenantSpec(key=key, name=f"tenant-{index}", credits=int(credits))


@dataclass(frozen=True)
class SimulatorConfig:
    """Everything that shapes a simulator's behaviour."""

    tenants: tuple[TenantSpec, ...] = DEFAULT_TENANTS
    time_scale: float = 1.0
    clock: str = "real"
    workers: int = 2
    fail_rate: float = 0.0
    seed: int | None = None
    state: Path | None = None
    bugs: frozenset[str] = field(default_factory=frozenset)
    # How long signed download and upload URLs stay valid, in seconds of the simulator's clock.
    url_ttl: float = 3600.0
    journal_limit: int = 100_000
    catalog: CatalogSpec | None = None  # --catalog FILE
    calibration: Planner | None = None  # --calibration FILE: plans jobs instead of the spec's ranges
    # Where a create's business failure ("not enough credits", "Avatar not found") is answered: "2xx" (a 200 with
    # the error body, as the guide's client reads it) or "4xx"; the spec's x-business-errors says which by default.
    business_errors: str = field(default_factory=lambda: business_errors().default)
    # Print one line per request on stdout (`--log-requests`).
    log_requests: bool = False
    # Who may use /__admin: clients from these addresses or networks, or any client with the token (admin_access.py).
    admin_allow: tuple[str, ...] = ("127.0.0.1", "::1")
    admin_token: str | None = field(default=None, repr=False)  # a secret: never in a repr

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError("--time-scale must be positive")
        if self.clock not in ("real", "manual"):
            raise ValueError("--clock must be real or manual")
        if self.workers < 1:
            raise ValueError("--workers must be at least 1")
        if not 0.0 <= self.fail_rate <= 1.0:
            raise ValueError("--fail-rate must be between 0 and 1")
        if self.business_errors not in BUSINESS_PLACEMENTS:
            raise ValueError(f"--business-errors must be {' or '.join(BUSINESS_PLACEMENTS)}")
        if unknown := self.bugs - set(BUGS):
            raise ValueError(f"unknown --bug {', '.join(sorted(unknown))}; known: {', '.join(BUGS)}")
        keys = [tenant.key for tenant in self.tenants]
        if len(set(keys)) != len(keys):
            raise ValueError("each --tenant needs its own key")
        if not self.tenants:
            raise ValueError("at least one tenant is needed")
        from miraflow_mock.simulator.admin_access import parse_network

        for value in self.admin_allow:
            parse_network(value)  # raises ValueError naming the bad value
        if self.admin_token is not None and not self.admin_token.strip():
            raise ValueError("--admin-token must not be empty")

    def has_bug(self, name: str) -> bool:
        """Tell whether the contract is broken on purpose in the way `name` says."""
        return name in self.bugs
