"""Schemathesis over every operation of openapi.yaml, stateless, positive and negative data, every check.

Exclusions are per target and carry their reasons (contract_tests/conftest.py).
"""

from __future__ import annotations

import pytest
import schemathesis

from contract_tests.conftest import Target, excluded_checks_for
from miraflow.spec import load_spec

schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_every_operation_conforms(case: schemathesis.Case, target: Target) -> None:
    """Every generated request gets a response whose status, content type, headers and body the contract allows."""
    reason = target.excluded_operations.get(case.operation.definition.raw.get("operationId", ""))
    if reason:
        pytest.skip(reason)
    target.prepare(case)
    response = case.call()
    case.validate_response(response, excluded_checks=excluded_checks_for(case, response))


def test_every_operation_is_covered(api_schema: schemathesis.schemas.BaseSchema, target: Target) -> None:
    """The parametrised test above runs over every operation the spec declares (a target's excluded operations are
    skipped inside it, with their reasons, before anything is sent).
    """
    declared = {
        (method.upper(), path)
        for path, item in load_spec()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    tested = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert tested == declared
