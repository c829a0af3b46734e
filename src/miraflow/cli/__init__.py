"""The `miraflow` command line: the SDK's operations, the end-to-end demo and the local simulator, in one tool.

`main()` is the console script (`miraflow = "miraflow.cli:main"`); `app` is the typer app, for typer's test runner.
Modules: `app` (the commands), `errors` (failures as one line and an exit code, and as JSON with --json), `output`
(tables, JSON, --quiet ids, progress bars), `plain_progress` (progress as paced plain lines off a terminal),
`help_format` (the help's names for arguments), `connection` (the SDK client from options or the environment), `demo`
(`miraflow demo`), `simulator` (the local simulator as a subprocess: `miraflow mock` and the demo's), `mp4` (a video's
length, for the demo's summary), `batch` (`miraflow batch`: campaigns, on the `miraflow.batch` library),
`campaign_progress` (its live display) and `folders` (the folders commands write into, created before anything costs
credits).
"""

from miraflow.cli.app import app, main

__all__ = ["app", "main"]
