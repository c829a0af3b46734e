from typing import Literal

CreateVideoFromAudioRequestIm2VidFull = Literal["false", "true"]

CREATE_VIDEO_FROM_AUDIO_REQUEST_IM_2_VID_FULL_VALUES: set[
    CreateVideoFromAudioRequestIm2VidFull
] = {
    "false",
    "true",
}


def check_create_video_from_audio_request_im_2_vid_full(
    value: str,
) -> CreateVideoFromAudioRequestIm2VidFull:
    if value in CREATE_VIDEO_FROM_AUDIO_REQUEST_IM_2_VID_FULL_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {CREATE_VIDEO_FROM_AUDIO_REQUEST_IM_2_VID_FULL_VALUES!r}"
    )
