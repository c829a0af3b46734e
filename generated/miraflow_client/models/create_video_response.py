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

T = TypeVar("T", bound="CreateVideoResponse")


@_attrs_define
class CreateVideoResponse:
    """A create was accepted and its job started."""

    result: Literal["success"]
    """ Always "success" when the job was accepted. """
    job_id: str
    """ The job to poll at `/api/video/{jobId}/status`. Not the video's id. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        result = self.result

        job_id = self.job_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "result": result,
                "jobId": job_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        result = cast(Literal["success"], d.pop("result"))
        if result != "success":
            raise ValueError(f"result must match const 'success', got '{result}'")

        job_id = d.pop("jobId")

        create_video_response = cls(
            result=result,
            job_id=job_id,
        )

        create_video_response.additional_properties = d
        return create_video_response

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
