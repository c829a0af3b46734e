"""`python -m miraflow.cli` is `miraflow`."""

import sys

from miraflow.cli.app import main

sys.exit(main())
