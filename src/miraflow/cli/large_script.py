"""`miraflow create` asks before creating a script far above the usual size (it may cost far more than meant).

The threshold is the spec's (`x-pricing.scriptCharacters.confirmAbove`, through `miraflow.batch.cost`). `--yes` skips
the question; without a terminal to ask on (CI, a pipe) and without `--yes`, the command refuses in one line.
"""

from __future__ import annotations

import sys

import typer

from miraflow.batch.cost import large_script_warning
from miraflow.cli.errors import CLIError

__all__ = ["confirm_large_script"]


def confirm_large_script(script: str, *, yes: bool) -> None:
    """Ask before a script far above the usual size is created; raise `CLIError` if not confirmed."""
    question = large_script_warning(script)
    if question is None or yes:
        return
    if not sys.stdin.isatty():
        reason = question.removesuffix(" Create it?").rstrip(".")
        raise CLIError(f"{reason}: nothing was created; pass --yes to create it anyway")
    if not typer.confirm(question, default=False, err=True):
        raise CLIError("nothing was created")
