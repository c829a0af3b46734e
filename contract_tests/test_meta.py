"""Proof that the suite can fail: for each of the simulator's `--bug`s, the suite run against it must fail, and say
which test caught it. A bug that no test catches fails this meta-test.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
# Where each bug is expected to be caught first (the whole suite runs; these only order the report).
BUGS = [
    "progress-regress",
    "missing-video-id",
    "ignore-im2vid-full",
    "cross-tenant-leak",
    "wrong-download-type",
    "terminal-not-absorbing",
    "accept-any-key",
]


@pytest.mark.simulator
@pytest.mark.parametrize("bug", BUGS)
def test_the_suite_catches_the_bug(bug: str, seed: int) -> None:
    """Run the contract suite against `miraflow-mock serve --bug <bug>`: it must fail, naming the catching test."""
    command = [
        sys.executable, "-m", "pytest", str(HERE), "--target", "simulator", "--simulator-bug", bug,
        "--seed", str(seed), "--no-shrink", "-x", "-q", "-rf", "-p", "no:cacheprovider",
        "--deselect", f"{HERE.name}/test_meta.py", "--deselect", f"{HERE.name}/test_blind_spots.py",
        "-o", "addopts=",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=HERE.parent)
    caught = re.findall(r"^(?:FAILED|SUBFAILED|ERROR) (\S+)", result.stdout, flags=re.MULTILINE)
    print(f"--bug {bug}: caught by {caught[0] if caught else 'nothing'}")
    assert result.returncode == 1 and caught, (
        f"the contract suite did not catch --bug {bug} (exit {result.returncode}):\n{result.stdout[-3000:]}"
    )
    assert not re.search(r"^ERROR ", result.stdout, flags=re.MULTILINE), (
        f"errors, not failures:\n{result.stdout[-3000:]}"
    )
