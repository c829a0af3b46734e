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

T = TypeVar("T", bound="JobWorking")


@_attrs_define
class JobWorking:
    """The job is rendering."""

    result: Literal["success"]
    status: Literal["inference_working"]
    progress: str | Unset = UNSET
    """ How far rendering is, as a whole percentage from "0%" to "100%". It never decreases. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        result = self.result

        status = self.status

        progress = self.progress

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "result": result,
                "status": status,
            }
        )
        if progress is not UNSET:
            field_dict["progress"] = progress

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        result = cast(Literal["success"], d.pop("result"))
        if result != "success":
            raise ValueError(f"result must match const 'success', got '{result}'")

        status = cast(Literal["inference_working"], d.pop("status"))
        if status != "inference_working":
            raise ValueError(
                f"status must match const 'inference_working', got '{status}'"
            )

        progress = d.pop("progress", UNSET)

        job_working = cls(
            result=result,
            status=status,
            progress=progress,
        )

        job_working.additional_properties = d
        return job_working

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
