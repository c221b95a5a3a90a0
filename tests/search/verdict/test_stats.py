"""Known values of the statistics in ``search.stats`` and the shape of the CD diagram."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from search.verdict.cd_diagram import cd_diagram_png, nonsignificant_groups
from search.verdict.ranks import critical_difference, friedman, nemenyi_q
from search.verdict.stats import (
    GERON_CHAIN,
    HOLDS,
    NO_DIFFERENCE,
    REVERSED,
    all_pairs,
    chain_verdict,
    compare_pairs,
    family_stats,
    holm,
)

# Per-seed wobble shared by the constructed families below: non-constant, so t-tests have a variance to use.
WOBBLE = np.array([0.001, -0.002, 0.0015, 0.0, -0.0005])


def family(mean: float, phase: int = 0) -> list[float]:
    """Five per-seed scores around ``mean``; a different ``phase`` gives differently ordered noise."""
    return (mean + np.roll(WOBBLE, phase)).tolist()


# ---------------------------------------------------------------------------------------------- family_stats


def test_family_stats_matches_a_hand_computation() -> None:
    result = family_stats("relu", [0.90, 0.92, 0.91, 0.93, 0.89])
    std = math.sqrt((0.01**2 + 0.01**2 + 0.0 + 0.02**2 + 0.02**2) / 4)  # deviations from 0.91, ddof=1
    half_width = stats.t.ppf(0.975, 4) * std / math.sqrt(5)
    assert result.family == "relu"
    assert result.n == 5
    assert result.mean == pytest.approx(0.91)
    assert result.std == pytest.approx(std)
    assert result.std == pytest.approx(0.0158114, abs=1e-7)
    assert (result.ci_low, result.ci_high) == pytest.approx((0.91 - half_width, 0.91 + half_width))
    assert half_width == pytest.approx(0.019632, abs=1e-6)


def test_family_stats_confidence_level_widens_the_interval() -> None:
    scores = [0.90, 0.92, 0.91, 0.93, 0.89]
    narrow, wide = family_stats("a", scores, confidence=0.80), family_stats("a", scores, confidence=0.99)
    assert wide.ci_low < narrow.ci_low < narrow.mean < narrow.ci_high < wide.ci_high
    assert wide.ci_high - wide.mean == pytest.approx(stats.t.ppf(0.995, 4) * wide.std / math.sqrt(5))


def test_family_stats_of_one_seed_has_no_spread_and_no_interval() -> None:
    result = family_stats("tanh", [0.8])
    assert (result.n, result.mean, result.std) == (1, 0.8, 0.0)
    assert math.isnan(result.ci_low) and math.isnan(result.ci_high)


@pytest.mark.parametrize("scores", [[], [0.9, float("nan")], [0.9, float("inf")]])
def test_family_stats_rejects_empty_or_non_finite_scores(scores: list[float]) -> None:
    with pytest.raises(ValueError, match="'elu'"):
        family_stats("elu", scores)


def test_family_stats_rejects_a_bad_confidence() -> None:
    with pytest.raises(ValueError, match="confidence"):
        family_stats("elu", [0.9, 0.8], confidence=95)


# ------------------------------------------------------------------------------------------------------- holm


def test_holm_textbook_example() -> None:
    # Sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> max(0.06, 0.04) = 0.06.
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])


def test_holm_caps_at_one_and_leaves_a_single_p_alone() -> None:
    assert holm([0.3, 0.6, 0.02]) == pytest.approx([0.6, 0.6, 0.06])
    assert holm([0.8, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([0.04]) == pytest.approx([0.04])
    assert holm([]) == []


@pytest.mark.parametrize("bad", [[0.1, float("nan")], [-0.1], [1.5]])
def test_holm_rejects_values_that_are_not_p_values(bad: list[float]) -> None:
    with pytest.raises(ValueError, match="p-values"):
        holm(bad)


@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=12))
def test_holm_is_a_monotone_step_down_between_p_and_bonferroni(p: list[float]) -> None:
    adjusted = holm(p)
    m = len(p)
    for raw, adj in zip(p, adjusted, strict=True):
        assert raw <= adj <= min(1.0, m * raw) + 1e-12
    order = sorted(range(m), key=lambda i: p[i])
    assert all(adjusted[a] <= adjusted[b] for a, b in pairwise(order))


# ----------------------------------------------------------------------------------------------- compare_pairs


def test_compare_pairs_matches_scipy_paired_t_test_and_its_interval() -> None:
    a, b = [0.91, 0.93, 0.90, 0.94, 0.92], [0.90, 0.90, 0.89, 0.91, 0.90]
    (result,) = compare_pairs({"elu": a, "relu": b}, [("elu", "relu")], confidence=0.9)
    reference = stats.ttest_rel(a, b)
    d = np.subtract(a, b)
    half_width = stats.t.ppf(0.95, 4) * d.std(ddof=1) / math.sqrt(5)
    assert (result.better, result.worse, result.n) == ("elu", "relu", 5)
    assert result.mean_diff == pytest.approx(0.02)
    assert result.statistic == pytest.approx(reference.statistic)
    assert result.p_value == pytest.approx(reference.pvalue)
    assert result.p_adjusted == pytest.approx(reference.pvalue)  # a family of one test: Holm changes nothing
    assert (result.ci_low, result.ci_high) == pytest.approx((0.02 - half_width, 0.02 + half_width))
    assert result.verdict == HOLDS


def test_lower_is_better_flips_the_sign_so_positive_supports_the_claim() -> None:
    rmse = {"selu": family(0.30), "relu": family(0.35, phase=2)}
    (lower,) = compare_pairs(rmse, [("selu", "relu")], higher_is_better=False)
    assert lower.mean_diff == pytest.approx(0.05)
    assert lower.statistic > 0 and lower.ci_low > 0
    assert lower.verdict == HOLDS
    (higher,) = compare_pairs(rmse, [("selu", "relu")], higher_is_better=True)
    assert higher.mean_diff == pytest.approx(-0.05)
    assert higher.statistic == pytest.approx(-lower.statistic)
    assert higher.p_value == pytest.approx(lower.p_value)
    assert higher.verdict == REVERSED


def test_reversed_claim_is_reported_as_reversed() -> None:
    scores = {"selu": family(0.88), "elu": family(0.91, phase=1)}
    (result,) = compare_pairs(scores, [("selu", "elu")])
    assert result.mean_diff == pytest.approx(-0.03)
    assert result.ci_high < 0
    assert result.verdict == REVERSED


def test_identical_scores_give_p_one_and_no_difference() -> None:
    same = family(0.9)
    (result,) = compare_pairs({"selu": same, "selu_copy": list(same)}, [("selu", "selu_copy")])
    assert (result.mean_diff, result.statistic, result.p_value, result.p_adjusted) == (0.0, 0.0, 1.0, 1.0)
    assert (result.ci_low, result.ci_high) == (0.0, 0.0)
    assert result.verdict == NO_DIFFERENCE


def test_differences_at_rounding_level_are_ties_not_effects() -> None:
    a = [0.1 + 0.2, 0.4 + 0.2, 0.7 + 0.2]  # each ~1e-16 above b, every time
    b = [0.3, 0.6, 0.9]
    (result,) = compare_pairs({"a": a, "b": b}, [("a", "b")])
    assert (result.p_value, result.verdict) == (1.0, NO_DIFFERENCE)


def test_constant_non_zero_difference_is_perfectly_consistent() -> None:
    worse = [1.0, 2.0, 3.0, 4.0, 5.0]
    (result,) = compare_pairs({"elu": [x + 0.5 for x in worse], "relu": worse}, [("elu", "relu")])
    assert result.p_value == 0.0 and result.statistic == math.inf
    assert (result.mean_diff, result.ci_low, result.ci_high) == (0.5, 0.5, 0.5)
    assert result.verdict == HOLDS


def test_holm_is_applied_over_exactly_the_pairs_given() -> None:
    scores = {"selu": family(0.92), "elu": family(0.918, phase=1), "relu": family(0.90, phase=3)}
    pairs = [("selu", "elu"), ("elu", "relu"), ("selu", "relu")]
    results = compare_pairs(scores, pairs)
    assert [r.p_adjusted for r in results] == pytest.approx(holm([r.p_value for r in results]))
    (alone,) = compare_pairs(scores, pairs[:1])
    assert alone.p_adjusted == pytest.approx(results[0].p_value)
    assert compare_pairs(scores, []) == ()


def test_significant_raw_p_can_lose_significance_after_holm() -> None:
    gaps = np.array([1.0, 2.0, 1.5, 0.5, 0.2]) * 0.001  # paired t = 3.19 on 4 df: p = 0.033
    scores = {"a": [0.9] * 5, "b": (0.9 - gaps).tolist(), "c": (0.9 - np.roll(gaps, 2)).tolist()}
    first, second = compare_pairs(scores, [("a", "b"), ("a", "c")])
    for result in (first, second):
        assert 0.025 < result.p_value < 0.05
        assert result.p_adjusted == pytest.approx(2 * first.p_value)  # both equal p's doubled by Holm
        assert result.verdict == NO_DIFFERENCE
    (alone,) = compare_pairs(scores, [("a", "b")])
    assert alone.verdict == HOLDS


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({"selu": [0.9, 0.8, 0.7], "elu": [0.9, 0.8]}, r"'selu' has 3 and family 'elu' has 2"),
        ({"selu": [0.9], "elu": [0.8]}, r"'selu' needs at least 2 seeds"),
        ({"selu": [float("nan")] * 2, "elu": [float("inf")] * 2}, r"every seed of \['elu', 'selu'\] diverged"),
        ({"elu": [0.8, 0.7]}, r"Unknown family 'selu'"),
    ],
)
def test_compare_pairs_rejects_unusable_scores(scores: dict[str, list[float]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compare_pairs(scores, [("selu", "elu")])


def test_compare_pairs_rejects_bad_levels_and_self_comparison() -> None:
    scores = {"selu": [0.9, 0.8], "elu": [0.8, 0.7]}
    with pytest.raises(ValueError, match="alpha"):
        compare_pairs(scores, [("selu", "elu")], alpha=0.0)
    with pytest.raises(ValueError, match="itself"):
        compare_pairs(scores, [("selu", "selu")])


# ----------------------------------------------------------------------------------------------- chains


def chain_scores(means: list[float]) -> dict[str, list[float]]:
    return {
        name: family(mean, phase=i)
        for i, (name, mean) in enumerate(zip(GERON_CHAIN[: len(means)], means, strict=True))
    }


def test_chain_holds_when_every_adjacent_claim_holds() -> None:
    result = chain_verdict(chain_scores([0.95, 0.93, 0.91, 0.89, 0.87, 0.85]))
    assert [(p.better, p.worse) for p in result.pairs] == list(pairwise(GERON_CHAIN))
    assert [p.verdict for p in result.pairs] == [HOLDS] * 5
    assert result.verdict == "holds"


def test_chain_is_inconclusive_when_nothing_differs() -> None:
    same = family(0.9)
    result = chain_verdict({name: list(same) for name in GERON_CHAIN})
    assert [p.verdict for p in result.pairs] == [NO_DIFFERENCE] * 5
    assert result.verdict == "inconclusive"


def test_chain_is_contradicted_when_claims_reverse_and_none_holds() -> None:
    scores = chain_scores([0.85, 0.87, 0.89, 0.91, 0.93, 0.95])
    scores["relu"] = list(scores["leaky_relu"])  # one pair tied, the rest reversed
    result = chain_verdict(scores)
    assert [p.verdict for p in result.pairs] == [REVERSED, REVERSED, NO_DIFFERENCE, REVERSED, REVERSED]
    assert result.verdict == "contradicted"


def test_one_reversed_pair_contradicts_the_chain_however_many_hold() -> None:
    """The chain is a conjunction: [holds, holds, reversed, holds, holds] is not "partly holds"."""
    scores = chain_scores([0.95, 0.93, 0.91, 0.93, 0.87, 0.85])  # relu beats leaky_relu, against the chain
    result = chain_verdict(scores)
    assert [p.verdict for p in result.pairs] == [HOLDS, HOLDS, REVERSED, HOLDS, HOLDS]
    assert result.verdict == "contradicted"


def test_chain_partly_holds_when_some_hold_and_none_is_reversed() -> None:
    tied_top = chain_scores([0.95, 0.95, 0.91, 0.89, 0.87, 0.85])
    tied_top["elu"] = list(tied_top["selu"])  # one tie, the rest hold, nothing reversed: still only partly
    result = chain_verdict(tied_top)
    assert [p.verdict for p in result.pairs] == [NO_DIFFERENCE, HOLDS, HOLDS, HOLDS, HOLDS]
    assert result.verdict == "partly holds"


def test_chain_skips_families_without_scores_and_honours_lower_is_better() -> None:
    rmse = {"selu": family(0.30), "relu": family(0.35, phase=1), "sigmoid": family(0.40, phase=2)}
    result = chain_verdict(rmse, GERON_CHAIN, higher_is_better=False)
    assert [(p.better, p.worse) for p in result.pairs] == [("selu", "relu"), ("relu", "sigmoid")]
    assert result.verdict == "holds"


def test_chain_needs_two_of_its_families() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        chain_verdict({"selu": [0.9, 0.8], "mish": [0.9, 0.7]})


def test_all_pairs_tests_every_ordered_pair_with_one_holm_family() -> None:
    scores = chain_scores([0.95, 0.93, 0.91, 0.89])
    order = ["selu", "elu", "leaky_relu", "relu"]
    results = all_pairs(scores, order)
    assert [(r.better, r.worse) for r in results] == [
        ("selu", "elu"), ("selu", "leaky_relu"), ("selu", "relu"),
        ("elu", "leaky_relu"), ("elu", "relu"), ("leaky_relu", "relu"),
    ]  # fmt: skip
    assert [r.p_adjusted for r in results] == pytest.approx(holm([r.p_value for r in results]))
    assert all(r.verdict == HOLDS for r in results)


# ---------------------------------------------------------------------------------------------- friedman


def test_friedman_average_ranks_and_statistic_by_hand() -> None:
    # Ranks (1 = best): a 1,2,1,1 -> 1.25; b 2,1,2,3 -> 2.0; c 3,3,3,2 -> 2.75.
    scores = {
        "d1": {"a": 0.9, "b": 0.8, "c": 0.7},
        "d2": {"a": 0.8, "b": 0.9, "c": 0.7},
        "d3": {"a": 0.95, "b": 0.85, "c": 0.6},
        "d4": {"a": 0.9, "b": 0.7, "c": 0.8},
    }
    result = friedman(scores)
    assert result.average_ranks == pytest.approx({"a": 1.25, "b": 2.0, "c": 2.75})
    assert result.families == ("a", "b", "c")
    assert result.n_datasets == 4
    # chi2_F = 12 N / (k (k+1)) * (sum R_j^2 - k (k+1)^2 / 4) = 4 * (13.125 - 12) = 4.5, 2 degrees of freedom.
    assert result.statistic == pytest.approx(4.5)
    assert result.p_value == pytest.approx(math.exp(-2.25))
    assert result.critical_difference == pytest.approx(2.343 * math.sqrt(12 / 24), abs=1e-3)
    assert result.alpha == 0.05


def test_friedman_ranks_lower_is_better_and_averages_ties() -> None:
    scores = {
        "d1": {"a": 0.1, "b": 0.2, "c": 0.2},  # a 1, b and c share 2.5
        "d2": {"a": 0.3, "b": 0.1, "c": 0.2},  # b 1, c 2, a 3
        "d3": {"a": 0.1, "b": 0.1, "c": 0.1},  # all share 2
    }
    result = friedman(scores, higher_is_better=False)
    assert result.average_ranks == pytest.approx({"a": 2.0, "b": 11 / 6, "c": 13 / 6})
    assert result.families == ("b", "a", "c")


def test_friedman_all_tied_is_no_evidence() -> None:
    tied = {f"d{i}": {"a": 0.9, "b": 0.9, "c": 0.9} for i in range(3)}
    result = friedman(tied)
    assert (result.statistic, result.p_value) == (0.0, 1.0)
    assert result.average_ranks == {"a": 2.0, "b": 2.0, "c": 2.0}


def test_friedman_uses_only_families_scored_on_every_dataset() -> None:
    scores = {
        "d1": {"a": 0.9, "b": 0.8, "c": 0.7, "d": 0.6},
        "d2": {"a": 0.9, "b": 0.8, "c": 0.7},
    }
    assert set(friedman(scores).families) == {"a", "b", "c"}


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({"d1": {"a": 0.9, "b": 0.8, "c": 0.7}}, "at least 2 datasets"),
        ({"d1": {"a": 0.9, "b": 0.8}, "d2": {"a": 0.9, "b": 0.8}}, "at least 3 families"),
        ({"d1": {"a": 0.9, "b": 0.8, "c": 0.7}, "d2": {"a": 0.9, "b": 0.8, "d": 0.7}}, "at least 3 families"),
        ({"d1": {"a": 0.9, "b": 0.8, "c": 0.7}, "d2": {"a": 0.9, "b": 0.8, "c": float("nan")}}, "finite"),
    ],
)
def test_friedman_rejects_too_little_data(scores: dict[str, dict[str, float]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        friedman(scores)


DEMSAR_Q_005 = {2: 1.960, 3: 2.343, 4: 2.569, 5: 2.728, 6: 2.850, 7: 2.949, 8: 3.031, 9: 3.102, 10: 3.164}


@pytest.mark.parametrize(("k", "q"), sorted(DEMSAR_Q_005.items()))
def test_nemenyi_q_matches_demsar_table(k: int, q: float) -> None:
    assert nemenyi_q(k, 0.05) == pytest.approx(q, abs=1e-3)


def test_critical_difference_formula() -> None:
    assert critical_difference(6, 4) == pytest.approx(2.850 * math.sqrt(6 * 7 / (6 * 4)), abs=2e-3)
    assert critical_difference(6, 16) < critical_difference(6, 4)  # more datasets, finer resolution
    assert nemenyi_q(6, 0.10) < nemenyi_q(6, 0.05)


# ---------------------------------------------------------------------------------------------- CD diagram


@pytest.mark.parametrize(
    ("cd", "groups"),
    [
        (0.5, []),
        (1.5, [(0, 1), (1, 2), (2, 3)]),
        (2.5, [(0, 2), (1, 3)]),
        (3.5, [(0, 3)]),
    ],
)
def test_nonsignificant_groups_are_maximal_runs_below_cd(cd: float, groups: list[tuple[int, int]]) -> None:
    assert nonsignificant_groups([1.0, 2.0, 3.0, 4.0], cd) == groups


def test_a_rank_difference_of_exactly_cd_is_significant() -> None:
    assert nonsignificant_groups([1.0, 2.0], 1.0) == []


def test_nonsignificant_groups_need_sorted_ranks() -> None:
    with pytest.raises(ValueError, match="sorted"):
        nonsignificant_groups([2.0, 1.0], 1.0)


def test_cd_diagram_is_a_png_for_six_families_on_four_datasets() -> None:
    rng = np.random.default_rng(7)
    scores = {
        f"dataset{d}": {name: 0.9 - 0.01 * i + rng.normal(0, 0.01) for i, name in enumerate(GERON_CHAIN)}
        for d in range(4)
    }
    result = friedman(scores)
    assert len(result.families) == 6 and result.n_datasets == 4
    png = cd_diagram_png(result, title="Test accuracy")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(png) > 5_000
