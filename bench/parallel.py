"""Trials per hour with 1 and with 2 (or N) workers on the same study budget: ``python -m bench.parallel``.

Each worker count gets a fresh study with the same trials (digits, MLP, no pruning so every trial trains the
same epochs). Throughput is measured over the search phase from the trials' own start/end times in the
Optuna storage (first trial start to last trial end), and end to end (process wall time, start-up included).

One more row, ``1 worker, 1 thread`` (TensorFlow's thread pools pinned to one thread, as each of N workers on N
cores has), splits the ratio in two: what one worker already gains from the cores the others would use (its
intra-op threads), and how close N workers come to N single-threaded ones (contention, start-up, the tail).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench._common import completed_trials, run_search, write_results


def measure(workers: int, *, trials: int, epochs: int, families: str, dataset: str, root: Path,
            threads: int | None = None) -> dict[str, float]:
    folder = root / f"w{workers}t{threads}"
    pinned = {"TF_NUM_INTRAOP_THREADS": str(threads), "OMP_NUM_THREADS": str(threads), "TF_NUM_INTEROP_THREADS": "1"}
    with _environment(pinned if threads else {}):
        wall, _ = run_search(["--dataset", dataset, "--families", families, "--trials", str(trials), "--epochs",
                              str(epochs), "--seeds", "0", "--pruner", "none", "--workers", str(workers),
                              "--study", "bench"], folder)
    span, done = completed_trials(folder, "bench")
    per_trial = sum(t.duration.total_seconds() for t in done) / len(done)
    return {"workers": workers, "threads": threads, "trials": len(done), "search_s": span, "wall_s": wall,
            "trials_per_hour": 3600 * len(done) / span, "trials_per_hour_wall": 3600 * len(done) / wall,
            "mean_trial_s": per_trial}


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--trials", type=int, default=10, help="per family")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--families", default="relu,tanh")
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--no-single-thread", dest="single_thread", action="store_false",
                        help="skip the one-worker, one-thread row")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-parallel-") as tmp:
        common = {"trials": args.trials, "epochs": args.epochs, "families": args.families, "dataset": args.dataset,
                  "root": Path(tmp)}
        rows = [measure(w, **common) for w in args.workers]
        single = measure(1, threads=1, **common) if args.single_thread else None
    base = rows[0]["trials_per_hour"]
    lines = ["| workers | trials | search phase (s) | trials/hour | ratio vs first | end-to-end wall (s) | mean trial (s) |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['workers']} | {r['trials']} | {r['search_s']:.1f} | {r['trials_per_hour']:.0f} | "
                     f"{r['trials_per_hour'] / base:.2f} | {r['wall_s']:.1f} | {r['mean_trial_s']:.2f} |")
    if single is not None:
        r = single
        lines.append(f"| 1, one thread | {r['trials']} | {r['search_s']:.1f} | {r['trials_per_hour']:.0f} | "
                     f"{r['trials_per_hour'] / base:.2f} | {r['wall_s']:.1f} | {r['mean_trial_s']:.2f} |")
        lines += ["", f"One worker's own threads: {base / r['trials_per_hour']:.2f} × the trials per hour of one "
                  "single-threaded worker."]
        for row in rows[1:]:
            ideal = row["workers"] * r["trials_per_hour"]
            lines.append(f"{row['workers']} workers: {row['trials_per_hour'] / ideal:.2f} of {row['workers']} "
                         "single-threaded workers' ideal (the rest: contention, start-up stagger, the last trials' tail).")
    write_results("parallel", {"args": vars(args), "rows": rows, "single_thread": single}, "\n".join(lines))


if __name__ == "__main__":
    main()
