"""Choosing the ``tf.distribute`` strategy a trial trains under."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tensorflow as tf


def plan_devices(gpus: Sequence[str], forced: Sequence[str] | None = None) -> tuple[str, ...]:
    """Which devices to replicate over; ``()`` means TensorFlow's default strategy.

    Pure logic, so it can be tested with made-up device lists.

    Args:
        gpus: Names of the visible GPUs.
        forced: A device list the user asked for; it wins when given (it must not be empty).

    Returns:
        ``forced`` if given; all GPUs when there are at least two; otherwise ``()``: with no GPU or exactly
        one, the default strategy already places everything on the best device. CPUs are never replicated
        over unless forced: on a CPU, a mirrored strategy is only slower.
    """
    if forced is not None:
        forced = (forced,) if isinstance(forced, str) else tuple(forced)
        if not forced:
            raise ValueError("A forced device list must name at least one device, but got an empty one.")
        if len(set(forced)) != len(forced):
            raise ValueError(f"A forced device list must not repeat a device, but got {forced}.")
        return forced
    gpus = tuple(gpus)
    return gpus if len(gpus) >= 2 else ()


def make_strategy(devices: Sequence[str] | None = None) -> tf.distribute.Strategy:
    """The strategy for ``plan_devices(visible GPUs, devices)``.

    Two or more devices give a ``MirroredStrategy`` over them, one forced device a ``OneDeviceStrategy``, and
    ``()`` the current (default) strategy.

    Raises:
        ValueError: A forced device that TensorFlow does not know; the message lists the known ones.
    """
    import tensorflow as tf

    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    planned = plan_devices(gpus, devices)
    if devices is not None:
        _check_known(planned, tf)
    if planned:
        return _strategy_for(planned)
    return tf.distribute.get_strategy()


@functools.cache
def _strategy_for(devices: tuple[str, ...]) -> tf.distribute.Strategy:
    """One strategy object per device list for the whole process.

    A fresh ``MirroredStrategy`` per trial reuses collective instance keys of the previous one, and TF 2.21
    then aborts the second model's gradient all-reduce ("Shape mismatch in the collective instance 100 ...
    expected shape [259] but another member in the group expected shape [2410]"). Reusing it avoids that
    and the set-up cost.
    """
    import tensorflow as tf

    if len(devices) >= 2:
        return tf.distribute.MirroredStrategy(list(devices))
    return tf.distribute.OneDeviceStrategy(devices[0])


def _check_known(devices: Sequence[str], tf: object) -> None:
    logical = tf.config.list_logical_devices()  # type: ignore[attr-defined]
    known = {(d.device_type.upper(), _index(d.name, tf)) for d in logical}
    for device in devices:
        try:
            spec = tf.DeviceSpec.from_string(device)  # type: ignore[attr-defined]
        except ValueError:
            spec = None
        if (
            spec is None
            or spec.device_type is None
            or (spec.device_type.upper(), spec.device_index or 0) not in known
        ):
            names = ", ".join(d.name for d in logical)
            raise ValueError(f"Unknown device {device!r}; this machine has: {names}.")


def _index(name: str, tf: object) -> int:
    return tf.DeviceSpec.from_string(name).device_index or 0  # type: ignore[attr-defined]
