"""What a worker process pays before its first trial: ``python -m bench.worker_startup``.

A pool's worker (and every recycled one) starts Python, imports TensorFlow, Optuna and MLflow, joins the study
and gets the data. For each dataset a one-trial study is created, then ``search worker`` joins it (no trial is
queued, so it exits once it has joined) ``--repeats`` times each way, alternating:

- ``loads the data``: the worker loads the file and computes the split itself (as a worker on another machine
  does);
- ``maps the prepared split``: it maps the split the coordinator wrote (``--prepared-split``, what ``search
  run``'s pool gives its workers since this benchmark was written).

Reported: the median wall time of each, and the saving. (The arrays of a mapped split are also shared
between the workers through the page cache instead of copied into each.)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from bench._common import dataset_path, run_search, write_results

DATASETS = "mnist/mnist.npz,keel/phoneme.csv"


def measure(dataset: str, repeats: int, root: Path) -> dict[str, object]:
    import trainers

    root.mkdir(parents=True)
    run_search(["--dataset", dataset, "--families", "relu", "--trials", "1", "--epochs", "1", "--batch-size", "2048",
                "--seeds", "0", "--workers", "1", "--study", "s"], root)
    split = trainers.save_splits(trainers.split_dataset(trainers.load_dataset(dataset), seed=0), root / "split")
    times: dict[str, list[float]] = {"loads the data": [], "maps the prepared split": []}
    for _ in range(repeats):
        for mode, extra in (("loads the data", []), ("maps the prepared split", ["--prepared-split", str(split)])):
            wall, _ = run_search(["--study", "s", *extra], root, command="worker")
            times[mode].append(wall)
    medians = {mode: statistics.median(values) for mode, values in times.items()}
    return {"dataset": Path(dataset).name, "times_s": times, "median_s": medians,
            "saving_s": medians["loads the data"] - medians["maps the prepared split"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default=DATASETS, help="comma-separated, under ../shared/datasets or names")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-worker-startup-") as tmp:
        rows = [measure(dataset_path(d), args.repeats, Path(tmp) / f"d{i}")
                for i, d in enumerate(args.datasets.split(","))]
    lines = ["| dataset | worker loads the data (s) | worker maps the prepared split (s) | saving per worker start (s) |",
             "|---|---:|---:|---:|"]
    for r in rows:
        m = r["median_s"]
        lines.append(f"| {r['dataset']} | {m['loads the data']:.2f} | {m['maps the prepared split']:.2f} | "  # type: ignore[index]
                     f"{r['saving_s']:.2f} |")
    lines += ["", f"Median of {args.repeats} joins each way, alternating; a join = process start, imports, study and "
                  "MLflow run opened, data, space check, exit (no trial queued)."]
    write_results("worker_startup", {"args": vars(args), "rows": rows}, "\n".join(lines))


if __name__ == "__main__":
    main()
