from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="MediaInitializeRequest")


@_attrs_define
class MediaInitializeRequest:
    """Describe the audio file to upload."""

    file_name: str
    """ The file's name. """
    content_type: str
    """ The file's media type, such as `audio/wav` or `image/png` (the docs' example). Any file may be uploaded; a
    multipart create needs an audio file. """
    file_size: int
    """ The file's size in bytes, at most 100 MiB. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        file_name = self.file_name

        content_type = self.content_type

        file_size = self.file_size

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "fileName": file_name,
                "contentType": content_type,
                "fileSize": file_size,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        file_name = d.pop("fileName")

        content_type = d.pop("contentType")

        file_size = d.pop("fileSize")

        media_initialize_request = cls(
            file_name=file_name,
            content_type=content_type,
            file_size=file_size,
        )

        media_initialize_request.additional_properties = d
        return media_initialize_request

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
