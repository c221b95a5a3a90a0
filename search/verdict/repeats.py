"""The verdict over repeated runs: R runs of one study design, each with another ``--seed`` (another outer
split, so another test split; another search; other training seeds), judged together.

Pure: evaluation records in, a report out. The unit of replication is the run: a family's score in a run is
its mean test score over the run's K replicates (a replicate on which it diverged counts as the worst score of
that run), and the pairs are tested on these R run-level scores, paired by run, with the statistics of one
run's verdict (paired t-tests with Holm, simultaneous intervals, the Bayesian correlated t-test against the
ROPE, with Benavoli's correlation heuristic, the test fraction, since outer splits overlap). What one run
cannot see — which configuration its search found, which rows its test split holds — is then inside the
error term, so a difference called significant here is one another split and search would show too. With few
runs the test is weak (R − 1 degrees of freedom), and it says so by staying undecided.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from search.errors import UsageError
from search.verdict import stats, variance
from search.verdict.report import ALPHA, Tester, default_rope


def run_means(evaluation: Mapping[str, Any], which: str = "tuned") -> dict[str, float]:
    """Each family's mean test score in one run, a diverged replicate counting as the run's worst score."""
    higher = evaluation["direction"] == "maximize"
    columns = {f: e[which]["test"] for f, e in evaluation["families"].items() if e.get(which)}
    finite = [v for col in columns.values() for v in col if math.isfinite(v)]
    if not finite:
        return {}
    worst = min(finite) if higher else max(finite)
    return {f: statistics.fmean(v if math.isfinite(v) else worst for v in col) for f, col in columns.items()}


def _common(evaluations: Sequence[Mapping[str, Any]], which: str) -> dict[str, list[float]]:
    """Families with a score in every run: their run-level scores, in run order."""
    per_run = [run_means(ev, which) for ev in evaluations]
    families = [f for f in per_run[0] if all(f in m for m in per_run)]
    return {f: [m[f] for m in per_run] for f in families}


def _check_same_design(evaluations: Sequence[Mapping[str, Any]], names: Sequence[str]) -> None:
    if len(evaluations) < 2:
        raise UsageError(f"Repeated runs need at least 2 studies, but got {list(names)}.")
    for key in ("metric", "direction"):
        values = {ev[key] for ev in evaluations}
        if len(values) != 1:
            raise UsageError(f"Repeated runs must share their {key}, but {list(names)} have {sorted(values)}.")


def build_repeats_report(
    evaluations: Sequence[Mapping[str, Any]],
    names: Sequence[str],
    *,
    dataset: str,
    chain: Sequence[str] = stats.GERON_CHAIN,
    alpha: float = ALPHA,
    rope: float | None = None,
) -> dict[str, Any]:
    """Every number of the pooled verdict over the runs ``evaluations`` (studies ``names``), as a JSON-able
    dict shaped like one run's report where it can be (``chain``, ``default_chain``, ``all_pairs``)."""
    _check_same_design(evaluations, names)
    first = evaluations[0]
    metric = first["metric"]
    rope = first.get("rope", default_rope(metric)) if rope is None else rope
    rho = statistics.fmean(float(ev.get("test_size", ev.get("rho", 0.0))) for ev in evaluations)
    test = Tester(first["direction"] == "maximize", alpha, rope, rho)
    tuned, defaults = _common(evaluations, "tuned"), _common(evaluations, "default")
    alone = [_run_chains(ev, chain, alpha, rope) for ev in evaluations]
    return {
        "dataset": dataset, "studies": list(names), "metric": metric, "direction": first["direction"],
        "runs": len(evaluations), "replicates": [len(ev["seeds"]) for ev in evaluations], "alpha": alpha,
        "rope": rope, "rho": rho,
        "families": [{"family": f, "runs": v, **_summary(f, v), "default_runs": defaults.get(f)} for f, v in tuned.items()],
        "chain": test.chain(tuned, chain),
        "default_chain": test.chain(defaults, chain),
        "all_pairs": test.all_pairs(tuned, tuned),
        "per_run": [{"study": name, **verdicts} for name, verdicts in zip(names, alone, strict=True)],
        "variance": variance.across_runs(evaluations),
        "definitions": {"pairs": stats.PAIR_DEFINITIONS, "chain": stats.CHAIN_DEFINITIONS},
    }  # fmt: skip


def _run_chains(evaluation: Mapping[str, Any], chain: Sequence[str], alpha: float, rope: float) -> dict[str, Any]:
    """One run's own chain verdicts (tuned, Keras defaults), as its report states them."""
    test = Tester(evaluation["direction"] == "maximize", alpha, rope, float(evaluation.get("rho", 0.0)))
    out = {}
    for key, which in (("chain", "tuned"), ("default_chain", "default")):
        scores = {f: e[which]["test"] for f, e in evaluation["families"].items() if e.get(which)}
        out[key] = (test.chain(scores, chain) or {}).get("verdict")
    return out


def _summary(family: str, values: Sequence[float]) -> dict[str, Any]:
    s = stats.family_stats(family, values)
    return {"mean": s.mean, "std": s.std, "ci_low": s.ci_low, "ci_high": s.ci_high}


def variance_line(report: Mapping[str, Any]) -> str | None:
    """Seed, split and search as shares of one tuned test score's variance, in one line."""
    v = report.get("variance")
    if not v:
        return None
    shares = v["shares"]

    def part(name: str, sd: float | None, share: float | None) -> str:
        return f"{name} SD {sd:.4f} ({share:.0%})" if sd is not None and share is not None else f"{name} not measured"

    return (f"Variance of a tuned test score over {v['runs']} runs: " + "; ".join([
        part("training seed", v["seed_sd"], shares["seed"]),
        part("re-drawn train / validation split", v["split_sd"], shares["split"]),
        part("search and outer split", v["search_sd"], shares["search"]),
    ]) + ".")


def to_markdown(report: Mapping[str, Any]) -> str:
    """The pooled verdict as a page."""
    from search.verdict.render import PAIR_HEADER, chain_line, pair_row

    rows = [f"| {r['family']} | {r['mean']:.4f} [{r['ci_low']:.4f}, {r['ci_high']:.4f}] | "
            + ", ".join(f"{v:.4f}" for v in r["runs"]) + " |" for r in report["families"]]
    lines = [
        f"# Activation verdict over {report['runs']} repeated runs: {report['dataset']}",
        "",
        f"Studies {', '.join(report['studies'])}: each another outer split (test split), search and training "
        f"seeds. A family's score per run is its mean test {report['metric']} over the run's replicates; the "
        f"pairs are paired by run (t-tests with Holm, alpha {report['alpha']}; simultaneous intervals; ROPE "
        f"±{report['rope']:g}, rho {report['rho']:g}), so the search's and the split's variation count.",
        "",
        f"**{chain_line(report)}**",
        "",
        f"**{chain_line(report, 'default_chain')}**",
        "",
        variance_line(report) or "",
        "",
        "Per run: " + "; ".join(f"{r['study']}: tuned {r['chain']}, defaults {r['default_chain']}"
                                for r in report["per_run"]),
        "",
        "| family | mean over runs [95% CI] | per run |",
        "|---|---:|---|",
        *rows,
        "",
    ]
    for title, pairs in (("Géron's chain, tuned", (report["chain"] or {}).get("pairs")),
                         ("Géron's chain, Keras defaults", (report["default_chain"] or {}).get("pairs")),
                         ("All pairs, tuned (Holm over all of them)", report["all_pairs"])):
        if pairs:
            lines += [f"## {title}", "", *PAIR_HEADER, *map(pair_row, pairs), ""]
    return "\n".join(lines)
