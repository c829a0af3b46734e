"""The import rules of shared/DESIGN.md, checked in fresh interpreters: arrows point one way."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import attrs
import pytest


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(result.stdout.split())


@pytest.mark.parametrize(
    ("statement", "forbidden"),
    [
        # The spec loader is what the mock and the contract suite import: it must not drag in the SDK.
        ("import miraflow.spec", ("miraflow._client", "miraflow_client", "httpx")),
        # So is the folder-fsync helper the simulator's renderer shares with the SDK's downloads.
        ("import miraflow.durable", ("miraflow._client", "miraflow_client", "httpx")),
        # And the ready line, which the mock prints and the CLI, the contract suite and the benches parse.
        ("import miraflow.ready_line", ("miraflow._client", "miraflow_client", "httpx")),
        # The in-process mock intercepts httpx, but never loads the SDK or the generated client.
        ("import miraflow_mock.inprocess", ("miraflow._client", "miraflow._base_client", "miraflow_client")),
        ("import miraflow_mock.simulator.render", ("miraflow._client", "miraflow._base_client", "miraflow_client")),
        # The simulator imports miraflow.spec only: never the SDK, never the generated client.
        ("import miraflow_mock.simulator.app", ("miraflow._client", "miraflow._base_client", "miraflow_client")),
        ("import miraflow_mock.cli", ("miraflow._client", "miraflow_client")),
    ],
)
def test_imports_follow_the_design(statement: str, forbidden: tuple[str, ...]) -> None:
    loaded = _loaded_after(statement)
    leaked = sorted(name for name in loaded if name.startswith(forbidden))
    assert not leaked, f"{statement} imported {leaked}"


def test_the_sdk_still_loads_on_first_use() -> None:
    loaded = _loaded_after("import miraflow; miraflow.Miraflow")
    assert "miraflow._client" in loaded


# --- inside src/miraflow: the diagram in ARCHITECTURE.md, module by module -------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "miraflow"
ENTRY_POINTS = {"miraflow.batch.__main__"}  # `python -m miraflow.batch` runs the CLI: outside the layers by design


@attrs.frozen
class Layer:
    name: str
    patterns: tuple[str, ...]
    allowed: frozenset[str]

    def holds(self, module: str) -> bool:
        for pattern in self.patterns:
            if pattern.endswith("*"):
                prefix = pattern[:-1]
                if module.startswith(prefix) or module == prefix.rstrip("."):
                    return True
            elif module == pattern:
                return True
        return False


def parse_layers(text: str) -> list[Layer]:
    """The layers of the fenced block between `<!-- layers -->` and `<!-- /layers -->`."""
    block = text.split("<!-- layers -->", 1)[1].split("<!-- /layers -->", 1)[0]
    entries: list[str] = []
    for line in block.strip().strip("`").strip().splitlines():
        if line.startswith((" ", "\t")) and entries:
            entries[-1] += " " + line.strip()
        elif line.strip():
            entries.append(line.strip())
    layers = []
    for entry in entries:
        left, right = entry.split("▶")
        name, *patterns = left.split()
        allowed = frozenset(word for word in right.split() if word != "-")
        layers.append(Layer(name, tuple(patterns), allowed))
    return layers


def layer_of(module: str, layers: list[Layer]) -> Layer | None:
    holders = [layer for layer in layers if layer.holds(module)]
    assert len(holders) <= 1, f"{module} is in several layers: {[layer.name for layer in holders]}"
    return holders[0] if holders else None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(tree: ast.AST, module: str, *, is_package: bool) -> list[tuple[int, str]]:
    """Every module an import statement names (`from a import b` names `a`, and `a.b` if that is a module)."""
    found: list[tuple[int, str]] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                if (SRC.parent / Path(*candidate.split("."))).with_suffix(".py").exists() or (
                    SRC.parent / Path(*candidate.split("."))
                ).is_dir():
                    found.append((node.lineno, candidate))
    return found


def layer_violations(source: str, module: str, layers: list[Layer], *, is_package: bool = False) -> list[str]:
    """The imports of `module` (given as source) that its layer may not make."""
    own = layer_of(module, layers)
    assert own is not None, f"{module} is in no layer of ARCHITECTURE.md: add it to the diagram"
    problems = []
    for line, target in imported_modules(ast.parse(source), module, is_package=is_package):
        if not (target == "miraflow" or target.startswith("miraflow.")):
            continue
        theirs = layer_of(target, layers)
        assert theirs is not None, f"{module}:{line} imports {target}, which is in no layer"
        if theirs.name != own.name and theirs.name not in own.allowed:
            problems.append(f"{module}:{line} ({own.name}) imports {target} ({theirs.name})")
    return problems


def _layers() -> list[Layer]:
    return parse_layers((ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8"))


def test_every_module_imports_only_what_the_diagram_allows() -> None:
    layers = _layers()
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        module = module_name(path)
        if module in ENTRY_POINTS:
            continue
        source = path.read_text(encoding="utf-8")
        problems += layer_violations(source, module, layers, is_package=path.name == "__init__.py")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "source",
    [
        "from miraflow._retry import retry_delay",
        "from miraflow._exceptions import APIError",
        "import miraflow._waiter",
        "from .._client import AsyncMiraflow",
        "from miraflow import _base_client",
        "from miraflow.cli import errors",
    ],
)
def test_the_check_catches_campaigns_reaching_into_the_sdk(source: str) -> None:
    assert layer_violations(source, "miraflow.batch.runner", _layers())


def test_the_check_lets_campaigns_use_the_public_seam() -> None:
    source = "from miraflow import AsyncMiraflow, APIError\nfrom miraflow.retries import retry_async\n"
    assert not layer_violations(source, "miraflow.batch.runner", _layers())


def test_campaigns_are_a_plain_library() -> None:
    loaded = _loaded_after("import miraflow.batch")
    # Not click or rich: httpx loads them for its own command line when they are installed.
    leaked = sorted(name for name in loaded if name.startswith(("typer", "miraflow.cli")))
    assert not leaked, f"import miraflow.batch imported {leaked}"


# --- the CLI: one place maps errors to messages and exit codes --------------------------------------------------------


def _error_classes() -> dict[str, type[BaseException]]:
    import miraflow
    import miraflow.batch

    classes: dict[str, type[BaseException]] = {}
    for namespace in (miraflow, miraflow.batch):
        for name in namespace.__all__:
            value = getattr(namespace, name)
            if isinstance(value, type) and issubclass(value, miraflow.MiraflowError | miraflow.batch.LedgerError):
                classes[name] = value
    return classes


def error_mappings(source: str) -> list[str]:
    """Where `source` maps an error itself: catches one of ours and does more than re-raise it, or builds a Failure."""
    errors = _error_classes()
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            caught = [n for n in ast.walk(node.type) if isinstance(n, ast.Name | ast.Attribute)]
            names = {n.id if isinstance(n, ast.Name) else n.attr for n in caught}
            reraises = len(node.body) == 1 and isinstance(node.body[0], ast.Raise) and node.body[0].exc is None
            if names & errors.keys() and not reraises:
                found.append(f"line {node.lineno}: catches {sorted(names & errors.keys())}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Failure":
            found.append(f"line {node.lineno}: builds a Failure")
    return found


def test_the_cli_maps_errors_in_errors_py_only() -> None:
    problems = []
    for path in sorted((SRC / "cli").glob("*.py")):
        if path.name != "errors.py":
            problems += [f"{path.name} {problem}" for problem in error_mappings(path.read_text(encoding="utf-8"))]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "source",
    [
        "try:\n    pass\nexcept ModeNotSupportedError as exc:\n    raise CLIError(str(exc))\n",
        "try:\n    pass\nexcept (APIError, OSError):\n    sys.exit(1)\n",
        "try:\n    pass\nexcept InvalidRowsError:\n    print('bad rows')\n",
        "emit(Failure('no key', 2))\n",
    ],
)
def test_the_check_catches_an_error_mapped_elsewhere(source: str) -> None:
    assert error_mappings(source)


def test_the_check_allows_passing_errors_through() -> None:
    assert not error_mappings(
        "try:\n    pass\nexcept MiraflowError:\n    raise\nexcept ValueError as exc:\n    x = 1\n"
    )
