"""The admin API stays local: only allowed client addresses, or the admin token, reach /__admin."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from miraflow_mock.simulator.admin_access import AdminAccess
from miraflow_mock.simulator.config import SimulatorConfig
from miraflow_mock.testing import SimulatorHandle, start_simulator

TOKEN = "admin-token-for-tests"


def _from(address: str, **kwargs: object) -> httpx.Client:
    """A client whose connections leave from `address` (any 127.0.0.0/8 address is this machine)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def guarded() -> Iterator[SimulatorHandle]:
    with start_simulator(clock="manual", seed=1, admin_token=TOKEN) as handle:
        yield handle


def test_a_client_from_an_address_not_allowed_is_refused_in_the_error_shape(guarded: SimulatorHandle) -> None:
    with _from("127.0.0.2") as client:
        for method, path in (("GET", "/jobs"), ("POST", "/reset"), ("GET", "/errors"), ("POST", "/tenants")):
            response = client.request(method, f"{guarded.admin_url}/__admin{path}", json={"key": "k", "credits": 9})
            assert response.status_code == 403, (method, path)
            assert response.json()["result"] == "failure"
        # The public API is not the admin API: it still answers that client.
        assert client.get(f"{guarded.api_root}/avatars", headers={"x-api-key": guarded.key}).status_code == 200
    assert all(tenant["credits"] != 9 for tenant in guarded.tenants())  # the refused POST changed nothing


def test_the_token_lets_a_client_from_any_address_in(guarded: SimulatorHandle) -> None:
    with _from("127.0.0.2", headers={"Authorization": f"Bearer {TOKEN}"}) as client:
        assert client.get(f"{guarded.admin_url}/__admin/jobs").status_code == 200
    with _from("127.0.0.2", headers={"Authorization": "Bearer wrong"}) as client:
        assert client.get(f"{guarded.admin_url}/__admin/jobs").status_code == 403


def test_loopback_is_allowed_by_default(guarded: SimulatorHandle) -> None:
    with _from("127.0.0.1") as client:
        assert client.get(f"{guarded.admin_url}/__admin/clock").status_code == 200


def test_admin_allow_replaces_the_allowed_addresses() -> None:
    with start_simulator(clock="manual", admin_allow=["127.0.0.2"]) as handle:
        with _from("127.0.0.2") as client:
            assert client.get(f"{handle.admin_url}/__admin/jobs").status_code == 200
        with _from("127.0.0.1") as client:
            assert client.get(f"{handle.admin_url}/__admin/jobs").status_code == 403


@pytest.mark.parametrize(
    ("client", "allowed"),
    [
        (("127.0.0.1", 5), True),
        (("::1", 5), True),
        (("::ffff:127.0.0.1", 5), True),  # a dual-stack socket's view of an IPv4 loopback client
        (("127.0.0.2", 5), False),
        (("10.1.2.3", 5), False),
        (("testclient", 5), False),  # not an address: Starlette's TestClient must set a loopback client
        (None, False),  # an in-process caller without a client
    ],
)
def test_which_clients_are_allowed_by_default(client: tuple[str, int] | None, allowed: bool) -> None:
    assert AdminAccess().allows({"client": client, "headers": []}) is allowed


def test_networks_and_the_token() -> None:
    access = AdminAccess(["10.0.0.0/8"], token="s3cr3t")
    assert access.allows({"client": ("10.9.8.7", 1), "headers": []})
    assert not access.allows({"client": ("127.0.0.1", 1), "headers": []})
    assert access.allows({"client": None, "headers": [(b"authorization", b"Bearer s3cr3t")]})
    assert not access.allows({"client": None, "headers": [(b"authorization", b"Bearer s3cr3")]})
    assert "s3cr3t" not in repr(access)


def test_the_token_never_shows_in_the_config_repr() -> None:
    assert TOKEN not in repr(SimulatorConfig(admin_token=TOKEN))
    with pytest.raises(ValueError, match="--admin-allow"):
        SimulatorConfig(admin_allow=("not-an-address",))


def test_serving_on_all_interfaces_without_a_token_says_the_admin_api_is_local_only() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "miraflow_mock", "serve", "--host", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        assert "ready at" in process.stdout.readline()
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert "admin API (/__admin) is local-only" in err
