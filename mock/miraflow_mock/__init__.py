"""Local stand-ins for the Miraflow API: Prism serving openapi.yaml, and (soon) a stateful simulator.

Imports `miraflow.spec` only: never the SDK, never the generated client.
"""

__all__: list[str] = []
