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
def test_verdict_share_benchmark_smoke(tmp_path: Path) -> None:
    from bench import verdict_share

    verdict_share.main(["--dataset", "iris", "--families", "relu,tanh", "--trials", "1", "--epochs", "1",
                        "--seeds", "2", "--workers", "1", "2"])
    payload = json.loads((tmp_path / "verdict_share.json").read_text())
    assert [r["workers"] for r in payload["rows"]] == [1, 2]
    assert payload["rows"][0]["jobs"] == payload["rows"][1]["jobs"] > 0  # the same retrainings, all run again
    assert "speed-up vs first" in (tmp_path / "verdict_share.md").read_text()


@pytest.mark.slow
@pytest.mark.postgres
def test_chaos_benchmark_smoke(tmp_path: Path) -> None:
    from bench import chaos
    from tests.servers import require_postgres

    require_postgres()
    chaos.main(["--rounds", "1", "--trials", "1", "--epochs", "4", "--faults", "coordinator", "database"])
    payload = json.loads((tmp_path / "chaos.json").read_text())
    assert [r["storage"] for r in payload["rows"]] == ["postgresql", "sqlite"]
    assert all(r["violations"] == [] for r in payload["rows"]), payload["rows"]
    assert "slowest recovery" in (tmp_path / "chaos.md").read_text()


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


@pytest.mark.slow
def test_overhead_benchmark_smoke(tmp_path: Path) -> None:
    from bench import overhead

    overhead.main(["--dataset", "iris", "--families", "relu", "--trials", "2", "--epochs", "1", "--rounds", "1"])
    payload = json.loads((tmp_path / "overhead.json").read_text())
    (round_,) = payload["rounds"]
    assert [c["family"] for c in round_["search_trials"]] == ["relu", "relu"]
    # the floor trains exactly the search's configurations
    assert [r["number"] for r in round_["floors"]["8"]["rows"]] == [c["number"] for c in round_["search_trials"]]
    assert payload["ratio_loop_vs_same_settings"] > 0 and "target ≤ 1.05" in (tmp_path / "overhead.md").read_text()


@pytest.mark.slow
def test_logging_share_benchmark_smoke(tmp_path: Path) -> None:
    from bench import logging_share

    logging_share.main(["--dataset", "iris", "--families", "relu", "--trials", "2", "--epochs", "1"])
    payload = json.loads((tmp_path / "logging_share.json").read_text())
    assert payload["trials"] == 2 and 0 < payload["share_percent"] < 100
    assert {"create_run", "set_terminated", "log_batch"} <= set(payload["by_method_in_trials_s"])


@pytest.mark.slow
def test_peers_benchmark_smoke(tmp_path: Path) -> None:
    from bench import peers

    peers.main(["--dataset", "iris", "--families", "relu,tanh", "--n-trials", "2", "--epochs", "2", "--only",
                "activation-search --workers 1", "keras-tuner Hyperband", "optuna + MLflowCallback"])
    payload = json.loads((tmp_path / "peers.json").read_text())
    rows = {r["contender"]: r for r in payload["rows"]}
    assert rows["activation-search --workers 1"]["trials"] == 2 and rows["optuna + MLflowCallback"]["trials"] == 2
    assert rows["keras-tuner Hyperband"]["trials"] >= 2
    assert any(r["time_to_target_s"] is not None for r in rows.values())  # the best one reached its own best


def test_time_to_target_is_the_first_trial_at_or_above_it() -> None:
    from bench.peers import summarise, time_to_target

    events = [{"elapsed_s": 5.0, "score": 0.90}, {"elapsed_s": 7.0, "score": None},
              {"elapsed_s": 9.0, "score": 0.955}, {"elapsed_s": 12.0, "score": 0.99}]
    assert time_to_target(events, 0.95) == (9.0, 3)
    assert time_to_target(events, 0.995) == (None, None)
    rows = [{"best": 0.99, "events": events}, {"best": 0.96, "events": [{"elapsed_s": 1.0, "score": 0.96}]}]
    best, target = summarise(rows, 0.005)
    assert (best, round(target, 3)) == (0.99, 0.985)
    assert rows[0]["time_to_target_s"] == 12.0 and rows[1]["time_to_target_s"] is None


def test_replication_counts_agreement_whichever_way_round_a_pair_was_listed() -> None:
    from bench.replication import compare_runs

    first = [{"better": "selu", "worse": "elu", "verdict": "holds"},
             {"better": "relu", "worse": "tanh", "verdict": "practically equivalent"},
             {"better": "tanh", "worse": "sigmoid", "verdict": "holds"},
             {"better": "elu", "worse": "relu", "verdict": "no significant difference"}]
    second = [{"better": "elu", "worse": "selu", "verdict": "reversed"},  # the same claim, listed the other way
              {"better": "tanh", "worse": "relu", "verdict": "holds"},
              {"better": "sigmoid", "worse": "tanh", "verdict": "holds"},  # opposite
              {"better": "relu", "worse": "elu", "verdict": "practically equivalent"}]
    result = compare_runs(first, second)
    assert result["counts"] == {"pairs": 4, "agree": 2, "one_run_only": 0, "opposite": 1,
                                "equivalent_vs_significant": 1}
    assert {"pair": "elu vs selu", "run_a": "selu>elu", "run_b": "selu>elu"} in result["rows"]


@pytest.mark.slow
def test_replication_benchmark_smoke(tmp_path: Path) -> None:
    from bench import replication

    replication.main(["--datasets", "iris", "--families", "relu,tanh,sigmoid", "--trials", "1", "--epochs", "1",
                      "--seeds", "2", "--workers", "1"])
    payload = json.loads((tmp_path / "replication.json").read_text())
    (result,) = payload["results"]
    assert result["counts"]["pairs"] == 3 and len(result["runs"]) == 2
    assert {"shared_sd", "noise_sd"} <= set(result["runs"][0]["variance"])
    assert "significant in one run only" in (tmp_path / "replication.md").read_text()
    assert result["variance"] is None or set(result["variance"]["shares"]) == {"seed", "split", "search"}
