from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.voice import Voice


T = TypeVar("T", bound="VoiceList")


@_attrs_define
class VoiceList:
    """The response of `GET /api/voices`. Assumption: the list sits under `voices`, as avatars sit under `avatars`."""

    voices: list[Voice]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        voices = []
        for voices_item_data in self.voices:
            voices_item = voices_item_data.to_dict()
            voices.append(voices_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "voices": voices,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.voice import Voice

        d = dict(src_dict)
        voices = []
        _voices = d.pop("voices")
        for voices_item_data in _voices:
            voices_item = Voice.from_dict(voices_item_data)

            voices.append(voices_item)

        voice_list = cls(
            voices=voices,
        )

        voice_list.additional_properties = d
        return voice_list

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
