"""Metric × latency: the objectives' parsing and checks, each family's Pareto front (pure logic), one trial of
a multi-objective study through the real objective, and a whole ``search run --objectives metric,latency``."""

from __future__ import annotations

import dataclasses
import random
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from mlflow.tracking import MlflowClient

import trainers
from search.errors import UsageError
from search.study import (
    TrialRecord,
    check_objectives,
    directions,
    latency_value,
    pareto_front,
    pareto_markdown,
    pareto_summary,
    parse_objectives,
    primary_value,
    trial_records,
)
from search.study.objective import make_objective
from tests.search.cli.test_cli import ROOT, stores
from tests.search.study.test_objective import context


def record(number: int, family: str, value: float | None, latency: float | None, state: str = "complete") -> TrialRecord:
    return TrialRecord(number, family, state, value, latency_ms=latency)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metric,speed", "unknown objective 'speed'"),
        ("latency", "give 'metric' first"),
        ("latency,metric", "give 'metric' first"),
        ("metric,latency,latency", "each objective once"),
        ("", "give 'metric' first"),
    ],
)
def test_objectives_other_than_the_metric_first_are_refused_in_one_line(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        parse_objectives(text)
    assert "\n" not in str(caught.value)


def test_objectives_parse_and_give_optuna_directions() -> None:
    assert parse_objectives("metric") == ("metric",)
    assert parse_objectives(" metric , latency ") == ("metric", "latency")
    assert directions(("metric", "latency"), "maximize") == ["maximize", "minimize"]
    assert directions(("metric", "latency"), "minimize") == ["minimize", "minimize"]  # rmse and latency
    check_objectives(("metric",), sampler="cmaes", pruner="median")  # one objective: anything goes
    check_objectives(("metric", "latency"), sampler="nsga2", pruner="none")
    with pytest.raises(UsageError, match="cannot prune a multi-objective study"):
        check_objectives(("metric", "latency"), sampler="tpe", pruner="median")
    with pytest.raises(UsageError, match="cmaes optimises one objective"):
        check_objectives(("metric", "latency"), sampler="cmaes", pruner="none")


def test_a_front_keeps_exactly_the_trials_nothing_beats_on_both() -> None:
    records = [record(0, "relu", 0.90, 2.0), record(1, "relu", 0.95, 3.0), record(2, "relu", 0.85, 1.0),
               record(3, "relu", 0.80, 2.5),  # slower and worse than trial 0: dominated
               record(4, "relu", 0.95, 3.0),  # the same point as trial 1: it stands for both
               record(5, "relu", 0.90, 2.0 + 1e-9),  # as good as 0 but slower: dominated
               record(6, "relu", 0.99, None),  # no latency (a single-objective trial): not on a front
               record(7, "relu", None, None, state="failed")]  # fmt: skip
    assert [r.number for r in pareto_front(records, higher=True)] == [2, 0, 1]
    assert [r.number for r in pareto_front(records, higher=False)] == [2, 3]  # an error metric: lower is better


def test_the_front_agrees_with_a_brute_force_dominance_check() -> None:
    rng = random.Random(3)
    records = [record(i, "f", round(rng.random(), 2), round(rng.random(), 2)) for i in range(200)]

    def dominated(r: TrialRecord) -> bool:
        return any(o.value >= r.value and o.latency_ms <= r.latency_ms and (o.value, o.latency_ms) != (r.value, r.latency_ms)
                   for o in records)  # type: ignore[operator]  # fmt: skip

    front = pareto_front(records, higher=True)
    assert {(r.value, r.latency_ms) for r in front} == {(r.value, r.latency_ms) for r in records if not dominated(r)}


def test_the_summary_gives_each_family_its_front_and_names_the_families_on_the_joint_one() -> None:
    records = [record(0, "relu", 0.95, 3.0), record(1, "relu", 0.93, 2.5), record(2, "leaky_relu", 0.94, 1.0),
               record(3, "tanh", 0.80, 5.0)]  # fmt: skip
    summary = pareto_summary(records, ["relu", "leaky_relu", "tanh", "selu"], "maximize")
    assert summary is not None
    assert [p["trial"] for p in summary["families"]["relu"]] == [1, 0]
    assert summary["families"]["selu"] == []  # a family with no complete trial has an empty front
    assert [p["trial"] for p in summary["overall"]] == [2, 0] and summary["owners"] == ["leaky_relu", "relu"]
    text = pareto_markdown(summary, "accuracy")
    assert "Families on the front over all families: **leaky_relu, relu**" in text
    assert "| all families | 2 | leaky_relu | 0.9400 | 1.000 |" in text and "| selu | — | — | — | — |" in text
    assert pareto_summary([record(0, "relu", 0.9, None)], ["relu"], "maximize") is None  # no latency: no fronts


@pytest.fixture(scope="module")
def splits() -> trainers.Splits:
    return trainers.split_dataset(trainers.load_dataset("iris"), seed=0)


def test_a_multi_objective_trial_returns_its_metric_and_latency_and_is_not_pruned(tmp_path: Path,
                                                                                  splits: trainers.Splits) -> None:
    ctx = dataclasses.replace(context(tmp_path, splits, ("relu",), epochs=3), objectives=("metric", "latency"))
    study = optuna.create_study(directions=["maximize", "minimize"])
    study.optimize(make_objective(ctx), n_trials=1)
    trial = study.trials[0]
    assert trial.state == optuna.trial.TrialState.COMPLETE, trial.user_attrs.get("fail_reason")
    accuracy, latency = trial.values
    assert 0.0 <= accuracy <= 1.0 and 0.0 < latency < 1000.0
    assert (primary_value(trial), latency_value(trial)) == (accuracy, latency)
    assert trial.intermediate_values == {}  # Optuna refuses reports in a multi-objective study
    (rec,) = trial_records(study)
    assert (rec.value, rec.latency_ms, rec.epochs) == (accuracy, latency, 3)  # epochs from the user attribute
    run = ctx.tracker.client.get_run(trial.user_attrs["mlflow_run_id"])
    assert run.data.metrics["latency_ms"] == pytest.approx(latency)
    assert [m.step for m in ctx.tracker.client.get_metric_history(run.info.run_id, "val_accuracy")] == [0, 1, 2]


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    storage, tracking = stores(tmp_path)
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "2", "HOME": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "search", "run", *args, "--storage", storage, "--tracking-uri",
                           tracking], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=900)  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--objectives", "metric,latency", "--pruner", "hyperband"), "error: --pruner hyperband: Optuna cannot prune"),
        (("--objectives", "metric,latency", "--sampler", "cmaes"), "error: --sampler cmaes optimises one objective"),
        (("--objectives", "latency"), "argument --objectives: give 'metric' first"),
    ],
)
def test_the_cli_refuses_what_a_multi_objective_study_cannot_do_with_exit_2(tmp_path: Path, args: tuple[str, ...],
                                                                            message: str) -> None:
    done = _cli(tmp_path, "--dataset", "iris", *args)
    assert done.returncode == 2 and message in done.stderr, done.stderr[-2000:]
    assert not (tmp_path / "optuna.db").exists() or "mo" not in optuna.get_all_study_names(stores(tmp_path)[0])


@pytest.mark.slow
def test_a_metric_latency_search_writes_the_fronts_keeps_the_verdict_on_the_metric_and_refuses_a_one_objective_resume(
    tmp_path: Path,
) -> None:
    args = ("--dataset", "iris", "--families", "relu,tanh", "--trials", "3", "--epochs", "3", "--seeds", "2",
            "--select-seeds", "0", "--objectives", "metric,latency", "--workers", "2", "--study", "mo")  # fmt: skip
    done = _cli(tmp_path, *args)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "latency" in done.stderr and "Pareto front of val accuracy × latency over all families" in done.stdout
    storage, tracking = stores(tmp_path)
    study = optuna.load_study(study_name="mo", storage=storage)
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]
    complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(complete) == 6 and all(len(t.values) == 2 for t in complete)  # no pruning: all six complete
    assert study.user_attrs["spec"]["objectives"] == ["metric", "latency"]  # what the workers ran
    client = MlflowClient(tracking)
    parent = client.get_run(study.user_attrs["mlflow_parent_run_ids"][0])
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id)}
    artifacts |= {a.path for a in client.list_artifacts(parent.info.run_id, "plots")}
    assert {"summary.md", "report.md", "plots/pareto_fronts.png"} <= artifacts
    report = Path(client.download_artifacts(parent.info.run_id, "report.md", str(tmp_path))).read_text()
    assert "## Accuracy × latency: Pareto fronts" in report
    evaluation = study.user_attrs["evaluation"]  # the verdict: on the metric, each family's best by accuracy
    for family in ("relu", "tanh"):
        best = max((t for t in complete if t.user_attrs["family"] == family), key=lambda t: (t.values[0], -t.number))
        assert evaluation["families"][family]["tuned"]["val_score"] == best.values[0]

    again = _cli(tmp_path, *[a for a in args if a not in ("--objectives", "metric,latency")])
    assert again.returncode == 2 and "has 2 objectives (metric, latency), but this run asks for one" in again.stderr
