"""Test-wide setup.

TensorFlow can only split the CPU into logical devices before it initialises, so this happens here, once,
before any test imports TensorFlow: every test then sees two logical CPUs (``/cpu:0``, ``/cpu:1``), which the
MirroredStrategy tests need. Single-device code is unaffected (it places everything on ``/cpu:0``).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

LOGICAL_CPUS = 2


def _split_cpu() -> None:
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * LOGICAL_CPUS)


_split_cpu()


@pytest.fixture(autouse=True)
def _isolated_mlflow_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may write to the developer's MLflow store by accident."""
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
