"""Every Python snippet in README.md and mock/README.md type-checks with `mypy --strict`, as a user's code would.

A snippet that cannot (it calls code the reader writes) is listed in `NOT_CHECKED` with the reason; a listed snippet
that starts to type-check, or a listed one that disappears, fails the test so the list stays true.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest
from mypy import api as mypy_api

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("README.md", "mock/README.md")
FENCE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)

# The snippets that are not type-checked, found by a line they contain, with why.
NOT_CHECKED = {
    "app = MyApp(": "calls MyApp, the reader's own application: it is not defined anywhere",
}


@attrs.frozen
class Snippet:
    doc: str
    index: int
    line: int
    code: str

    @property
    def module(self) -> str:
        doc = re.sub(r"\W", "_", self.doc)
        return f"snippet_{doc}_{self.index}"

    def skip_reason(self) -> str | None:
        return next((reason for marker, reason in NOT_CHECKED.items() if marker in self.code), None)


# How the SDK types read in a user's code, checked in the same run: what must pass, and what must be an error.
PROBES = {
    "wait_gives_a_str_video_id": """
from pathlib import Path
from miraflow import AsyncMiraflow, CompletedJob, Miraflow, RawResponse
from miraflow.types import Avatar, Job

def sync(client: Miraflow, job: Job) -> None:
    done: CompletedJob = client.jobs.wait(job)
    video_id: str = done.video_id
    path: Path = client.videos.generate(avatar="Margot", text="Hi", name="Hi", voice="Rachel")
    raw: RawResponse[list[Avatar]] = client.avatars.with_raw_response.list()
    status: int = raw.status_code
    created: Job = client.with_raw_response.videos.create(avatar="Margot", text="Hi", name="Hi").parse()
    quick: Miraflow = client.with_options(timeout=5.0, max_retries=0)
    print(video_id, path, status, created, quick)

async def async_(client: AsyncMiraflow, job: Job) -> None:
    video_id: str = (await client.jobs.wait(job)).video_id
    raw = await client.videos.with_raw_response.download(video_id, "videos/")
    path: Path = raw.parse()
    other: AsyncMiraflow = client.with_options(max_retries=1)
    print(path, other)
""",
    "BEFORE_a_status_video_id_may_be_none": """
from miraflow import Miraflow
from miraflow.types import Job

def before(client: Miraflow, job: Job) -> None:
    client.videos.download(client.jobs.retrieve(job).video_id)  # a poll's status: video_id is str | None
""",
    "BEFORE_raw_parse_keeps_its_type": """
from miraflow import Miraflow

def before(client: Miraflow) -> None:
    count: int = client.videos.with_raw_response.list().parse()  # a list of videos, not an int
""",
}


def snippets() -> list[Snippet]:
    found = []
    for doc in DOCS:
        text = (ROOT / doc).read_text(encoding="utf-8")
        for index, match in enumerate(FENCE.finditer(text)):
            line = text.count("\n", 0, match.start(1)) + 1
            found.append(Snippet(doc, index, line, match.group(1)))
    return found


def _mypy(files: list[Path], config: Path) -> tuple[str, int]:
    stdout, stderr, status = mypy_api.run(
        ["--config-file", str(config), "--no-error-summary", "--show-error-codes", *map(str, files)]
    )
    return stdout + stderr, status


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """mypy --strict over every snippet not listed, in one run: the error lines of each snippet's module."""
    folder = tmp_path_factory.mktemp("snippets")
    config = folder / "mypy.ini"
    paths = ":".join(str(ROOT / part) for part in ("generated", "src", "mock"))
    # tests.simulator.guide_client is Miraflow's own example client, kept verbatim: checked as a library a snippet
    # imports, not for its own annotations.
    config.write_text(
        f"[mypy]\nstrict = True\npython_version = 3.11\nmypy_path = {paths}\n\n[mypy-tests.*]\nignore_errors = True\n",
        encoding="utf-8",
    )
    files = []
    sources = {snippet.module: snippet.code for snippet in snippets()} | {f"probe_{k}": v for k, v in PROBES.items()}
    for module, code in sources.items():
        path = folder / f"{module}.py"
        path.write_text(code, encoding="utf-8")
        files.append(path)
    output, _ = _mypy(files, config)
    errors: dict[str, list[str]] = {module: [] for module in sources}
    for line in output.splitlines():
        name = Path(line.split(":", 1)[0]).stem
        if name in errors:
            errors[name].append(line)
        elif line.strip():
            errors.setdefault("(mypy)", []).append(line)
    return errors


def test_the_docs_have_python_snippets() -> None:
    docs = {snippet.doc for snippet in snippets()}
    assert docs == set(DOCS)


@pytest.mark.slow
@pytest.mark.parametrize("snippet", snippets(), ids=lambda snippet: f"{snippet.doc}:{snippet.line}")
def test_snippet_type_checks_strictly(snippet: Snippet, checked: dict[str, list[str]]) -> None:
    assert not checked.get("(mypy)"), checked.get("(mypy)")
    errors = checked[snippet.module]
    reason = snippet.skip_reason()
    if reason is not None:
        assert errors, f"{snippet.doc} line {snippet.line} now type-checks: take it off NOT_CHECKED"
        pytest.skip(f"{snippet.doc} line {snippet.line} is not type-checked: {reason}")
    assert not errors, f"{snippet.doc} line {snippet.line}:\n" + "\n".join(errors)


def test_every_reason_names_a_snippet() -> None:
    codes = [snippet.code for snippet in snippets()]
    for marker in NOT_CHECKED:
        assert any(marker in code for code in codes), f"no snippet contains {marker!r}: take it off NOT_CHECKED"


@pytest.mark.slow
@pytest.mark.parametrize("probe", sorted(PROBES))
def test_sdk_types_as_a_user_reads_them(probe: str, checked: dict[str, list[str]]) -> None:
    errors = checked[f"probe_{probe}"]
    if probe.startswith("BEFORE_"):  # what the checker must refuse (the README's snippet failed so before)
        assert errors, f"{probe} type-checks, but it is wrong"
    else:
        assert not errors, "\n".join(errors)
