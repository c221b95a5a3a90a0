"""Trials per hour with 1 and with 2 (or N) workers on the same study budget: ``python -m bench.parallel``.

Each worker count gets a fresh study with the same trials (digits, MLP, no pruning so every trial trains the
same epochs). Throughput is measured over the search phase from the trials' own start/end times in the
Optuna storage (first trial start to last trial end), and end to end (process wall time, start-up included).

One more row, ``1 worker, 1 thread`` (TensorFlow's thread pools pinned to one thread, as each of N workers on N
cores has), splits the ratio in two: what one worker already gains from the cores the others would use (its
intra-op threads), and how close N workers come to N single-threaded ones (contention, start-up, the tail).

And the hardware's share of that contention: the first study's configurations trained by ``bench.floor`` (bare
``model.fit``, no study, no tracking, one thread, the tool's steps per execution) alone, then by two such loops
side by side. If two bare loops slow each other as much as two workers do, the loss is the cores' shared cache
and memory bandwidth, not the tool.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench._common import ROOT, completed_trials, floor_spec, run_search, write_results


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


def bare_loops(folder: Path, root: Path, *, dataset: str, families: str, epochs: int, side_by_side: int
               ) -> list[float]:
    """Mean seconds per configuration of ``side_by_side`` concurrent ``bench.floor`` loops (one thread each)
    over the completed trials of the study in ``folder``; one mean per loop."""
    _, done = completed_trials(folder, "bench")
    spec = floor_spec(dataset, seed=0, families=families.split(","), epochs=epochs, batch_size=64, trials=done)
    configs = root / "bare_configs.json"
    configs.write_text(json.dumps(spec))
    pinned = {"TF_NUM_INTRAOP_THREADS": "1", "OMP_NUM_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}
    argv = [sys.executable, "-m", "bench.floor", str(configs), "--steps-per-execution", "8", "--input", "pipeline"]
    with _environment(pinned):
        procs = [subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(side_by_side)]
        outputs = [p.communicate()[0] for p in procs]
    if any(p.returncode for p in procs):
        raise RuntimeError(f"bench.floor failed: {[p.returncode for p in procs]}")
    rows = [json.loads(out)["rows"][1:] for out in outputs]  # the first configuration pays the tracing
    return [sum(r["seconds"] for r in loop) / len(loop) for loop in rows]


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
    parser.add_argument("--no-bare", dest="bare", action="store_false",
                        help="skip the bare model.fit loops alone and side by side")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-parallel-") as tmp:
        common = {"trials": args.trials, "epochs": args.epochs, "families": args.families, "dataset": args.dataset,
                  "root": Path(tmp)}
        rows = [measure(w, **common) for w in args.workers]
        single = measure(1, threads=1, **common) if args.single_thread else None
        bare = None
        if args.bare:
            first = Path(tmp) / f"w{args.workers[0]}tNone"
            kwargs = {"dataset": args.dataset, "families": args.families, "epochs": args.epochs}
            bare = {"alone": bare_loops(first, Path(tmp), side_by_side=1, **kwargs),
                    "side_by_side": bare_loops(first, Path(tmp), side_by_side=2, **kwargs)}
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
    if bare is not None:
        alone, pair = bare["alone"][0], sum(bare["side_by_side"]) / 2
        lines += ["", f"Bare `model.fit` loops (one thread, the same configurations): {alone:.2f} s per configuration "
                  f"alone, {pair:.2f} s with two side by side ({pair / alone:.2f} ×)."]
        tool = rows[1]["mean_trial_s"] / single["mean_trial_s"] if single is not None and len(rows) > 1 else 0.0
        if tool > 1:
            lines.append(f"The tool's workers: {single['mean_trial_s']:.2f} s per trial alone (one thread), "
                         f"{rows[1]['mean_trial_s']:.2f} s with {rows[1]['workers']} side by side ({tool:.2f} ×): "
                         f"{(pair / alone - 1) / (tool - 1):.0%} of the slow-down is the bare loops' own.")
    write_results("parallel", {"args": vars(args), "rows": rows, "single_thread": single, "bare": bare},
                  "\n".join(lines))


if __name__ == "__main__":
    main()
