"""Dependencies point one way: ``search`` uses ``spaces`` and ``trainers``, never the reverse.

- ``spaces`` and ``trainers`` never import optuna, mlflow or keras_tuner (nor ``search``);
- within ``search``, only ``search/tracking.py`` imports mlflow;
- light commands stay light: ``--help`` imports neither TensorFlow nor MLflow.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports, wherever the import statement is."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def python_files(package: str) -> list[Path]:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no Python files under {package}/"
    return files


@pytest.mark.parametrize("package", ["spaces", "trainers"])
def test_spaces_and_trainers_never_import_tuning_or_tracking(package: str) -> None:
    banned = {"optuna", "optuna_integration", "mlflow", "keras_tuner", "search"}
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & banned)
        for path in python_files(package)
        if imported_modules(path) & banned
    }
    assert offenders == {}


def test_only_one_search_module_imports_mlflow() -> None:
    importers = [str(p.relative_to(ROOT)) for p in python_files("search") if "mlflow" in imported_modules(p)]
    assert importers == ["search/tracking.py"]


def test_the_checker_sees_function_level_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import mlflow.tracking\n    from optuna import trial\n")
    assert imported_modules(sample) == {"mlflow", "optuna"}


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


@pytest.mark.parametrize("argv", [["search", "--help"], ["search", "run", "--help"], ["search", "worker", "--help"]])
def test_help_imports_no_heavy_library(argv: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-c", LIGHT_PROBE.format(argv=argv)], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "usage:" in out
    assert out.strip().splitlines()[-1] == "HEAVY="
