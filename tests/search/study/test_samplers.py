"""Every sampler by name over the real MLP space, one instance per family: grid walks each family's grid
(queued budget slots included), CMA-ES and GP say what they do with categorical parameters, a sampler whose
library is missing is one line."""

from __future__ import annotations

import importlib.util
import itertools

import optuna
import pytest

from search.errors import UsageError
from search.study import (
    SAMPLER_NAMES,
    OptunaHyperParameters,
    grid_space,
    make_sampler,
    require_sampler,
    sampler_notice,
)
from spaces import MLPBuilder

FAMILIES = ("relu", "selu", "composed")
BUILDER = MLPBuilder(input_shape=(4,), n_outputs=3, families=FAMILIES)
HAS_TORCH = importlib.util.find_spec("torch") is not None


def _search(name: str, n: int = 12, latency: bool = False) -> optuna.Study:
    """``n`` trials, families in turn, queued with their family as the budget slots are; the value is a
    function of the suggested numbers, so model-based samplers have something to learn."""
    grids = grid_space(BUILDER, FAMILIES) if name == "grid" else None
    directions = ["maximize", "minimize"] if latency else ["maximize"]  # --objectives metric,latency
    study = optuna.create_study(directions=directions, sampler=make_sampler(name, 0, grids))
    for _, family in zip(range(n), itertools.cycle(FAMILIES), strict=False):
        study.enqueue_trial({}, user_attrs={"family": family})
        trial = study.ask()
        BUILDER(OptunaHyperParameters(trial, fixed={"activation": family}))
        score = -abs(trial.params["learning_rate"] - 3e-3) - trial.params["dropout"]
        study.tell(trial, [score, trial.params["units"] / 100] if latency else score)
    return study


@pytest.mark.parametrize("name", [n for n in SAMPLER_NAMES if n != "gp" or HAS_TORCH])
def test_every_sampler_searches_the_real_space(name):
    study = _search(name)
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials) and len(study.trials) == 12
    assert {t.user_attrs["family"] for t in study.trials} == set(FAMILIES)
    assert len({t.params["learning_rate"] for t in study.trials}) > 3  # it explored


@pytest.mark.parametrize("name", [n for n in SAMPLER_NAMES if n not in ("cmaes", "gp")])  # cmaes: refused
def test_every_multi_objective_sampler_searches_metric_and_latency(name):
    study = _search(name, latency=True)
    assert all(t.state == optuna.trial.TrialState.COMPLETE and len(t.values) == 2 for t in study.trials)
    assert len({t.params["learning_rate"] for t in study.trials}) > 3


def test_grid_trials_lie_on_their_family_s_grid_and_do_not_repeat_before_it_is_exhausted():
    grids = grid_space(BUILDER, FAMILIES)
    assert grids["relu"]["relu.use_max_value"] == [False, True] and "relu.max_value" in grids["relu"]
    assert len(grids["composed"]["composed.unary1"]) == 17 and grids["selu"]["n_layers"] == [1, 2, 3, 4]
    study = _search("grid", 24)
    for trial in study.trials:
        grid = grids[trial.user_attrs["family"]]
        assert all(value in grid[name] for name, value in trial.params.items()), trial.params
    points = [(t.user_attrs["family"], t.system_attrs["grid_id"]) for t in study.trials]
    assert len(set(points)) == len(points)


def test_numbers_only_samplers_say_what_draws_the_categorical_parameters():
    notice = sampler_notice("cmaes", ["selu_combo", "relu.use_max_value"])
    assert notice == ("--sampler cmaes: CMA-ES handles numbers only; the categorical parameters (relu.use_max_value, "
                      "selu_combo) are drawn by its fallback, a seeded random sampler")
    assert sampler_notice("gp", ["x"]).startswith("--sampler gp: the Gaussian process handles numbers only")
    assert sampler_notice("tpe", ["x"]) is None and sampler_notice("cmaes", []) is None


@pytest.mark.skipif(HAS_TORCH, reason="torch is installed here: the gp sampler runs in the test above")
def test_a_sampler_whose_library_is_missing_is_one_line():
    with pytest.raises(UsageError, match=r"^--sampler gp needs the 'torch' package, which is not installed: pip "):
        require_sampler("gp")
    require_sampler("cmaes")  # a dependency of this package
