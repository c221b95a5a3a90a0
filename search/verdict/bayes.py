"""The Bayesian correlated t-test (Corani & Benavoli 2015; Benavoli et al., "Time for a change: a tutorial for
comparing multiple classifiers through Bayesian analysis", JMLR 2017), with a region of practical equivalence.

The posterior of the mean difference of K paired replicates is a Student t with K − 1 degrees of freedom,
located at their mean difference, with scale ``s * sqrt(1/K + rho / (1 - rho))``, where ``s`` is the sample
standard deviation of the differences and ``rho`` the correlation between replicates (``rho = 0``:
independent replicates; replicates that share training data are positively correlated, which widens the
posterior). Integrating it over (−∞, −rope), [−rope, rope] and (rope, ∞) gives the probabilities that the
second family is practically better, that the two are practically equivalent, and that the first is better.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

DECISION = 0.95  # a posterior probability at least this high is a decision


@dataclass(frozen=True)
class Posterior:
    """P(first practically better), P(practically equivalent), P(second practically better); they sum to 1."""

    better: float
    equivalent: float
    worse: float


def correlated_t(diffs: Sequence[float], rope: float, rho: float = 0.0) -> Posterior:
    """The posterior probabilities for per-replicate differences ``diffs`` (positive favours the first).

    Raises:
        ValueError: Fewer than 2 differences, a negative ``rope``, or ``rho`` outside [0, 1).
    """
    d = np.asarray(diffs, dtype=float)
    if d.size < 2 or not np.all(np.isfinite(d)):
        raise ValueError(f"The correlated t-test needs at least 2 finite differences, but got {d.tolist()}.")
    if rope < 0:
        raise ValueError(f"The region of practical equivalence must be 0 or more, but got {rope}.")
    if not 0.0 <= rho < 1.0:
        raise ValueError(f"The correlation between replicates must lie in [0, 1), but got {rho}.")
    mean, n = float(d.mean()), d.size
    scale = float(d.std(ddof=1)) * math.sqrt(1.0 / n + rho / (1.0 - rho))
    if scale == 0.0:  # every replicate gave the same difference: the posterior is a point
        better = float(mean > rope)
        worse = float(mean < -rope)
        return Posterior(better, 1.0 - better - worse, worse)
    posterior = stats.t(df=n - 1, loc=mean, scale=scale)
    worse = float(posterior.cdf(-rope))
    better = float(posterior.sf(rope))
    return Posterior(better, max(0.0, 1.0 - better - worse), worse)
