"""Sampler and pruner names mapped to Optuna's own classes: the one place where that choice lives."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import optuna

SAMPLER_NAMES: tuple[str, ...] = ("tpe", "random", "qmc")
PRUNER_NAMES: tuple[str, ...] = ("median", "percentile", "hyperband", "successive-halving", "none")


def make_sampler(name: str, seed: int) -> optuna.samplers.BaseSampler:
    """A seeded sampler, one instance per family that learns from that family's trials only
    (:class:`~search.study.family_sampler.PerFamilySampler`). TPE is multivariate with grouped conditional
    parameters (the activation's parameters exist only for their family, which is what ``group=True`` is for)."""
    import optuna

    from search.study.family_sampler import PerFamilySampler

    factories: dict[str, Callable[[int], optuna.samplers.BaseSampler]] = {
        "tpe": lambda s: optuna.samplers.TPESampler(seed=s, multivariate=True, group=True, constant_liar=True),
        "random": lambda s: optuna.samplers.RandomSampler(seed=s),
        "qmc": lambda s: optuna.samplers.QMCSampler(seed=s, warn_independent_sampling=False),
    }
    if name not in factories:
        raise ValueError(f"Unknown sampler {name!r}; choose from {sorted(factories)}.")
    return PerFamilySampler(_quietly(factories[name]), seed)


def _quietly(factory: Callable[[int], optuna.samplers.BaseSampler]) -> Callable[[int], optuna.samplers.BaseSampler]:
    """``factory`` without Optuna's ExperimentalWarning (multivariate TPE, constant liar, QMC)."""

    def make(seed: int) -> optuna.samplers.BaseSampler:
        import warnings

        import optuna

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return factory(seed)

    return make


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
