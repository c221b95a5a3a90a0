"""What the training commands need of the Python environment: TensorFlow installed (from the ``cpu`` or
``gpu`` extra), and its C++ start-up lines quiet."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from typing import Any

from search.errors import UsageError

INSTALL_HINT = (
    "python -m pip install -e '.[cpu]' (or '.[gpu]' on a machine with NVIDIA GPUs; never both: they install "
    "the same tensorflow module)"
)


def require_tensorflow(find_spec: Callable[[str], Any] = importlib.util.find_spec) -> None:
    """A one-line :class:`UsageError` naming the install command when TensorFlow is not installed."""
    if find_spec("tensorflow") is None:
        raise UsageError(f"TensorFlow is not installed; install the project with one of its extras: {INSTALL_HINT}.")


def quiet_tensorflow() -> None:
    """TensorFlow's C++ start-up lines are noise for a CLI user; set before TensorFlow is imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
