"""Parameter specifications of activation families: pure, frozen data.

A spec names one knob of an activation, its search range and its Keras default (the "untuned" value). Search
code reads these to declare hyperparameters; reports read them to show what was searched. Ranges bound the
*search* only: ``ActivationFamily.build`` accepts any value Keras accepts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TypeAlias

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _check_name(kind: str, name: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"{kind} name must be a lower-case identifier (a-z, 0-9, _), but got {name!r}.")


def _check_range(name: str, low: float, high: float, log: bool) -> None:
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        raise ValueError(f"Parameter {name!r} needs finite low <= high, but got {low=}, {high=}.")
    if log and low <= 0:
        raise ValueError(f"Parameter {name!r} is log-scaled, so low must be positive, but got {low=}.")


@dataclass(frozen=True)
class FloatParam:
    """A real-valued parameter searched in ``[low, high]``."""

    name: str
    low: float
    high: float
    default: float
    log: bool = False
    step: float | None = None

    def __post_init__(self) -> None:
        _check_name("Parameter", self.name)
        _check_range(self.name, self.low, self.high, self.log)
        if not self.low <= self.default <= self.high:
            raise ValueError(
                f"Parameter {self.name!r}: default {self.default} lies outside [{self.low}, {self.high}]."
            )
        if self.step is not None and not self.step > 0:
            raise ValueError(f"Parameter {self.name!r}: step must be positive, but got step={self.step}.")


@dataclass(frozen=True)
class ChoiceParam:
    """A categorical parameter."""

    name: str
    choices: tuple[str | int | float | bool, ...]
    default: str | int | float | bool

    def __post_init__(self) -> None:
        _check_name("Parameter", self.name)
        if not self.choices or len(set(self.choices)) != len(self.choices):
            raise ValueError(f"Parameter {self.name!r} needs distinct choices, but got {self.choices!r}.")
        if self.default not in self.choices:
            raise ValueError(f"Parameter {self.name!r}: default {self.default!r} is not in {self.choices!r}.")


@dataclass(frozen=True)
class BoolParam:
    """A boolean switch."""

    name: str
    default: bool

    def __post_init__(self) -> None:
        _check_name("Parameter", self.name)
        if not isinstance(self.default, bool):
            raise ValueError(f"Parameter {self.name!r}: default must be a bool, but got {self.default!r}.")


@dataclass(frozen=True)
class OptionalFloatParam:
    """Either None or a value in ``[low, high]``, e.g. the ``max_value`` cap of ReLU.

    Searched as a switch ``use_<name>`` plus, when on, the value itself.
    """

    name: str
    low: float
    high: float
    default: float | None = None
    log: bool = False

    def __post_init__(self) -> None:
        _check_name("Parameter", self.name)
        _check_range(self.name, self.low, self.high, self.log)
        if self.default is not None and not self.low <= self.default <= self.high:
            raise ValueError(
                f"Parameter {self.name!r}: default {self.default} lies outside [{self.low}, {self.high}]."
            )

    @property
    def search_default(self) -> float:
        """The value to start from once the switch is on: the default, else the middle of the range."""
        if self.default is not None:
            return self.default
        return math.sqrt(self.low * self.high) if self.log else (self.low + self.high) / 2


Param: TypeAlias = FloatParam | ChoiceParam | BoolParam | OptionalFloatParam
