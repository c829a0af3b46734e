"""Schemathesis over every operation of openapi.yaml, stateless: every response must conform to the contract."""

from __future__ import annotations

import schemathesis

from contract_tests.conftest import Target
from miraflow.spec import load_spec

schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_every_operation_conforms(case: schemathesis.Case, target: Target) -> None:
    """Every generated request gets a response whose status, content type, headers and body the contract allows."""
    target.prepare(case)
    case.call_and_validate()


def test_every_operation_is_covered(api_schema: schemathesis.schemas.BaseSchema) -> None:
    """The parametrised test above runs over every operation the spec declares, none filtered out."""
    declared = {
        (method.upper(), path)
        for path, item in load_spec()["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    tested = {(op.ok().method.upper(), op.ok().path) for op in api_schema.get_all_operations()}
    assert tested == declared
