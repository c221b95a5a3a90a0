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

    memory.main(["--trials", "3", "--epochs", "1", "--dataset", "iris", "--recycle-after", "2"])
    payload = json.loads((tmp_path / "memory.json").read_text())
    for mode in payload["modes"].values():
        assert mode["trials"] == 3 and all(v > 0 for v in mode["rss_mb"])
    first, _, third = payload["modes"]["recycled every 2"]["rss_mb"]
    assert third < first + 300  # the third trial ran in a fresh process


def test_startup_benchmark_smoke(tmp_path: Path) -> None:
    from bench import startup

    startup.main(["--repeats", "1"])
    payload = json.loads((tmp_path / "startup.json").read_text())
    assert [r["command"] for r in payload["rows"]] == [
        "python -m search --help", "python -m search run --help", "python -m search worker --help"
    ]
