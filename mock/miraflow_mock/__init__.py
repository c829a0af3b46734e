"""Local stand-ins for the Miraflow API: Prism serving openapi.yaml, and a stateful simulator.

`mock_miraflow()` runs the simulator in this process (see `miraflow_mock.inprocess`); it is loaded on first use, so
importing this package stays light. Imports `miraflow.spec` only: never the SDK, never the generated client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # so type checkers see its signature; at run time it loads on first use
    from miraflow_mock.inprocess import mock_miraflow

__all__ = ["mock_miraflow"]


def __getattr__(name: str) -> Any:
    if name == "mock_miraflow":
        from miraflow_mock.inprocess import mock_miraflow

        return mock_miraflow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
