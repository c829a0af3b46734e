from __future__ import annotations

from collections.abc import Mapping
from typing import (
    Any,
    Literal,
    Self,
    TypeVar,
    cast,
)

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="JobComplete")


@_attrs_define
class JobComplete:
    """The job is done and its video is ready."""

    result: Literal["success"]
    status: Literal["inference_complete"]
    video_id: str
    """ The finished video's id, for `/api/video/{videoId}` and its download. Distinct from the `jobId`. """
    video_url: str | Unset = UNSET
    """ A URL of the finished video, if the API gives one here. Optional: use `/api/video/{videoId}` for a signed
    `downloadUrl`. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        result = self.result

        status = self.status

        video_id = self.video_id

        video_url = self.video_url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "result": result,
                "status": status,
                "videoId": video_id,
            }
        )
        if video_url is not UNSET:
            field_dict["videoUrl"] = video_url

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        result = cast(Literal["success"], d.pop("result"))
        if result != "success":
            raise ValueError(f"result must match const 'success', got '{result}'")

        status = cast(Literal["inference_complete"], d.pop("status"))
        if status != "inference_complete":
            raise ValueError(
                f"status must match const 'inference_complete', got '{status}'"
            )

        video_id = d.pop("videoId")

        video_url = d.pop("videoUrl", UNSET)

        job_complete = cls(
            result=result,
            status=status,
            video_id=video_id,
            video_url=video_url,
        )

        job_complete.additional_properties = d
        return job_complete

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
