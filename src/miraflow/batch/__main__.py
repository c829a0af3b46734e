"""`python -m miraflow.batch ...`: the `miraflow batch` command on its own (`run`, `status`, `report`)."""

from __future__ import annotations

import sys

from miraflow.batch.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
