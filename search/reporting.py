"""``search report``'s I/O: read studies back from the Optuna storage, rebuild their reports, compare datasets."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from search.errors import UsageError
from search.evaluation import USER_ATTR_EVALUATION
from search.report import build_report, to_json, to_markdown
from search.study import redact_url, trial_records


def load_report(study_name: str, storage: str) -> dict[str, Any]:
    """The verdict report of a stored study, rebuilt from what ``search run`` stored (no training)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        raise UsageError(f"No study {study_name!r} in {redact_url(storage)}.") from None
    except Exception as exc:
        raise UsageError(f"Cannot open Optuna storage {redact_url(storage)!r}: {type(exc).__name__}") from exc
    evaluation = study.user_attrs.get(USER_ATTR_EVALUATION)
    if evaluation is None:
        raise UsageError(
            f"Study {study_name!r} has no re-evaluation yet; run `python -m search run --study {study_name}` "
            "with --seeds 2 or more first."
        )
    return build_report(
        evaluation, trial_records(study), study_name=study_name, dataset=str(study.user_attrs.get("dataset"))
    )


def cross_dataset(reports: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Average ranks, Friedman test and Nemenyi CD of the families' tuned mean test scores across datasets."""
    from search import stats

    directions = {r["direction"] for r in reports}
    if len(directions) != 1:
        raise UsageError("Cannot rank families across studies whose metrics go in different directions.")
    datasets = [r["dataset"] for r in reports]
    if len(set(datasets)) != len(datasets):
        raise UsageError(f"Each study must be on another dataset to compare datasets, but got {datasets}.")
    scores = {
        r["dataset"]: {f["family"]: f["tuned"]["mean"] for f in r["families"] if f["tuned"] is not None}
        for r in reports
    }
    try:
        result = stats.friedman(scores, higher_is_better=directions == {"maximize"})
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return {
        "datasets": datasets,
        "families": list(result.families),
        "average_ranks": result.average_ranks,
        "friedman_statistic": result.statistic,
        "friedman_p_value": result.p_value,
        "critical_difference": result.critical_difference,
        "alpha": result.alpha,
        "verdicts": {r["dataset"]: (r["chain"] or {}).get("verdict") for r in reports},
        "_result": result,
    }


def rebuild_reports(study_names: Sequence[str], storage: str, output: Path | None) -> list[dict[str, Any]]:
    """Print (and with ``output``, write) every study's report, and the cross-dataset comparison if several."""
    from search.report_table import print_report, stdout_console

    console = stdout_console()
    reports = [load_report(name, storage) for name in dict.fromkeys(study_names)]
    comparison = cross_dataset(reports) if len(reports) > 1 else None

    for report in reports:
        print_report(report, console)
        console.print()
    if comparison is not None:
        console.print(
            f"Across {len(reports)} datasets: Friedman p = {comparison['friedman_p_value']:.4f}, Nemenyi CD = "
            f"{comparison['critical_difference']:.3f}; average ranks (1 = best): "
            + ", ".join(f"{f} {comparison['average_ranks'][f]:.2f}" for f in comparison["families"])
        )
    if output is not None:
        _write(output, reports, comparison)
        console.print(f"written to {output}")
    return reports


def _write(output: Path, reports: Sequence[dict[str, Any]], comparison: dict[str, Any] | None) -> None:
    """All files are rendered first and then written, so a failure leaves no half-written folder."""
    files: dict[str, str | bytes] = {}
    for report in reports:
        prefix = "" if len(reports) == 1 else f"{report['study']}/"
        files[f"{prefix}report.md"] = to_markdown(report)
        files[f"{prefix}report.json"] = to_json(report)
    if comparison is not None:
        from search.cd_diagram import cd_diagram_png

        files["datasets.json"] = json.dumps({k: v for k, v in comparison.items() if k != "_result"}, indent=2,
                                            sort_keys=True)
        files["cd_diagram.png"] = cd_diagram_png(comparison["_result"], title="Activation families across datasets")
    for name, content in files.items():
        path = output / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
