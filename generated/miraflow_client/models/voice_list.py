from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.voice import Voice


T = TypeVar("T", bound="VoiceList")


@_attrs_define
class VoiceList:
    """The response of `GET /api/voices`: the list sits under `voices`, or under `avatars` as the docs' sample shows it.
    Exactly one of the two is present.

    """

    voices: list[Voice] | Unset = UNSET
    avatars: list[Voice] | Unset = UNSET
    """ The voices, under the key the docs' sample uses. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        voices: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.voices, Unset):
            voices = []
            for voices_item_data in self.voices:
                voices_item = voices_item_data.to_dict()
                voices.append(voices_item)

        avatars: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.avatars, Unset):
            avatars = []
            for avatars_item_data in self.avatars:
                avatars_item = avatars_item_data.to_dict()
                avatars.append(avatars_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if voices is not UNSET:
            field_dict["voices"] = voices
        if avatars is not UNSET:
            field_dict["avatars"] = avatars

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.voice import Voice

        d = dict(src_dict)
        _voices = d.pop("voices", UNSET)
        voices: list[Voice] | Unset = UNSET
        if _voices is not UNSET:
            voices = []
            for voices_item_data in _voices:
                voices_item = Voice.from_dict(voices_item_data)

                voices.append(voices_item)

        _avatars = d.pop("avatars", UNSET)
        avatars: list[Voice] | Unset = UNSET
        if _avatars is not UNSET:
            avatars = []
            for avatars_item_data in _avatars:
                avatars_item = Voice.from_dict(avatars_item_data)

                avatars.append(avatars_item)

        voice_list = cls(
            voices=voices,
            avatars=avatars,
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
