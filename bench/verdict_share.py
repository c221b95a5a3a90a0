"""The verdict shared across the workers: ``python -m bench.verdict_share``.

One search (no verdict) on a real dataset, then the same verdict (``search run --trials 0``: every family's
selection among its best trials and the replicates, as the default run does) on copies of that study, once
per worker count, each from an empty verdict study so that every retraining is run. The verdict's wall time,
its jobs per hour from their own start/end times in the storage, and the ratio to the first worker count.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from bench._common import DEFAULT_DATASET, FAMILIES, dataset_path, load_study, run_search, write_results

STUDY = "bench"


def verdict_with(workers: int, searched: Path, root: Path, args: argparse.Namespace) -> dict[str, float]:
    """The verdict of the searched study, on a copy, with ``workers`` workers."""
    folder = root / f"verdict-w{workers}"
    shutil.copytree(searched, folder)
    wall, _ = run_search(["--dataset", dataset_path(args.dataset), "--families", args.families, "--trials", "0",
                          "--epochs", str(args.epochs), "--seeds", str(args.seeds), "--workers", str(workers),
                          "--study", STUDY], folder)
    jobs = load_study(folder, f"{STUDY}:verdict").trials
    span = (max(t.datetime_complete for t in jobs) - min(t.datetime_start for t in jobs)).total_seconds()
    return {"workers": workers, "jobs": len(jobs), "wall_s": wall, "jobs_span_s": span,
            "jobs_per_hour": 3600 * len(jobs) / span}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", default=DEFAULT_DATASET, help="bundled name or path under ../shared/datasets")
    parser.add_argument("--families", default=FAMILIES)
    parser.add_argument("--trials", type=int, default=5, help="per family (the default run's)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-verdict-") as tmp:
        searched = Path(tmp) / "search"
        search_wall, _ = run_search(["--dataset", dataset_path(args.dataset), "--families", args.families,
                                     "--trials", str(args.trials), "--epochs", str(args.epochs), "--seeds", "0",
                                     "--study", STUDY], searched)
        rows = [verdict_with(w, searched, Path(tmp), args) for w in args.workers]
    base = rows[0]["wall_s"]
    lines = [f"Search first ({args.dataset}, {args.families}, {args.trials} trials × {args.epochs} epochs per "
             f"family): {search_wall:.0f} s; then the same verdict (--trials 0, {args.seeds} seeds) per worker count.",
             "", "| workers | retrainings | verdict wall (s) | speed-up vs first | jobs/hour (from their own times) |",
             "|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['workers']} | {r['jobs']} | {r['wall_s']:.1f} | {base / r['wall_s']:.2f} | {r['jobs_per_hour']:.0f} |"
              for r in rows]
    write_results("verdict_share", {"args": vars(args), "search_wall_s": search_wall, "rows": rows}, "\n".join(lines))


if __name__ == "__main__":
    main()
