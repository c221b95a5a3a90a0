"""Search overhead against the floor: ``python -m bench.overhead``.

1. ``search run`` trains N trials (one worker, no pruning, no verdict: ``--seeds 0``) on real data;
2. the same N configurations (read back from the study: family, every hyperparameter, seed) are trained by
   ``bench.floor`` with bare ``model.fit`` + ``model.evaluate`` in a loop, in a fresh process, twice: with
   Keras' default ``steps_per_execution=1`` (what a plain script does) and with the tool's own 8 (so the
   ratio isolates the tool's overhead from its execution settings).

Compared: the search phase (first trial start to last trial end, from the Optuna storage: everything the
tool does per trial — sampling, storage writes, MLflow runs, pruning reports, callbacks) against the floor's
loop; and end to end (process wall time, imports and data loading included). Target: ≤ 1.05 × the floor.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench._common import (
    DEFAULT_DATASET,
    FAMILIES,
    completed_trials,
    dataset_path,
    python_module,
    run_search,
    write_results,
)

TARGET = 1.05


def one_round(args: argparse.Namespace, dataset: str, root: Path) -> dict[str, Any]:
    """The search, then the floor on its configurations (both settings); seconds of each."""
    folder = root / "search"
    wall, _ = run_search(["--dataset", dataset, "--families", args.families, "--trials", str(args.trials),
                          "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--seeds", "0",
                          "--pruner", "none", "--workers", "1", "--study", "bench"], folder)
    span, done = completed_trials(folder, "bench")
    configs = [{"number": t.number, "family": t.user_attrs["family"], "params": t.params, "seed": t.number,
                "seconds": t.duration.total_seconds(), "value": t.value} for t in done]
    spec_file = root / "configs.json"
    spec_file.write_text(json.dumps({"dataset": dataset, "seed": 0, "families": args.families.split(","),
                                     "epochs": args.epochs, "batch_size": args.batch_size, "configs": configs}))
    floors = {}
    for steps in (1, 8):
        floor_wall, proc = python_module("bench.floor", str(spec_file), "--steps-per-execution", str(steps))
        floors[steps] = {**json.loads(proc.stdout.strip().splitlines()[-1]), "wall_s": floor_wall}
    return {"search_loop_s": span, "search_wall_s": wall, "search_trials": configs, "floors": floors,
            "ratio_loop_vs_same_settings": span / floors[8]["loop_s"],
            "ratio_loop_vs_plain_fit": span / floors[1]["loop_s"],
            "ratio_wall_vs_same_settings": wall / floors[8]["wall_s"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", default=DEFAULT_DATASET, help="under ../shared/datasets, or a name/path")
    parser.add_argument("--families", default=FAMILIES)
    parser.add_argument("--trials", type=int, default=2, help="per family")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3,
                        help="search/floor rounds, alternating (a shared machine is noisy: the median ratio counts)")
    args = parser.parse_args(argv)
    dataset = dataset_path(args.dataset)
    rounds = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
            rounds.append(one_round(args, dataset, Path(tmp)))
    medians = {key: statistics.median(r[key] for r in rounds)
               for key in ("ratio_loop_vs_same_settings", "ratio_loop_vs_plain_fit", "ratio_wall_vs_same_settings")}
    payload = {"args": vars(args), "dataset": dataset, "target": TARGET, **medians, "rounds": rounds}
    lines = ["| round | trials | search phase (s) | floor, steps_per_execution=8 (s) | floor, plain fit (s) | "
             "search ÷ floor (same settings) | search ÷ plain fit | end to end: search ÷ floor |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for index, r in enumerate(rounds, start=1):
        lines.append(f"| {index} | {len(r['search_trials'])} | {r['search_loop_s']:.1f} | {r['floors'][8]['loop_s']:.1f} | "
                     f"{r['floors'][1]['loop_s']:.1f} | {r['ratio_loop_vs_same_settings']:.3f} | "
                     f"{r['ratio_loop_vs_plain_fit']:.3f} | {r['ratio_wall_vs_same_settings']:.3f} |")
    lines += ["", f"Median over {len(rounds)} rounds: search ÷ floor under the same execution settings "
                  f"**{medians['ratio_loop_vs_same_settings']:.3f} ×** (target ≤ {TARGET} ×); ÷ a plain `model.fit` "
                  f"loop {medians['ratio_loop_vs_plain_fit']:.3f} ×; end to end (imports, data, stores included) "
                  f"{medians['ratio_wall_vs_same_settings']:.3f} ×. Dataset `{Path(dataset).name}`, families "
                  f"{args.families}, {args.trials} trials each, {args.epochs} epochs, batch {args.batch_size}, one "
                  "worker, no pruning."]
    write_results("overhead", payload, "\n".join(lines))


if __name__ == "__main__":
    main()
