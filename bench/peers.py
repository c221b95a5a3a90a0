"""This tool against Keras Tuner and a hand-written Optuna + MLflow script: ``python -m bench.peers``.

Every contender drives the same ``build(hp)`` builder (``spaces.builder_for``: the MLP over the six families of
the heuristic) on the same real data and, per seed, the same train/validation split (``trainers.split_dataset``)
with the same epochs per trial and batch size, for the same wall-clock budget from its process' launch:

- ``activation-search``: ``python -m search run --seeds 0 --seed S`` (the search only; the verdict is extra work
  the others do not do), ``--workers auto`` (its default); ``--workers 1``, ``--shared-start`` (and with
  ``--pruner hyperband``) on request;
- ``keras-tuner Hyperband``: ``max_epochs`` = the same epochs, ``factor=3``, one iteration, ``seed=S`` (it
  decides its own number of trials and epochs per trial: that is what Hyperband is); RandomSearch on request;
- ``optuna + MLflowCallback``: what a user writes without this tool: ``study.optimize`` with TPE (seed S), a
  ``MedianPruner`` fed by optuna-integration's ``TFKerasPruningCallback``, ``MLflowCallback`` logging each
  trial to a local SQLite MLflow store, and a 40-line ``hp`` adapter so the same builder runs.

Each seed S (``--seeds``, at least 5 for a median with a spread) is one block: every contender searches split S
with search seed S, in a fresh process, stopped (SIGTERM to its process group) when ``--budget`` seconds have
passed since its launch; every finished trial is stamped with the wall clock (imports and data loading count).
A trial's score is its validation accuracy after its last epoch (for Keras Tuner ``trial.metrics``' last
value, not its best epoch; pruned trials have none). Per seed: the time each contender needed to get within
``--within`` (0.5 points) of the best score any contender reached on that split, and its best score after each
of ``--marks`` seconds. Reported: medians and ranges over the seeds, and per-seed ratios of time to target.
Targets: ≤ 0.5 × Hyperband's and ≤ 0.7 × the Optuna script's.

``--merge-with peers_X.json`` runs the ``--only`` contenders on that saved run's seeds and settings and reports
them together with the saved ones (the targets recomputed over everyone): a new variant measured against the
peers without re-running them, at the price of another hour of the machine's drift. With ``--again``, saved
contenders among ``--only`` are measured anew (after a change to the tool) and their old rows dropped; the
report says which contender was measured when.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench._common import (
    FAMILIES,
    ROOT,
    dataset_path,
    load_study,
    machine,
    search_argv,
    write_results,
)

# The tool's contenders are "activation-search" and the flags given to its `search run` (--workers auto unless
# given); a short race gains from --no-baselines (the families' Keras defaults train their full epochs unpruned).
CONTENDERS = ("activation-search", "activation-search --workers 1", "activation-search --shared-start",
              "activation-search --shared-start --pruner hyperband", "activation-search --shared-start --no-baselines",
              "keras-tuner RandomSearch", "keras-tuner Hyperband", "optuna + MLflowCallback")
DEFAULT_CONTENDERS = ("activation-search", "keras-tuner Hyperband", "optuna + MLflowCallback")  # the targets'
TARGETS = {"keras-tuner Hyperband": 0.5, "optuna + MLflowCallback": 0.7}  # time to target, ours ÷ theirs


# --------------------------------------------------------------------------------------------- contenders


def _splits_and_builder(dataset: str, families: str, seed: int) -> tuple[Any, Any]:
    import trainers
    from spaces import builder_for

    splits = trainers.split_dataset(trainers.load_dataset(dataset), seed=seed)
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

    splits, builder = _splits_and_builder(args.dataset, args.families, args.seed)

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

    common = {"objective": "val_accuracy", "seed": args.seed, "directory": str(work), "project_name": kind,
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
    splits, builder = _splits_and_builder(args.dataset, args.families, args.seed)

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
                                sampler=optuna.samplers.TPESampler(seed=args.seed), pruner=optuna.pruners.MedianPruner())
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


def _run_for(argv: list[str], cwd: Path, budget_s: float, logs: Path | None = None) -> float:
    """Run ``argv`` in ``cwd`` until it ends or ``budget_s`` have passed (then SIGTERM to its process group,
    SIGKILL after 60 s), its stderr to ``logs`` (default ``cwd``) / stderr.log; returns the wall clock at launch."""
    log = (logs or cwd) / "stderr.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    env.pop("MLFLOW_TRACKING_URI", None)
    launched = time.time()
    with open(log, "w") as stderr:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=stderr,
                                start_new_session=True)
        try:
            proc.wait(timeout=budget_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    if proc.returncode not in (0, -signal.SIGTERM, 128 + signal.SIGTERM, 130, 143) and time.time() - launched < budget_s:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {log.read_text()[-3000:]}")
    return launched


def run_contender(name: str, args: argparse.Namespace, seed: int, work: Path) -> dict[str, Any]:
    """One contender on the split and search seed ``seed``, for ``args.budget`` seconds from its launch."""
    work.mkdir(parents=True)
    if name.startswith("activation-search"):
        per_family = max(1, args.n_trials // len(args.families.split(",")))
        flags = name.split()[1:]
        workers = [] if "--workers" in flags else ["--workers", "auto"]
        argv = search_argv(["--dataset", args.dataset, "--families", args.families, "--trials", str(per_family),
                            "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--metric", "accuracy",
                            "--seeds", "0", "--seed", str(seed), *workers, "--study", "peers", *flags], work)
        launched = _run_for(argv, work, args.budget)
        study = load_study(work, "peers")
        events = [{"t": t.datetime_complete.timestamp(), "score": t.value if t.state.name == "COMPLETE" else None,
                   "epochs": len(t.intermediate_values)}
                  for t in study.trials if t.datetime_complete is not None]
    else:
        argv = [sys.executable, "-m", "bench.peers", "--contender", name, "--work", str(work), "--dataset",
                args.dataset, "--families", args.families, "--n-trials", str(args.n_trials), "--epochs",
                str(args.epochs), "--batch-size", str(args.batch_size), "--seed", str(seed)]
        launched = _run_for(argv, ROOT, args.budget, logs=work)
        path = work / "events.jsonl"
        events = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    for event in events:
        event["elapsed_s"] = event.pop("t") - launched
    events = sorted((e for e in events if e["elapsed_s"] <= args.budget), key=lambda e: e["elapsed_s"])
    scores = [e["score"] for e in events if e["score"] is not None]
    return {"contender": name, "seed": seed, "trials": len(events), "scored_trials": len(scores),
            "epochs_trained": sum(e["epochs"] for e in events), "best": max(scores) if scores else None,
            "events": events}


def time_to_target(events: list[dict[str, Any]], target: float) -> tuple[float | None, int | None]:
    """(seconds from launch, trials finished) when the running best first reached ``target``; None if never."""
    for count, event in enumerate(events, start=1):
        if event["score"] is not None and event["score"] >= target:
            return event["elapsed_s"], count
    return None, None


def best_by(events: list[dict[str, Any]], seconds: float) -> float | None:
    """The best score of the trials finished within ``seconds`` of launch (None: none finished yet)."""
    scores = [e["score"] for e in events if e["score"] is not None and e["elapsed_s"] <= seconds]
    return max(scores) if scores else None


def summarise(rows: list[dict[str, Any]], within: float, marks: tuple[float, ...] = ()) -> tuple[float, float]:
    """One seed's rows (every contender on one split): adds time/trials to target and the best score at each
    of ``marks``; returns (best score of all, target)."""
    best = max(r["best"] for r in rows if r["best"] is not None)
    target = best - within
    for row in rows:
        row["time_to_target_s"], row["trials_to_target"] = time_to_target(row["events"], target)
        row["best_at"] = {str(mark): best_by(row["events"], mark) for mark in marks}
    return best, target


def _spread(values: list[float | None], missing: float) -> dict[str, float]:
    """Median, min and max, None counted as ``missing`` (inf: never reached, last; -inf: nothing yet)."""
    filled = [missing if v is None else v for v in values]
    return {"median": statistics.median(filled), "min": min(filled), "max": max(filled)}


def aggregate(rows: list[dict[str, Any]], contenders: list[str], marks: tuple[float, ...]) -> dict[str, Any]:
    """Per contender over the seeds: median and range of time to target and of the best score at each mark."""
    out: dict[str, Any] = {}
    for name in contenders:
        mine = [r for r in rows if r["contender"] == name]
        out[name] = {
            "seeds": len(mine),
            "reached": sum(r["time_to_target_s"] is not None for r in mine),
            "time_to_target_s": _spread([r["time_to_target_s"] for r in mine], math.inf),
            "trials_median": statistics.median(r["trials"] for r in mine),
            "best_at": {str(m): _spread([r["best_at"][str(m)] for r in mine], -math.inf) for m in marks},
        }
    return out


def paired_ratios(rows: list[dict[str, Any]], ours: str, peer: str, budget: float) -> dict[str, Any]:
    """Per seed, our time to target over the peer's. A side that never reached it counts as the whole budget,
    so the ratio is a bound (``≤`` when only the peer missed, ``≥`` when only we did); a seed where neither
    reached it says nothing and is left out of the median (None when no seed is left)."""
    ratios = []
    for seed in sorted({r["seed"] for r in rows}):
        a = next(r for r in rows if r["seed"] == seed and r["contender"] == ours)["time_to_target_s"]
        b = next(r for r in rows if r["seed"] == seed and r["contender"] == peer)["time_to_target_s"]
        if a is None and b is None:
            ratios.append({"seed": seed, "ratio": None, "bound": "neither"})
            continue
        ratios.append({"seed": seed, "ratio": (a if a is not None else budget) / (b if b is not None else budget),
                       "bound": "=" if a is not None and b is not None else ("≤" if b is None else "≥")})
    known = [r["ratio"] for r in ratios if r["ratio"] is not None]
    return {"per_seed": ratios, "median": statistics.median(known) if known else None}


def validation_rows(dataset: str, seed: int) -> int:
    """Rows of the validation split the contenders score on (the same for every seed's split)."""
    import trainers

    return len(trainers.split_dataset(trainers.load_dataset(dataset), seed=seed).y_val)


def noise_line(val_rows: int, best: float, within: float) -> str:
    """How the target's window compares with the validation score's own noise (binomial standard error)."""
    se = math.sqrt(best * (1 - best) / val_rows)
    return (f"The validation split has {val_rows} rows: {within * val_rows:.1f} rows make the {100 * within:.1f}-point "
            f"window, and an accuracy of {best:.3f} measured on them has a binomial standard error of "
            f"±{100 * se:.1f} points{' (wider than the window: reaching the target is partly luck)' if se > within else ''}.")


def _fmt(value: float, digits: int = 0) -> str:
    return "never" if value == math.inf else "–" if value == -math.inf else f"{value:.{digits}f}"


def table(summary: dict[str, Any], ratios: dict[str, Any], args: argparse.Namespace, marks: tuple[float, ...]) -> str:
    head = " | ".join(f"best at {m:.0f} s: median (min–max)" for m in marks)
    lines = [f"| contender | trials (median) | reached target | time to target: median (min–max) s | {head} |",
             "|---|---:|---:|---:|" + "---:|" * len(marks)]
    for name, agg in summary.items():
        t = agg["time_to_target_s"]
        cells = " | ".join(f"{_fmt(b['median'], 4)} ({_fmt(b['min'], 4)}–{_fmt(b['max'], 4)})"
                           for b in agg["best_at"].values())
        lines.append(f"| {name} | {agg['trials_median']:.0f} | {agg['reached']}/{agg['seeds']} | "
                     f"{_fmt(t['median'])} ({_fmt(t['min'])}–{_fmt(t['max'])}) | {cells} |")
    lines.append("")
    for ours, against in ratios.items():
        for peer, result in against.items():
            per_seed = ", ".join("neither reached it" if r["ratio"] is None else
                                 f"{r['bound'] if r['bound'] != '=' else ''}{r['ratio']:.2f}" for r in result["per_seed"])
            target = TARGETS.get(peer)
            median = "n/a" if result["median"] is None else f"{result['median']:.2f}"
            lines.append(f"- {ours}: time to target ÷ {peer}: median over the seeds where either reached it "
                         f"**{median}**{f' (target ≤ {target})' if target else ''}; per seed {per_seed}")
    lines += ["", f"Seeds {args.seeds} (each seed: its own train/validation split and search seed, the same for every "
                  f"contender); {args.budget:.0f} s per contender from its process' launch; target per seed: within "
                  f"{100 * args.within:.1f} points of the best validation accuracy any contender reached on that split. "
                  f"Dataset `{Path(args.dataset).name}`, families {args.families}, {args.epochs} epochs per trial, "
                  f"batch {args.batch_size}."]
    if getattr(args, "val_rows", None) and getattr(args, "best_median", None):
        lines.append(noise_line(args.val_rows, args.best_median, args.within))
    if getattr(args, "measured", None):  # a merged run: its contenders were measured on different days
        lines.append("Measured anew by `--merge-with`: " + "; ".join(f"{c} on {d}" for c, d in args.measured.items())
                     + "; the others in the first run.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="keel/phoneme.csv", help="under ../shared/datasets, or a name/path")
    parser.add_argument("--families", default=FAMILIES)
    parser.add_argument("--seeds", default="0,1,2,3,4", help="comma-separated split and search seeds")
    parser.add_argument("--budget", type=float, default=120.0, help="seconds per contender from its launch")
    parser.add_argument("--marks", default="30,60,120", help="seconds at which the best score is reported")
    parser.add_argument("--n-trials", type=int, default=300, help="trials per contender at most (Hyperband: its own)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--within", type=float, default=0.005, help="0.005 = 0.5 accuracy points")
    parser.add_argument("--only", nargs="+", choices=CONTENDERS, default=list(DEFAULT_CONTENDERS))
    parser.add_argument("--contender", choices=CONTENDERS, help=argparse.SUPPRESS)  # one contender's process
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)  # one contender's seed
    parser.add_argument("--from-json", type=Path, help="report a saved bench/results/peers_*.json again, run nothing")
    parser.add_argument("--merge-with", type=Path, help="run --only on a saved run's seeds and settings, report all")
    parser.add_argument("--again", action="store_true",
                        help="with --merge-with: measure saved contenders in --only anew (their saved rows dropped)")
    args = parser.parse_args(argv)
    if args.from_json:
        _report_again(args.from_json)
        return
    if args.merge_with:
        _merge_with(args.merge_with, args.only, again=args.again)
        return
    args.dataset = dataset_path(args.dataset)
    if args.contender:
        _contender(args)
        return
    marks = tuple(float(m) for m in args.marks.split(",") if float(m) <= args.budget)
    rows = run_seeds(args, marks)
    report(rows, summarise_seeds(rows, args.within, marks), args, marks)


def run_seeds(args: argparse.Namespace, marks: tuple[float, ...], earlier: list[dict[str, Any]] = ()) -> list[Any]:
    """Every ``args.only`` contender on every seed (the order rotated per seed to spread the drift), a line per
    seed as it ends (against the ``earlier`` rows of a merged run too)."""
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as tmp:
        for index, seed in enumerate(int(s) for s in args.seeds.split(",")):
            order = args.only[index % len(args.only):] + args.only[:index % len(args.only)]
            seed_rows = [run_contender(name, args, seed, Path(tmp) / f"s{seed}-c{i}") for i, name in enumerate(order)]
            best, _ = summarise(seed_rows + [r for r in earlier if r["seed"] == seed], args.within, marks)
            rows += seed_rows
            print(f"seed {seed}: best {best:.4f}; " + ", ".join(
                f"{r['contender']} {_fmt(r['time_to_target_s'] or math.inf)} s" for r in seed_rows), flush=True)
    return rows


def summarise_seeds(rows: list[dict[str, Any]], within: float, marks: tuple[float, ...]) -> dict[int, Any]:
    """:func:`summarise` per seed; each seed's best and target."""
    per_seed = {}
    for seed in sorted({r["seed"] for r in rows}):
        best, target = summarise([r for r in rows if r["seed"] == seed], within, marks)
        per_seed[seed] = {"best": best, "target": target}
    return per_seed


def report(rows: list[dict[str, Any]], per_seed: dict[Any, Any], args: argparse.Namespace,
           marks: tuple[float, ...], measured_on: dict[str, Any] | None = None) -> None:
    """Summaries, ratios and the table of a finished benchmark, into bench/results/peers_<dataset>.*."""
    summary = aggregate(rows, args.only, marks)
    args.val_rows = validation_rows(args.dataset, int(next(iter(per_seed))))
    args.best_median = statistics.median(v["best"] for v in per_seed.values())
    ours = [c for c in args.only if c.startswith("activation-search")] or args.only[:1]
    ratios = {us: {peer: paired_ratios(rows, us, peer, args.budget) for peer in args.only if peer not in ours}
              for us in ours}
    payload = {"args": {k: v for k, v in vars(args).items() if k not in ("contender", "work", "seed", "from_json")},
               "per_seed": per_seed, "summary": summary, "ratios": ratios, "rows": rows}
    write_results(f"peers_{Path(args.dataset).name.split('.')[0]}", payload, table(summary, ratios, args, marks),
                  measured_on=measured_on)


def _saved(path: Path) -> tuple[argparse.Namespace, list[dict[str, Any]], tuple[float, ...]]:
    saved = json.loads(path.read_text())
    args = argparse.Namespace(**saved["args"])
    if not Path(args.dataset).exists() and "/datasets/" in args.dataset:  # saved in another clone
        args.dataset = dataset_path(args.dataset.split("/datasets/", 1)[1])
    return args, saved["rows"], tuple(float(m) for m in args.marks.split(",") if float(m) <= args.budget)


def _report_again(path: Path) -> None:
    """``--from-json``: the report of a saved run again (after a change to the summaries), nothing re-run; it
    keeps the saved run's machine line (its date), since nothing was measured now."""
    args, rows, marks = _saved(path)
    report(rows, summarise_seeds(rows, args.within, marks), args, marks,
           measured_on=json.loads(path.read_text()).get("machine"))


def _merge_with(path: Path, contenders: list[str], *, again: bool = False) -> None:
    """``--merge-with``: ``contenders`` on a saved run's seeds and settings, reported with its rows; with
    ``again`` (``--again``), a saved contender among them is measured anew and its saved rows dropped."""
    args, rows, marks = _saved(path)
    new = [c for c in contenders if again or c not in args.only]
    if not new:
        raise SystemExit(f"--merge-with: every contender in --only is already in {path} (--again re-measures them)")
    rows = [r for r in rows if r["contender"] not in new]
    earlier_only = [c for c in args.only if c not in new]
    args.only = new
    rows += run_seeds(args, marks, earlier=rows)
    args.only = [*earlier_only, *new]
    measured = dict(getattr(args, "measured", None) or {})
    measured.update({c: machine()["date"] for c in new})  # which contender was run when: the machine drifts
    args.measured = measured
    report(rows, summarise_seeds(rows, args.within, marks), args, marks)


if __name__ == "__main__":
    main()
