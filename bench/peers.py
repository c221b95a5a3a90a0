"""This tool against Keras Tuner and a hand-written Optuna + MLflow script: ``python -m bench.peers``.

Every contender drives the same ``build(hp)`` builder (``spaces.builder_for``: the MLP over the six families of
the heuristic) on the same real data and the same train/validation split (``trainers.split_dataset``, seed 0),
with the same epochs per trial, batch size and number of trials:

- ``activation-search``: ``python -m search run --seeds 0`` (the search only; the verdict is extra work the
  others do not do), ``--workers auto`` (its default) and ``--workers 1``;
- ``keras-tuner RandomSearch``: ``max_trials`` = the same number of trials;
- ``keras-tuner Hyperband``: ``max_epochs`` = the same epochs, ``factor=3``, one iteration (it decides its own
  number of trials and epochs per trial: that is what Hyperband is);
- ``optuna + MLflowCallback``: what a user writes without this tool: ``study.optimize`` with TPE, a
  ``MedianPruner`` fed by optuna-integration's ``TFKerasPruningCallback``, ``MLflowCallback`` logging each
  trial to a local SQLite MLflow store, and a 40-line ``hp`` adapter so the same builder runs.

Each contender runs in a fresh process; every finished trial is stamped with the wall clock, so times count
from the process' launch (imports and data loading included). A trial's score is its validation accuracy
after its last epoch (for Keras Tuner ``trial.metrics``' last value, not its best epoch; pruned trials have
none). Reported: wall time, trials, best validation accuracy, and the time each needed to get within
``--within`` (0.5 points) of the best score any contender reached. Target: this tool's time to target at most
half of Hyperband's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench._common import (
    DEFAULT_DATASET,
    FAMILIES,
    ROOT,
    dataset_path,
    load_study,
    run_timed,
    search_argv,
    write_results,
)

CONTENDERS = ("activation-search", "activation-search --workers 1", "keras-tuner RandomSearch",
              "keras-tuner Hyperband", "optuna + MLflowCallback")


# --------------------------------------------------------------------------------------------- contenders


def _splits_and_builder(dataset: str, families: str) -> tuple[Any, Any]:
    import trainers
    from spaces import builder_for

    splits = trainers.split_dataset(trainers.load_dataset(dataset), seed=0)
    return splits, builder_for(splits.input_shape, splits.n_outputs, splits.task, tuple(families.split(",")))


class _Events:
    """One JSON line per finished trial: wall-clock time, score, epochs trained."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("a")

    def trial(self, score: float | None, epochs: int) -> None:
        self._file.write(json.dumps({"t": time.time(), "score": score, "epochs": epochs}) + "\n")
        self._file.flush()


def _keras_tuner(kind: str, args: argparse.Namespace, events: _Events, work: Path) -> None:
    import keras_tuner as kt

    splits, builder = _splits_and_builder(args.dataset, args.families)

    def record(trial: Any) -> None:
        history = trial.metrics.get_history("val_accuracy") if trial.metrics.exists("val_accuracy") else []
        score = float(history[-1].value[0]) if history else None
        values = trial.hyperparameters.values  # Hyperband resumes a trial from its parent's checkpoint
        epochs = int(values.get("tuner/epochs", args.epochs)) - int(values.get("tuner/initial_epoch", 0))
        events.trial(score, epochs if history else 0)

    class Timed:  # stamps every finished trial
        def on_trial_end(self, trial: Any) -> None:
            super().on_trial_end(trial)  # type: ignore[misc]
            record(trial)

    common = {"objective": "val_accuracy", "seed": 0, "directory": str(work), "project_name": kind,
              "overwrite": True}
    if kind == "random":
        tuner = type("TimedRandomSearch", (Timed, kt.RandomSearch), {})(builder, max_trials=args.n_trials, **common)
    else:
        tuner = type("TimedHyperband", (Timed, kt.Hyperband), {})(builder, max_epochs=args.epochs, factor=3,
                                                                   hyperband_iterations=1, **common)
    tuner.search(splits.x_train, splits.y_train, validation_data=(splits.x_val, splits.y_val),
                 epochs=args.epochs, batch_size=args.batch_size, verbose=0)


class _TrialHP:
    """The ``hp`` methods the builder calls, over an Optuna trial: what a user writes to reuse a Keras Tuner
    builder under Optuna (inactive conditional hyperparameters are not suggested and return None)."""

    def __init__(self, trial: Any) -> None:
        self.trial, self.values, self.scopes = trial, {}, []

    def _active(self) -> bool:
        return all(self.values.get(name) in allowed for name, allowed in self.scopes)

    def _take(self, name: str, suggest: Any) -> Any:
        if not self._active():
            return None
        if name not in self.values:
            self.values[name] = suggest()
        return self.values[name]

    @contextmanager
    def conditional_scope(self, name: str, values: Any) -> Iterator[None]:
        self.scopes.append((name, values if isinstance(values, list | tuple) else [values]))
        try:
            yield
        finally:
            self.scopes.pop()

    def Choice(self, name: str, values: list[Any], default: Any = None, **_: Any) -> Any:
        return self._take(name, lambda: self.trial.suggest_categorical(name, list(values)))

    def Int(self, name: str, min_value: int, max_value: int, step: int | None = None, sampling: str = "linear",
            default: int | None = None, **_: Any) -> Any:
        return self._take(name, lambda: self.trial.suggest_int(name, min_value, max_value, step=step or 1,
                                                               log=sampling == "log"))

    def Float(self, name: str, min_value: float, max_value: float, step: float | None = None,
              sampling: str = "linear", default: float | None = None, **_: Any) -> Any:
        return self._take(name, lambda: self.trial.suggest_float(name, min_value, max_value, step=step,
                                                                 log=sampling == "log"))

    def Boolean(self, name: str, default: bool = False, **_: Any) -> Any:
        return self._take(name, lambda: self.trial.suggest_categorical(name, [False, True]))

    def Fixed(self, name: str, value: Any, **_: Any) -> Any:
        return self._take(name, lambda: value)


def _optuna_script(args: argparse.Namespace, events: _Events, work: Path) -> None:
    import warnings

    import keras
    import optuna
    from optuna_integration import MLflowCallback, TFKerasPruningCallback

    warnings.filterwarnings("ignore", category=FutureWarning)  # MLflowCallback is deprecated in Optuna 5
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    splits, builder = _splits_and_builder(args.dataset, args.families)

    def objective(trial: optuna.Trial) -> float:
        keras.backend.clear_session()
        model = builder(_TrialHP(trial))
        try:
            history = model.fit(splits.x_train, splits.y_train, validation_data=(splits.x_val, splits.y_val),
                                epochs=args.epochs, batch_size=args.batch_size, verbose=0,
                                callbacks=[TFKerasPruningCallback(trial, "val_accuracy")])
        except optuna.TrialPruned:
            events.trial(None, 0)
            raise
        score = float(history.history["val_accuracy"][-1])
        events.trial(score, args.epochs)
        return score

    study = optuna.create_study(direction="maximize", study_name="script",
                                storage=f"sqlite:///{work / 'optuna.db'}",
                                sampler=optuna.samplers.TPESampler(seed=0), pruner=optuna.pruners.MedianPruner())
    mlflc = MLflowCallback(tracking_uri=f"sqlite:///{work / 'mlflow.db'}", metric_name="val_accuracy")
    study.optimize(objective, n_trials=args.n_trials, callbacks=[mlflc], catch=(Exception,))


def _contender(args: argparse.Namespace) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    work = Path(args.work)
    events = _Events(work / "events.jsonl")
    if args.contender == "keras-tuner RandomSearch":
        _keras_tuner("random", args, events, work)
    elif args.contender == "keras-tuner Hyperband":
        _keras_tuner("hyperband", args, events, work)
    else:
        _optuna_script(args, events, work)


# ------------------------------------------------------------------------------------------- orchestration


def run_contender(name: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    work.mkdir(parents=True)
    if name.startswith("activation-search"):
        workers = "1" if name.endswith("--workers 1") else "auto"
        per_family = args.n_trials // len(args.families.split(","))
        argv = search_argv(["--dataset", args.dataset, "--families", args.families, "--trials", str(per_family),
                            "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--metric", "accuracy",
                            "--seeds", "0", "--workers", workers, "--study", "peers"], work)
        launched, wall, _ = run_timed(argv, work)
        study = load_study(work, "peers")
        events = [{"t": t.datetime_complete.timestamp(), "score": t.value if t.state.name == "COMPLETE" else None,
                   "epochs": len(t.intermediate_values)}
                  for t in study.trials if t.datetime_complete is not None]
    else:
        argv = [sys.executable, "-m", "bench.peers", "--contender", name, "--work", str(work), "--dataset",
                args.dataset, "--families", args.families, "--n-trials", str(args.n_trials), "--epochs",
                str(args.epochs), "--batch-size", str(args.batch_size)]
        launched, wall, _ = run_timed(argv, ROOT)
        events = [json.loads(line) for line in (work / "events.jsonl").read_text().splitlines()]
    events.sort(key=lambda e: e["t"])
    for event in events:
        event["elapsed_s"] = event.pop("t") - launched
    scores = [e["score"] for e in events if e["score"] is not None]
    return {"contender": name, "wall_s": wall, "trials": len(events), "scored_trials": len(scores),
            "epochs_trained": sum(e["epochs"] for e in events), "best": max(scores) if scores else None,
            "events": events}


def time_to_target(events: list[dict[str, Any]], target: float) -> tuple[float | None, int | None]:
    """(seconds from launch, trials finished) when the running best first reached ``target``; None if never."""
    for count, event in enumerate(events, start=1):
        if event["score"] is not None and event["score"] >= target:
            return event["elapsed_s"], count
    return None, None


def summarise(rows: list[dict[str, Any]], within: float) -> tuple[float, float]:
    """Adds time/trials to target to each row; returns (best score of all, target)."""
    best = max(r["best"] for r in rows if r["best"] is not None)
    target = best - within
    for row in rows:
        row["time_to_target_s"], row["trials_to_target"] = time_to_target(row["events"], target)
    return best, target


def table(rows: list[dict[str, Any]], best: float, target: float, reference: str) -> str:
    ref = next((r["time_to_target_s"] for r in rows if r["contender"] == reference), None)
    lines = ["| contender | trials (scored) | epochs trained | wall (s) | best val accuracy | time to target (s) | "
             f"trials to target | ÷ {reference} |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        t = r["time_to_target_s"]
        lines.append(
            f"| {r['contender']} | {r['trials']} ({r['scored_trials']}) | {r['epochs_trained']} | {r['wall_s']:.0f} | "
            f"{r['best']:.4f} | {'not reached' if t is None else f'{t:.0f}'} | {r['trials_to_target'] or '–'} | "
            f"{'–' if t is None or not ref else f'{t / ref:.2f}'} |")
    lines += ["", f"Target: within {100 * (best - target):.1f} points of the best validation accuracy any contender "
                  f"reached ({best:.4f}), i.e. ≥ {target:.4f}. Times count from each process' launch."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default=DEFAULT_DATASET, help="under ../shared/datasets, or a name/path")
    parser.add_argument("--families", default=FAMILIES)
    parser.add_argument("--n-trials", type=int, default=30, help="trials per contender (Hyperband: its own)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--within", type=float, default=0.005, help="0.005 = 0.5 accuracy points")
    parser.add_argument("--only", nargs="+", choices=CONTENDERS, default=list(CONTENDERS))
    parser.add_argument("--contender", choices=CONTENDERS, help=argparse.SUPPRESS)  # one contender's process
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.dataset = dataset_path(args.dataset)
    if args.contender:
        _contender(args)
        return
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        rows = [run_contender(name, args, Path(tmp) / f"c{i}") for i, name in enumerate(args.only)]
    best, target = summarise(rows, args.within)
    reference = "keras-tuner Hyperband"
    payload = {"args": {k: v for k, v in vars(args).items() if k not in ("contender", "work")}, "best": best,
               "target": target, "rows": rows}
    write_results("peers", payload, table(rows, best, target, reference))


if __name__ == "__main__":
    main()
