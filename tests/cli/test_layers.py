"""The CLI talks to the simulator only as a process and over HTTP: importing it never imports `miraflow_mock`."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_does_not_import_the_simulator() -> None:
    code = "import sys, miraflow.cli; print('\\n'.join(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert "miraflow.cli.app" in loaded
    assert not [name for name in loaded if name.startswith("miraflow_mock")]
