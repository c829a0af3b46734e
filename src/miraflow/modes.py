"""Which generation mode a create selects, and the `im2vid_full` it sends, decided from the spec's lifecycle.

A photo avatar has two modes told apart by `im2vid_full`: the SDK always sends it (false unless
`full_background=True`), so the mode never depends on a server default. A video avatar has one mode and the flag is
ignored: the SDK never sends it, and refuses `full_background=True` before any request, so no credits are spent.
"""

from __future__ import annotations

import attrs

from miraflow._exceptions import ModeNotSupportedError
from miraflow.spec import Mode, lifecycle
from miraflow.types import Avatar

__all__ = ["ModeChoice", "choose_mode"]


@attrs.frozen
class ModeChoice:
    """The mode a create selects and the `im2vid_full` to send for it (None: leave the field out)."""

    mode: Mode
    im2vid_full: bool | None


def choose_mode(avatar: Avatar, *, full_background: bool | None) -> ModeChoice:
    """Choose the generation mode for `avatar` given the caller's `full_background` (None: the default).

    Raises `ModeNotSupportedError` when `full_background=True` asks for a mode this kind of avatar does not have.
    """
    lc = lifecycle()
    kind = "photo" if avatar.is_photo else "video"
    modes = [mode for mode in lc.modes.values() if mode.avatar_is_photo == avatar.is_photo]
    selectable = {mode.im2vid_full for mode in modes if mode.im2vid_full is not None}
    if not selectable:  # a single mode for this kind of avatar: the flag is ignored, so it is never sent
        if full_background:
            raise ModeNotSupportedError(
                f"avatar {avatar.name!r} ({avatar.id}) is a {kind} avatar: full-background output needs a photo "
                "avatar. Nothing was sent and no credits were spent; leave full_background unset for this avatar",
                avatar=avatar,
            )
        return ModeChoice(mode=lc.mode_for(is_photo=avatar.is_photo, im2vid_full=None), im2vid_full=None)
    value = bool(full_background)
    if value not in selectable:
        raise ModeNotSupportedError(
            f"avatar {avatar.name!r} ({avatar.id}) has no mode with full_background={value}; nothing was sent",
            avatar=avatar,
        )
    return ModeChoice(mode=lc.mode_for(is_photo=avatar.is_photo, im2vid_full=value), im2vid_full=value)
