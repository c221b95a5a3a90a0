"""The GPU path, checked in one command on the first GPU machine: ``bash bench/gpu_check.sh``
(``python -m bench.gpu_check``), a few minutes on one GPU.

1. What the machine has: ``nvidia-smi -L`` against what TensorFlow sees. ``nvidia-smi`` listing GPUs that
   TensorFlow does not see is a wrong install (``tensorflow-cpu``, or a CUDA mismatch): it fails loudly, as
   does a machine with no GPU at all (this check is for GPU machines).
2. The placement ``search run`` would choose: one worker per GPU, and with ``--trials-per-gpu 2`` two per GPU
   with memory growth on (``TF_FORCE_GPU_ALLOW_GROWTH``).
3. One trial under ``MirroredStrategy`` on every visible GPU (its replica count).
4. The same small search (digits, 2 families × 4 trials × 5 epochs) three ways: on the CPU, one worker per
   GPU, two workers per GPU — wall time, trials per hour, and where each trial ran.

Results: ``bench/results/gpu_check.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench._common import load_study, run_search, write_results

SEARCH = ["--dataset", "digits", "--families", "relu,tanh", "--trials", "4", "--epochs", "5", "--seeds", "0"]
TRIALS = 8


class GpuCheckFailed(RuntimeError):
    """The machine cannot run the GPU path as installed."""


def nvidia_smi_gpus() -> list[str]:
    if shutil.which("nvidia-smi") is None:
        return []
    listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30, check=False).stdout
    return [line.strip() for line in listing.splitlines() if line.startswith("GPU ")]


def check_install(smi: list[str], tensorflow_gpus: list[str]) -> None:
    """Fail loudly unless TensorFlow sees the GPUs ``nvidia-smi`` lists (pure)."""
    if smi and not tensorflow_gpus:
        raise GpuCheckFailed(
            f"nvidia-smi lists {len(smi)} GPU(s) ({smi[0]}{', ...' if len(smi) > 1 else ''}) but TensorFlow sees "
            "none: a wrong install (tensorflow-cpu instead of the GPU build, or CUDA libraries TensorFlow cannot "
            "load). Install the GPU extra alone: pip uninstall -y tensorflow-cpu && pip install -e '.[gpu]'.")
    if not smi and not tensorflow_gpus:
        raise GpuCheckFailed("No GPU here: nvidia-smi is missing or lists none, and TensorFlow sees none. Run this "
                             "check on a machine with NVIDIA GPUs.")


def tensorflow_gpus() -> list[str]:
    import tensorflow as tf

    return [device.name for device in tf.config.list_physical_devices("GPU")]


def placement(gpus: int) -> dict[str, list[dict[str, Any]]]:
    from search.parallel import plan_workers

    visible = tuple(str(i) for i in range(gpus))
    out = {}
    for per_gpu in (1, 2):
        plans = plan_workers(requested=None, gpus=visible, gpus_per_trial=None, cpu_count=os.cpu_count() or 1,
                             memory_bytes=None, trials_per_gpu=per_gpu)
        out[f"trials_per_gpu={per_gpu}"] = [{"worker": p.index, "CUDA_VISIBLE_DEVICES": ",".join(p.gpus),
                                             "memory_growth": p.shares_gpu} for p in plans]
    return out


def mirrored_trial() -> dict[str, Any]:
    import tensorflow as tf

    import trainers
    from search.study import DefaultHyperParameters
    from spaces import MLPBuilder

    devices = tuple(f"/gpu:{i}" for i in range(len(tf.config.list_logical_devices("GPU"))))
    splits = trainers.split_dataset(trainers.load_dataset("digits"), seed=0)
    build = MLPBuilder(splits.input_shape, splits.n_outputs, splits.task, ("relu",))
    config = trainers.TrainConfig(epochs=3, devices=devices if len(devices) > 1 else None)
    result = trainers.train_model(lambda: build(DefaultHyperParameters()), splits, config)
    return {"devices": list(devices), "replicas": result.n_replicas, "strategy": result.strategy,
            "val_accuracy": result.val_metrics["accuracy"], "fit_s": result.fit_seconds}


def timed_search(label: str, extra: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix=f"gpu-check-{label}-"))
    previous = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        wall, _ = run_search([*SEARCH, "--study", label, *extra], folder)
    finally:
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    study = load_study(folder, label)
    done = [t for t in study.trials if t.state.name == "COMPLETE"]
    where = collections.Counter(str(t.user_attrs.get("worker", "?")) for t in done)
    return {"label": label, "wall_s": wall, "trials": len(done), "trials_per_hour": 3600.0 * len(done) / wall,
            "trials_per_worker": dict(where)}


def table(result: dict[str, Any]) -> str:
    lines = [f"GPUs: {', '.join(result['nvidia_smi'])}", "",
             f"MirroredStrategy trial: {result['mirrored']['replicas']} replica(s) on {result['mirrored']['devices']} "
             f"({result['mirrored']['strategy']}), val accuracy {result['mirrored']['val_accuracy']:.4f}, fit "
             f"{result['mirrored']['fit_s']:.1f} s", "",
             "| search | wall (s) | trials | trials per hour | vs CPU | trials per worker |", "|---|---:|---:|---:|---:|---|"]
    cpu = result["searches"][0]["trials_per_hour"]
    for s in result["searches"]:
        lines.append(f"| {s['label']} | {s['wall_s']:.1f} | {s['trials']} | {s['trials_per_hour']:.0f} | "
                     f"{s['trials_per_hour'] / cpu:.2f}× | {s['trials_per_worker']} |")
    lines += ["", "Placement: " + "; ".join(f"{k}: " + ", ".join(f"worker {w['worker']} → GPU {w['CUDA_VISIBLE_DEVICES']}"
                                                             + (" (memory growth)" if w["memory_growth"] else "")
                                                             for w in v) for k, v in result["placement"].items())]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args(argv)
    smi, seen = nvidia_smi_gpus(), tensorflow_gpus()
    try:
        check_install(smi, seen)
    except GpuCheckFailed as exc:
        print(f"GPU CHECK FAILED: {exc}", file=sys.stderr)
        return 1
    result: dict[str, Any] = {"nvidia_smi": smi, "tensorflow": seen, "placement": placement(len(smi))}
    result["mirrored"] = mirrored_trial()
    result["searches"] = [
        timed_search("cpu", ["--workers", "2", "--gpus-per-trial", "0"], {"CUDA_VISIBLE_DEVICES": ""}),
        timed_search("one-per-gpu", ["--workers", "auto"]),
        timed_search("two-per-gpu", ["--workers", "auto", "--trials-per-gpu", "2"]),
    ]
    write_results("gpu_check", result, table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
