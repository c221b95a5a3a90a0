"""Every shell command in README.md is checked, so a renamed flag, extra or module breaks CI, not a user.

Each command (fenced ``bash`` blocks, and inline code that starts with ``python -m``, ``python -c``, ``bash``
or ``mlflow``) is classified and checked: ``search`` commands are parsed by the real CLI parser, and those
that need no server run for real on bundled data with a small budget the test adds; pip installs name extras
that exist; benchmark modules answer ``--help``; MLflow commands use flags MLflow has; the test command is
exactly ``.ci/run``'s. A command of a kind this test does not know fails it: extend the test with the README.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SMALL_BUDGET = ["--trials", "1", "--epochs", "2", "--seeds", "2", "--families", "relu,tanh,sigmoid", "--workers", "1"]
# (three families: the cross-dataset ranking needs at least three)
EXTERNAL = {"createdb", "export"}  # PostgreSQL's own tools and the shell's: documented, not checked here
# Parsed but not run here: commands that need a server, or files of the repository or ../shared (they run in
# their own tests: tests/search/parallel/test_custom_families.py, tests/search/study/test_builders.py).
REMOTE = re.compile(r"postgresql://|http://|https://|\.py\b|\.\./shared")


def readme_commands(text: str = README) -> list[str]:
    """Every command of the README, continuation lines joined and ``&&`` chains split, comments dropped."""
    commands: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", re.sub(r"^\s*#.*$", "", block, flags=re.M))
        for line in joined.splitlines():
            commands += _split_chain(line.split("  #")[0])
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    for span in re.findall(r"`([^`\n]+)`", prose):
        if re.match(r"(python -m |python -c |bash |mlflow )", span):
            commands += _split_chain(span)
    return list(dict.fromkeys(commands))


def _split_chain(line: str) -> list[str]:
    return [re.sub(r"[ \t]+", " ", part).strip() for part in line.split("&&") if part.strip()]


def words(command: str) -> list[str]:
    """The command's words without leading ``NAME=value`` environment assignments."""
    argv = shlex.split(command)
    while argv and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", argv[0]):
        argv.pop(0)
    return argv


def kind(argv: list[str]) -> str:
    if argv[:3] == ["python", "-m", "pip"]:
        return "pip"
    if argv[:3] == ["python", "-m", "search"]:
        return "search"
    if argv[:2] == ["python", "-m"] and argv[2].startswith("bench."):
        return "bench"
    if argv[:3] in (["python", "-m", "pytest"], ["ruff", "check", "."]):
        return "tests"
    if argv[:2] == ["python", "-c"]:
        return "python-c"
    if argv[0] == "bash":
        return "bash"
    if argv[0] == "mlflow":
        return "mlflow"
    if argv[0] in EXTERNAL:
        return "external"
    return "unknown"


def test_the_readme_has_the_two_commands_and_the_extractor_finds_them() -> None:
    commands = readme_commands()
    assert 'python -m pip install -e ".[cpu]"' in commands and "python -m search run" in commands
    assert readme_commands("```bash\nA=1 python -m search run \\\n  --epochs 2  # note\n```\n`bash x.sh` and `ls`") == [
        "A=1 python -m search run --epochs 2",
        "bash x.sh",
    ]


def test_every_command_is_of_a_known_kind() -> None:
    unknown = [c for c in readme_commands() if kind(words(c)) == "unknown"]
    assert unknown == []


def test_the_test_command_is_exactly_what_ci_runs() -> None:
    block = re.search(r"run the tests.*?```bash\n(.*?)\n```", README, flags=re.S)
    assert block is not None, "README lost its test command"
    ci_line = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert block.group(1).strip() == ci_line


def test_pip_installs_name_extras_that_exist() -> None:
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    for argv in (words(c) for c in readme_commands()):
        if kind(argv) == "pip":
            target = argv[argv.index("-e") + 1]
            asked = set(re.findall(r"\[(.*)\]", target)[0].split(",")) if "[" in target else set()
            assert asked <= extras, f"{' '.join(argv)}: no extra {sorted(asked - extras)}"


def test_search_commands_parse() -> None:
    from search.cli import build_parser

    parser = build_parser()
    for argv in (words(c) for c in readme_commands()):
        if kind(argv) == "search":
            try:
                parser.parse_args(argv[3:])
            except SystemExit as exc:
                if exc.code == 0 and "--help" in argv:
                    continue
                pytest.fail(f"README command does not parse ({exc.code}): {' '.join(argv)}")


def test_bash_scripts_exist() -> None:
    for argv in (words(c) for c in readme_commands()):
        if kind(argv) == "bash":
            assert (ROOT / argv[1]).is_file(), argv


@pytest.mark.parametrize("argv", [words(c) for c in readme_commands() if kind(words(c)) == "mlflow"],
                         ids=lambda argv: " ".join(argv[:2]))
def test_mlflow_commands_use_flags_mlflow_has(argv: list[str]) -> None:
    help_text = subprocess.run([sys.executable, "-m", "mlflow", argv[1], "--help"], capture_output=True, text=True,
                               check=True, timeout=120).stdout
    for flag in (w for w in argv[2:] if w.startswith("--")):
        assert flag in help_text, f"mlflow {argv[1]} has no {flag}"


@pytest.mark.slow
def test_benchmark_modules_answer_help() -> None:
    for argv in (words(c) for c in readme_commands()):
        if kind(argv) == "bench":
            done = subprocess.run([sys.executable, "-m", argv[2], "--help"], cwd=ROOT, capture_output=True, text=True,
                                  timeout=300)
            assert done.returncode == 0 and "usage:" in done.stdout, (argv, done.stderr[-500:])


def test_python_c_commands_run() -> None:
    for argv in (words(c) for c in readme_commands()):
        if kind(argv) == "python-c":
            done = subprocess.run([sys.executable, "-c", argv[2]], cwd=ROOT, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, (argv, done.stderr[-500:])


def runnable_search_commands() -> Iterator[list[str]]:
    """The ``search`` commands that need no server, in README order: runs first, then reports."""
    found = [words(c) for c in readme_commands() if kind(words(c)) == "search" and not REMOTE.search(c)]
    yield from (a for a in found if a[3] == "run")
    yield from (a for a in found if a[3] == "report")


@pytest.mark.slow
def test_the_readme_search_commands_run_on_bundled_data(tmp_path: Path) -> None:
    """Every runnable ``search`` command, as written plus a small budget, in one working directory: the
    default stores of the runs are the ones the README's ``report`` commands then read."""
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "2", "HOME": str(tmp_path)}
    ran = []
    for argv in runnable_search_commands():
        extra = SMALL_BUDGET if argv[3] == "run" else []
        done = subprocess.run([sys.executable, *argv[1:], *extra], cwd=tmp_path, capture_output=True, text=True,
                              env=env, timeout=900)
        assert done.returncode == 0, f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-2000:]}"
        ran.append(" ".join(argv[3:]))
    assert any(r == "run" for r in ran) and any(r.startswith("report") for r in ran), ran
    assert (tmp_path / "out" / "datasets.md").is_file() and (tmp_path / "out" / "datasets.json").is_file()
