"""The verdict's honesty rules: divergence counted against the family that diverged, practical equivalence
(ROPE with a Bayesian correlated t-test), simultaneous intervals consistent with the verdicts, and the
cross-dataset tests (Iman–Davenport, no CD diagram without a significant omnibus test, pairwise Wilcoxon)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from search.verdict import bayes
from search.verdict.ranks import friedman, iman_davenport, pairwise_wilcoxon
from search.verdict.stats import EQUIVALENT, HOLDS, NO_DIFFERENCE, REVERSED, compare_pairs

WOBBLE = np.array([0.001, -0.002, 0.0015, 0.0, -0.0005])
NAN = math.nan


def test_a_diverged_seed_counts_against_the_family_that_diverged() -> None:
    """elu beats selu on every finite seed but diverged on two: it must not win on the three it survived."""
    selu = (0.90 + WOBBLE).tolist()
    elu = [0.93, NAN, 0.931, NAN, 0.929]
    (pair,) = compare_pairs({"selu": selu, "elu": elu}, [("elu", "selu")])
    assert pair.n == 5 and pair.diverged_better == 2 and pair.diverged_worse == 0
    assert pair.mean_diff < 0.93 - 0.90  # the two diverged seeds scored as the worst seen (0.898)
    worst = min(selu)
    expected = np.array([0.93, worst, 0.931, worst, 0.929]) - np.array(selu)
    assert pair.mean_diff == pytest.approx(expected.mean())


def test_a_divergence_never_drops_a_seed_from_pairs_without_the_diverged_family() -> None:
    scores = {"a": (0.95 + WOBBLE).tolist(), "b": (0.90 + np.roll(WOBBLE, 1)).tolist(), "c": [0.5, NAN, NAN, NAN, NAN]}
    ab, ac = compare_pairs(scores, [("a", "b"), ("a", "c")])
    assert ab.n == 5 and ab.verdict == HOLDS  # c's divergence does not touch a vs b
    assert ac.n == 5 and ac.diverged_worse == 4


def test_a_seed_both_families_diverged_on_is_dropped_from_their_pair_only() -> None:
    (pair,) = compare_pairs({"a": [0.9, NAN, 0.91, 0.92], "b": [0.8, NAN, 0.82, 0.81]}, [("a", "b")])
    assert pair.n == 3


def test_the_bayesian_correlated_t_matches_its_definition() -> None:
    diffs = np.array([0.004, 0.006, 0.002, 0.005, 0.003])
    rope, rho = 0.005, 0.2
    post = bayes.correlated_t(diffs, rope, rho)
    scale = diffs.std(ddof=1) * math.sqrt(1 / 5 + rho / (1 - rho))
    t = scipy_stats.t(4, loc=diffs.mean(), scale=scale)
    assert post.worse == pytest.approx(t.cdf(-rope))
    assert post.better == pytest.approx(t.sf(rope))
    assert post.better + post.equivalent + post.worse == pytest.approx(1.0)
    with pytest.raises(ValueError, match="correlation"):
        bayes.correlated_t(diffs, rope, 1.0)


def test_practically_equivalent_when_the_difference_is_inside_the_rope() -> None:
    """A 0.05-point difference, very consistent: significant, but practically nothing for a 0.5-point ROPE."""
    a = (0.9 + WOBBLE).tolist()
    b = (0.8995 + WOBBLE + np.array([0.0001, -0.0001, 0.0, 0.0001, -0.0001])).tolist()
    (plain,) = compare_pairs({"a": a, "b": b}, [("a", "b")])
    (with_rope,) = compare_pairs({"a": a, "b": b}, [("a", "b")], rope=0.005)
    assert plain.verdict == HOLDS
    assert with_rope.verdict == EQUIVALENT and with_rope.p_equivalent > 0.95


def test_undecided_when_the_data_shows_neither_a_difference_nor_equivalence() -> None:
    rng = np.random.default_rng(1)
    a = (0.9 + rng.normal(0, 0.02, 5)).tolist()
    b = (0.9 + rng.normal(0, 0.02, 5)).tolist()
    (pair,) = compare_pairs({"a": a, "b": b}, [("a", "b")], rope=0.005)
    assert pair.verdict == NO_DIFFERENCE and pair.p_equivalent < 0.95


def test_the_simultaneous_interval_includes_zero_whenever_the_pair_is_not_significant() -> None:
    """Holm can turn a raw p < 0.05 into "no significant difference": the interval shown beside it then
    must include 0 (the unadjusted one would not)."""
    rng = np.random.default_rng(7)
    found = 0
    for _ in range(300):
        base = rng.normal(0.9, 0.01, 5)
        scores = {f: (base + shift + rng.normal(0, 0.004, 5)).tolist()
                  for f, shift in zip("abcdef", [0.006, 0.0, 0.003, 0.0, 0.0, 0.0], strict=True)}
        for p in compare_pairs(scores, [("a", "b"), ("c", "d"), ("e", "f")]):
            if p.verdict == NO_DIFFERENCE:
                assert p.ci_adj_low <= 0 <= p.ci_adj_high
                found += p.p_value < 0.05 and not (p.ci_low <= 0 <= p.ci_high)
            elif p.verdict in (HOLDS, REVERSED):
                assert p.ci_adj_low <= p.mean_diff <= p.ci_adj_high
    assert found > 0  # the case the rule is for did occur: raw interval excludes 0, verdict is not significant


def test_iman_davenport_by_hand_and_at_the_maximum() -> None:
    f, p = iman_davenport(chi_square=9.0, k=4, n=5)
    assert f == pytest.approx(4 * 9.0 / (5 * 3 - 9.0))
    assert p == pytest.approx(scipy_stats.f.sf(f, 3, 12))
    assert iman_davenport(chi_square=15.0, k=4, n=5) == (math.inf, 0.0)


def test_no_significant_omnibus_test_for_shuffled_ranks() -> None:
    scores = {"d1": {"a": 1, "b": 2, "c": 3}, "d2": {"a": 3, "b": 1, "c": 2}, "d3": {"a": 2, "b": 3, "c": 1}}
    result = friedman(scores)
    assert not result.significant and result.iman_davenport_p_value > 0.5


def test_pairwise_wilcoxon_with_holm_over_datasets() -> None:
    scores = {f"d{i}": {"a": 0.9 + 0.01 * i, "b": 0.85 + 0.01 * i, "c": 0.86 + 0.011 * i} for i in range(8)}
    pairs = {(p.first, p.second): p for p in pairwise_wilcoxon(scores, ["a", "b", "c"])}
    ab = pairs[("a", "b")]
    assert ab.wins == 8 and ab.losses == 0
    assert ab.p_value == pytest.approx(scipy_stats.wilcoxon([0.05] * 8).pvalue)
    assert ab.p_adjusted >= ab.p_value and ab.verdict == "a better"
    few = {f"d{i}": {"a": 0.9, "b": 0.8} for i in range(3)}  # three datasets cannot reach p < 0.05
    assert pairwise_wilcoxon(few, ["a", "b"])[0].verdict == "no significant difference"


@pytest.mark.parametrize(("d", "n"), [(1.0, 10), (0.5, 34), (0.8, 15)])
def test_replicates_for_power_matches_the_paired_t_test_tables(d: float, n: int) -> None:
    from search.verdict.stats import replicates_for_power

    assert replicates_for_power(1.0, d) == n  # Cohen's tables for a one-sample / paired t-test, 80 %, 0.05


def test_replicates_for_power_is_checked_by_simulation() -> None:
    from search.verdict.stats import replicates_for_power

    n = replicates_for_power(0.006, 0.005)
    rng = np.random.default_rng(3)
    hits = sum(scipy_stats.ttest_1samp(rng.normal(0.005, 0.006, n), 0).pvalue < 0.05 for _ in range(2000))
    assert 0.77 <= hits / 2000 <= 0.86
    hits_fewer = sum(scipy_stats.ttest_1samp(rng.normal(0.005, 0.006, n - 2), 0).pvalue < 0.05 for _ in range(2000))
    assert hits_fewer / 2000 < 0.8
