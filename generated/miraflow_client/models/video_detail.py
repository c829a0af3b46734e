from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="VideoDetail")


@_attrs_define
class VideoDetail:
    """A completed video's metadata with a link to its file."""

    id: str
    """ The video's id. """
    name: str
    """ The name given when the video was created. """
    created_at: datetime.datetime
    """ When the video was created (a date-time, as in Video). """
    download_url: str
    """ A signed URL to the MP4 file. It expires; fetch a fresh one from this endpoint when it has. """
    source_avatar_id: str | Unset = UNSET
    """ The avatar the video was made with. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        name = self.name

        created_at = self.created_at.isoformat()

        download_url = self.download_url

        source_avatar_id = self.source_avatar_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "name": name,
                "createdAt": created_at,
                "downloadUrl": download_url,
            }
        )
        if source_avatar_id is not UNSET:
            field_dict["sourceAvatarId"] = source_avatar_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        name = d.pop("name")

        created_at = datetime.datetime.fromisoformat(d.pop("createdAt"))

        download_url = d.pop("downloadUrl")

        source_avatar_id = d.pop("sourceAvatarId", UNSET)

        video_detail = cls(
            id=id,
            name=name,
            created_at=created_at,
            download_url=download_url,
            source_avatar_id=source_avatar_id,
        )

        video_detail.additional_properties = d
        return video_detail

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
