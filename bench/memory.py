"""Resident memory of one worker over many trials: ``python -m bench.memory --trials 100``.

One worker (one process) runs N small trials (digits, MLP, no pruning); each trial's MLflow run records the
process' RSS and peak RSS after it (metrics ``worker_rss_mb``, ``worker_peak_rss_mb``). Reported: first vs
last trial and the growth in percent.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench._common import run_search, write_results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=100, help="total trials (one family)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--dataset", default="digits")
    args = parser.parse_args(argv)
    from mlflow.tracking import MlflowClient

    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        folder = Path(tmp)
        wall, _ = run_search(["--dataset", args.dataset, "--families", "relu", "--trials", str(args.trials),
                              "--epochs", str(args.epochs), "--seeds", "0", "--pruner", "none", "--workers", "1",
                              "--study", "bench"], folder)
        client = MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
        runs = [r for r in client.search_runs([e.experiment_id for e in client.search_experiments()], max_results=5000)
                if r.data.tags.get("role") == "trial"]
    runs.sort(key=lambda r: int(r.data.tags["optuna.trial_number"]))
    rss = [r.data.metrics["worker_rss_mb"] for r in runs]
    peak = [r.data.metrics["worker_peak_rss_mb"] for r in runs]
    growth = 100 * (rss[-1] - rss[0]) / rss[0]
    peak_growth = 100 * (peak[-1] - peak[0]) / peak[0]
    per_trial = (rss[-1] - rss[0]) / max(1, len(rss) - 1)
    table = "\n".join([
        "| trials | RSS after trial 1 (MB) | RSS after last (MB) | growth | per trial (MB) | peak RSS first → last (MB) | peak growth | wall (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {len(rss)} | {rss[0]:.0f} | {rss[-1]:.0f} | {growth:+.1f} % | {per_trial:+.2f} | {peak[0]:.0f} → {peak[-1]:.0f} | "
        f"{peak_growth:+.1f} % | {wall:.0f} |",
    ])  # fmt: skip
    write_results("memory", {"args": vars(args), "rss_mb": rss, "peak_rss_mb": peak, "growth_percent": growth,
                             "peak_growth_percent": peak_growth, "wall_s": wall}, table)


if __name__ == "__main__":
    main()
