"""What a worker needs to join a study, stored on the study itself.

``search run`` writes the spec (data source and split, metric, families, training settings, sampler) and a
signature of the search space into the study's user attributes. ``search worker --study NAME --storage URL``
on any machine reads them back, loads the data, and refuses to work when its data fingerprint or its code's
search space differs from the study's: its trials would not be comparable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass
from typing import Any

from search.errors import UsageError

USER_ATTR_SPEC = "spec"
USER_ATTR_SPACE = "space_signature"


@dataclass(frozen=True)
class StudySpec:
    dataset: str
    target: str | None
    task: str | None
    impute: bool
    val_size: float
    test_size: float
    seed: int
    families: tuple[str, ...]
    metric: str
    epochs: int
    batch_size: int
    patience: int | None
    sampler: str
    pruner: str
    plugins: tuple[str, ...] = ()  # --plugins, loaded by every worker and report
    activations: tuple[str, ...] = ()  # --activation NAME=EXPR
    plugin_digests: dict[str, str] = field(default_factory=dict)  # what a worker's plugins must match
    builder: str | None = None  # --builder MODULE:ATTR (None: the built-in MLP / CNN)
    objectives: tuple[str, ...] = ("metric",)  # --objectives (metric, latency: a multi-objective study)
    shared_start: bool = False  # --shared-start (every worker's sampler must do the same)

    def to_attr(self) -> dict[str, Any]:
        return {**asdict(self), "families": list(self.families), "plugins": list(self.plugins),
                "activations": list(self.activations), "objectives": list(self.objectives)}  # fmt: skip

    @classmethod
    def from_attrs(cls, name: str, attrs: Mapping[str, Any]) -> StudySpec:
        raw = attrs.get(USER_ATTR_SPEC)
        required = {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING}
        if not isinstance(raw, dict) or not required <= set(raw):
            raise UsageError(
                f"Study {name!r} has no worker spec (it was not created by this version of `search run`); "
                f"start it with `python -m search run --study {name}` first."
            )
        values = {f.name: raw[f.name] for f in fields(cls) if f.name in raw}
        for key in ("families", "plugins", "activations", "objectives"):
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)


def space_signature(builder: Callable[[Any], Any], families: Sequence[str]) -> str:
    """A digest of the search space the code declares: every hyperparameter the builder asks for (name, kind,
    range, choices) in each family's default configuration, a user-defined family's definition (its code or
    expression), and the builder's own settings.

    Two processes with the same signature sample the same space; a worker whose code changed a range, a
    family or the builder gets another signature and is refused.
    """
    from search.study.hp import OptunaHyperParameters
    from spaces import get_family

    declared: list[Any] = [_describe(builder)]
    for family in families:
        trial = _RecordingTrial()
        builder(OptunaHyperParameters(trial, fixed={"activation": family}))  # type: ignore[arg-type]
        digest = get_family(family).digest  # a user-defined family's code or expression; built-ins have none
        declared.append([family, trial.calls, *([digest] if digest else [])])
    text = json.dumps(declared, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _describe(builder: Callable[[Any], Any]) -> str:
    """A stable description: a dataclass hypermodel's repr (its settings); else the function's dotted name
    (a function's repr holds its memory address, which differs in every process)."""
    if is_dataclass(builder):
        return repr(builder)
    return f"{getattr(builder, '__module__', '?')}.{getattr(builder, '__qualname__', type(builder).__qualname__)}"


def check_space(name: str, stored: str | None, signature: str) -> None:
    if stored is not None and stored != signature:
        raise UsageError(
            f"Study {name!r} was created by code with another search space (signature {stored}, this code "
            f"{signature}); run the same version of the code, or start another --study."
        )


def declared_space(builder: Callable[[Any], Any], families: Sequence[str]) -> dict[str, dict[str, list[Any]]]:
    """Every hyperparameter each family's configurations can declare (name -> its recorded ``suggest_*`` call),
    conditional ones included: the builder is run once per choice index, so that a parameter behind a switch
    (``relu.use_max_value``) or a choice shows up."""
    from search.study.hp import OptunaHyperParameters

    space: dict[str, dict[str, list[Any]]] = {}
    for family in families:
        seen: dict[str, list[Any]] = {}
        index, widest = 0, 1
        while index < widest:
            trial = _RecordingTrial(choice_index=index)
            builder(OptunaHyperParameters(trial, fixed={"activation": family}))  # type: ignore[arg-type]
            for call in trial.calls:
                seen.setdefault(call[0], call)
                if call[1] == "categorical":
                    widest = max(widest, len(call[2]))
            index += 1
        space[family] = seen
    return space


def grid_space(builder: Callable[[Any], Any], families: Sequence[str], points: int = 4) -> dict[str, dict[str, list[Any]]]:
    """Each family's grid for ``--sampler grid``: every choice of a categorical parameter, ``points`` values of a
    number (evenly spaced, or geometrically on a log scale, on its step)."""
    return {family: {name: _grid_values(call, points) for name, call in calls.items()}
            for family, calls in declared_space(builder, families).items()}


def _grid_values(call: list[Any], points: int) -> list[Any]:
    import numpy as np

    if call[1] == "categorical":
        return list(call[2])
    _, kind, low, high, step, log = call
    raw = np.geomspace(low, high, points) if log and low > 0 else np.linspace(low, high, points)
    if step:
        raw = low + np.round((raw - low) / step) * step
    values = [int(round(v)) for v in raw] if kind == "int" else [float(v) for v in raw]
    return sorted(set(values))


class _RecordingTrial:
    """Stands in for an Optuna trial: records each ``suggest_*`` call and answers with the lowest value, and the
    choice at ``choice_index`` (the last one when there are fewer)."""

    def __init__(self, choice_index: int = 0) -> None:
        self.calls: list[list[Any]] = []
        self.choice_index = choice_index

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        self.calls.append([name, "categorical", list(choices)])
        return choices[min(self.choice_index, len(choices) - 1)]

    def suggest_int(self, name: str, low: int, high: int, step: int = 1, log: bool = False) -> int:
        self.calls.append([name, "int", low, high, step, log])
        return low

    def suggest_float(self, name: str, low: float, high: float, step: float | None = None, log: bool = False) -> float:
        self.calls.append([name, "float", low, high, step, log])
        return low
