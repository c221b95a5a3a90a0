"""Device planning (pure) and strategy construction."""

from __future__ import annotations

from typing import Any

import pytest

from trainers import MAX_LOGICAL_CPUS, ensure_logical_cpus, logical_cpus_needed, make_strategy, plan_devices

GPUS = [f"/device:GPU:{i}" for i in range(4)]


@pytest.fixture(autouse=True)
def splits(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, int]]:
    """The CPU splits asked for. This process' logical CPUs are configured once (tests/conftest.py) and its
    runtime is initialised, so the real ``set_logical_device_configuration`` is never called here: the
    stand-in records the call and fails the way TensorFlow does once initialised."""
    import tensorflow as tf

    calls: list[tuple[Any, int]] = []

    def initialised(device: Any, logical: list[Any]) -> None:
        calls.append((device, len(logical)))
        raise RuntimeError("Virtual devices cannot be modified after being initialized")

    monkeypatch.setattr(tf.config, "set_logical_device_configuration", initialised)
    return calls


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


@pytest.mark.parametrize(
    ("devices", "needed"),
    [
        (["/cpu:0", "/cpu:1"], 2),
        (["/CPU:0", "/CPU:1"], 2),
        (["/device:CPU:0", "/device:CPU:3"], 4),
        (["/job:localhost/replica:0/task:0/device:CPU:1"], 2),
        (["/cpu:0", "/cpu:7"], 8),
        ("/cpu:2", 3),  # a lone name
        (["/cpu:0"], 1),
        (["/gpu:0", "/gpu:1"], 1),
        (["/device:GPU:5", "/cpu:0"], 1),
        (["/gpu:1", "/cpu:1"], 2),
        (["/job:worker/replica:0/task:1/device:CPU:3"], 1),  # another process' CPU: not ours to split
        (["nonsense", "/cpu:a"], 1),  # left to make_strategy's "Unknown device"
        ([], 1),
    ],
)
def test_logical_cpus_needed(devices: list[str] | str, needed: int) -> None:
    assert logical_cpus_needed(devices) == needed


@pytest.mark.parametrize(
    "devices", [None, [], ["/cpu:0"], ["/gpu:0", "/gpu:1"], ["/cpu:1"], [f"/cpu:{MAX_LOGICAL_CPUS}"]]
)
def test_no_split_when_none_is_needed(devices: list[str] | None, splits: list[tuple[Any, int]]) -> None:
    """Nothing to split, already enough logical CPUs (2 here), or more than the cap: the CPU is left alone."""
    ensure_logical_cpus(devices)
    assert splits == []


def test_split_the_first_cpu(monkeypatch: pytest.MonkeyPatch, splits: list[tuple[Any, int]]) -> None:
    import tensorflow as tf

    monkeypatch.setattr(tf.config, "get_logical_device_configuration", lambda device: None)  # not configured
    devices = ["/device:CPU:0", "/gpu:3", "/job:localhost/replica:0/task:0/device:CPU:3"]
    assert ensure_logical_cpus(devices) == 4
    assert splits == [(tf.config.list_physical_devices("CPU")[0], 4)]


def test_split_too_late_is_left_to_the_unknown_device_error(splits: list[tuple[Any, int]]) -> None:
    import tensorflow as tf

    assert ensure_logical_cpus(["/cpu:0", "/cpu:7"]) == 8  # the runtime refuses: no error here
    assert len(splits) == 1 and len(tf.config.list_logical_devices("CPU")) == 2
    with pytest.raises(ValueError, match=r"^Unknown device '/cpu:7'"):
        make_strategy(["/cpu:0", "/cpu:7"])
