"""``bash bench/gpu_check.sh`` on a machine without a usable GPU: it fails loudly, never skips — both when there
is no GPU at all (this machine) and when nvidia-smi lists GPUs that TensorFlow does not see (a wrong install,
simulated by an ``nvidia-smi`` on PATH that lists one)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.gpu_check import GpuCheckFailed, check_install, placement

ROOT = Path(__file__).resolve().parents[2]


def test_the_install_check_names_the_fault() -> None:
    check_install(["GPU 0: H100"], ["/physical_device:GPU:0"])  # fine: TensorFlow sees what nvidia-smi lists
    with pytest.raises(GpuCheckFailed, match=r"nvidia-smi lists 1 GPU\(s\) \(GPU 0: H100\) but TensorFlow sees none"):
        check_install(["GPU 0: H100"], [])
    with pytest.raises(GpuCheckFailed, match="No GPU here"):
        check_install([], [])


def test_the_placement_it_reports_packs_two_workers_per_gpu_with_memory_growth() -> None:
    plans = placement(2)
    assert [w["CUDA_VISIBLE_DEVICES"] for w in plans["trials_per_gpu=1"]] == ["0", "1"]
    assert [w["CUDA_VISIBLE_DEVICES"] for w in plans["trials_per_gpu=2"]] == ["0", "1", "0", "1"]
    assert all(w["memory_growth"] for w in plans["trials_per_gpu=2"])


def _gpu_check(path: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": path, "HOME": os.environ.get("HOME", "/tmp"), "PYTHONPATH": str(ROOT)}
    return subprocess.run(["bash", str(ROOT / "bench" / "gpu_check.sh")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_the_script_fails_loudly_without_a_gpu_and_on_a_wrong_install(tmp_path: Path) -> None:
    python_dir = str(Path(sys.executable).parent)  # the script runs `python`: this interpreter
    base = f"{python_dir}:/usr/bin:/bin"
    done = _gpu_check(base)
    assert done.returncode == 1 and "GPU CHECK FAILED: No GPU here" in done.stderr, done.stderr[-2000:]
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA H200 (UUID: GPU-0)'\n")
    fake.chmod(0o755)
    done = _gpu_check(f"{tmp_path}:{base}")
    assert done.returncode == 1 and "but TensorFlow sees none: a wrong install" in done.stderr, done.stderr[-2000:]
