"""The verdict report rendered: the one-line verdicts, the per-family table, Markdown, JSON and the figures
for the parent MLflow run. Pure functions of the report dict (see :mod:`search.verdict.report`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from search.study import pareto_markdown
from search.verdict import depth

TABLE_HEADER = ["family", "tuned test {metric} (mean [95% CI])", "Keras default", "diverged",
                "latency ms (default net)", "trials c/p/f"]
PAIR_HEADER = ["| claim | mean difference [simultaneous 95% CI] | p | p (Holm) | P(equivalent) | verdict |",
               "|---|---:|---:|---:|---:|---|"]


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
    return {**out, **depth.depth_metrics(report)}


def chain_line(report: Mapping[str, Any], which: str = "chain") -> str:
    """The verdict on Géron's chain in one line: of the tuned configurations (``which="chain"``) or of the
    Keras defaults (``which="default_chain"``)."""
    chain = report[which]
    label = "tuned" if which == "chain" else "Keras defaults"
    if chain is None:
        return (f"Géron's chain ({label}): not testable here (fewer than two of its families were evaluated with "
                "≥ 2 seeds).")
    steps = "; ".join(f"{p['better']} > {p['worse']}: {p['verdict']}" for p in chain["pairs"])
    shortened = f", shortened: {', '.join(chain['missing'])} not evaluated" if chain.get("missing") else ""
    return (f"Géron's chain ({' > '.join(chain['order'])}{shortened}) on {report['dataset']}, {label}: "
            f"{chain['verdict'].upper()} — {steps}")


def tuning_line(report: Mapping[str, Any]) -> str:
    """What tuning changed in the chain's verdicts, in one line."""
    if not report.get("chain") or not report.get("default_chain"):
        return "Tuning against the Keras defaults: not comparable (a chain is not testable)."
    changed = report.get("tuning_changed") or []
    if not changed:
        return "Tuning changed no verdict of the chain."
    return "Tuning changed: " + "; ".join(changed)


def effort_line(report: Mapping[str, Any]) -> str | None:
    """A warning when the search gave the families unequal effort (a ``--timeout`` cut it), else None."""
    effort = report.get("effort")
    if not effort or not effort.get("uneven"):
        return None
    spent = ", ".join(f"{f} {e}" for f, e in effort["effort"].items())
    return (f"The search was cut unevenly (epochs per family: {spent}): each family's configuration was chosen "
            f"among its trials within the first {effort['compared_on']} epochs, so the families are compared on "
            "equal budgets.")


def power_line(report: Mapping[str, Any]) -> str | None:
    """How many replicates would detect a one-point difference on this data, in one line."""
    power = report.get("power")
    if not power:
        return None
    n = power["replicates"]
    needed = f"about {n} seeds" if n is not None else "more than 1,000 seeds"
    return (f"Power: to detect a difference of {power['effect']:g} {report['metric']} between adjacent families with "
            f"80 % power (paired t-test at {power['alpha']:.4f}, per-seed differences' SD {power['sd_diff']:.4f} "
            f"measured here) this data needs {needed}; this verdict used {len(report['seeds'])}.")


def variance_line(report: Mapping[str, Any]) -> str | None:
    """Where a test score's variance comes from: seeds, the re-drawn split, shared by the families or not."""
    v = report.get("variance")
    if not v:
        return None
    parts = []
    if v.get("seed_sd") is not None:
        parts.append(f"training seed alone SD {v['seed_sd']:.4f} ({v['seed_df']} df, selection retrainings "
                     "on the search's split)")
    if v.get("replicate_sd") is not None:
        what = "seed and re-drawn split" if v.get("redraw_splits") else "seed (fixed split)"
        parts.append(f"replicates ({what}) SD {v['replicate_sd']:.4f} ({v['replicate_df']} df)")
    if v.get("split_share") is not None:
        parts.append(f"so {v['seed_share']:.0%} from the seed and {v['split_share']:.0%} from the split")
    two = v.get("two_way")
    if two:
        parts.append(f"of the tuned scores, SD {two['shared_sd']:.4f} is shared by all families in a replicate "
                     f"(the paired tests cancel it) and SD {two['noise_sd']:.4f} is each family's own")
    return ("Variance: " + "; ".join(parts) + ".") if parts else None


SCOPE_LINE = ("Scope: these tests are conditional on this run's search and test split (they measure seeds and "
              "re-drawn training splits); another --seed can answer otherwise. `--repeats R` makes the run the unit.")


def _fmt_stats(s: Mapping[str, Any] | None) -> str:
    if s is None:
        return "—"
    if s["n"] < 2:
        return f"{s['mean']:.4f} (1 seed)"
    return f"{s['mean']:.4f} [{s['ci_low']:.4f}, {s['ci_high']:.4f}]"


def family_table_rows(report: Mapping[str, Any]) -> list[list[str]]:
    """Rows of the per-family table: family, tuned mean [95% CI], untuned, diverged runs, latency, trials."""
    rows = []
    for r in report["families"]:
        t = r["trials"]
        latency = "—" if r["latency_ms"] is None else f"{r['latency_ms']:.2f}"
        diverged = f"{r.get('divergence_rate', 0.0):.0%}"
        rows.append([r["family"], _fmt_stats(r["tuned"]), _fmt_stats(r["default"]), diverged, latency,
                     f"{t['complete']}/{t['pruned']}/{t['failed']}"])
    return rows


def pair_row(p: Mapping[str, Any]) -> str:
    low, high = p.get("ci_adj_low", p["ci_low"]), p.get("ci_adj_high", p["ci_high"])
    equivalent = p.get("p_equivalent")
    shown = "—" if equivalent is None or equivalent != equivalent else f"{equivalent:.3f}"
    return (f"| {p['better']} > {p['worse']} | {p['mean_diff']:+.4f} [{low:+.4f}, {high:+.4f}] "
            f"| {p['p_value']:.4f} | {p['p_adjusted']:.4f} | {shown} | {p['verdict']} |")


def _pairs_section(title: str, pairs: list[Mapping[str, Any]]) -> list[str]:
    return [f"## {title}", "", *PAIR_HEADER, *map(pair_row, pairs), ""] if pairs else []


def _formulas(report: Mapping[str, Any]) -> list[str]:
    """The function each composed or expression family chose, with its rank by tuned test mean."""
    ranked = report["families"]
    lines = [f"- **{r['family']}** (rank {i} of {len(ranked)}): f(x) = `{r['formula']}`"
             for i, r in enumerate(ranked, start=1) if r.get("formula")]
    return ["## Formulas (tuned; the plot plots/activations.png draws them with their derivatives)", "", *lines, ""] \
        if lines else []


def _learned(report: Mapping[str, Any]) -> list[str]:
    """Learned activation parameters per layer (PReLU's slopes) of each family's re-evaluated model, seed 1."""
    lines = []
    for r in report["families"]:
        for layer, s in (r.get("learned") or {}).items():
            lines.append(f"| {r['family']} | {layer} | {int(s['n'])} | {s['mean']:.4f} | {s['std']:.4f} | "
                         f"{s['min']:.4f} | {s['max']:.4f} |")
    header = ["## Learned activation parameters (the re-evaluated model, first seed)", "",
              "| family | layer | values | mean | SD | min | max |", "|---|---|---:|---:|---:|---:|---:|"]
    return [*header, *lines, ""] if lines else []


def _definitions(report: Mapping[str, Any]) -> list[str]:
    definitions = report.get("definitions") or {}
    lines = ["## What the verdicts mean", ""]
    lines += [f"- pair **{k}**: {v}" for k, v in (definitions.get("pairs") or {}).items()]
    lines += [f"- chain **{k}**: {v}" for k, v in (definitions.get("chain") or {}).items()]
    return [*lines, ""] if len(lines) > 2 else []


def to_markdown(report: Mapping[str, Any]) -> str:
    metric = report["metric"]
    header = [h.format(metric=metric) for h in TABLE_HEADER]
    rope = report.get("rope", 0.0)
    lines = [
        f"# Activation verdict: {report['dataset']} (study `{report['study']}`)",
        "",
        f"Test {metric} of each family's best configuration (by validation score) and of its Keras defaults, "
        f"retrained with {len(report['seeds'])} shared seeds for {report['epochs']} epochs; paired t-tests, "
        f"Holm-corrected, alpha = {report['alpha']}; intervals of differences are simultaneous (Bonferroni over "
        f"the pairs of a table); region of practical equivalence ±{rope:g} {metric} (Bayesian correlated t-test, "
        f"rho = {report.get('rho', 0.0):g}). A diverged run counts as the worst score of its comparison. Latency: "
        "median time per inference batch of 256 rows of the Keras-default network (the same for every family).",
        "",
        f"**{chain_line(report)}**",
        "",
        f"**{chain_line(report, 'default_chain')}**" if "default_chain" in report else "",
        "",
        tuning_line(report) if "default_chain" in report else "",
        "",
        f"**{effort_line(report)}**" if effort_line(report) else "",
        "",
        power_line(report) or "",
        "",
        variance_line(report) or "",
        "",
        SCOPE_LINE,
        "",
        "| " + " | ".join(header) + " |",
        "|---|---:|---:|---:|---:|---:|",
        *("| " + " | ".join(row) + " |" for row in family_table_rows(report)),
        "",
    ]
    if report["chain"]:
        lines += _pairs_section("Géron's chain, tuned, adjacent pairs", report["chain"]["pairs"])
    if report.get("default_chain"):
        lines += _pairs_section("Géron's chain, Keras defaults, adjacent pairs", report["default_chain"]["pairs"])
    lines += _pairs_section("Tuned against the Keras default", report["tuned_vs_default"])
    if report["selu_combo"] and report["selu_combo"]["pair"]:
        c = report["selu_combo"]
        lines += [*_pairs_section("SELU: canonical (lecun_normal + AlphaDropout) against plain", [c["pair"]])[:2],
                  f"canonical {_fmt_stats(c['canonical'])}, plain {_fmt_stats(c['plain'])}", "",
                  *PAIR_HEADER, pair_row(c["pair"]), ""]
    lines += _pairs_section("All pairs, tuned (Holm over all of them)", report["all_pairs"])
    if report.get("pareto"):
        lines += [pareto_markdown(report["pareto"], metric)]
    lines += _formulas(report)
    lines += _learned(report)
    lines += depth.markdown(report)
    lines += _models(report)
    lines += _definitions(report)
    return "\n".join(lines)


def _models(report: Mapping[str, Any]) -> list[str]:
    rows = [(r["family"], r["model_uri"]) for r in report["families"] if r.get("model_uri")]
    if not rows:
        return []
    return ["## Models", "",
            "Each family's tuned network as retrained with the first evaluation seed, logged with MLflow's Keras "
            "flavour (with its signature). Reload one in any process with `search.load_model(URI)` "
            "(add `tracking_uri=` for another store than MLflow's default).", "",
            "| family | URI |", "|---|---|", *(f"| {family} | `{uri}` |" for family, uri in rows), ""]


def to_json(report: Mapping[str, Any]) -> str:
    return json.dumps(report, indent=2, sort_keys=True, allow_nan=True)
