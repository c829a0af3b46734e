"""Help that names things as people write them: `miraflow status [OPTIONS] JOB_ID`, not `{JOB_ID}` or `<str>`.

typer 0.27 writes a required argument as `{NAME}` in the usage line and adds its click type (`<str>`, `<path>`) in the
help's table. `PlainHelpGroup` is the typer group class of `miraflow` and `miraflow batch`: when built, it gives every
argument of every command below it click's own plain spelling (`NAME`, `[NAME]` when optional) and no type word, so
the metavars the commands declare (JOB_ID, VIDEO_ID, FILE, DIR...) are all the help shows.
"""

from __future__ import annotations

import copy
from typing import Any

from typer.core import TyperArgument, TyperGroup

__all__ = ["PlainArgument", "PlainHelpGroup", "plain_arguments"]


class PlainArgument(TyperArgument):
    """A typer argument whose metavar is its declared name only: no braces in the usage line."""

    def make_metavar(self, ctx: Any, *, usage: bool = False) -> str:
        """`NAME`, `[NAME]` if optional, `NAME...` if it takes several values."""
        name = self.metavar or (self.name or "").upper()
        if self.nargs != 1:
            name += "..."
        return name if self.required or name.startswith("[") else f"[{name}]"


def _untyped(param_type: Any) -> Any:
    """A copy of a click type that names no type in the help (its conversion and checks are unchanged)."""
    base = type(param_type)

    def get_metavar(self: Any, param: Any, ctx: Any = None) -> str:
        return ""

    plain = copy.copy(param_type)
    plain.__class__ = type(f"Plain{base.__name__}", (base,), {"get_metavar": get_metavar})
    return plain


def plain_arguments(command: Any) -> None:
    """Give every argument of a click command and of its subcommands the plain spelling (idempotent).

    Duck-typed: typer runs on a click of its own (vendored in recent versions), so no click class is named here.
    """
    for param in command.params:
        if isinstance(param, TyperArgument) and not isinstance(param, PlainArgument):
            param.__class__ = PlainArgument
            param.type = _untyped(param.type)
    for sub in (getattr(command, "commands", None) or {}).values():
        plain_arguments(sub)


class PlainHelpGroup(TyperGroup):
    """A typer group whose commands' arguments are spelled plainly in the help (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_arguments(self)
