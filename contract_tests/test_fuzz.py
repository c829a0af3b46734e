"""The short form of `nox -s fuzz`, in CI: every part of the fuzz run, a few hundred cases, no server error.

The full run (`nox -s fuzz`, at least 10,000 cases) is outside CI; its figures are in mock/README.md.
"""

from __future__ import annotations

import io

import pytest

from contract_tests import fuzz


@pytest.mark.simulator
def test_a_short_fuzz_run_finds_no_server_error_and_no_failed_check(seed: int) -> None:
    out = io.StringIO()
    report = fuzz.run(cases=300, seed=seed, out=out)
    assert report.total >= 300, out.getvalue()
    assert {"stateless", "stateful", "parsing", "admin"} <= set(report.cases), out.getvalue()
    assert report.ok, out.getvalue()
    # The hooks took the step outside the API: valid uploads were finalized, so multipart creates saw real media.
    assert any(key.startswith("valid → 200") for key in report.uploads), out.getvalue()
    assert ("finalizeMedia", 200) in report.reached, out.getvalue()
