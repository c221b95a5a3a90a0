"""What every benchmark shares: running the CLI in a scratch folder, describing the machine, writing results."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(os.environ.get("BENCH_RESULTS_DIR", ROOT / "bench" / "results"))  # tests point it elsewhere
# Real data for the benchmarks: ../shared/datasets beside the checkout (BENCH_DATASETS points elsewhere).
DATASETS = Path(os.environ.get("BENCH_DATASETS", ROOT.parent / "shared" / "datasets"))
DEFAULT_DATASET = "keel/texture.csv.gz"  # real data for the timing benchmarks (resolved by dataset_path)
FAMILIES = "selu,elu,leaky_relu,relu,tanh,sigmoid"  # the heuristic's chain
PACKAGES = ("tensorflow-cpu", "tensorflow", "keras", "optuna", "mlflow", "keras-tuner", "numpy")


def machine() -> dict[str, Any]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "versions": versions,
    }


def run_timed(argv: Sequence[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run ``argv`` in ``cwd`` (the checkout importable, TF quiet, no ambient MLflow URI); returns (wall clock
    at launch, wall seconds, process); raises with the end of its stderr when it fails."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("MLFLOW_TRACKING_URI", None)
    launched, started = time.time(), time.perf_counter()
    proc = subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr[-3000:]}")
    return launched, wall, proc


def search_argv(args: Sequence[str], cwd: Path, *, command: str = "run") -> list[str]:
    """``python -m search <command> ARGS`` with local SQLite stores in ``cwd``."""
    return [sys.executable, "-m", "search", command, "--storage", f"sqlite:///{cwd / 'optuna.db'}",
            "--tracking-uri", f"sqlite:///{cwd / 'mlflow.db'}", *args]


def run_search(args: Sequence[str], cwd: Path, *, command: str = "run") -> tuple[float, subprocess.CompletedProcess[str]]:
    """``python -m search <command> ARGS`` in ``cwd`` with local SQLite stores; returns (wall seconds, process)."""
    cwd.mkdir(parents=True, exist_ok=True)
    _, wall, proc = run_timed(search_argv(args, cwd, command=command), cwd)
    return wall, proc


def python_module(module: str, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    """``python -m MODULE ARGS`` from the project root; returns (wall seconds, process); raises on failure."""
    _, wall, proc = run_timed([sys.executable, "-m", module, *args], ROOT)
    return wall, proc


def floor_spec(dataset: str, *, seed: int, families: Sequence[str], epochs: int, batch_size: int,
               trials: Sequence[Any], **extra: Any) -> dict[str, Any]:
    """The configurations file ``bench.floor`` trains: the data and settings, and per trial (Optuna
    ``FrozenTrial``) its number, family, parameters and seed (the trial's number, as the tool seeds it); any
    ``extra`` per-trial fields are computed from the trial (``name=lambda trial: ...``)."""
    configs = [{"number": t.number, "family": t.user_attrs["family"], "params": t.params, "seed": t.number,
                **{key: field(t) for key, field in extra.items()}} for t in trials]
    return {"dataset": dataset, "seed": seed, "families": list(families), "epochs": epochs, "batch_size": batch_size,
            "configs": configs}


def load_study(folder: Path, name: str) -> Any:
    """The study ``name`` a benchmark's search wrote to ``folder/optuna.db``."""
    import optuna

    return optuna.load_study(study_name=name, storage=f"sqlite:///{folder / 'optuna.db'}")


def completed_trials(folder: Path, name: str) -> tuple[float, list[Any]]:
    """(first start to last end of the completed trials in seconds, those trials by number)."""
    done = sorted((t for t in load_study(folder, name).trials if t.state.name == "COMPLETE"), key=lambda t: t.number)
    span = (max(t.datetime_complete for t in done) - min(t.datetime_start for t in done)).total_seconds()
    return span, done


def dataset_path(relative: str) -> str:
    """A dataset under ``DATASETS`` (``keel/texture.csv.gz``), or a bundled name / path passed through."""
    candidate = DATASETS / relative
    return str(candidate) if candidate.exists() else relative


def write_results(name: str, payload: dict[str, Any], table: str, measured_on: dict[str, Any] | None = None) -> Path:
    """bench/results/<name>.json and .md (with the machine line on top: this one now, or ``measured_on``, a saved
    run's, when its figures are only reported again); returns the markdown path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    info = measured_on or machine()
    (RESULTS / f"{name}.json").write_text(json.dumps({"machine": info, **payload}, indent=2, default=str) + "\n")
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    header = f"_{info['date']} · {info['cpus']} CPUs · Python {info['python']} · {versions}_\n\n"
    path = RESULTS / f"{name}.md"
    path.write_text(header + table.rstrip() + "\n")
    print(header + table)
    return path
