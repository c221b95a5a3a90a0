"""Choosing the ``tf.distribute`` strategy a trial trains under."""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tensorflow as tf

log = logging.getLogger(__name__)

MAX_LOGICAL_CPUS = 64
"""The most logical CPUs ``ensure_logical_cpus`` splits the CPU into (a typo like ``/cpu:1000`` is not)."""


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

    if devices is not None:
        ensure_logical_cpus(devices)  # before anything lists (and so initialises) the logical devices
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    planned = plan_devices(gpus, devices)
    if devices is not None:
        _check_known(planned, tf)
    if planned:
        return _strategy_for(planned)
    return tf.distribute.get_strategy()


def logical_cpus_needed(devices: Sequence[str] | str) -> int:
    """How many logical CPUs a forced device list needs: the highest CPU index it names plus one.

    Pure logic (``tf.DeviceSpec`` parses; TensorFlow is imported but not initialised). ``1`` (nothing to
    split) for GPUs only, ``/cpu:0`` alone, names that do not parse and devices of another job than this
    process'.
    """
    import tensorflow as tf

    devices = (devices,) if isinstance(devices, str) else devices
    needed = 1
    for device in devices:
        try:
            spec = tf.DeviceSpec.from_string(device)
        except (ValueError, TypeError):
            continue  # ``_check_known`` reports it
        if spec.job not in (None, "localhost") or (spec.device_type or "").upper() != "CPU":
            continue
        needed = max(needed, (spec.device_index or 0) + 1)
    return needed


def ensure_logical_cpus(devices: Sequence[str] | str | None) -> int:
    """Split the first physical CPU into the logical CPUs that ``devices`` names (``/cpu:0,/cpu:1`` → 2).

    Only possible before TensorFlow's runtime initialises (the first op, or listing the logical devices):
    afterwards, or when the CPU already has enough logical devices, or more than ``MAX_LOGICAL_CPUS`` are
    asked for, nothing changes and ``make_strategy`` reports an unknown device. GPUs are never touched.

    Returns:
        The logical CPUs the list needs.
    """
    if not devices:
        return 1
    needed = logical_cpus_needed(devices)
    if needed <= 1 or needed > MAX_LOGICAL_CPUS:
        return needed
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")  # does not initialise the runtime
    if not cpus:
        return needed
    configured = tf.config.get_logical_device_configuration(cpus[0])
    if configured is not None and len(configured) >= needed:
        return needed
    try:
        tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * needed)
    except RuntimeError:  # the runtime is initialised already: too late
        log.debug("TensorFlow is initialised; cannot split the CPU into %d logical devices", needed)
    return needed


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
