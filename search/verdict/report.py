"""The verdict report: from the stored evaluation record and the trials, every number of the verdict.

Pure: no training, no storage I/O. ``search run`` and ``search report`` both call :func:`build_report` on the
same stored data, so the report is rebuilt identically (no timestamps, a fixed order everywhere). Its
renderings (Markdown, JSON, the table, the one-line verdict) are in :mod:`search.verdict.render`.

Two questions are answered side by side: which family is better *tuned* (each family's best configuration)
and which is better *as most people use it* (each family's Keras defaults); a line says what tuning changed.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from search.study import TrialRecord, pareto_summary, summarize
from search.verdict import stats, variance

ALPHA = 0.05
DEFAULT_ROPE = 0.005  # half a point of a [0, 1] metric (accuracy, AUC, F1)
BOUNDED_METRICS = ("accuracy", "balanced_accuracy", "auc", "f1", "r2")


def default_rope(metric: str) -> float:
    """The region of practical equivalence when none was asked for: half a point of a [0, 1] metric; for an
    error in the target's units (RMSE, MAE) there is no unit-free default, so 0 (no equivalence test)."""
    return DEFAULT_ROPE if metric in BOUNDED_METRICS else 0.0


def _stats_dict(family: str, values: Sequence[float]) -> dict[str, Any] | None:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return None
    return {**asdict(stats.family_stats(family, finite)), "diverged": len(values) - len(finite)}


def _pair_dicts(pairs: Sequence[stats.PairResult]) -> list[dict[str, Any]]:
    return [asdict(p) for p in pairs]


def build_report(
    evaluation: Mapping[str, Any],
    records: Sequence[TrialRecord],
    *,
    study_name: str,
    dataset: str,
    chain: Sequence[str] = stats.GERON_CHAIN,
    alpha: float = ALPHA,
    rope: float | None = None,
) -> dict[str, Any]:
    """Every number of the verdict, as a JSON-able dict.

    ``rope`` (metric units) defaults to the one stored with the evaluation, else :func:`default_rope`."""
    metric, direction = evaluation["metric"], evaluation["direction"]
    rope = evaluation.get("rope", default_rope(metric)) if rope is None else rope
    test = Tester(direction == "maximize", alpha, rope, float(evaluation.get("rho", 0.0)))
    fams: Mapping[str, Any] = evaluation["families"]
    tuned = {f: e["tuned"]["test"] for f, e in fams.items() if e.get("tuned")}
    defaults = {f: e["default"]["test"] for f, e in fams.items()}
    report: dict[str, Any] = {
        "study": study_name,
        "dataset": dataset,
        "metric": metric,
        "direction": direction,
        "seeds": list(evaluation["seeds"]),
        "epochs": evaluation["epochs"],
        "alpha": alpha,
        "rope": rope,
        "rho": test.rho,
        "families": _family_rows(fams, records, direction),
        "chain": test.chain(tuned, chain),
        "default_chain": test.chain(defaults, chain),
        "all_pairs": test.all_pairs(tuned, fams),
        "tuned_vs_default": test.tuned_vs_default(fams),
        "selu_combo": test.selu_combo(evaluation.get("selu_combo")),
        "definitions": {"pairs": stats.PAIR_DEFINITIONS, "chain": stats.CHAIN_DEFINITIONS},
        "effort": evaluation.get("effort"),
    }
    report["tuning_changed"] = tuning_changed(report["default_chain"], report["chain"])
    report["power"] = power_needed(tuned, report["chain"], direction == "maximize", alpha, metric)
    report["variance"] = variance.decompose(evaluation)
    pareto = pareto_summary(records, list(fams), direction)  # the search's fronts; the verdict is on the metric
    if pareto is not None:
        report["pareto"] = pareto
    return report


def power_needed(scores: Mapping[str, Sequence[float]], chain: Mapping[str, Any] | None, higher: bool,
                 alpha: float, metric: str) -> dict[str, Any] | None:
    """How many replicates this data would need to detect a difference of one point (0.01 of a [0, 1]
    metric; for an error metric 1 % of the best family's mean) between adjacent families of the chain with
    80 % power, at the Bonferroni level over the chain's pairs: from the median standard deviation of their
    per-seed differences, as measured here."""
    if not chain:
        return None
    sds = []
    for p in chain["pairs"]:
        a, b = scores[p["better"]], scores[p["worse"]]
        diffs = [x - y for x, y in zip(a, b, strict=False) if math.isfinite(x) and math.isfinite(y)]
        if len(diffs) >= 2:
            sds.append(statistics.stdev(diffs))
    if not sds:
        return None
    sd = statistics.median(sds)
    if metric in BOUNDED_METRICS:
        effect = 0.01
    else:
        means = [statistics.fmean(v for v in s if math.isfinite(v)) for s in scores.values() if any(map(math.isfinite, s))]
        effect = 0.01 * abs(max(means) if higher else min(means))
    level = alpha / len(chain["pairs"])
    return {"effect": effect, "sd_diff": sd, "power": 0.8, "alpha": level,
            "replicates": stats.replicates_for_power(sd, effect, alpha=level) if effect > 0 else None}


def _usable(scores: Mapping[str, Sequence[float]]) -> dict[str, list[float]]:
    """Families with at least 2 seeds of which one is finite (a diverged seed stays, as a divergence)."""
    return {f: [float(v) for v in s] for f, s in scores.items() if len(s) >= 2 and any(math.isfinite(v) for v in s)}


class Tester:
    """The comparisons of one report, all with the same direction, alpha, ROPE and replicate correlation."""

    def __init__(self, higher: bool, alpha: float, rope: float, rho: float) -> None:
        self.higher, self.alpha, self.rope, self.rho = higher, alpha, rope, rho

    def _options(self) -> dict[str, Any]:
        return {"higher_is_better": self.higher, "alpha": self.alpha, "rope": self.rope, "rho": self.rho}

    def chain(self, scores: Mapping[str, Sequence[float]], chain: Sequence[str]) -> dict[str, Any] | None:
        """Géron's chain on ``scores``; a family missing from them shortens the chain, and says so."""
        usable = _usable(scores)
        present = [f for f in chain if f in usable]
        if len(present) < 2:
            return None
        verdict = stats.chain_verdict(usable, present, **self._options())
        missing = [f for f in chain if f not in usable]
        return {"order": present, "missing": missing, "shortened": bool(missing),
                "pairs": _pair_dicts(verdict.pairs), "verdict": verdict.verdict}

    def all_pairs(self, scores: Mapping[str, Sequence[float]], fams: Mapping[str, Any]) -> list[dict[str, Any]]:
        usable = _usable(scores)
        means = {f: statistics.fmean(v for v in usable[f] if math.isfinite(v)) for f in usable}
        order = sorted(usable, key=lambda f: -means[f] if self.higher else means[f])
        return _pair_dicts(stats.all_pairs(usable, order, **self._options())) if len(order) >= 2 else []

    def tuned_vs_default(self, fams: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Tuned against untuned, per family (Holm over the families): does tuning the knobs pay?"""
        columns = {}
        for family, entry in fams.items():
            if entry.get("tuned"):
                columns[f"{family}:tuned"] = entry["tuned"]["test"]
                columns[f"{family}:default"] = entry["default"]["test"]
        usable = _usable(columns)
        pairs = [(f"{f}:tuned", f"{f}:default") for f in fams if {f"{f}:tuned", f"{f}:default"} <= set(usable)]
        return _pair_dicts(stats.compare_pairs(usable, pairs, **self._options())) if pairs else []

    def selu_combo(self, combo: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """SELU's canonical combination (lecun_normal + AlphaDropout) against the plain one, same seeds."""
        if not combo:
            return None
        entry = {"params": combo["params"], "canonical": _stats_dict("canonical", combo["canonical"]),
                 "plain": _stats_dict("plain", combo["plain"]), "pair": None}
        usable = _usable({"canonical": combo["canonical"], "plain": combo["plain"]})
        if len(usable) == 2:
            entry["pair"] = asdict(stats.compare_pairs(usable, [("canonical", "plain")], **self._options())[0])
        return entry


def tuning_changed(default_chain: Mapping[str, Any] | None, tuned_chain: Mapping[str, Any] | None) -> list[str]:
    """The adjacent pairs whose verdict differs between the Keras defaults and the tuned configurations."""
    if not default_chain or not tuned_chain:
        return []
    before = {(p["better"], p["worse"]): p["verdict"] for p in default_chain["pairs"]}
    return [f"{p['better']} > {p['worse']}: {before[(p['better'], p['worse'])]} → {p['verdict']}"
            for p in tuned_chain["pairs"] if (p["better"], p["worse"]) in before
            and before[(p["better"], p["worse"])] != p["verdict"]]


def _family_rows(fams: Mapping[str, Any], records: Sequence[TrialRecord], direction: str) -> list[dict[str, Any]]:
    """One row per family (tuned and default test statistics, divergences, latency, trial counts), best tuned
    mean first."""
    counts = {r.family: r for r in summarize(records, list(fams), direction)}
    families = []
    for family, entry in fams.items():
        row = counts.get(family)
        t = entry.get("tuned")
        # Latency of the Keras-default configuration: the same network for every family, so the figure
        # compares the activations, not the sizes of the tuned networks.
        latency = [v for v in entry["default"]["latency_s"] if math.isfinite(v)]
        families.append(
            {
                "family": family,
                "tuned": _stats_dict(family, t["test"]) if t else None,
                "tuned_trial": t["trial"] if t else None,
                "tuned_val_score": t["val_score"] if t else None,
                "tuned_params": t["params"] if t else None,
                "learned": (t or entry["default"]).get("learned") or {},
                # The reviewed retraining (first seed) of the tuned configuration: inside the network, and
                # where its trained model was logged (the Keras default's when the family has no tuned one).
                "diagnostics": (t or entry["default"]).get("diagnostics") or {},
                "model_uri": (t or entry["default"]).get("model_uri"),
                "formula": _formula(family, t["params"] if t else entry["default"]["params"]),
                "default": _stats_dict(family, entry["default"]["test"]),
                "default_params": entry["default"]["params"],
                "divergence_rate": _divergence_rate(t["test"] if t else [], entry["default"]["test"]),
                "latency_ms": 1000.0 * statistics.median(latency) if latency else None,
                "trials": {s: getattr(row, s) if row else 0 for s in ("complete", "pruned", "failed")},
                "epochs_trained": row.epochs if row else 0,
                "pruned_at": list(row.pruned_at) if row else [],
            }
        )
    sign = 1.0 if direction == "maximize" else -1.0
    families.sort(key=lambda r: (r["tuned"] is None, -sign * r["tuned"]["mean"] if r["tuned"] else 0.0))
    return families


def _formula(family: str, params: Mapping[str, Any]) -> str | None:
    """The family's function at these parameters as text, where the family can say it (composed, expressions)."""
    from spaces import UnknownFamilyError, family_params, get_family

    try:
        spec = get_family(family)
    except UnknownFamilyError:
        return None  # a plugin this process did not load
    return spec.describe({**spec.defaults(), **family_params(family, params)}) if spec.describe else None


def _divergence_rate(*runs: Sequence[float]) -> float:
    """The share of this family's re-evaluation runs (tuned and default) whose score is not finite."""
    values = [v for run in runs for v in run]
    return sum(not math.isfinite(v) for v in values) / len(values) if values else 0.0
