"""``search report``'s I/O: read studies back from the Optuna storage, rebuild their reports and plots (no
training), compare datasets, and write the files."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from search.errors import UsageError
from search.locations import redact_url
from search.study import TrialRecord, trial_records
from search.verdict.artifacts import study_files
from search.verdict.datasets import cross_dataset
from search.verdict.datasets import to_markdown as datasets_markdown
from search.verdict.evaluation import USER_ATTR_EVALUATION
from search.verdict.report import build_report


@dataclass(frozen=True)
class StoredStudy:
    """A finished study as ``report`` reads it back: its verdict report and its trials."""

    name: str
    report: dict[str, Any]
    records: list[TrialRecord]
    families: list[str]
    direction: str

    def files(self) -> dict[str, str | bytes]:
        return study_files(self.records, families=self.families, metric=self.report["metric"],
                           direction=self.direction, report=self.report)


def load_stored_study(study_name: str, storage: str, rope: float | None = None) -> StoredStudy:
    """The verdict report and trials of a stored study, rebuilt from what ``search run`` stored."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        raise UsageError(f"No study {study_name!r} in {redact_url(storage)}.") from None
    except Exception as exc:
        raise UsageError(f"Cannot open Optuna storage {redact_url(storage)!r}: {type(exc).__name__}") from exc
    attrs = study.user_attrs
    evaluation = attrs.get(USER_ATTR_EVALUATION)
    if evaluation is None:
        raise UsageError(
            f"Study {study_name!r} has no re-evaluation yet; run `python -m search run --study {study_name}` "
            "with --seeds 2 or more first."
        )
    records = trial_records(study)
    report = build_report(evaluation, records, study_name=study_name, dataset=str(attrs.get("dataset")), rope=rope)
    families = list(attrs.get("families") or [f["family"] for f in report["families"]])
    return StoredStudy(study_name, report, records, families, str(attrs.get("direction", report["direction"])))


def load_report(study_name: str, storage: str) -> dict[str, Any]:
    """The verdict report of a stored study, rebuilt from what ``search run`` stored (no training)."""
    return load_stored_study(study_name, storage).report


def rebuild_reports(study_names: Sequence[str], storage: str, output: Path | None,
                    rope: float | None = None, tracking_uri: str | None = None) -> list[dict[str, Any]]:
    """Print (and with ``output``, write with their plots) every study's report, and the cross-dataset
    comparison if several, which is also logged as an MLflow run (experiment ``activation-search/datasets``)."""
    from search.console import stdout_console
    from search.verdict.tables import print_report

    console = stdout_console()
    studies = [load_stored_study(name, storage, rope) for name in dict.fromkeys(study_names)]
    reports = [s.report for s in studies]
    comparison = cross_dataset(reports) if len(reports) > 1 else None

    for report in reports:
        print_report(report, console)
        console.print()
    if comparison is not None:
        console.print(
            f"Across {len(reports)} datasets: Friedman p = {comparison['friedman_p_value']:.4f}, Iman–Davenport p = "
            f"{comparison['iman_davenport_p_value']:.4f}"
            + (f", Nemenyi CD = {comparison['critical_difference']:.3f}" if comparison["omnibus_significant"]
               else " (no evidence the families differ)")
            + "; average ranks (1 = best): "
            + ", ".join(f"{f} {comparison['average_ranks'][f]:.2f}" for f in comparison["families"])
        )
    if comparison is not None:
        run_id, uri = log_comparison(comparison, [s.name for s in studies], tracking_uri)
        console.print(f"comparison logged to MLflow run {run_id} in {redact_url(uri)}")
    if output is not None:
        _write(output, studies, comparison)
        console.print(f"written to {output}")
    return reports


def comparison_files(comparison: dict[str, Any]) -> dict[str, str | bytes]:
    """``datasets.json``, ``datasets.md`` and, when the omnibus test rejects, ``cd_diagram.png``."""
    files: dict[str, str | bytes] = {
        "datasets.json": json.dumps({k: v for k, v in comparison.items() if k != "_result"}, indent=2, sort_keys=True),
        "datasets.md": datasets_markdown(comparison),
    }
    if comparison["omnibus_significant"]:  # a CD diagram after a non-significant omnibus test misleads
        from search.verdict.cd_diagram import cd_diagram_png

        files["cd_diagram.png"] = cd_diagram_png(comparison["_result"], title="Activation families across datasets")
    return files


def log_comparison(comparison: dict[str, Any], studies: Sequence[str], tracking_uri: str | None) -> tuple[str, str]:
    """The cross-dataset comparison as a finished MLflow run: average ranks as metrics, the files as artifacts."""
    from search.tracking import Tracker, resolve_tracking_uri

    uri = resolve_tracking_uri(tracking_uri)
    tracker = Tracker(uri)
    experiment_id = tracker.experiment_id("activation-search/datasets")
    run_id = tracker.start_parent(
        experiment_id,
        run_name=f"{len(studies)} datasets: {', '.join(comparison['datasets'])}",
        params={"studies": ",".join(studies), "datasets": ",".join(comparison["datasets"]),
                "families": ",".join(comparison["families"])},
        tags={"role": "datasets"},
    )
    metrics = {f"average_rank.{f}": r for f, r in comparison["average_ranks"].items()}
    metrics.update(friedman_p_value=comparison["friedman_p_value"],
                   iman_davenport_p_value=comparison["iman_davenport_p_value"])
    tracker.finish_parent(run_id, status="FINISHED", metrics=metrics, artifacts=comparison_files(comparison))
    return run_id, uri


def _write(output: Path, studies: Sequence[StoredStudy], comparison: dict[str, Any] | None) -> None:
    """All files are rendered first and then written, so a failure leaves no half-written folder."""
    files: dict[str, str | bytes] = {}
    for study in studies:
        prefix = "" if len(studies) == 1 else f"{study.name}/"
        files.update({f"{prefix}{name}": content for name, content in study.files().items()})
    if comparison is not None:
        files.update(comparison_files(comparison))
    for name, content in files.items():
        path = output / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
