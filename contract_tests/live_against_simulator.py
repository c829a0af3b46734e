"""Run the live target against a separately started simulator: the live code path (Prism's validation proxy, budgets,
wall-clock waits) exercised without a real key. `nox -s contract` runs it in CI.

    python -m contract_tests.live_against_simulator [pytest args...]
"""

from __future__ import annotations

import os
import subprocess
import sys

from contract_tests.servers import ServerProcess

# Fast enough for CI, slow enough that a face-cropped job (60–120 s × this) is seen working many times through
# Prism's proxy.
TIME_SCALE = 0.02
# The drift report's title: this run checks the live code path, not the real API.
LABEL = "simulator via the live code path (CI's live-against-simulator run, not the real API)"


def main(argv: list[str]) -> int:
    """Start a simulator, point the live target at it, run pytest, stop the simulator; returns pytest's exit code."""
    server = ServerProcess(["serve", "--port", "0", "--time-scale", str(TIME_SCALE), "--seed", "7"]).start()
    try:
        env = {
            **os.environ,
            "MIRAFLOW_BASE_URL": server.api_root,
            "MIRAFLOW_API_KEY": "sk-demo-1",
            "MIRAFLOW_API_KEY_2": "sk-demo-2",
            "MIRAFLOW_LIVE_CREATE": "1",
            "MIRAFLOW_LIVE_MAX_VIDEOS": "4",
            "MIRAFLOW_LIVE_TIME_SCALE": str(TIME_SCALE),
            "MIRAFLOW_LIVE_LABEL": LABEL,
        }
        command = [sys.executable, "-m", "pytest", "contract_tests", "--target", "live", *argv]
        return subprocess.call(command, env=env)
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
