"""Sampler and pruner names mapped to Optuna's own classes: the one place where that choice lives."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from search.errors import UsageError

if TYPE_CHECKING:
    import optuna

SAMPLER_NAMES: tuple[str, ...] = ("tpe", "random", "qmc", "grid", "cmaes", "gp", "nsga2")
NEEDS = {"cmaes": ("cmaes", "cmaes"), "gp": ("torch", "torch")}  # sampler -> (module, pip package)
Grids = Mapping[str | None, Mapping[str, Sequence[Any]]]  # family -> parameter -> grid values
PRUNER_NAMES: tuple[str, ...] = ("median", "percentile", "hyperband", "successive-halving", "none")


def make_sampler(name: str, seed: int, grids: Grids | None = None,
                 shared_start: bool = False) -> optuna.samplers.BaseSampler:
    """A seeded sampler, one instance per family that learns from that family's trials only
    (:class:`~search.study.family_sampler.PerFamilySampler`). TPE is multivariate with grouped conditional
    parameters (the activation's parameters exist only for their family, which is what ``group=True`` is for).

    ``grid`` walks each family's grid (``grids``, see :func:`~search.study.spec.grid_space`) in a seeded random
    order and, once it is exhausted, re-draws points of it (the budget, not the grid, ends the search). CMA-ES
    and GP handle numbers only: categorical parameters are drawn by their fallback random sampler (see
    :func:`sampler_notice`). NSGA-II is Optuna's genetic algorithm, single- or multi-objective.

    With ``shared_start``, each family's sampler also learns from the other families' trials on the parameters
    they share until it has TPE's ten start-up trials of its own (:mod:`search.study.shared_start`).

    Raises:
        UsageError: For a sampler whose library is not installed (``cmaes``, ``gp``), or ``grid`` without grids.
    """
    import optuna

    from search.study.family_sampler import PerFamilySampler

    require_sampler(name)
    factories: dict[str, Callable[[int, str | None], optuna.samplers.BaseSampler]] = {
        "tpe": lambda s, f: optuna.samplers.TPESampler(seed=s, multivariate=True, group=True, constant_liar=True),
        "random": lambda s, f: optuna.samplers.RandomSampler(seed=s),
        "qmc": lambda s, f: optuna.samplers.QMCSampler(seed=s, warn_independent_sampling=False),
        "grid": lambda s, f: _OpenEndedGrid(dict((grids or {}).get(f) or {"unused": [None]}), seed=s),
        "cmaes": lambda s, f: optuna.samplers.CmaEsSampler(seed=s, warn_independent_sampling=False,
                                                           independent_sampler=optuna.samplers.RandomSampler(seed=s)),
        "gp": lambda s, f: optuna.samplers.GPSampler(seed=s, independent_sampler=optuna.samplers.RandomSampler(seed=s)),
        "nsga2": lambda s, f: optuna.samplers.NSGAIISampler(seed=s, population_size=8),
    }
    if name not in factories:
        raise ValueError(f"Unknown sampler {name!r}; choose from {sorted(factories)}.")
    if name == "grid" and grids is None:
        raise ValueError("The grid sampler needs each family's grid (search.study.grid_space).")
    from search.study.shared_start import SHARED_START_TRIALS

    return PerFamilySampler(_quietly(factories[name]), seed, SHARED_START_TRIALS if shared_start else 0)


def require_sampler(name: str) -> None:
    """Refuse, in one line, a sampler whose library is missing."""
    import importlib.util

    if name in NEEDS and importlib.util.find_spec(NEEDS[name][0]) is None:
        raise UsageError(f"--sampler {name} needs the {NEEDS[name][1]!r} package, which is not installed: "
                         f"pip install {NEEDS[name][1]} (or choose another --sampler).")


def sampler_notice(name: str, categorical: Sequence[str]) -> str | None:
    """What a numbers-only sampler does with the space's categorical parameters, in one line (or None)."""
    if name not in ("cmaes", "gp") or not categorical:
        return None
    shown = ", ".join(sorted(categorical)[:6]) + (", ..." if len(categorical) > 6 else "")
    what = "CMA-ES" if name == "cmaes" else "the Gaussian process"
    return (f"--sampler {name}: {what} handles numbers only; the categorical parameters ({shown}) are drawn by its "
            f"fallback, a seeded random sampler")


def _quietly(factory: Callable[[int, str | None], optuna.samplers.BaseSampler]
             ) -> Callable[[int, str | None], optuna.samplers.BaseSampler]:
    """``factory`` without Optuna's ExperimentalWarning (multivariate TPE, constant liar, QMC, GP)."""

    def make(seed: int, family: str | None) -> optuna.samplers.BaseSampler:
        import warnings

        import optuna

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return factory(seed, family)

    return make


def _open_ended_grid() -> type:
    import optuna

    class OpenEndedGrid(optuna.samplers.GridSampler):
        """Optuna's grid sampler for a study whose trials are queued budget slots: it gives a queued trial a grid
        point too (Optuna's gives none to an enqueued trial), re-draws visited points once the grid is
        exhausted, and never calls ``study.stop()``: the budget decides when a family has had its trials, and
        one family's grid must not stop the others'."""

        def before_trial(self, study: Any, trial: Any) -> None:
            if "grid_id" in trial.system_attrs:
                return
            targets = self._get_unvisited_grid_ids(study) or list(range(len(self._all_grids)))
            study._storage.set_trial_system_attr(trial._trial_id, "search_space", self._search_space)
            study._storage.set_trial_system_attr(trial._trial_id, "grid_id", int(self._rng.rng.choice(targets)))

        def after_trial(self, study: Any, trial: Any, state: Any, values: Any) -> None:
            return None

    return OpenEndedGrid


def _OpenEndedGrid(search_space: dict[str, Sequence[Any]], seed: int) -> optuna.samplers.BaseSampler:  # noqa: N802
    return _open_ended_grid()(search_space, seed=seed)


def make_pruner(name: str, epochs: int) -> optuna.pruners.BasePruner:
    """A pruner that judges the validation metric reported after every epoch (steps are epochs).

    Every pruner (median, percentile, Hyperband, successive halving) compares a trial only with the trials
    of its own family (``WithinFamilyPruner``), each family with its own instance of the pruner; "none"
    prunes nothing.
    """
    from functools import partial

    import optuna

    from search.study.pruning import WithinFamilyPruner

    warmup = max(epochs // 3, min(2, epochs - 1))  # never judge a trial on its first third of epochs
    factories: dict[str, Callable[[], optuna.pruners.BasePruner]] = {
        "median": partial(optuna.pruners.MedianPruner, n_startup_trials=2, n_warmup_steps=warmup),
        "percentile": partial(
            optuna.pruners.PercentilePruner, 25.0, n_startup_trials=2, n_warmup_steps=warmup
        ),
        "hyperband": partial(optuna.pruners.HyperbandPruner, min_resource=1, max_resource=epochs),
        "successive-halving": optuna.pruners.SuccessiveHalvingPruner,
    }
    if name == "none":
        return optuna.pruners.NopPruner()
    if name not in factories:
        raise ValueError(f"Unknown pruner {name!r}; choose from {sorted([*factories, 'none'])}.")
    return WithinFamilyPruner(factories[name])
