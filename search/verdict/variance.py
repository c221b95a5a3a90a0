"""Where the variance of a test score comes from, measured from one verdict's own retrainings.

Pure: plain score lists in, numbers out. Two decompositions of the stored evaluation record:

- **Seeds against splits.** The selection retrains each family's candidates with a few seeds on the
  search's fixed split: their spread within a candidate is the variance of the training seed alone. The
  replicates retrain each chosen configuration and Keras default with K seeds, each re-drawing the
  train / validation split: their spread is seed plus split. The split's share is the difference (never
  below 0). Both are pooled over configurations (their variances assumed alike), with their degrees of
  freedom, so a reader sees how firm each figure is.
- **Shared against family noise** (:func:`two_way`). A replicate's seed and split move every family
  together (a shared effect the paired tests cancel) and each family by its own noise (what they see).

The search's own variance (another search, another outer split) is not visible inside one run: it takes
repeated runs with another ``--seed`` (``search run --repeats R``; :func:`across_runs`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np


def pooled(groups: Iterable[Sequence[float]]) -> tuple[float, int]:
    """The pooled within-group variance (ddof 1 per group) and its degrees of freedom; non-finite values
    (diverged runs) are left out; groups with fewer than 2 values add nothing."""
    total, df = 0.0, 0
    for group in groups:
        values = [float(v) for v in group if math.isfinite(v)]
        if len(values) >= 2:
            total += float(np.var(values, ddof=1)) * (len(values) - 1)
            df += len(values) - 1
    return (total / df if df else math.nan), df


def seed_and_split(evaluation: Mapping[str, Any]) -> dict[str, Any] | None:
    """The seed-only and the replicate variance of the record's test scores, and the split's share.

    Returns ``None`` when neither can be estimated (fewer than 2 seeds everywhere)."""
    seed_var, seed_df = pooled(_selection_groups(evaluation))
    rep_var, rep_df = pooled(_replicate_groups(evaluation))
    if not seed_df and not rep_df:
        return None
    redraw = bool(evaluation.get("redraw_splits", False))
    out: dict[str, Any] = {"seed_sd": _sd(seed_var), "seed_df": seed_df, "replicate_sd": _sd(rep_var),
                           "replicate_df": rep_df, "redraw_splits": redraw, "split_sd": None,
                           "seed_share": None, "split_share": None}
    if redraw and seed_df and rep_df and rep_var > 0:
        split_var = max(0.0, rep_var - seed_var)
        out.update(split_sd=math.sqrt(split_var), split_share=split_var / rep_var,
                   seed_share=min(1.0, seed_var / rep_var))
    return out


def _selection_groups(evaluation: Mapping[str, Any]) -> list[Sequence[float]]:
    """Each candidate's test scores over the selection seeds (fixed split)."""
    groups = []
    for entry in evaluation.get("families", {}).values():
        tuned = entry.get("tuned") or {}
        groups += list(((tuned.get("selection") or {}).get("test") or {}).values())
    return groups


def _replicate_groups(evaluation: Mapping[str, Any]) -> list[Sequence[float]]:
    """Each retrained configuration's test scores over the replicates (the default only when it differs)."""
    groups = []
    for entry in evaluation.get("families", {}).values():
        tuned = entry.get("tuned")
        if tuned:
            groups.append(tuned["test"])
        if not tuned or tuned["params"] != entry["default"]["params"]:
            groups.append(entry["default"]["test"])
    return groups


def two_way(scores: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """``shared_sd`` (replicate effect), ``noise_sd`` (family × replicate residual) and ``family_sd`` (spread
    of the family means) of a families × replicates table; families with a diverged replicate are left out.

    Raises:
        ValueError: Fewer than 2 such families or fewer than 2 replicates.
    """
    rows = [list(map(float, v)) for v in scores.values() if v and all(math.isfinite(x) for x in v)]
    table = np.array(rows)
    if table.ndim != 2 or table.shape[0] < 2 or table.shape[1] < 2:
        raise ValueError("Need at least 2 families with at least 2 finite replicates each.")
    f, r = table.shape
    grand = table.mean()
    fam = table.mean(axis=1, keepdims=True)
    rep = table.mean(axis=0, keepdims=True)
    residual = table - fam - rep + grand
    noise_var = float((residual**2).sum() / ((f - 1) * (r - 1)))
    shared_var = max(0.0, float(((rep - grand) ** 2).sum() / (r - 1)) - noise_var / f)
    return {"shared_sd": math.sqrt(shared_var), "noise_sd": math.sqrt(noise_var),
            "family_sd": float(fam.std(ddof=1)), "families": f, "replicates": r}


def decompose(evaluation: Mapping[str, Any]) -> dict[str, Any] | None:
    """Both decompositions of one verdict (see the module's docstring); ``None`` without enough data."""
    split = seed_and_split(evaluation)
    tuned = {f: e["tuned"]["test"] for f, e in evaluation.get("families", {}).items() if e.get("tuned")}
    try:
        shared = two_way(tuned)
    except ValueError:
        shared = None
    if split is None and shared is None:
        return None
    return {**(split or {}), "two_way": shared}


def across_runs(evaluations: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Seed, re-drawn split and search (with its outer split) as components of one tuned test score's
    variance, from R runs of the same study design with other ``--seed``s.

    Within the runs, the seed and split components are pooled over every run's retrainings (see
    :func:`seed_and_split`). Between them, each family's tuned mean moves by the search's component plus
    the replicate variance over K; the pooled variance of the family means across runs, less that, is the
    search's (never below 0). ``None`` with fewer than 2 runs or no family tuned in all of them."""
    if len(evaluations) < 2:
        return None
    families = set.intersection(*({f for f, e in ev["families"].items() if e.get("tuned")} for ev in evaluations))
    means = {f: [_finite_mean(ev["families"][f]["tuned"]["test"]) for ev in evaluations] for f in sorted(families)}
    means = {f: m for f, m in means.items() if all(map(math.isfinite, m))}
    if not means:
        return None
    seed_var, seed_df = pooled(g for ev in evaluations for g in _selection_groups(ev))
    rep_var, rep_df = pooled(g for ev in evaluations for g in _replicate_groups(ev))
    between, between_df = pooled(means.values())
    k = statistics.fmean(len(ev["seeds"]) for ev in evaluations)
    search_var = max(0.0, between - (rep_var / k if math.isfinite(rep_var) else 0.0))
    seed_part = min(seed_var, rep_var) if seed_df and rep_df else math.nan
    split_var = rep_var - seed_part if math.isfinite(seed_part) else math.nan
    total = (rep_var if math.isfinite(rep_var) else 0.0) + search_var
    share = (lambda v: v / total if total > 0 and math.isfinite(v) else None)  # noqa: E731
    return {"runs": len(evaluations), "families": len(means),
            "seed_sd": _sd(seed_var), "seed_df": seed_df, "split_sd": _sd(split_var),
            "replicate_sd": _sd(rep_var), "replicate_df": rep_df,
            "search_sd": math.sqrt(search_var), "between_df": between_df,
            "shares": {"seed": share(seed_part), "split": share(split_var), "search": share(search_var)}}


def _finite_mean(values: Sequence[float]) -> float:
    finite = [v for v in values if math.isfinite(v)]
    return statistics.fmean(finite) if finite else math.nan


def _sd(var: float) -> float | None:
    return math.sqrt(var) if math.isfinite(var) else None
