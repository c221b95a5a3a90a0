"""MLflow's share of trial time: ``python -m bench.logging_share``.

Runs ``search run`` in this process (one in-process worker, no pruning, no verdict) with every
``MlflowClient`` method timed, then adds up the MLflow calls made inside trials (between a trial's start and
end in the Optuna storage: creating its run, per-epoch metric batches, the final batch, closing it) and
divides by the trials' total duration. The parent run's own calls (before and after the trials) are
reported apart. Target: ≤ 2 % of trial time.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench._common import DEFAULT_DATASET, FAMILIES, dataset_path, load_study, write_results

TARGET_PERCENT = 2.0


def _timed_client(calls: list[tuple[str, float, float]]) -> None:
    """Wrap every public ``MlflowClient`` method to append (name, wall-clock start, seconds) to ``calls``."""
    from mlflow.tracking import MlflowClient

    def wrap(name: str, method: Any) -> Any:
        @functools.wraps(method)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start, began = time.time(), time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                calls.append((name, start, time.perf_counter() - began))

        timed.__bench_wrapped__ = method  # type: ignore[attr-defined]
        return timed

    for name, method in list(vars(MlflowClient).items()):
        if not name.startswith("_") and callable(method) and not hasattr(method, "__bench_wrapped__"):
            setattr(MlflowClient, name, wrap(name, method))


def _untime_client() -> None:
    from mlflow.tracking import MlflowClient

    for name, method in list(vars(MlflowClient).items()):
        if hasattr(method, "__bench_wrapped__"):
            setattr(MlflowClient, name, method.__bench_wrapped__)


def measure(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    from search.cli import main as search_main

    calls: list[tuple[str, float, float]] = []
    _timed_client(calls)
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    try:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = search_main(["run", "--storage", f"sqlite:///{folder / 'optuna.db'}", "--tracking-uri",
                                f"sqlite:///{folder / 'mlflow.db'}", "--dataset", args.dataset, "--families",
                                args.families, "--trials", str(args.trials), "--epochs", str(args.epochs),
                                "--seeds", "0", "--pruner", "none", "--workers", "1", "--study", "bench"])
    finally:
        _untime_client()
    if code not in (0, None):
        raise RuntimeError(f"search run exited {code}: {out.getvalue()[-2000:]}")
    study = load_study(folder, "bench")
    windows = [(t.datetime_start.timestamp(), t.datetime_complete.timestamp())
               for t in study.trials if t.datetime_complete is not None]
    trial_s = sum(end - start for start, end in windows)
    inside: dict[str, float] = defaultdict(float)
    outside: dict[str, float] = defaultdict(float)
    for name, start, seconds in calls:
        into = inside if any(lo <= start <= hi for lo, hi in windows) else outside
        into[name] += seconds
    mlflow_s = sum(inside.values())
    return {"trials": len(windows), "trial_s": trial_s, "mlflow_in_trials_s": mlflow_s,
            "share_percent": 100 * mlflow_s / trial_s, "per_trial_ms": 1000 * mlflow_s / len(windows),
            "calls_in_trials": sum(1 for _, s, _ in calls if any(lo <= s <= hi for lo, hi in windows)),
            "by_method_in_trials_s": dict(inside), "outside_trials_s": dict(outside)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", default=DEFAULT_DATASET, help="under ../shared/datasets, or a name/path")
    parser.add_argument("--families", default=FAMILIES)
    parser.add_argument("--trials", type=int, default=3, help="per family")
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args(argv)
    args.dataset = dataset_path(args.dataset)
    with tempfile.TemporaryDirectory(prefix="bench-logging-") as tmp:
        r = measure(args, Path(tmp))
    methods = ", ".join(f"{name} {1000 * s / r['trials']:.1f}" for name, s in
                        sorted(r["by_method_in_trials_s"].items(), key=lambda kv: -kv[1]))
    lines = ["| trials | trial time (s) | MLflow inside trials (s) | per trial (ms) | calls per trial | share | target |",
             "|---:|---:|---:|---:|---:|---:|---:|",
             f"| {r['trials']} | {r['trial_s']:.1f} | {r['mlflow_in_trials_s']:.2f} | {r['per_trial_ms']:.0f} | "
             f"{r['calls_in_trials'] / r['trials']:.1f} | {r['share_percent']:.2f} % | ≤ {TARGET_PERCENT} % |",
             "", f"Per trial by method (ms): {methods}. Parent run, outside trials: "
             f"{sum(r['outside_trials_s'].values()):.2f} s in all. Dataset `{Path(args.dataset).name}`, "
             f"{args.epochs} epochs, local SQLite MLflow store."]
    write_results("logging_share", {"args": vars(args), **r}, "\n".join(lines))


if __name__ == "__main__":
    main()
