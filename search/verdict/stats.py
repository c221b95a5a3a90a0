"""Honest comparisons of activation families within one dataset: paired t-tests with Holm correction,
simultaneous intervals, and a Bayesian correlated t-test against a region of practical equivalence.

Pure statistics over plain score vectors; no TensorFlow, Keras, Optuna or MLflow.

Every family's configuration is retrained with the same K seeds, so seed ``i`` of one family is paired with
seed ``i`` of every other (shared data split, initialisation stream, batch order): the pairwise tests are
paired t-tests on the per-seed differences, Holm-corrected over the pairs tested together. A seed on which a
family diverged (a non-finite score) is an outcome of that family: in its pairs it counts as the worst score
seen in the comparison, and it is dropped only from a pair whose two families both diverged on it. Across
datasets see :mod:`search.verdict.ranks`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import stats

from search.verdict import bayes

GERON_CHAIN: tuple[str, ...] = ("selu", "elu", "leaky_relu", "relu", "tanh", "sigmoid")
"""Géron's heuristic order, best first: SELU > ELU > leaky ReLU > ReLU > tanh > logistic."""

HOLDS = "holds"
REVERSED = "reversed"
NO_DIFFERENCE = "no significant difference"
EQUIVALENT = "practically equivalent"

CHAIN_HOLDS = "holds"
CHAIN_PARTLY_HOLDS = "partly holds"
CHAIN_CONTRADICTED = "contradicted"
CHAIN_INCONCLUSIVE = "inconclusive"
CHAIN_EQUIVALENT = "practically equivalent"

PAIR_DEFINITIONS: dict[str, str] = {
    HOLDS: "the claimed order, significant after Holm's correction (and not practically equivalent)",
    REVERSED: "the opposite order, significant after Holm's correction (and not practically equivalent)",
    EQUIVALENT: "the difference lies within the region of practical equivalence with posterior probability "
    ">= 95 % (Bayesian correlated t-test), significant or not",
    NO_DIFFERENCE: "undecided: neither significant nor shown practically equivalent; more replicates needed",
}
CHAIN_DEFINITIONS: dict[str, str] = {
    CHAIN_HOLDS: "every adjacent pair holds",
    CHAIN_CONTRADICTED: "at least one adjacent pair is reversed",
    CHAIN_EQUIVALENT: "every adjacent pair is practically equivalent",
    CHAIN_PARTLY_HOLDS: "some adjacent pairs hold, none is reversed, the rest are equivalent or undecided",
    CHAIN_INCONCLUSIVE: "no pair holds or is reversed, and not all are practically equivalent",
}

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
    verdict: str  # HOLDS | REVERSED | EQUIVALENT | NO_DIFFERENCE
    # Simultaneous interval (Bonferroni over the pairs tested together): it excludes 0 only for a pair that
    # is significant after Holm, so it never contradicts the verdict beside it.
    ci_adj_low: float = math.nan
    ci_adj_high: float = math.nan
    rope: float = 0.0  # region of practical equivalence, in the metric's units (0: not used)
    p_better: float = math.nan  # posterior P(claim practically true), Bayesian correlated t-test
    p_equivalent: float = math.nan  # posterior P(|difference| <= rope)
    p_worse: float = math.nan  # posterior P(claim practically false)
    diverged_better: int = 0  # seeds on which the claimed-better family diverged (counted against it)
    diverged_worse: int = 0


@dataclass(frozen=True)
class ChainVerdict:
    """Adjacent-pair tests of an ordering such as :data:`GERON_CHAIN`, and the overall verdict."""

    pairs: tuple[PairResult, ...]
    verdict: str  # a key of CHAIN_DEFINITIONS


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


def _raw_scores(family: str, scores: Sequence[float]) -> np.ndarray:
    """A family's per-seed scores; non-finite entries are seeds on which it diverged."""
    values = np.asarray(scores, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"Scores of family {family!r} must be a flat sequence, but got shape {values.shape}.")
    if values.size < 2:
        raise ValueError(f"Family {family!r} needs at least 2 seeds for a paired test, but has {values.size}.")
    return values


def _oriented(
    scores: Mapping[str, Sequence[float]], pairs: Sequence[tuple[str, str]], higher_is_better: bool
) -> dict[str, np.ndarray]:
    """Each family's scores, negated when lower is better, so that higher always supports a claim."""
    arrays: dict[str, np.ndarray] = {}
    for family in dict.fromkeys(f for pair in pairs for f in pair):
        if family not in scores:
            raise ValueError(f"Unknown family {family!r}; scores are given for {sorted(scores)}.")
        arrays[family] = _raw_scores(family, scores[family]) * (1.0 if higher_is_better else -1.0)
    for better, worse in pairs:
        if better == worse:
            raise ValueError(f"Cannot compare family {better!r} with itself.")
        if arrays[better].size != arrays[worse].size:
            raise ValueError(
                f"Paired scores need one score per shared seed, but family {better!r} has "
                f"{arrays[better].size} and family {worse!r} has {arrays[worse].size}."
            )
    if not any(np.isfinite(a).any() for a in arrays.values()):
        raise ValueError(f"Scores must be finite somewhere, but every seed of {sorted(arrays)} diverged.")
    return arrays


def _pair_columns(a: np.ndarray, b: np.ndarray, worst: float) -> tuple[np.ndarray, np.ndarray]:
    """The paired columns of two families: a diverged seed scores ``worst``; a seed both diverged on is dropped."""
    keep = np.isfinite(a) | np.isfinite(b)
    return np.where(np.isfinite(a), a, worst)[keep], np.where(np.isfinite(b), b, worst)[keep]


@dataclass(frozen=True)
class _Raw:
    """One pair's test before the correction for multiplicity."""

    n: int
    mean_diff: float
    statistic: float
    p_value: float
    ci: tuple[float, float]
    ci_adj: tuple[float, float]
    posterior: bayes.Posterior | None


def _test_pair(first: np.ndarray, second: np.ndarray, confidence: float, adjusted: float, rope: float,
               rho: float) -> _Raw:
    n = first.size
    if n < 2:
        return _Raw(n, math.nan, 0.0, 1.0, (math.nan, math.nan), (math.nan, math.nan), None)
    diffs = first - second
    scale = max(1.0, float(np.abs(first).max()), float(np.abs(second).max()))
    posterior = bayes.correlated_t(diffs, rope, rho) if rope > 0 else None
    if np.all(np.abs(diffs) <= _TIE_RTOL * scale):
        return _Raw(n, 0.0, 0.0, 1.0, (0.0, 0.0), (0.0, 0.0), posterior)
    # Near-constant differences trip scipy's precision-loss warning, but there the huge t (tiny p) is the
    # right answer: the difference is perfectly consistent across seeds.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        test = stats.ttest_rel(first, second)
        intervals = [test.confidence_interval(confidence_level=level) for level in (confidence, adjusted)]
    mean = float(diffs.mean())
    # Zero variance: scipy gives a degenerate interval at the mean (or nan); either way it is the mean itself.
    ci, ci_adj = ((mean if math.isnan(i.low) else float(i.low), mean if math.isnan(i.high) else float(i.high))
                  for i in intervals)
    return _Raw(n, mean, float(test.statistic), float(test.pvalue), ci, ci_adj, posterior)


def _verdict(p_adjusted: float, mean_diff: float, alpha: float, posterior: bayes.Posterior | None) -> str:
    if posterior is not None and posterior.equivalent >= bayes.DECISION:
        return EQUIVALENT
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
    rope: float = 0.0,
    rho: float = 0.0,
) -> tuple[PairResult, ...]:
    """Test each claim ``(better, worse)`` with a two-sided paired t-test, Holm-corrected over exactly ``pairs``.

    Args:
        scores: Per-seed test scores of each family; index ``i`` is seed ``i``, shared by all families. A
            non-finite score is a seed on which the family diverged: in that family's pairs it counts as the
            worst score of the comparison (a seed both families diverged on is dropped from their pair only).
        pairs: The claims, each ``(claimed better, claimed worse)``.
        higher_is_better: False for metrics such as RMSE.
        alpha: Family-wise significance level for the verdicts.
        confidence: Level of the (unadjusted) interval around each mean paired difference; the simultaneous
            interval has level ``1 - (1 - confidence) / len(pairs)``.
        rope: Region of practical equivalence (metric units); 0 leaves out the Bayesian test.
        rho: Correlation between replicates for the Bayesian correlated t-test.

    Returns:
        One result per pair, in the order of ``pairs``. Identical scores (all differences zero) give
        ``p = 1``; a constant non-zero difference (zero variance) gives ``p = 0``.

    Raises:
        ValueError: A family is unknown or has fewer than 2 seeds, the two families of a pair have different
            numbers of seeds, every score diverged, or a level is outside (0, 1).
    """
    _check_level("alpha", alpha)
    _check_level("confidence", confidence)
    if not pairs:
        return ()
    arrays = _oriented(scores, pairs, higher_is_better)
    worst = min(float(a[np.isfinite(a)].min()) for a in arrays.values() if np.isfinite(a).any())
    adjusted_level = 1.0 - (1.0 - confidence) / len(pairs)
    raws = [_test_pair(*_pair_columns(arrays[b], arrays[w], worst), confidence, adjusted_level, rope, rho)
            for b, w in pairs]
    p_adjusted = holm([r.p_value for r in raws])
    return tuple(
        PairResult(
            better=better, worse=worse, n=r.n, mean_diff=r.mean_diff, ci_low=r.ci[0], ci_high=r.ci[1],
            statistic=r.statistic, p_value=r.p_value, p_adjusted=p_adj,
            verdict=_verdict(p_adj, r.mean_diff, alpha, r.posterior), ci_adj_low=r.ci_adj[0],
            ci_adj_high=r.ci_adj[1], rope=rope,
            p_better=r.posterior.better if r.posterior else math.nan,
            p_equivalent=r.posterior.equivalent if r.posterior else math.nan,
            p_worse=r.posterior.worse if r.posterior else math.nan,
            diverged_better=int((~np.isfinite(arrays[better])).sum()),
            diverged_worse=int((~np.isfinite(arrays[worse])).sum()),
        )  # fmt: skip
        for (better, worse), r, p_adj in zip(pairs, raws, p_adjusted, strict=True)
    )


def _summarise_chain(pairs: Sequence[PairResult]) -> str:
    """The chain is a conjunction of its adjacent claims (see :data:`CHAIN_DEFINITIONS`)."""
    verdicts = [p.verdict for p in pairs]
    if REVERSED in verdicts:
        return CHAIN_CONTRADICTED
    if all(v == HOLDS for v in verdicts):
        return CHAIN_HOLDS
    if all(v == EQUIVALENT for v in verdicts):
        return CHAIN_EQUIVALENT
    if HOLDS in verdicts:
        return CHAIN_PARTLY_HOLDS
    return CHAIN_INCONCLUSIVE


def chain_verdict(
    scores: Mapping[str, Sequence[float]],
    chain: Sequence[str] = GERON_CHAIN,
    *,
    higher_is_better: bool = True,
    alpha: float = 0.05,
    confidence: float = 0.95,
    rope: float = 0.0,
    rho: float = 0.0,
) -> ChainVerdict:
    """Test an ordering, best first, through its adjacent pairs (Holm over those pairs).

    Families of ``chain`` missing from ``scores`` are skipped, so a chain ``a > b > c`` without ``b`` tests
    ``a > c``. The verdict is one of :data:`CHAIN_DEFINITIONS`: the chain is a conjunction, so one reversed
    pair contradicts it.
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
        rope=rope,
        rho=rho,
    )
    return ChainVerdict(pairs, _summarise_chain(pairs))


def all_pairs(
    scores: Mapping[str, Sequence[float]],
    order: Sequence[str],
    *,
    higher_is_better: bool = True,
    alpha: float = 0.05,
    confidence: float = 0.95,
    rope: float = 0.0,
    rho: float = 0.0,
) -> tuple[PairResult, ...]:
    """Every claim ``order[i] > order[j]`` for ``i < j``, Holm-corrected over all of them."""
    pairs = [(order[i], order[j]) for i in range(len(order)) for j in range(i + 1, len(order))]
    return compare_pairs(scores, pairs, higher_is_better=higher_is_better, alpha=alpha, confidence=confidence,
                         rope=rope, rho=rho)


def replicates_for_power(sd_diff: float, effect: float, *, alpha: float = 0.05, power: float = 0.8,
                         max_n: int = 1000) -> int | None:
    """The fewest paired replicates for a two-sided paired t-test at level ``alpha`` to detect a true mean
    difference ``effect`` with probability ``power``, when per-replicate differences have standard deviation
    ``sd_diff`` (noncentral t). ``None`` when over ``max_n``; 2 when ``sd_diff`` is 0."""
    _check_level("alpha", alpha)
    _check_level("power", power)
    if effect <= 0:
        raise ValueError(f"The effect to detect must be positive, but got {effect}.")
    if sd_diff <= 0:
        return 2
    for n in range(2, max_n + 1):
        df = n - 1
        critical = stats.t.ppf(1 - alpha / 2, df)
        shift = effect / (sd_diff / math.sqrt(n))
        achieved = stats.nct.sf(critical, df, shift) + stats.nct.cdf(-critical, df, shift)
        if achieved >= power:
            return n
    return None
