"""Device planning (pure) and strategy construction."""

from __future__ import annotations

import pytest

from trainers import make_strategy, plan_devices

GPUS = [f"/device:GPU:{i}" for i in range(4)]


@pytest.mark.parametrize(("n_gpus", "expected"), [(0, ()), (1, ()), (2, tuple(GPUS[:2])), (4, tuple(GPUS))])
def test_gpus_replicate_only_when_there_are_several(n_gpus: int, expected: tuple[str, ...]) -> None:
    assert plan_devices(GPUS[:n_gpus]) == expected


@pytest.mark.parametrize("n_gpus", [0, 1, 4])
def test_forced_list_wins(n_gpus: int) -> None:
    assert plan_devices(GPUS[:n_gpus], ["/cpu:0", "/cpu:1"]) == ("/cpu:0", "/cpu:1")
    assert plan_devices(GPUS[:n_gpus], ("/gpu:1",)) == ("/gpu:1",)
    assert plan_devices(GPUS[:n_gpus], "/gpu:1") == ("/gpu:1",)  # a lone name is not a list of characters


def test_forced_list_must_be_usable() -> None:
    with pytest.raises(ValueError, match="at least one device"):
        plan_devices(GPUS, [])
    with pytest.raises(ValueError, match="must not repeat"):
        plan_devices(GPUS, ["/cpu:0", "/cpu:0"])


def test_make_strategy() -> None:
    import tensorflow as tf

    default = make_strategy()
    assert default is tf.distribute.get_strategy() and default.num_replicas_in_sync == 1
    one = make_strategy(["/cpu:1"])
    assert isinstance(one, tf.distribute.OneDeviceStrategy)
    mirrored = make_strategy(("/cpu:0", "/cpu:1"))
    assert isinstance(mirrored, tf.distribute.MirroredStrategy) and mirrored.num_replicas_in_sync == 2


@pytest.mark.parametrize("device", ["/gpu:0", "/cpu:7", "nonsense"])
def test_unknown_device(device: str) -> None:
    with pytest.raises(ValueError, match=rf"^Unknown device '{device}'; this machine has: .*CPU:0"):
        make_strategy(["/cpu:0", device])
