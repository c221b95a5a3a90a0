"""Calibration of the pairwise verdicts on simulated seed-paired scores: error rates, power, determinism.

The simulation mirrors the protocol: K = 5 seeds shared by all families, so each seed adds one effect common to
every family (same data split, same batch order) and each family adds its own independent noise per seed:
``score[f][i] = base[i] + shift[f] + noise[f][i]``, base ~ N(0.9, 0.01), noise ~ N(0, 0.005) (0.5 points).

Error rates are Monte Carlo estimates, so they are judged like any measurement. Under the null the paired
t-test is exact for normal noise: a single pair's verdict is "no significant difference" with probability
exactly 1 - alpha = 95.0 %, so a finite simulation lands on either side of 95 % by chance. The A/A tests
therefore assert that the measured false-positive rate is not significantly *above* alpha (one-sided exact
binomial test at level 0.001), which a miscalibrated test fails by a wide margin: a normal instead of a t
quantile on 4 df gives ~12 %, a one-sided test ~10 %. Run with ``pytest -s`` to see the measured rates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import pairwise

import numpy as np
import pytest
from scipy import stats

from search.verdict.ranks import friedman
from search.verdict.stats import (
    GERON_CHAIN,
    HOLDS,
    NO_DIFFERENCE,
    REVERSED,
    all_pairs,
    chain_verdict,
    compare_pairs,
    family_stats,
)

K = 5
ALPHA = 0.05
BASE_MEAN, BASE_SD, NOISE_SD = 0.9, 0.01, 0.005
REPS_NULL = 2000  # a 95 % rate is then measured to about +/- 1 point (2 standard errors)
REPS_POWER = 1000
MIN_POWER = 0.80
TOLERANCE_P = 0.001  # how surprising a false-positive count must be before the test fails


def simulate(rng: np.random.Generator, shifts: Mapping[str, float], reps: int) -> dict[str, np.ndarray]:
    """``{family: (reps, K) scores}`` with a per-seed effect shared by all families in a repetition."""
    base = rng.normal(BASE_MEAN, BASE_SD, size=(reps, K))
    return {name: base + shift + rng.normal(0.0, NOISE_SD, size=(reps, K)) for name, shift in shifts.items()}


def pair_verdicts(
    sims: Mapping[str, np.ndarray],
    pairs: Sequence[tuple[str, str]],
    *,
    higher_is_better: bool = True,
    pair_index: int = 0,
) -> Counter[str]:
    """Verdicts of ``pairs[pair_index]`` over the repetitions, all ``pairs`` tested together (one Holm family)."""
    reps = next(iter(sims.values())).shape[0]
    return Counter(
        compare_pairs(
            {name: values[r] for name, values in sims.items()},
            pairs,
            higher_is_better=higher_is_better,
            alpha=ALPHA,
        )[pair_index].verdict
        for r in range(reps)
    )


def assert_false_positive_rate_is_nominal(label: str, verdicts: Counter[str], alpha: float = ALPHA) -> None:
    reps = sum(verdicts.values())
    false_positives = reps - verdicts[NO_DIFFERENCE]
    test = stats.binomtest(false_positives, reps, alpha, alternative="greater")
    low, high = stats.binomtest(reps - false_positives, reps).proportion_ci(0.95)
    print(
        f"\n{label}: 'no significant difference' in {verdicts[NO_DIFFERENCE] / reps:.2%} of {reps} "
        f"(95% CI {low:.2%}-{high:.2%}); holds {verdicts[HOLDS]}, reversed {verdicts[REVERSED]}; "
        f"one-sided binomial p (rate > {alpha:.0%}) = {test.pvalue:.3f}"
    )
    assert test.pvalue > TOLERANCE_P, (
        f"{label}: false-positive rate {false_positives / reps:.2%} > {alpha:.0%}"
    )


def test_a_a_single_pair_is_calibrated() -> None:
    sims = simulate(np.random.default_rng(20240501), {"relu": 0.0, "relu_again": 0.0}, REPS_NULL)
    verdicts = pair_verdicts(sims, [("relu", "relu_again")])
    assert_false_positive_rate_is_nominal("A/A single pair", verdicts)
    # Two-sided: false alarms split evenly between the two directions (each 2.5 % expected).
    assert stats.binomtest(verdicts[HOLDS], verdicts[HOLDS] + verdicts[REVERSED]).pvalue > TOLERANCE_P


def test_a_a_pair_inside_the_geron_chain_is_calibrated() -> None:
    # leaky_relu and relu are the same distribution; every other adjacent pair differs by 2 points. With four
    # clearly rejected pairs, Holm multiplies the null pair's p by 1: it is tested at the full alpha (not
    # conservatively), and the family-wise error rate is still alpha.
    shifts = {"selu": 0.04, "elu": 0.02, "leaky_relu": 0.0, "relu": 0.0, "tanh": -0.02, "sigmoid": -0.04}
    sims = simulate(np.random.default_rng(20240502), shifts, REPS_NULL)
    chain = list(pairwise(GERON_CHAIN))
    verdicts = pair_verdicts(sims, chain, pair_index=chain.index(("leaky_relu", "relu")))
    assert_false_positive_rate_is_nominal("A/A leaky_relu = relu inside the chain (Holm over 5)", verdicts)


def test_a_a_whole_chain_of_identical_families_is_inconclusive() -> None:
    # The complete null: Holm bounds the chance of any false claim among the 5 adjacent pairs by alpha.
    reps = REPS_POWER
    sims = simulate(np.random.default_rng(20240503), dict.fromkeys(GERON_CHAIN, 0.0), reps)
    outcomes = Counter(
        chain_verdict({name: values[r] for name, values in sims.items()}, GERON_CHAIN).verdict
        for r in range(reps)
    )
    rate = outcomes["inconclusive"] / reps
    print(f"\nA/A six identical families: chain 'inconclusive' in {rate:.2%} of {reps}; {dict(outcomes)}")
    assert (
        stats.binomtest(reps - outcomes["inconclusive"], reps, ALPHA, alternative="greater").pvalue
        > TOLERANCE_P
    )


@pytest.mark.parametrize(
    ("label", "seed", "gap", "higher_is_better", "expected"),
    [
        ("accuracy, claim right", 20240511, 0.02, True, HOLDS),
        ("RMSE (lower is better), claim right", 20240512, -0.02, False, HOLDS),
        ("accuracy, claim backwards", 20240513, -0.02, True, REVERSED),
    ],
)
def test_a_two_point_gap_is_detected(
    label: str, seed: int, gap: float, higher_is_better: bool, expected: str
) -> None:
    # "better" scores `gap` above "worse": +0.02 accuracy is better; -0.02 RMSE is better.
    sims = simulate(np.random.default_rng(seed), {"better": gap, "worse": 0.0}, REPS_POWER)
    verdicts = pair_verdicts(sims, [("better", "worse")], higher_is_better=higher_is_better)
    power = verdicts[expected] / REPS_POWER
    wrong = REVERSED if expected == HOLDS else HOLDS
    print(f"\npower, 2-point gap, {label}: '{expected}' in {power:.2%} of {REPS_POWER}; {dict(verdicts)}")
    assert power >= MIN_POWER
    assert verdicts[wrong] == 0  # a 2-point gap is never called significant the wrong way round


def test_power_of_the_whole_chain_with_two_point_gaps() -> None:
    # Every adjacent gap is 2 points: the chain "holds" only if all 5 Holm-corrected claims are significant,
    # the smallest p tested at alpha / 5. Reported for the reader; asserted only loosely.
    shifts = {name: 0.02 * (len(GERON_CHAIN) - i) for i, name in enumerate(GERON_CHAIN)}
    sims = simulate(np.random.default_rng(20240521), shifts, REPS_POWER)
    outcomes = Counter(
        chain_verdict({name: values[r] for name, values in sims.items()}, GERON_CHAIN).verdict
        for r in range(REPS_POWER)
    )
    print(
        f"\npower, whole chain with 2-point gaps: 'holds' in {outcomes['holds'] / REPS_POWER:.2%}; {dict(outcomes)}"
    )
    assert outcomes["holds"] / REPS_POWER >= 0.5
    assert outcomes["contradicted"] == 0


def test_the_family_interval_covers_the_true_mean_at_its_level() -> None:
    reps = REPS_NULL
    scores = np.random.default_rng(20240531).normal(BASE_MEAN, NOISE_SD, size=(reps, K))
    covered = 0
    for row in scores:
        result = family_stats("relu", row.tolist())
        covered += result.ci_low <= BASE_MEAN <= result.ci_high
    print(f"\nfamily_stats 95% t-interval coverage: {covered / reps:.2%} of {reps}")
    assert stats.binomtest(reps - covered, reps, 0.05, alternative="greater").pvalue > TOLERANCE_P


def test_results_are_deterministic() -> None:
    sims = simulate(np.random.default_rng(20240541), {n: -0.01 * i for i, n in enumerate(GERON_CHAIN)}, 1)
    scores = {name: values[0].tolist() for name, values in sims.items()}
    by_dataset = {f"d{d}": {name: float(values[0, d]) for name, values in sims.items()} for d in range(K)}
    assert compare_pairs(scores, [("selu", "elu")]) == compare_pairs(scores, [("selu", "elu")])
    assert chain_verdict(scores, GERON_CHAIN) == chain_verdict(dict(scores), list(GERON_CHAIN))
    assert all_pairs(scores, GERON_CHAIN) == all_pairs(scores, GERON_CHAIN)
    assert family_stats("selu", scores["selu"]) == family_stats("selu", scores["selu"])
    assert friedman(by_dataset) == friedman(by_dataset)
