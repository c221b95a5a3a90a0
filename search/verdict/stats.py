"""Honest comparisons of activation families: paired t-tests with Holm correction, and Friedman/Nemenyi.

Pure statistics over plain score vectors; no TensorFlow, Keras, Optuna or MLflow.

Within one dataset every family's best configuration is retrained with the same K seeds, so seed ``i`` of one
family is paired with seed ``i`` of every other (shared data split, initialisation stream, batch order): the
pairwise tests are paired t-tests on the per-seed differences, Holm-corrected over the pairs tested together.
Across datasets the families are ranked per dataset and compared with the Friedman test and the Nemenyi
critical difference (Demšar, "Statistical Comparisons of Classifiers over Multiple Data Sets", JMLR 2006).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import stats

GERON_CHAIN: tuple[str, ...] = ("selu", "elu", "leaky_relu", "relu", "tanh", "sigmoid")
"""Géron's heuristic order, best first: SELU > ELU > leaky ReLU > ReLU > tanh > logistic."""

HOLDS = "holds"
REVERSED = "reversed"
NO_DIFFERENCE = "no significant difference"

CHAIN_HOLDS = "holds"
CHAIN_PARTLY_HOLDS = "partly holds"
CHAIN_CONTRADICTED = "contradicted"
CHAIN_INCONCLUSIVE = "inconclusive"

# Per-seed differences this small (relative to the scores) are floating-point noise, not an effect: they count
# as ties, so two names for the same function can never "differ significantly" by rounding alone.
_TIE_RTOL = 1e-12


@dataclass(frozen=True)
class FamilyStats:
    """Mean score of one family over its seeds, with a t confidence interval.

    With a single seed ``std`` is 0 and the interval is undefined (``nan``): one run says nothing about spread.
    """

    family: str
    n: int
    mean: float
    std: float  # sample standard deviation (ddof=1)
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class PairResult:
    """The claim "``better`` beats ``worse``", tested on seed-paired scores.

    ``mean_diff``, the interval and ``statistic`` are oriented so that a positive value supports the claim,
    whether the metric is higher-is-better (accuracy) or lower-is-better (RMSE).
    """

    better: str
    worse: str
    n: int
    mean_diff: float
    ci_low: float
    ci_high: float
    statistic: float  # paired t statistic (two-sided test)
    p_value: float
    p_adjusted: float  # Holm over the pairs tested together
    verdict: str  # HOLDS | REVERSED | NO_DIFFERENCE


@dataclass(frozen=True)
class ChainVerdict:
    """Adjacent-pair tests of an ordering such as :data:`GERON_CHAIN`, and the overall verdict."""

    pairs: tuple[PairResult, ...]
    verdict: str  # CHAIN_HOLDS | CHAIN_PARTLY_HOLDS | CHAIN_CONTRADICTED | CHAIN_INCONCLUSIVE


@dataclass(frozen=True)
class FriedmanResult:
    """Friedman test over datasets, with the average ranks (1 = best) and the Nemenyi critical difference."""

    families: tuple[str, ...]  # ordered by average rank, best first
    n_datasets: int
    average_ranks: dict[str, float]
    statistic: float
    p_value: float
    critical_difference: float
    alpha: float


def _check_level(name: str, value: float) -> None:
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, but got {name}={value!r}.")


def _as_scores(family: str, scores: Sequence[float]) -> np.ndarray:
    values = np.asarray(scores, dtype=float)
    if values.ndim != 1:
        raise ValueError(
            f"Scores of family {family!r} must be a flat sequence, but got shape {values.shape}."
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(f"Scores of family {family!r} must be finite, but got {values.tolist()}.")
    return values


def family_stats(family: str, scores: Sequence[float], confidence: float = 0.95) -> FamilyStats:
    """Mean, sample standard deviation and ``confidence`` t-interval of one family's per-seed scores."""
    _check_level("confidence", confidence)
    values = _as_scores(family, scores)
    n = values.size
    if n == 0:
        raise ValueError(f"Family {family!r} has no scores.")
    mean = float(values.mean())
    if n == 1:
        return FamilyStats(family, 1, mean, 0.0, math.nan, math.nan)
    std = float(values.std(ddof=1))
    half_width = float(stats.t.ppf((1.0 + confidence) / 2.0, n - 1)) * std / math.sqrt(n)
    return FamilyStats(family, n, mean, std, mean - half_width, mean + half_width)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values, in the input order.

    The i-th smallest of m p-values is multiplied by ``m - i + 1`` (i from 1); the adjusted values are made
    monotone in that order (a running maximum) and capped at 1. Rejecting where the adjusted p < alpha controls
    the family-wise error rate at alpha under any dependence between the tests.
    """
    p = np.asarray(p_values, dtype=float)
    if p.size == 0:
        return []
    if np.any(np.isnan(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError(f"p-values must lie in [0, 1], but got {p.tolist()}.")
    m = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    adjusted = np.empty(m)
    adjusted[order] = stepped
    return adjusted.tolist()


def _paired(
    scores: Mapping[str, Sequence[float]], pairs: Sequence[tuple[str, str]], higher_is_better: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(claimed-better, claimed-worse) score matrices, one row per pair, oriented so higher supports the claim."""
    arrays: dict[str, np.ndarray] = {}
    for family in dict.fromkeys(f for pair in pairs for f in pair):
        if family not in scores:
            raise ValueError(f"Unknown family {family!r}; scores are given for {sorted(scores)}.")
        values = _as_scores(family, scores[family])
        if values.size < 2:
            raise ValueError(
                f"Family {family!r} needs at least 2 seeds for a paired test, but has {values.size}."
            )
        arrays[family] = values
    for better, worse in pairs:
        if better == worse:
            raise ValueError(f"Cannot compare family {better!r} with itself.")
        if arrays[better].size != arrays[worse].size:
            raise ValueError(
                f"Paired scores need one score per shared seed, but family {better!r} has "
                f"{arrays[better].size} and family {worse!r} has {arrays[worse].size}."
            )
    first = np.stack([arrays[b] for b, _ in pairs])
    second = np.stack([arrays[w] for _, w in pairs])
    return (first, second) if higher_is_better else (second, first)


def _verdict(p_adjusted: float, mean_diff: float, alpha: float) -> str:
    if p_adjusted < alpha and mean_diff > 0:
        return HOLDS
    if p_adjusted < alpha and mean_diff < 0:
        return REVERSED
    return NO_DIFFERENCE


def compare_pairs(
    scores: Mapping[str, Sequence[float]],
    pairs: Sequence[tuple[str, str]],
    *,
    higher_is_better: bool = True,
    alpha: float = 0.05,
    confidence: float = 0.95,
) -> tuple[PairResult, ...]:
    """Test each claim ``(better, worse)`` with a two-sided paired t-test, Holm-corrected over exactly ``pairs``.

    Args:
        scores: Per-seed test scores of each family; index ``i`` is seed ``i``, shared by all families.
        pairs: The claims, each ``(claimed better, claimed worse)``.
        higher_is_better: False for metrics such as RMSE.
        alpha: Family-wise significance level for the verdicts.
        confidence: Level of the interval around each mean paired difference.

    Returns:
        One result per pair, in the order of ``pairs``. Identical scores (all differences zero) give
        ``p = 1``; a constant non-zero difference (zero variance) gives ``p = 0``.

    Raises:
        ValueError: A family is unknown, has fewer than 2 or non-finite scores, or the two families of a pair
            have different numbers of seeds.
    """
    _check_level("alpha", alpha)
    _check_level("confidence", confidence)
    if not pairs:
        return ()
    first, second = _paired(scores, pairs, higher_is_better)
    n = first.shape[1]
    diffs = first - second
    scale = np.maximum(1.0, np.maximum(np.abs(first).max(axis=1), np.abs(second).max(axis=1)))
    ties = np.all(np.abs(diffs) <= _TIE_RTOL * scale[:, None], axis=1)

    # One vectorised call for all pairs; near-constant differences trip scipy's precision-loss warning, but
    # there the huge t (tiny p) is the right answer: the difference is perfectly consistent across seeds.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        test = stats.ttest_rel(first, second, axis=1)
        interval = test.confidence_interval(confidence_level=confidence)
    mean_diff = np.where(ties, 0.0, diffs.mean(axis=1))
    statistic = np.where(ties, 0.0, test.statistic)
    p_value = np.where(ties, 1.0, test.pvalue)
    # Zero variance: scipy gives a degenerate interval at the mean (or nan); either way it is the mean itself.
    ci_low = np.where(ties, 0.0, np.where(np.isnan(interval.low), mean_diff, interval.low))
    ci_high = np.where(ties, 0.0, np.where(np.isnan(interval.high), mean_diff, interval.high))
    p_adjusted = holm(p_value.tolist())

    return tuple(
        PairResult(
            better=better,
            worse=worse,
            n=n,
            mean_diff=float(mean_diff[i]),
            ci_low=float(ci_low[i]),
            ci_high=float(ci_high[i]),
            statistic=float(statistic[i]),
            p_value=float(p_value[i]),
            p_adjusted=p_adjusted[i],
            verdict=_verdict(p_adjusted[i], float(mean_diff[i]), alpha),
        )
        for i, (better, worse) in enumerate(pairs)
    )


def _summarise_chain(pairs: Sequence[PairResult]) -> str:
    verdicts = [p.verdict for p in pairs]
    if all(v == HOLDS for v in verdicts):
        return CHAIN_HOLDS
    if all(v == NO_DIFFERENCE for v in verdicts):
        return CHAIN_INCONCLUSIVE
    if HOLDS not in verdicts:
        return CHAIN_CONTRADICTED
    return CHAIN_PARTLY_HOLDS


def chain_verdict(
    scores: Mapping[str, Sequence[float]],
    chain: Sequence[str] = GERON_CHAIN,
    *,
    higher_is_better: bool = True,
    alpha: float = 0.05,
    confidence: float = 0.95,
) -> ChainVerdict:
    """Test an ordering, best first, through its adjacent pairs (Holm over those pairs).

    Families of ``chain`` missing from ``scores`` are skipped, so a chain ``a > b > c`` without ``b`` tests
    ``a > c``. The chain "holds" when every adjacent claim holds, is "inconclusive" when none is significant,
    "contradicted" when some are reversed and none holds, and "partly holds" otherwise.
    """
    present = [family for family in chain if family in scores]
    if len(present) < 2:
        raise ValueError(
            f"A chain needs at least 2 of its families {list(chain)} in the scores, but found {present}."
        )
    pairs = compare_pairs(
        scores,
        list(pairwise(present)),
        higher_is_better=higher_is_better,
        alpha=alpha,
        confidence=confidence,
    )
    return ChainVerdict(pairs, _summarise_chain(pairs))


def all_pairs(
    scores: Mapping[str, Sequence[float]],
    order: Sequence[str],
    *,
    higher_is_better: bool = True,
    alpha: float = 0.05,
    confidence: float = 0.95,
) -> tuple[PairResult, ...]:
    """Every claim ``order[i] > order[j]`` for ``i < j``, Holm-corrected over all of them."""
    pairs = [(order[i], order[j]) for i in range(len(order)) for j in range(i + 1, len(order))]
    return compare_pairs(scores, pairs, higher_is_better=higher_is_better, alpha=alpha, confidence=confidence)


def nemenyi_q(k: int, alpha: float = 0.05) -> float:
    """Critical value q_alpha of the two-tailed Nemenyi test for ``k`` families (Demšar 2006, Table 5a)."""
    if k < 2:
        raise ValueError(f"The Nemenyi test needs at least 2 families, but got {k=}.")
    _check_level("alpha", alpha)
    return float(stats.studentized_range.ppf(1.0 - alpha, k, np.inf)) / math.sqrt(2.0)


def critical_difference(k: int, n_datasets: int, alpha: float = 0.05) -> float:
    """Nemenyi CD = q_alpha * sqrt(k (k + 1) / (6 N)): average ranks further apart than this differ."""
    if n_datasets < 1:
        raise ValueError(f"The critical difference needs at least 1 dataset, but got {n_datasets=}.")
    return nemenyi_q(k, alpha) * math.sqrt(k * (k + 1) / (6.0 * n_datasets))


def friedman(
    scores_by_dataset: Mapping[str, Mapping[str, float]],
    *,
    higher_is_better: bool = True,
    alpha: float = 0.05,
) -> FriedmanResult:
    """Friedman test of the families across datasets, with average ranks and the Nemenyi CD.

    Args:
        scores_by_dataset: ``{dataset: {family: score}}``, e.g. each family's mean test score over its seeds.
            Only families scored on every dataset take part.
        higher_is_better: False for metrics such as RMSE.
        alpha: Level of the Nemenyi critical difference.

    Raises:
        ValueError: Fewer than 2 datasets, fewer than 3 families common to all datasets, or a non-finite score.
    """
    _check_level("alpha", alpha)
    datasets = list(scores_by_dataset)
    if len(datasets) < 2:
        raise ValueError(f"The Friedman test needs at least 2 datasets, but got {len(datasets)}: {datasets}.")
    first = scores_by_dataset[datasets[0]]
    common = [f for f in first if all(f in scores_by_dataset[d] for d in datasets)]
    if len(common) < 3:
        raise ValueError(
            f"The Friedman test needs at least 3 families scored on every dataset, but only {common} are."
        )
    table = np.array([[scores_by_dataset[d][f] for f in common] for d in datasets], dtype=float)
    if not np.all(np.isfinite(table)):
        raise ValueError("Every score in the Friedman test must be finite.")

    ranks = stats.rankdata(-table if higher_is_better else table, axis=1)  # 1 = best, ties share the average
    average = ranks.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        test = stats.friedmanchisquare(*table.T)
    # All families tied on every dataset: scipy divides 0 by 0; there is no evidence of any difference.
    statistic, p_value = (
        (0.0, 1.0) if np.isnan(test.statistic) else (float(test.statistic), float(test.pvalue))
    )

    by_rank = sorted(range(len(common)), key=lambda i: (average[i], i))
    return FriedmanResult(
        families=tuple(common[i] for i in by_rank),
        n_datasets=len(datasets),
        average_ranks={common[i]: float(average[i]) for i in by_rank},
        statistic=statistic,
        p_value=p_value,
        critical_difference=critical_difference(len(common), len(datasets), alpha),
        alpha=alpha,
    )
