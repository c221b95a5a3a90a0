"""The verdict in one line (run name, description, view columns), from a report built by the report builder."""

from __future__ import annotations

from search.study import TrialRecord
from search.verdict import build_report
from search.verdict.glance import description, headline, ranking, run_name, verdict_metrics


def _evaluation(scores: dict[str, list[float]]) -> dict:
    families = {f: {"tuned": {"trial": 0, "val_score": 0.5, "params": {"activation": f}, "test": s, "val": s,
                              "latency_s": [0.001] * len(s), "epochs_run": [3.0] * len(s)},
                    "default": {"params": {"activation": f}, "test": s, "val": s, "latency_s": [0.001] * len(s),
                                "epochs_run": [3.0] * len(s)}}
                for f, s in scores.items()}
    n = len(next(iter(scores.values())))
    return {"metric": "accuracy", "direction": "maximize", "seeds": list(range(n)), "epochs": 3, "families": families,
            "rho": 0.0, "test_size": 0.2}


def _report(scores: dict[str, list[float]]) -> dict:
    records = [TrialRecord(i, f, "complete", 0.5) for i, f in enumerate(scores)]
    return build_report(_evaluation(scores), records, study_name="s", dataset="digits")


def test_the_ranking_marks_each_step_with_what_the_tests_found() -> None:
    noise = [0.001, -0.002, 0.0015, -0.001, 0.0005, -0.0003, 0.002, -0.0012]
    report = _report({
        "relu": [0.90 + e for e in noise],
        "selu": [0.95 + e * 1.1 for e in noise],             # far above relu: significant
        "elu": [0.9501 + e * 1.05 + 0.0001 * (i % 2) for i, e in enumerate(noise)],  # a hair from selu: equivalent
        "sigmoid": [0.81 + 0.16 * (i % 2) for i in range(8)],  # erratic, just below relu: undecided
    })
    assert ranking(report).split(" ")[::2] == ["elu", "selu", "relu", "sigmoid"]
    assert ranking(report) == "elu ≈ selu > relu ~ sigmoid"
    assert headline(report).startswith("elu ≈ selu > relu ~ sigmoid; Géron's chain ")
    assert run_name(report) == "s · digits: elu ≈ selu > relu ~ sigmoid"
    assert list(verdict_metrics(report)) == ["test.elu", "test.selu", "test.relu", "test.sigmoid"]
    text = description(report)
    assert "relu 0.900" in text and "'≈' practically equivalent" in text and "report.md" in text


def test_a_minimized_metric_ranks_the_smallest_first_and_one_family_is_its_own_ranking() -> None:
    report = _report({"relu": [0.3, 0.31, 0.29], "selu": [0.2, 0.21, 0.19]})
    report = {**report, "direction": "minimize"}
    assert ranking(report).split(" ")[::2] == ["selu", "relu"]
    single = _report({"relu": [0.3, 0.31]})
    assert ranking(single) == "relu" and headline(single) == "relu; Géron's chain not testable"
