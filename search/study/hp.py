"""``keras_tuner.HyperParameters``' methods, backed by an Optuna trial.

A builder written against Keras Tuner's ``hp`` API (``hp.Choice``, ``hp.Int``, ``hp.Float``, ``hp.Boolean``,
``hp.Fixed``, ``hp.conditional_scope``) runs unchanged under this adapter: each call becomes the matching
``trial.suggest_*``. As under Keras Tuner, a hyperparameter declared inside an inactive conditional scope
returns ``None``; here it is also never suggested, so Optuna's search space holds only what was used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna

_Condition = tuple[str, tuple[Any, ...]]


class OptunaHyperParameters:
    """The subset of ``keras_tuner.HyperParameters`` a ``build(hp)`` builder uses, over ``optuna.Trial``.

    Args:
        trial: The trial that suggests every value (``optuna.Trial`` or ``optuna.trial.FixedTrial``).
        fixed: Values to use instead of suggesting, e.g. ``{"activation": "relu"}`` to fix the family; they
            appear in :attr:`values` but not in the trial's params (Optuna did not choose them).
    """

    def __init__(self, trial: optuna.trial.BaseTrial, fixed: Mapping[str, Any] | None = None) -> None:
        self._trial = trial
        self._fixed = dict(fixed or {})
        self._values: dict[str, Any] = {}
        self._declared: set[str] = set()
        self._scopes: list[_Condition] = []

    @property
    def values(self) -> dict[str, Any]:
        """The active hyperparameters and their values, as in ``keras_tuner.HyperParameters.values``."""
        return dict(self._values)

    def get(self, name: str) -> Any:
        if name in self._values:
            return self._values[name]
        if name in self._declared:
            return None  # declared but inactive, as Keras Tuner answers
        raise KeyError(f"Unknown hyperparameter {name!r}; declared so far: {sorted(self._declared)}.")

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._declared

    @contextmanager
    def conditional_scope(self, parent_name: str, parent_values: Any) -> Iterator[None]:
        """Hyperparameters declared inside are active only when ``parent_name`` took one of ``parent_values``."""
        if parent_name not in self._declared:
            raise ValueError(
                f"conditional_scope on {parent_name!r}, which is not declared yet; declare the parent first."
            )
        self._scopes.append((parent_name, _as_tuple(parent_values)))
        try:
            yield
        finally:
            self._scopes.pop()

    def Choice(
        self,
        name: str,
        values: Sequence[Any],
        ordered: bool | None = None,
        default: Any = None,
        parent_name: str | None = None,
        parent_values: Any = None,
    ) -> Any:
        choices = list(values)
        if not choices:
            raise ValueError(f"hp.Choice({name!r}) needs at least one value.")
        return self._declare(
            name,
            lambda: self._trial.suggest_categorical(name, choices),
            choices[0] if default is None else default,
            parent_name,
            parent_values,
        )

    def Int(
        self,
        name: str,
        min_value: int,
        max_value: int,
        step: int | None = None,
        sampling: str = "linear",
        default: int | None = None,
        parent_name: str | None = None,
        parent_values: Any = None,
    ) -> int | None:
        log = _is_log(name, sampling)
        if log and step not in (None, 1):
            raise ValueError(f"hp.Int({name!r}): Optuna cannot combine log sampling with step={step}.")
        return self._declare(
            name,
            lambda: self._trial.suggest_int(name, int(min_value), int(max_value), step=step or 1, log=log),
            int(min_value) if default is None else default,
            parent_name,
            parent_values,
        )

    def Float(
        self,
        name: str,
        min_value: float,
        max_value: float,
        step: float | None = None,
        sampling: str = "linear",
        default: float | None = None,
        parent_name: str | None = None,
        parent_values: Any = None,
    ) -> float | None:
        log = _is_log(name, sampling)
        if log and step is not None:
            raise ValueError(f"hp.Float({name!r}): Optuna cannot combine log sampling with step={step}.")
        low, high = float(min_value), float(max_value)
        # Returned exactly as Optuna stored it (a stepped float may read 0.15000000000000002), so hp.values,
        # the trial's params and the MLflow params always agree.
        return self._declare(
            name,
            lambda: self._trial.suggest_float(name, low, high, step=step, log=log),
            low if default is None else default,
            parent_name,
            parent_values,
        )

    def Boolean(
        self,
        name: str,
        default: bool = False,
        parent_name: str | None = None,
        parent_values: Any = None,
    ) -> bool | None:
        return self._declare(
            name, lambda: self._trial.suggest_categorical(name, [False, True]), bool(default), parent_name, parent_values
        )

    def Fixed(self, name: str, value: Any, parent_name: str | None = None, parent_values: Any = None) -> Any:
        """A value that is not searched; a later ``Choice`` of the same name returns it, as in Keras Tuner."""
        self._fixed.setdefault(name, value)
        return self._declare(name, lambda: value, value, parent_name, parent_values)

    def _declare(
        self, name: str, suggest: Callable[[], Any], default: Any, parent_name: str | None, parent_values: Any
    ) -> Any:
        self._declared.add(name)
        conditions = list(self._scopes)
        if parent_name is not None:
            conditions.append((parent_name, _as_tuple(parent_values)))
        if not self._is_active(conditions):
            return None
        if name not in self._values:
            self._values[name] = self._fixed[name] if name in self._fixed else self._pick(suggest, default)
        return self._values[name]

    def _pick(self, suggest: Callable[[], Any], default: Any) -> Any:
        return suggest()

    def _is_active(self, conditions: Sequence[_Condition]) -> bool:
        return all(name in self._values and self._values[name] in allowed for name, allowed in conditions)


class DefaultHyperParameters(OptunaHyperParameters):
    """Every hyperparameter at its default (Keras Tuner's rule: else the first choice, the minimum, False).

    Run a builder under it to learn the parameters of its default configuration, e.g. a family's
    Keras-default ("untuned") trial to enqueue: ``hp.values`` then holds them.
    """

    def __init__(self, fixed: Mapping[str, Any] | None = None) -> None:
        super().__init__(trial=None, fixed=fixed)  # type: ignore[arg-type]  # never asked to suggest

    def _pick(self, suggest: Callable[[], Any], default: Any) -> Any:
        return default


def _as_tuple(values: Any) -> tuple[Any, ...]:
    if isinstance(values, (list, tuple, set, frozenset)):
        return tuple(values)
    return (values,)


def _is_log(name: str, sampling: str | None) -> bool:
    sampling = (sampling or "linear").lower()
    if sampling not in ("linear", "log"):
        raise ValueError(f"Hyperparameter {name!r}: sampling={sampling!r} is not supported; use 'linear' or 'log'.")
    return sampling == "log"
