"""The verdict report: from the stored evaluation record and the trials, to JSON, Markdown and a table.

Pure: no training, no storage I/O. ``search run`` and ``search report`` both call :func:`build_report` on the
same stored data, so the report is rebuilt identically (no timestamps, a fixed order everywhere).
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from search.study import TrialRecord, summarize
from search.verdict import stats

ALPHA = 0.05


def _finite_columns(scores: Mapping[str, Sequence[float]]) -> dict[str, list[float]]:
    """Keep the seeds where every family has a finite score, so the comparisons stay paired."""
    families = list(scores)
    if not families:
        return {}
    n = min(len(v) for v in scores.values())
    keep = [i for i in range(n) if all(math.isfinite(scores[f][i]) for f in families)]
    return {f: [float(scores[f][i]) for i in keep] for f in families}


def _stats_dict(family: str, values: Sequence[float]) -> dict[str, Any] | None:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return None
    return asdict(stats.family_stats(family, finite))


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
) -> dict[str, Any]:
    """Every number of the verdict, as a JSON-able dict."""
    metric, direction = evaluation["metric"], evaluation["direction"]
    higher = direction == "maximize"
    fams: Mapping[str, Any] = evaluation["families"]
    tuned = {f: e["tuned"]["test"] for f, e in fams.items() if e.get("tuned")}
    enough = {f: v for f, v in _finite_columns(tuned).items() if len(v) >= 2}
    families = _family_rows(fams, records, direction)
    report: dict[str, Any] = {
        "study": study_name,
        "dataset": dataset,
        "metric": metric,
        "direction": direction,
        "seeds": list(evaluation["seeds"]),
        "epochs": evaluation["epochs"],
        "alpha": alpha,
        "families": families,
        "chain": None,
        "all_pairs": [],
        "tuned_vs_default": _tuned_vs_default(fams, higher, alpha),
        "selu_combo": _selu_combo(evaluation.get("selu_combo"), higher, alpha),
    }
    present = [f for f in chain if f in enough]
    if len(present) >= 2:
        verdict = stats.chain_verdict(enough, present, higher_is_better=higher, alpha=alpha)
        report["chain"] = {"order": present, "pairs": _pair_dicts(verdict.pairs), "verdict": verdict.verdict}
    order = [r["family"] for r in families if r["family"] in enough]
    if len(order) >= 2:
        report["all_pairs"] = _pair_dicts(stats.all_pairs(enough, order, higher_is_better=higher, alpha=alpha))
    return report


def _family_rows(fams: Mapping[str, Any], records: Sequence[TrialRecord], direction: str) -> list[dict[str, Any]]:
    """One row per family (tuned and default test statistics, latency, trial counts), best tuned mean first."""
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
                "default": _stats_dict(family, entry["default"]["test"]),
                "default_params": entry["default"]["params"],
                "latency_ms": 1000.0 * statistics.median(latency) if latency else None,
                "trials": {s: getattr(row, s) if row else 0 for s in ("complete", "pruned", "failed")},
            }
        )
    sign = 1.0 if direction == "maximize" else -1.0
    families.sort(key=lambda r: (r["tuned"] is None, -sign * r["tuned"]["mean"] if r["tuned"] else 0.0))
    return families


def _tuned_vs_default(fams: Mapping[str, Any], higher: bool, alpha: float) -> list[dict[str, Any]]:
    """Tuned against untuned, per family (Holm over the families): does tuning the knobs pay?"""
    columns = {}
    for family, entry in fams.items():
        if entry.get("tuned"):
            columns[f"{family}:tuned"] = entry["tuned"]["test"]
            columns[f"{family}:default"] = entry["default"]["test"]
    claims = _finite_columns(columns)
    pairs = [(f"{f}:tuned", f"{f}:default") for f in fams if f"{f}:tuned" in claims]
    if not pairs or len(next(iter(claims.values()))) < 2:
        return []
    return _pair_dicts(stats.compare_pairs(claims, pairs, higher_is_better=higher, alpha=alpha))


def _selu_combo(combo: Mapping[str, Any] | None, higher: bool, alpha: float) -> dict[str, Any] | None:
    """SELU's canonical combination (lecun_normal + AlphaDropout) against the plain one, same seeds."""
    if not combo:
        return None
    both = _finite_columns({"canonical": combo["canonical"], "plain": combo["plain"]})
    entry = {"params": combo["params"], "canonical": _stats_dict("canonical", combo["canonical"]),
             "plain": _stats_dict("plain", combo["plain"]), "pair": None}
    if len(both["canonical"]) >= 2:
        entry["pair"] = asdict(stats.compare_pairs(both, [("canonical", "plain")], higher_is_better=higher, alpha=alpha)[0])
    return entry


def summary_metrics(report: Mapping[str, Any]) -> dict[str, float]:
    """Per-family figures for the parent MLflow run (comparable across runs in the MLflow UI)."""
    metric = report["metric"]
    out: dict[str, float] = {}
    for r in report["families"]:
        for variant in ("tuned", "default"):
            s = r[variant]
            if s is not None:
                out[f"test_{metric}_{variant}_mean.{r['family']}"] = s["mean"]
                if s["n"] >= 2:
                    out[f"test_{metric}_{variant}_ci_low.{r['family']}"] = s["ci_low"]
                    out[f"test_{metric}_{variant}_ci_high.{r['family']}"] = s["ci_high"]
        if r["latency_ms"] is not None:
            out[f"latency_ms.{r['family']}"] = r["latency_ms"]
    return out


def chain_line(report: Mapping[str, Any]) -> str:
    """The verdict in one line."""
    chain = report["chain"]
    if chain is None:
        return "Géron's chain: not testable here (fewer than two of its families were evaluated with ≥ 2 seeds)."
    steps = "; ".join(f"{p['better']} > {p['worse']}: {p['verdict']}" for p in chain["pairs"])
    return f"Géron's chain ({' > '.join(chain['order'])}) on {report['dataset']}: {chain['verdict'].upper()} — {steps}"


def _fmt_stats(s: Mapping[str, Any] | None) -> str:
    if s is None:
        return "—"
    if s["n"] < 2:
        return f"{s['mean']:.4f} (1 seed)"
    return f"{s['mean']:.4f} [{s['ci_low']:.4f}, {s['ci_high']:.4f}]"


def family_table_rows(report: Mapping[str, Any]) -> list[list[str]]:
    """Rows of the per-family table: family, tuned mean [95% CI], untuned, latency, complete/pruned/failed."""
    rows = []
    for r in report["families"]:
        t = r["trials"]
        latency = "—" if r["latency_ms"] is None else f"{r['latency_ms']:.2f}"
        rows.append([r["family"], _fmt_stats(r["tuned"]), _fmt_stats(r["default"]), latency,
                     f"{t['complete']}/{t['pruned']}/{t['failed']}"])
    return rows


TABLE_HEADER = ["family", "tuned test {metric} (mean [95% CI])", "Keras default", "latency ms (default net)",
                "trials c/p/f"]


def _pair_row(p: Mapping[str, Any]) -> str:
    return (f"| {p['better']} > {p['worse']} | {p['mean_diff']:+.4f} [{p['ci_low']:+.4f}, {p['ci_high']:+.4f}] "
            f"| {p['p_value']:.4f} | {p['p_adjusted']:.4f} | {p['verdict']} |")


def to_markdown(report: Mapping[str, Any]) -> str:
    metric = report["metric"]
    header = [h.format(metric=metric) for h in TABLE_HEADER]
    lines = [
        f"# Activation verdict: {report['dataset']} (study `{report['study']}`)",
        "",
        f"Test {metric} of each family's best configuration (by validation score), retrained with "
        f"{len(report['seeds'])} shared seeds for {report['epochs']} epochs; paired t-tests, Holm-corrected, "
        f"alpha = {report['alpha']}. Latency: median time per inference batch of 256 rows of the Keras-default "
        "network (the same architecture for every family).",
        "",
        f"**{chain_line(report)}**",
        "",
        "| " + " | ".join(header) + " |",
        "|---|---:|---:|---:|---:|",
        *("| " + " | ".join(row) + " |" for row in family_table_rows(report)),
        "",
    ]
    pair_header = ["| claim | mean difference [95% CI] | p | p (Holm) | verdict |", "|---|---:|---:|---:|---|"]
    if report["chain"]:
        lines += ["## Géron's chain, adjacent pairs", "", *pair_header, *map(_pair_row, report["chain"]["pairs"]), ""]
    if report["tuned_vs_default"]:
        lines += ["## Tuned against the Keras default", "", *pair_header, *map(_pair_row, report["tuned_vs_default"]), ""]
    if report["selu_combo"] and report["selu_combo"]["pair"]:
        c = report["selu_combo"]
        lines += ["## SELU: canonical (lecun_normal + AlphaDropout) against plain", "",
                  f"canonical {_fmt_stats(c['canonical'])}, plain {_fmt_stats(c['plain'])}", "",
                  *pair_header, _pair_row(c["pair"]), ""]
    if report["all_pairs"]:
        lines += ["## All pairs (Holm over all of them)", "", *pair_header, *map(_pair_row, report["all_pairs"]), ""]
    return "\n".join(lines)


def to_json(report: Mapping[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=True, allow_nan=True)
