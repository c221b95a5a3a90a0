"""Trials per hour with 1 and with 2 (or N) workers on the same study budget: ``python -m bench.parallel``.

Each worker count gets a fresh study with the same trials (digits, MLP, no pruning so every trial trains the
same epochs). Throughput is measured over the search phase from the trials' own start/end times in the
Optuna storage (first trial start to last trial end), and end to end (process wall time, start-up included).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench._common import completed_trials, run_search, write_results


def measure(workers: int, *, trials: int, epochs: int, families: str, dataset: str, root: Path) -> dict[str, float]:
    folder = root / f"w{workers}"
    wall, _ = run_search(["--dataset", dataset, "--families", families, "--trials", str(trials), "--epochs",
                          str(epochs), "--seeds", "0", "--pruner", "none", "--workers", str(workers),
                          "--study", "bench"], folder)
    span, done = completed_trials(folder, "bench")
    per_trial = sum(t.duration.total_seconds() for t in done) / len(done)
    return {"workers": workers, "trials": len(done), "search_s": span, "wall_s": wall,
            "trials_per_hour": 3600 * len(done) / span, "trials_per_hour_wall": 3600 * len(done) / wall,
            "mean_trial_s": per_trial}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--trials", type=int, default=10, help="per family")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--families", default="relu,tanh")
    parser.add_argument("--dataset", default="digits")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-parallel-") as tmp:
        rows = [measure(w, trials=args.trials, epochs=args.epochs, families=args.families, dataset=args.dataset,
                        root=Path(tmp)) for w in args.workers]
    base = rows[0]["trials_per_hour"]
    lines = ["| workers | trials | search phase (s) | trials/hour | ratio vs first | end-to-end wall (s) | mean trial (s) |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['workers']} | {r['trials']} | {r['search_s']:.1f} | {r['trials_per_hour']:.0f} | "
                     f"{r['trials_per_hour'] / base:.2f} | {r['wall_s']:.1f} | {r['mean_trial_s']:.2f} |")
    write_results("parallel", {"args": vars(args), "rows": rows}, "\n".join(lines))


if __name__ == "__main__":
    main()
