"""A tiny run of each benchmark: they still work, and write their JSON and markdown (figures are not checked)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _results_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import bench._common

    monkeypatch.setattr(bench._common, "RESULTS", tmp_path)


@pytest.mark.slow
def test_parallel_benchmark_smoke(tmp_path: Path) -> None:
    from bench import parallel

    parallel.main(["--workers", "1", "--trials", "1", "--epochs", "1", "--dataset", "iris"])
    payload = json.loads((tmp_path / "parallel.json").read_text())
    assert payload["rows"][0]["trials"] == 2 and "trials/hour" in (tmp_path / "parallel.md").read_text()


@pytest.mark.slow
def test_memory_benchmark_smoke(tmp_path: Path) -> None:
    from bench import memory

    memory.main(["--trials", "2", "--epochs", "1", "--dataset", "iris"])
    payload = json.loads((tmp_path / "memory.json").read_text())
    assert len(payload["rss_mb"]) == 2 and all(v > 0 for v in payload["rss_mb"])
