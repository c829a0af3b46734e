"""Finding an avatar or a voice from what a person typed: its id or its name. One rule, for the SDK, CLI and campaigns.

An exact id wins; else an exact name; else a name equal ignoring case. Several matches at the first step that has any
are an error listing the candidates (`AmbiguousAvatarError`, `AmbiguousVoiceError`); none is `None` (the caller says
what is missing, or raises `unknown`'s `NotFoundError`, which lists what exists).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, TypeVar

from miraflow._exceptions import AmbiguousAvatarError, AmbiguousNameError, AmbiguousVoiceError, NotFoundError

__all__ = ["Kind", "Named", "find_by_ref", "find_known", "unknown"]

Kind = Literal["avatar", "voice"]


class Named(Protocol):
    """What the resolver needs of an item: its id and its name."""

    @property
    def id(self) -> str:
        """Its id."""
        ...

    @property
    def name(self) -> str:
        """Its name."""
        ...


N = TypeVar("N", bound=Named)

_AMBIGUOUS: dict[str, type[AmbiguousNameError]] = {"avatar": AmbiguousAvatarError, "voice": AmbiguousVoiceError}


def find_by_ref(ref: str, items: Sequence[N], *, kind: Kind) -> N | None:
    """The item whose id is `ref`, else whose name is `ref` exactly, else ignoring case; None if there is none.

    Raises `AmbiguousAvatarError` / `AmbiguousVoiceError` (per `kind`) when several share the name that matched.
    """
    folded = ref.casefold()
    for matches in (
        [item for item in items if item.id == ref],
        [item for item in items if item.name == ref],
        [item for item in items if item.name.casefold() == folded],
    ):
        if len(matches) == 1:
            return matches[0]
        if matches:
            ids = tuple(item.id for item in matches)
            raise _AMBIGUOUS[kind](
                f"{len(matches)} {kind}s are named {ref!r} ({', '.join(ids)}); pass the id instead", candidates=ids
            )
    return None


def find_known(ref: str, items: Sequence[N], *, kind: Kind) -> N:
    """The item `ref` names (`find_by_ref`'s rule); `unknown`'s `NotFoundError` if there is none."""
    found = find_by_ref(ref, items, kind=kind)
    if found is None:
        raise unknown(ref, items, kind=kind)
    return found


def unknown(ref: str, items: Sequence[Named], *, kind: Kind) -> NotFoundError:
    """The error for an id or name the account does not have (raised before any create is sent), listing a few."""
    known = ", ".join(f"{item.name!r} ({item.id})" for item in items[:10])
    more = f" and {len(items) - 10} more" if len(items) > 10 else ""
    listing = f"; the account's {kind}s: {known}{more}" if items else f"; the account has no {kind}s"
    return NotFoundError(f"no {kind} has the id or name {ref!r}{listing}", status_code=404)
