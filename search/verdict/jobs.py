"""The verdict's retrainings as jobs that any worker can run: one job = one configuration trained with one
seed under the search's protocol.

Jobs are queued as trials of the study's *verdict study* (``NAME:verdict``, in the same Optuna storage), so
the verdict is shared like the search: the pool of worker processes on this machine and ``search worker`` on
others take them from the queue with the same one-winner claim, a dead worker's job comes back through its
missing heartbeat, and each retraining is stored the moment it ends, so an interrupted verdict resumes
without retraining what it finished. A job describes itself completely (configuration, seed, whether it
re-draws the train / validation split, epochs, batch size, patience, metric): the worker needs only the
study's data and builder.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from search.study import LATENCY_BATCH, USER_ATTR_FAIL_REASON, USER_ATTR_WORKER

if TYPE_CHECKING:
    import optuna

    from trainers import Splits

VERDICT_SUFFIX = ":verdict"
USER_ATTR_JOB = "job"
USER_ATTR_KEY = "job_key"
USER_ATTR_SCORES = "scores"
SCORE_FIELDS = ("test", "val", "latency_s", "epochs_run")
LEARNED = "|"  # scores' keys "|<layer>|<stat>" carry the learned activation parameters (PReLU's slopes)
DIAGNOSTIC = "~"  # scores' keys "~<phase>~<stat>~<layer index>" carry the network's diagnostics through depth
DIAGNOSED = ("mean", "std", "dead", "grad_norm")
USER_ATTR_MODEL = "model_uri"  # where a job that kept its model logged it

Scores = dict[str, float]  # one seed's test / val score, inference latency, epochs run (NaN: diverged)


@dataclass(frozen=True)
class Job:
    """One retraining: ``params`` with training seed ``seed`` (and, with ``redraw``, the train / validation
    split drawn with it) under the search's protocol. ``family`` and ``variant`` only label it."""

    params: dict[str, Any]
    seed: int
    redraw: bool
    epochs: int
    batch_size: int
    patience: int | None
    metric: str
    family: str = ""
    variant: str = field(default="", compare=False)
    # The family's reviewed retraining (first seed of its tuned and default configurations): also probe the
    # network through depth, and log the trained model.
    diagnose: bool = field(default=False, compare=False)
    keep_model: bool = field(default=False, compare=False)

    @property
    def key(self) -> str:
        """What makes two retrainings the same: configuration, seed, data protocol and training settings."""
        what = {"params": self.params, "seed": self.seed, "redraw": self.redraw, "epochs": self.epochs,
                "batch_size": self.batch_size, "patience": self.patience, "metric": self.metric}
        return hashlib.sha256(json.dumps(what, sort_keys=True, default=repr).encode()).hexdigest()[:20]

    def to_attr(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_attr(cls, attr: Mapping[str, Any]) -> Job:
        return cls(**{k: attr[k] for k in cls.__dataclass_fields__ if k in attr})


def verdict_study_name(study_name: str) -> str:
    return study_name + VERDICT_SUFFIX


class JobBoard:
    """The verdict study of one study: which jobs are finished, queued or running, and queuing the rest."""

    def __init__(self, storage: Any, study_name: str) -> None:
        import optuna

        self.study: optuna.Study = optuna.create_study(
            study_name=verdict_study_name(study_name), storage=storage, load_if_exists=True,
            sampler=optuna.samplers.RandomSampler(seed=0), direction="maximize",
        )  # fmt: skip

    @classmethod
    def existing(cls, storage: Any, study_name: str) -> JobBoard | None:
        """The verdict study of ``study_name`` if one was ever started (a worker must not create one)."""
        import optuna

        try:
            optuna.load_study(study_name=verdict_study_name(study_name), storage=storage)
        except KeyError:
            return None
        return cls(storage, study_name)

    def finished(self) -> dict[str, Scores]:
        """Scores of every finished job by key (the first to finish, if a job was ever run twice)."""
        from optuna.trial import TrialState

        done: dict[str, Scores] = {}
        for trial in self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            key = trial.user_attrs.get(USER_ATTR_KEY)
            if key is not None and key not in done:
                done[key] = {k: float(v) for k, v in trial.user_attrs[USER_ATTR_SCORES].items()}
        return done

    def enqueue(self, jobs: Iterable[Job]) -> int:
        """Queue the jobs neither finished nor already queued or running; returns how many were queued."""
        from optuna.trial import TrialState

        busy = {t.user_attrs.get(USER_ATTR_KEY) for t in self.study.get_trials(
            deepcopy=False, states=(TrialState.COMPLETE, TrialState.WAITING, TrialState.RUNNING))}
        queued = 0
        for job in {j.key: j for j in jobs}.values():
            if job.key not in busy:
                self.study.enqueue_trial({}, user_attrs={USER_ATTR_JOB: job.to_attr(), USER_ATTR_KEY: job.key},
                                         skip_if_exists=False)
                queued += 1
        return queued

    def models(self) -> dict[str, str]:
        """Where each finished job that kept its model logged it, by key."""
        from optuna.trial import TrialState

        return {t.user_attrs[USER_ATTR_KEY]: t.user_attrs[USER_ATTR_MODEL]
                for t in self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                if USER_ATTR_MODEL in t.user_attrs and USER_ATTR_KEY in t.user_attrs}

    def pending(self) -> int:
        """Jobs queued or running."""
        from optuna.trial import TrialState

        return len(self.study.get_trials(deepcopy=False, states=(TrialState.WAITING, TrialState.RUNNING)))

    def last_failure(self) -> str:
        from optuna.trial import TrialState

        failed = self.study.get_trials(deepcopy=False, states=(TrialState.FAIL,))
        return str(failed[-1].user_attrs.get(USER_ATTR_FAIL_REASON, "no reason recorded"))[:200] if failed else "none"


ModelSink = Callable[[Job, Any, Scores], str | None]  # logs a job's trained model; returns where it went


def train_job(job: Job, builder: Callable[[Any], Any], splits: Splits, devices: Sequence[str] | None = None,
              sink: ModelSink | None = None) -> tuple[Scores, str | None]:
    """Train one job; a diverged training is a real outcome of its configuration: every score NaN. Returns its
    scores and, for a job that keeps its model (given a ``sink``), where the model was logged."""
    from search.study import DefaultHyperParameters
    from trainers import TrainConfig, TrainingError, redraw_train_val, train_model

    config = TrainConfig(epochs=job.epochs, batch_size=job.batch_size, seed=job.seed,
                         devices=tuple(devices) if devices else None, patience=job.patience)
    data = redraw_train_val(splits, job.seed) if job.redraw else splits
    keep = job.keep_model and sink is not None
    try:
        result = train_model(lambda: builder(DefaultHyperParameters(fixed=job.params)), data, config,
                             evaluate_test=True, latency_batch_size=LATENCY_BATCH, metric=job.metric,
                             diagnostics=job.diagnose, keep_model=keep)
    except TrainingError:
        return dict.fromkeys(SCORE_FIELDS, math.nan), None
    scores = {"test": float(result.test_metrics[job.metric]), "val": float(result.val_metrics[job.metric]),  # type: ignore[index]
              "latency_s": float(result.latency_seconds), "epochs_run": float(result.epochs_run)}  # type: ignore[arg-type]
    scores.update({f"{LEARNED}{layer}{LEARNED}{stat}": value for layer, summary in result.learned.items()
                   for stat, value in summary.items()})
    scores.update(flat_diagnostics(result.diagnostics))
    return scores, (sink(job, result.model, scores) if keep and sink is not None else None)


def flat_diagnostics(diagnostics: Mapping[str, Mapping[str, Any]]) -> Scores:
    """``{phase: {stat: [per layer]}}`` as score keys ``~phase~stat~i`` (scores are flat and numeric)."""
    return {f"{DIAGNOSTIC}{phase}{DIAGNOSTIC}{stat}{DIAGNOSTIC}{i}": float(value)
            for phase, stats in diagnostics.items() for stat in DIAGNOSED for i, value in enumerate(stats.get(stat, ()))}


def diagnostics_of(scores: Scores) -> dict[str, dict[str, list[float]]]:
    """The diagnostics a job's scores carry (``train_job``): ``{phase: {stat: [per layer, from the input]}}``."""
    found: dict[str, dict[str, dict[int, float]]] = {}
    for key, value in scores.items():
        if key.startswith(DIAGNOSTIC):
            phase, stat, index = key[len(DIAGNOSTIC):].split(DIAGNOSTIC)
            found.setdefault(phase, {}).setdefault(stat, {})[int(index)] = value
    return {phase: {stat: [by_index[i] for i in sorted(by_index)] for stat, by_index in stats.items()}
            for phase, stats in found.items()}


def learned_params(scores: Scores) -> dict[str, dict[str, float]]:
    """The learned activation parameters a job's scores carry (``train_job``), by layer."""
    learned: dict[str, dict[str, float]] = {}
    for key, value in scores.items():
        if key.startswith(LEARNED):
            layer, stat = key[len(LEARNED):].rsplit(LEARNED, 1)
            learned.setdefault(layer, {})[stat] = value
    return learned


def job_objective(builder: Callable[[Any], Any], splits: Splits, devices: Sequence[str] | None = None,
                  sink: ModelSink | None = None) -> Callable[[optuna.Trial], float]:
    """The objective a worker runs on the verdict study: train the trial's job, store its scores on it (and
    where ``sink`` logged its model, for a job that keeps it).

    The trial's value is the job's test score (0 when it diverged); the scores themselves are in its user
    attributes, where the verdict reads them."""

    def objective(trial: optuna.Trial) -> float:
        job = Job.from_attr(trial.user_attrs[USER_ATTR_JOB])
        trial.set_user_attr(USER_ATTR_WORKER, f"{socket.gethostname()}:{os.getpid()}")
        try:
            scores, model_uri = train_job(job, builder, splits, devices, sink)
        except Exception as exc:
            trial.set_user_attr(USER_ATTR_FAIL_REASON, f"{type(exc).__name__}: {exc}"[:500])
            raise
        if model_uri is not None:
            trial.set_user_attr(USER_ATTR_MODEL, model_uri)
        trial.set_user_attr(USER_ATTR_SCORES, scores)
        return scores["test"] if math.isfinite(scores["test"]) else 0.0

    return objective
