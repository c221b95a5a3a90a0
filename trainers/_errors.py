"""Exceptions raised by ``trainers``.

``DataError`` is the user's fault (a bad file, a bad column): the CLI prints its one-line message and exits
with code 2. ``TrainingError`` is a trial that cannot finish: the search marks that trial failed and goes on.
"""

from __future__ import annotations


class DataError(ValueError):
    """A dataset that cannot be loaded or split; the message is one line naming the problem."""


class TrainingError(RuntimeError):
    """A trial that cannot finish (its loss diverged, it ran out of memory, ...)."""


class NonFiniteLossError(TrainingError):
    """The loss became NaN or infinite; training stopped at the end of that epoch.

    Attributes:
        epoch: The 1-based number of the epoch whose loss was not finite (1 = the first epoch).
        loss: The non-finite value (``nan``, ``inf`` or ``-inf``).
        name: The log key that held it: ``"loss"``, or ``"val_loss"`` when only the validation loss diverged.
    """

    def __init__(self, epoch: int, loss: float, name: str = "loss") -> None:
        self.epoch = epoch
        self.loss = loss
        self.name = name
        super().__init__(f"The {name} became {loss} at epoch {epoch}; training stopped.")

    def __reduce__(self) -> tuple[type[NonFiniteLossError], tuple[int, float, str]]:
        # Keeps the exception picklable (multiprocessing, joblib) despite the custom __init__.
        return (type(self), (self.epoch, self.loss, self.name))
