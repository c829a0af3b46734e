"""The contract suite's targets: one suite, run against `--target prism|simulator|live`.

Each target is a running server and what the suite may expect of it. Exclusions are per target, each with its reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import schemathesis
from schemathesis.generation import GenerationMode

from contract_tests.servers import ServerProcess
from miraflow.base_url import server_root
from miraflow.spec import spec_path
from miraflow_client import AuthenticatedClient

TARGETS = ("prism", "simulator", "live")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--target",
        choices=TARGETS,
        default="prism",
        help="the server the contract suite checks: prism (the spec's examples), simulator, or live",
    )


def pytest_configure(config: pytest.Config) -> None:
    for name in TARGETS:
        config.addinivalue_line("markers", f"{name}: runs only against the {name} target")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    target = config.getoption("--target")
    for item in items:
        wanted = {name for name in TARGETS if item.get_closest_marker(name)}
        if wanted and target not in wanted:
            item.add_marker(pytest.mark.skip(reason=f"runs only against {', '.join(sorted(wanted))}"))


@dataclass(frozen=True)
class Target:
    """A server under test and what the suite may expect of it."""

    name: str
    api_root: str
    api_key: str
    # Schemathesis checks that cannot hold on this target, each with its reason.
    excluded_checks: dict[str, str] = field(default_factory=dict)
    # Why generated multipart bodies must carry only the schema's own fields on this target (None: no such limit).
    multipart_known_fields_only: str | None = None

    def prepare(self, case: schemathesis.Case) -> None:
        """Adjust a generated case to what this target can take, as its exclusions say."""
        if (
            self.multipart_known_fields_only
            and case.media_type == "multipart/form-data"
            and isinstance(case.body, dict)
        ):
            known = case.operation.schema.raw_schema["components"]["schemas"]["CreateVideoFromAudioRequest"][
                "properties"
            ]
            case.body = {key: value for key, value in case.body.items() if key in known}

    def client(self, **kwargs: object) -> AuthenticatedClient:
        """The generated client, pointed at this target (the API root mapped onto the spec's /api paths)."""
        return AuthenticatedClient(
            base_url=server_root(self.api_root),
            token=self.api_key,
            prefix="",
            auth_header_name="x-api-key",
            raise_on_unexpected_status=True,
            **kwargs,  # type: ignore[arg-type]
        )


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    name = request.config.getoption("--target")
    if name != "prism":
        pytest.skip(f"the {name} target is not available yet")
    server = ServerProcess(["prism", "--port", "0"]).start()
    try:
        yield Target(
            name="prism",
            api_root=server.api_root,
            api_key="any-key-works-on-prism",
            excluded_checks={
                "ignored_auth": "Prism checks that x-api-key is present but accepts any value",
            },
            multipart_known_fields_only=(
                "Prism 5.14.2 exits on a multipart field name containing ';' (parse-multipart-data splits the "
                "Content-Disposition header on ';' and reads past the end), so extra generated fields are dropped"
            ),
        )
    finally:
        server.stop()


@pytest.fixture(scope="session")
def api_schema(target: Target) -> schemathesis.schemas.BaseSchema:
    schema = schemathesis.openapi.from_path(spec_path())
    schema.config.update(base_url=server_root(target.api_root), headers={"x-api-key": target.api_key})
    schema.config.generation.update(modes=[GenerationMode.POSITIVE], max_examples=50, deterministic=False)
    schema.config.checks.update(excluded_check_names=list(target.excluded_checks))
    return schema
