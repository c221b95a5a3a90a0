"""The verdict report from a stored evaluation record: pure, deterministic, every number present."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from search.errors import UsageError
from search.study.summary import TrialRecord
from search.verdict.datasets import cross_dataset
from search.verdict.render import (
    chain_line,
    family_table_rows,
    summary_metrics,
    to_json,
    to_markdown,
    tuning_line,
)
from search.verdict.report import build_report

SEEDS = [100000, 100001, 100002, 100003, 100004]


def record(means: dict[str, float], *, noise: float = 0.002, seed: int = 0, nan_at: tuple[str, int] | None = None,
           combo: bool = True) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    shared = rng.normal(0.0, 0.003, len(SEEDS))  # the per-seed effect every family shares (paired design)
    families: dict[str, Any] = {}
    for family, mean in means.items():
        tuned = (mean + shared + rng.normal(0.0, noise, len(SEEDS))).tolist()
        default = (mean - 0.01 + shared + rng.normal(0.0, noise, len(SEEDS))).tolist()
        if nan_at and nan_at[0] == family:
            tuned[nan_at[1]] = math.nan
        lat = [0.001] * len(SEEDS)
        families[family] = {
            "tuned": {"trial": 7, "val_score": mean, "params": {"activation": family, "units": 64},
                      "test": tuned, "val": tuned, "latency_s": lat},
            "default": {"params": {"activation": family, "units": 128}, "test": default, "val": default,
                        "latency_s": lat},
        }
    out = {"metric": "accuracy", "direction": "maximize", "seeds": SEEDS, "epochs": 10, "batch_size": 64,
           "latency_batch": 256, "families": families}
    if combo and "selu" in means:
        out["selu_combo"] = {"params": {"activation": "selu"}, "canonical": families["selu"]["tuned"]["test"],
                             "plain": [v - 0.02 for v in families["selu"]["tuned"]["test"]]}
    return out


RECORDS = [TrialRecord(0, "selu", "complete", 0.9), TrialRecord(1, "elu", "pruned", None),
           TrialRecord(2, "relu", "failed", None)]
CLEAR_CHAIN = {"selu": 0.95, "elu": 0.93, "leaky_relu": 0.91, "relu": 0.89, "tanh": 0.87, "sigmoid": 0.85}


def test_a_clear_chain_holds_and_every_number_is_reported() -> None:
    report = build_report(record(CLEAR_CHAIN), RECORDS, study_name="s", dataset="d")
    assert report["chain"]["verdict"] == "holds"
    assert [p["verdict"] for p in report["chain"]["pairs"]] == ["holds"] * 5
    assert [r["family"] for r in report["families"]] == list(CLEAR_CHAIN)  # best first
    selu = report["families"][0]
    assert selu["tuned"]["n"] == 5 and selu["tuned"]["ci_low"] < selu["tuned"]["mean"] < selu["tuned"]["ci_high"]
    assert selu["latency_ms"] == pytest.approx(1.0) and selu["trials"] == {"complete": 1, "pruned": 0, "failed": 0}
    assert len(report["all_pairs"]) == 15 and len(report["tuned_vs_default"]) == 6
    assert report["selu_combo"]["pair"]["verdict"] == "holds"
    assert chain_line(report).startswith("Géron's chain (selu > elu > leaky_relu > relu > tanh > sigmoid) on d, tuned: "
                                         "HOLDS")


def test_identical_families_are_practically_equivalent_or_without_a_rope_not_different() -> None:
    same = {f: 0.9 for f in CLEAR_CHAIN}
    rec = record(same, noise=0.0)  # same function, same seeds: identical scores
    report = build_report(rec, RECORDS, study_name="s", dataset="d")
    assert report["rope"] == 0.005 and report["chain"]["verdict"] == "practically equivalent"
    assert {p["verdict"] for p in report["all_pairs"]} == {"practically equivalent"}
    no_rope = build_report(rec, RECORDS, study_name="s", dataset="d", rope=0.0)
    assert no_rope["chain"]["verdict"] == "inconclusive"
    assert {p["verdict"] for p in no_rope["all_pairs"]} == {"no significant difference"}


def test_reversed_chain_is_contradicted() -> None:
    reversed_means = dict(zip(CLEAR_CHAIN, sorted(CLEAR_CHAIN.values()), strict=True))
    report = build_report(record(reversed_means), RECORDS, study_name="s", dataset="d")
    assert report["chain"]["verdict"] == "contradicted"


def test_a_diverged_seed_counts_against_its_family_and_no_seed_is_dropped_elsewhere() -> None:
    report = build_report(record(CLEAR_CHAIN, nan_at=("elu", 2)), RECORDS, study_name="s", dataset="d")
    assert {p["n"] for p in report["chain"]["pairs"]} == {5}  # before: seed 2 dropped from every pair
    by_pair = {(p["better"], p["worse"]): p for p in report["chain"]["pairs"]}
    assert by_pair[("selu", "elu")]["diverged_worse"] == 1 and by_pair[("elu", "leaky_relu")]["diverged_better"] == 1
    assert by_pair[("relu", "tanh")]["diverged_better"] == by_pair[("relu", "tanh")]["diverged_worse"] == 0
    elu = next(r for r in report["families"] if r["family"] == "elu")
    assert elu["tuned"]["n"] == 4 and elu["tuned"]["diverged"] == 1 and elu["divergence_rate"] == pytest.approx(0.1)


def test_one_diverging_family_cannot_empty_the_chain() -> None:
    rec = record(CLEAR_CHAIN)
    for seed in range(4):  # sigmoid diverged on 4 of 5 seeds
        rec["families"]["sigmoid"]["tuned"]["test"][seed] = math.nan
    report = build_report(rec, RECORDS, study_name="s", dataset="d")
    assert report["chain"]["order"] == list(CLEAR_CHAIN) and {p["n"] for p in report["chain"]["pairs"]} == {5}


def test_the_chain_is_a_conjunction_on_the_report_path() -> None:
    """[holds, reversed, holds, holds, holds] is contradicted, and the definitions are printed."""
    means = dict(CLEAR_CHAIN, elu=0.97)  # elu above selu: selu > elu reversed, the rest hold
    report = build_report(record(means), RECORDS, study_name="s", dataset="d")
    assert [p["verdict"] for p in report["chain"]["pairs"]][:2] == ["reversed", "holds"]
    assert report["chain"]["verdict"] == "contradicted"
    md = to_markdown(report)
    assert "chain **contradicted**: at least one adjacent pair is reversed" in md
    assert "pair **practically equivalent**" in md


def test_a_chain_with_a_missing_family_says_it_was_shortened() -> None:
    means = {f: m for f, m in CLEAR_CHAIN.items() if f != "relu"}
    report = build_report(record(means), RECORDS, study_name="s", dataset="d")
    assert report["chain"]["shortened"] and report["chain"]["missing"] == ["relu"]
    assert "shortened: relu not evaluated" in chain_line(report)


def test_the_keras_defaults_get_their_own_chain_and_a_line_says_what_tuning_changed() -> None:
    rec = record(CLEAR_CHAIN)
    base = rec["families"]["selu"]["default"]["test"]
    for family in CLEAR_CHAIN:  # untuned, every family alike: the defaults' chain is practically equivalent
        rec["families"][family]["default"]["test"] = list(base)
    report = build_report(rec, RECORDS, study_name="s", dataset="d")
    assert report["default_chain"]["verdict"] == "practically equivalent" and report["chain"]["verdict"] == "holds"
    assert report["tuning_changed"][0] == "selu > elu: practically equivalent → holds"
    assert "Keras defaults: PRACTICALLY EQUIVALENT" in chain_line(report, "default_chain")
    assert tuning_line(report).startswith("Tuning changed: selu > elu: practically equivalent → holds")


def test_families_outside_the_chain_are_compared_but_not_chained() -> None:
    report = build_report(record({"gelu": 0.9, "relu": 0.88}), RECORDS, study_name="s", dataset="d")
    assert report["chain"] is None and "not testable" in chain_line(report)
    assert [(p["better"], p["worse"]) for p in report["all_pairs"]] == [("gelu", "relu")]


def test_renderings_are_deterministic_and_complete() -> None:
    rec = record(CLEAR_CHAIN)
    a = build_report(rec, RECORDS, study_name="s", dataset="d")
    b = build_report(json.loads(json.dumps(rec)), RECORDS, study_name="s", dataset="d")  # as stored and read back
    assert to_json(a) == to_json(b)
    md = to_markdown(a)
    assert "## Géron's chain, tuned, adjacent pairs" in md and "## SELU: canonical" in md
    assert md.count("| selu > elu |") == 3  # tuned chain, defaults' chain, all pairs
    rows = family_table_rows(a)
    assert rows[0][0] == "selu" and rows[0][3] == "0%" and rows[0][5] == "1/0/0"
    metrics = summary_metrics(a)
    assert metrics["test_accuracy_tuned_mean.selu"] == pytest.approx(a["families"][0]["tuned"]["mean"])
    assert "latency_ms.relu" in metrics


def test_cross_dataset_ranks_and_friedman() -> None:
    reports = [build_report(record(CLEAR_CHAIN, seed=s), RECORDS, study_name=f"s{s}", dataset=f"d{s}")
               for s in range(4)]
    comparison = cross_dataset(reports)
    assert comparison["families"][0] == "selu" and comparison["average_ranks"]["selu"] == 1.0
    assert comparison["friedman_p_value"] < 0.01 and comparison["critical_difference"] > 0
    assert comparison["verdicts"] == {f"d{s}": "holds" for s in range(4)}
    with pytest.raises(UsageError, match="another dataset"):
        cross_dataset([reports[0], reports[0]])


def test_report_command_across_stored_studies_writes_every_file(tmp_path: Any, capsys: Any) -> None:
    """Three studies in a real SQLite storage, each holding an evaluation record as `search run` stores it."""
    import optuna

    from search.cli import main

    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    for s in range(3):
        study = optuna.create_study(study_name=f"study{s}", storage=storage, direction="maximize")
        study.set_user_attr("dataset", f"data{s}")
        study.set_user_attr("evaluation", record(CLEAR_CHAIN, seed=s))
    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    argv = ["report", "--storage", storage, "--output", str(tmp_path / "out"), "--tracking-uri", tracking]
    for s in range(3):
        argv += ["--study", f"study{s}"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking)
    (run,) = client.search_runs([client.get_experiment_by_name("activation-search/datasets").experiment_id])
    assert run.data.tags["role"] == "datasets" and run.data.metrics["average_rank.selu"] == 1.0
    logged = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"datasets.json", "datasets.md", "cd_diagram.png"} <= logged
    assert out.count("Géron's chain (selu > elu > leaky_relu > relu > tanh > sigmoid)") == 6  # tuned and defaults
    assert "Across 3 datasets: Friedman p = " in out and "selu 1.00" in out
    written = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*") if p.is_file())
    per_study = ["plots/activations.png", "plots/family_scores.png", "plots/optimization_history.png",
                 "plots/verdict_scores.png", "report.json", "report.md", "summary.json", "summary.md"]
    assert written == ["cd_diagram.png", "datasets.json", "datasets.md",
                       *(f"study{s}/{name}" for s in range(3) for name in per_study)]
    for png in (tmp_path / "out").rglob("*.png"):
        assert png.read_bytes().startswith(b"\x89PNG"), png
    comparison = json.loads((tmp_path / "out" / "datasets.json").read_text())
    assert comparison["verdicts"] == {f"data{s}": "holds" for s in range(3)}


def test_report_of_a_study_without_evaluation_is_a_usage_error(tmp_path: Any, capsys: Any) -> None:
    import optuna

    from search.cli import main

    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    optuna.create_study(study_name="bare", storage=storage)
    assert main(["report", "--study", "bare", "--storage", storage]) == 2
    assert capsys.readouterr().err.startswith("error: Study 'bare' has no re-evaluation yet")


def test_every_report_says_how_many_seeds_a_one_point_difference_needs() -> None:
    from search.verdict.render import power_line

    report = build_report(record(CLEAR_CHAIN, noise=0.004), RECORDS, study_name="s", dataset="d")
    power = report["power"]
    assert power["effect"] == 0.01 and power["alpha"] == pytest.approx(0.01) and power["replicates"] >= 2
    assert f"needs about {power['replicates']} seeds; this verdict used 5" in power_line(report)
    assert "Power: to detect a difference of 0.01 accuracy" in to_markdown(report)


def test_report_repeats_pools_stored_runs_of_one_dataset_and_logs_them(tmp_path: Any, capsys: Any) -> None:
    """``report --repeats``: studies on one dataset (repeated runs) are pooled, the run as the unit, logged to
    MLflow and written; studies on other datasets, or a single study, are refused with one line."""
    import optuna
    from mlflow.tracking import MlflowClient

    from search.cli import main

    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    for s in range(3):
        study = optuna.create_study(study_name=f"run{s}", storage=storage, direction="maximize")
        study.set_user_attr("dataset", "digits" if s < 2 else "iris")
        study.set_user_attr("evaluation", record(CLEAR_CHAIN, seed=s))
    base = ["report", "--storage", storage, "--tracking-uri", tracking, "--repeats"]
    assert main([*base, "--study", "run0", "--output", str(tmp_path / "out"), "--study", "run1"]) == 0
    out = capsys.readouterr().out
    assert "Over 2 repeated runs (run0, run1), the run as the unit:" in out and "Per run: run0: tuned holds" in out
    client = MlflowClient(tracking)
    (run,) = client.search_runs([client.get_experiment_by_name("activation-search/digits").experiment_id])
    assert run.data.tags["role"] == "repeats" and {"repeats.md", "repeats.json"} <= {
        a.path for a in client.list_artifacts(run.info.run_id)}
    pooled = json.loads((tmp_path / "out" / "repeats.json").read_text())
    assert pooled["runs"] == 2 and pooled["studies"] == ["run0", "run1"] and pooled["variance"]["runs"] == 2
    assert main([*base, "--study", "run0", "--study", "run2"]) == 2
    assert "must be on one dataset" in capsys.readouterr().err
    assert main([*base, "--study", "run0"]) == 2
    assert capsys.readouterr().err.strip() == "error: --repeats pools repeated runs: give at least two --study."


def test_report_and_worker_refuse_a_mistyped_sqlite_path_and_create_nothing(tmp_path: Any, capsys: Any,
                                                                           monkeypatch: Any) -> None:
    from search.cli import main

    monkeypatch.chdir(tmp_path)
    for command in (["report", "--study", "s"], ["worker", "--study", "s"]):
        assert main([*command, "--storage", "sqlite:///typo.db"]) == 2
        assert capsys.readouterr().err.strip() == (
            "error: No Optuna storage at typo.db: the file does not exist (is --storage mistyped?).")
        assert not (tmp_path / "typo.db").exists()


def test_report_output_keeps_every_study_inside_the_folder_whatever_its_name(tmp_path: Any, capsys: Any) -> None:
    import optuna

    from search.cli import main

    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    names = ["../evil", str(tmp_path / "abs")]
    for s, name in enumerate(names):
        study = optuna.create_study(study_name=name, storage=storage, direction="maximize")
        study.set_user_attr("dataset", f"data{s}")
        study.set_user_attr("evaluation", record(CLEAR_CHAIN, seed=s))
    out = tmp_path / "out"
    argv = ["report", "--storage", storage, "--output", str(out), "--tracking-uri", f"sqlite:///{tmp_path / 'm.db'}"]
    assert main([*argv, "--study", names[0], "--study", names[1]]) == 0
    written = {p.resolve() for p in tmp_path.rglob("report.md")}
    assert written and all(out.resolve() in p.parents for p in written)
    assert not (tmp_path / "evil").exists() and not (tmp_path / "abs" / "report.md").exists()


def test_composed_formulas_and_learned_slopes_reach_the_report_through_the_builder() -> None:
    evaluation = record({"relu": 0.90, "composed": 0.92, "prelu": 0.91})
    composed = evaluation["families"]["composed"]["tuned"]["params"]
    composed.update({"composed.unary1": "tanh", "composed.unary2": "abs", "composed.binary": "mul",
                     "composed.beta": 1.5})
    slopes = {"prelu_1": {"mean": 0.12, "std": 0.03, "min": 0.01, "max": 0.3, "n": 64.0}}
    evaluation["families"]["prelu"]["tuned"]["learned"] = slopes
    report = build_report(evaluation, RECORDS, study_name="s", dataset="d")
    rows = {r["family"]: r for r in report["families"]}
    assert rows["composed"]["formula"] == "tanh(x) * |x|" and rows["relu"]["formula"] is None
    assert rows["prelu"]["learned"] == slopes and rows["relu"]["learned"] == {}
    text = to_markdown(report)
    rank = [r["family"] for r in report["families"]].index("composed") + 1
    assert f"- **composed** (rank {rank} of 3): f(x) = `tanh(x) * |x|`" in text
    assert "| prelu | prelu_1 | 64 | 0.1200 | 0.0300 | 0.0100 | 0.3000 |" in text


def test_a_job_s_learned_parameters_travel_in_its_scores_to_the_gathered_record() -> None:
    from search.verdict.evaluation import gather
    from search.verdict.jobs import learned_params

    scores = {"test": 0.9, "val": 0.8, "latency_s": 0.001, "epochs_run": 3.0, "|prelu_1|mean": 0.2,
              "|prelu_1|n": 8.0, "|act/alpha|max": 0.5}
    assert learned_params(scores) == {"prelu_1": {"mean": 0.2, "n": 8.0}, "act/alpha": {"max": 0.5}}
    gathered = gather(["a", "b"], {"a": scores, "b": {**scores, "|prelu_1|mean": 0.7}})
    assert gathered["test"] == [0.9, 0.9] and gathered["learned"]["prelu_1"]["mean"] == 0.2
    assert "learned" not in gather(["a"], {"a": {"test": 1.0, "val": 1.0, "latency_s": 0.0, "epochs_run": 1.0}})
