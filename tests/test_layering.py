"""The architecture, enforced.

- ``spaces`` and ``trainers`` never import optuna, mlflow or keras_tuner (nor ``search``);
- within ``search``, only ``search/tracking.py`` imports mlflow;
- ``search``'s parts depend only downwards: base modules → tracking → study → parallel | verdict → stages →
  sweep → cli; a sub-package is used from outside only through the public names its ``__init__`` lists;
- no import cycles between ``search``'s modules (function-level and type-only imports included);
- functions in ``search/`` stay short enough to read at once, modules small enough to take in;
- light commands stay light: ``--help`` imports neither TensorFlow nor MLflow.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SUBPACKAGES = ("study", "parallel", "verdict", "stages", "sweep", "cli")
# What each part of ``search`` may import (besides itself). "base": the top-level helper modules.
ALLOWED = {
    "base": set(),
    "tracking": {"base"},
    "study": {"base", "tracking"},
    "parallel": {"base", "tracking", "study"},
    "verdict": {"base", "tracking", "study"},
    "stages": {"base", "tracking", "study", "parallel", "verdict"},
    "sweep": {"base", "tracking", "study", "verdict", "stages"},
    "cli": {"base", "study", "parallel", "verdict", "stages", "sweep"},
    "root": {"base", "tracking", "cli"},  # search/__init__.py (its load_model) and search/__main__.py
}
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 400


def imports(path: Path, package: str | None = None) -> Iterator[tuple[str, list[str]]]:
    """``(module, names)`` for every import statement of a file, wherever it is (relative imports resolved
    against ``package``, by default the file's own); ``names`` is empty for ``import module``."""
    if package is None:
        package = module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else module_name(path)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            yield base, [alias.name for alias in node.names]


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports, wherever the import statement is."""
    return {module.split(".")[0] for module, _ in imports(path) if module}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def python_files(package: str) -> list[Path]:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no Python files under {package}/"
    return files


def part_of(module: str) -> str:
    parts = module.split(".")
    if parts == ["search"] or parts == ["search", "__main__"]:
        return "root"
    if parts[1] in SUBPACKAGES:
        return parts[1]
    return "tracking" if parts[1] == "tracking" else "base"


def public_names(subpackage: str) -> dict[str, str]:
    """A sub-package's public names, each mapped to the module that defines it, read from the
    ``lazy_exports`` table of its ``__init__`` (without importing it)."""
    init = ROOT / "search" / subpackage / "__init__.py"
    for node in ast.walk(ast.parse(init.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "lazy_exports":
            table = ast.literal_eval(node.args[1])
            return {name: f"search.{subpackage}.{module}" for module, names in table.items() for name in names}
    if subpackage == "cli":
        return {}
    raise AssertionError(f"search/{subpackage}/__init__.py lists no public names (lazy_exports)")


def search_edges() -> dict[str, set[str]]:
    """Module → the ``search`` modules it imports; a public name resolves to the module that defines it."""
    edges: dict[str, set[str]] = {}
    for path in python_files("search"):
        source = module_name(path)
        targets = edges.setdefault(source, set())
        for module, names in imports(path):
            if not module.startswith("search"):
                continue
            sub = module.split(".")[1] if module.count(".") == 1 else None
            table = public_names(sub) if sub in SUBPACKAGES else {}
            resolved = {table[n] for n in names if n in table}
            targets.update(resolved or {module})
            targets.update(f"{module}.{n}" for n in names if (ROOT / Path(*f"{module}.{n}".split("."))).with_suffix(".py").exists())
        targets.discard(source)
    return edges


@pytest.mark.parametrize("package", ["spaces", "trainers"])
def test_spaces_and_trainers_never_import_tuning_or_tracking(package: str) -> None:
    banned = {"optuna", "optuna_integration", "mlflow", "keras_tuner", "search"}
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & banned)
        for path in python_files(package)
        if imported_modules(path) & banned
    }
    assert offenders == {}


def test_only_the_tracking_package_imports_mlflow() -> None:
    importers = [str(p.relative_to(ROOT)) for p in python_files("search") if "mlflow" in imported_modules(p)]
    assert importers and all(name.startswith("search/tracking/") for name in importers), importers


def test_search_parts_depend_only_downwards() -> None:
    offenders = sorted(
        f"{source} ({part_of(source)}) imports {target} ({part_of(target)})"
        for source, targets in search_edges().items()
        for target in targets
        if part_of(target) != part_of(source) and part_of(target) not in ALLOWED[part_of(source)]
    )
    assert offenders == []


def test_a_subpackage_is_used_from_outside_only_through_its_public_names() -> None:
    offenders = []
    for path in python_files("search"):
        source = module_name(path)
        for module, names in imports(path):
            parts = module.split(".")
            if parts[0] != "search" or len(parts) < 2 or parts[1] not in SUBPACKAGES or part_of(source) == parts[1]:
                continue
            if len(parts) > 2 and parts[1] != "cli":
                offenders.append(f"{source}: from {module} import ... (use search.{parts[1]})")
            elif parts[1] != "cli":
                offenders += [f"{source}: {module}.{n} is not public" for n in names if n not in public_names(parts[1])]
    assert offenders == []


def test_every_public_name_is_defined_where_its_package_says() -> None:
    for sub in SUBPACKAGES:
        for name, module in public_names(sub).items():
            tree = ast.parse((ROOT / Path(*module.split("."))).with_suffix(".py").read_text(encoding="utf-8"))
            defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
            defined |= {t.id for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
                        for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
            assert name in defined, f"{name} is listed by search.{sub} but not defined in {module}"


def test_no_import_cycles_in_search() -> None:
    cycles = find_cycles(search_edges())
    assert cycles == []


def find_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in edges:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_functions_and_modules_in_search_are_short() -> None:
    long = []
    for path in python_files("search"):
        text = path.read_text(encoding="utf-8")
        name = str(path.relative_to(ROOT))
        if len(text.splitlines()) > MAX_MODULE_LINES:
            long.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                size = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if size > MAX_FUNCTION_LINES:
                    long.append(f"{name}: {node.name}() {size} lines")
    assert long == []


def test_the_checker_sees_function_level_and_relative_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import mlflow.tracking\n    from optuna import trial\n    from .x import y\n")
    assert sorted(imports(sample, package="search.study")) == [
        ("mlflow.tracking", []), ("optuna", ["trial"]), ("search.study.x", ["y"])
    ]


LIGHT_PROBE = """
import runpy, sys
sys.argv = {argv!r}
try:
    runpy.run_module("search", run_name="__main__")
except SystemExit as exc:
    assert exc.code == 0, exc.code
heavy = sorted(m for m in ("tensorflow", "keras", "mlflow", "optuna", "sklearn", "numpy", "pandas") if m in sys.modules)
print("HEAVY=" + ",".join(heavy))
"""


@pytest.mark.parametrize(
    "argv",
    [["search", "--help"], ["search", "run", "--help"], ["search", "worker", "--help"], ["search", "report", "--help"],
     ["search", "sweep", "--help"]],
)
def test_help_imports_no_heavy_library(argv: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-c", LIGHT_PROBE.format(argv=argv)], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "usage:" in out
    assert out.strip().splitlines()[-1] == "HEAVY="
