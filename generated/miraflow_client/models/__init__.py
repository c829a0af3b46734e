"""Contains all the data models used in inputs/outputs"""

from .avatar import Avatar
from .avatar_list import AvatarList
from .create_video_from_audio_request import CreateVideoFromAudioRequest
from .create_video_from_audio_request_im_2_vid_full import (
    CreateVideoFromAudioRequestIm2VidFull,
)
from .create_video_request import CreateVideoRequest
from .create_video_response import CreateVideoResponse
from .error import Error
from .job_complete import JobComplete
from .job_errored import JobErrored
from .job_failed import JobFailed
from .job_queued import JobQueued
from .job_working import JobWorking
from .media_finalize_request import MediaFinalizeRequest
from .media_finalize_response import MediaFinalizeResponse
from .media_initialize_request import MediaInitializeRequest
from .media_initialize_response import MediaInitializeResponse
from .video import Video
from .video_detail import VideoDetail
from .video_list import VideoList
from .voice import Voice
from .voice_list import VoiceList

__all__ = (
    "Avatar",
    "AvatarList",
    "CreateVideoFromAudioRequest",
    "CreateVideoFromAudioRequestIm2VidFull",
    "CreateVideoRequest",
    "CreateVideoResponse",
    "Error",
    "JobComplete",
    "JobErrored",
    "JobFailed",
    "JobQueued",
    "JobWorking",
    "MediaFinalizeRequest",
    "MediaFinalizeResponse",
    "MediaInitializeRequest",
    "MediaInitializeResponse",
    "Video",
    "VideoDetail",
    "VideoList",
    "Voice",
    "VoiceList",
)
