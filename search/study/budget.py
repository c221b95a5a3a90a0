"""The study's budget as a queue: ``search run`` enqueues exactly the trials it was asked for, one per slot.

Each slot is an Optuna trial in state WAITING that names its family (user attribute ``family``); Optuna's
sampler fills in its parameters when a worker takes it (a WAITING trial's unset parameters are sampled as
usual). Taking a slot is atomic in the storage (WAITING → RUNNING), so any number of workers on any number of
machines run each slot once, and every family gets exactly the same number of trials. A family's
Keras-default configuration (the "untuned" reference) is its first slot in a new study.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from search.study.attrs import USER_ATTR_BASELINE, USER_ATTR_FAMILY


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
