"""The study's budget: a queue of slots, and the same search effort for every family.

Each slot is an Optuna trial in state WAITING that names its family (user attribute ``family``); Optuna's
sampler fills in its parameters when a worker takes it. Taking a slot is atomic in the storage (WAITING →
RUNNING), so any number of workers on any number of machines run each slot once. A family's Keras-default
configuration (the "untuned" reference) is its first slot in a new study. How many slots each family gets is
its share of the study's target in epochs (see below).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from search.study.attrs import USER_ATTR_BASELINE, USER_ATTR_FAIL_REASON, USER_ATTR_FAMILY


@dataclass(frozen=True)
class Slot:
    family: str
    params: Mapping[str, Any] = field(default_factory=dict)  # fixed parameters (a baseline's defaults)
    baseline: bool = False


def plan_slots(
    families: Sequence[str],
    trials_per_family: int,
    *,
    waiting: Iterable[str] = (),
    baselines: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Slot]:
    """The slots to enqueue so that each family has ``trials_per_family`` queued trials.

    Args:
        families: The study's families, in order.
        trials_per_family: Trials this invocation adds per family.
        waiting: The families of slots already queued and not yet taken (left by an interrupted or timed-out
            invocation); they count towards this invocation's budget instead of being run on top of it.
        baselines: For a new study, each family's default parameters: its first slot runs them.

    Returns:
        Slots interleaved family by family (baselines first), so that a run stopped early by ``--timeout``
        or Ctrl-C has still given every family about the same share.
    """
    if trials_per_family < 1:
        raise ValueError(f"trials_per_family must be at least 1, but got {trials_per_family}.")
    queued = Counter(waiting)
    per_family: dict[str, list[Slot]] = {}
    for family in families:
        n = max(0, trials_per_family - queued[family])
        slots = [Slot(family, dict(baselines[family]), baseline=True)] if n and baselines and family in baselines else []
        slots.extend(Slot(family) for _ in range(n - len(slots)))
        per_family[family] = slots
    order: list[Slot] = []
    for rank in range(max((len(s) for s in per_family.values()), default=0)):
        order.extend(slots[rank] for slots in per_family.values() if rank < len(slots))
    return order


def waiting_families(study: Any) -> list[str]:
    """Families of the study's slots that no worker has taken yet."""
    from optuna.trial import TrialState

    return [
        str(t.user_attrs.get(USER_ATTR_FAMILY))
        for t in study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
        if t.user_attrs.get(USER_ATTR_FAMILY)
    ]


def enqueue_slots(study: Any, slots: Sequence[Slot]) -> None:
    """Put ``slots`` in the study's queue, in order."""
    for slot in slots:
        attrs: dict[str, Any] = {USER_ATTR_FAMILY: slot.family}
        if slot.baseline:
            attrs[USER_ATTR_BASELINE] = True
        # Never skip_if_exists: families without knobs (tanh, sigmoid) share the same searched params.
        study.enqueue_trial(dict(slot.params), user_attrs=attrs)


# -- the budget as search effort ---------------------------------------------------------------------------
#
# ``--trials N`` raises the study's target by N trials per family (``USER_ATTR_TARGET``), and each family is
# topped up to the same *search effort*: target × epochs epochs. A complete, failed, running or queued trial
# costs a full trial's epochs; a pruned one only the epochs it ran, so the epochs the pruner saved go back to
# its family as another trial. Trials cut off by Ctrl-C, SIGTERM or a dead worker cost nothing: a resume
# runs them again. However a run was interrupted or resumed, every family ends with the same effort.

USER_ATTR_TARGET = "trials_per_family"
_INTERRUPTED = ("Terminated", "Interrupted")


def counts_towards_budget(trial: Any) -> bool:
    """Whether a trial used its family's budget (an interrupted or dead-worker trial did not)."""
    from optuna.trial import TrialState

    if trial.state != TrialState.FAIL:
        return True
    reason = trial.user_attrs.get(USER_ATTR_FAIL_REASON)
    return bool(reason) and not str(reason).startswith(_INTERRUPTED)


def trial_epochs(trial: Any, epochs: int) -> int:
    """The epochs of its family's budget a trial costs: what a pruned one ran, else a full trial."""
    from optuna.trial import TrialState

    if trial.state == TrialState.PRUNED:
        return len(trial.intermediate_values) or (0 if trial.last_step is None else trial.last_step + 1)
    return epochs


def epochs_used(study: Any, families: Sequence[str], epochs: int, exclude: int | None = None) -> dict[str, int]:
    """Per family, the epochs its counted trials cost (``exclude``: a trial number to leave out)."""
    used = dict.fromkeys(families, 0)
    for trial in study.get_trials(deepcopy=False):
        family = trial.user_attrs.get(USER_ATTR_FAMILY)
        if family in used and trial.number != exclude and counts_towards_budget(trial):
            used[family] += trial_epochs(trial, epochs)
    return used


def raise_target(study: Any, trials_per_family: int, families: Sequence[str], epochs: int, *,
                 total: bool = False) -> int:
    """The study's new target (trials per family): the old one plus ``trials_per_family`` (with ``total``: at
    least ``trials_per_family``, so that running the same command again only completes it, as a sweep
    does); stored. A study from before targets were stored starts from the effort its best-served family
    already had."""
    stored = study.user_attrs.get(USER_ATTR_TARGET)
    if stored is None:
        used = epochs_used(study, families, epochs)
        stored = max((-(-u // epochs) for u in used.values()), default=0)
    target = max(int(stored), trials_per_family) if total else int(stored) + trials_per_family
    study.set_user_attr(USER_ATTR_TARGET, target)
    return target


def slots_to_target(study: Any, families: Sequence[str], target: int, epochs: int) -> dict[str, int]:
    """How many more trials each family needs to reach ``target`` × ``epochs`` epochs of search."""
    used = epochs_used(study, families, epochs)
    return {f: max(0, (target * epochs - used[f]) // epochs) for f in families}


def top_up_after_pruning(study: Any, family: str, trial_number: int, epochs_run: int, epochs: int) -> bool:
    """Called as trial ``trial_number`` of ``family`` is pruned after ``epochs_run`` epochs: queue another
    trial of the family when the epochs saved add up to a whole trial; returns whether one was queued.

    Running and queued trials count as whole trials, so two workers pruning at once can only under-spend."""
    target = study.user_attrs.get(USER_ATTR_TARGET)
    if target is None or family is None:
        return False
    used = epochs_used(study, [family], epochs, exclude=trial_number)[family] + epochs_run
    if int(target) * epochs - used < epochs:
        return False
    enqueue_slots(study, [Slot(family)])
    return True
