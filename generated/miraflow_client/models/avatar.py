from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Avatar")


@_attrs_define
class Avatar:
    """An avatar the account can create videos with."""

    id: str
    """ The avatar's id; pass it as `avatarId` when creating a video. """
    name: str
    """ The avatar's display name. """
    created_at: datetime.datetime
    """ When the avatar was created. """
    voice_id: str
    """ The avatar's default voice (see `/api/voices`). """
    is_photo: bool
    """ True for a photo avatar (made from a single photo; `im2vid_full` selects face-cropped or full-background
    generation), false for a video avatar (made from a recording; one generation mode, `im2vid_full` ignored). """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        created_at = self.created_at.isoformat()

        voice_id = self.voice_id

        is_photo = self.is_photo

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "createdAt": created_at,
                "voiceId": voice_id,
                "isPhoto": is_photo,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        name = d.pop("name")

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        voice_id = d.pop("voiceId")

        is_photo = d.pop("isPhoto")

        avatar = cls(
            id=id,
            name=name,
            created_at=created_at,
            voice_id=voice_id,
            is_photo=is_photo,
        )

        avatar.additional_properties = d
        return avatar

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
