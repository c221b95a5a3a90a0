"""Does the verdict replicate? ``python -m bench.replication``.

Two independent runs (``--seed`` 0 and 1: another split, another search, other training seeds) on each dataset,
then every pair of families' verdicts side by side. The goal: no pair called significant in opposite
directions by the two runs. The table counts, per dataset, the pairs whose verdicts agree, the pairs
significant in one run only, and the pairs significant in opposite directions (the failures). A last table
splits the variance of a tuned test score into the training seed, the re-drawn train / validation split
(both from inside each run) and the search on another outer split (between the two runs).
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench._common import FAMILIES, dataset_path, run_search, write_results
from search.verdict.variance import across_runs

DEFAULT_DATASETS = ("digits", "keel/phoneme.csv")
SIGNIFICANT = ("holds", "reversed")


def oriented(pairs: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    """Each pair's verdict keyed by its two families in alphabetical order: ``first>second``, ``second>first``
    (significant), ``equivalent`` or ``undecided``, whichever way round the report listed it."""
    out = {}
    for p in pairs:
        a, b = sorted((p["better"], p["worse"]))
        verdict = p["verdict"]
        if verdict in SIGNIFICANT:
            winner = p["better"] if verdict == "holds" else p["worse"]
            verdict = f"{winner}>{b if winner == a else a}"
        elif verdict == "practically equivalent":
            verdict = "equivalent"
        else:
            verdict = "undecided"
        out[(a, b)] = verdict
    return out


def compare_runs(first: Sequence[Mapping[str, Any]], second: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The two runs' verdicts on every pair both tested, and the counts: agree, one-sided, opposite."""
    a, b = oriented(first), oriented(second)
    rows = [{"pair": f"{x} vs {y}", "run_a": a[(x, y)], "run_b": b[(x, y)]} for x, y in sorted(set(a) & set(b))]
    counts = {"pairs": len(rows), "agree": 0, "one_run_only": 0, "opposite": 0, "equivalent_vs_significant": 0}
    for row in rows:
        va, vb = row["run_a"], row["run_b"]
        sig_a, sig_b = ">" in va, ">" in vb
        if va == vb:
            counts["agree"] += 1
        elif sig_a and sig_b:
            counts["opposite"] += 1
        elif "equivalent" in (va, vb) and (sig_a or sig_b):
            counts["equivalent_vs_significant"] += 1
        elif sig_a or sig_b:
            counts["one_run_only"] += 1
        else:
            counts["agree"] += 1  # equivalent vs undecided: neither run claims a difference
    return {"rows": rows, "counts": counts}


def run_once(dataset: str, seed: int, args: argparse.Namespace, root: Path) -> dict[str, Any]:
    """One default run (as the user would start it, with the budget flags given) and its report."""
    import optuna

    from search.verdict import load_report

    study = f"rep-{Path(dataset).stem}-{seed}"
    wall, _ = run_search(["--dataset", dataset_path(dataset), "--seed", str(seed), "--study", study,
                          "--families", args.families, "--trials", str(args.trials), "--epochs", str(args.epochs),
                          "--seeds", str(args.seeds), "--workers", args.workers], root)
    storage = f"sqlite:///{root / 'optuna.db'}"
    report = load_report(study, storage)
    evaluation = optuna.load_study(study_name=study, storage=storage).user_attrs["evaluation"]
    return {"wall_s": wall, "chain": (report["chain"] or {}).get("verdict"),
            "default_chain": (report["default_chain"] or {}).get("verdict"), "all_pairs": report["all_pairs"],
            "variance": measured_variance(evaluation), "evaluation": evaluation}


def measured_variance(evaluation: Mapping[str, Any]) -> dict[str, Any]:
    """The run's variance components (see :mod:`bench.variance`), for the calibration tests."""
    from bench.variance import components
    from search.verdict.variance import seed_and_split

    tuned = {f: e["tuned"]["test"] for f, e in evaluation["families"].items() if e.get("tuned")}
    return {"metric": evaluation["metric"], "redraw_splits": evaluation.get("redraw_splits", False),
            **components(tuned), "seed_and_split": seed_and_split(evaluation)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", nargs="+", default=list(DEFAULT_DATASETS),
                        help="bundled names or paths under ../shared/datasets")
    parser.add_argument("--run-seeds", type=int, nargs=2, default=[0, 1])
    parser.add_argument("--families", default=FAMILIES)
    parser.add_argument("--trials", type=int, default=5, help="per family (the default run's)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seeds", type=int, default=5, help="verdict replicates")
    parser.add_argument("--workers", default="auto")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-replication-") as tmp:
        for dataset in args.datasets:
            runs = [run_once(dataset, seed, args, Path(tmp) / f"{Path(dataset).stem}-{seed}") for seed in args.run_seeds]
            results.append({"dataset": dataset, "runs": runs, **compare_runs(runs[0]["all_pairs"], runs[1]["all_pairs"]),
                            "variance": across_runs([r.pop("evaluation") for r in runs])})
    write_results("replication", {"args": vars(args), "results": results}, render(results, args.run_seeds))


def render(results: Sequence[Mapping[str, Any]], seeds: Sequence[int]) -> str:
    lines = ["| dataset | run (--seed) | chain, tuned | chain, defaults | wall (s) |", "|---|---:|---|---|---:|"]
    for r in results:
        for seed, run in zip(seeds, r["runs"], strict=True):
            lines.append(f"| {r['dataset']} | {seed} | {run['chain']} | {run['default_chain']} | {run['wall_s']:.0f} |")
    lines += ["", "| dataset | pairs | agree | significant in one run only | equivalent vs significant | opposite |",
              "|---|---:|---:|---:|---:|---:|"]
    for r in results:
        c = r["counts"]
        lines.append(f"| {r['dataset']} | {c['pairs']} | {c['agree']} | {c['one_run_only']} | "
                     f"{c['equivalent_vs_significant']} | {c['opposite']} |")
    lines += ["", "Where a tuned test score's variance comes from (SD; share of the variance of one score):", "",
              "| dataset | seed | re-drawn split | search + outer split |", "|---|---|---|---|"]
    for r in results:
        v = r.get("variance")
        if v:
            cells = [_component(v[f"{name}_sd"], v["shares"][name]) for name in ("seed", "split", "search")]
            lines.append(f"| {r['dataset']} | " + " | ".join(cells) + " |")
    for r in results:
        lines += ["", f"{r['dataset']}: every pair", "", f"| pair | --seed {seeds[0]} | --seed {seeds[1]} |", "|---|---|---|"]
        lines += [f"| {row['pair']} | {row['run_a']} | {row['run_b']} |" for row in r["rows"]]
    return "\n".join(lines)


def _component(sd: float | None, share: float | None) -> str:
    """One variance component as SD (share), or a dash where the runs could not measure it."""
    return "—" if sd is None or share is None else f"{sd:.4f} ({share:.0%})"


if __name__ == "__main__":
    main()
