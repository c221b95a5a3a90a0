"""What ``search run`` is asked to do (:class:`RunConfig`, the CLI's flags validated) and what it gives back
(:class:`RunOutcome`). Standard library only: the CLI reads the defaults here for ``--help``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from search.errors import UsageError
from search.locations import DEFAULT_STORAGE
from spaces import DEFAULT_FAMILIES

DEFAULT_DATASET = "digits"


@dataclass(frozen=True)
class RunConfig:
    """Everything ``search run`` was asked to do (the CLI's flags, validated)."""

    dataset: str = DEFAULT_DATASET
    target: str | None = None
    families: tuple[str, ...] = DEFAULT_FAMILIES
    trials: int | None = 5  # per family: every family gets the same budget (0: only the verdict; None: --timeout)
    trials_total: bool = False  # ``trials`` is the study's total per family, not trials added (a sweep resumes)
    timeout: float | None = None
    deadline: float | None = None  # wall-clock time (time.time()) after which no verdict retraining starts
    epochs: int = 15
    batch_size: int = 64
    patience: int | None = None
    task: str | None = None  # None: inferred from the labels
    impute: bool = False  # fill missing feature values with the training split's median instead of refusing
    metric: str | None = None  # None: accuracy, balanced accuracy for imbalanced classes, RMSE for regression
    study: str | None = None
    storage: str = DEFAULT_STORAGE
    tracking_uri: str | None = None
    experiment: str | None = None
    seed: int = 0
    sampler: str = "tpe"
    shared_start: bool = False  # each family's sampler starts from the others' trials on the shared parameters
    pruner: str = "median"
    val_size: float = 0.15
    test_size: float = 0.15
    devices: tuple[str, ...] | None = None
    baselines: bool = True
    seeds: int = 5  # re-evaluation seeds per family (0: no re-evaluation, no verdict)
    rope: float | None = None  # region of practical equivalence in the metric's units (None: its default)
    fixed_split: bool = False  # re-evaluation replicates keep the search's train / validation split
    select_top: int = 3  # each family's configuration is chosen among its best trials ...
    select_seeds: int = 2  # ... by their mean validation score over this many seeds (0: the single best)
    repeats: int = 1  # independent runs (--seed, --seed+1, ...: other outer splits and searches), pooled
    workers: int | None = 1  # None: what fits the machine (GPUs / gpus_per_trial, else cores and memory)
    gpus_per_trial: int | None = None  # None: 1 when GPUs are visible
    trials_per_gpu: int = 1  # workers sharing each GPU (group): small models cannot keep a GPU busy alone
    max_failures: int = 5  # stop after this many failed trials in a row
    heartbeat: int = 10  # seconds between a running trial's heartbeats
    grace: int = 90  # seconds without a heartbeat after which a trial's worker is declared dead (> retry + heartbeat)
    recycle_after: int | None = 50  # a worker process is replaced after this many trials (TF keeps memory)
    plugins: tuple[str, ...] = ()  # modules or .py files registering activation families (and builders)
    activations: tuple[str, ...] = ()  # NAME=EXPR activation expressions, each a family
    builder: str | None = None  # MODULE:ATTR of the user's build(hp) or HyperModel (None: MLP / CNN by shape)
    objectives: tuple[str, ...] = ("metric",)  # ("metric", "latency"): accuracy × latency, Pareto fronts
    extra_tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RunOutcome:
    study_name: str
    storage: str
    experiment_id: str
    parent_run_id: str
    tracking_uri: str
    metric: str
    status: str  # the parent run's MLflow status
    rows: list[Any]
    report: dict[str, Any] | None
    wall_seconds: float
    error: str | None = None  # why the run stopped early (the CLI exits with 1)
    signal: str | None = None  # SIGINT / SIGTERM when interrupted (the CLI exits with 130 / 143)
    pareto: dict[str, Any] | None = None  # the Pareto fronts of a metric × latency study


def validate_families(names: list[str]) -> tuple[str, ...]:
    """Canonical family names, in order, without duplicates; an unknown name is a UsageError."""
    from spaces import get_family

    if not names:
        raise UsageError("--families needs at least one family.")
    canonical = []
    for name in names:
        try:
            canonical.append(get_family(name).name)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
    return tuple(dict.fromkeys(canonical))
