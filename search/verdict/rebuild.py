"""``search report``'s I/O: read studies back from the Optuna storage, rebuild their reports and plots (no
training), compare datasets or pool repeated runs, and write the files."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from search.errors import UsageError
from search.locations import redact_url, require_existing_storage
from search.study import TrialRecord, trial_records
from search.verdict.artifacts import study_files
from search.verdict.datasets import cross_dataset
from search.verdict.datasets import to_markdown as datasets_markdown
from search.verdict.evaluation import USER_ATTR_EVALUATION
from search.verdict.repeats import build_repeats_report
from search.verdict.repeats import to_markdown as repeats_markdown
from search.verdict.repeats import variance_line as repeats_variance_line
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


def _load_evaluated(study_name: str, storage: str) -> Any:
    """The stored study, refused (one line) when it is missing or has no verdict yet."""
    import optuna

    require_existing_storage(storage)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        study = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        raise UsageError(f"No study {study_name!r} in {redact_url(storage)}.") from None
    except Exception as exc:
        raise UsageError(f"Cannot open Optuna storage {redact_url(storage)!r}: {type(exc).__name__}") from exc
    if study.user_attrs.get(USER_ATTR_EVALUATION) is None:
        raise UsageError(
            f"Study {study_name!r} has no re-evaluation yet; run `python -m search run --study {study_name}` "
            "with --seeds 2 or more first."
        )
    return study


def load_stored_study(study_name: str, storage: str, rope: float | None = None) -> StoredStudy:
    """The verdict report and trials of a stored study, rebuilt from what ``search run`` stored."""
    from search.extensions import load_extensions

    study = _load_evaluated(study_name, storage)
    attrs = study.user_attrs
    spec = attrs.get("spec") or {}
    load_extensions(spec.get("plugins", ()), spec.get("activations", ()))  # their families' plots need them
    evaluation = attrs[USER_ATTR_EVALUATION]
    records = trial_records(study)
    report = build_report(evaluation, records, study_name=study_name, dataset=str(attrs.get("dataset")), rope=rope)
    families = list(attrs.get("families") or [f["family"] for f in report["families"]])
    return StoredStudy(study_name, report, records, families, str(attrs.get("direction", report["direction"])))


def load_report(study_name: str, storage: str) -> dict[str, Any]:
    """The verdict report of a stored study, rebuilt from what ``search run`` stored (no training)."""
    return load_stored_study(study_name, storage).report


def load_repeats(study_names: Sequence[str], storage: str, rope: float | None = None) -> dict[str, Any]:
    """The pooled verdict of stored studies that repeat one design on one dataset (see
    :mod:`search.verdict.repeats`)."""
    names = list(dict.fromkeys(study_names))
    studies = [_load_evaluated(name, storage) for name in names]
    datasets = {str(s.user_attrs.get("dataset")) for s in studies}
    if len(datasets) != 1:
        raise UsageError(f"Repeated runs must be on one dataset, but {names} are on {sorted(datasets)}.")
    return build_repeats_report([s.user_attrs[USER_ATTR_EVALUATION] for s in studies], names,
                                dataset=datasets.pop(), rope=rope)


def repeats_files(report: dict[str, Any]) -> dict[str, str | bytes]:
    return {"repeats.md": repeats_markdown(report),
            "repeats.json": json.dumps(report, indent=2, sort_keys=True, allow_nan=True)}


def log_repeats(report: dict[str, Any], tracking_uri: str | None, experiment: str | None = None) -> tuple[str, str]:
    """The pooled verdict as a finished MLflow run (experiment ``activation-search/<dataset>`` unless given):
    each family's mean over the runs as metrics, the report as artifacts."""
    from search.tracking import Tracker, resolve_tracking_uri

    uri = resolve_tracking_uri(tracking_uri)
    tracker = Tracker(uri)
    experiment_id = tracker.experiment_id(experiment or f"activation-search/{report['dataset']}")
    run_id = tracker.start_parent(
        experiment_id, run_name=f"{report['runs']} repeated runs: {', '.join(report['studies'])}",
        params={"studies": ",".join(report["studies"]), "runs": report["runs"], "rope": report["rope"]},
        tags={"role": "repeats", "chain": str((report["chain"] or {}).get("verdict"))},
    )  # fmt: skip
    metrics = {f"test_{report['metric']}_mean.{r['family']}": r["mean"] for r in report["families"]}
    tracker.finish_parent(run_id, status="FINISHED", metrics=metrics, artifacts=repeats_files(report))
    return run_id, uri


def print_repeats(report: dict[str, Any], console: Any) -> None:
    from search.verdict.render import chain_line

    console.print(f"Over {report['runs']} repeated runs ({', '.join(report['studies'])}), the run as the unit:")
    console.print(chain_line(report))
    console.print(chain_line(report, "default_chain"))
    console.print(repeats_variance_line(report) or "")
    console.print("Per run: " + "; ".join(f"{r['study']}: tuned {r['chain']}, defaults {r['default_chain']}"
                                          for r in report["per_run"]))


def rebuild_reports(study_names: Sequence[str], storage: str, output: Path | None,
                    rope: float | None = None, tracking_uri: str | None = None,
                    repeats: bool = False) -> list[dict[str, Any]]:
    """Print (and with ``output``, write with their plots) every study's report, and the cross-dataset
    comparison if several, which is also logged as an MLflow run (experiment ``activation-search/datasets``);
    with ``repeats``, the studies are repeated runs on one dataset, pooled instead (see :func:`load_repeats`)."""
    from search.console import stdout_console
    from search.verdict.tables import print_report

    console = stdout_console()
    if repeats:
        return [_rebuild_repeats(study_names, storage, output, rope, tracking_uri, console)]
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


def _rebuild_repeats(study_names: Sequence[str], storage: str, output: Path | None, rope: float | None,
                     tracking_uri: str | None, console: Any) -> dict[str, Any]:
    report = load_repeats(study_names, storage, rope)
    print_repeats(report, console)
    run_id, uri = log_repeats(report, tracking_uri)
    console.print(f"pooled verdict logged to MLflow run {run_id} in {redact_url(uri)}")
    if output is not None:
        _write_files(output, repeats_files(report))
        console.print(f"written to {output}")
    return report


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
        prefix = "" if len(studies) == 1 else f"{folder_name(study.name)}/"
        files.update({f"{prefix}{name}": content for name, content in study.files().items()})
    if comparison is not None:
        files.update(comparison_files(comparison))
    _write_files(output, files)


def folder_name(study_name: str) -> str:
    """A study's folder under ``--output``: its name with anything but letters, digits, ``.``, ``_`` and ``-``
    replaced, so that no name (``../x``, ``/etc``) writes outside the folder."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", study_name).strip(".")
    return safe or "study"


def _write_files(output: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = output / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
