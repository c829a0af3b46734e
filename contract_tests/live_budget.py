"""The live run's budget plan: which videos it creates, in which order, and how often it polls them.

Creates cost credits, so the few a user allows go first to the mission's property, im2vid_full: an explicit `false` on
a photo avatar (face-cropped, what the SDK and the guide send), then an explicit `true` on a video avatar (ignored:
never an error, never another output). `MIRAFLOW_LIVE_FULL_BACKGROUND=1` adds an explicit `true` on a photo avatar,
a full-background video that costs twice as much and takes 5–10 minutes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from miraflow.spec import Mode, lifecycle

__all__ = ["LivePlan", "PlannedVideo"]

# Polls per shortest render of a mode: enough to see a job working many times, and progress move between polls.
POLLS_PER_RENDER = 20
# Status polls after a job is terminal, to see that its state no longer changes.
POLLS_AFTER_TERMINAL = 3
SHORT_SCRIPT = "Hi there!"


@dataclass(frozen=True)
class PlannedVideo:
    """One budgeted create: the kind of avatar, the im2vid_full sent, and the mode the spec says it selects."""

    label: str
    avatar_is_photo: bool
    im2vid_full: bool | None

    @property
    def mode(self) -> Mode:
        """The generation mode the spec says this create selects."""
        return lifecycle().mode_for(is_photo=self.avatar_is_photo, im2vid_full=self.im2vid_full)


PHOTO_FALSE = PlannedVideo("photo avatar, im2vid_full=false", True, False)
VIDEO_TRUE = PlannedVideo("video avatar, im2vid_full=true", False, True)
PHOTO_TRUE = PlannedVideo("photo avatar, im2vid_full=true", True, True)


@dataclass(frozen=True)
class LivePlan:
    """The live run's settings, read from the environment once."""

    creates: bool
    max_videos: int
    full_background: bool
    time_scale: float
    second_key: bool
    base_url: str
    label: str | None

    @classmethod
    def from_environment(cls) -> LivePlan:
        """MIRAFLOW_LIVE_CREATE, _MAX_VIDEOS (default 2), _FULL_BACKGROUND, _TIME_SCALE, MIRAFLOW_API_KEY_2."""
        return cls(
            creates=os.environ.get("MIRAFLOW_LIVE_CREATE") == "1",
            max_videos=int(os.environ.get("MIRAFLOW_LIVE_MAX_VIDEOS") or "2"),
            full_background=os.environ.get("MIRAFLOW_LIVE_FULL_BACKGROUND") == "1",
            time_scale=float(os.environ.get("MIRAFLOW_LIVE_TIME_SCALE") or "1.0"),
            second_key=bool(os.environ.get("MIRAFLOW_API_KEY_2")),
            base_url=os.environ.get("MIRAFLOW_BASE_URL") or "https://miraflow.ai/api",
            label=os.environ.get("MIRAFLOW_LIVE_LABEL") or None,
        )

    @property
    def budget(self) -> int:
        """Videos the whole run may create: the budget, plus the full-background video when opted in."""
        if not self.creates:
            return 0
        return self.max_videos + (1 if self.full_background else 0)

    @property
    def wanted(self) -> list[PlannedVideo]:
        """Every video the plan would like, most important first."""
        return [PHOTO_FALSE, VIDEO_TRUE, *([PHOTO_TRUE] if self.full_background else [])]

    @property
    def videos(self) -> list[PlannedVideo]:
        """The videos the plan creates, within the budget."""
        return self.wanted[: self.budget]

    def poll_interval(self, mode: Mode) -> float:
        """Seconds between two status polls of a job of `mode`."""
        return max(0.002, mode.duration.min * self.time_scale / POLLS_PER_RENDER)

    def describe(self) -> list[str]:
        """What the run will spend and how it will poll, printed before anything is spent."""
        if not self.creates:
            return ["live budget: 0 videos (read-only; MIRAFLOW_LIVE_CREATE=1 allows creates, which cost credits)"]
        lines = [
            f"live budget: {self.budget} videos (MIRAFLOW_LIVE_MAX_VIDEOS={self.max_videos}"
            f"{' + 1 full background' if self.full_background else ''}); the plan creates, in order:"
        ]
        for index, video in enumerate(self.wanted, 1):
            mode = video.mode
            within = video in self.videos
            lines.append(
                f"  {index}. {video.label} → {mode.name} ({mode.aspect[0]}:{mode.aspect[1]}, "
                f"{mode.duration.min:g}–{mode.duration.max:g} s × {self.time_scale:g}), polled every "
                f"{self.poll_interval(mode):.3g} s{'' if within else ' — not in the budget'}"
            )
        if not self.full_background:
            lines.append("  (MIRAFLOW_LIVE_FULL_BACKGROUND=1 adds photo avatar, im2vid_full=true: full background)")
        lines.append(
            f"  each job is polled {POLLS_PER_RENDER} times per shortest render of its mode, and "
            f"{POLLS_AFTER_TERMINAL} more times once terminal; the rest of the suite reuses these jobs"
        )
        return lines

    def target_label(self) -> str:
        """What the run checked, as the report's title says it."""
        return self.label or f"live API at {self.base_url}"

    def settings(self) -> dict[str, Any]:
        """The settings the report records."""
        return {
            "budget": self.budget,
            "MIRAFLOW_LIVE_FULL_BACKGROUND": int(self.full_background),
            "time scale": self.time_scale,
            "second key": "yes" if self.second_key else "no",
        }
