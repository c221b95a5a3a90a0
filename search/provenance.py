"""What produced a run: the versions of the libraries that decide its numbers and the code's git commit,
recorded as tags on every parent run (read from the installed packages' metadata: nothing is imported)."""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

# The import name, then the distributions that may provide it (tensorflow-cpu and tensorflow[and-cuda] install
# the same module).
PACKAGES: dict[str, tuple[str, ...]] = {
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tensorflow-macos"),
    "keras": ("keras",),
    "optuna": ("optuna",),
    "mlflow": ("mlflow", "mlflow-skinny"),
    "keras_tuner": ("keras-tuner",),
    "activation_search": ("activation-search",),
}
TAG_PREFIX = "versions."
TAG_GIT_COMMIT = "mlflow.source.git.commit"  # MLflow's own tag: the UI shows it with the run's source
TAG_GIT_DIRTY = "git.dirty"


def versions() -> dict[str, str]:
    """``{package: version}`` of every package in :data:`PACKAGES` that is installed."""
    found = {}
    for name, distributions in PACKAGES.items():
        for distribution in distributions:
            try:
                found[name] = metadata.version(distribution)
                break
            except metadata.PackageNotFoundError:
                continue
    return found


def git_commit(where: Path | None = None) -> tuple[str, bool] | None:
    """(commit, whether the tracked files differ from it) of the checkout this package runs from; ``None``
    when it is not a git checkout (an installed wheel) or git is missing."""
    folder = where or Path(__file__).resolve().parent

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10,
                              check=True).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return None
    return commit, dirty


def provenance_tags() -> dict[str, str]:
    """The tags of a parent run: ``versions.<package>`` and, in a git checkout, the commit and whether the
    code had uncommitted changes."""
    tags = {TAG_PREFIX + name: version for name, version in versions().items()}
    commit = git_commit()
    if commit is not None:
        tags[TAG_GIT_COMMIT], dirty = commit[0], commit[1]
        tags[TAG_GIT_DIRTY] = str(dirty).lower()
    return tags
