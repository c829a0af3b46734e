"""Faults injected through `POST /__admin/faults`: for the next N requests of one operation, misbehave one way."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

__all__ = ["Fault", "FaultError", "FaultStore"]

_DROP = ("before", "after")


class FaultError(ValueError):
    """A fault description that cannot be applied."""


@dataclass
class Fault:
    """One injected misbehaviour."""

    id: str
    operation_id: str
    remaining: int
    status: int | None = None
    retry_after: float | None = None
    latency: float = 0.0
    drop: str | None = None
    truncate: bool = False
    failure_body: bool = False

    def to_json(self) -> dict[str, Any]:
        """The fault as the admin API shows it."""
        return {
            "id": self.id,
            "operationId": self.operation_id,
            "count": self.remaining,
            "status": self.status,
            "retryAfter": self.retry_after,
            "latency": self.latency,
            "drop": self.drop,
            "truncate": self.truncate,
            "failureBody": self.failure_body,
        }


class FaultStore:
    """Pending faults, consumed in the order they were added."""

    def __init__(self, routes: dict[tuple[str, str], str]) -> None:
        self._routes = routes  # (METHOD, spec path template) → operationId
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, spec: dict[str, Any]) -> Fault:
        """Add a fault from its admin-API description; raises FaultError if it makes no sense."""
        operation_id = spec.get("operationId")
        if operation_id is None:
            key = (str(spec.get("method", "")).upper(), str(spec.get("path", "")))
            operation_id = self._routes.get(key)
            if operation_id is None:
                raise FaultError("name the operation: operationId, or method and the spec's path template")
        elif operation_id not in self._routes.values():
            raise FaultError(f"unknown operationId {operation_id!r}")
        drop = spec.get("drop")
        if drop is True:
            drop = "before"
        if drop not in (None, False, *_DROP):
            raise FaultError('drop is "before" or "after"')
        count = spec.get("count", 1)
        status = spec.get("status")
        if not isinstance(count, int) or count < 1:
            raise FaultError("count must be a positive whole number")
        if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
            raise FaultError("status must be an error status, 400 to 599")
        effects = [status is not None, bool(drop), bool(spec.get("truncate")), bool(spec.get("failureBody"))]
        if sum(effects) > 1:
            raise FaultError("one effect per fault: status, drop, truncate or failureBody (latency combines)")
        if sum(effects) == 0 and not spec.get("latency"):
            raise FaultError("a fault needs an effect: status, latency, drop, truncate or failureBody")
        fault = Fault(
            id=str(next(self._ids)),
            operation_id=operation_id,
            remaining=count,
            status=status,
            retry_after=_number(spec.get("retryAfter")),
            latency=_number(spec.get("latency")) or 0.0,
            drop=drop or None,
            truncate=bool(spec.get("truncate")),
            failure_body=bool(spec.get("failureBody")),
        )
        self._faults.append(fault)
        return fault

    def take(self, operation_id: str | None) -> Fault | None:
        """The fault the next request of this operation suffers, if any (used up as it is taken)."""
        if operation_id is None or not self._faults:
            return None
        for fault in self._faults:
            if fault.operation_id == operation_id:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def pending(self) -> list[Fault]:
        """Faults not used up yet."""
        return list(self._faults)

    def clear(self) -> None:
        """Drop every pending fault."""
        self._faults.clear()


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise FaultError("retryAfter and latency are non-negative numbers of seconds")
    return float(value)
