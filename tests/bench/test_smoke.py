"""A tiny run of each benchmark: they still work, and write their JSON and markdown (figures are not checked)."""

from __future__ import annotations

import json
import time
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
    assert len(payload["bare"]["alone"]) == 1 and len(payload["bare"]["side_by_side"]) == 2
    assert "side by side" in (tmp_path / "parallel.md").read_text()
    assert payload["single_thread"]["threads"] == 1 and payload["single_thread"]["trials"] == 2


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
def test_worker_startup_benchmark_smoke(tmp_path: Path) -> None:
    from bench import worker_startup

    worker_startup.main(["--datasets", "iris", "--repeats", "1"])
    payload = json.loads((tmp_path / "worker_startup.json").read_text())
    (row,) = payload["rows"]
    assert set(row["median_s"]) == {"loads the data", "maps the prepared split"}
    assert "saving per worker start" in (tmp_path / "worker_startup.md").read_text()


@pytest.mark.slow
def test_overhead_benchmark_smoke(tmp_path: Path) -> None:
    from bench import overhead

    overhead.main(["--dataset", "iris", "--families", "relu", "--trials", "2", "--epochs", "1", "--min-rounds", "2",
                   "--max-rounds", "2", "--no-plain-fit"])
    payload = json.loads((tmp_path / "overhead.json").read_text())
    first, second = payload["rounds"]
    assert [c["family"] for c in first["search_trials"]] == ["relu", "relu"]
    assert [c["params"] for c in first["search_trials"]] == [c["params"] for c in second["search_trials"]]
    assert (first["floor_first"], second["floor_first"]) == (False, True)
    # the floor trains exactly the search's configurations
    assert [r["number"] for r in first["floors"]["8"]["rows"]] == [c["number"] for c in first["search_trials"]]
    # ... and trains them as train_model does (the same input pipeline, permutations and seeds): same scores
    assert [r["val_accuracy"] for r in first["floors"]["8"]["rows"]] == pytest.approx(
        [c["value"] for c in first["search_trials"]])
    assert first["search_cpu_s"] > 0 and first["floor_cpu_s"] > 0
    assert set(payload["summary"]) >= {"ratio_loop_vs_same_settings", "ratio_cpu_vs_same_settings"}
    same = payload["summary"]["ratio_loop_vs_same_settings"]
    assert same["low"] <= same["mean"] <= same["high"] and "(≤ 1.05 ×)" in (tmp_path / "overhead.md").read_text()


def test_the_overhead_interval_is_students_t() -> None:
    from bench.overhead import interval

    mean, low, high = interval([1.0, 1.1, 0.9, 1.0])
    assert mean == 1.0 and round(high - mean, 4) == round(3.1824 * 0.0816497 / 2, 4)
    assert interval([1.0])[1:] == (float("-inf"), float("inf"))


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

    peers.main(["--dataset", "iris", "--families", "relu,tanh", "--n-trials", "2", "--epochs", "2", "--seeds", "0,1",
                "--budget", "90", "--marks", "30,90", "--only", "activation-search --workers 1",
                "keras-tuner Hyperband", "optuna + MLflowCallback"])
    payload = json.loads((tmp_path / "peers_iris.json").read_text())
    rows = [r for r in payload["rows"] if r["seed"] == 1]
    by_name = {r["contender"]: r for r in rows}
    assert by_name["activation-search --workers 1"]["trials"] == 2 and by_name["optuna + MLflowCallback"]["trials"] == 2
    assert by_name["keras-tuner Hyperband"]["trials"] >= 2
    assert any(r["time_to_target_s"] is not None for r in rows)  # the best one reached its own best
    assert set(payload["ratios"]["activation-search --workers 1"]) == {"keras-tuner Hyperband",
                                                                       "optuna + MLflowCallback"}
    assert "best at 90 s" in (tmp_path / "peers_iris.md").read_text()
    # --merge-with --again: one contender measured anew on the saved seeds, its old rows replaced
    peers.main(["--merge-with", str(tmp_path / "peers_iris.json"), "--again", "--only", "activation-search --workers 1"])
    merged = json.loads((tmp_path / "peers_iris.json").read_text())
    ours = [r for r in merged["rows"] if r["contender"] == "activation-search --workers 1"]
    assert sorted(r["seed"] for r in ours) == [0, 1] and len(merged["rows"]) == len(payload["rows"])
    assert sorted(merged["args"]["only"]) == sorted(payload["args"]["only"])
    assert "Measured anew by `--merge-with`: activation-search --workers 1 on" in (tmp_path / "peers_iris.md").read_text()
    # --from-json reports again and keeps the saved run's machine line (its date): nothing was measured now
    merged["machine"]["date"] = "1999-01-01 00:00 UTC"
    (tmp_path / "peers_iris.json").write_text(json.dumps(merged))
    peers.main(["--from-json", str(tmp_path / "peers_iris.json")])
    assert (tmp_path / "peers_iris.md").read_text().startswith("_1999-01-01 00:00 UTC")


def test_a_contender_past_its_budget_is_stopped_and_keeps_what_it_finished(tmp_path: Path) -> None:
    import sys

    from bench.peers import _run_for

    script = "import time\nfor i in range(100):\n    open('done', 'a').write('x')\n    time.sleep(0.5)\n"
    started = time.time()
    launched = _run_for([sys.executable, "-c", script], tmp_path, 2.0)
    assert time.time() - started < 10 and launched <= started + 0.5
    assert 2 <= len((tmp_path / "done").read_text()) <= 6


def test_peer_summaries_count_never_as_last_and_bound_the_ratios() -> None:
    from bench.peers import aggregate, paired_ratios, summarise

    fast = [{"elapsed_s": 10.0, "score": 0.90}, {"elapsed_s": 40.0, "score": 0.95}]
    slow = [{"elapsed_s": 50.0, "score": 0.80}, {"elapsed_s": 100.0, "score": 0.948}]
    rows = []
    for seed, (a, b) in enumerate([(fast, slow), (fast, [{"elapsed_s": 20.0, "score": 0.5}])]):
        block = [{"contender": "us", "seed": seed, "trials": 2, "best": 0.95, "events": a},
                 {"contender": "them", "seed": seed, "trials": len(b), "best": max(e["score"] for e in b), "events": b}]
        summarise(block, 0.005, (30.0, 120.0))
        rows += block
    assert rows[0]["best_at"] == {"30.0": 0.90, "120.0": 0.95} and rows[1]["best_at"]["30.0"] is None
    summary = aggregate(rows, ["us", "them"], (30.0, 120.0))
    assert summary["us"]["time_to_target_s"] == {"median": 40.0, "min": 40.0, "max": 40.0}
    assert summary["them"]["reached"] == 1 and summary["them"]["time_to_target_s"]["max"] == float("inf")
    assert summary["them"]["best_at"]["30.0"]["min"] == float("-inf")
    ratios = paired_ratios(rows, "us", "them", budget=120.0)
    assert [(r["ratio"], r["bound"]) for r in ratios["per_seed"]] == [(0.4, "="), (40.0 / 120.0, "≤")]
    for row in rows:
        if row["seed"] == 1:
            row["time_to_target_s"] = None
    ratios = paired_ratios(rows, "us", "them", budget=120.0)  # neither reached it on seed 1: left out
    assert ratios["per_seed"][1] == {"seed": 1, "ratio": None, "bound": "neither"} and ratios["median"] == 0.4


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


def test_the_peers_target_window_is_compared_with_the_validation_noise() -> None:
    from bench.peers import noise_line

    assert "±1.2 points (wider than the window" in noise_line(811, 0.87, 0.005)  # phoneme: 4 rows are 0.5 points
    assert "wider" not in noise_line(100_000, 0.87, 0.005)


@pytest.mark.slow
def test_input_pipeline_benchmark_smoke(tmp_path: Path) -> None:
    from bench import input_pipeline

    input_pipeline.main(["--datasets", "iris", "--families", "relu,tanh", "--epochs", "1", "--rounds", "2"])
    payload = json.loads((tmp_path / "input_pipeline.json").read_text())
    (row,) = payload["rows"]
    assert [set(r) for r in row["rounds"]] == [{"arrays", "pipeline", "ratio"}] * 2
    assert row["ratio_min"] <= row["ratio"] <= row["ratio_max"] and row["arrays_s"] > 0 < row["pipeline_s"]
    assert "pipeline ÷ arrays" in (tmp_path / "input_pipeline.md").read_text()
