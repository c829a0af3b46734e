"""The import rules of shared/DESIGN.md, checked in fresh interpreters: arrows point one way."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(result.stdout.split())


@pytest.mark.parametrize(
    ("statement", "forbidden"),
    [
        # The spec loader is what the mock and the contract suite import: it must not drag in the SDK.
        ("import miraflow.spec", ("miraflow._client", "miraflow_client", "httpx")),
        # So is the folder-fsync helper the simulator's renderer shares with the SDK's downloads.
        ("import miraflow.durable", ("miraflow._client", "miraflow_client", "httpx")),
        # And the ready line, which the mock prints and the CLI, the contract suite and the benches parse.
        ("import miraflow.ready_line", ("miraflow._client", "miraflow_client", "httpx")),
        # The in-process mock intercepts httpx, but never loads the SDK or the generated client.
        ("import miraflow_mock.inprocess", ("miraflow._client", "miraflow._base_client", "miraflow_client")),
        ("import miraflow_mock.simulator.render", ("miraflow._client", "miraflow._base_client", "miraflow_client")),
        # The simulator imports miraflow.spec only: never the SDK, never the generated client.
        ("import miraflow_mock.simulator.app", ("miraflow._client", "miraflow._base_client", "miraflow_client")),
        ("import miraflow_mock.cli", ("miraflow._client", "miraflow_client")),
    ],
)
def test_imports_follow_the_design(statement: str, forbidden: tuple[str, ...]) -> None:
    loaded = _loaded_after(statement)
    leaked = sorted(name for name in loaded if name.startswith(forbidden))
    assert not leaked, f"{statement} imported {leaked}"


def test_the_sdk_still_loads_on_first_use() -> None:
    loaded = _loaded_after("import miraflow; miraflow.Miraflow")
    assert "miraflow._client" in loaded
