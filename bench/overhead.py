"""Search overhead against the floor: ``python -m bench.overhead``.

1. ``search run`` trains N trials (one worker, no pruning, no verdict: ``--seeds 0``) on real data;
2. the same N configurations (read back from the study: family, every hyperparameter, seed) are trained by
   ``bench.floor`` with bare ``model.fit`` + ``model.evaluate`` in a loop, in a fresh process, twice: as a
   plain script does (the NumPy arrays, Keras' default ``steps_per_execution=1``) and with the tool's own
   execution settings (8 steps per execution, its ``tf.data`` input), so that the ratio isolates the tool's
   overhead from them.

Compared: the search phase (first trial start to last trial end, from the Optuna storage: everything the
tool does per trial — sampling, storage writes, MLflow runs, pruning reports, callbacks) against the floor's
loop; and end to end (process wall time, imports and data loading included). Target: ≤ 1.05 × the floor.

Both in wall-clock seconds and in CPU seconds (the process' own, all threads: from the ``worker_cpu_s`` each
trial logs, first trial's end to last trial's end, against the floor's CPU for the same configurations), since
on a shared machine the time other tenants take moves a round's wall-clock ratio by ±15 %.

Rounds repeat (the search's seed is fixed, so every round trains the same configurations; odd rounds run the
floor first) until the 95 % t interval of either mean ratio is narrower than ``--half-width`` (± 0.03), at least
``--min-rounds`` and at most ``--max-rounds``. (Stopping on the interval's width makes it a little optimistic;
the minimum of 6 rounds keeps that small.)
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench._common import (
    DEFAULT_DATASET,
    FAMILIES,
    completed_trials,
    dataset_path,
    floor_spec,
    python_module,
    run_search,
    write_results,
)

TARGET = 1.05


def one_round(args: argparse.Namespace, dataset: str, root: Path, *, floor_first: bool) -> dict[str, Any]:
    """The search and the floor on its configurations (both settings); seconds of each. With ``floor_first``
    the floor trains the previous round's configurations before the search runs (rounds alternate, so that a
    drift in the machine's speed falls on both sides alike)."""
    previous = root.parent / "configs.json"
    floors = _floors(previous, args.plain_fit) if floor_first and previous.exists() else None
    folder = root / "search"
    wall, _ = run_search(["--dataset", dataset, "--families", args.families, "--trials", str(args.trials),
                          "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--seeds", "0",
                          "--pruner", "none", "--workers", "1", "--seed", str(args.seed), "--study", "bench"], folder)
    span, done = completed_trials(folder, "bench")
    spec = floor_spec(dataset, seed=args.seed, families=args.families.split(","), epochs=args.epochs,
                      batch_size=args.batch_size, trials=done, seconds=lambda t: t.duration.total_seconds(),
                      value=lambda t: t.value)
    configs = spec["configs"]
    previous.write_text(json.dumps(spec))  # the seed is fixed: every round searches the same configurations
    if floors is None:
        floors = _floors(previous, args.plain_fit)
    search_cpu = cpu_between_trials(folder)
    floor_cpu = sum(r["cpu_s"] for r in floors["8"]["rows"][1:])
    row = {"search_loop_s": span, "search_wall_s": wall, "search_trials": configs, "floors": floors,
           "floor_first": floor_first, "ratio_loop_vs_same_settings": span / floors["8"]["loop_s"],
           "search_cpu_s": search_cpu, "floor_cpu_s": floor_cpu, "ratio_cpu_vs_same_settings": search_cpu / floor_cpu,
           "ratio_wall_vs_same_settings": wall / floors["8"]["wall_s"]}
    if "1" in floors:
        row["ratio_loop_vs_plain_fit"] = span / floors["1"]["loop_s"]
    return row


def cpu_between_trials(folder: Path) -> float:
    """The search process' CPU seconds from its first trial's end to its last's (trials 2..N and everything
    between them), from the ``worker_cpu_s`` each trial run logs."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{folder / 'mlflow.db'}")
    runs = [r for r in client.search_runs([e.experiment_id for e in client.search_experiments()], max_results=5000)
            if r.data.tags.get("role") == "trial"]
    cpu = [r.data.metrics["worker_cpu_s"] for r in sorted(runs, key=lambda r: int(r.data.tags["optuna.trial_number"]))]
    return cpu[-1] - cpu[0]


def _floors(spec_file: Path, plain_fit: bool) -> dict[str, Any]:
    floors = {}
    for steps in (8, 1) if plain_fit else (8,):
        # The tool's settings (steps per execution, its tf.data input) or a plain user loop (arrays, Keras' 1).
        data = "pipeline" if steps > 1 else "arrays"
        floor_wall, proc = python_module("bench.floor", str(spec_file), "--steps-per-execution", str(steps),
                                         "--input", data)
        floors[str(steps)] = {**json.loads(proc.stdout.strip().splitlines()[-1]), "wall_s": floor_wall}
    return floors


def interval(values: list[float], level: float = 0.95) -> tuple[float, float, float]:
    """(mean, lower, upper): Student's t interval of the mean of ``values`` (inf wide below two values)."""
    from scipy import stats

    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, -math.inf, math.inf
    half = stats.t.ppf(0.5 + level / 2, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", default=DEFAULT_DATASET, help="under ../shared/datasets, or a name/path")
    parser.add_argument("--families", default=FAMILIES)
    parser.add_argument("--trials", type=int, default=2, help="per family")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0, help="the search's seed: the same configurations every round")
    parser.add_argument("--min-rounds", type=int, default=6)
    parser.add_argument("--max-rounds", type=int, default=30)
    parser.add_argument("--half-width", type=float, default=0.03,
                        help="stop once the 95 %% interval of the mean ratio is narrower than ± this")
    parser.add_argument("--no-plain-fit", dest="plain_fit", action="store_false",
                        help="skip the floor with Keras' default steps_per_execution=1 (a third of the time)")
    args = parser.parse_args(argv)
    dataset = dataset_path(args.dataset)
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-overhead-") as tmp:
        while len(rounds) < args.max_rounds:
            root = Path(tmp) / f"round{len(rounds)}"
            rounds.append(one_round(args, dataset, root, floor_first=len(rounds) % 2 == 1))
            mean, low, high = interval([r["ratio_loop_vs_same_settings"] for r in rounds])
            cpu_mean, cpu_low, cpu_high = interval([r["ratio_cpu_vs_same_settings"] for r in rounds])
            print(f"round {len(rounds)}: wall {rounds[-1]['ratio_loop_vs_same_settings']:.3f}, mean {mean:.3f} "
                  f"[{low:.3f}, {high:.3f}]; CPU {rounds[-1]['ratio_cpu_vs_same_settings']:.3f}, mean {cpu_mean:.3f} "
                  f"[{cpu_low:.3f}, {cpu_high:.3f}]", flush=True)
            if len(rounds) >= args.min_rounds and min(high - low, cpu_high - cpu_low) / 2 < args.half_width:
                break
    keys = [k for k in ("ratio_loop_vs_same_settings", "ratio_cpu_vs_same_settings", "ratio_loop_vs_plain_fit",
                        "ratio_wall_vs_same_settings") if k in rounds[0]]
    summary = {k: dict(zip(("mean", "low", "high"), interval([r[k] for r in rounds]), strict=True)) for k in keys}
    for k in keys:
        summary[k]["median"] = statistics.median(r[k] for r in rounds)
    payload = {"args": vars(args), "dataset": dataset, "target": TARGET, "summary": summary, "rounds": rounds}
    write_results("overhead", payload, _table(rounds, summary, args, dataset))


def _verdict(ratio: dict[str, float]) -> str:
    if ratio["low"] > TARGET:
        return "above the target"
    return "within the target" if ratio["high"] <= TARGET else "not decided against the target"


def _summary_line(name: str, ratio: dict[str, float]) -> str:
    return (f"{name}: mean **{ratio['mean']:.3f} ×** (95 % interval {ratio['low']:.3f}–{ratio['high']:.3f}, "
            f"half-width {(ratio['high'] - ratio['low']) / 2:.3f}; median {ratio['median']:.3f}) — {_verdict(ratio)} "
            f"(≤ {TARGET} ×).")


def _table(rounds: list[dict[str, Any]], summary: dict[str, Any], args: argparse.Namespace, dataset: str) -> str:
    plain = "ratio_loop_vs_plain_fit" in summary
    head = ["round", "order", "trials", "search phase (s)", "floor, steps_per_execution=8 (s)", "search ÷ floor",
            "search CPU, trials 2..N (s)", "floor CPU (s)", "CPU: search ÷ floor"]
    head += ["search ÷ plain fit"] if plain else []
    head += ["end to end: search ÷ floor"]
    lines = ["| " + " | ".join(head) + " |", "|---:|---|" + "---:|" * (len(head) - 2)]
    for index, r in enumerate(rounds, start=1):
        cells = [str(index), "floor, search" if r["floor_first"] else "search, floor", str(len(r["search_trials"])),
                 f"{r['search_loop_s']:.1f}", f"{r['floors']['8']['loop_s']:.1f}",
                 f"{r['ratio_loop_vs_same_settings']:.3f}", f"{r['search_cpu_s']:.1f}", f"{r['floor_cpu_s']:.1f}",
                 f"{r['ratio_cpu_vs_same_settings']:.3f}"]
        cells += [f"{r['ratio_loop_vs_plain_fit']:.3f}"] if plain else []
        cells += [f"{r['ratio_wall_vs_same_settings']:.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", f"Over {len(rounds)} rounds, under the same execution settings:",
              "- " + _summary_line("wall clock, search phase ÷ floor loop", summary["ratio_loop_vs_same_settings"]),
              "- " + _summary_line("CPU seconds (all threads), trials 2..N ÷ the floor's same configurations",
                                   summary["ratio_cpu_vs_same_settings"])]
    if plain:
        p = summary["ratio_loop_vs_plain_fit"]
        lines.append(f"- ÷ a plain `model.fit` loop: {p['mean']:.3f} × ({p['low']:.3f}–{p['high']:.3f}).")
    w = summary["ratio_wall_vs_same_settings"]
    lines += [f"- end to end (imports, data, stores included): {w['mean']:.3f} × ({w['low']:.3f}–{w['high']:.3f}).",
              "", f"Dataset `{Path(dataset).name}`, families {args.families}, {args.trials} trials each, {args.epochs} "
              f"epochs, batch {args.batch_size}, one worker, no pruning; search and floor alternate which goes first. "
              "CPU time is what the process itself used: time other tenants of the machine take does not count."]
    return "\n".join(lines)

if __name__ == "__main__":
    main()
