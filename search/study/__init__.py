"""The study and its trials: opening or resuming the Optuna study, the ``hp`` adapter that runs Keras-Tuner
builders on Optuna trials, the budget as a queue of per-family slots, the Keras-default baselines, samplers
and per-family pruning, the objectives (the metric, or metric × latency) and their Pareto fronts, the
objective (one trial: build, train, log, score), progress and the summary.

Public names are listed here and load lazily (see :mod:`search._exports`); modules outside this package
import only these.
"""

from search._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "attrs": ["IDENTITY_KEYS", "USER_ATTR_BASELINE", "USER_ATTR_FAIL_REASON", "USER_ATTR_FAMILY",
                  "USER_ATTR_EPOCHS_RUN", "USER_ATTR_PARENT_RUNS", "USER_ATTR_RUN_ID", "USER_ATTR_WORKER"],
        "objectives": ["LATENCY_BATCH", "OBJECTIVES", "check_objectives", "directions", "is_multi", "latency_value",
                       "parse_objectives", "primary_value"],
        "importance": ["family_importances"],
        "pareto": ["pareto_front", "pareto_markdown", "pareto_summary"],
        "opening": ["open_study", "trial_records"],
        "hp": ["DefaultHyperParameters", "OptunaHyperParameters"],
        "builders": ["make_builder"],
        "spec": ["USER_ATTR_SPACE", "USER_ATTR_SPEC", "StudySpec", "check_space", "declared_space", "grid_space",
                 "space_signature"],
        "budget": ["USER_ATTR_TARGET", "Slot", "counts_towards_budget", "enqueue_slots", "epochs_used", "plan_slots",
                   "raise_target", "slots_to_target", "top_up_after_pruning", "trial_epochs", "waiting_families"],
        "baselines": ["baseline_params", "enqueue_baselines"],
        "samplers": ["PRUNER_NAMES", "SAMPLER_NAMES", "make_pruner", "make_sampler", "require_sampler",
                     "sampler_notice"],
        "pruning": ["WithinFamilyPruner"],
        "family_view": ["FamilyStudy"],
        "family_sampler": ["PerFamilySampler", "family_seed"],
        "callbacks": ["EpochMetricsCallback", "PruningCallback"],
        "objective": ["TrialContext", "assign_family", "least_served", "make_objective"],
        "progress": ["TrialProgress"],
        "summary": ["FamilyRow", "TrialRecord", "format_value", "summarize", "summary_json", "summary_markdown"],
    },
)
