"""`python -m miraflow.batch ...`: the `miraflow batch` command on its own (`run`, `status`, `report`).

An entry point, not part of the library: it runs the CLI's `miraflow.cli.batch`.
"""

from __future__ import annotations

import sys

from miraflow.cli.batch import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
