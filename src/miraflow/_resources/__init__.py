"""The clients' resources (`avatars`, `voices`, `videos`, `jobs`), each a sync and async twin side by side."""

from __future__ import annotations

from miraflow._resources.avatars import AsyncAvatars, Avatars
from miraflow._resources.jobs import AsyncJobs, Jobs
from miraflow._resources.videos import AsyncVideos, Videos
from miraflow._resources.voices import AsyncVoices, Voices

__all__ = ["AsyncAvatars", "AsyncJobs", "AsyncVideos", "AsyncVoices", "Avatars", "Jobs", "Videos", "Voices"]
