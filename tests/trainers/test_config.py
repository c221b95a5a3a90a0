"""TrainConfig validation and the primary metric."""

from __future__ import annotations

import pytest

from trainers import TrainConfig, primary_metric


def test_defaults() -> None:
    config = TrainConfig()
    assert (config.epochs, config.batch_size, config.seed, config.patience) == (20, 64, 0, None)
    assert config.devices is None and config.steps_per_execution is None and config.verbose == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs must be at least 1, but got epochs=0."),
        ({"batch_size": -2}, "batch_size must be at least 1, but got batch_size=-2."),
        ({"patience": 0}, "patience must be at least 1 (or None), but got patience=0."),
        (
            {"steps_per_execution": 0},
            "steps_per_execution must be at least 1 (or None), but got steps_per_execution=0.",
        ),
        ({"verbose": 3}, "verbose must be 0, 1 or 2, but got verbose=3."),
        ({"devices": ()}, "devices must name at least one device (or be None), but got an empty list."),
    ],
)
def test_invalid(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as info:
        TrainConfig(**kwargs)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_several_devices_exclude_steps_per_execution() -> None:
    with pytest.raises(ValueError, match="steps_per_execution=8 with 2 devices"):
        TrainConfig(devices=("/gpu:0", "/gpu:1"), steps_per_execution=8)
    assert TrainConfig(devices=("/gpu:0",), steps_per_execution=8).steps_per_execution == 8


def test_devices_become_a_tuple() -> None:
    assert TrainConfig(devices=["/cpu:0", "/cpu:1"]).devices == ("/cpu:0", "/cpu:1")  # type: ignore[arg-type]
    assert TrainConfig(devices="/gpu:0").devices == ("/gpu:0",)  # type: ignore[arg-type]


def test_primary_metric() -> None:
    assert primary_metric("classification") == ("accuracy", "maximize")
    assert primary_metric("regression") == ("rmse", "minimize")
    with pytest.raises(ValueError, match="Unknown task 'ranking'"):
        primary_metric("ranking")
