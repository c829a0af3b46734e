from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from .. import types
from ..models.create_video_from_audio_request_im_2_vid_full import (
    CreateVideoFromAudioRequestIm2VidFull,
    check_create_video_from_audio_request_im_2_vid_full,
)
from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateVideoFromAudioRequest")


@_attrs_define
class CreateVideoFromAudioRequest:
    """Create a video whose speech is an uploaded audio file instead of a script."""

    avatar_id: str
    """ The avatar to lip-sync to the audio. """
    name: str
    """ A name for the video. """
    media_id: str
    """ A finalized upload's `mediaId` (see `/api/media/initialize`). """
    im2vid_full: CreateVideoFromAudioRequestIm2VidFull | Unset = UNSET
    """ The generation mode of a photo avatar, as in a JSON create; a form field is text, so "true" or "false". """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        avatar_id = self.avatar_id

        name = self.name

        media_id = self.media_id

        im2vid_full: str | Unset = UNSET
        if not isinstance(self.im2vid_full, Unset):
            im2vid_full = self.im2vid_full

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "avatarId": avatar_id,
                "name": name,
                "mediaId": media_id,
            }
        )
        if im2vid_full is not UNSET:
            field_dict["im2vid_full"] = im2vid_full

        return field_dict

    def to_multipart(self) -> types.RequestFiles:
        files: types.RequestFiles = []

        files.append(("avatarId", (None, str(self.avatar_id).encode(), "text/plain")))

        files.append(("name", (None, str(self.name).encode(), "text/plain")))

        files.append(("mediaId", (None, str(self.media_id).encode(), "text/plain")))

        if not isinstance(self.im2vid_full, Unset):
            files.append(
                ("im2vid_full", (None, str(self.im2vid_full).encode(), "text/plain"))
            )

        for prop_name, prop in self.additional_properties.items():
            files.append((prop_name, (None, str(prop).encode(), "text/plain")))

        return files

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        avatar_id = d.pop("avatarId")

        name = d.pop("name")

        media_id = d.pop("mediaId")

        _im2vid_full = d.pop("im2vid_full", UNSET)
        im2vid_full: CreateVideoFromAudioRequestIm2VidFull | Unset
        if isinstance(_im2vid_full, Unset):
            im2vid_full = UNSET
        else:
            im2vid_full = check_create_video_from_audio_request_im_2_vid_full(
                _im2vid_full
            )

        create_video_from_audio_request = cls(
            avatar_id=avatar_id,
            name=name,
            media_id=media_id,
            im2vid_full=im2vid_full,
        )

        create_video_from_audio_request.additional_properties = d
        return create_video_from_audio_request

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
