"""Each family's Keras-default configuration, as a trial to enqueue: the "untuned" point of reference."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from search.study.attrs import USER_ATTR_BASELINE, USER_ATTR_FAMILY
from search.study.hp import DefaultHyperParameters


def baseline_params(builder: Callable[[Any], Any], families: Sequence[str]) -> list[dict[str, Any]]:
    """For each family, the parameters a builder declares when every hyperparameter is at its default.

    The builder runs for real (it builds and discards a Keras model), so whatever it declares — however it
    nests conditional scopes — is captured, and nothing about the space is duplicated here.
    """
    configurations = []
    for family in families:
        hp = DefaultHyperParameters(fixed={"activation": family})
        builder(hp)
        configurations.append(hp.values)
    return configurations


def enqueue_baselines(study: Any, builder: Callable[[Any], Any], families: Sequence[str]) -> int:
    """Put every family's default configuration first in the study's queue; returns how many.

    The family itself is not a parameter Optuna chooses (each trial's family is assigned, for an equal
    budget): it travels as the trial's ``family`` user attribute.
    """
    configurations = baseline_params(builder, families)
    for family, params in zip(families, configurations, strict=True):
        searched = {k: v for k, v in params.items() if k != "activation"}
        # Never skip_if_exists: families without knobs (tanh, sigmoid) share the same searched params.
        study.enqueue_trial(searched, user_attrs={USER_ATTR_BASELINE: True, USER_ATTR_FAMILY: family})
    return len(configurations)
