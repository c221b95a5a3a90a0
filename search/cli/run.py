"""``python -m search run``: search activations on a dataset and log everything to MLflow."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from search.cli._args import (
    HelpFormatter,
    fraction,
    names,
    non_negative_float,
    non_negative_int,
    objectives,
    positive_float,
    positive_int,
    seed_count,
    storage_from,
    url,
    workers,
)
from search.errors import RunError, UsageError
from search.locations import DEFAULT_STORAGE, ENV_STORAGE
from search.stages import DEFAULT_DATASET, RunConfig
from search.study import PRUNER_NAMES, SAMPLER_NAMES
from spaces import DEFAULT_FAMILIES

DEFAULTS = RunConfig()
# Spelled out rather than imported: importing trainers loads numpy, and --help must stay instant.
# tests/search/test_cli.py checks that they match trainers.METRICS and trainers.TASKS.
METRIC_CHOICES = ("accuracy", "balanced_accuracy", "auc", "f1", "rmse", "mae", "r2")
TASK_CHOICES = ("classification", "regression")


def add_parser(commands: Any) -> argparse.ArgumentParser:
    p = commands.add_parser(
        "run",
        help="run (or resume) an activation search study",
        description="Run (or resume) an Optuna study over activation families and the MLP around them. "
        "Each trial is a nested MLflow run under one parent run per invocation.",
        formatter_class=HelpFormatter,
    )
    p.add_argument("--config", type=Path, default=None, metavar="FILE",
                   help="a sweep's TOML file (see `search sweep`): its [defaults], the dataset's settings and the "
                        "storage and tracking URIs become this run's defaults; flags given override them; with several "
                        "datasets, --dataset NAME picks one")
    data = p.add_argument_group("data")
    data.add_argument("--dataset", default=DEFAULT_DATASET,
                      help="bundled name (digits, breast_cancer, wine, iris, diabetes, htru2), keras:mnist|fashion_mnist|cifar10, "
                           "openml:ID, or a CSV/TSV(.gz)/Parquet/NPZ path")
    data.add_argument("--target", default=None, help="label column of a CSV (name, or index without header); default: last")
    data.add_argument("--task", choices=TASK_CHOICES, default=None, help="override the task inferred from the labels")
    data.add_argument("--impute", action="store_true",
                      help="fill missing/infinite feature values with the training split's median (default: refuse)")
    data.add_argument("--val-size", type=fraction, default=DEFAULTS.val_size, help="validation fraction")
    data.add_argument("--test-size", type=fraction, default=DEFAULTS.test_size,
                      help="test fraction (held out: the search never sees it)")

    space = p.add_argument_group("search")
    space.add_argument("--families", type=names, default=None,
                       help=f"comma-separated activation families to search, or 'all' (every registered family) "
                            f"(default: {','.join(DEFAULT_FAMILIES)}, plus each --activation)")
    _add_custom_arguments(space)
    space.add_argument("--trials", type=non_negative_int, default=DEFAULTS.trials,
                       help="trials to add per family in this invocation (every family gets the same budget; 0: no "
                            "search, only the verdict of an existing study: resume an interrupted one, or judge "
                            "it again with other --seeds or --rope)")
    space.add_argument("--timeout", type=positive_float, default=None,
                       help="stop starting new trials after this many seconds, or sooner once the time left is "
                            "shorter than a typical trial (none starts that is not expected to finish)")
    space.add_argument("--epochs", type=positive_int, default=DEFAULTS.epochs, help="epochs per trial")
    space.add_argument("--batch-size", type=positive_int, default=DEFAULTS.batch_size, help="batch size per replica")
    space.add_argument("--patience", type=positive_int, default=None,
                       help="early-stopping patience in epochs (default: train every epoch)")
    space.add_argument("--metric", choices=METRIC_CHOICES, default=None,
                       help="validation metric to optimise and test metric of the verdict (default: accuracy, "
                            "balanced_accuracy for imbalanced classes, rmse for regression)")
    _add_method_arguments(space)
    space.add_argument("--seed", type=int, default=DEFAULTS.seed, help="seed of the split, the sampler and the trials")
    space.add_argument("--no-baselines", dest="baselines", action="store_false",
                       help="do not start a new study with each family's Keras-default configuration")
    space.add_argument("--devices", type=names, default=None,
                       help="force the devices of each trial, e.g. /gpu:0,/gpu:1 (MirroredStrategy when 2+; /cpu:0,/cpu:1 "
                            "splits the CPU into logical devices, for testing)")

    _add_verdict_arguments(p.add_argument_group("verdict"))

    scale = p.add_argument_group("workers and faults")
    scale.add_argument("--workers", type=workers, default="auto",
                       help="trials run side by side, one process each ('auto': what fits the machine: one per GPU "
                            "group, else one per core with 2 GiB of memory each)")
    scale.add_argument("--gpus-per-trial", type=non_negative_int, default=None,
                       help="GPUs each worker gets (pinned with CUDA_VISIBLE_DEVICES); 2+ trains under "
                            "MirroredStrategy; 0 = CPU (default: 1 when GPUs are visible, else 0)")
    scale.add_argument("--trials-per-gpu", type=positive_int, default=1,
                       help="workers sharing each GPU (each GPU group with --gpus-per-trial 2+), their memory "
                            "growing on demand: small models leave a GPU mostly idle")
    scale.add_argument("--recycle-after", type=positive_int, default=DEFAULTS.recycle_after,
                       help="replace a worker process by a fresh one after this many trials (each trial still leaves "
                            "≈0.5 MB behind that no collection frees)")
    add_fault_arguments(scale)

    store = p.add_argument_group("storage and tracking")
    store.add_argument("--study", default=None, help="study name (default: <dataset>-activations); same name resumes")
    store.add_argument("--storage", type=url, default=None,
                       help=f"Optuna storage URL (sqlite, postgresql, ...), or @FILE to read it from a file (default: "
                            f"${ENV_STORAGE}, else {DEFAULT_STORAGE})")
    store.add_argument("--tracking-uri", type=url, default=None,
                       help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db here)")
    store.add_argument("--experiment", default=None, help="MLflow experiment (default: activation-search/<dataset>)")
    p.set_defaults(handler=handle)
    return p


def _add_method_arguments(space: Any) -> None:
    """How the search goes: sampler, pruner, objectives."""
    space.add_argument("--sampler", choices=SAMPLER_NAMES, default=DEFAULTS.sampler,
                       help="Optuna sampler, one per family: tpe (multivariate TPE), random, qmc (quasi-Monte Carlo), grid "
                            "(4 values of each number, every choice), cmaes (CMA-ES; needs the cmaes package), gp "
                            "(Gaussian process; needs torch), nsga2 (NSGA-II); cmaes and gp draw categorical "
                            "parameters at random")
    space.add_argument("--shared-start", action="store_true",
                       help="each family's sampler also learns from the other families' trials (ranked within "
                            "their family) on the parameters they share, until it has 10 trials of its own: "
                            "quicker to a good model; a family's search then depends on the others'")
    space.add_argument("--pruner", choices=PRUNER_NAMES, default=None,
                       help="Optuna pruner on the validation metric after each epoch; every one compares a trial "
                            f"only with trials of its own family (default: {DEFAULTS.pruner}; none with --objectives "
                            "metric,latency, which Optuna cannot prune)")
    space.add_argument("--objectives", type=objectives, default=",".join(DEFAULTS.objectives),
                       help="what a trial is scored on: 'metric' (the validation metric), or 'metric,latency' "
                            "(also the inference latency: a multi-objective study, each family's Pareto front "
                            "in the report; the verdict stays on the metric)")


def _add_custom_arguments(space: Any) -> None:
    """Users' own activations: expressions and plugins."""
    space.add_argument("--activation", dest="activations", action="append", default=[], metavar="NAME=EXPR",
                       help="your own activation family from an expression, e.g. 'shifted=maximum(0.5, x)', "
                            "'elu_like=where(x > 0, x, exp(x) - 1)', or with a searched parameter "
                            "'leak=maximum(a * x, x); a in [0.01, 0.3] log' (repeatable; functions: abs exp expm1 "
                            "log log1p sqrt square sin cos tanh sinh cosh arctan arcsinh erf sigmoid softplus "
                            "softsign relu maximum minimum where)")
    space.add_argument("--builder", default=None, metavar="MODULE:ATTR",
                       help="your own model: a Keras-Tuner build(hp) function or HyperModel, e.g. mymodels:build or "
                            "path/to/models.py:build, that calls spaces.activation(hp) for its activation (default: "
                            "the built-in MLP, or the CNN for images); every worker imports the same")
    space.add_argument("--plugins", action="append", default=[], metavar="MODULE",
                       help="a module (importable from the working directory) or .py file that registers activation "
                            "families with spaces.register_activation / register_layer (repeatable; installed "
                            "packages' 'activation_search.families' entry points load by themselves); every worker "
                            "loads the same")


def _add_verdict_arguments(verdict: Any) -> None:
    """How the families are judged after the search."""
    verdict.add_argument("--seeds", type=seed_count, default=DEFAULTS.seeds,
                       help="seeds to retrain each family's best and default configurations with for the verdict: "
                            "0 (search only, no verdict) or at least 2 (1 is refused: a confidence interval needs "
                            "two)")
    verdict.add_argument("--rope", type=non_negative_float, default=None,
                       help="region of practical equivalence of the verdict, in the metric's units: a difference "
                            "within ±ROPE is 'practically equivalent' (default: 0.005, half a point, for accuracy, "
                            "balanced_accuracy, auc, f1, r2; none for rmse and mae; 0 turns it off)")
    verdict.add_argument("--fixed-split", action="store_true",
                       help="retrain the verdict's replicates on the search's train / validation split (only the "
                            "seed varies); by default each replicate re-draws it (the test split never changes)")
    verdict.add_argument("--select-top", type=positive_int, default=DEFAULTS.select_top,
                       help="choose each family's configuration for the verdict among its best trials by validation "
                            "score (and its Keras default) ...")
    verdict.add_argument("--select-seeds", type=non_negative_int, default=DEFAULTS.select_seeds,
                       help="... by their mean validation score over this many seeds (0: take the single best trial)")
    verdict.add_argument("--repeats", type=positive_int, default=DEFAULTS.repeats,
                       help="independent runs, run r with --seed SEED+r (another outer split, so another test "
                            "split, another search, other training seeds) as study NAME-r<r>; their verdicts are "
                            "pooled with the run as the unit, so the search's and the split's variance count")


def add_fault_arguments(group: Any) -> None:
    """--max-failures, --heartbeat, --grace: the same for `run` and for `worker`."""
    group.add_argument("--max-failures", type=positive_int, default=DEFAULTS.max_failures,
                       help="stop with an error after this many failed trials in a row")
    group.add_argument("--heartbeat", type=positive_int, default=DEFAULTS.heartbeat,
                       help="seconds between a running trial's heartbeats")
    group.add_argument("--grace", type=positive_int, default=DEFAULTS.grace,
                       help="seconds without a heartbeat after which a trial's worker is declared dead and the "
                            "trial re-queued")


def with_config(args: argparse.Namespace, argv: list[str]) -> argparse.Namespace:
    """``args`` parsed again with the ``--config`` file's values as defaults: a flag given still wins."""
    from search.sweep import load_config, run_defaults

    chosen = next((a.split("=", 1)[1] if "=" in a else argv[i + 1] for i, a in enumerate(argv)
                   if a == "--dataset" and i + 1 < len(argv) or a.startswith("--dataset=")), None)  # fmt: skip
    parser = argparse.ArgumentParser(prog="python -m search")
    run_parser = add_parser(parser.add_subparsers(dest="command", required=True))
    defaults = run_defaults(load_config(args.config), chosen)
    run_parser.set_defaults(**defaults)
    again = parser.parse_args(argv)
    if chosen is not None and again.dataset == chosen:  # an entry's name: its data file
        again.dataset = defaults.get("dataset", chosen)
    return again


def handle(args: argparse.Namespace) -> int:
    if args.config is not None:
        args = with_config(args, args.argv)
    from search.console import stderr_console
    from search.runtime import quiet_tensorflow, require_tensorflow

    require_tensorflow()
    quiet_tensorflow()
    from search.stages import print_outcome, run_repeats, run_search
    from trainers import DataError

    config, pooled = config_from(args), None
    try:
        if config.repeats > 1:
            outcomes, pooled = run_repeats(config, stderr_console())
        else:
            outcomes = [run_search(config, stderr_console())]
    except DataError as exc:
        raise UsageError(str(exc)) from exc
    for outcome in outcomes:
        print_outcome(outcome)
    if pooled is not None:
        from search.console import stdout_console
        from search.verdict import print_repeats

        print_repeats(pooled, stdout_console())
        print(f"pooled verdict: MLflow run {pooled['mlflow_run_id']}")
    outcome = outcomes[-1]
    if outcome.error:
        raise RunError(outcome.error)
    if outcome.signal:
        print("terminated (SIGTERM)" if outcome.signal == "SIGTERM" else "interrupted (Ctrl-C)", file=sys.stderr)
        return 143 if outcome.signal == "SIGTERM" else 130
    return 0


def config_from(args: argparse.Namespace) -> RunConfig:
    """The run's configuration from the parsed flags (plugins loaded, the families checked against the
    registry)."""
    from search.study import check_objectives, is_multi, require_sampler

    require_sampler(args.sampler)
    pruner = args.pruner or ("none" if is_multi(args.objectives) else DEFAULTS.pruner)
    check_objectives(args.objectives, sampler=args.sampler, pruner=pruner)
    if args.trials == 0 and args.seeds == 0:
        raise UsageError("--trials 0 with --seeds 0 does nothing: give --trials N to search, or --seeds K (2 or "
                         "more) to judge the study's trials.")
    return RunConfig(
        dataset=args.dataset, target=args.target, families=_families(args), trials=args.trials,
        plugins=tuple(args.plugins), activations=tuple(args.activations), builder=args.builder,
        timeout=args.timeout, epochs=args.epochs, batch_size=args.batch_size, patience=args.patience,
        study=args.study, storage=storage_from(args.storage), tracking_uri=args.tracking_uri, experiment=args.experiment,
        seed=args.seed, sampler=args.sampler, shared_start=args.shared_start, pruner=pruner, objectives=args.objectives, val_size=args.val_size, test_size=args.test_size,
        devices=tuple(args.devices) if args.devices else None, baselines=args.baselines, seeds=args.seeds,
        metric=args.metric, rope=args.rope, fixed_split=args.fixed_split,
        select_top=args.select_top, select_seeds=args.select_seeds, repeats=args.repeats, task=args.task,
        impute=args.impute, workers=args.workers,
        gpus_per_trial=args.gpus_per_trial, trials_per_gpu=args.trials_per_gpu, max_failures=args.max_failures, recycle_after=args.recycle_after,
        heartbeat=args.heartbeat, grace=args.grace,
    )  # fmt: skip


def _families(args: argparse.Namespace) -> tuple[str, ...]:
    """``--families`` (``all`` expanded) once the plugins and expressions are registered; by default the
    heuristic's six plus every ``--activation``."""
    from search.extensions import expand_families, load_extensions, parse_activation
    from search.stages import validate_families

    load_extensions(args.plugins, args.activations)
    if args.families is None:
        return validate_families([*DEFAULT_FAMILIES, *(parse_activation(a)[0] for a in args.activations)])
    return validate_families(expand_families(args.families))
