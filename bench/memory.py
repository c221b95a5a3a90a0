"""Resident memory of one worker over many trials: ``python -m bench.memory --trials 100``.

One worker runs N small trials (digits, MLP, no pruning); each trial's MLflow run records its process' RSS
after the trial (metric ``worker_rss_mb``). Two modes, same trials:

- ``one process``: every trial in one process (``--recycle-after`` above N) — TensorFlow's own growth;
- ``recycled``: the default, a fresh worker process every ``--recycle-after`` trials (50).

Reported: RSS after the first trial, after the last, the largest, and growth of the largest over the first.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench._common import run_search, write_results


def measure(trials: int, epochs: int, dataset: str, recycle_after: int, folder: Path) -> dict[str, float]:
    from mlflow.tracking import MlflowClient

    wall, _ = run_search(["--dataset", dataset, "--families", "relu", "--trials", str(trials), "--epochs", str(epochs),
                          "--seeds", "0", "--pruner", "none", "--workers", "1", "--recycle-after", str(recycle_after),
                          "--study", "bench"], folder)
    client = MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    runs = [r for r in client.search_runs([e.experiment_id for e in client.search_experiments()], max_results=5000)
            if r.data.tags.get("role") == "trial"]
    runs.sort(key=lambda r: int(r.data.tags["optuna.trial_number"]))
    rss = [r.data.metrics["worker_rss_mb"] for r in runs]
    return {"trials": len(rss), "first_mb": rss[0], "last_mb": rss[-1], "max_mb": max(rss),
            "growth_percent": 100 * (max(rss) - rss[0]) / rss[0],
            "per_trial_mb": (rss[-1] - rss[0]) / max(1, len(rss) - 1), "wall_s": wall, "rss_mb": rss}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=100, help="total trials (one family)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--recycle-after", type=int, default=50)
    args = parser.parse_args(argv)
    rows = {}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        rows["one process"] = measure(args.trials, args.epochs, args.dataset, args.trials + 1, Path(tmp) / "one")
        rows[f"recycled every {args.recycle_after}"] = measure(args.trials, args.epochs, args.dataset,
                                                                args.recycle_after, Path(tmp) / "recycled")
    lines = ["| mode | trials | RSS after trial 1 (MB) | after last (MB) | largest (MB) | growth (largest vs first) | wall (s) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['trials']} | {r['first_mb']:.0f} | {r['last_mb']:.0f} | {r['max_mb']:.0f} | "
                     f"{r['growth_percent']:+.1f} % | {r['wall_s']:.0f} |")
    write_results("memory", {"args": vars(args), "modes": rows}, "\n".join(lines))


if __name__ == "__main__":
    main()
