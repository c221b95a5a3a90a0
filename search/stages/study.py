"""Stage 3 — open the study, or resume it: its storage, its identity (data fingerprint, families, metric,
search space) checked against this run's, the spec a joining worker reads, a sampler seeded for this
invocation.

A study that exists with another identity is refused before anything in it changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from search.errors import UsageError
from search.locations import redact_url

if TYPE_CHECKING:
    import optuna
    from rich.console import Console

    from search.parallel import ResilientStorage
    from search.stages.config import RunConfig
    from search.stages.data import PreparedData


@dataclass(frozen=True)
class OpenedStudy:
    """The study this run works on, and what every stage after this one needs of it."""

    name: str
    url: str  # the storage URL as given (with its password: never print it, see ``redact_url``)
    storage: ResilientStorage
    study: optuna.Study
    created: bool  # False: resumed
    builder: Callable[[Any], Any]  # the Keras-Tuner-style build(hp) of the study's families
    tracking_uri: str


def quiet_libraries() -> None:
    """Optuna's per-trial INFO lines and MLflow's chatter would drown the progress lines."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("mlflow").setLevel(logging.WARNING)


def open_or_resume(config: RunConfig, data: PreparedData, console: Console) -> OpenedStudy:
    """Create study ``config.study`` (default ``<dataset>-activations``) in ``config.storage``, or resume it.

    Raises:
        UsageError: The storage cannot be opened, or the stored study is about other data, families,
            metric or search space.
    """
    from search.parallel import open_shared_storage
    from search.study import check_objectives, directions, make_builder, make_pruner, open_study
    from search.tracking import check_tracking, resolve_tracking_uri

    quiet_libraries()
    check_objectives(config.objectives, sampler=config.sampler, pruner=config.pruner)
    splits = data.splits
    name = config.study or f"{data.dataset.name}-activations"
    builder = make_builder(config.builder, splits.input_shape, splits.n_outputs, splits.task, config.families)
    tracking_uri = resolve_tracking_uri(config.tracking_uri)
    storage = open_shared_storage(config.storage, tracking_uri=tracking_uri, heartbeat=config.heartbeat,
                                  grace=config.grace)
    if config.trials == 0:
        _require_trials(name, storage, config.storage)
    check_tracking(tracking_uri)  # before the study exists: a bad URI must not leave a study behind
    study, created = open_study(
        name=name,
        storage=storage,
        direction=directions(config.objectives, data.direction),
        sampler=study_sampler(config.sampler, config.seed, builder, config.families, console,
                              shared_start=config.shared_start),
        pruner=make_pruner(config.pruner, config.epochs),
        identity=_identity(config, data, builder),
    )
    n_before = len(study.get_trials(deepcopy=False))
    if n_before:
        # A resumed study must not replay the first invocation's random start-up suggestions.
        study.sampler = study_sampler(config.sampler, config.seed + n_before, builder, config.families,
                                      shared_start=config.shared_start)
    console.print(f"study {name!r} in {redact_url(config.storage)}: "
                  + ("new" if created else f"resumed with {n_before} trials"))
    from search.study import USER_ATTR_SPEC

    study.set_user_attr(USER_ATTR_SPEC, _spec(config, data).to_attr())
    return OpenedStudy(name, config.storage, storage, study, created, builder, tracking_uri)


def study_sampler(name: str, seed: int, builder: Callable[[Any], Any], families: Sequence[str],
                  console: Console | None = None, shared_start: bool = False) -> Any:
    """The study's sampler (with each family's grid for ``grid``); says what a numbers-only sampler does with
    the categorical parameters."""
    from search.study import declared_space, grid_space, make_sampler, sampler_notice

    grids = grid_space(builder, families) if name == "grid" else None
    if console is not None and name in ("cmaes", "gp"):
        categorical = {n for calls in declared_space(builder, families).values() for n, c in calls.items()
                       if c[1] == "categorical"}
        notice = sampler_notice(name, sorted(categorical))
        if notice:
            console.print(notice)
    return make_sampler(name, seed, grids, shared_start=shared_start)


def _require_trials(name: str, storage: Any, url: str) -> None:
    """``--trials 0`` judges the trials a study has: there must be such a study (checked before creating one)."""
    import optuna

    try:
        n = len(optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False))
    except KeyError:
        n = 0
    if not n:
        raise UsageError(f"--trials 0 re-runs the verdict of an existing study, but {redact_url(url)} has no trials "
                         f"of study {name!r}; give --trials N to search first.")


def _identity(config: RunConfig, data: PreparedData, builder: Callable[[Any], Any]) -> dict[str, Any]:
    """What the study is about: resuming it with other values is refused."""
    from search.study import USER_ATTR_SPACE, space_signature

    return {
        "dataset": data.dataset.name,
        "fingerprint": data.splits.fingerprint,
        "families": list(config.families),
        "metric": data.metric,
        "direction": data.direction,
        USER_ATTR_SPACE: space_signature(builder, config.families),
    }


def _spec(config: RunConfig, data: PreparedData) -> Any:
    """What a worker joining from another process or machine needs to train this study's trials."""
    from search.extensions import load_extensions, plugin_digests
    from search.study import StudySpec

    digests = plugin_digests(load_extensions(config.plugins, config.activations), config.families)
    return StudySpec(
        dataset=config.dataset, target=config.target, task=config.task, impute=config.impute,
        val_size=config.val_size, test_size=config.test_size, seed=config.seed, families=tuple(config.families),
        metric=data.metric, epochs=config.epochs, batch_size=config.batch_size, patience=config.patience,
        sampler=config.sampler, pruner=config.pruner, plugins=tuple(config.plugins),
        activations=tuple(config.activations), plugin_digests=digests, builder=config.builder,
        objectives=tuple(config.objectives), shared_start=config.shared_start,
    )  # fmt: skip
