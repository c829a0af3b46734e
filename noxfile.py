"""Every task of the project as a nox session. A bare `nox` runs what CI runs.

`scripts/test` runs these sessions with `--no-venv` inside the project's .venv (installed once); plain `nox -s NAME`
gives each session an isolated virtualenv of its own.
"""

from __future__ import annotations

import difflib
import filecmp
import shutil
import tempfile
from pathlib import Path

import nox

ROOT = Path(__file__).parent
SPEC = ROOT / "openapi.yaml"
GENERATED = ROOT / "generated" / "miraflow_client"
GENERATOR = ROOT / "generator"
NODE_DIR = ROOT / "mock"
REPORTS = ROOT / "reports"

nox.options.sessions = ["check_generated", "lint", "typecheck", "lint_spec", "tests", "contract"]
nox.options.reuse_venv = "yes"
nox.options.error_on_external_run = False


def _install(session: nox.Session) -> None:
    """Install the project with its dev extra, unless the session runs in the caller's environment (--no-venv)."""
    if isinstance(session.virtualenv, nox.virtualenv.PassthroughEnv):
        return
    session.install("-e", ".[dev]")


def _node_tools(session: nox.Session) -> Path:
    """The pinned Node tools (Prism, Spectral), installed with `npm ci` when node_modules is missing."""
    if not (NODE_DIR / "node_modules" / ".bin" / "prism").exists():
        session.run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error", external=True, cwd=str(NODE_DIR))
    return NODE_DIR / "node_modules" / ".bin"


def _compile_sources(session: nox.Session) -> None:
    """Byte-compile the project once, so the many subprocesses the tests start (CLI runs, simulators, batch runs) load
    it instead of compiling it again each time (they all would where PYTHONDONTWRITEBYTECODE is set).
    """
    session.run("python", "-m", "compileall", "-q", "src", "mock/miraflow_mock", "generated", silent=True)


def _generate(session: nox.Session, output: Path) -> None:
    session.run(
        "openapi-python-client",
        "generate",
        "--path",
        str(SPEC),
        "--config",
        str(GENERATOR / "config.yaml"),
        "--custom-template-path",
        str(GENERATOR / "templates"),
        "--meta",
        "none",
        "--output-path",
        str(output),
        "--overwrite",
        silent=True,
    )


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate generated/miraflow_client from openapi.yaml (deterministic; never edit its output by hand)."""
    _install(session)
    _generate(session, GENERATED)
    session.log(f"regenerated {GENERATED.relative_to(ROOT)}")


@nox.session
def check_generated(session: nox.Session) -> None:
    """Fail if the committed generated/ differs from what openapi.yaml and the generator config produce."""
    _install(session)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "miraflow_client"
        _generate(session, fresh)
        differences = _tree_differences(GENERATED, fresh)
    if differences:
        session.error(
            "generated/ is stale or was edited by hand; run `nox -s generate` and commit the result:\n"
            + "\n".join(differences)
        )
    session.log("generated/ matches openapi.yaml")


def _tree_differences(committed: Path, fresh: Path) -> list[str]:
    """A unified diff, file by file, between two generated trees (caches ignored)."""

    def files(root: Path) -> set[Path]:
        return {
            path.relative_to(root)
            for path in root.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and ".ruff_cache" not in path.parts
        }

    out: list[str] = []
    old, new = files(committed), files(fresh)
    out += [f"only in the committed copy: {path}" for path in sorted(old - new)]
    out += [f"missing from the committed copy: {path}" for path in sorted(new - old)]
    for path in sorted(old & new):
        if not filecmp.cmp(committed / path, fresh / path, shallow=False):
            out += difflib.unified_diff(
                (committed / path).read_text().splitlines(),
                (fresh / path).read_text().splitlines(),
                f"committed/{path}",
                f"fresh/{path}",
                lineterm="",
            )
    return out


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff: lint and format check of the hand-written code (generated/ is the generator's)."""
    _install(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Mypy, strict, on src/miraflow and the mock."""
    _install(session)
    session.run("mypy")


@nox.session
def lint_spec(session: nox.Session) -> None:
    """openapi-spec-validator and Spectral with the project's ruleset: zero errors, zero warnings."""
    _install(session)
    session.run("openapi-spec-validator", str(SPEC))
    spectral = _node_tools(session) / "spectral"
    session.run(
        str(spectral),
        "lint",
        "--ruleset",
        str(ROOT / ".spectral.yaml"),
        "--fail-severity",
        "hint",
        str(SPEC),
        external=True,
    )


@nox.session
def tests(session: nox.Session) -> None:
    """Unit and API tests of the hand-written layer (tests/)."""
    _install(session)
    _compile_sources(session)
    REPORTS.mkdir(exist_ok=True)
    session.run("pytest", *(session.posargs or ("tests",)), f"--junitxml={REPORTS / 'tests.xml'}")


@nox.session
def contract(session: nox.Session) -> None:
    """The contract suite (contract_tests/) against every target it can reach here.

    Bare: prism, simulator (with the meta-test that proves each --bug is caught), and the live target pointed at a
    separately started simulator. `nox -s contract -- --target live` (with MIRAFLOW_API_KEY set) checks the real API.
    """
    _install(session)
    _node_tools(session)
    _compile_sources(session)
    REPORTS.mkdir(exist_ok=True)
    if session.posargs:
        session.run("pytest", "contract_tests", *session.posargs, f"--junitxml={REPORTS / 'contract.xml'}")
        return
    for target in ("prism", "simulator"):
        session.run("pytest", "contract_tests", "--target", target, f"--junitxml={REPORTS / f'contract-{target}.xml'}")
    session.run(
        "python", "-m", "contract_tests.live_against_simulator", f"--junitxml={REPORTS / 'contract-live-sim.xml'}"
    )


@nox.session
def bench(session: nox.Session) -> None:
    """The benchmarks: ratios measured side by side in one run (needs wrk: apt-get install wrk)."""
    _install(session)
    _node_tools(session)
    session.run("python", "-m", "bench.simulator", *session.posargs)
    session.run("python", "-m", "bench")
    session.run("python", "-m", "bench.waiter_replay")
    session.run("python", "-m", "bench.batch")


@nox.session
def fuzz(session: nox.Session) -> None:
    """Fuzz every path of the simulator (>= 10,000 cases; 0 server errors); not part of CI, whose short form is
    contract_tests/test_fuzz.py. `nox -s fuzz -- --cases 50000 --seed 7` for a longer run.
    """
    _install(session)
    session.run("python", "-m", "contract_tests.fuzz", *session.posargs)


@nox.session
def soak(session: nox.Session) -> None:
    """The long crash-and-resume campaign (SIGKILLs at random moments over hundreds of rows); not part of CI."""
    _install(session)
    session.run("pytest", "tests/batch", "-m", "slow", *session.posargs, env={"MIRAFLOW_SOAK": "1"})


@nox.session
def clean(session: nox.Session) -> None:
    """Remove reports and caches."""
    for path in (REPORTS, ROOT / ".hypothesis", ROOT / ".pytest_cache", ROOT / ".mypy_cache", ROOT / ".ruff_cache"):
        shutil.rmtree(path, ignore_errors=True)
