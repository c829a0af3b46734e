"""`python -m miraflow_mock` is `miraflow-mock`."""

import sys

from miraflow_mock.cli import main

sys.exit(main())
