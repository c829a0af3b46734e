from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateVideoRequest")


@_attrs_define
class CreateVideoRequest:
    """Create a video from a text script."""

    avatar_id: str
    """ The avatar to speak the script (an `id` from `/api/avatars`). """
    name: str
    """ A name for the video, shown in `/api/videos`. """
    text: str
    """ The script the avatar speaks: at least one character that is not white space. The public docs give no length
    limit. """
    voice_id: str | Unset = UNSET
    """ A voice from `/api/voices` to use instead of the avatar's own. """
    im2vid_full: bool | Unset = UNSET
    """ Generation mode, for photo avatars only (`isPhoto: true`):
    - `false` (the default when absent): face-cropped output, ~1–2 minutes;
    - `true`: full-background output, ~5–10 minutes (2–3× longer).

    Ignored for video avatars, and safe to send for them: it is never an error.
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        avatar_id = self.avatar_id

        name = self.name

        text = self.text

        voice_id = self.voice_id

        im2vid_full = self.im2vid_full

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "avatarId": avatar_id,
                "name": name,
                "text": text,
            }
        )
        if voice_id is not UNSET:
            field_dict["voiceId"] = voice_id
        if im2vid_full is not UNSET:
            field_dict["im2vid_full"] = im2vid_full

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        avatar_id = d.pop("avatarId")

        name = d.pop("name")

        text = d.pop("text")

        voice_id = d.pop("voiceId", UNSET)

        im2vid_full = d.pop("im2vid_full", UNSET)

        create_video_request = cls(
            avatar_id=avatar_id,
            name=name,
            text=text,
            voice_id=voice_id,
            im2vid_full=im2vid_full,
        )

        create_video_request.additional_properties = d
        return create_video_request

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
