"""Schemathesis, stateful: sequences that follow the spec's links, create → status → video detail and download."""

from __future__ import annotations

import time
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck

from contract_tests.conftest import Target, excluded_checks_for
from miraflow.spec import lifecycle


@pytest.mark.stateful
@pytest.mark.creates
def test_workflow_follows_the_links(stateful_schema: Any, target: Target) -> None:
    """Every response along create → status → video → download conforms, and each link's target answers."""
    longest = max(mode.duration.max for mode in lifecycle().modes.values()) * target.time_scale

    class Workflow(stateful_schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            target.prepare(case)
            if case.operation.label.startswith("POST /api/video/create"):
                if target.budget.exhausted:
                    hypothesis.reject()  # the live budget is spent: no more creates
                target.budget.take()

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            created = case.operation.label.startswith("POST /api/video/create") and response.status_code == 200
            if created and target.time_scale < 0.01:
                time.sleep(longest)  # let it complete, so the status → video links can be followed

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(
                response, excluded_checks=excluded_checks_for(case, response), transport_kwargs=kwargs or None
            )

    Workflow.run(
        settings=hypothesis.settings(
            max_examples=15 if target.name == "simulator" else 3,
            stateful_step_count=6,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    if target.admin_url:  # the simulator's journal proves the links were followed to a finished video
        answered = {
            (entry["operationId"], entry["status"])
            for entry in target.admin("GET", "/requests")["requests"]
            if entry["operationId"] in ("getVideo", "downloadVideo")
        }
        assert {("getVideo", 200), ("downloadVideo", 200)} <= answered
