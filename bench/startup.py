"""Start-up time of the light commands: ``python -m bench.startup``.

``python -m search --help``, ``run --help`` and ``worker --help`` must answer without importing TensorFlow,
Keras, MLflow or Optuna (tests/test_layering.py checks the imports); this measures the wall time, the median
of ``--repeats`` runs each. Target: ≤ 0.3 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from bench._common import ROOT, write_results

COMMANDS = (["--help"], ["run", "--help"], ["worker", "--help"])
TARGET_S = 0.3


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rows = []
    for command in COMMANDS:
        times = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "search", *command], env=env, capture_output=True, check=True)
            times.append(time.perf_counter() - started)
        rows.append({"command": " ".join(["python -m search", *command]), "median_s": statistics.median(times),
                     "min_s": min(times), "max_s": max(times)})
    lines = ["| command | median (s) | min–max (s) | target | ratio to target |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| `{r['command']}` | {r['median_s']:.3f} | {r['min_s']:.3f}–{r['max_s']:.3f} | {TARGET_S} | "
                     f"{r['median_s'] / TARGET_S:.2f} |")
    write_results("startup", {"args": vars(args), "rows": rows}, "\n".join(lines))


if __name__ == "__main__":
    main()
