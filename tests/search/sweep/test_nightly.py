"""What changed since last night (pure logic): trends, verdict changes, regressions beyond the noise."""

from __future__ import annotations

import math
from typing import Any

import pytest

from search.sweep import compare_nights, noise
from search.sweep.nightly import to_markdown, trend_png


def report(means: dict[str, float], half: float = 0.01, pairs: dict[str, str] | None = None,
           direction: str = "maximize") -> dict[str, Any]:
    families = [{"family": f, "tuned": {"mean": m, "ci_low": m - half, "ci_high": m + half, "n": 5}}
                for f, m in means.items()]
    chain_pairs = [{"better": k.split(" > ")[0], "worse": k.split(" > ")[1], "verdict": v}
                   for k, v in (pairs or {}).items()]
    return {"metric": "accuracy", "direction": direction, "families": families,
            "chain": {"verdict": "inconclusive", "pairs": chain_pairs}}


def test_a_drop_beyond_both_nights_intervals_is_a_regression_and_one_within_them_is_not() -> None:
    nights = {"2026-11-30": {"d": report({"relu": 0.95, "tanh": 0.90})},
              "2026-12-01": {"d": report({"relu": 0.92, "tanh": 0.895})}}
    comparison = compare_nights(nights)
    (regression,) = comparison["regressions"]
    assert regression["family"] == "relu" and regression["change"] == pytest.approx(-0.03)
    assert regression["noise"] == pytest.approx(math.hypot(0.01, 0.01))  # tanh's -0.005 is inside it
    trend = comparison["datasets"]["d"]["trends"]["relu"]
    assert [p["date"] for p in trend] == ["2026-11-30", "2026-12-01"]


def test_for_an_error_metric_a_rise_is_the_regression() -> None:
    nights = {"a": {"d": report({"relu": 0.10}, direction="minimize")},
              "b": {"d": report({"relu": 0.20}, direction="minimize")}}
    assert [r["family"] for r in compare_nights(nights)["regressions"]] == ["relu"]
    nights["b"] = {"d": report({"relu": 0.01}, direction="minimize")}
    assert compare_nights(nights)["regressions"] == []


def test_with_three_earlier_nights_the_noise_is_their_own_night_to_night_spread() -> None:
    points = [{"mean": m, "ci_low": m, "ci_high": m} for m in (0.90, 0.92, 0.90, 0.85)]
    assert noise(points) == pytest.approx(2 * 0.02828427, rel=1e-5)  # stdev of (+0.02, -0.02), doubled
    nights = {f"2026-11-2{i}": {"d": report({"relu": m}, half=0.0)} for i, m in enumerate((0.90, 0.92, 0.90, 0.85))}
    assert [r["family"] for r in compare_nights(nights)["regressions"]] == []  # -0.05 < 0.0566: within the noise
    nights["2026-11-29"] = {"d": report({"relu": 0.75}, half=0.0)}
    assert [r["family"] for r in compare_nights(nights)["regressions"]] == ["relu"]


def test_a_pair_whose_verdict_changed_is_listed_and_a_reversal_is_a_flip() -> None:
    nights = {"1": {"d": report({"selu": 0.9, "elu": 0.8}, pairs={"selu > elu": "HOLDS", "elu > leaky_relu": "HOLDS"})},
              "2": {"d": report({"selu": 0.8, "elu": 0.9}, pairs={"selu > elu": "REVERSED",
                                                                 "elu > leaky_relu": "NO_DIFFERENCE"})}}  # fmt: skip
    changes = compare_nights(nights)["verdict_changes"]
    assert [(c["pair"], c["flipped"]) for c in changes] == [("selu > elu", True), ("elu > leaky_relu", False)]
    text = to_markdown(compare_nights(nights), partial=["d"])
    assert "- d: selu > elu: HOLDS → REVERSED (**flipped**)" in text and "**Partial:**" in text
    assert trend_png(compare_nights(nights)).startswith(b"\x89PNG")


def test_the_first_night_and_a_family_missing_tonight_are_no_regressions() -> None:
    assert compare_nights({"1": {"d": report({"relu": 0.9})}})["regressions"] == []
    nights = {"1": {"d": report({"relu": 0.9, "tanh": 0.9})}, "2": {"d": report({"relu": 0.9})}}
    comparison = compare_nights(nights)
    assert comparison["regressions"] == [] and len(comparison["datasets"]["d"]["trends"]["tanh"]) == 1
    with pytest.raises(ValueError):
        compare_nights({})
