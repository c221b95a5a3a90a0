"""Which worker processes to start on this machine, and what each gets: its GPUs, or its share of the cores."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from search.errors import UsageError

WORKER_MEMORY_BYTES = 2 * 1024**3  # what one worker may take (TensorFlow, the data, a small model)


@dataclass(frozen=True)
class WorkerPlan:
    index: int
    gpus: tuple[str, ...] = ()  # CUDA_VISIBLE_DEVICES of this worker; () on a CPU
    threads: int | None = None  # TensorFlow intra-op threads (CPU workers); None: TensorFlow's default
    shares_gpu: bool = False  # other workers train on the same GPUs (--trials-per-gpu 2+): memory grows on demand

    def env(self, base: Mapping[str, str]) -> dict[str, str]:
        env = dict(base)
        if self.gpus:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(self.gpus)
            if self.shares_gpu:  # else TensorFlow maps nearly all GPU memory in the first worker
                env["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
        elif self.threads is not None:
            env["CUDA_VISIBLE_DEVICES"] = env.get("CUDA_VISIBLE_DEVICES", "")
            for name in ("TF_NUM_INTRAOP_THREADS", "OMP_NUM_THREADS"):
                env[name] = str(self.threads)
            env["TF_NUM_INTEROP_THREADS"] = "1"
        return env


def visible_gpus(env: Mapping[str, str] = os.environ, nvidia_smi: Callable[[], str | None] | None = None) -> tuple[str, ...]:
    """The GPUs this process may use, without importing TensorFlow: ``CUDA_VISIBLE_DEVICES`` when set, else
    what ``nvidia-smi -L`` lists."""
    if "CUDA_VISIBLE_DEVICES" in env:
        text = env["CUDA_VISIBLE_DEVICES"].strip()
        if not text or text == "-1":
            return ()
        return tuple(part.strip() for part in text.split(",") if part.strip())
    listing = (nvidia_smi or _nvidia_smi)()
    if not listing:
        return ()
    return tuple(str(i) for i, line in enumerate(ln for ln in listing.splitlines() if ln.startswith("GPU ")))


def plan_workers(
    *,
    requested: int | None,
    gpus: Sequence[str],
    gpus_per_trial: int | None,
    cpu_count: int,
    memory_bytes: int | None,
    trials_per_gpu: int = 1,
) -> list[WorkerPlan]:
    """Which workers to start, and what each gets.

    With G visible GPUs, K GPUs per trial (default 1) and T trials per GPU (default 1): (G // K) * T workers
    (or ``requested``, if it fits), worker i pinned to GPU group g = i mod (G // K), ``[g*K, (g+1)*K)``; a
    worker with K >= 2 trains under ``MirroredStrategy``; with T >= 2 the T workers of a group share it, their
    GPU memory growing on demand. On a CPU: ``requested`` workers (default: as many as there are cores and 2 GiB of
    available memory each), each with an equal share of the cores as TensorFlow threads.
    """
    if requested is not None and requested < 1:
        raise UsageError(f"--workers must be at least 1, but got {requested}.")
    if gpus_per_trial is not None and gpus_per_trial < 0:
        raise UsageError(f"--gpus-per-trial must be 0 (CPU) or more, but got {gpus_per_trial}.")
    if trials_per_gpu < 1:
        raise UsageError(f"--trials-per-gpu must be at least 1, but got {trials_per_gpu}.")
    if gpus and gpus_per_trial != 0:
        return _gpu_plans(requested, gpus, gpus_per_trial or 1, trials_per_gpu)
    if gpus_per_trial:
        raise UsageError(f"--gpus-per-trial {gpus_per_trial}, but no GPU is visible (CUDA_VISIBLE_DEVICES, nvidia-smi).")
    if trials_per_gpu > 1:
        raise UsageError(f"--trials-per-gpu {trials_per_gpu}, but no GPU is visible (CUDA_VISIBLE_DEVICES, nvidia-smi).")
    cores = max(1, cpu_count)
    fits = cores if memory_bytes is None else max(1, min(cores, memory_bytes // WORKER_MEMORY_BYTES))
    n = requested or fits
    if n == 1:
        return [WorkerPlan(0)]
    return [WorkerPlan(i, (), max(1, cores // n)) for i in range(n)]


def _gpu_plans(requested: int | None, gpus: Sequence[str], k: int, per_gpu: int) -> list[WorkerPlan]:
    if k > len(gpus):
        raise UsageError(f"--gpus-per-trial {k}, but only {len(gpus)} GPU(s) are visible ({','.join(gpus)}).")
    groups = len(gpus) // k
    most = groups * per_gpu
    n = requested or most
    if n > most:
        sharing = f" and --trials-per-gpu {per_gpu}" if per_gpu > 1 else ""
        raise UsageError(f"--workers {n} with --gpus-per-trial {k}{sharing} needs {-(-n // per_gpu) * k} GPUs, but "
                         f"{len(gpus)} are visible.")
    # Round robin over the groups, so that fewer workers than fit still spread over every GPU.
    return [WorkerPlan(i, tuple(gpus[(i % groups) * k : (i % groups + 1) * k]), shares_gpu=per_gpu > 1)
            for i in range(n)]


def _nvidia_smi() -> str | None:
    if shutil.which("nvidia-smi") is None:
        return None
    try:
        return subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None

