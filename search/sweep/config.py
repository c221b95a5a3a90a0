"""The sweep's TOML file, validated before anything runs (pydantic): which datasets, which families, what
budget, where to store and track.

An unknown key, a wrong type, an out-of-range value or a missing data file is one :class:`UsageError` that
names the file, the key and what was expected. The same file drives ``search run --config FILE`` (one
dataset), where command-line flags override it.

Example (see ``sweeps/nightly.toml``)::

    [sweep]
    name = "nightly"
    budget_minutes = 30
    storage = "sqlite:///sweep.db"         # or storage_env = "ACTIVATION_SEARCH_STORAGE"

    [defaults]                             # every dataset's run settings unless it overrides them
    families = ["selu", "elu", "leaky_relu", "relu", "tanh", "sigmoid"]
    trials = 3
    epochs = 10

    [[datasets]]
    name = "digits"
    source = "digits"
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from search.errors import UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]
Metric = Literal["accuracy", "balanced_accuracy", "auc", "f1", "rmse", "mae", "r2"]
Sampler = Literal["tpe", "random", "qmc", "grid", "cmaes", "gp", "nsga2"]
Pruner = Literal["median", "percentile", "hyperband", "successive-halving", "none"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class RunSettings(_Strict):
    """What a dataset's run is asked to do; every key optional (a dataset's value wins over ``[defaults]``)."""

    families: list[Name] | None = Field(default=None, min_length=1)
    trials: int | None = Field(default=None, ge=1, le=10_000)
    epochs: int | None = Field(default=None, ge=1, le=10_000)
    batch_size: int | None = Field(default=None, ge=1, le=1_000_000)
    patience: int | None = Field(default=None, ge=1)
    seeds: int | None = Field(default=None, ge=0, le=1000)
    select_top: int | None = Field(default=None, ge=1)
    select_seeds: int | None = Field(default=None, ge=0)
    metric: Metric | None = None
    sampler: Sampler | None = None
    shared_start: bool | None = None  # --shared-start
    pruner: Pruner | None = None
    objectives: list[Literal["metric", "latency"]] | None = None
    workers: int | None = Field(default=None, ge=1, le=1024)
    gpus_per_trial: int | None = Field(default=None, ge=0, le=64)  # GPUs per worker (2+: MirroredStrategy)
    trials_per_gpu: int | None = Field(default=None, ge=1, le=64)  # workers sharing each GPU
    seed: int | None = None
    plugins: list[str] | None = None
    activations: list[str] | None = None
    builder: str | None = None
    rope: float | None = Field(default=None, ge=0)
    heartbeat: int | None = Field(default=None, ge=1)  # seconds between a running trial's heartbeats
    grace: int | None = Field(default=None, ge=2)  # seconds without one before its worker is declared dead

    def merged(self, over: RunSettings) -> RunSettings:
        """These settings with every key ``over`` sets replacing them."""
        return self.model_copy(update=over.model_dump(exclude_none=True))


class DatasetEntry(RunSettings):
    """One ``[[datasets]]`` table: where the data is, plus any run setting of its own."""

    name: Name
    source: str = Field(min_length=1)  # a bundled name, keras:NAME, openml:ID or a path (relative to the file)
    target: str | None = None


class SweepSection(_Strict):
    name: Name = "nightly"
    budget_minutes: float = Field(default=60.0, gt=0, le=7 * 24 * 60)  # the whole night, all datasets
    search_share: float = Field(default=0.6, gt=0, lt=1)  # of each dataset's share: the search; the rest: verdict
    storage: str | None = None
    storage_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    tracking_uri: str | None = None
    tracking_uri_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")
    experiment: str | None = None  # the sweep's own MLflow experiment (default: activation-search/sweep/<name>)
    fail_on_verdict_change: bool = False
    # Each night its own seed (the dataset's seed + the date's day number): nights are replicates (another
    # split, another search), so the trend shows whether a verdict replicates; false: the same seed every
    # night (only a change of code or libraries moves the scores).
    seed_per_night: bool = True

    @model_validator(mode="after")
    def _one_source_each(self) -> SweepSection:
        for key in ("storage", "tracking_uri"):
            if getattr(self, key) and getattr(self, f"{key}_env"):
                raise ValueError(f"give {key} or {key}_env, not both")
        return self


class SweepConfig(_Strict):
    sweep: SweepSection = SweepSection()
    defaults: RunSettings = RunSettings()
    datasets: list[DatasetEntry] = Field(min_length=1)

    @field_validator("datasets")
    @classmethod
    def _unique_names(cls, datasets: list[DatasetEntry]) -> list[DatasetEntry]:
        names = [d.name for d in datasets]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"dataset names must be unique; {', '.join(twice)} appears more than once")
        return datasets

    def settings(self, dataset: DatasetEntry) -> RunSettings:
        """The run settings of ``dataset``: ``[defaults]`` with its own keys on top."""
        own = RunSettings(**dataset.model_dump(exclude={"name", "source", "target"}))
        return self.defaults.merged(own)

    def storage_url(self) -> str | None:
        return _from_env(self.sweep.storage, self.sweep.storage_env, "storage_env")

    def tracking(self) -> str | None:
        return _from_env(self.sweep.tracking_uri, self.sweep.tracking_uri_env, "tracking_uri_env")


def _from_env(value: str | None, env: str | None, key: str) -> str | None:
    if env is None:
        return value
    found = os.environ.get(env)
    if not found:
        raise UsageError(f"sweep.{key} names ${env}, which is not set.")
    return found


def load_config(path: str | Path) -> SweepConfig:
    """Read and validate ``path``; data file paths are resolved against the file's folder and must exist.

    Raises:
        UsageError: One line naming the file, the key and what was expected.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such config file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read it ({exc}).") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML ({exc}).") from None
    try:
        config = SweepConfig.model_validate(raw)
    except ValidationError as exc:
        raise UsageError(f"{path}: {_first_error(exc)}") from None
    return _resolve_paths(path, config)


def _first_error(exc: ValidationError) -> str:
    """The first problem as ``key: what was expected (got ...)``; how many more there are."""
    errors = exc.errors()
    first = errors[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "missing":
        message = "missing (required)"
    got = "" if first["type"] in ("missing", "extra_forbidden") else f" (got {_short(first.get('input'))})"
    more = f"; and {len(errors) - 1} more problem(s)" if len(errors) > 1 else ""
    return f"{key}: {message}{got}{more}."


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_NOT_A_PATH = re.compile(r"^(keras|openml):")


def _resolve_paths(path: Path, config: SweepConfig) -> SweepConfig:
    """Data files relative to the config file's folder; each must exist (bundled and remote names need not)."""
    import trainers

    datasets = []
    for i, entry in enumerate(config.datasets):
        source = entry.source
        if source not in trainers.BUNDLED_DATASETS and not _NOT_A_PATH.match(source):
            file = (path.parent / source).resolve() if not Path(source).is_absolute() else Path(source)
            if not file.is_file():
                raise UsageError(f"{path}: datasets.{i}.source: no such data file {str(file)!r} (a path is read "
                                 f"relative to the config file; bundled names: {', '.join(trainers.BUNDLED_DATASETS)}).")
            source = str(file)
        datasets.append(entry.model_copy(update={"source": source}))
    return config.model_copy(update={"datasets": datasets})


def run_defaults(config: SweepConfig, dataset: str | None) -> dict[str, Any]:
    """``search run --config FILE``: the run's flag defaults from the file (flags given override them).

    ``dataset`` (``--dataset`` as given, if it was): an entry's name picks that entry; another value is a
    dataset of its own, run with ``[defaults]``; ``None`` picks the only entry (several: a UsageError)."""
    names = [d.name for d in config.datasets]
    if dataset is None and len(names) > 1:
        raise UsageError(f"--config has {len(names)} datasets ({', '.join(names)}): pick one with --dataset NAME, "
                         "or run them all with `search sweep`.")
    entry = next((d for d in config.datasets if d.name == dataset), None) if dataset else config.datasets[0]
    settings = config.settings(entry) if entry is not None else config.defaults
    values: dict[str, Any] = settings.model_dump(exclude_none=True)
    if "objectives" in values:
        values["objectives"] = tuple(values["objectives"])
    if entry is not None:
        values.update(dataset=entry.source, **({"target": entry.target} if entry.target else {}))
    for key, value in (("storage", config.storage_url()), ("tracking_uri", config.tracking())):
        if value:
            values[key] = value
    return values
