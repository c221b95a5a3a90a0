"""Sampler and pruner names mapped to Optuna's own classes: the one place where that choice lives."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import optuna

SAMPLER_NAMES: tuple[str, ...] = ("tpe", "random", "qmc")
PRUNER_NAMES: tuple[str, ...] = ("median", "percentile", "hyperband", "successive-halving", "none")


def make_sampler(name: str, seed: int) -> optuna.samplers.BaseSampler:
    """A seeded sampler. TPE is multivariate with grouped conditional parameters (the activation's
    parameters exist only for their family, which is what ``group=True`` is for)."""
    import warnings

    import optuna

    factories: dict[str, Callable[[], optuna.samplers.BaseSampler]] = {
        "tpe": lambda: optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True, constant_liar=True),
        "random": lambda: optuna.samplers.RandomSampler(seed=seed),
        "qmc": lambda: optuna.samplers.QMCSampler(seed=seed, warn_independent_sampling=False),
    }
    if name not in factories:
        raise ValueError(f"Unknown sampler {name!r}; choose from {sorted(factories)}.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return factories[name]()


def make_pruner(name: str, epochs: int) -> optuna.pruners.BasePruner:
    """A pruner that judges the validation metric reported after every epoch (steps are epochs).

    The median and percentile pruners compare a trial with the completed trials of its own family only
    (``WithinFamilyPruner``); Hyperband and successive halving work on the whole study, as Optuna has them.
    """
    import optuna

    from search.study.pruning import WithinFamilyPruner

    warmup = max(epochs // 3, min(2, epochs - 1))  # never judge a trial on its first third of epochs
    factories: dict[str, Callable[[], optuna.pruners.BasePruner]] = {
        "median": lambda: WithinFamilyPruner(optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=warmup)),
        "percentile": lambda: WithinFamilyPruner(
            optuna.pruners.PercentilePruner(25.0, n_startup_trials=2, n_warmup_steps=warmup)
        ),
        "hyperband": lambda: optuna.pruners.HyperbandPruner(min_resource=1, max_resource=epochs),
        "successive-halving": lambda: optuna.pruners.SuccessiveHalvingPruner(),
        "none": lambda: optuna.pruners.NopPruner(),
    }
    if name not in factories:
        raise ValueError(f"Unknown pruner {name!r}; choose from {sorted(factories)}.")
    return factories[name]()
