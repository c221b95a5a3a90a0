from __future__ import annotations

import json

import pytest

from search.study.summary import TrialRecord, summarize
from search.study.summary import summary_json as to_json
from search.study.summary import summary_markdown as to_markdown

RECORDS = [
    TrialRecord(0, "relu", "complete", 0.90, baseline=True),
    TrialRecord(1, "relu", "complete", 0.95),
    TrialRecord(2, "elu", "complete", 0.93),
    TrialRecord(3, "elu", "pruned", None),
    TrialRecord(4, "tanh", "failed", None),
    TrialRecord(5, "relu", "running", None),
    TrialRecord(6, None, "failed", None),  # failed before the family was chosen
]


def test_rows_best_first_with_counts_and_starved_families_kept() -> None:
    rows = summarize(RECORDS, ["selu", "elu", "relu", "tanh"], "maximize")
    assert [r.family for r in rows] == ["relu", "elu", "selu", "tanh"]
    relu, elu, selu, tanh = rows
    assert (relu.best_value, relu.best_trial, relu.complete, relu.running) == (0.95, 1, 2, 1)
    assert (relu.default_value, elu.default_value) == (0.90, None)
    assert (elu.best_value, elu.pruned) == (0.93, 1)
    assert (selu.best_value, selu.complete + selu.pruned + selu.failed) == (None, 0)
    assert (tanh.failed, tanh.best_value) == (1, None)


def test_minimize_picks_the_lowest() -> None:
    rows = summarize(RECORDS, ["relu", "elu"], "minimize")
    assert [(r.family, r.best_value) for r in rows[:2]] == [("relu", 0.90), ("elu", 0.93)]


def test_non_finite_values_are_never_best() -> None:
    rows = summarize([TrialRecord(0, "relu", "complete", float("nan")), TrialRecord(1, "relu", "complete", 0.5)],
                     ["relu"], "maximize")
    assert rows[0].best_value == 0.5


def test_bad_direction() -> None:
    with pytest.raises(ValueError, match="direction must be"):
        summarize(RECORDS, ["relu"], "up")


def test_renderings_carry_every_row() -> None:
    rows = summarize(RECORDS, ["selu", "elu", "relu", "tanh"], "maximize")
    md = to_markdown(rows, "accuracy")
    assert "| relu | 0.9500 | 1 | 0.9000 | 2 | 0 | 0 |" in md and "| selu | — |" in md
    data = json.loads(to_json(rows, "accuracy", "maximize"))
    assert data["metric"] == "accuracy" and [f["family"] for f in data["families"]] == ["relu", "elu", "selu", "tanh"]
